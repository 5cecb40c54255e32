"""How a conformant Gateway API implementation routes the HTTPRoutes/GRPCRoutes attached to the Gateway ("after").

Where the Gateway API specification is definite the model follows it; where it leaves a choice to the
implementation, it follows Kong's controller (KIC), the implementation this migration targets:

* Listener: the request's protocol (HTTP / HTTPS) and the most specific listener hostname matching the
  Host / SNI (exact, then the longest wildcard, then none).  No HTTPS listener for the SNI: outcome
  `no-tls`.  Listeners of the same protocol and hostname on several Gateways (the converter splits at 64
  listeners; REFERENCE §5.2: one Kong proxy serves them all) are merged.
* Attachment (REFERENCE §5.4; apis/v1/shared_types.go ParentReference): parentRef group/kind/namespace/
  name, optional sectionName and port; the listener's allowedRoutes (namespaces Same / All / Selector on
  `kubernetes.io/metadata.name` — selectors on other labels cannot be evaluated offline and are taken as
  admitting — and kinds); route and listener hostnames must intersect, and the route is narrowed to the
  intersection (apis/v1/httproute_types.go, `hostnames`).
* Precedence (apis/v1/httproute_types.go, HTTPRouteRule.matches): the HTTPRoute with the longest matching
  non-wildcard hostname, then the longest matching hostname; then "Exact" path, "Prefix" path with the
  largest number of characters, method match, largest number of header matches, of query param matches;
  then the oldest Route, then "{namespace}/{name}" order, then the first matching rule.
  "The precedence of RegularExpression path matches are implementation-specific": Kong evaluates regex
  paths before prefix paths, so RegularExpression ranks after Exact and before every PathPrefix, and
  among regexes the kept `konghq.com/regex-priority` annotation (honoured by KIC, REFERENCE §1.1) decides.
* Matching: PathPrefix matches whole path elements, a trailing `/` ignored; Exact is exact; header names are
  case-insensitive.  Header values: the spec's Exact match is case-sensitive, but KIC hands header matches to
  the Kong router, which compares values case-insensitively in the traditional flavors (Kong/kong PR #11905);
  the model follows the router of the chosen flavor, so only expressions compares them case-sensitively
  (with a strictly conformant implementation, `GOLD` would no longer match `gold`).  RegularExpression syntax and
  anchoring are implementation-specific: KIC hands the regex to Kong, which anchors it at the start only
  (REFERENCE §2.1); header regexes are unanchored searches.  Query param matches never match (probes
  carry no query string) but count for precedence.
* Filters: RequestRedirect (statusCode default 302, unset port = the scheme's well-known port), URLRewrite
  path (ReplaceFullPath, ReplacePrefixMatch), ExtensionRef KongPlugins (the outcome's plugins; a
  generated `request-transformer` with `replace.uri` is a rewrite).  A rule without usable backendRefs
  answers 500 (HTTPRouteRule.backendRefs).  Cross-namespace backendRefs need a ReferenceGrant.
* Kong annotations kept on routes are honoured as KIC honours them (REFERENCE §1.1): `strip-path`,
  `plugins`, `regex-priority`, `protocols` + `https-redirect-status-code`.  KIC derives a route's protocols
  from its parent listeners (REFERENCE §1.1, KIC 3.5.7): plain HTTP matching a route bound to HTTPS
  listeners only gets 426, as on Kong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from migrate.annotations import parse as p
from migrate.convert.options import RouterFlavor
from migrate.verify.hostindex import HostIndex
from migrate.verify.kong_model import or_default, parse_host_aliases
from migrate.verify.outcome import (
    BACKEND,
    HTTP,
    HTTPS,
    NO_TLS,
    REDIRECT,
    STATUS,
    Outcome,
    Request,
    host_matches,
    normalize_weights,
    not_found,
    strip_prefix,
    substitute_captures,
)
from migrate.verify.probes import GRPC_METHOD
from migrate.verify.shapes import EXACT, PREFIX, REGEX, PathShape, RouteShape

GROUP = "gateway.networking.k8s.io"
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute")
MANAGED_BY = ("app.kubernetes.io/managed-by", "kong-gateway-migrate")
DEFAULT_PORTS = {HTTP: 80, HTTPS: 443}
PluginResolver = Callable[[str, str, bool], str]


def _default_resolver(namespace: str, name: str, explicit: bool) -> str:
    return f"KongPlugin {namespace}/{name}"


@dataclass(frozen=True)
class Listener:
    gateway: tuple[str, str]  # (namespace, name)
    name: str
    protocol: str
    port: int
    hostname: str | None
    allowed_from: str
    allowed_names: frozenset[str] | None  # Selector on kubernetes.io/metadata.name; None: not evaluable
    allowed_kinds: tuple[str, ...]

    def admits(self, kind: str, namespace: str) -> bool:
        if kind not in self.allowed_kinds:
            return False
        if self.allowed_from == "All":
            return True
        if self.allowed_from == "Selector":
            return self.allowed_names is None or namespace in self.allowed_names
        return namespace == self.gateway[0]


@dataclass(frozen=True)
class GwMatch:
    kind: str  # exact | prefix | regex | none (GRPC without method match)
    value: str
    regex: re.Pattern[str] | None
    method: str | None
    headers: tuple[tuple[str, str, re.Pattern[str] | None], ...]
    n_query: int

    def match_path(self, path: str) -> tuple[int, re.Match[str] | None] | None:
        if self.kind == EXACT:
            return (len(path), None) if path == self.value else None
        if self.kind == REGEX:
            if self.regex is None:
                return None
            m = self.regex.match(path)
            return (m.end(), m) if m else None
        base = self.value.rstrip("/")
        if path == base or path.startswith(base + "/") or not base:
            return len(base), None
        return None


@dataclass(frozen=True)
class GwRule:
    index: int
    matches: tuple[GwMatch, ...]
    backends: tuple[tuple[str, int], ...]
    invalid_backends: tuple[str, ...]
    redirect: dict[str, Any] | None
    url_rewrite: dict[str, Any] | None
    plugins: tuple[str, ...]
    rewrite_template: str | None  # from a generated request-transformer KongPlugin


@dataclass
class GwRoute:
    kind: str
    namespace: str
    name: str
    created: str
    hostnames: tuple[str, ...]
    parent_refs: list[dict[str, Any]]
    rules: list[GwRule]
    strip_path: bool = False
    regex_priority: int = 0
    protocols: frozenset[str] | None = None
    redirect_code: int | None = None
    plugins: tuple[str, ...] = ()
    kept_methods: frozenset[str] = frozenset()  # konghq.com/methods kept on the route (traditional flavors)
    kept_aliases: tuple[str, ...] = ()  # konghq.com/host-aliases kept on the route (traditional flavors)
    kept_headers: tuple[tuple[str, tuple[p.HeaderValue, ...]], ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"

    def shapes(self) -> list[RouteShape]:
        out: list[RouteShape] = []
        for rule in self.rules:
            for m in rule.matches:
                kind = PREFIX if m.kind == "none" else m.kind
                headers: list[tuple[str, tuple[tuple[str, bool], ...]]] = [
                    (n, ((v, rx is not None),)) for n, v, rx in m.headers]
                headers += [(n, tuple((v.value, v.regex) for v in vs)) for n, vs in self.kept_headers]
                out.append(RouteShape(
                    hosts=self.hostnames, paths=(PathShape(kind, m.value),),
                    methods=(m.method,) if m.method else tuple(sorted(self.kept_methods)),
                    headers=tuple(headers), grpc=self.kind == "GRPCRoute",
                ))
        return out


@dataclass(frozen=True)
class Attached:
    route: GwRoute
    hostnames: tuple[str, ...]  # narrowed to the listener; empty: any host
    https_only: bool  # every listener the route attached to is HTTPS


def _intersect(listener_host: str | None, route_host: str) -> str | None:
    if not listener_host or listener_host == route_host:
        return route_host
    if host_matches(listener_host, route_host):
        return route_host
    if host_matches(route_host, listener_host):
        return listener_host
    return None


def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _listener(gw: tuple[str, str], raw: dict[str, Any]) -> Listener:
    allowed = _dict(raw.get("allowedRoutes"))
    ns = _dict(allowed.get("namespaces"))
    frm = str(ns.get("from") or "Same")
    names: frozenset[str] | None = None
    if frm == "Selector":
        selector = _dict(ns.get("selector"))
        labels = _dict(selector.get("matchLabels"))
        exprs = _list(selector.get("matchExpressions"))
        keys = set(labels) | {_dict(e).get("key") for e in exprs}
        if keys == {"kubernetes.io/metadata.name"} or not keys:
            allowed_set: set[str] | None = None
            if "kubernetes.io/metadata.name" in labels:
                allowed_set = {str(labels["kubernetes.io/metadata.name"])}
            for e in map(_dict, exprs):
                values = {str(v) for v in _list(e.get("values"))}
                if e.get("operator") == "In":
                    allowed_set = values if allowed_set is None else allowed_set & values
            names = frozenset(allowed_set) if allowed_set is not None else None
    kinds = tuple(str(_dict(k).get("kind")) for k in _list(allowed.get("kinds"))) or ROUTE_KINDS
    return Listener(gateway=gw, name=str(raw.get("name") or ""), protocol=str(raw.get("protocol") or ""),
                    port=int(raw.get("port") or 0), hostname=raw.get("hostname") or None,
                    allowed_from=frm, allowed_names=names, allowed_kinds=kinds)


@dataclass
class GatewayTable:
    header_case_insensitive: bool = True
    listeners: list[Listener] = field(default_factory=list)
    routes: list[GwRoute] = field(default_factory=list)
    attached: dict[tuple[tuple[str, str], str], list[Attached]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _listener_index: dict[str, HostIndex[Listener]] = field(default_factory=dict)
    _route_index: dict[tuple[tuple[str, str], str], HostIndex[Attached]] = field(default_factory=dict)
    _candidate_memo: dict[tuple[tuple[int, ...], str], list[tuple[Attached, tuple[int, int]]]] = \
        field(default_factory=dict)

    def index(self) -> None:
        self._listener_index = {}
        for lst in self.listeners:
            self._listener_index.setdefault(lst.protocol, HostIndex()).add([lst.hostname] if lst.hostname else [], lst)
        self._route_index = {}
        self._candidate_memo = {}
        for key, entries in self.attached.items():
            idx: HostIndex[Attached] = HostIndex()
            for att in entries:
                idx.add(att.hostnames, att)
            self._route_index[key] = idx

    def shapes(self) -> list[RouteShape]:
        return [s for r in self.routes for s in r.shapes()]

    def route(self, req: Request) -> Outcome:
        protocol = "HTTPS" if req.scheme == HTTPS else "HTTP"
        chosen = self._listeners(protocol, req.host)
        if not chosen:
            if req.scheme == HTTPS:
                return Outcome(NO_TLS, detail="no HTTPS listener for this host")
            return not_found("no HTTP listener for this host")
        wildcard = chosen[0].hostname
        if req.scheme == HTTPS and wildcard and wildcard.startswith("*.") and \
                req.host[:-len(wildcard) + 1].count(".") > 0:
            # the listener's certificate is issued for its hostname; an X.509 wildcard covers one label
            return Outcome(NO_TLS, detail=f"the certificate of listener {chosen[0].name} ({wildcard}) does not cover it")
        best = self._best(chosen, req)
        if best is None:
            if req.scheme == HTTP:
                https = self._listeners("HTTPS", req.host)
                other = self._best(https, req) if https else None
                if other is not None and other[1].https_only:
                    return Outcome(STATUS, status=426, detail="the route is bound to HTTPS listeners only",
                                   sources=(f"{other[1].route.ref} rules[{other[2].index}]",))
            return not_found()
        _, att, rule, m, length, rx = best
        return self._outcome(att, rule, m, length, rx, req)

    def _listeners(self, protocol: str, host: str) -> list[Listener]:
        index = self._listener_index.get(protocol)
        fitting = index.lookup(host) if index else []
        if not fitting:
            return []

        def rank(lst: Listener) -> tuple[int, int]:
            if lst.hostname is None:
                return (2, 0)
            return (1, -len(lst.hostname)) if lst.hostname.startswith("*") else (0, 0)

        top = min(rank(lst) for lst in fitting)
        return [lst for lst in fitting if rank(lst) == top]

    def _candidates(self, listeners: list[Listener], host: str) -> list[tuple[Attached, tuple[int, int]]]:
        key = (tuple(id(lst) for lst in listeners), host)
        cached = self._candidate_memo.get(key)
        if cached is None:
            cached = []
            for lst in listeners:
                index = self._route_index.get((lst.gateway, lst.name))
                for att in index.lookup(host) if index else []:
                    host_rank = _host_rank(att.hostnames, host)
                    if host_rank is not None:
                        cached.append((att, host_rank))
            self._candidate_memo[key] = cached
        return cached

    def _best(self, listeners: list[Listener], req: Request) -> tuple[Any, ...] | None:
        best: tuple[Any, ...] | None = None
        for att, host_rank in self._candidates(listeners, req.host):
            r = att.route
            if not self._kept_conditions(r, req) or r.kind == "GRPCRoute" and req.method != GRPC_METHOD:
                continue
            for rule in r.rules:
                for mi, m in enumerate(rule.matches):
                    hit = _match(m, req, self.header_case_insensitive)
                    if hit is None:
                        continue
                    length, rx = hit
                    cls = {EXACT: 0, REGEX: 1}.get(m.kind, 2)
                    key = (host_rank, cls, -(length if cls == 2 else 0),
                           -(r.regex_priority if cls == 1 else 0), -(m.method is not None), -len(m.headers),
                           -m.n_query, r.created or "~", f"{r.namespace}/{r.name}", r.kind, rule.index, mi)
                    if best is None or key < best[0]:
                        best = (key, att, rule, m, length, rx)
        return best

    def _kept_conditions(self, r: GwRoute, req: Request) -> bool:
        if r.kept_methods and req.method not in r.kept_methods:
            return False
        for name, values in r.kept_headers:
            got = req.header(name)
            if got is None or not any(
                    _value_matches(v.value, _compile(v.value) if v.regex else None, got, self.header_case_insensitive)
                    for v in values):
                return False
        return True

    def _outcome(self, att: Attached, rule: GwRule, m: GwMatch, length: int, rx: re.Match[str] | None,
                 req: Request) -> Outcome:
        r = att.route
        sources = (f"{r.ref} rules[{rule.index}]",)
        if req.scheme == HTTP and r.protocols is not None and not r.protocols & {"http", "ws", "grpc"}:
            code = r.redirect_code
            if code in (301, 302, 307, 308):
                return Outcome(REDIRECT, status=code, location=f"https://{req.host}{req.path}", sources=sources)
            return Outcome(STATUS, status=426, detail="konghq.com/protocols accepts HTTPS only", sources=sources)
        if rule.redirect is not None:
            return _redirect(rule.redirect, m, length, req, sources)
        upstream: str | None = None
        if rule.url_rewrite is not None:
            path = _dict(rule.url_rewrite.get("path"))
            if path.get("type") == "ReplaceFullPath":
                upstream = str(path.get("replaceFullPath") or "/")
            elif path.get("type") == "ReplacePrefixMatch" and m.kind == PREFIX:
                upstream = _replace_prefix(req.path, m.value, str(path.get("replacePrefixMatch") or "/"))
        if rule.rewrite_template is not None:
            upstream = substitute_captures(rule.rewrite_template, rx, kong_syntax=True)
        elif upstream is None and r.strip_path:
            upstream = strip_prefix(req.path, length)
        if upstream == req.path:
            upstream = None
        if not rule.backends:
            why = "no usable backendRefs" + (f" ({', '.join(rule.invalid_backends)})" if rule.invalid_backends else "")
            return Outcome(STATUS, status=500, detail=why, sources=sources)
        plugins = tuple(sorted(set(rule.plugins) | set(r.plugins)))
        return Outcome(BACKEND, backends=normalize_weights(list(rule.backends)), upstream_path=upstream,
                       plugins=plugins, sources=sources)


def _host_rank(hostnames: tuple[str, ...], host: str) -> tuple[int, int] | None:
    if not hostnames:
        return (0, 0)
    ranks = [(-(0 if h.startswith("*") else len(h)), -len(h)) for h in hostnames if host_matches(h, host)]
    return min(ranks) if ranks else None


def _value_matches(value: str, rx: re.Pattern[str] | None, got: str, case_insensitive: bool) -> bool:
    if case_insensitive:
        got = got.lower()
    if rx is not None:
        return bool(rx.search(got))
    return got == (value.lower() if case_insensitive else value)


def _match(m: GwMatch, req: Request, header_ci: bool) -> tuple[int, re.Match[str] | None] | None:
    if m.n_query:
        return None
    if m.method is not None and m.method != req.method:
        return None
    for name, value, rx in m.headers:
        got = req.header(name)
        if got is None or not _value_matches(value, rx, got, header_ci):
            return None
    return m.match_path(req.path)


def _replace_prefix(path: str, prefix: str, replacement: str) -> str:
    rest = path[len(prefix.rstrip("/")):]
    if not rest:
        return replacement
    return replacement.rstrip("/") + rest if rest.startswith("/") else replacement.rstrip("/") + "/" + rest


def _redirect(f: dict[str, Any], m: GwMatch, length: int, req: Request, sources: tuple[str, ...]) -> Outcome:
    scheme = str(f.get("scheme") or req.scheme)
    host = str(f.get("hostname") or req.host)
    port = f.get("port")
    path = req.path
    pf = _dict(f.get("path"))
    if pf.get("type") == "ReplaceFullPath":
        path = str(pf.get("replaceFullPath") or "/")
    elif pf.get("type") == "ReplacePrefixMatch" and m.kind == PREFIX:
        path = _replace_prefix(req.path, m.value, str(pf.get("replacePrefixMatch") or "/"))
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    return Outcome(REDIRECT, status=int(f.get("statusCode") or 302), location=f"{scheme}://{netloc}{path}",
                   sources=sources)


def _http_match(raw: dict[str, Any]) -> GwMatch:
    path = _dict(raw.get("path"))
    ptype = str(path.get("type") or "PathPrefix")
    value = str(path.get("value") or "/")
    kind = {"Exact": EXACT, "RegularExpression": REGEX}.get(ptype, PREFIX)
    return GwMatch(kind=kind, value=value, regex=_compile(value) if kind == REGEX else None,
                   method=str(raw["method"]) if raw.get("method") else None,
                   headers=_headers(raw), n_query=len(_list(raw.get("queryParams"))))


def _grpc_match(raw: dict[str, Any]) -> GwMatch:
    method = _dict(raw.get("method"))
    svc, meth = str(method.get("service") or ""), str(method.get("method") or "")
    regex_type = method.get("type") == "RegularExpression"
    if svc and meth and not regex_type:
        kind, value = EXACT, f"/{svc}/{meth}"
    elif svc and not meth and not regex_type:
        kind, value = PREFIX, f"/{svc}"
    elif svc or meth:
        kind, value = REGEX, f"/{svc or '[^/]+'}/{meth or '[^/]+'}$"
    else:
        kind, value = "none", "/"
    return GwMatch(kind=PREFIX if kind == "none" else kind, value=value,
                   regex=_compile(value) if kind == REGEX else None, method=None,
                   headers=_headers(raw), n_query=0)


def _headers(raw: dict[str, Any]) -> tuple[tuple[str, str, re.Pattern[str] | None], ...]:
    out = []
    for h in map(_dict, _list(raw.get("headers"))):
        value = str(h.get("value") or "")
        rx = _compile(value) if h.get("type") == "RegularExpression" else None
        out.append((str(h.get("name") or "").lower(), value, rx))
    return tuple(sorted(out, key=lambda x: x[0]))


def build_gateway_table(objects: Sequence[dict[str, Any]], resolve_plugin: PluginResolver = _default_resolver,
                        flavor: RouterFlavor = RouterFlavor.TRADITIONAL) -> GatewayTable:
    table = GatewayTable(header_case_insensitive=flavor != RouterFlavor.EXPRESSIONS)
    generated: dict[tuple[str, str], str] = {}
    grants: list[tuple[str, dict[str, Any]]] = []
    raw_routes: list[dict[str, Any]] = []
    for obj in objects:
        kind = obj.get("kind")
        meta = _meta(obj)
        ns = str(meta.get("namespace") or "default")
        if kind == "Gateway":
            gw = (ns, str(meta.get("name") or ""))
            table.listeners.extend(_listener(gw, _dict(raw)) for raw in _list(_dict(obj.get("spec")).get("listeners")))
        elif kind in ROUTE_KINDS:
            raw_routes.append(obj)
        elif kind == "ReferenceGrant":
            grants.append((ns, _dict(obj.get("spec"))))
        elif kind == "KongPlugin":
            labels = _dict(meta.get("labels"))
            uri = _dict(_dict(obj.get("config")).get("replace")).get("uri")
            if labels.get(MANAGED_BY[0]) == MANAGED_BY[1] and obj.get("plugin") == "request-transformer" and uri:
                generated[(ns, str(meta.get("name")))] = str(uri)
    for obj in raw_routes:
        table.routes.append(_route(obj, generated, grants, resolve_plugin, flavor))
    _attach(table)
    table.index()
    return table


def _granted(grants: list[tuple[str, dict[str, Any]]], kind: str, from_ns: str, to_ns: str, name: str) -> bool:
    for ns, spec in grants:
        if ns != to_ns:
            continue
        froms = [_dict(f) for f in _list(spec.get("from"))]
        tos = [_dict(t) for t in _list(spec.get("to"))]
        if any(f.get("group") == GROUP and f.get("kind") == kind and f.get("namespace") == from_ns for f in froms) and \
                any((t.get("group") or "") == "" and t.get("kind") == "Service" and t.get("name") in (None, "", name)
                    for t in tos):
            return True
    return False


def _route(obj: dict[str, Any], generated: dict[tuple[str, str], str], grants: list[tuple[str, dict[str, Any]]],
           resolve_plugin: PluginResolver, flavor: RouterFlavor) -> GwRoute:
    meta = _meta(obj)
    spec = _dict(obj.get("spec"))
    kind = str(obj.get("kind"))
    ns = str(meta.get("namespace") or "default")
    annotations = {str(k): str(v) for k, v in _dict(meta.get("annotations")).items()}
    route = GwRoute(kind=kind, namespace=ns, name=str(meta.get("name") or ""),
                    created=str(meta.get("creationTimestamp") or ""),
                    hostnames=tuple(str(h) for h in _list(spec.get("hostnames"))),
                    parent_refs=[_dict(x) for x in _list(spec.get("parentRefs"))], rules=[])
    _kept_annotations(route, annotations, resolve_plugin)
    if flavor != RouterFlavor.EXPRESSIONS:  # KIC ignores these on Gateway API routes in expressions mode (§1.4)
        _kept_matches(route, annotations)
    else:
        route.regex_priority = 0
    for i, raw in enumerate(map(_dict, _list(spec.get("rules")))):
        raw_matches = [_dict(x) for x in _list(raw.get("matches"))] or [{}]
        matches = tuple((_grpc_match if kind == "GRPCRoute" else _http_match)(x) for x in raw_matches)
        backends: list[tuple[str, int]] = []
        invalid: list[str] = []
        for b in map(_dict, _list(raw.get("backendRefs"))):
            bns = str(b.get("namespace") or ns)
            name = f"{bns}/{b.get('name')}:{b.get('port')}"
            weight = int(b.get("weight", 1))
            if (b.get("group") or "") != "" or (b.get("kind") or "Service") != "Service" or b.get("port") is None:
                invalid.append(f"{name} is not a Service reference with a port")
            elif bns != ns and not _granted(grants, kind, ns, bns, str(b.get("name"))):
                invalid.append(f"{name} is in another namespace without a ReferenceGrant")
            else:
                backends.append((name, weight))
        redirect = url_rewrite = None
        plugins: list[str] = []
        template: str | None = None
        for f in map(_dict, _list(raw.get("filters"))):
            if f.get("type") == "RequestRedirect":
                redirect = _dict(f.get("requestRedirect"))
            elif f.get("type") == "URLRewrite":
                url_rewrite = _dict(f.get("urlRewrite"))
            elif f.get("type") == "ExtensionRef":
                ext = _dict(f.get("extensionRef"))
                pname = str(ext.get("name"))
                if (ns, pname) in generated:
                    template = generated[(ns, pname)]
                else:
                    plugins.append(f"{ext.get('kind')} {ns}/{pname}")
        route.rules.append(GwRule(index=i, matches=matches, backends=tuple(b for b in backends if b[1] > 0),
                                  invalid_backends=tuple(invalid), redirect=redirect, url_rewrite=url_rewrite,
                                  plugins=tuple(plugins), rewrite_template=template))
    return route


def _kept_annotations(route: GwRoute, a: dict[str, str], resolve_plugin: PluginResolver) -> None:
    route.strip_path = or_default(p.parse_bool, a.get("konghq.com/strip-path", "false"), default=False)
    route.regex_priority = or_default(p.parse_int, a.get("konghq.com/regex-priority", "0"), default=0)
    if "konghq.com/protocols" in a:
        protocols = or_default(p.parse_protocols, a["konghq.com/protocols"], default=None)
        route.protocols = frozenset(protocols) if protocols else None
    if "konghq.com/https-redirect-status-code" in a:
        route.redirect_code = or_default(p.parse_redirect_code, a["konghq.com/https-redirect-status-code"],
                                         default=None)
    if "konghq.com/plugins" in a:
        refs = or_default(p.parse_plugins, a["konghq.com/plugins"], default=[])
        route.plugins = tuple(sorted({resolve_plugin(ref.namespace or route.namespace, ref.name,
                                                     ref.namespace is not None) for ref in refs}))


def _kept_matches(route: GwRoute, a: dict[str, str]) -> None:
    route.kept_aliases = tuple(parse_host_aliases(a.get("konghq.com/host-aliases", "")))
    if "konghq.com/methods" in a:
        route.kept_methods = frozenset(or_default(p.parse_methods, a["konghq.com/methods"], default=[]))
    sep = a.get(p.HEADERS_SEPARATOR, ",").strip() or ","
    headers = []
    for key in sorted(a):
        if key.startswith(p.HEADERS_PREFIX):
            values = or_default(p.parse_header_values, a[key], sep, default=[])
            if values:
                headers.append((key[len(p.HEADERS_PREFIX):].lower(), tuple(values)))
    route.kept_headers = tuple(headers)


def _attach(table: GatewayTable) -> None:
    by_gateway: dict[tuple[str, str], list[Listener]] = {}
    for lst in table.listeners:
        by_gateway.setdefault(lst.gateway, []).append(lst)
    for r in table.routes:
        bound: list[tuple[Listener, tuple[str, ...]]] = []
        for ref in r.parent_refs:
            if (ref.get("group") or GROUP) != GROUP or (ref.get("kind") or "Gateway") != "Gateway":
                continue
            gw = (str(ref.get("namespace") or r.namespace), str(ref.get("name") or ""))
            for lst in by_gateway.get(gw, []):
                if ref.get("sectionName") and ref["sectionName"] != lst.name:
                    continue
                if ref.get("port") and int(ref["port"]) != lst.port:
                    continue
                if lst.protocol not in ("HTTP", "HTTPS") or not lst.admits(r.kind, r.namespace):
                    continue
                if r.hostnames:
                    narrowed = tuple(dict.fromkeys(h for h in (_intersect(lst.hostname, rh) for rh in r.hostnames) if h))
                    if not narrowed:
                        continue
                else:
                    narrowed = (lst.hostname,) if lst.hostname else ()
                if narrowed and r.kept_aliases:
                    narrowed += tuple(h for h in r.kept_aliases if _intersect(lst.hostname, h) or h.endswith(".*"))
                bound.append((lst, narrowed))
        if not bound:
            table.notes.append(f"{r.ref} attaches to no listener of the Gateway")
        https_only = bool(bound) and all(lst.protocol == "HTTPS" for lst, _ in bound)
        for lst, narrowed in bound:
            entries = table.attached.setdefault((lst.gateway, lst.name), [])
            if not any(e.route is r for e in entries):
                entries.append(Attached(route=r, hostnames=narrowed, https_only=https_only))
