"""The conversion: loaded documents in, Gateway API objects and a report out.  Pure: no I/O."""

from __future__ import annotations

from typing import Any

from migrate.annotations.route import AnnotationContext, apply_route_annotations
from migrate.convert.classes import CLASS_ANNOTATION, KONG_ANNOTATION_PREFIX, build_selector, skip_hint
from migrate.convert.emit import render_routes
from migrate.convert.gateway import gateway_objects, plan_http_listeners, reference_grants
from migrate.convert.gwapi import EXPERIMENTAL, GATEWAY_ALPHA
from migrate.convert.http import (
    AtcPath,
    host_plain_prefixes,
    iter_atc_exact_below_prefix,
    iter_atc_rank_inflations,
    iter_conflicts,
    iter_exact_prefix_ties,
    iter_kong_path_ties,
    route_category,
    translate_ingress,
)
from migrate.convert.l4 import report_kong_service_collisions, second_gateway_name, translate_l4
from migrate.convert.options import ConvertOptions, RouterFlavor
from migrate.convert.result import ConvertResult
from migrate.convert.services import check_services
from migrate.loader import SourceDoc
from migrate.model.inventory import Inventory, build_inventory
from migrate.model.objects import Ingress
from migrate.report import Report, Status, quote
from migrate.sources import GENERATED, SourceRef

KONG_KIND_ORDER = {"KongPlugin": 0, "KongUpstreamPolicy": 1, "BackendTLSPolicy": 2}


def _age_key(ing: Ingress) -> tuple[str, str, str]:
    # Kong resolves conflicts in favour of the oldest object; without timestamps, fall back to name order
    # so the result never depends on input order.  An object without a creationTimestamp counts as the oldest,
    # as in KIC (`CreationTimestamp.Before` with Go's zero time, e.g. translate_ingress.go
    # `getDefaultBackendService`) and in the verifier's KIC model (migrate/kic/store.py `age_key`).
    return (ing.meta.creation_timestamp, ing.meta.namespace, ing.meta.name)


def select_ingresses(inventory: Inventory, options: ConvertOptions, report: Report) -> list[Ingress]:
    selector = build_selector(options.ingress_classes, inventory.ingress_classes, options.default_ingress_class)
    accepted: list[Ingress] = []
    for ing in inventory.ingresses:
        ok, why = selector.accepts(ing.meta.annotations, ing.ingress_class_name)
        if ok:
            accepted.append(ing)
            for pruned in ing.pruned:
                report.add(ing.meta.source, Status.WARNING, pruned.field, pruned.message,
                           "if it is meant to route, write it in networking.k8s.io/v1 form: " + (
                               "spec.defaultBackend" if pruned.field == "spec.backend" else
                               "backend.service.name and backend.service.port.number (or .name)"))
            if why.startswith("no class"):  # taken as Kong's by default: say so, it is not in the object
                report.add(ing.meta.source, Status.INFO, "ingress class", f"Kong's: {why}")
        else:
            action, warning = skip_hint(selector, ing.meta.annotations, ing.ingress_class_name)
            report.add(ing.meta.source, Status.SKIPPED, "ingress class",
                       f"not served by Kong ({why}; Kong classes: {', '.join(sorted(selector.classes))})", action)
            if warning:
                report.add(ing.meta.source, Status.WARNING, "ingress class", warning, action)
    return sorted(accepted, key=_age_key)


def route_categories(ingresses: list[Ingress], inventory: Inventory, options: ConvertOptions
                     ) -> dict[SourceRef, tuple[object, ...]]:
    """Each Ingress's Kong route category (http.route_category), from its annotations as the conversion reads
    them (a scratch report: translate_ingress reports them)."""
    return {ing.meta.source: route_category(apply_route_annotations(
        AnnotationContext(ing.meta, "Ingress", inventory, options, Report()))) for ing in ingresses}


def _report_conflicts(claims: list[tuple[tuple[Any, ...], SourceRef, str]],
                      kong_paths: list[tuple[tuple[Any, ...], SourceRef, str]],
                      atc_paths: list[AtcPath],
                      options: ConvertOptions, report: Report) -> None:
    """Requests several Ingress paths claim for different backends, where Kong's choice may not be Gateway API's;
    one warning per group of paths (a group inside one already reported is not reported again)."""
    reported: list[set[tuple[SourceRef, str]]] = []

    def warn(owners: list[tuple[SourceRef, str]], message: str, action: str) -> None:
        group = set(owners)
        if any(group <= r for r in reported):
            return
        reported.append(group)
        for src in dict.fromkeys(s for s, _ in owners):
            report.add(src, Status.WARNING, "routing conflict", message, action)

    def who(owners: list[tuple[SourceRef, str]]) -> str:
        return "; ".join(dict.fromkeys(f"{s.object_id} -> {b}" for s, b in sorted(owners, key=lambda o: str(o[0]))))

    for key, owners in iter_conflicts(claims):
        host, path = key[0], key[1]
        desc = f"host {host} path {path.type} {path.value}" if path else f"host {host}"
        if len({s for s, _ in owners}) > 1:
            warn(owners, f"the same request ({desc}) is routed to different backends by several Ingresses "
                 f"({who(owners)}); Gateway API gives it to the oldest route, Kong's choice may differ",
                 "make the paths distinct, or merge the Ingresses")
        else:
            backends = ", ".join(dict.fromkeys(b for _, b in owners))
            warn(owners, f"the same request ({desc}) is routed to different backends by several paths of this "
                 f"Ingress ({backends}); Gateway API gives it to the first rule, while Kong picks between the equal "
                 "routes by its own tie-break, so the backend may change", "keep one path per match")
    expressions = options.router_flavor == RouterFlavor.EXPRESSIONS
    for key, owners in iter_exact_prefix_ties(claims):
        host, value = key[0], key[1]
        if expressions:
            kong = ("and so does Kong's controller for HTTPRoutes, but with the expressions router it ranked the "
                    "Ingresses' Prefix path at least as high as the Exact one")
        else:
            kong = (f"but Kong's controller makes both the regex path '~{value}$' (for the Ingresses too, except an "
                    "Ingress Prefix '/'), so Kong's tie-break between equal routes picks the backend")
        warn(owners, f"host {host}: the exact path {value} and the prefix {value} lead to different backends "
             f"({who(owners)}); Gateway API gives {value} to the Exact match, {kong}: the backend for exactly {value} "
             "may change", "make the paths distinct, or point them at the same backend")
    if expressions:
        for weak, lost in iter_atc_rank_inflations(atc_paths):
            others = "; ".join(f"{b.src.object_id} {quote(b.literal)} -> {b.backend}" for b in lost)
            warn([(weak.src, weak.backend), *((b.src, b.backend) for b in lost)],
                 f"with the expressions router Kong's controller ranks one route per host and backend by its "
                 f"strongest path, so the path {quote(weak.literal or '/')} to {weak.backend} outranked {others} for the "
                 "requests both match; the HTTPRoute ranks each match on its own, so those requests may now reach "
                 "the other backend", "give the paths of one backend the same kind and length, or make them distinct")
        for exact, above in iter_atc_exact_below_prefix(atc_paths):
            others = "; ".join(f"{b.src.object_id} Prefix {quote(b.literal)} -> {b.backend}" for b in above)
            warn([(exact.src, exact.backend), *((b.src, b.backend) for b in above)],
                 f"with the expressions router Kong's controller ranked the Exact path {quote(exact.literal)} to "
                 f"{exact.backend} no higher than {others} (a Prefix path counts one byte more), so the Prefix path "
                 "could take its requests; an HTTPRoute's Exact match outranks every PathPrefix, so they now reach "
                 f"{exact.backend}", "make the paths distinct, or point them at the same backend")
        return
    for key, owners in iter_kong_path_ties(kong_paths):
        host, kong_path = key[0], key[1]
        warn(owners, f"host {host}: paths to different backends ({who(owners)}) all became the Kong path "
             f"{quote(kong_path)} in Kong's controller, so Kong picked between their routes by its tie-break between "
             "equal routes; the converted matches follow Gateway API's order (Exact, RegularExpression, longest "
             "PathPrefix), so requests matching that Kong path may reach another backend",
             "make the paths distinct, or point them at the same backend")


def convert_inventory(inventory: Inventory, options: ConvertOptions, report: Report) -> ConvertResult:
    result = ConvertResult(report=report)
    ingresses = select_ingresses(inventory, options, report)
    listeners = plan_http_listeners(ingresses, inventory, options, report)
    default_winner = next((i for i in ingresses if i.default_backend or i.default_backend_resource), None)

    host_paths = host_plain_prefixes(ingresses, route_categories(ingresses, inventory, options))
    drafts = []
    extra: list[dict[str, Any]] = []
    grant_requests: list[tuple[str, str, str, str, str, str, str]] = []
    claims = []
    kong_paths: list[tuple[tuple[Any, ...], SourceRef, str]] = []
    atc_paths: list[AtcPath] = []
    for ing in ingresses:
        tr = translate_ingress(ing, inventory=inventory, options=options, listeners=listeners, report=report,
                               default_backend_winner=ing is default_winner, host_paths=host_paths)
        drafts.extend(tr.routes)
        extra.extend(tr.objects)
        claims.extend(tr.claims)
        kong_paths.extend(tr.kong_paths)
        atc_paths.extend(tr.atc_paths)
        for from_ns, plugin_ns, plugin in tr.plugin_grants:
            grant_requests.append((plugin_ns, "gateway.networking.k8s.io", tr.route_kind, from_ns,
                                   "configuration.konghq.com", "KongPlugin", plugin))
        if not tr.routes:
            report.add(ing.meta.source, Status.INFO, "output", "no routes produced")

    _report_conflicts(claims, kong_paths, atc_paths, options, report)
    report_kong_service_collisions(ingresses, inventory, options, report)
    l4 = translate_l4(inventory, options, report, listeners)
    listeners = listeners + l4.listeners
    drafts.extend(l4.routes)
    for route_ns, route_kind, plugin_ns, plugin in l4.plugin_grants:
        grant_requests.append((plugin_ns, "gateway.networking.k8s.io", route_kind, route_ns,
                               "configuration.konghq.com", "KongPlugin", plugin))

    extra.extend(check_services(drafts, inventory, options, report, result))

    gwns = options.gateway_namespace
    for lst in listeners:
        if lst.cert and lst.cert[0] != gwns:
            grant_requests.append((lst.cert[0], "gateway.networking.k8s.io", "Gateway", gwns, "", "Secret", lst.cert[1]))
    by_section = {lst.name: lst for lst in [*listeners, *l4.second_gateway]}
    for draft in drafts:
        for section in draft.sections:
            if section in by_section:
                by_section[section].route_namespaces.add(draft.namespace)
    objects, owner = gateway_objects(listeners, options, report)
    if l4.second_gateway:  # UDP next to TCP/TLS on one port: a Gateway of its own (REFERENCE §5.3)
        more, more_owner = gateway_objects(l4.second_gateway, options.model_copy(
            update={"gateway_name": second_gateway_name(options)}), report)
        objects += more[1:]  # the GatewayClass is already there
        owner.update(more_owner)
    routes = render_routes(drafts, owner, options, report)
    grants = reference_grants(grant_requests, report)
    kong_objects = sorted(
        extra, key=lambda o: (KONG_KIND_ORDER.get(o["kind"], 9), o["metadata"].get("namespace", ""), o["metadata"]["name"])
    )
    result.objects = objects + grants + routes + kong_objects
    if not routes:
        _without_routes(result, inventory, options, report)

    kinds = {o["kind"] for o in result.objects}
    experimental = sorted(kinds & EXPERIMENTAL[options.gateway_api_version])
    if experimental:
        report.add(GENERATED, Status.INFO, "Gateway API channel",
                   f"{', '.join(experimental)} {'needs' if len(experimental) == 1 else 'need'} the "
                   "experimental-channel CRDs of Gateway API "
                   f"{options.gateway_api_version.value}")
    alpha = sorted(kinds & GATEWAY_ALPHA)
    if alpha:
        report.add(GENERATED, Status.INFO, "feature gate",
                   f"{', '.join(alpha)} {'is' if len(alpha) == 1 else 'are'} served by Kong's controller only with "
                   "the GatewayAlpha feature gate",
                   "set ingressController.env.feature_gates: GatewayAlpha=true in the Helm values")
    return result


SHARED_KINDS = frozenset({"GatewayClass", "Gateway", "ReferenceGrant"})
KONG_CRD_KINDS = ("KongPlugin", "KongClusterPlugin", "KongIngress", "KongUpstreamPolicy")


def _plural(n: int, kind: str) -> str:
    return f"{n} {kind}" + ("" if n == 1 else ("es" if kind.endswith("s") else "s"))


def _without_routes(result: ConvertResult, inventory: Inventory, options: ConvertOptions, report: Report) -> None:
    """No route was produced: a GatewayClass and a Gateway without routes are no plan, so they are not emitted;
    when nothing else is either, the report says what happened instead of "everything converted", and needs a
    human when the input held objects that look like Kong's (the class choice is probably wrong)."""
    result.objects = [o for o in result.objects if o["kind"] not in SHARED_KINDS]
    if result.objects or result.patches:
        report.add(GENERATED, Status.INFO, "output", "no route was produced, so no GatewayClass or Gateway is emitted")
        return
    selector = build_selector(options.ingress_classes, inventory.ingress_classes, options.default_ingress_class)
    skipped: dict[str, int] = {}
    classes: set[str] = set()
    classless = 0
    kong_looking: list[str] = []
    sources = [(i.meta, "Ingress", selector.accepts(i.meta.annotations, i.ingress_class_name)[0],
                i.meta.annotations.get(CLASS_ANNOTATION, "").strip() or i.ingress_class_name or "")
               for i in inventory.ingresses]
    sources += [(o.meta, o.kind, selector.accepts_annotation_only(o.meta.annotations)[0],
                 o.meta.annotations.get(CLASS_ANNOTATION, "").strip())
                for o in inventory.tcp_ingresses + inventory.udp_ingresses]
    accepted = 0
    for meta, kind, ok, cls in sources:
        if ok:
            accepted += 1
            continue
        skipped[kind] = skipped.get(kind, 0) + 1
        if cls:
            classes.add(cls)
        else:
            classless += 1
        if kind != "Ingress" or any(k.startswith(KONG_ANNOTATION_PREFIX) for k in meta.annotations):
            kong_looking.append(meta.source.object_id)
    parts: list[str] = []
    if skipped:
        what = " and ".join(_plural(n, k) for k, n in sorted(skipped.items()))
        why = []
        if classes:
            names = ", ".join(f"'{c}'" for c in sorted(classes))
            why.append(f"class {names} is not Kong's" if len(classes) == 1 else f"classes {names} are not Kong's")
        if classless:
            who = "without a class" if classless == sum(skipped.values()) else f"{classless} of them without a class"
            why.append(f"{who}, and no Kong IngressClass is the cluster default")
        parts.append(f"{what} skipped, {'; '.join(why)} (Kong classes: {', '.join(sorted(selector.classes))})")
    if accepted:
        parts.append(f"{accepted} object(s) of Kong's classes produced no route (see their entries)")
    if not sources:
        parts.append("the input holds no Ingress, TCPIngress or UDPIngress")
    report.summary = "nothing converted: " + "; ".join(parts)
    crds = [(k, sum(1 for o in inventory.plugins + inventory.cluster_plugins + inventory.kong_ingresses
                    + inventory.upstream_policies if o.meta.source.kind == k)) for k in KONG_CRD_KINDS]
    services = sum(1 for s in inventory.services if any(k.startswith(KONG_ANNOTATION_PREFIX) for k in s.meta.annotations))
    held = [", ".join(kong_looking[:5]) + (f" and {len(kong_looking) - 5} more" if len(kong_looking) > 5 else "")
            ] if kong_looking else []
    held += [_plural(n, k) for k, n in crds if n]
    if services:
        held.append(f"{_plural(services, 'Service')} with konghq.com/* annotations")
    if held and (skipped or not sources):
        report.add(GENERATED, Status.UNCONVERTED, "ingress-class",
                   f"the input holds objects that look like Kong's ({'; '.join(held)}), but nothing was converted: "
                   "every Ingress, TCPIngress and UDPIngress was skipped by its ingress class" if skipped else
                   f"the input holds objects that look like Kong's ({'; '.join(held)}), but no Ingress, TCPIngress "
                   "or UDPIngress to convert",
                   "pass --ingress-class NAME for the class Kong serves, or --default-ingress-class NAME when Kong's "
                   "IngressClass is the cluster default; or add the Kong Ingresses to the input")


def run_convert(docs: list[SourceDoc], options: ConvertOptions, report: Report | None = None) -> ConvertResult:
    """Convert loaded documents; never raises for bad input objects (they are reported)."""
    report = report if report is not None else Report()
    inventory = build_inventory(docs, report)
    return convert_inventory(inventory, options, report)
