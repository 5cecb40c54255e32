"""What a route asks of a request, in a form both models export so probes can be generated from either."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "prefix"  # segment-agnostic string prefix (Kong) or PathPrefix (Gateway API)
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
