"""Kong's proxy path for a declarative configuration: which route a request hits, and what then happens.

`KongRouter(config, flavor).route(request)` answers with an `Outcome` (migrate.verify.outcome), so the
verifier compares Kong(KIC(before)) with Kong(KIC(after)) by `Outcome.key()`.  One router per flavor:

traditional (Kong/kong: kong/router/traditional.lua)
    A route with several paths is split into one candidate per path.  Candidates are ordered by category
    (number of matcher kinds among hosts, headers, paths, methods, snis; then the category bits, host >
    header > uri > method > sni), then the sub-weight (wildcard host with port, plain hosts only, regex
    path), number of headers, `regex_priority` (regex candidates only), longest plain path, then age
    (`Route.order`, then name).  Regex paths are PCRE, anchored at the start only (Python `re.match`).
    Header values compare case-insensitively; a `~*` value is a regex only when it is the header's only
    value (otherwise it is a literal).  `*` in a host matches one or more labels (`.+`), never the apex.
traditional_compatible (kong/router/compat.lua on atc-router)
    Paths are grouped (all regexes together, plain paths by length), each group a candidate with Kong's
    64-bit priority: matcher count, plain hosts only, header count, regex path, regex_priority, path length.
    Equal priorities fall back to age (Kong uses the route id, which the model does not have).  Regexes run
    in the Rust engine as `^` + pattern with an unanchored search (so `/a|/b` matches `/x/b`), header values
    and `~*` patterns are lower-cased before comparison.
expressions (kong/router/expressions.lua)
    Each route's `expression` (migrate.kong.atc); the highest `priority` wins, ties by age.  Header values
    compare case-sensitively (Kong/kong PR #11905).

After the match (kong/runloop/handler.lua, kong/router/utils.lua):
* HTTPS needs a certificate whose SNIs cover the host (exact, `*.` one label, or Kong's `name.*`), else the
  TLS handshake gets Kong's default certificate: `no-tls` (its sources name the route the request would have
  reached, the object responsible).
* A route whose protocols include https but not http answers plain HTTP with `https_redirect_status_code`:
  426, or a redirect to `https://<host><path and query>`.  Nothing stops an http-only route from serving
  HTTPS (Kong/kong issue #8073): the model lets it.
* Plugins: one instance per plugin name, the route's over the service's over the global one; disabled
  ones and those whose `protocols` exclude the request's scheme do not run.  `redirect` answers with its
  `location` (`keep_incoming_path`: the request's path and query on the location's origin), then
  `request-termination` with its `status_code` (default 503, only when its `trigger` header is present if set).
* A service without backends answers 503 (Kong: no target in the upstream's ring balancer; the model's
  decision, detail "no healthy upstream").
* Upstream path: `request-transformer` `replace.uri` (template with `$(uri_captures[n])` from the path
  regex) replaces it entirely, the service path included; otherwise Kong's v0 join of `service.path` with
  the request path (strip_path removes the matched prefix), `path_handling: v1` for traditional routes.
  `Outcome.upstream_path` is None when the upstream path equals the request path (query excluded).
* `Outcome.plugins`: the identities of the plugins that ran, sorted, except generated plugins whose effect
  is the outcome itself (request-transformer with only `replace.uri`, redirect, request-termination);
  other generated plugins are listed as `generated:<name>`.

Approximations: Kong's traditional candidate reduction (which can prefer a lower-sorted route found
through an index) and its category start index (which lets an http request skip `snis` routes) are not
modelled; request paths are not normalised (percent-decoding, dot segments); regexes run in Python's `re`.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import operator
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlsplit

from migrate.convert.choices import RouterFlavor
from migrate.kong import atc
from migrate.kong.config import KongConfig, Plugin, Route, Service
from migrate.kong.template import fill_template
from migrate.kong.validate import HTTP_SUBSYSTEM, KongRejection, route_protocols, validate
from migrate.verify.hostindex import HostIndex
from migrate.verify.outcome import (
    BACKEND,
    HTTP,
    HTTPS,
    NO_TLS,
    NOT_FOUND,
    REDIRECT,
    STATUS,
    Outcome,
    Request,
    host_matches,
    normalize_weights,
)
from migrate.verify.probes import GRPC_METHOD
from migrate.verify.shapes import EXACT, PREFIX, REGEX, PathShape, RouteShape

# kong/router/traditional.lua MATCH_RULES and MATCH_SUBRULES
_HOST, _HEADER, _URI, _METHOD, _SNI = 0x40, 0x20, 0x10, 0x08, 0x04
_HAS_REGEX_URI, _PLAIN_HOSTS_ONLY, _HAS_WILDCARD_HOST_PORT = 0x01, 0x02, 0x04
REDIRECT_CODES = (301, 302, 307, 308)
DEFAULT_PORTS = {HTTP: 80, HTTPS: 443}
SCHEME_PROTOCOLS = {HTTP: frozenset({"http", "grpc", "ws"}), HTTPS: frozenset({"https", "grpcs", "wss"})}
GRPC_PROTOCOLS = frozenset({"grpc", "grpcs"})
# generated plugins whose whole effect is part of the outcome (not listed in Outcome.plugins)
_EFFECT_PLUGINS = frozenset({"redirect", "request-termination"})


@dataclass(frozen=True)
class _Path:
    kind: str  # prefix | regex
    value: str  # the plain prefix, or the regex without `~`
    regex: re.Pattern[str] | None = None

    def match(self, path: str, anchored: bool) -> tuple[str, re.Match[str] | None] | None:
        """(matched part of the path, regex match) or None."""
        if self.kind == PREFIX:
            return (self.value, None) if path.startswith(self.value) else None
        if self.regex is None:
            return None
        m = self.regex.match(path) if anchored else self.regex.search(path)
        if m is None:
            return None
        return path[:m.end()], m


@dataclass(frozen=True)
class _Header:
    name: str
    values: frozenset[str]  # compared with the (lower-cased) request value
    regexes: tuple[re.Pattern[str], ...] = ()

    def match(self, got: str | None) -> bool:
        if got is None:
            return False
        got = got.lower()
        return got in self.values or any(rx.search(got) for rx in self.regexes)


@dataclass
class _Candidate:
    service: Service
    route: Route
    key: tuple[object, ...]
    hosts: tuple[tuple[str, int | None], ...] = ()  # (host pattern, port or None)
    paths: tuple[_Path, ...] = ()
    methods: frozenset[str] = frozenset()
    headers: tuple[_Header, ...] = ()
    snis: frozenset[str] = frozenset()
    expression: atc.Expr | None = None
    grpc_only: bool = False
    https_only: bool = False
    # Every request path this candidate can match starts with this literal (prefilter; "" when unknown)
    path_prefix: str = ""
    # the host index already guarantees a host match (no host carries a port)
    hosts_indexed: bool = False


@dataclass
class _Entry:
    """A route of the configuration, with its candidates once built."""

    service: Service
    route: Route
    order_hint: int
    candidates: list[_Candidate] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Served:
    """What every outcome of one candidate on one scheme shares."""

    sources: tuple[str, ...]
    listed: tuple[str, ...]  # the plugins an outcome names
    by_name: dict[str, Plugin]  # the plugins that run, by name
    backends: tuple[tuple[str, int], ...] | None  # normalized; None: the service has none


class _Hit(NamedTuple):  # one per routed request: a tuple is built in C
    candidate: _Candidate
    matched: str | None  # the matched part of the path (strip_path), None without a path match
    captures: re.Match[str] | None


@dataclass
class KongRouter:
    """Route probe requests through a Kong configuration as the given router flavor would."""

    config: KongConfig
    flavor: RouterFlavor
    # Routes by the hosts they name; a route's candidates are built when a request first looks at one of its
    # hosts (a verification shard builds only the routes of its hosts)
    _index: HostIndex[_Entry] = field(init=False, default_factory=HostIndex)
    _entries: list[_Entry] = field(init=False, default_factory=list)
    _sorted: dict[str, _HostCandidates] = field(init=False, default_factory=dict)
    _cert_snis: frozenset[str] = field(init=False, default=frozenset())
    _candidate_signatures: dict[int, tuple[object, ...]] = field(init=False, default_factory=dict)
    # per route and scheme: what the outcome of any request it takes shares (plugins, backends, sources)
    _served: dict[tuple[int, str], _Served] = field(init=False, default_factory=dict)
    _normalized: dict[int, tuple[tuple[str, int], ...] | None] = field(init=False, default_factory=dict)
    _neutral: dict[str, bool] = field(init=False, default_factory=dict)
    _expressions: bool = field(init=False, default=False)
    _anchored: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self._expressions = self.flavor == RouterFlavor.EXPRESSIONS
        self._anchored = self.flavor == RouterFlavor.TRADITIONAL  # PCRE anchored at the start; Rust searched
        snis: set[str] = set()
        for cert in self.config.certificates:
            snis.update(s.lower() for s in cert.snis if isinstance(s, str))
        self._cert_snis = frozenset(snis)
        for order_hint, (service, route) in enumerate(self.config.routes()):
            if not any(p in HTTP_SUBSYSTEM for p in route_protocols(route)):
                continue  # stream routes do not serve HTTP
            entry = _Entry(service, route, order_hint)
            self._entries.append(entry)
            if self.flavor == RouterFlavor.EXPRESSIONS:  # its hosts are in the expression: parse it now
                for cand in self._candidates_of(entry):
                    self._index.add(tuple(h for h, _ in cand.hosts), _Entry(service, route, order_hint, [cand]))
            else:
                self._index.add(tuple(_split_host(h)[0] for h in route.hosts or [] if isinstance(h, str)), entry)

    @property
    def notes(self) -> list[str]:
        """What the router could not take from the configuration (every route built to say it)."""
        return [note for entry in self._entries for note in self._built(entry).notes]

    def _built(self, entry: _Entry) -> _Entry:
        self._candidates_of(entry)
        return entry

    def _candidates_of(self, entry: _Entry) -> list[_Candidate]:
        if entry.candidates is None:
            entry.candidates = self._build(entry.service, entry.route, entry.order_hint, entry.notes)
        return entry.candidates

    # ------------------------------------------------------------------------------------------------
    # building

    def _build(self, service: Service, route: Route, order_hint: int, notes: list[str]) -> list[_Candidate]:
        protocols = set(route_protocols(route))
        grpc_only = protocols <= GRPC_PROTOCOLS
        https_only = "https" in protocols and "http" not in protocols
        age = (route.order, route.name, order_hint)
        if self.flavor == RouterFlavor.EXPRESSIONS:
            if route.expression is None:
                notes.append(f"route {route.name}: no expression; the expressions router ignores it")
                return []
            parsed = atc.parse(route.expression)
            if isinstance(parsed, atc.AtcError):
                notes.append(f"route {route.name}: expression does not parse ({parsed}); Kong rejects it")
                return []
            hosts = _expression_hosts(parsed)
            return [_Candidate(service, route, (-(route.priority or 0), *age), hosts=hosts or (),
                               expression=parsed, grpc_only=grpc_only, https_only=https_only,
                               path_prefix=_expression_path_prefix(parsed) or "")]
        hosts = tuple(_split_host(h) for h in route.hosts or [] if isinstance(h, str))
        methods = frozenset(str(m).upper() for m in route.methods or [])
        snis = frozenset(_strip_dot(str(s)).lower() for s in route.snis or [])
        headers = self._headers(route)
        paths = [p for p in route.paths or [] if isinstance(p, str)]
        groups = self._path_groups(route, paths, notes)
        out: list[_Candidate] = []
        for idx, group in enumerate(groups):
            if paths and not group:
                continue
            key = (self._traditional_key(route, hosts, headers, group, methods, snis, idx) if
                   self.flavor == RouterFlavor.TRADITIONAL else
                   self._compat_key(route, hosts, headers, group, methods, snis, idx))
            out.append(_Candidate(service, route, key, hosts=hosts, paths=group, methods=methods,
                                  headers=headers, snis=snis, grpc_only=grpc_only, https_only=https_only,
                                  path_prefix=_common_prefix([_path_literal(p) for p in group]) if group else "",
                                  hosts_indexed=all(port is None for _, port in hosts)))
        return out

    def _path_groups(self, route: Route, paths: list[str], notes: list[str]) -> list[tuple[_Path, ...]]:
        if not paths:
            return [()]
        compiled: list[_Path] = []
        for p in paths:
            if p.startswith("~"):
                rx = self._compile_path_regex(p[1:])
                if rx is None:
                    notes.append(f"route {route.name}: path {p!r} does not compile; Kong rejects the route")
                    continue
                compiled.append(_Path(REGEX, p[1:], rx))
            else:
                compiled.append(_Path(PREFIX, p))
        if self.flavor == RouterFlavor.TRADITIONAL:
            return [(p,) for p in compiled]  # traditional.lua splits a route per path
        # compat.lua: one group for all regexes, one per plain path length, regexes first (paths sorted so)
        groups: dict[object, list[_Path]] = {}
        for cp in compiled:
            groups.setdefault("regex" if cp.kind == REGEX else len(cp.value), []).append(cp)
        return [tuple(v) for _, v in sorted(groups.items(), key=lambda kv: (kv[0] != "regex", str(kv[0])))]

    def _compile_path_regex(self, pattern: str) -> re.Pattern[str] | None:
        if self.flavor == RouterFlavor.TRADITIONAL:
            return atc.compile_python_regex(pattern)[0]
        rx, _ = atc.compile_rust_regex("^" + pattern)
        return rx

    def _headers(self, route: Route) -> tuple[_Header, ...]:
        out: list[_Header] = []
        for name, values in sorted((route.headers or {}).items()):
            lname = str(name).lower()
            if lname == "host" or not values:
                continue
            vals = [str(v) for v in values]
            regexes: list[re.Pattern[str]] = []
            literals: set[str] = set()
            if self.flavor == RouterFlavor.TRADITIONAL:
                literals = {v.lower() for v in vals}
                if len(vals) == 1 and vals[0].startswith("~*"):
                    with contextlib.suppress(re.error, RecursionError, OverflowError, ValueError):
                        regexes.append(atc.guard(re.compile(atc.to_python_regex(vals[0][2:]))))
            else:
                for v in vals:
                    if v.startswith("~*"):
                        rx, _ = atc.compile_rust_regex(v[2:].lower())
                        if rx is not None:
                            regexes.append(rx)
                    else:
                        literals.add(v.lower())
            out.append(_Header(lname, frozenset(literals), tuple(regexes)))
        return tuple(out)

    @staticmethod
    def _traditional_key(route: Route, hosts: tuple[tuple[str, int | None], ...], headers: tuple[_Header, ...],
                         group: tuple[_Path, ...], methods: frozenset[str], snis: frozenset[str],
                         idx: int) -> tuple[object, ...]:
        weight = bits = 0
        for bit, on in ((_HOST, hosts), (_HEADER, headers), (_URI, group), (_METHOD, methods), (_SNI, snis)):
            if on:
                weight += 1
                bits += bit
        sub = 0
        if route.hosts is not None:
            wildcard = any("*" in h for h, _ in hosts)
            if not wildcard:
                sub |= _PLAIN_HOSTS_ONLY
            if any("*" in h and port is not None for h, port in hosts):
                sub |= _HAS_WILDCARD_HOST_PORT
        has_regex = any(p.kind == REGEX for p in group)
        if has_regex:
            sub |= _HAS_REGEX_URI
        max_len = max((len(p.value) for p in group if p.kind == PREFIX), default=0)
        regex_priority = (route.regex_priority or 0) if has_regex else 0
        return (-weight, -bits, -sub, -len(headers), -regex_priority, -max_len, route.order, route.name, idx)

    @staticmethod
    def _compat_key(route: Route, hosts: tuple[tuple[str, int | None], ...], headers: tuple[_Header, ...],
                    group: tuple[_Path, ...], methods: frozenset[str], snis: frozenset[str],
                    idx: int) -> tuple[object, ...]:
        weight = sum(1 for on in (snis, methods, hosts, headers, group) if on)
        plain_host_only = route.hosts is not None and not any("*" in h for h, _ in hosts)
        regex = bool(group) and group[0].kind == REGEX
        length = 0 if regex or not group else len(group[0].value)
        regex_priority = max(route.regex_priority or 0, 0) if regex else 0
        priority = ((weight << 61) | (int(plain_host_only) << 60) | (min(len(headers), 255) << 52)
                    | (int(regex) << 51) | ((regex_priority & 0xFFFFFFFF) << 19) | (length & 0x7FFFF))
        return (-priority, route.order, route.name, idx)

    # ------------------------------------------------------------------------------------------------
    # routing

    @functools.cached_property
    def rejections(self) -> list[KongRejection]:
        """What Kong refuses in this configuration (computed on demand: `verify` validates separately)."""
        return validate(self.config, self.flavor)

    def has_certificate(self, host: str) -> bool:
        """Kong's SNI lookup (kong/runloop/certificate.lua): exact, then `*.parent`, then `name.*`, then the `*`
        catch-all SNI."""
        host = host.lower()
        if host in self._cert_snis:
            return True
        _, dot, parent = host.partition(".")
        if dot and parent and f"*.{parent}" in self._cert_snis:
            return True
        head, dot, _ = host.rpartition(".")
        if dot and f"{head}.*" in self._cert_snis:
            return True
        return "*" in self._cert_snis  # a certificate for SNI `*` (a Gateway listener without hostname) serves all

    def candidates(self, host: str, path: str | None = None) -> list[_Candidate]:
        """The host's candidates in priority order; with `path`, only those whose literal path prefix the path
        has (the others cannot match it)."""
        found = self._sorted.get(host)
        if found is None:
            found = _HostCandidates(sorted((c for entry in self._index.lookup(host) for c in self._candidates_of(entry)),
                                           key=_candidate_key))
            self._sorted[host] = found
        return found.ordered if path is None else found.for_path(path)

    def scheme_neutral(self, host: str) -> bool:
        """Whether an https request to `host` gets the outcome of the same request over http: a certificate
        covers the host, and no candidate of the host tells the schemes apart (SNIs, https only, a host with a
        port, plugins limited to a scheme; the expressions flavor can match on the scheme itself)."""
        found = self._neutral.get(host)
        if found is None:
            found = self._neutral[host] = self.flavor != RouterFlavor.EXPRESSIONS and self.has_certificate(host) \
                and all(self._neutral_candidate(c) for c in self.candidates(host))
        return found

    def _neutral_candidate(self, c: _Candidate) -> bool:
        if c.snis or c.https_only or any(port is not None for _, port in c.hosts):
            return False
        http, https = self._served_by(c, HTTP), self._served_by(c, HTTPS)
        return http.listed == https.listed and http.by_name == https.by_name

    def may_serve(self, host: str) -> bool:
        """Whether some route's hosts match `host` (or it has none)."""
        return bool(self._index.lookup(host))

    def routes_for(self, host: str) -> tuple[int, ...]:
        """The identities of the routes that may serve `host`, in index order: two routers of configurations
        that share these Route objects (and the certificates and global plugins) route every request to `host`
        alike (`migrate.kic.era` derives a configuration so)."""
        return (id(self.config.certificates), id(self.config.plugins),
                *(id(entry.route) for entry in self._index.lookup(host)))

    def _for_request(self, req: Request, path: str) -> list[_Candidate]:
        found = self._sorted.get(req.host)
        if found is None:
            self.candidates(req.host)  # fills the cache
            found = self._sorted[req.host]
        return found.for_request(path, req.headers)

    def route(self, req: Request) -> Outcome:
        try:
            return self._route(req)
        except (re.error, RecursionError, ValueError, TypeError) as exc:  # never raise on odd input
            return Outcome(STATUS, status=500, detail=f"model error: {exc}")

    def _route(self, req: Request) -> Outcome:
        path = req.path.partition("?")[0] or "/"
        ctx = self._context(req, path) if self._expressions else None
        hit = None
        for c in self._for_request(req, path):
            hit = self._match(c, req, path, ctx)
            if hit is not None:
                break
        if req.scheme == HTTPS and not self.has_certificate(req.host):
            # the handshake fails before routing; the route that would take the request is named as responsible
            route = hit.candidate.route if hit is not None else None
            sources = (route.origin or f"route {route.name}",) if route is not None else ()
            return Outcome(NO_TLS, detail="Kong has no certificate for this SNI; it serves its default one",
                           sources=sources)
        return self._outcome(hit, req, path) if hit is not None else NOT_FOUND

    def _context(self, req: Request, path: str) -> atc.Context:
        ctx: atc.Context = {
            "http.path": [path], "http.host": [req.host], "http.method": [req.method], "net.protocol": [req.scheme],
            "net.port": [DEFAULT_PORTS.get(req.scheme, 80)],
        }
        if req.scheme == HTTPS:
            ctx["tls.sni"] = [req.host]
        for name, value in req.headers:
            ctx.setdefault(atc.header_field(name), []).append(value)
        return ctx

    def _match(self, c: _Candidate, req: Request, path: str, ctx: atc.Context | None) -> _Hit | None:
        if c.grpc_only and req.method != GRPC_METHOD:
            return None  # only gRPC clients (HTTP/2 POST) use gRPC routes
        if c.expression is not None:
            assert ctx is not None
            m = atc.Match()
            if not atc.evaluate(c.expression, ctx, m):
                return None
            return _Hit(c, m.path, m.captures)
        if c.hosts and not c.hosts_indexed and not any(_host_ok(h, port, req) for h, port in c.hosts):
            return None
        if c.methods and req.method.upper() not in c.methods:
            return None
        if c.snis and req.scheme == HTTPS and req.host not in c.snis:
            return None
        for h in c.headers:
            if not h.match(req.header(h.name)):
                return None
        if not c.paths:
            return _Hit(c, None, None)
        anchored = self._anchored
        for p in c.paths:
            got = p.match(path, anchored)
            if got is not None:
                return _Hit(c, got[0], got[1])
        return None

    def _served_by(self, c: _Candidate, scheme: str) -> _Served:
        route, service = c.route, c.service
        key = (id(route), scheme)  # a route's candidates (one per path group) serve alike
        found = self._served.get(key)
        if found is None:
            plugins = self._plugins(route, service, scheme)
            found = _Served(sources=tuple(s for s in (route.origin or f"route {route.name}",) if s),
                            listed=tuple(sorted({_identity(p) for p in plugins if _listed(p)})),
                            by_name={p.name: p for p in plugins}, backends=self._backends(service))
            self._served[key] = found
        return found

    def _backends(self, service: Service) -> tuple[tuple[str, int], ...] | None:
        """The service's backends, normalized once per service (many routes share one)."""
        key = id(service)
        if key not in self._normalized:
            self._normalized[key] = normalize_weights(list(service.backends)) if service.backends else None
        return self._normalized[key]

    def _outcome(self, hit: _Hit, req: Request, path: str) -> Outcome:
        c = hit.candidate
        route = c.route
        served = self._served_by(c, req.scheme)
        sources = served.sources
        if req.scheme == HTTP and c.https_only:
            code = route.https_redirect_status_code
            if code in REDIRECT_CODES:
                return Outcome(REDIRECT, status=code, location=f"https://{req.host}{req.path}", sources=sources)
            return Outcome(STATUS, status=426, detail="the route accepts HTTPS only", sources=sources)
        listed, by_name = served.listed, served.by_name
        redirect = by_name.get("redirect")
        if redirect is not None:
            status, location = _redirect(redirect, req)
            return Outcome(REDIRECT, status=status, location=location, plugins=listed, sources=sources)
        term = by_name.get("request-termination")
        if term is not None and _terminates(term, req):
            cfg = term.config if isinstance(term.config, dict) else {}
            code = cfg.get("status_code", 503)
            return Outcome(STATUS, status=code if isinstance(code, int) else 503, plugins=listed,
                           detail=str(cfg.get("message") or "request-termination"), sources=sources)
        joined = self._upstream_path(hit, path, by_name.get("request-transformer"))
        upstream = None if joined == path else joined
        if served.backends is None:
            return Outcome(STATUS, status=503, detail="no healthy upstream (the service has no backends)",
                           plugins=listed, sources=sources)
        return Outcome(BACKEND, backends=served.backends, upstream_path=upstream, plugins=listed, sources=sources)

    def _plugins(self, route: Route, service: Service, scheme: str) -> list[Plugin]:
        chosen: dict[str, Plugin] = {}
        for level in (self.config.plugins, service.plugins, route.plugins):  # most specific last wins
            for p in level:
                if not p.enabled:
                    continue
                if p.protocols and not set(p.protocols) & SCHEME_PROTOCOLS.get(scheme, frozenset()):
                    continue
                chosen[p.name] = p
        return list(chosen.values())

    def _upstream_path(self, hit: _Hit, path: str, transformer: Plugin | None) -> str:
        template = _replace_uri(transformer)
        if template is not None:
            return fill_template(template, hit.captures)
        route, service = hit.candidate.route, hit.candidate.service
        strip = bool(route.strip_path)
        base = service.path or "/"
        if strip and hit.matched is not None:
            postfix = _sanitize_postfix(path[len(hit.matched):])
        else:
            postfix = path[1:]
        if self.flavor == RouterFlavor.TRADITIONAL and route.path_handling == "v1":
            if strip:
                if base.endswith("/") and postfix.startswith("/"):
                    return base[:-1] + postfix
                return base + postfix
            return base + path[1:]
        return upstream_uri_v0(base, postfix, path, strip and hit.matched is not None)

    # ------------------------------------------------------------------------------------------------
    # equivalence

    def host_signature(self, host: str) -> tuple[object, ...]:
        """Everything that decides the outcome of any request to `host`: the certificate check, the global
        plugins, and the host's candidates in priority order with every field matching and outcomes read.
        Two routers with equal signatures for a host route every request to it alike (names, ages and
        sources aside), so `verify` need not send those probes through both (it asks `same_routing`)."""
        return self.has_certificate(host), self._global_plugins, tuple(self._ordered_signatures(host))

    def same_routing(self, other: KongRouter, host: str) -> bool:
        """`self.host_signature(host) == other.host_signature(host)`, computed only up to the first difference
        (the candidates of the two sides of a migration usually differ early)."""
        if self.has_certificate(host) != other.has_certificate(host) or self._global_plugins != other._global_plugins:
            return False
        return all(a == b for a, b in itertools.zip_longest(self._ordered_signatures(host),
                                                            other._ordered_signatures(host), fillvalue=None))

    @functools.cached_property
    def _global_plugins(self) -> tuple[object, ...]:
        return _plugins_signature(self.config.plugins)

    def _ordered_signatures(self, host: str) -> Iterator[tuple[object, ...]]:
        return _merge_adjacent(self._canonical_order(self.candidates(host)))

    def _canonical_order(self, ordered: list[_Candidate]) -> Iterator[tuple[object, ...]]:
        """Candidate signatures in routing order, except that candidates of equal priority (only their ages
        tell them apart) whose literal path prefixes rule out a common request are put in a canonical order:
        no request can match two of them, so their order changes nothing."""
        i = 0
        while i < len(ordered):
            j = i + 1
            while j < len(ordered) and ordered[j].key[:-3] == ordered[i].key[:-3]:
                j += 1
            run = ordered[i:j]
            sigs = [self._candidate_signature(c) for c in run]
            if len(run) > 1 and _prefix_free([c.path_prefix for c in run]):
                sigs.sort(key=repr)
            yield from sigs
            i = j

    def _candidate_signature(self, c: _Candidate) -> tuple[object, ...]:
        key = id(c)
        found = self._candidate_signatures.get(key)
        if found is None:
            route, service = c.route, c.service
            found = (
                c.hosts, tuple((p.kind, p.value) for p in c.paths), tuple(sorted(c.methods)),
                tuple((h.name, tuple(sorted(h.values)), tuple(rx.pattern for rx in h.regexes)) for h in c.headers),
                tuple(sorted(c.snis)), str(c.expression) if c.expression is not None else None, c.grpc_only,
                c.https_only, route.https_redirect_status_code, bool(route.strip_path), route.path_handling,
                _plugins_signature(route.plugins), service.path or "/", _plugins_signature(service.plugins),
                normalize_weights(list(service.backends)) if service.backends else (),
            )
            self._candidate_signatures[key] = found
        return found

    # ------------------------------------------------------------------------------------------------
    # probe shapes

    def shapes(self, shaped: set[int] | None = None) -> list[RouteShape]:
        """The probe shapes of the routes.  `shaped`: the ids of Route objects already shaped (another router's
        configuration shares them), skipped here; this router's are added to it."""
        out: list[RouteShape] = []
        seen: set[RouteShape] = set()
        for _service, route in self.config.routes():
            if shaped is not None:
                if id(route) in shaped:
                    continue
                shaped.add(id(route))
            if not any(p in HTTP_SUBSYSTEM for p in route_protocols(route)):
                continue
            shape = (_expression_shape(route) if self.flavor == RouterFlavor.EXPRESSIONS else _traditional_shape(route))
            if shape is not None and shape not in seen:
                seen.add(shape)
                out.append(shape)
        return out


# ----------------------------------------------------------------------------------------------------------
# helpers


class _HostCandidates:
    """One host's candidates in priority order, bucketed by the literal prefix every path they match has, so a
    probe only tries the candidates its path can satisfy (first match wins, so the order is kept)."""

    def __init__(self, ordered: list[_Candidate]) -> None:
        self.ordered = ordered
        self.by_prefix: dict[str, list[int]] = {}
        # Candidates that need a header with literal values only are also indexed by (header, value): a route
        # with one header match per value (200 values: 200 routes on one path) is then found in one lookup
        # instead of a scan of them all (issue 13: routing cost linear in the routes).
        self.by_header: dict[str, dict[tuple[str, str], list[int]]] = {}  # prefix -> (name, value) -> indices
        self.unindexed: dict[str, list[int]] = {}  # prefix -> indices without such a header
        self.header_names: dict[str, tuple[str, ...]] = {}  # prefix -> names indexed
        for i, c in enumerate(ordered):
            self.by_prefix.setdefault(c.path_prefix, []).append(i)
            literal = next((h for h in c.headers if not h.regexes), None) if c.expression is None else None
            if literal is None:
                self.unindexed.setdefault(c.path_prefix, []).append(i)
                continue
            index = self.by_header.setdefault(c.path_prefix, {})
            for value in literal.values:
                index.setdefault((literal.name.lower(), value), []).append(i)
            names = self.header_names.get(c.path_prefix, ())
            if literal.name.lower() not in names:
                self.header_names[c.path_prefix] = (*names, literal.name.lower())
        self.lengths = sorted({len(k) for k in self.by_prefix})
        # the last lookup (probes come sorted: a path's methods and headers one after another); with the
        # request's headers when some are indexed
        self._last_path: str | None = None
        self._last_headers: tuple[tuple[str, str], ...] | None = None
        self._last_found: list[_Candidate] = []

    def for_path(self, path: str) -> list[_Candidate]:
        if len(self.by_prefix) == 1 and "" in self.by_prefix:
            return self.ordered
        if path == self._last_path and self._last_headers is None:
            return self._last_found
        picked: list[int] = []
        for n in self.lengths:
            if n > len(path):
                break
            picked.extend(self.by_prefix.get(path[:n], ()))
        picked.sort()
        self._last_path, self._last_headers, self._last_found = path, None, [self.ordered[i] for i in picked]
        return self._last_found

    def for_request(self, path: str, headers: tuple[tuple[str, str], ...]) -> list[_Candidate]:
        """The candidates `path` and the request's `headers` (lower-cased names) may satisfy, in priority order:
        those needing a literal header value the request does not send are left out (they cannot match)."""
        if not self.by_header:
            return self.for_path(path)
        if path == self._last_path and headers == self._last_headers:  # the same request by another method
            return self._last_found
        sent: dict[str, str] = {}
        for name, value in headers:
            sent.setdefault(name, value.lower())
        picked: list[int] = []
        for n in self.lengths:
            if n > len(path):
                break
            prefix = path[:n]
            if prefix not in self.by_prefix:
                continue
            picked.extend(self.unindexed.get(prefix, ()))
            index = self.by_header.get(prefix)
            if index:
                for name in self.header_names[prefix]:
                    got = sent.get(name)
                    if got is not None:
                        picked.extend(index.get((name, got), ()))
        picked = sorted(set(picked))
        self._last_path, self._last_headers = path, headers
        self._last_found = [self.ordered[i] for i in picked]
        return self._last_found


_candidate_key = operator.attrgetter("key")
_REGEX_META = frozenset(atc.REGEX_SYNTAX)


def _regex_literal_prefix(pattern: str) -> str:
    """The literal text every match of the start-anchored `pattern` begins with ("" when unsure)."""
    if "|" in pattern or "(?" in pattern:
        return ""  # alternation or inline flags: no safe common literal
    end = atc.PLAIN_TEXT_RUN.match(pattern).end()  # type: ignore[union-attr]  # matches the empty string
    if end == len(pattern):
        return pattern
    if pattern[end] != "\\":  # the common case, without a loop over the characters
        return pattern[:max(end - 1, 0)] if pattern[end] in "*?{" else pattern[:end]
    out: list[str] = [pattern[:end]]
    i = end
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern) and not pattern[i + 1].isalnum():
            nxt = pattern[i + 2] if i + 2 < len(pattern) else ""
            if nxt in ("*", "?", "{"):
                break  # the escaped character is optional or repeated
            out.append(pattern[i + 1])
            i += 2
            continue
        if c in _REGEX_META:
            break
        nxt = pattern[i + 1] if i + 1 < len(pattern) else ""
        if nxt in ("*", "?", "{"):
            break
        out.append(c)
        i += 1
    return "".join(out)


def _path_literal(p: _Path) -> str:
    return p.value if p.kind == PREFIX else _regex_literal_prefix(p.value)


def _common_prefix(values: list[str]) -> str:
    if len(values) <= 1:
        return values[0] if values else ""
    first = min(values)
    last = max(values)
    n = 0
    while n < len(first) and n < len(last) and first[n] == last[n]:
        n += 1
    return first[:n]


def _expression_path_prefix(expr: atc.Expr) -> str | None:
    """The literal prefix every request path satisfying `expr` has (None: no constraint found)."""
    if isinstance(expr, atc.Predicate):
        if expr.field != "http.path" or expr.transforms or not isinstance(expr.value, str):
            return None
        if expr.op in ("==", "^="):
            return expr.value
        if expr.op == "~" and expr.value.startswith("^"):
            return _regex_literal_prefix(expr.value[1:]) or None
        return None
    if expr.op == "&&" and expr.right is not None:
        found = [x for x in (_expression_path_prefix(expr.left), _expression_path_prefix(expr.right)) if x]
        return max(found, key=len) if found else None
    if expr.op == "||" and expr.right is not None:
        left, right = _expression_path_prefix(expr.left), _expression_path_prefix(expr.right)
        if left is None or right is None:
            return None
        return _common_prefix([left, right])
    return None


_METHODS_AT = 2  # position of the methods in a candidate signature


def _prefix_free(prefixes: list[str]) -> bool:
    """No prefix is empty or a prefix of another: paths matching one cannot match another."""
    if any(not p for p in prefixes):
        return False
    ordered = sorted(prefixes)
    return all(not b.startswith(a) for a, b in zip(ordered, ordered[1:], strict=False))


def _merge_adjacent(signatures: Iterable[tuple[object, ...]]) -> Iterator[tuple[object, ...]]:
    """Neighbours in priority order that differ only in their methods act as one candidate with the union of
    the methods (the first of them that matches gives the same outcome): KIC builds one Kong route per method
    of an HTTPRoute, one route with all methods for an Ingress."""
    prev: tuple[object, ...] | None = None
    for sig in signatures:
        if prev is not None:
            if (prev[_METHODS_AT] and sig[_METHODS_AT] and prev[:_METHODS_AT] == sig[:_METHODS_AT]
                    and prev[_METHODS_AT + 1:] == sig[_METHODS_AT + 1:]):
                methods = tuple(sorted(set(prev[_METHODS_AT]) | set(sig[_METHODS_AT])))  # type: ignore[call-overload]
                prev = (*prev[:_METHODS_AT], methods, *prev[_METHODS_AT + 1:])
                continue
            yield prev
        prev = sig
    if prev is not None:
        yield prev


def _plugins_signature(plugins: list[Plugin]) -> tuple[object, ...]:
    if not plugins:
        return ()
    return tuple(sorted((p.name, _identity(p), _config_text(p.config), p.enabled, tuple(p.protocols or ()))
                        for p in plugins))


_CONFIG_ENCODER = json.JSONEncoder(sort_keys=True, default=str)  # one for all: json.dumps builds one per call


def _config_text(config: object) -> str:
    return _CONFIG_ENCODER.encode(config)


def upstream_uri_v0(base: str, postfix: str, req_uri: str, strip: bool) -> str:
    """Kong's `get_upstream_uri_v0` (kong/router/utils.lua): join the service path and the request path."""
    if base.endswith("/"):
        if strip:
            if postfix == "":
                if base == "/":
                    return "/"
                return base if req_uri.endswith("/") else base[:-1]
            if postfix.startswith("/"):
                return base[:-1] + postfix
            return base + postfix
        return base + req_uri[1:]
    if strip:
        if postfix == "":
            return base + "/" if len(req_uri) > 1 and req_uri.endswith("/") else base
        if postfix.startswith("/"):
            return base + postfix
        return base + "/" + postfix
    if req_uri == "/":
        return base
    return base + req_uri


def _sanitize_postfix(postfix: str) -> str:
    if postfix in (".", ".."):
        return ""
    if postfix.startswith("./"):
        return postfix[2:]
    if postfix.startswith("../"):
        return postfix[3:]
    return postfix


def _strip_dot(host: str) -> str:
    return host[:-1] if len(host) > 1 and host.endswith(".") else host


def _split_host(host: str) -> tuple[str, int | None]:
    host = host.lower()
    name, colon, port = host.rpartition(":")
    if colon and port.isdigit() and name and not name.endswith("]"):
        return name, int(port)
    return host, None


def _host_ok(pattern: str, port: int | None, req: Request) -> bool:
    if port is not None and port != DEFAULT_PORTS.get(req.scheme):
        return False
    return host_matches(pattern, req.host)


def _identity(p: Plugin) -> str:
    return p.identity or f"generated:{p.name}"


def _generated(p: Plugin) -> bool:
    return not p.identity or p.identity.startswith("generated:")


def _listed(p: Plugin) -> bool:
    """Generated plugins whose whole effect is the outcome are not listed."""
    if not _generated(p):
        return True
    if p.name in _EFFECT_PLUGINS:
        return False
    if p.name == "request-transformer":
        return not _only_replace_uri(p)
    return True


def _only_replace_uri(p: Plugin) -> bool:
    cfg = p.config if isinstance(p.config, dict) else {}
    for key, value in cfg.items():
        if key == "replace" and isinstance(value, dict):
            if any(v for k, v in value.items() if k != "uri"):
                return False
        elif value not in (None, [], {}, ""):
            return False
    return True


def _replace_uri(p: Plugin | None) -> str | None:
    if p is None or not isinstance(p.config, dict):
        return None
    replace = p.config.get("replace")
    uri = replace.get("uri") if isinstance(replace, dict) else None
    return uri if isinstance(uri, str) and uri else None


def _redirect(p: Plugin, req: Request) -> tuple[int, str]:
    cfg = p.config if isinstance(p.config, dict) else {}
    code = cfg.get("status_code", 301)
    status = code if isinstance(code, int) and not isinstance(code, bool) else 301
    location = str(cfg.get("location") or "")
    if cfg.get("keep_incoming_path"):
        try:
            parts = urlsplit(location)
            location = f"{parts.scheme}://{parts.netloc}{req.path}"
        except ValueError:
            pass
    return status, location


def _terminates(p: Plugin, req: Request) -> bool:
    cfg = p.config if isinstance(p.config, dict) else {}
    trigger = cfg.get("trigger")
    if not trigger:
        return True
    name = str(trigger).lower()
    if req.header(name) is not None:
        return True
    _, _, query = req.path.partition("?")
    return any(part.split("=", 1)[0].lower() == name for part in query.split("&") if part)


def _expression_hosts(expr: atc.Expr) -> tuple[tuple[str, int | None], ...] | None:
    """Host patterns one of which the request must match for `expr` to hold; None when unknown (any host)."""
    found = _required_hosts(expr)
    return tuple((h, None) for h in sorted(found)) if found else None


def _required_hosts(expr: atc.Expr) -> set[str] | None:
    if isinstance(expr, atc.Predicate):
        if expr.field != "http.host" or expr.transforms or not isinstance(expr.value, str):
            return None
        v = expr.value.lower()
        if expr.op == "==" and v:
            return {v}
        if expr.op == "=^" and v.startswith(".") and len(v) > 1:
            return {"*" + v}
        if expr.op == "^=" and v.endswith(".") and len(v) > 1:
            return {v + "*"}
        return None
    if expr.op == "&&":
        left = _required_hosts(expr.left)
        right = _required_hosts(expr.right) if expr.right is not None else None
        return left if left is not None else right
    if expr.op == "||":
        left = _required_hosts(expr.left)
        right = _required_hosts(expr.right) if expr.right is not None else None
        return left | right if left is not None and right is not None else None
    return None


def _traditional_shape(route: Route) -> RouteShape:
    paths: list[PathShape] = []
    for p in route.paths or []:
        if isinstance(p, str):
            paths.append(PathShape(REGEX, p[1:]) if p.startswith("~") else PathShape(PREFIX, p))
    headers = tuple(
        (str(name).lower(), tuple((v[2:], True) if v.startswith("~*") else (v, False) for v in map(str, values)))
        for name, values in sorted((route.headers or {}).items()) if str(name).lower() != "host" and values)
    return RouteShape(
        hosts=tuple(h for h in route.hosts or [] if isinstance(h, str)),
        paths=tuple(paths) or (PathShape(PREFIX, "/"),),
        methods=tuple(sorted(str(m).upper() for m in route.methods or [])),
        headers=headers,
        grpc=set(route_protocols(route)) <= GRPC_PROTOCOLS,
    )


def _expression_shape(route: Route) -> RouteShape | None:
    if route.expression is None:
        return None
    parsed = atc.parse(route.expression)
    if isinstance(parsed, atc.AtcError):
        return None
    hosts: list[str] = []
    paths: list[PathShape] = []
    methods: list[str] = []
    headers: dict[str, list[tuple[str, bool]]] = {}
    for p in atc.predicates(parsed):
        if not isinstance(p.value, str):
            continue
        v = p.value
        if p.field == "http.host":
            if p.op == "==":
                hosts.append(v)
            elif p.op == "=^" and v.startswith("."):
                hosts.append("*" + v)
            elif p.op == "^=" and v.endswith("."):
                hosts.append(v + "*")
        elif p.field == "http.path":
            if p.op == "==":
                paths.append(PathShape(EXACT, v))
            elif p.op == "^=":
                paths.append(PathShape(PREFIX, v))
            elif p.op == "~":
                paths.append(PathShape(REGEX, v[1:] if v.startswith("^") else v))
        elif p.field == "http.method" and p.op == "==":
            methods.append(v)
        elif p.field.startswith("http.headers.") and p.op in ("==", "~"):
            name = p.field[len("http.headers."):].replace("_", "-")
            headers.setdefault(name, []).append((v, p.op == "~"))
    protocols = set(route_protocols(route))
    return RouteShape(
        hosts=tuple(dict.fromkeys(hosts)),
        paths=tuple(dict.fromkeys(paths)) or (PathShape(PREFIX, "/"),),
        methods=tuple(sorted(set(methods))),
        headers=tuple((n, tuple(dict.fromkeys(vs))) for n, vs in sorted(headers.items())),
        grpc=protocols <= GRPC_PROTOCOLS,
    )
