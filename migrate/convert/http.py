"""Ingress → HTTPRoute/GRPCRoute drafts, scoped to the one Ingress they come from."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from migrate.annotations import parse as p
from migrate.annotations.route import (
    FORCE_SSL_REDIRECT,
    AnnotationContext,
    RouteTraits,
    apply_route_annotations,
)
from migrate.convert.drafts import BackendDraft, HeaderMatch, MatchDraft, RouteDraft, RuleDraft
from migrate.convert.listeners import ListenerPlan, listeners_by_name, sections_for
from migrate.convert.options import ConvertOptions, RouterFlavor
from migrate.convert.paths import Competitors, PathMatch, PlainPrefix, convert_path, plain_prefix_of
from migrate.model.inventory import Inventory
from migrate.model.objects import BackendRef, Ingress, IngressPath
from migrate.report import Report, Status
from migrate.sources import SourceRef


@dataclass(frozen=True)
class AtcPath:
    """An Ingress path as KIC ranks it with the expressions router (ingress_atc.go)."""

    key: tuple[Any, ...]  # (hostname, route category, methods, headers): routes that compete by rank
    src: SourceRef
    backend: str
    rank: tuple[int, int]  # (regex path, path length): kic_atc_path_rank
    literal: str | None  # the literal start of its requests (path_literal); None for a regex path
    path_type: str


@dataclass
class HTTPTranslation:
    routes: list[RouteDraft] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)  # generated KongPlugins
    plugin_grants: list[tuple[str, str, str]] = field(default_factory=list)  # (from-ns, plugin-ns, plugin)
    route_kind: str = "HTTPRoute"  # the kind the plugin ReferenceGrants must admit
    # (hostname, match identity) -> (source, backend) to find the same request routed by two Ingresses
    claims: list[tuple[tuple[Any, ...], SourceRef, str]] = field(default_factory=list)
    # (hostname, Kong path, route category, methods, headers) -> (source, backend): the Kong paths KIC built for
    # the Ingress with the traditional routers, to find routes Kong could only tell apart by its tie-break
    kong_paths: list[tuple[tuple[Any, ...], SourceRef, str]] = field(default_factory=list)
    # expressions router: (hostname, category, methods, headers) -> (source, backend, the path's own rank and
    # literal prefix): KIC ranks one route per (Ingress, host, backend) by its strongest path
    atc_paths: list[AtcPath] = field(default_factory=list)


def resolve_reported(backend: BackendRef, namespace: str, inventory: Inventory, report: Report, src: SourceRef,
                     field_path: str, part: str) -> BackendDraft | None:
    """resolve_backend plus its report entries; `part` names what is skipped when it fails."""
    draft, why = resolve_backend(backend, namespace, inventory)
    if draft is None:
        report.add(src, Status.ERROR, f"{field_path}.backend", why or "unresolvable backend",
                   f"fix the backend; this {part} was not converted")
        return None
    if backend.port_name:
        report.add(src, Status.CONVERTED, f"{field_path}.backend",
                   f"named port {backend.port_name!r} resolved to {draft.port} through the Service")
    return draft


def route_category(traits: RouteTraits) -> tuple[object, ...]:
    """Which matcher kinds Kong's route for these traits has besides its paths: host aliases (hosts), the number
    of headers, methods, snis.  Kong's traditional routers rank routes by them before anything else (more
    matchers first; kong/router/traditional.lua categories, compat.lua priority), so a plain prefix yields to a
    longer one only when both routes have the same ones."""
    headers = len(traits.headers) + sum(1 for k in traits.kept if k.startswith(p.HEADERS_PREFIX))
    return (bool(traits.host_aliases or traits.extra_hostnames or "konghq.com/host-aliases" in traits.kept), headers,
            bool(traits.methods or "konghq.com/methods" in traits.kept), "konghq.com/snis" in traits.kept)


@dataclass
class HostPaths:
    """Per host, the plain prefixes and Exact paths of every Kong Ingress (see host_plain_prefixes)."""

    by_host: dict[str, list[PlainPrefix]]
    _competitors: dict[tuple[str, tuple[object, ...]], Competitors] = field(default_factory=dict, repr=False)

    def competitors(self, host: str, category: tuple[object, ...]) -> Competitors:
        """Those a path of `category` competes with: its own category's and the uncategorised ones (built once
        per host and category)."""
        key = (host, category)
        found = self._competitors.get(key)
        if found is None:
            found = Competitors([c for c in self.by_host.get(host, []) if c.category in (category, ())])
            self._competitors[key] = found
        return found


def host_plain_prefixes(ingresses: list[Ingress], categories: dict[SourceRef, tuple[object, ...]] | None = None
                        ) -> HostPaths:
    """Per host, the plain prefixes Kong compares by length across all Ingresses (REFERENCE §2.1), and the Exact
    paths (regexes to Kong, which it tries before the plain prefixes), each with the category of its Ingress's
    routes (`categories`, by source; route_category)."""
    # an insertion-ordered set per host: a list lookup made one busy host quadratic
    seen: dict[str, dict[PlainPrefix, None]] = {}
    for ing in ingresses:
        regex_prefix = ing.meta.annotations.get("konghq.com/regex-prefix", "").strip() or p.DEFAULT_REGEX_PREFIX
        category = (categories or {}).get(ing.meta.source, ())
        for rule in ing.rules:
            for path in rule.paths:
                plain = plain_prefix_of(path.path, path.path_type, regex_prefix)
                if plain is not None:
                    seen.setdefault(rule.host, {})[replace(plain, category=category)] = None
                elif path.path_type == "Exact" and path.path.startswith("/"):
                    seen.setdefault(rule.host, {})[PlainPrefix(path.path, False, category, exact=True)] = None
    return HostPaths({host: list(prefixes) for host, prefixes in seen.items()})


def resolve_backend(
    backend: BackendRef, namespace: str, inventory: Inventory
) -> tuple[BackendDraft | None, str | None]:
    """A backend with a numeric port, or why it cannot be resolved."""
    svc = inventory.service(namespace, backend.service)
    if backend.port_number is not None:
        return BackendDraft(backend.service, backend.port_number), None
    if svc is None:
        return None, (f"named port {backend.port_name!r} of Service {namespace}/{backend.service} cannot be "
                      "resolved: the Service is not in the input")
    if svc.type == "ExternalName":
        # KIC's findPort: "rules with an ExternalName service must specify numeric ports"
        return None, (f"Service {namespace}/{backend.service} is ExternalName and is referenced by port name "
                      f"{backend.port_name!r}: Kong's controller fails such backends (ExternalName Services must be "
                      "referenced by number), so Kong never routed this path")
    for port in svc.ports:
        # KIC's findPort matches the port's name or its string targetPort
        if port.name == backend.port_name or (isinstance(port.target_port, str) and port.target_port == backend.port_name):
            return BackendDraft(backend.service, port.port), None
    return None, f"Service {namespace}/{backend.service} has no port named {backend.port_name!r}"


def _header_combinations(headers: dict[str, list[Any]]) -> list[tuple[HeaderMatch, ...]]:
    """Kong ORs the values of one header and ANDs header names: the Cartesian product of values."""
    if not headers:
        return [()]
    names = sorted(headers)
    per_name = [[HeaderMatch(n, v.value, v.regex) for v in headers[n]] for n in names]
    return [tuple(combo) for combo in itertools.product(*per_name)]


def _matches(path: PathMatch, traits: RouteTraits) -> list[MatchDraft]:
    methods: list[str | None] = list(traits.methods) or [None]
    return [
        MatchDraft(path=path, method=m, headers=h)
        for m in methods
        for h in _header_combinations(traits.headers)
    ]


def _grpc_match(path: PathMatch) -> MatchDraft | None:
    """Kong matches gRPC on the HTTP/2 path `/package.Service/Method`."""
    if path.type == "PathPrefix" and path.value == "/":
        return MatchDraft(path=None)
    parts = path.value.strip("/").split("/")
    svc_ok = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+", parts[0] or "")
    if path.type == "PathPrefix" and len(parts) == 1 and svc_ok:
        return MatchDraft(path=None, grpc={"type": "Exact", "service": parts[0]})
    if path.type == "Exact" and len(parts) == 2 and svc_ok and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", parts[1]):
        return MatchDraft(path=None, grpc={"type": "Exact", "service": parts[0], "method": parts[1]})
    return None


def _plugin_filters(traits: RouteTraits) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    for name in traits.plugin_filters:
        filters.append({
            "type": "ExtensionRef",
            "extensionRef": {"group": "configuration.konghq.com", "kind": "KongPlugin", "name": name},
        })
    return filters


def _rewrite(traits: RouteTraits, ingress: Ingress, out: HTTPTranslation, report: Report,
             filters: list[dict[str, Any]]) -> bool:
    """Add the rewrite; True when a URLRewrite filter was used (so strip-path must stay an annotation)."""
    if traits.rewrite is None:
        return False
    key = "annotation konghq.com/rewrite"
    src = ingress.meta.source
    gate = " (Kong applied it only with the controller's RewriteURIs feature gate on)"
    if traits.rewrite.static is not None:
        filters.append({"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplaceFullPath",
                                                                       "replaceFullPath": traits.rewrite.static}}})
        report.add(src, Status.CONVERTED, key, f"-> URLRewrite ReplaceFullPath {traits.rewrite.static!r}{gate}")
        return True
    name = f"{ingress.meta.name}-rewrite"[:253]
    uri = traits.rewrite.template
    out.objects.append({
        "apiVersion": "configuration.konghq.com/v1",
        "kind": "KongPlugin",
        "metadata": {"name": name, "namespace": ingress.meta.namespace,
                     "labels": {"app.kubernetes.io/managed-by": "kong-gateway-migrate"}},
        "plugin": "request-transformer",
        "config": {"replace": {"uri": uri}},
    })
    filters.append({"type": "ExtensionRef",
                    "extensionRef": {"group": "configuration.konghq.com", "kind": "KongPlugin", "name": name}})
    report.add(src, Status.CONVERTED, key,
               f"capture groups -> generated KongPlugin {ingress.meta.namespace}/{name} (request-transformer "
               f"replace.uri {uri!r}) referenced by ExtensionRef{gate}")
    return False


def translate_ingress(
    ingress: Ingress,
    *,
    inventory: Inventory,
    options: ConvertOptions,
    listeners: list[ListenerPlan],
    report: Report,
    default_backend_winner: bool,
    host_paths: HostPaths | None = None,
) -> HTTPTranslation:
    """`host_paths`: the plain prefixes of every Kong Ingress path per host (see host_plain_prefixes)."""
    out = HTTPTranslation()
    src = ingress.meta.source
    ns = ingress.meta.namespace
    for prob in ingress.problems:
        report.add(src, Status.ERROR, prob.field, prob.message, "fix it in the Ingress; this part was not converted")
    ctx = AnnotationContext(ingress.meta, "Ingress", inventory, options, report)
    traits = apply_route_annotations(ctx)
    for namespace, plugin in traits.plugin_grants:
        out.plugin_grants.append((ns, namespace, plugin))

    # Rules grouped by host, preserving first appearance: one route per (Ingress, host).
    by_host: dict[str, list[IngressPath]] = {}
    for rule in ingress.rules:
        if not rule.paths:
            if not any(prob.field.startswith(f"{rule.field}.") for prob in ingress.problems):
                report.add(src, Status.IGNORED, rule.field, "rule without paths: Kong creates no route for it")
            continue
        by_host.setdefault(rule.host, []).extend(rule.paths)

    kind = "GRPCRoute" if traits.grpc else "HTTPRoute"
    out.route_kind = kind
    if traits.grpc and traits.rewrite is not None:
        report.add(src, Status.UNCONVERTED, "annotation konghq.com/rewrite", "a rewrite has no GRPCRoute form",
                   "drop the rewrite or keep this Ingress on HTTP")
    _plan_redirect(traits, src, report)
    rewrite_filters: list[dict[str, Any]] = []
    uses_url_rewrite = _rewrite(traits, ingress, out, report, rewrite_filters) if by_host and not traits.grpc else False
    for host, paths in by_host.items():
        # KIC appends aliases to the route's hosts even when the rule has none: they then restrict it.
        hostnames = [host] if host else []
        hostnames += [a for a in traits.host_aliases + traits.extra_hostnames if a not in hostnames]
        route = RouteDraft(kind=kind, namespace=ns, name=ingress.meta.name + (f"-{host}" if host else ""),
                           source=src, hostnames=hostnames, identity=("ingress", ns, ingress.meta.name, host))
        route.annotations = dict(sorted(traits.kept.items()))
        category = route_category(traits)
        competitors = host_paths.competitors(host, category) if host_paths is not None else Competitors([])
        _build_rules(route, paths, traits, ingress, inventory, report, rewrite_filters, uses_url_rewrite,
                     competitors, options.router_flavor == RouterFlavor.TRADITIONAL,
                     options.router_flavor != RouterFlavor.EXPRESSIONS)
        if not route.rules:
            continue
        _attach_route(route, traits, listeners, src, report, host)
        out.routes.append(route)
        for route_rule in route.rules:
            for m in route_rule.matches:
                backend = ",".join(f"{b.name}:{b.port}" for b in route_rule.backends)
                for h in hostnames or ["*"]:
                    grpc = tuple(sorted(m.grpc.items())) if m.grpc else None  # a dict is unhashable
                    out.claims.append(((h, m.path, m.method, m.headers, grpc), src, backend))

    for host, paths in by_host.items():
        hostnames = [host] if host else []
        hostnames += [a for a in traits.host_aliases + traits.extra_hostnames if a not in hostnames]
        headers = tuple(sorted((name, tuple(v.value for v in values)) for name, values in traits.headers.items()))
        for path in paths:
            if path.backend is None:
                continue
            backend = f"{path.backend.service}:{path.backend.port_number or path.backend.port_name}"
            for kong_path in kic_traditional_paths(path.path, path.path_type, traits.regex_prefix):
                for h in hostnames or ["*"]:
                    out.kong_paths.append(((h, kong_path, route_category(traits), tuple(traits.methods), headers),
                                           src, backend))
            rank = kic_atc_path_rank(path.path, path.path_type, traits.regex_prefix)
            if rank is not None:
                for h in hostnames or ["*"]:
                    out.atc_paths.append(AtcPath((h, route_category(traits), tuple(traits.methods), headers), src,
                                                 backend, rank, path_literal(path.path, path.path_type,
                                                                             traits.regex_prefix), path.path_type))

    if ingress.default_backend is not None or ingress.default_backend_resource is not None:
        _default_backend(ingress, traits, inventory, listeners, report, out, winner=default_backend_winner,
                         expressions=options.router_flavor == RouterFlavor.EXPRESSIONS)
    elif not ingress.rules and not ingress.problems:
        report.add(src, Status.IGNORED, "spec", "no rules and no default backend: nothing to route")
    if "konghq.com/protocols" in ingress.meta.annotations:
        _report_protocols(out, traits, listeners, src, report)
    return out


def _attach_route(route: RouteDraft, traits: RouteTraits, listeners: list[ListenerPlan], src: SourceRef,
                  report: Report, host: str) -> None:
    """Pick the listeners a route attaches to, keeping the annotations Kong needs where attachment is not enough."""
    https = not traits.http_only
    # a status code kept as an annotation needs the HTTP listener so Kong can still redirect
    http = not traits.https_only or "konghq.com/https-redirect-status-code" in route.annotations
    # An HTTPRoute attached only to HTTPS listeners keeps only the hostnames they cover, all of theirs when it has
    # none (route_utils.go `filterHostnames`): plain HTTP to the other hosts would then get 404 instead of Kong's
    # 426.  The HTTP listener has no hostname, so attaching to it too keeps every host; the kept
    # konghq.com/protocols keeps the route HTTPS-only.
    uncovered_https = False
    if traits.https_only and route.kind == "HTTPRoute" and not http:
        if route.hostnames:
            uncovered_https = any(not sections_for(listeners, [h], http=False, https=True) for h in route.hostnames)
        else:
            uncovered_https = any(lst.protocol == "HTTPS" and lst.hostname for lst in listeners)
        uncovered_https = uncovered_https and bool(sections_for(listeners, route.hostnames, http=False, https=True))
    http = http or uncovered_https
    route.sections = sections_for(listeners, route.hostnames, http=http, https=https)
    if uncovered_https and "konghq.com/protocols" not in route.annotations:
        route.annotations = dict(sorted({**route.annotations,
                                         "konghq.com/protocols": ",".join(traits.protocols or ["https"])}.items()))
        report.add(src, Status.KEPT, "annotation konghq.com/protocols",
                   "carried onto the route, which also attaches to the HTTP listener: attached only to the HTTPS "
                   "listeners, Kong's controller would narrow its hosts to theirs, and plain HTTP to the other hosts "
                   "would get 404 instead of Kong's 426; the annotation keeps it HTTPS-only")
    if route.kind == "GRPCRoute" and route.sections and not http:
        report.add(src, Status.WARNING, "annotation konghq.com/protocols", "a GRPCRoute attached only to HTTPS "
                   "listeners gets upstream protocol grpcs from Kong's controller unless its Services set "
                   "konghq.com/protocol", "set konghq.com/protocol: grpc on the backend Services if they speak "
                   "plaintext gRPC")
    by_name = listeners_by_name(listeners)
    if traits.https_only and not any(by_name[s].protocol == "HTTPS" for s in route.sections if s in by_name):
        # Kong served this HTTPS-only route with its default certificate; no HTTPS listener exists for
        # the host.  Kong has no listener isolation, so attaching to the HTTP listener and keeping the
        # protocols (and redirect) annotations keeps Kong's behaviour.
        route.sections = sections_for(listeners, route.hostnames, http=True, https=False)
        kept = {"konghq.com/protocols": ",".join(traits.protocols or ["https"])}
        if traits.redirect_code is not None:
            kept["konghq.com/https-redirect-status-code"] = str(traits.redirect_code)
        route.annotations = dict(sorted({**route.annotations, **kept}.items()))
        report.discard(src, Status.KEPT, "annotation konghq.com/protocols")
        report.add(src, Status.KEPT, "annotation konghq.com/protocols",
                   f"no TLS entry lists {host or 'this route'}, so there is no HTTPS listener for it (Kong served it "
                   "with its default certificate): the route attaches to the HTTP listener and keeps "
                   f"{', '.join(sorted(kept))}, which the controller honours",
                   "add a TLS entry for the host to get an HTTPS listener")
    _keep_protocols_for_snis(route, listeners, src, report)


def _keep_protocols_for_snis(route: RouteDraft, listeners: list[ListenerPlan], src: SourceRef,
                             report: Report) -> None:
    """Kong's route schema rejects `snis` unless the protocols include https (REFERENCE §5.5a), and KIC 3.5.7+
    gives a route attached only to HTTP listeners protocols [http]: one rejected route fails the whole sync.
    Keeping Kong's default protocols on the route keeps it loadable (and routing as before) on every KIC."""
    if "konghq.com/snis" not in route.annotations or "konghq.com/protocols" in route.annotations:
        return
    by_name = listeners_by_name(listeners)
    if any(by_name[s].protocol == "HTTPS" for s in route.sections if s in by_name):
        return
    route.annotations = dict(sorted({**route.annotations, "konghq.com/protocols": "http,https"}.items()))
    report.add(src, Status.KEPT, "annotation konghq.com/snis",
               f"the {route.kind} for {', '.join(route.hostnames) or 'every host'} attaches to no HTTPS listener, so "
               "Kong's controller "
               "(3.5.7+) would give it protocols [http] and Kong would reject snis on it (failing the whole sync): "
               "the route also keeps konghq.com/protocols: http,https, Kong's default the Ingress had")


def _report_protocols(out: HTTPTranslation, traits: RouteTraits, listeners: list[ListenerPlan], src: SourceRef,
                      report: Report) -> None:
    """Say which listeners the routes actually attach to (never a listener that does not exist)."""
    if traits.grpc or "konghq.com/protocols" in traits.kept or report.has(src, "annotation konghq.com/protocols"):
        return
    by_name = listeners_by_name(listeners)
    attached = sorted({by_name[s].protocol for r in out.routes for s in r.sections if s in by_name})
    where = " and ".join(attached) if attached else "no"
    report.add(src, Status.CONVERTED, "annotation konghq.com/protocols",
               f"-> the routes attach to the {where} listeners (Kong's controller derives route protocols from them)")


def _plan_redirect(traits: RouteTraits, src: SourceRef, report: Report) -> None:
    """Keep Kong's own HTTPS redirect on the route (REFERENCE §5.5a): a Gateway API RequestRedirect without a
    hostname makes KIC answer with a relative Location built from the match path (the request's own path is
    lost), and on Kong >= 3.9 the generated `redirect` plugin needs an absolute URL, so Kong rejects the whole
    configuration.  `konghq.com/protocols` + `konghq.com/https-redirect-status-code`, honoured on HTTPRoute,
    answer `https://<host><request URI>` exactly as before."""
    key = f"annotation {traits.redirect_source}"
    code = traits.redirect_code
    if code is None:
        return
    if not traits.https_only:
        report.add(src, Status.IGNORED, key, "Kong redirects only when the route does not accept http; "
                   "konghq.com/protocols allows http here, so there was no redirect")
        return
    if code == 426 and traits.redirect_source != FORCE_SSL_REDIRECT:
        report.add(src, Status.CONVERTED, key, "426 is Kong's default answer to plain HTTP for an HTTPS-only route: "
                   "konghq.com/protocols keeps it")
        return
    protocols = ",".join(traits.protocols or ["https"])
    traits.kept["konghq.com/https-redirect-status-code"] = str(code)
    traits.kept["konghq.com/protocols"] = protocols
    form = "GRPCRoute has no RequestRedirect filter" if traits.grpc else (
        "a Gateway API RequestRedirect would make Kong's controller send a relative Location built from the match "
        "path (and Kong >= 3.9 rejects its redirect plugin)")
    report.add(src, Status.KEPT, key, f"Kong answers plain HTTP with {code} to https://<host><request URI>; {form}, "
               f"so the route keeps konghq.com/protocols: {protocols} and konghq.com/https-redirect-status-code: "
               f"{code}, which the controller honours on routes, and also attaches to the HTTP listener")


def _build_rules(route: RouteDraft, paths: list[IngressPath], traits: RouteTraits, ingress: Ingress,
                 inventory: Inventory, report: Report, rewrite_filters: list[dict[str, Any]],
                 uses_url_rewrite: bool, competitors: Competitors, lookahead: bool, kic_regex: bool) -> None:
    src = ingress.meta.source
    ns = ingress.meta.namespace
    # per backend, its matches in order without repeats (an ordered set: one busy backend made a list quadratic)
    by_backend: dict[BackendDraft, dict[PathMatch, None]] = {}
    for path in paths:
        if path.backend is None:
            report.add(src, Status.UNCONVERTED, f"{path.field}.backend.resource",
                       "resource backends have no Gateway API form in Kong's controller",
                       "point the path at a Service")
            continue
        match, notes = convert_path(path.path, path.path_type, traits.regex_prefix, competitors,
                                    lookahead=lookahead, kic_regex=kic_regex)
        for note in notes:
            report.add(src, note.status, path.field, note.message)
        if match is None:
            continue
        backend = resolve_reported(path.backend, ns, inventory, report, src, path.field, "path")
        if backend is None:
            continue
        by_backend.setdefault(backend, {})[match] = None

    base_filters = _plugin_filters(traits)
    if traits.strip_path and "konghq.com/strip-path" not in route.annotations:
        route.annotations["konghq.com/strip-path"] = "true"
        route.annotations = dict(sorted(route.annotations.items()))
        if uses_url_rewrite:
            why = "a rewrite already uses the URLRewrite filter"
        else:
            # REFERENCE §5.5a: KIC turns ReplacePrefixMatch into regex-only Kong paths plus a request-transformer.
            why = ("Kong's controller would turn URLRewrite ReplacePrefixMatch into regex-only Kong paths (losing "
                   "Kong's longest-prefix order between overlapping paths) and a request-transformer that replaces "
                   "the whole upstream path (losing the Service's konghq.com/path)")
        report.add(src, Status.KEPT, "annotation konghq.com/strip-path",
                   f"carried onto the route: {why}; the controller honours the annotation on routes")

    for backend, matches in by_backend.items():
        filters = base_filters + rewrite_filters
        if route.kind == "GRPCRoute":
            grpc_matches: list[MatchDraft] = []
            for m in matches:
                gm = _grpc_match(m)
                if gm is None:
                    report.add(src, Status.UNCONVERTED, "spec.rules",
                               f"path {m.value!r} ({m.type}) has no GRPCRoute method-match form",
                               "use '/' or '/package.Service' prefixes, or '/package.Service/Method' exact paths")
                    continue
                for combo in _header_combinations(traits.headers):  # Kong ORs header values here too
                    gmh = MatchDraft(path=None, grpc=gm.grpc, headers=combo)
                    if gmh not in grpc_matches:
                        grpc_matches.append(gmh)
            if grpc_matches:
                route.rules.append(RuleDraft(matches=grpc_matches, backends=[backend], filters=list(filters)))
            continue
        all_matches = [md for m in matches for md in _matches(m, traits)]
        route.rules.append(RuleDraft(matches=all_matches, backends=[backend], filters=list(filters)))


# route annotations that KIC encodes in the matchers of traditional routes: expression routes ignore them
EXPRESSION_MATCHER_ANNOTATIONS = frozenset({"konghq.com/methods", "konghq.com/snis", "konghq.com/host-aliases",
                                            "konghq.com/regex-priority", "konghq.com/path-handling"})


def _default_backend(ingress: Ingress, traits: RouteTraits, inventory: Inventory, listeners: list[ListenerPlan],
                     report: Report, out: HTTPTranslation, *, winner: bool, expressions: bool) -> None:
    """The catch-all route.  KIC builds it from the Ingress itself, so the Ingress's plugins, protocols, methods,
    headers and strip-path apply to it as to the rules' routes (REFERENCE §5.5a)."""
    src = ingress.meta.source
    field_name = "spec.defaultBackend" if ingress.api_version == "networking.k8s.io/v1" else "spec.backend"
    if not winner:
        report.add(src, Status.IGNORED, field_name, "Kong uses only the oldest Ingress's default backend; this one "
                   "was ignored by Kong and is not converted", "remove it, or make it the only default backend")
        return
    if ingress.default_backend is None:
        report.add(src, Status.UNCONVERTED, field_name, "resource default backends have no Gateway API form",
                   "point the default backend at a Service")
        return
    backend, why = resolve_backend(ingress.default_backend, ingress.meta.namespace, inventory)
    if backend is None:
        report.add(src, Status.ERROR, field_name, why or "unresolvable backend", "fix the default backend")
        return
    catch_all = PathMatch("PathPrefix", "/")
    kept = dict(traits.kept)
    if expressions:
        # translate_ingress.go translateIngressDefaultBackendRoute: with expression routes the catch-all is a
        # bare `http.path ^= "/"`, and route.go applies no matcher annotation to expression routes.
        ignored = [what for what, on in (("methods", traits.methods), ("headers", traits.headers),
                                         ("host aliases", traits.host_aliases or traits.extra_hostnames),
                                         *((k, True) for k in sorted(kept) if k in EXPRESSION_MATCHER_ANNOTATIONS))
                   if on]
        if ignored:
            report.add(src, Status.IGNORED, field_name,
                       f"with the expressions router Kong's controller builds the default backend's route as a bare "
                       f"catch-all: the Ingress's {', '.join(ignored)} never applied to it, so they are left out")
        traits = replace(traits, methods=[], headers={}, host_aliases=[], extra_hostnames=[])
        kept = {k: v for k, v in kept.items() if k not in EXPRESSION_MATCHER_ANNOTATIONS}
    rule = RuleDraft(matches=_matches(catch_all, traits), backends=[backend], filters=_plugin_filters(traits))
    # KIC appends the host aliases to the catch-all route's (empty) hosts too: they restrict it (route.go
    # overrideHosts), as for a rule without host
    hostnames = list(dict.fromkeys(traits.host_aliases + traits.extra_hostnames))
    route = RouteDraft(
        kind="HTTPRoute", namespace=ingress.meta.namespace, name=f"{ingress.meta.name}-default-backend", source=src,
        hostnames=hostnames, rules=[rule], identity=("default-backend", ingress.meta.namespace, ingress.meta.name),
    )
    route.annotations = kept
    if traits.strip_path:
        route.annotations["konghq.com/strip-path"] = "true"
    route.annotations = dict(sorted(route.annotations.items()))
    _attach_route(route, traits, listeners, src, report, "")
    out.routes.append(route)
    applied = [what for what, on in (("plugins", traits.plugin_filters or "konghq.com/plugins" in traits.kept),
                                     ("methods", traits.methods), ("headers", traits.headers),
                                     ("kept annotations", kept)) if on]
    also = f"; the Ingress's {', '.join(applied)} apply to it as in Kong" if applied else ""
    where = f"with hostnames {', '.join(hostnames)} (the host aliases restrict it, as in Kong)" if hostnames \
        else "without hostnames"
    report.add(src, Status.CONVERTED, field_name, f"-> catch-all rule (PathPrefix '/') to {backend.name}:{backend.port} "
               f"in an HTTPRoute {where}{also}")
    # the catch-all competes with the rules' matches as they are (the Ingress's methods and headers included),
    # and for Kong with their Kong paths (KIC gives it the plain path '/')
    headers = tuple(sorted((name, tuple(v.value for v in values)) for name, values in traits.headers.items()))
    for h in hostnames or ["*"]:
        for m in rule.matches:
            out.claims.append(((h, m.path, m.method, m.headers, None), src, f"{backend.name}:{backend.port}"))
        out.kong_paths.append(((h, "/", route_category(traits), tuple(traits.methods), headers), src,
                               f"{ingress.default_backend.service}:"
                               f"{ingress.default_backend.port_number or ingress.default_backend.port_name}"))


def iter_conflicts(claims: list[tuple[tuple[Any, ...], SourceRef, str]]) -> Iterator[tuple[tuple[Any, ...], list[tuple[SourceRef, str]]]]:
    """The same request match claimed with different backends, by different Ingresses or by several paths of
    one Ingress (Kong then picks between equal routes by its own tie-break, not by rule order).  A backend is a
    Service of the claiming Ingress's namespace: `web:80` of two namespaces are two backends."""
    by_key: dict[tuple[Any, ...], list[tuple[SourceRef, str]]] = {}
    for key, src, backend in claims:
        by_key.setdefault(key, []).append((src, backend))
    for key, owners in by_key.items():
        backends = {(s.namespace, b) for s, b in owners}
        if len(backends) > 1:
            yield key, owners


def kic_traditional_paths(path: str, path_type: str, regex_prefix: str) -> list[str]:
    """The Kong paths KIC builds for an Ingress path with the traditional routers (subtranslator/ingress.go
    `PathsFromIngressPaths`, the regex marker replaced by `~`)."""
    if path_type == "Prefix":
        base = path.strip("/")
        return ["/"] if not base else [f"/{base}/", f"~/{base}$"]
    if path_type == "Exact":
        return [f"~/{path.lstrip('/')}$"]
    if path_type == "ImplementationSpecific":
        if regex_prefix and path.startswith(regex_prefix):
            return ["~" + path[len(regex_prefix):]]
        return [path or "/"]
    return []


def kic_atc_path_rank(path: str, path_type: str, regex_prefix: str) -> tuple[int, int] | None:
    """What one Ingress path adds to its Kong route's priority with the expressions router (ingress_atc.go
    `calculateIngressRoutePriorityTraits`): (regex path, path length); Exact and Prefix paths count as regex."""
    if path_type == "Exact":
        return 1, 1 + len(path.lstrip("/"))
    if path_type == "Prefix":
        base = path.strip("/")
        return 1, 1 if not base else 2 + len(base)
    if path_type == "ImplementationSpecific":
        if regex_prefix and path.startswith(regex_prefix):
            return 1, len(path) - len(regex_prefix)
        return 0, len(path)
    return None


def path_literal(path: str, path_type: str, regex_prefix: str) -> str | None:
    """The literal start every request of the path has (None for a regex path)."""
    if path_type == "ImplementationSpecific" and regex_prefix and path.startswith(regex_prefix):
        return None
    return path if path_type != "Prefix" else (path.rstrip("/") or "/")


def iter_atc_rank_inflations(atc_paths: list[AtcPath]) -> Iterator[tuple[AtcPath, list[AtcPath]]]:
    """Expressions router: KIC builds one Kong route per (Ingress, host, backend) and ranks it by its strongest
    path, so a weaker prefix of that route (e.g. a catch-all '/') outranked other backends' paths it also matches
    that an HTTPRoute, which ranks each match on its own, puts first.  Yields (the weak path, those others)."""
    groups: dict[tuple[Any, ...], tuple[int, int]] = {}
    for a in atc_paths:
        gkey = (a.key, a.src, a.backend)
        groups[gkey] = max(groups.get(gkey, a.rank), a.rank)
    for a in atc_paths:
        strongest = groups[(a.key, a.src, a.backend)]
        literal = a.literal
        if literal is None or a.rank >= strongest:
            continue
        lost = [b for b in atc_paths if b.key == a.key and (b.src.namespace, b.backend) != (a.src.namespace, a.backend)
                and a.rank < b.rank <= strongest and b.literal is not None
                and (literal in ("", "/") or b.literal.startswith(literal))]
        if lost:
            yield a, list(dict.fromkeys(lost))


def iter_atc_exact_below_prefix(atc_paths: list[AtcPath]) -> Iterator[tuple[AtcPath, list[AtcPath]]]:
    """Expressions router: an Exact path that a Prefix path of another backend also matches and that KIC ranked
    no higher (a Prefix path counts one byte more: Exact '/a/' ties Prefix '/a', Exact '/a' loses to it), while an
    HTTPRoute's Exact match outranks every PathPrefix.  Yields (the Exact path, those Prefix paths)."""
    for a in atc_paths:
        if a.path_type != "Exact" or a.literal is None:
            continue
        exact = a.literal
        above = [b for b in atc_paths if b.key == a.key and b.path_type == "Prefix" and b.literal is not None
                 and (b.src.namespace, b.backend) != (a.src.namespace, a.backend) and b.rank >= a.rank
                 and (b.literal == "/" or exact == b.literal or exact.startswith(b.literal.rstrip("/") + "/"))]
        if above:
            yield a, list(dict.fromkeys(above))


def iter_kong_path_ties(kong_paths: list[tuple[tuple[Any, ...], SourceRef, str]]
                        ) -> Iterator[tuple[tuple[Any, ...], list[tuple[SourceRef, str]]]]:
    """Paths to different backends for which KIC built the same Kong path on routes of one category (same host,
    methods, headers): Kong told those routes apart by its tie-break between equal routes only, while the
    converted matches are ordered by Gateway API's rules (Exact, then RegularExpression, then the longest
    PathPrefix; a raw prefix became a RegularExpression)."""
    by_key: dict[tuple[Any, ...], list[tuple[SourceRef, str]]] = {}
    for key, src, backend in kong_paths:
        by_key.setdefault(key, []).append((src, backend))
    for key, owners in by_key.items():
        if len({(s.namespace, b) for s, b in owners}) > 1:
            yield key, owners


def iter_exact_prefix_ties(claims: list[tuple[tuple[Any, ...], SourceRef, str]]
                           ) -> Iterator[tuple[tuple[Any, ...], list[tuple[SourceRef, str]]]]:
    """An Exact and a PathPrefix match of the same value (and host, method, headers) to different backends.

    Gateway API gives the exact path to the Exact match, but Kong's controller turns both into the same Kong
    regex path `~<value>$` (subtranslator/httproute.go `generateKongRoutePathFromHTTPRouteMatch`), so Kong's
    tie-break between equal routes decides which backend answers the exact path; for the Ingresses it did too
    (subtranslator/ingress.go `PathsFromIngressPaths`: Exact `/a` and Prefix `/a` share `~/a$`), except for
    the root, where an Ingress's Prefix `/` is the plain path `/` and Exact `/` won.  With the expressions
    router, KIC ranks an HTTPRoute's Exact match above a PathPrefix (httproute_atc.go), but an Ingress's Prefix
    path at least as high as an Exact one of the same value (ingress_atc.go `calculateIngressRoutePriorityTraits`:
    the Prefix path counts one more byte)."""
    by_key: dict[tuple[Any, ...], list[tuple[str, SourceRef, str]]] = {}
    for key, src, backend in claims:
        path = key[1]
        if isinstance(path, PathMatch) and path.type in ("Exact", "PathPrefix"):
            by_key.setdefault((key[0], path.value, *key[2:]), []).append((path.type, src, backend))
    for key, owners in by_key.items():
        types = {t for t, _, _ in owners}
        backends = {(s.namespace, b) for _, s, b in owners}
        if len(types) > 1 and len(backends) > 1:
            yield key, [(s, b) for _, s, b in owners]
