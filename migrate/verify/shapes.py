"""What a route asks of a request, as Kong's router exports it (`KongRouter.shapes`) so probes can be generated
from both sides."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "prefix"  # a string prefix (a plain Kong path, ATC `^=`)
EXACT = "exact"
REGEX = "regex"


@dataclass(frozen=True)
class PathShape:
    kind: str  # prefix | exact | regex
    value: str


@dataclass(frozen=True)
class RouteShape:
    hosts: tuple[str, ...]  # empty: any host
    paths: tuple[PathShape, ...]
    methods: tuple[str, ...] = ()
    headers: tuple[tuple[str, tuple[tuple[str, bool], ...]], ...] = ()  # (name, ((value, is_regex), ...))
    grpc: bool = False  # only gRPC calls (always POST) reach it
