"""How Kong routes Ingress objects and their `konghq.com/*` annotations ("before").

The model follows REFERENCE §2 (Ingress semantics as Kong's controller translates them) and Kong's
router, for the chosen router flavor:

* Ingress class selection, age order and default backends are the converter's own helpers
  (`migrate.convert.pipeline.select_ingresses`, REFERENCE §2.6/§2.7); annotation values are parsed with
  `migrate.annotations.parse` (KIC's parser, REFERENCE §1): an invalid value is discarded, as Kong does.
  Their *meaning* is modelled here independently of the converter's annotation handlers, so a converter
  mistake is not mirrored.
* Paths (REFERENCE §2.1).  traditional / traditional_compatible: Prefix `/a/` becomes the plain prefix
  `/a/` plus the regex `/a$`; Exact `/a` the regex `/a$` (unescaped: a `.` matches any character);
  ImplementationSpecific `/~re` the regex `re`; any other ImplementationSpecific path a raw string prefix
  (`/a` matches `/ab`).  expressions: Prefix `/a` is `== "/a"` or `^= "/a/"`, Exact `==`, regexes `~ "^re"`.
  Kong regexes are anchored at the start only (Kong/kong: kong/router/transform.lua).
* Hosts: exact or a leading `*` matching any deeper suffix, never the apex (REFERENCE §2.4); headers: values
  of one header ORed, names ANDed, methods ORed (REFERENCE §2.3).  Header values compare case-insensitively
  in the traditional flavors and case-sensitively in expressions (Kong/kong PR #11905, "http headers
  sensitive for expressions and insensitive for traditional_compatible").
* Priority.  traditional flavors (Kong/kong: kong/router/traditional.lua `sort_routes`, kong/router/compat.lua
  `get_priority`; Kong docs "Matching priorities"): routes with more kinds of condition (host, header, path,
  method) first; then routes with plain hosts only; then a regex path hit before a prefix hit ("regex paths
  are evaluated before prefix paths"); more headers; higher `regex_priority` among regexes; the longest
  prefix; then the oldest route.  expressions (KIC internal/dataplane/translator/subtranslator/ingress_atc.go
  priority traits, summarised): plain host, host length, header count, regex path, path length, then age.
  Kong's creation order is taken as the Ingresses' age order (creationTimestamp, then namespace/name).
* Protocols: an https-only route answers plain HTTP with its `https_redirect_status_code` (default 426)
  (Kong/kong: kong/runloop/handler.lua); an http-only route does not serve HTTPS.  HTTPS needs a
  certificate for the SNI: Kong's certificates come from `spec.tls` entries with hosts and a secret
  (REFERENCE §2.5); a `*.` certificate covers one label (Kong/kong: kong/runloop/certificate.lua); without
  one the handshake uses Kong's default certificate, which clients reject: outcome `no-tls`.
* strip-path removes the matched part of the path; `konghq.com/rewrite` replaces the upstream path, `$n`
  from the regex captures (REFERENCE §1.1).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from migrate.annotations import parse as p
from migrate.annotations.route import FORCE_SSL_REDIRECT
from migrate.convert.options import ConvertOptions, RouterFlavor
from migrate.convert.pipeline import select_ingresses
from migrate.loader import SourceDoc
from migrate.model.inventory import Inventory, build_inventory
from migrate.model.objects import BackendRef, Ingress, IngressPath
from migrate.model.validation import hostname_problem
from migrate.report import Report
from migrate.verify.hostindex import HostIndex
from migrate.verify.options import VerifyOptions
from migrate.verify.outcome import (
    BACKEND,
    HTTP,
    HTTPS,
    NO_TLS,
    REDIRECT,
    STATUS,
    Outcome,
    Request,
    normalize_weights,
    not_found,
    strip_prefix,
    substitute_captures,
)
from migrate.verify.probes import GRPC_METHOD
from migrate.verify.shapes import EXACT, PREFIX, REGEX, PathShape, RouteShape

T = TypeVar("T")
D = TypeVar("D")
HTTP_PROTOCOLS = frozenset({"http", "ws", "grpc"})
HTTPS_PROTOCOLS = frozenset({"https", "wss", "grpcs"})
DEFAULT_PROTOCOLS = frozenset({"http", "https"})
GRPC_PROTOCOLS = frozenset({"grpc", "grpcs"})
REDIRECT_CODES = (301, 302, 307, 308)
# Kong/kong: kong/router/traditional.lua MATCH_RULES bits, highest first
_HOST, _HEADER, _URI, _METHOD = 0x40, 0x20, 0x10, 0x08


@dataclass(frozen=True)
class KongUri:
    kind: str  # prefix | regex | exact
    value: str
    regex: re.Pattern[str] | None = None

    def match(self, path: str) -> tuple[int, re.Match[str] | None] | None:
        """Matched length (and regex match) or None."""
        if self.kind == PREFIX:
            return (len(self.value), None) if path.startswith(self.value) else None
        if self.kind == EXACT:
            return (len(path), None) if path == self.value else None
        assert self.regex is not None
        m = self.regex.match(path)
        return (m.end(), m) if m else None


@dataclass(frozen=True)
class KongRoute:
    source: str
    order: int  # age rank of the Ingress (0 = oldest)
    hosts: tuple[str, ...]
    uris: tuple[KongUri, ...]
    shape_path: PathShape
    raw_path_length: int
    backend: str
    methods: frozenset[str] = frozenset()
    headers: tuple[tuple[str, tuple[p.HeaderValue, ...]], ...] = ()
    protocols: frozenset[str] = DEFAULT_PROTOCOLS
    redirect_code: int | None = None
    regex_priority: int = 0
    strip_path: bool = False
    rewrite: str | None = None
    plugins: tuple[str, ...] = ()

    @property
    def plain_hosts_only(self) -> bool:
        return bool(self.hosts) and not any(h.startswith("*") for h in self.hosts)

    @property
    def grpc(self) -> bool:
        return self.protocols <= GRPC_PROTOCOLS

    def shape(self) -> RouteShape:
        return RouteShape(
            hosts=self.hosts, paths=(self.shape_path,), methods=tuple(sorted(self.methods)),
            headers=tuple((n, tuple((v.value, v.regex) for v in vs)) for n, vs in self.headers), grpc=self.grpc,
        )


@dataclass
class _Traits:
    methods: frozenset[str] = frozenset()
    headers: dict[str, tuple[p.HeaderValue, ...]] = field(default_factory=dict)
    extra_hosts: list[str] = field(default_factory=list)
    host_header: bool = False  # a Host header match: Kong rejects the Ingress's routes
    protocols: frozenset[str] = DEFAULT_PROTOCOLS
    redirect_code: int | None = None
    regex_priority: int = 0
    regex_prefix: str = p.DEFAULT_REGEX_PREFIX
    strip_path: bool = False
    rewrite: str | None = None
    plugins: tuple[str, ...] = ()


def or_default(fn: Callable[..., T], *args: str, default: D) -> T | D:
    """Kong discards an annotation whose value it cannot parse: so does the model."""
    try:
        return fn(*args)
    except p.AnnotationValueError:
        return default


# KongIngress route fields with the effect of a route annotation (REFERENCE §3.4)
KONGINGRESS_ROUTE_FIELDS = {
    "methods": "konghq.com/methods",
    "protocols": "konghq.com/protocols",
    "strip_path": "konghq.com/strip-path",
    "regex_priority": "konghq.com/regex-priority",
    "https_redirect_status_code": "konghq.com/https-redirect-status-code",
}


def _annotation_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def effective_annotations(ing: Ingress, inventory: Inventory) -> tuple[dict[str, str], dict[str, list[p.HeaderValue]]]:
    """The Ingress's annotations over its KongIngress route section (`konghq.com/override`, or implicitly the
    KongIngress of the same name): Kong applies the KongIngress first and the annotations last."""
    a = dict(ing.meta.annotations)
    name = a.get("konghq.com/override", "").strip() or ing.meta.name
    ki = inventory.kong_ingress(ing.meta.namespace, name)
    route = (ki.route if ki else None) or {}
    merged = {key: _annotation_value(route[fld]) for fld, key in KONGINGRESS_ROUTE_FIELDS.items()
              if route.get(fld) is not None}
    headers: dict[str, list[p.HeaderValue]] = {}
    raw_headers = route.get("headers")
    if isinstance(raw_headers, dict):
        for hname, values in raw_headers.items():
            if f"{p.HEADERS_PREFIX}{str(hname).lower()}" in a:
                continue
            items = values if isinstance(values, list) else [values]
            # one value per list item: commas inside a KongIngress value are not separators
            parsed = [v for item in items for v in or_default(p.parse_header_values, str(item), "\n", default=[])]
            if parsed:
                headers[str(hname).lower()] = parsed
    merged.update(a)
    return merged, headers


def _traits(ing: Ingress, inventory: Inventory, flavor: RouterFlavor) -> _Traits:
    a, ki_headers = effective_annotations(ing, inventory)
    t = _Traits()
    for hname, hvalues in ki_headers.items():
        t.headers[hname] = tuple(hvalues)
    if "konghq.com/methods" in a:
        t.methods = frozenset(or_default(p.parse_methods, a["konghq.com/methods"], default=[]))
    sep = a.get(p.HEADERS_SEPARATOR, ",").strip() or ","
    for key in sorted(a):
        if not key.startswith(p.HEADERS_PREFIX):
            continue
        name = key[len(p.HEADERS_PREFIX):].lower()
        values = or_default(p.parse_header_values, a[key], sep, default=[])
        if not values:
            continue
        if name == "host":
            # REFERENCE §2.3: Kong's route schema rejects a Host header match; the expressions router drops it
            t.host_header = flavor != RouterFlavor.EXPRESSIONS
            continue
        t.headers[name] = tuple(values)
    protocols = or_default(p.parse_protocols, a["konghq.com/protocols"], default=None) if "konghq.com/protocols" in a else None
    if protocols and not set(protocols) <= HTTP_PROTOCOLS | HTTPS_PROTOCOLS:
        protocols = None  # stream protocols on an HTTP Ingress: the annotation is discarded
    if a.get(FORCE_SSL_REDIRECT, "").strip() == "true":  # KIC compares with exactly "true"
        t.redirect_code = 302
        protocols = protocols or ["https"]
    if "konghq.com/https-redirect-status-code" in a:
        code = or_default(p.parse_redirect_code, a["konghq.com/https-redirect-status-code"], default=None)
        t.redirect_code = code if code is not None else t.redirect_code
    if protocols:
        t.protocols = frozenset(protocols)
    if flavor != RouterFlavor.EXPRESSIONS and "konghq.com/regex-priority" in a:
        t.regex_priority = or_default(p.parse_int, a["konghq.com/regex-priority"], default=0)
    t.regex_prefix = a.get("konghq.com/regex-prefix", "").strip() or p.DEFAULT_REGEX_PREFIX
    grpc_only = t.protocols <= {"grpc", "grpcs"}
    # KIC drops strip_path on gRPC routes
    t.strip_path = not grpc_only and or_default(p.parse_bool, a.get("konghq.com/strip-path", "false"), default=False)
    t.rewrite = parse_rewrite(a["konghq.com/rewrite"]) if "konghq.com/rewrite" in a else None
    t.extra_hosts.extend(parse_host_aliases(a.get("konghq.com/host-aliases", "")))
    if "konghq.com/plugins" in a:
        refs = or_default(p.parse_plugins, a["konghq.com/plugins"], default=[])
        t.plugins = tuple(sorted({resolve_plugin(inventory, ref.namespace or ing.meta.namespace, ref.name,
                                                 explicit_namespace=ref.namespace is not None) for ref in refs}))
    return t


def parse_host_aliases(value: str) -> list[str]:
    """Kong hosts: DNS names with an optional leading `*.` or trailing `.*`; one invalid alias discards all."""
    aliases = [h.lower() for h in p.split_list(value)]
    for alias in aliases:
        plain = alias[:-2] + ".x" if alias.endswith(".*") else alias
        if hostname_problem(plain):
            return []
    return aliases


def parse_rewrite(value: str) -> str | None:
    """konghq.com/rewrite as KIC reads it: `$n` is capture n, `\\$` a literal `$`; any other `$` makes KIC
    ignore the annotation.  Returned in the `$n` template form with literal dollars kept as `$$`."""
    value = value.strip()
    if not value.startswith("/"):
        return None
    out: list[str] = []
    i = 0
    while i < len(value):
        c = value[i]
        if c == "\\" and value[i + 1:i + 2] == "$":
            out.append("$$")
            i += 2
            continue
        if c == "$":
            digits = re.match(r"\d+", value[i + 1:])
            if digits is None:
                return None
            out.append("$" + digits.group(0))
            i += 1 + len(digits.group(0))
            continue
        out.append(c)
        i += 1
    return "".join(out)


def resolve_plugin(inventory: Inventory, namespace: str, name: str, *, explicit_namespace: bool = False) -> str:
    """KIC's lookup: a KongPlugin in the namespace, else a KongClusterPlugin of that name."""
    if explicit_namespace or inventory.plugin(namespace, name) is not None:
        return f"KongPlugin {namespace}/{name}"
    if inventory.cluster_plugin(name) is not None:
        return f"KongClusterPlugin {name}"
    return f"KongPlugin {namespace}/{name}"


def _collapse(path: str) -> str:
    return re.sub(r"/{2,}", "/", path or "/")


def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def kong_uris(path: str, path_type: str, regex_prefix: str, flavor: RouterFlavor) -> tuple[tuple[KongUri, ...], PathShape]:
    """The Kong path matchers of one Ingress path (REFERENCE §2.1) and its probe shape; () when Kong rejects it."""
    path = _collapse(path)
    expressions = flavor == RouterFlavor.EXPRESSIONS
    if path_type == "ImplementationSpecific" and regex_prefix and path.startswith(regex_prefix):
        pattern = path[len(regex_prefix):]
        rx = _compile(pattern) if pattern else None
        return ((KongUri(REGEX, pattern, rx),) if rx else ()), PathShape(REGEX, pattern)
    if path_type == "Exact":
        if expressions:
            return (KongUri(EXACT, path),), PathShape(EXACT, path)
        rx = _compile(path + "$")
        return ((KongUri(REGEX, path + "$", rx),) if rx else ()), PathShape(EXACT, path)
    if path_type == "Prefix":
        trimmed = path.rstrip("/") or "/"
        if trimmed == "/":
            return (KongUri(PREFIX, "/"),), PathShape(PREFIX, "/")
        if expressions:
            return (KongUri(EXACT, trimmed), KongUri(PREFIX, trimmed + "/")), PathShape(PREFIX, trimmed)
        rx = _compile(trimmed + "$")
        regex = (KongUri(REGEX, trimmed + "$", rx),) if rx else ()
        return (*regex, KongUri(PREFIX, trimmed + "/")), PathShape(PREFIX, trimmed)
    return (KongUri(PREFIX, path),), PathShape(PREFIX, path)


def _backend(ref: BackendRef, namespace: str, inventory: Inventory) -> str | None:
    """`namespace/service:port`; None when a named port cannot be resolved (KIC then builds no route)."""
    if ref.port_number is not None:
        return f"{namespace}/{ref.service}:{ref.port_number}"
    svc = inventory.service(namespace, ref.service)
    for port in svc.ports if svc else []:
        if port.name == ref.port_name:
            return f"{namespace}/{ref.service}:{port.port}"
    return None


@dataclass
class KongTable:
    flavor: RouterFlavor
    routes: list[KongRoute] = field(default_factory=list)
    cert_hosts: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    _index: HostIndex[KongRoute] = field(default_factory=HostIndex)

    def index(self) -> None:
        self._index = HostIndex()
        for r in self.routes:
            self._index.add(r.hosts, r)

    def shapes(self) -> list[RouteShape]:
        return [r.shape() for r in self.routes]

    def has_certificate(self, host: str) -> bool:
        if host in self.cert_hosts:
            return True
        _, _, parent = host.partition(".")
        return bool(parent) and f"*.{parent}" in self.cert_hosts

    def route(self, req: Request) -> Outcome:
        if req.scheme == HTTPS and not self.has_certificate(req.host):
            return Outcome(NO_TLS, detail="Kong has no certificate for this SNI; it serves its default one")
        best: tuple[tuple[object, ...], KongRoute, int, re.Match[str] | None] | None = None
        for r in self._index.lookup(req.host):
            hit = self._match(r, req)
            if hit is None:
                continue
            idx, length, m = hit
            key = self._priority(r, idx)
            if best is None or key < best[0]:
                best = (key, r, length, m)
        if best is None:
            return not_found()
        _, r, length, m = best
        return self._outcome(r, req, length, m)

    def _match(self, r: KongRoute, req: Request) -> tuple[int, int, re.Match[str] | None] | None:
        # the host index only returns routes one of whose hosts matches
        if r.methods and req.method not in r.methods:
            return None
        if r.grpc and req.method != GRPC_METHOD:
            return None  # only gRPC clients (POST) use gRPC routes
        ci = self.flavor != RouterFlavor.EXPRESSIONS
        for name, values in r.headers:
            got = req.header(name)
            if got is None or not any(_header_value_matches(v, got, ci) for v in values):
                return None
        if req.scheme == HTTPS and not r.protocols & HTTPS_PROTOCOLS:
            return None
        for idx, uri in enumerate(r.uris):
            hit = uri.match(req.path)
            if hit is not None:
                return idx, hit[0], hit[1]
        return None

    def _priority(self, r: KongRoute, idx: int) -> tuple[object, ...]:
        uri = r.uris[idx]
        is_regex = uri.kind == REGEX
        n_headers = len(r.headers)
        if self.flavor == RouterFlavor.EXPRESSIONS:
            host_len = max((len(h) for h in r.hosts), default=0)
            return (-r.plain_hosts_only, -host_len, -n_headers, -(r.shape_path.kind == REGEX),
                    -r.raw_path_length, r.order, idx)
        bits = [(_HOST, bool(r.hosts)), (_HEADER, bool(r.headers)), (_URI, True), (_METHOD, bool(r.methods))]
        count = sum(1 for _, on in bits if on)
        mask = sum(b for b, on in bits if on)
        return (-count, -mask, -r.plain_hosts_only, -is_regex, -n_headers,
                -(r.regex_priority if is_regex else 0), -(len(uri.value) if uri.kind == PREFIX else 0),
                r.order, idx)

    def _outcome(self, r: KongRoute, req: Request, length: int, m: re.Match[str] | None) -> Outcome:
        sources = (r.source,)
        if req.scheme == HTTP and not r.protocols & HTTP_PROTOCOLS:
            code = r.redirect_code
            if code in REDIRECT_CODES:
                return Outcome(REDIRECT, status=code, location=f"https://{req.host}{req.path}", sources=sources)
            return Outcome(STATUS, status=426, detail="the route accepts HTTPS only", sources=sources)
        upstream: str | None = None
        if r.rewrite is not None:
            upstream = substitute_captures(r.rewrite, m, kong_syntax=False)
        elif r.strip_path:
            upstream = strip_prefix(req.path, length)
        if upstream == req.path:
            upstream = None
        return Outcome(BACKEND, backends=normalize_weights([(r.backend, 1)]), upstream_path=upstream,
                       plugins=r.plugins, sources=sources)


def _header_value_matches(v: p.HeaderValue, got: str, case_insensitive: bool) -> bool:
    if case_insensitive:
        got = got.lower()
    if v.regex:
        rx = _compile(v.value)
        return bool(rx and rx.search(got))
    return got == (v.value.lower() if case_insensitive else v.value)


def build_kong_table(docs: Sequence[SourceDoc], options: VerifyOptions) -> KongTable:
    report = Report()
    inventory = build_inventory(docs, report)
    conv = ConvertOptions(ingress_classes=options.ingress_classes, router_flavor=options.router_flavor)
    ingresses = select_ingresses(inventory, conv, report)
    table = KongTable(options.router_flavor)
    default_done = False
    for order, ing in enumerate(ingresses):  # oldest first
        src = ing.meta.source.object_id
        for entry in ing.tls:
            if entry.secret_name:
                table.cert_hosts.update(entry.hosts)
        traits = _traits(ing, inventory, options.router_flavor)
        if traits.host_header:
            table.notes.append(f"{src}: a konghq.com/headers.host annotation makes Kong's route schema reject "
                               "this Ingress's routes")
            continue
        for rule in ing.rules:
            # KIC appends host aliases to the route's hosts, also when the rule has none (then only they match)
            hosts = tuple(dict.fromkeys([*([rule.host] if rule.host else []), *traits.extra_hosts]))
            for path in rule.paths:
                _add_path(table, ing, path, hosts, traits, inventory, order, src)
        if not default_done and (ing.default_backend is not None or ing.default_backend_resource is not None):
            default_done = True  # only the oldest Ingress's default backend counts (REFERENCE §2.6)
            backend = _backend(ing.default_backend, ing.meta.namespace, inventory) if ing.default_backend else None
            if backend is not None:
                table.routes.append(KongRoute(
                    source=f"{src} spec.defaultBackend", order=order, hosts=(), uris=(KongUri(PREFIX, "/"),),
                    shape_path=PathShape(PREFIX, "/"), raw_path_length=1, backend=backend))
    table.index()
    return table


def _add_path(table: KongTable, ing: Ingress, path: IngressPath, hosts: tuple[str, ...], traits: _Traits,
              inventory: Inventory, order: int, src: str) -> None:
    if path.backend is None:
        table.notes.append(f"{src} {path.field}: resource backend; Kong's controller does not route it")
        return
    backend = _backend(path.backend, ing.meta.namespace, inventory)
    if backend is None:
        table.notes.append(f"{src} {path.field}: the backend's named port cannot be resolved; Kong gets no route")
        return
    uris, shape = kong_uris(path.path, path.path_type, traits.regex_prefix, table.flavor)
    if not uris:
        table.notes.append(f"{src} {path.field}: path {path.path!r} is not a valid Kong regex; Kong rejects it")
        return
    table.routes.append(KongRoute(
        source=f"{src} {path.field}", order=order, hosts=hosts, uris=uris, shape_path=shape,
        raw_path_length=len(path.path), backend=backend,
        methods=traits.methods, headers=tuple(sorted(traits.headers.items())), protocols=traits.protocols,
        redirect_code=traits.redirect_code, regex_priority=traits.regex_priority, strip_path=traits.strip_path,
        rewrite=traits.rewrite, plugins=traits.plugins,
    ))
