"""Ingress → HTTPRoute/GRPCRoute drafts, scoped to the one Ingress they come from."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from migrate.annotations import parse as p
from migrate.annotations.route import AnnotationContext, RouteTraits, apply_route_annotations
from migrate.convert.drafts import BackendDraft, HeaderMatch, MatchDraft, RouteDraft, RuleDraft
from migrate.convert.listeners import ListenerPlan, sections_for
from migrate.convert.options import ConvertOptions, GatewayAPIVersion, RouterFlavor
from migrate.convert.paths import PathMatch, PlainPrefix, convert_path, plain_prefix_of
from migrate.model.inventory import Inventory
from migrate.model.objects import BackendRef, Ingress, IngressPath
from migrate.report import Report, Status
from migrate.sources import SourceRef

REDIRECT_CODES_BY_VERSION = {
    GatewayAPIVersion.V1_3: (301, 302),
    GatewayAPIVersion.V1_6: (301, 302, 303, 307, 308),
}


@dataclass
class HTTPTranslation:
    routes: list[RouteDraft] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)  # generated KongPlugins
    plugin_grants: list[tuple[str, str, str]] = field(default_factory=list)  # (from-ns, plugin-ns, plugin)
    route_kind: str = "HTTPRoute"  # the kind the plugin ReferenceGrants must admit
    # (hostname, match identity) -> (source, backend) to find the same request routed by two Ingresses
    claims: list[tuple[tuple[Any, ...], SourceRef, str]] = field(default_factory=list)


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


def host_plain_prefixes(ingresses: list[Ingress]) -> dict[str, list[PlainPrefix]]:
    """Per host, the plain prefixes Kong compares by length across all Ingresses (REFERENCE §2.1)."""
    out: dict[str, list[PlainPrefix]] = {}
    for ing in ingresses:
        regex_prefix = ing.meta.annotations.get("konghq.com/regex-prefix", "").strip() or p.DEFAULT_REGEX_PREFIX
        for rule in ing.rules:
            for path in rule.paths:
                plain = plain_prefix_of(path.path, path.path_type, regex_prefix)
                if plain is not None and plain not in out.setdefault(rule.host, []):
                    out[rule.host].append(plain)
    return out


def resolve_backend(
    backend: BackendRef, namespace: str, inventory: Inventory
) -> tuple[BackendDraft | None, str | None]:
    """A backend with a numeric port, or why it cannot be resolved."""
    if backend.port_number is not None:
        return BackendDraft(backend.service, backend.port_number), None
    svc = inventory.service(namespace, backend.service)
    if svc is None:
        return None, (f"named port {backend.port_name!r} of Service {namespace}/{backend.service} cannot be "
                      "resolved: the Service is not in the input")
    for port in svc.ports:
        if port.name == backend.port_name:
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
    host_paths: dict[str, list[PlainPrefix]] | None = None,
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
    redirect = _redirect_plan(traits, options, src, report)
    rewrite_filters: list[dict[str, Any]] = []
    uses_url_rewrite = _rewrite(traits, ingress, out, report, rewrite_filters) if by_host and not traits.grpc else False
    for host, paths in by_host.items():
        # KIC appends aliases to the route's hosts even when the rule has none: they then restrict it.
        hostnames = [host] if host else []
        hostnames += [a for a in traits.host_aliases + traits.extra_hostnames if a not in hostnames]
        route = RouteDraft(kind=kind, namespace=ns, name=ingress.meta.name + (f"-{host}" if host else ""),
                           source=src, hostnames=hostnames, identity=("ingress", ns, ingress.meta.name, host))
        route.annotations = dict(sorted(traits.kept.items()))
        _build_rules(route, paths, traits, ingress, inventory, report, rewrite_filters, uses_url_rewrite,
                     (host_paths or {}).get(host, []), options.router_flavor != RouterFlavor.EXPRESSIONS)
        if not route.rules:
            continue
        https = not traits.http_only
        # a status code kept as an annotation needs the HTTP listener so Kong can still redirect
        http = not traits.https_only or "konghq.com/https-redirect-status-code" in route.annotations
        route.sections = sections_for(listeners, hostnames, http=http, https=https)
        if kind == "GRPCRoute" and route.sections and not http:
            report.add(src, Status.WARNING, "annotation konghq.com/protocols", "a GRPCRoute attached only to HTTPS "
                       "listeners gets upstream protocol grpcs from Kong's controller unless its Services set "
                       "konghq.com/protocol", "set konghq.com/protocol: grpc on the backend Services if they speak "
                       "plaintext gRPC")
        route_redirect = redirect
        if not route.sections and traits.https_only:
            # Kong served this HTTPS-only route with its default certificate; no HTTPS listener exists for
            # the host.  Kong has no listener isolation, so attaching to the HTTP listener and keeping the
            # protocols (and redirect) annotations keeps Kong's behaviour.
            route.sections = sections_for(listeners, hostnames, http=True, https=False)
            kept = {"konghq.com/protocols": ",".join(traits.protocols or ["https"])}
            if traits.redirect_code is not None:
                kept["konghq.com/https-redirect-status-code"] = str(traits.redirect_code)
            route.annotations = dict(sorted({**route.annotations, **kept}.items()))
            route_redirect = None
            report.discard(src, Status.CONVERTED, "annotation konghq.com/protocols")
            report.add(src, Status.KEPT, "annotation konghq.com/protocols",
                       f"no TLS entry lists {host or 'this route'}, so there is no HTTPS listener for it (Kong served it "
                       "with its default certificate): the route attaches to the HTTP listener and keeps "
                       f"{', '.join(sorted(kept))}, which the controller honours",
                       "add a TLS entry for the host to get an HTTPS listener and a standard redirect route")
        out.routes.append(route)
        if route_redirect is not None:
            out.routes.append(_redirect_route(route, route_redirect, listeners))
            report.add(src, Status.CONVERTED, f"annotation {traits.redirect_source}",
                       f"-> a route on the HTTP listener with RequestRedirect (scheme https, status "
                       f"{route_redirect}); the real route attaches to HTTPS listeners")
        for route_rule in route.rules:
            for m in route_rule.matches:
                backend = ",".join(f"{b.name}:{b.port}" for b in route_rule.backends)
                for h in hostnames or ["*"]:
                    grpc = tuple(sorted(m.grpc.items())) if m.grpc else None  # a dict is unhashable
                    out.claims.append(((h, m.path, m.method, m.headers, grpc), src, backend))

    if ingress.default_backend is not None or ingress.default_backend_resource is not None:
        _default_backend(ingress, inventory, listeners, report, out, winner=default_backend_winner)
    elif not ingress.rules and not ingress.problems:
        report.add(src, Status.IGNORED, "spec", "no rules and no default backend: nothing to route")
    return out


def _redirect_plan(traits: RouteTraits, options: ConvertOptions, src: SourceRef, report: Report) -> int | None:
    """The status code of an HTTP→HTTPS redirect route to emit, or None (reporting why)."""
    key = f"annotation {traits.redirect_source}"
    code = traits.redirect_code
    if code is None:
        return None
    if traits.grpc and traits.https_only:
        # GRPCRoute has no redirect filter: keep Kong's own answer to plaintext gRPC.
        traits.kept["konghq.com/https-redirect-status-code"] = str(code)
        report.add(src, Status.KEPT, key, "GRPCRoute has no RequestRedirect filter: the route keeps this annotation "
                   "with konghq.com/protocols and also attaches to the HTTP listener, so Kong answers plaintext gRPC "
                   "as before")
        return None
    if not traits.https_only:
        report.add(src, Status.IGNORED, key, "Kong redirects only when the route does not accept http; "
                   "konghq.com/protocols allows http here, so there was no redirect")
        return None
    if code == 426:
        report.add(src, Status.CONVERTED, key, "426 is Kong's answer to plain HTTP for an HTTPS-only route: "
                   "attaching the route to HTTPS listeners only keeps it")
        return None
    if code not in REDIRECT_CODES_BY_VERSION[options.gateway_api_version]:
        traits.kept["konghq.com/https-redirect-status-code"] = str(code)
        traits.kept["konghq.com/protocols"] = ",".join(traits.protocols or ["https"])
        report.add(src, Status.KEPT, key, f"status {code} cannot be a RequestRedirect in Gateway API "
                   f"{options.gateway_api_version.value}; the route keeps konghq.com/protocols and this annotation "
                   "and attaches to the HTTP listener too, so Kong still redirects",
                   "or use --gateway-api-version v1.6, which allows 303/307/308")
        return None
    return code  # reported where the redirect route is emitted


def _redirect_route(route: RouteDraft, code: int, listeners: list[ListenerPlan]) -> RouteDraft:
    redirect = {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": code}}
    rules = [RuleDraft(matches=list(r.matches), filters=[redirect]) for r in route.rules]
    return RouteDraft(
        kind="HTTPRoute", namespace=route.namespace, name=route.name + "-https-redirect", source=route.source,
        hostnames=list(route.hostnames), sections=sections_for(listeners, route.hostnames, http=True, https=False),
        rules=rules, identity=(*route.identity, "https-redirect"),
    )


def _build_rules(route: RouteDraft, paths: list[IngressPath], traits: RouteTraits, ingress: Ingress,
                 inventory: Inventory, report: Report, rewrite_filters: list[dict[str, Any]],
                 uses_url_rewrite: bool, competitors: list[PlainPrefix], lookahead: bool) -> None:
    src = ingress.meta.source
    ns = ingress.meta.namespace
    by_backend: dict[BackendDraft, list[PathMatch]] = {}
    for path in paths:
        if path.backend is None:
            report.add(src, Status.UNCONVERTED, f"{path.field}.backend.resource",
                       "resource backends have no Gateway API form in Kong's controller",
                       "point the path at a Service")
            continue
        match, notes = convert_path(path.path, path.path_type, traits.regex_prefix, competitors,
                                    lookahead=lookahead)
        for note in notes:
            report.add(src, note.status, path.field, note.message)
        if match is None:
            continue
        backend = resolve_reported(path.backend, ns, inventory, report, src, path.field, "path")
        if backend is None:
            continue
        bucket = by_backend.setdefault(backend, [])
        if match not in bucket:
            bucket.append(match)

    base_filters = _plugin_filters(traits)
    strip_key = "annotation konghq.com/strip-path"
    strip_with_filter = False
    if traits.strip_path:
        all_prefix = all(m.type == "PathPrefix" for ms in by_backend.values() for m in ms)
        # Each (path, method, header values) match gets its own rule: ReplacePrefixMatch allows one match per rule.
        if route.kind == "HTTPRoute" and all_prefix and not uses_url_rewrite:
            strip_with_filter = True
            report.add(src, Status.CONVERTED, strip_key,
                       "-> URLRewrite ReplacePrefixMatch '/' (one PathPrefix match per rule)")
        elif "konghq.com/strip-path" not in route.annotations:
            route.annotations["konghq.com/strip-path"] = "true"
            route.annotations = dict(sorted(route.annotations.items()))
            why = ("a rewrite already uses the URLRewrite filter" if uses_url_rewrite else
                   "the paths are not all segment prefixes (Exact or regex paths)")
            report.add(src, Status.KEPT, strip_key, f"carried onto the route: {why}, so URLRewrite "
                       "ReplacePrefixMatch cannot express it; the controller honours the annotation")

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
        if strip_with_filter:
            for m in matches:
                strip = {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch",
                                                                       "replacePrefixMatch": "/"}}}
                route.rules.append(RuleDraft(matches=_matches(m, traits), backends=[backend],
                                             filters=[*filters, strip], one_match_per_rule=True))
            continue
        all_matches = [md for m in matches for md in _matches(m, traits)]
        route.rules.append(RuleDraft(matches=all_matches, backends=[backend], filters=list(filters)))


def _default_backend(ingress: Ingress, inventory: Inventory, listeners: list[ListenerPlan], report: Report,
                     out: HTTPTranslation, *, winner: bool) -> None:
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
    rule = RuleDraft(matches=[MatchDraft(path=PathMatch("PathPrefix", "/"))], backends=[backend])
    route = RouteDraft(
        kind="HTTPRoute", namespace=ingress.meta.namespace, name=f"{ingress.meta.name}-default-backend", source=src,
        hostnames=[], sections=[lst.name for lst in listeners if lst.protocol in ("HTTP", "HTTPS")],
        rules=[rule], identity=("default-backend", ingress.meta.namespace, ingress.meta.name),
    )
    out.routes.append(route)
    report.add(src, Status.CONVERTED, field_name, f"-> catch-all rule (PathPrefix '/') to {backend.name}:{backend.port} "
               "in an HTTPRoute without hostnames")
    out.claims.append((("*", PathMatch("PathPrefix", "/"), None, (), None), src, f"{backend.name}:{backend.port}"))


def iter_conflicts(claims: list[tuple[tuple[Any, ...], SourceRef, str]]) -> Iterator[tuple[tuple[Any, ...], list[tuple[SourceRef, str]]]]:
    """The same request match claimed by different Ingresses with different backends."""
    by_key: dict[tuple[Any, ...], list[tuple[SourceRef, str]]] = {}
    for key, src, backend in claims:
        by_key.setdefault(key, []).append((src, backend))
    for key, owners in by_key.items():
        sources = {s for s, _ in owners}
        backends = {b for _, b in owners}
        if len(sources) > 1 and len(backends) > 1:
            yield key, owners
