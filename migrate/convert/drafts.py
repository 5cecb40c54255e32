"""Intermediate route representation between Kong inputs and emitted Gateway API objects.

Drafts are plain data: the HTTP/L4 translators fill them, the emitter splits them at Gateway API
limits, names them and renders them for the chosen API version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrate.convert.paths import PathMatch
from migrate.sources import SourceRef


@dataclass(frozen=True)
class HeaderMatch:
    name: str
    value: str
    regex: bool = False

    def as_dict(self) -> dict[str, str]:
        d = {"name": self.name, "value": self.value}
        if self.regex:
            d = {"type": "RegularExpression", **d}
        return d


@dataclass(frozen=True)
class MatchDraft:
    path: PathMatch | None  # None: match everything (GRPCRoute without method match)
    method: str | None = None
    headers: tuple[HeaderMatch, ...] = ()
    grpc: dict[str, str] | None = None  # GRPCRoute method match {type, service, method}


@dataclass(frozen=True)
class BackendDraft:
    name: str
    port: int
    namespace: str | None = None  # only when different from the route's


@dataclass
class RuleDraft:
    matches: list[MatchDraft]
    backends: list[BackendDraft] = field(default_factory=list)
    filters: list[dict[str, Any]] = field(default_factory=list)
    # a URLRewrite ReplacePrefixMatch needs exactly one PathPrefix match per rule
    one_match_per_rule: bool = False
    timeouts: dict[str, str] | None = None


@dataclass
class RouteDraft:
    kind: str  # HTTPRoute | GRPCRoute | TCPRoute | UDPRoute | TLSRoute
    namespace: str
    name: str  # readable base name; made unique by the emitter
    source: SourceRef
    hostnames: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)  # listener names to attach to
    annotations: dict[str, str] = field(default_factory=dict)
    rules: list[RuleDraft] = field(default_factory=list)
    # the identity used for naming: must be unique per draft
    identity: tuple[str, ...] = ()
