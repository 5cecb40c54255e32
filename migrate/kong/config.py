"""Kong declarative configuration, in decK's shape, as KIC sends it to Kong.

Field names are decK's (`_format_version: "3.0"`), so `to_deck()` is a plain dump and KIC's own goldens
(`internal/dataplane/testdata/golden/*/..._golden.yaml`) compare field by field.  A few fields are the model's
own and are never dumped: `origin` (the Kubernetes object and field that produced the entity, for messages),
`order` (Kong's tie-break between otherwise equal routes: KIC sorts by the source object's age), and a
service's `backends` (the Kubernetes Services and weights behind its upstream: what a request reaches).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from migrate.kic.store import Obj

FORMAT_VERSION = "3.0"

# Kong's defaults for what KIC always sets (Kong/kubernetes-ingress-controller: internal/dataplane/kongstate)
DEFAULT_TIMEOUT_MS = 60000
DEFAULT_RETRIES = 5


def _set_fields(entity: object, names: tuple[str, ...]) -> dict[str, Any]:
    """decK leaves unset fields out: the named attributes that are not None."""
    return {name: value for name in names if (value := getattr(entity, name)) is not None}


@dataclass
class Plugin:
    """A Kong plugin instance on a route, a service or globally.

    `identity` is what a request experiences as "this plugin ran": the Kubernetes object it came from
    (`KongPlugin ns/name`, `KongClusterPlugin name`), or for plugins KIC generates itself (request-transformer
    for URLRewrite, redirect for RequestRedirect ...) `generated:<plugin name>`.
    """

    name: str
    config: dict[str, Any] = field(default_factory=dict)
    identity: str = ""
    instance_name: str | None = None
    enabled: bool = True
    protocols: list[str] | None = None
    ordering: dict[str, Any] | None = None
    tags: list[str] = field(default_factory=list)

    def to_deck(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.config:
            out["config"] = self.config
        if self.instance_name:
            out["instance_name"] = self.instance_name
        if not self.enabled:
            out["enabled"] = False
        if self.protocols:
            out["protocols"] = list(self.protocols)
        if self.ordering:
            out["ordering"] = self.ordering
        if self.tags:
            out["tags"] = list(self.tags)
        return out


@dataclass
class Route:
    """A Kong route.  Traditional flavors use paths/hosts/methods/headers/snis/...; the expressions flavor uses
    `expression` and `priority` (KIC then leaves the traditional matchers unset)."""

    name: str
    protocols: list[str] | None = None  # None: not set by KIC, Kong's default ["http", "https"]
    hosts: list[str] | None = None
    paths: list[str] | None = None
    methods: list[str] | None = None
    headers: dict[str, list[str]] | None = None
    snis: list[str] | None = None
    sources: list[dict[str, Any]] | None = None
    destinations: list[dict[str, Any]] | None = None
    strip_path: bool | None = None
    preserve_host: bool | None = None
    regex_priority: int | None = None
    https_redirect_status_code: int | None = None
    path_handling: str | None = None
    request_buffering: bool | None = None
    response_buffering: bool | None = None
    expression: str | None = None
    priority: int | None = None
    plugins: list[Plugin] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # model only
    origin: str = ""
    order: int = 0
    k8s: Obj | None = field(default=None, repr=False, compare=False)  # the object that produced the route
    # KICSettings.alternative_version: the protocols that version starts the route with (a 1-tuple; empty: the
    # same as this translation's), then the fields it ends up with where they differ from this route's
    alternative_protocols: tuple[list[str] | None, ...] = field(default=(), repr=False, compare=False)
    alternative_fields: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    DECK_FIELDS = ("name", "protocols", "hosts", "paths", "methods", "headers", "snis", "sources",
                   "destinations", "strip_path", "preserve_host", "regex_priority",
                   "https_redirect_status_code", "path_handling", "request_buffering", "response_buffering",
                   "expression", "priority")

    def to_deck(self) -> dict[str, Any]:
        out = _set_fields(self, self.DECK_FIELDS)
        if self.plugins:
            out["plugins"] = [p.to_deck() for p in self.plugins]
        if self.tags:
            out["tags"] = list(self.tags)
        return out


@dataclass
class Service:
    name: str
    host: str
    port: int = 80
    protocol: str = "http"
    path: str | None = None
    connect_timeout: int = DEFAULT_TIMEOUT_MS
    read_timeout: int = DEFAULT_TIMEOUT_MS
    write_timeout: int = DEFAULT_TIMEOUT_MS
    retries: int = DEFAULT_RETRIES
    client_certificate: str | None = None
    tls_verify: bool | None = None
    tls_verify_depth: int | None = None
    ca_certificates: list[str] | None = None
    routes: list[Route] = field(default_factory=list)
    plugins: list[Plugin] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # model only: the Kubernetes Services behind the upstream, ("namespace/name:port", weight)
    backends: tuple[tuple[str, int], ...] = ()
    origin: str = ""

    DECK_FIELDS = ("name", "host", "port", "protocol", "path", "connect_timeout", "read_timeout",
                   "write_timeout", "retries", "client_certificate", "tls_verify", "tls_verify_depth",
                   "ca_certificates")

    def to_deck(self) -> dict[str, Any]:
        out = _set_fields(self, self.DECK_FIELDS)
        if self.routes:
            out["routes"] = [r.to_deck() for r in self.routes]
        if self.plugins:
            out["plugins"] = [p.to_deck() for p in self.plugins]
        if self.tags:
            out["tags"] = list(self.tags)
        return out


@dataclass
class Target:
    target: str  # "ip:port" or "host:port"
    weight: int = 100

    def to_deck(self) -> dict[str, Any]:
        return {"target": self.target, "weight": self.weight}


@dataclass
class Upstream:
    name: str
    algorithm: str | None = "round-robin"
    slots: int | None = None
    hash_on: str | None = None
    hash_fallback: str | None = None
    hash_on_header: str | None = None
    hash_fallback_header: str | None = None
    hash_on_cookie: str | None = None
    hash_on_cookie_path: str | None = None
    hash_on_query_arg: str | None = None
    hash_fallback_query_arg: str | None = None
    hash_on_uri_capture: str | None = None
    hash_fallback_uri_capture: str | None = None
    host_header: str | None = None
    healthchecks: dict[str, Any] | None = None
    targets: list[Target] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    DECK_FIELDS = ("name", "algorithm", "slots", "hash_on", "hash_fallback", "hash_on_header",
                   "hash_fallback_header", "hash_on_cookie", "hash_on_cookie_path", "hash_on_query_arg",
                   "hash_fallback_query_arg", "hash_on_uri_capture", "hash_fallback_uri_capture",
                   "host_header", "healthchecks")

    def to_deck(self) -> dict[str, Any]:
        out = _set_fields(self, self.DECK_FIELDS)
        if self.targets:
            out["targets"] = [t.to_deck() for t in self.targets]
        if self.tags:
            out["tags"] = list(self.tags)
        return out


@dataclass
class Certificate:
    """A certificate from a TLS Secret; the model never reads key material, only which SNIs it serves."""

    secret: str  # "namespace/name"
    snis: list[str] = field(default_factory=list)

    def to_deck(self) -> dict[str, Any]:
        return {"snis": [{"name": s} for s in self.snis], "tags": [f"k8s-secret:{self.secret}"]}


@dataclass(frozen=True)
class TranslationFailure:
    """An object (or part of one) KIC refuses to translate: it logs and emits a Kubernetes event, and the
    rest of the configuration is still sent.  Mirrors KIC's `TranslationFailure` events."""

    origin: str  # "Kind/namespace/name" (plus field)
    message: str


@dataclass
class KongConfig:
    services: list[Service] = field(default_factory=list)
    upstreams: list[Upstream] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    plugins: list[Plugin] = field(default_factory=list)  # global plugins
    failures: list[TranslationFailure] = field(default_factory=list)

    def routes(self) -> list[tuple[Service, Route]]:
        return [(s, r) for s in self.services for r in s.routes]

    def to_deck(self) -> dict[str, Any]:
        out: dict[str, Any] = {"_format_version": FORMAT_VERSION}
        if self.services:
            out["services"] = [s.to_deck() for s in sorted(self.services, key=lambda s: s.name)]
        if self.upstreams:
            out["upstreams"] = [u.to_deck() for u in sorted(self.upstreams, key=lambda u: u.name)]
        if self.certificates:
            out["certificates"] = [c.to_deck() for c in sorted(self.certificates, key=lambda c: c.secret)]
        if self.plugins:
            out["plugins"] = [p.to_deck() for p in self.plugins]
        return out
