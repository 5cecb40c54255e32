"""TCPIngress / UDPIngress → TCP, UDP and TLS listeners plus TCPRoute, UDPRoute, TLSRoute drafts.

REFERENCE §3.1, §3.2, §5.3, §5.6.  Kong matches L4 routes by the listener's port (TCP/UDP) or by SNI
(TLS passthrough); Kong's controller has no TLS-terminating L4 route, so a TCPIngress host that Kong
terminated TLS for is a blocker, never silently turned into something else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrate.annotations import parse as p
from migrate.annotations.route import AnnotationContext, apply_route_annotations
from migrate.convert.classes import build_selector, skip_hint
from migrate.convert.drafts import RouteDraft, RuleDraft
from migrate.convert.http import resolve_reported
from migrate.convert.listeners import ListenerPlan
from migrate.convert.naming import assign_unique, bounded, join
from migrate.convert.options import ConvertOptions
from migrate.model.inventory import Inventory
from migrate.model.objects import Ingress, L4Ingress, L4Rule
from migrate.report import Report, Status
from migrate.sources import SourceRef

ROUTE_KIND = {"TCP": "TCPRoute", "UDP": "UDPRoute", "TLS": "TLSRoute"}
PLUGINS = "konghq.com/plugins"
TAGS = "konghq.com/tags"
# HTTP route settings: Kong's route schema rejects them for stream protocols, so they never applied.
HTTP_ONLY = frozenset({
    "konghq.com/methods", "konghq.com/headers-separator", "konghq.com/strip-path", "konghq.com/preserve-host",
    "konghq.com/https-redirect-status-code", "ingress.kubernetes.io/force-ssl-redirect", "konghq.com/host-aliases",
    "konghq.com/regex-prefix", "konghq.com/regex-priority", "konghq.com/path-handling",
    "konghq.com/request-buffering", "konghq.com/response-buffering", "konghq.com/rewrite",
})


@dataclass
class L4Translation:
    listeners: list[ListenerPlan] = field(default_factory=list)
    # UDP (or TCP/TLS) listeners whose port the other kind already uses: they need a Gateway of their own
    second_gateway: list[ListenerPlan] = field(default_factory=list)
    routes: list[RouteDraft] = field(default_factory=list)
    # (route namespace, route kind, plugin namespace, plugin) for cross-namespace plugin references
    plugin_grants: list[tuple[str, str, str, str]] = field(default_factory=list)
    # per source object: the cross-namespace plugins its routes reference
    cross_plugins: dict[SourceRef, list[tuple[str, str]]] = field(default_factory=dict)


@dataclass
class _Claim:
    """A rule that wants a listener: (protocol, port, hostname)."""

    obj: L4Ingress
    rule: L4Rule
    protocol: str
    hostname: str | None
    route: RouteDraft


def _age_key(obj: L4Ingress) -> tuple[str, str, str, str]:
    # no creationTimestamp: the oldest, as in KIC (translate_kong_l4.go sorts by `CreationTimestamp.Before`)
    return (obj.meta.creation_timestamp, obj.kind, obj.meta.namespace, obj.meta.name)


def _l4_plugins(obj: L4Ingress, inventory: Inventory, report: Report, out: L4Translation) -> str | None:
    """The plugins annotation to carry onto the L4 routes (they have no filters: the annotation is the form)."""
    value = obj.meta.annotations.get(PLUGINS)
    if value is None:
        return None
    subject = f"annotation {PLUGINS}"
    try:
        refs = p.parse_plugins(value)
    except p.AnnotationValueError as exc:
        report.add(obj.meta.source, Status.ERROR, subject, f"invalid value: {exc}; not converted",
                   "fix the value on the source object")
        return None
    ns = obj.meta.namespace
    for ref in refs:
        if ref.namespace and ref.namespace != ns:
            out.cross_plugins.setdefault(obj.meta.source, []).append((ref.namespace, ref.name))
            if inventory.plugin(ref.namespace, ref.name) is None:
                report.add(obj.meta.source, Status.WARNING, subject,
                           f"KongPlugin {ref.namespace}/{ref.name} is not in the input",
                           "make sure it exists before applying")
        elif inventory.plugin(ns, ref.name) is None and inventory.cluster_plugin(ref.name) is None:
            report.add(obj.meta.source, Status.WARNING, subject,
                       f"KongPlugin {ns}/{ref.name} (or KongClusterPlugin {ref.name}) is not in the input",
                       "make sure it exists before applying")
    cleaned = ",".join(f"{r.namespace}:{r.name}" if r.namespace else r.name for r in refs)
    report.add(obj.meta.source, Status.KEPT, subject,
               "carried onto the L4 routes: they have no filters, and the controller honours the annotation on "
               "TCPRoute, UDPRoute and TLSRoute" + (" (ReferenceGrant emitted)" if any(r.namespace and r.namespace != ns
                                                                                   for r in refs) else ""))
    return cleaned


def _annotations(obj: L4Ingress, inventory: Inventory, options: ConvertOptions, report: Report,
                 out: L4Translation) -> tuple[dict[str, str], list[str] | None]:
    """Kept route annotations and the protocols annotation of one TCPIngress/UDPIngress."""
    anns = obj.meta.annotations
    src = obj.meta.source
    skip = {k for k in anns if k in HTTP_ONLY or k.startswith(p.HEADERS_PREFIX)} | {PLUGINS, TAGS}
    for key in sorted(skip - {PLUGINS, TAGS}):
        report.add(src, Status.IGNORED, f"annotation {key}",
                   f"an HTTP route setting: Kong cannot apply it to a {obj.kind} route (stream protocols); "
                   "not carried over", "remove it")
    ctx = AnnotationContext(obj.meta, obj.kind, inventory, options, report)
    traits = apply_route_annotations(ctx, skip=frozenset(skip))
    kept = dict(traits.kept)
    plugins = _l4_plugins(obj, inventory, report, out)
    if plugins:
        kept[PLUGINS] = plugins
    tags = p.split_list(anns.get(TAGS, ""))
    if tags:
        kept[TAGS] = ",".join(tags)
        report.add(src, Status.KEPT, f"annotation {TAGS}", "carried onto the L4 routes; the controller adds these "
                   "Kong tags to the routes it builds from them")
    elif TAGS in anns:
        report.add(src, Status.IGNORED, f"annotation {TAGS}", "empty: no tags to add")
    return dict(sorted(kept.items())), traits.protocols


def _rule_protocol(obj: L4Ingress, rule: L4Rule, protocols: list[str] | None, report: Report) -> str | None:
    """TCP, UDP or TLS (passthrough) for one rule, or None when it cannot be converted (reported)."""
    src = obj.meta.source
    if obj.kind == "UDPIngress":
        if rule.host:
            report.add(src, Status.IGNORED, f"{rule.field}.host", "UDP has no SNI: Kong routes UDP by port only")
        return "UDP"
    passthrough = bool(protocols) and "tls_passthrough" in (protocols or [])
    if not rule.host:
        if passthrough:
            report.add(src, Status.ERROR, rule.field,
                       "konghq.com/protocols tls_passthrough needs a host: Kong routes passthrough by SNI only "
                       "(its route schema rejects a tls_passthrough route without snis)",
                       "add the SNI host to the rule; the rule was not converted")
            return None
        return "TCP"
    if passthrough:
        return "TLS"
    report.add(src, Status.UNCONVERTED, f"{rule.field}.host",
               f"host {rule.host!r} on port {rule.port}: Kong terminates TLS for this SNI and proxies plain TCP; "
               "Kong's controller has no Gateway API form for that (TLSRoute attaches only to Passthrough "
               "listeners), so nothing was emitted for this rule",
               "keep this TCPIngress rule running on Kong's controller; or let the backend terminate TLS and set "
               "konghq.com/protocols: tls_passthrough (-> TLS listener + TLSRoute); or drop the host and use a "
               "plain TCP port (-> TCP listener + TCPRoute)")
    return None


def _listener_name(protocol: str, port: int, hostname: str | None) -> str:
    return bounded(join(protocol.lower(), str(port), hostname or ""), f"{protocol}/{port}/{hostname or ''}")


def translate_l4(inventory: Inventory, options: ConvertOptions, report: Report,
                 existing: list[ListenerPlan]) -> L4Translation:
    """Listeners and route drafts for every TCPIngress/UDPIngress Kong serves.

    `existing` are the HTTP/HTTPS listeners already planned: an L4 listener on one of their ports would
    conflict (REFERENCE §5.3), so such rules are reported instead.
    """
    out = L4Translation()
    selector = build_selector(options.ingress_classes, inventory.ingress_classes, options.default_ingress_class)
    objects: list[L4Ingress] = []
    for obj in inventory.tcp_ingresses + inventory.udp_ingresses:
        ok, why = selector.accepts_annotation_only(obj.meta.annotations)
        if ok:
            objects.append(obj)
            if why.startswith("no class"):  # taken as Kong's by default: say so, it is not in the object
                report.add(obj.meta.source, Status.INFO, "ingress class", f"Kong's: {why}")
        else:
            action, warning = skip_hint(selector, obj.meta.annotations, None, annotation_only=True)
            report.add(obj.meta.source, Status.SKIPPED, "ingress class",
                       f"not served by Kong ({why}; {obj.kind} is selected by the kubernetes.io/ingress.class "
                       f"annotation only; Kong classes: {', '.join(sorted(selector.classes))})", action)
            if warning:
                report.add(obj.meta.source, Status.WARNING, "ingress class", warning, action)
    objects.sort(key=_age_key)

    claims: list[_Claim] = []
    for obj in objects:
        src = obj.meta.source
        for prob in obj.problems:
            report.add(src, Status.ERROR, prob.field, prob.message, "fix it in the object; this part was not converted")
        kept, protocols = _annotations(obj, inventory, options, report, out)
        if protocols:
            _report_protocols(obj, protocols, report)
        _report_tls(obj, protocols, report)
        if not obj.rules and not obj.problems:
            report.add(src, Status.IGNORED, "spec.rules", "no rules: nothing to route")
        for i, rule in enumerate(obj.rules):
            protocol = _rule_protocol(obj, rule, protocols, report)
            if protocol is None:
                continue
            backend = resolve_reported(rule.backend, obj.meta.namespace, inventory, report, src, rule.field, "rule")
            if backend is None:
                continue
            hostname = rule.host if protocol == "TLS" else None
            kind = ROUTE_KIND[protocol]
            route = RouteDraft(
                kind=kind, namespace=obj.meta.namespace,
                name=join(obj.meta.name, protocol.lower(), str(rule.port), hostname or ""), source=src,
                hostnames=[hostname] if hostname else [], annotations=dict(kept),
                rules=[RuleDraft(matches=[], backends=[backend])],
                identity=(obj.kind.lower(), obj.meta.namespace, obj.meta.name, str(i)),
            )
            claims.append(_Claim(obj, rule, protocol, hostname, route))

    _plan_listeners(claims, existing, options, report, out)
    routed = {r.source for r in out.routes}
    for route in out.routes:
        for plugin_ns, plugin in out.cross_plugins.get(route.source, []):
            grant = (route.namespace, route.kind, plugin_ns, plugin)
            if grant not in out.plugin_grants:
                out.plugin_grants.append(grant)
    for obj in objects:
        if obj.meta.source not in routed:
            report.add(obj.meta.source, Status.INFO, "output", "no routes produced")
    return out


def report_kong_service_collisions(ingresses: list[Ingress], inventory: Inventory, options: ConvertOptions,
                                   report: Report) -> None:
    """Ingress backends Kong never served because a TCPIngress rule targets the same Service port.

    Kong's controller names the Kong service of an Ingress backend given by port number `<ns>.<service>.<port>`
    (subtranslator/ingress.go `generateKongServiceName`), and that of a TCPIngress rule the same way
    (translate_kong_l4.go); it merges the translations by service name with the TCPIngresses last
    (translator.go `BuildKongConfig`, ingressrules.go `mergeIngressRules`), so the TCPIngress's service, which
    has only the stream routes, replaces the Ingress's with every HTTP route to that Service port.  The
    Gateway API routes get Kong services of their own: after the migration those paths are served.
    """
    selector = build_selector(options.ingress_classes, inventory.ingress_classes, options.default_ingress_class)
    tcp: dict[tuple[str, str, int], SourceRef] = {}
    for obj in sorted(inventory.tcp_ingresses, key=_age_key):
        if not selector.accepts_annotation_only(obj.meta.annotations)[0]:
            continue
        for rule in obj.rules:
            if rule.backend.service and rule.backend.port_number is not None:
                tcp.setdefault((obj.meta.namespace, rule.backend.service, rule.backend.port_number), obj.meta.source)
    if not tcp:
        return
    for ing in ingresses:
        ns = ing.meta.namespace
        backends = [(path.field, path.backend) for rule in ing.rules for path in rule.paths]
        if ing.default_backend is not None:
            field = "spec.defaultBackend" if ing.api_version == "networking.k8s.io/v1" else "spec.backend"
            backends.append((field, ing.default_backend))
        for field, backend in backends:
            if backend is None or backend.port_number is None:
                continue
            other = tcp.get((ns, backend.service, backend.port_number))
            if other is None:
                continue
            name = f"{ns}.{backend.service}.{backend.port_number}"
            report.add(ing.meta.source, Status.WARNING, field,
                       f"Kong does not serve this path today: {other.object_id} routes TCP to the same Service port "
                       f"{backend.service}:{backend.port_number}, Kong's controller names both Kong services {name!r} "
                       "and keeps the TCPIngress's, which drops this Ingress's routes to that port; the HTTPRoute "
                       "gets a Kong service of its own, so after the migration these requests reach the backend",
                       "check that the backend should receive this traffic")


def _report_protocols(obj: L4Ingress, protocols: list[str], report: Report) -> None:
    # the protocols may come from the KongIngress route section (konghq.com/override)
    key = "annotation konghq.com/" + ("protocols" if "konghq.com/protocols" in obj.meta.annotations else "override")
    src = obj.meta.source
    if obj.kind == "UDPIngress":
        if protocols == ["udp"]:
            report.add(src, Status.CONVERTED, key, "udp: what Kong uses for a UDPIngress anyway -> UDP listeners")
        else:
            report.add(src, Status.ERROR, key, f"{', '.join(protocols)} cannot be used on a UDPIngress (Kong "
                       "rejects its routes)", "use udp or remove the annotation")
    elif "tls_passthrough" in protocols:
        report.add(src, Status.CONVERTED, key, "tls_passthrough -> TLS listeners in Passthrough mode + TLSRoutes")
    elif set(protocols) <= {"tcp", "tls"}:
        report.add(src, Status.CONVERTED, key, f"{', '.join(protocols)}: Kong's default for a TCPIngress; rules "
                   "without host -> TCP listeners + TCPRoutes")
    else:
        report.add(src, Status.ERROR, key, f"{', '.join(protocols)} cannot be used on a TCPIngress",
                   "use tcp, tls or tls_passthrough")


def _report_tls(obj: L4Ingress, protocols: list[str] | None, report: Report) -> None:
    passthrough = bool(protocols) and "tls_passthrough" in (protocols or [])
    for entry in obj.tls:
        if passthrough:
            report.add(obj.meta.source, Status.IGNORED, entry.field,
                       "passthrough: Kong does not terminate TLS, so this certificate was never used for these rules")
        elif any(r.host for r in obj.rules):
            report.add(obj.meta.source, Status.UNCONVERTED, entry.field,
                       f"certificate for Kong-terminated TLS (hosts {', '.join(entry.hosts) or '(none)'}): no Gateway "
                       "API form in Kong's controller, see the rules' host entries",
                       "keep this TCPIngress, or move TLS termination into the backend")
        else:
            report.add(obj.meta.source, Status.IGNORED, entry.field,
                       "no rule has a host, so no rule used this certificate for SNI routing")


def _stream_kinds_differ(a: str, b: str) -> bool:
    """Kong serves a UDP and a TCP/TLS stream listen on one port; TCP and TLS on one port it cannot."""
    return (a == "UDP") != (b == "UDP")


def _plan_listeners(claims: list[_Claim], existing: list[ListenerPlan], options: ConvertOptions, report: Report,
                    out: L4Translation) -> None:
    """One listener per (protocol, port[, hostname]); oldest object first decides conflicts.

    A UDP and a TCP/TLS listener on one port conflict inside one Gateway (REFERENCE §5.3) although Kong
    can serve both: the younger one goes to a second Gateway of the same class.
    """
    taken_ports = {lst.port: lst for lst in existing}
    by_key: dict[tuple[int, str, int, str], ListenerPlan] = {}
    port_protocol: list[dict[int, tuple[str, _Claim]]] = [{}, {}]  # per Gateway: port -> first protocol
    users: dict[tuple[int, str, int, str], list[_Claim]] = {}
    for claim in claims:
        src = claim.obj.meta.source
        port = claim.rule.port
        other = taken_ports.get(port)
        if other is not None:
            report.add(src, Status.UNCONVERTED, claim.rule.field,
                       f"port {port} is already the Gateway's {other.protocol} listener {other.name!r}: a "
                       f"{claim.protocol} listener on the same port conflicts (ProtocolConflict), and one Kong port "
                       "cannot serve both", "move this rule to another port")
            continue
        gateway = None
        for i, ports in enumerate(port_protocol):
            first = ports.get(port)
            if first is None or first[0] == claim.protocol:
                gateway = i
                break
            if not _stream_kinds_differ(first[0], claim.protocol):
                break
        if gateway is None:
            first = port_protocol[0][port]
            report.add(src, Status.UNCONVERTED, claim.rule.field,
                       f"port {port} is already a {first[0]} listener (from {first[1].obj.meta.source.object_id}): "
                       f"Kong cannot serve {claim.protocol} on the same port (one stream listen is either plain or "
                       "ssl), and the listeners would conflict, so this rule was not converted",
                       "use another port for this rule")
            continue
        port_protocol[gateway].setdefault(port, (claim.protocol, claim))
        key = (gateway, claim.protocol, port, claim.hostname or "")
        lst = by_key.get(key)
        if lst is None:
            lst = ListenerPlan(name="", protocol=claim.protocol, port=port, hostname=claim.hostname,
                               tls_mode="Passthrough" if claim.protocol == "TLS" else None)
            by_key[key] = lst
        if src not in lst.sources:
            lst.sources.append(src)
        lst.route_namespaces.add(claim.route.namespace)
        users.setdefault(key, []).append(claim)

    names = assign_unique((key, "listener", _listener_name(*key[1:])) for key in by_key)
    second = second_gateway_name(options)
    for key, lst in sorted(by_key.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1], kv[0][3])):
        lst.name = names[key]
        (out.second_gateway if key[0] else out.listeners).append(lst)
        group = users[key]
        what = f"SNI {key[3]} on port {key[2]}" if key[3] else f"{key[1]} port {key[2]}"
        if len(group) > 1:
            who = ", ".join(f"{c.obj.meta.source.object_id} {c.rule.field}" for c in group)
            for c in group:
                report.add(c.obj.meta.source, Status.WARNING, c.rule.field,
                           f"{what} is routed by several rules ({who}): Kong picks one of them, as it did "
                           "for the TCPIngress/UDPIngress rules", "give each backend its own port")
        for c in group:
            c.route.sections = [lst.name]
            out.routes.append(c.route)
            desc = {"TCP": f"-> TCP listener {lst.name!r} (port {lst.port}) + TCPRoute",
                    "UDP": f"-> UDP listener {lst.name!r} (port {lst.port}) + UDPRoute",
                    "TLS": f"-> TLS listener {lst.name!r} (port {lst.port}, hostname {lst.hostname}, Passthrough) "
                           "+ TLSRoute"}[lst.protocol]
            if key[0]:
                first = port_protocol[0][key[2]]
                desc += (f", on a second Gateway {second!r}: port {key[2]} is a {first[0]} listener of Gateway "
                         f"{options.gateway_name!r} (from {first[1].obj.meta.source.object_id}), and one Gateway "
                         "cannot hold both; Kong serves both with a tcp and a udp stream listen on the port")
            report.add(c.obj.meta.source, Status.CONVERTED, c.rule.field, desc)
    _port_notes(out, report)


def second_gateway_name(options: ConvertOptions) -> str:
    return bounded(f"{options.gateway_name}-l4", options.gateway_name)


def _port_notes(out: L4Translation, report: Report) -> None:
    """What the Kong side must provide for the L4 listeners (REFERENCE §5.2, §5.6)."""
    ports: dict[tuple[SourceRef, str], set[int]] = {}
    for lst in out.listeners + out.second_gateway:
        for src in lst.sources:
            ports.setdefault((src, lst.protocol), set()).add(lst.port)
    for (src, protocol), used in ports.items():
        plist = ", ".join(map(str, sorted(used)))
        if protocol == "TLS":
            msg = (f"Kong needs a stream listen with ssl on port(s) {plist}, exposed by the proxy Service with "
                   "servicePort == containerPort == listener port")
        else:
            extra = (" and must be a plain (non-ssl) stream listen: a TCPRoute does not match connections Kong "
                     "terminates TLS for, unlike the TCPIngress route (tcp+tls)") if protocol == "TCP" else ""
            msg = (f"Kong matches {protocol} routes by the listen port: port(s) {plist} must be Kong "
                   f"{protocol.lower()} stream listens with servicePort == containerPort == listener port{extra}")
        report.add(src, Status.INFO, f"{protocol} listeners", msg)
