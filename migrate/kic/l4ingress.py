"""TCPIngress and UDPIngress (configuration.konghq.com/v1beta1) → Kong stream services and routes.

Re-expressed from Kong/kubernetes-ingress-controller v3.5.13
`internal/dataplane/translator/translate_kong_l4.go` (REFERENCE §3.1/§3.2): objects of KIC's class
(annotation only, `kongstate.crd_class_accepts`), oldest first; per rule a route `<ns>.<name>.<i>`
(`.udp` appended for UDPIngress) with `destinations: [{port}]` and, for TCPIngress, `protocols: [tcp, tls]` and
`snis: [host]`; TCPIngress `tls` sections feed the global certificate map.  One Kong service per
(namespace, Service, port): `<ns>.<svc>.<port>` (protocol tcp, port 80 until the upstream phase resolves it) or
`<ns>.<svc>.<port>.udp` (protocol udp, port = servicePort).  Expression routes: `translate_utils.go`
`applyExpressionToIngressRules` (SNIs and ports compiled into the expression, priority 1).
"""

from __future__ import annotations

from migrate.kic import ingress_atc as atc
from migrate.kic.kongstate import (
    Context,
    Entry,
    PortDef,
    ServiceBackend,
    age_sorted,
    as_dict,
    as_int,
    as_list,
    as_str,
    crd_class_accepts,
)
from migrate.kic.store import Obj
from migrate.kong.config import Route, Service

L4_API_VERSIONS = ("configuration.konghq.com/v1beta1", "")


def _served(kind: str, ctx: Context) -> list[Obj]:
    return age_sorted(o for o in ctx.store.list(kind) if as_str(o.raw.get("apiVersion")) in L4_API_VERSIONS
                      and crd_class_accepts(o, ctx.store, ctx.settings))


def _apply_expression(route: Route) -> None:
    ports = [as_int(d.get("port")) or 0 for d in route.destinations or []]
    route.expression, route.priority = atc.l4_expression(route.snis or [], ports)
    route.destinations = None
    route.snis = None


def translate_tcp_ingresses(ctx: Context) -> list[Entry]:
    entries: dict[str, Entry] = {}
    for ing in _served("TCPIngress", ctx):
        ctx.snis.add_tls(ing.spec.get("tls"), ing)
        for i, rule in enumerate(map(as_dict, as_list(ing.spec.get("rules")))):
            backend = as_dict(rule.get("backend"))
            svc_name, svc_port = as_str(backend.get("serviceName")), as_int(backend.get("servicePort")) or 0
            route = Route(name=f"{ing.namespace}.{ing.name}.{i}", protocols=["tcp", "tls"],
                          destinations=[{"port": as_int(rule.get("port")) or 0}],
                          origin=f"TCPIngress/{ing.namespace}/{ing.name} rule {i}", k8s=ing)
            host = as_str(rule.get("host"))
            if host:
                route.snis = [host]
            name = f"{ing.namespace}.{svc_name}.{svc_port}"
            entry = entries.get(name)
            if entry is None:
                service = Service(name=name, host=f"{svc_name}.{ing.namespace}.{svc_port}.svc", port=80,
                                  protocol="tcp", origin=f"TCPIngress/{ing.namespace}/{ing.name}")
                entry = entries[name] = Entry(service, [ServiceBackend(ing.namespace, svc_name,
                                                                       PortDef("number", number=svc_port))], ing)
            entry.service.routes.append(route)
    return _finish(entries, ctx)


def translate_udp_ingresses(ctx: Context) -> list[Entry]:
    entries: dict[str, Entry] = {}
    for ing in _served("UDPIngress", ctx):
        for i, rule in enumerate(map(as_dict, as_list(ing.spec.get("rules")))):
            backend = as_dict(rule.get("backend"))
            svc_name, svc_port = as_str(backend.get("serviceName")), as_int(backend.get("servicePort")) or 0
            route = Route(name=f"{ing.namespace}.{ing.name}.{i}.udp", protocols=["udp"],
                          destinations=[{"port": as_int(rule.get("port")) or 0}],
                          origin=f"UDPIngress/{ing.namespace}/{ing.name} rule {i}", k8s=ing)
            name = f"{ing.namespace}.{svc_name}.{svc_port}.udp"
            entry = entries.get(name)
            if entry is None:
                service = Service(name=name, host=f"{svc_name}.{ing.namespace}.{svc_port}.svc", port=svc_port,
                                  protocol="udp", origin=f"UDPIngress/{ing.namespace}/{ing.name}")
                entry = entries[name] = Entry(service, [ServiceBackend(ing.namespace, svc_name,
                                                                       PortDef("number", number=svc_port))], ing)
            entry.service.routes.append(route)
    return _finish(entries, ctx)


def _finish(entries: dict[str, Entry], ctx: Context) -> list[Entry]:
    if ctx.settings.expressions:
        for entry in entries.values():
            for route in entry.service.routes:
                _apply_expression(route)
    return list(entries.values())
