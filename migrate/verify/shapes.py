"""What a route asks of a request, as Kong's router exports it (`KongRouter.shapes`) so probes can be generated
from both sides."""

from __future__ import annotations

from typing import NamedTuple

PREFIX = "prefix"  # a string prefix (a plain Kong path, ATC `^=`)
EXACT = "exact"
REGEX = "regex"


# Named tuples, not dataclasses: a verification builds and hashes one shape per Kong route of every side
# (tens of thousands), and a tuple does both in C.
class PathShape(NamedTuple):
    kind: str  # prefix | exact | regex
    value: str


class RouteShape(NamedTuple):
    hosts: tuple[str, ...]  # empty: any host
    paths: tuple[PathShape, ...]
    methods: tuple[str, ...] = ()
    headers: tuple[tuple[str, tuple[tuple[str, bool], ...]], ...] = ()  # (name, ((value, is_regex), ...))
    grpc: bool = False  # only gRPC calls (always POST) reach it
