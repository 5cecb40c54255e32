"""TCPRoutes, UDPRoutes and TLSRoutes as KIC translates them (feature gate GatewayAlpha).

Source: Kong/kubernetes-ingress-controller v3.5.13 internal/dataplane/translator/translate_tcproute.go,
translate_udproute.go, translate_tlsroute.go, translate_routes_helpers.go, translate_utils.go,
subtranslator/l4route_atc.go.

Per rule: Kong service `<kind lower-cased>.<ns>.<name>.<rule>` (protocol tcp / udp / tcp for TLSRoute) and one
route `<kind>.<ns>.<name>.<rule>.0`:
* TCPRoute: `protocols: [tcp]`, `destinations` = ports of the selected parent listeners of protocol TCP;
* UDPRoute: the same with udp / UDP;
* TLSRoute: `protocols: [tls]` (`[tls_passthrough]` when a Gateway in `status.parents` has a selected
  Passthrough listener), `snis` = hostnames, no destinations.
Errors: no rules -> "no rules provided"; a TCP/UDP rule without backendRefs -> "<Kind> rules must include at least
one backendRef" (earlier rules stay translated); TLSRoute without hostnames -> "no hostnames provided".  UDPRoutes
are validated first ("no rules provided", "no backendRefs in rule") and then skipped entirely.
Expressions: And(SNIs, Or(`net.dst.port == p`...)), priority 1, destinations and snis dropped.
"""

from __future__ import annotations

from typing import Any

from migrate.kic import parents
from migrate.kic.grpcroute import service_for
from migrate.kic.gwcommon import as_dict, as_list, atc_and, atc_or, atc_pred, sni_matcher
from migrate.kic.settings import KICSettings
from migrate.kic.store import Obj, Store
from migrate.kong.config import Route, Service, TranslationFailure


class _L4Error(Exception):
    pass


def _rules(route: Obj) -> list[dict[str, Any]]:
    return [as_dict(r) for r in as_list(route.spec.get("rules"))]


def _refs(rule: dict[str, Any]) -> list[dict[str, Any]]:
    return [as_dict(b) for b in as_list(rule.get("backendRefs"))]


def _apply_expression(r: Route) -> None:
    ports = [atc_pred("net.dst.port", "==", int(d["port"])) for d in (r.destinations or [])]
    r.expression = atc_and(sni_matcher(r.snis or []), atc_or(*ports))
    r.priority = 1
    r.destinations = None
    r.snis = None


def _translate_one(store: Store, settings: KICSettings, services: dict[str, Service], route: Obj,
                   order: dict[str, int]) -> None:
    kind = route.kind
    lower = kind.lower()
    rules = _rules(route)
    if kind == "TLSRoute":
        hostnames = [str(h) for h in as_list(route.spec.get("hostnames"))]
        if not hostnames:
            raise _L4Error("no hostnames provided")
    if not rules:
        raise _L4Error("no rules provided")
    if kind == "TLSRoute":
        protocols = ["tls_passthrough"] if parents.tls_passthrough(store, route) else ["tls"]
        ports: list[int] = []
        svc_protocol = "tcp"
    else:
        proto = "TCP" if kind == "TCPRoute" else "UDP"
        ports = parents.listening_ports(store, route, proto)
        protocols = [proto.lower()]
        svc_protocol = proto.lower()
    for i, rule in enumerate(rules):
        refs = _refs(rule)
        if kind != "TLSRoute" and not refs:
            raise _L4Error(f"{kind} rules must include at least one backendRef")
        r = Route(name=f"{lower}.{route.namespace}.{route.name}.{i}.0", protocols=list(protocols),
                  origin=route.object_id, order=order.get(route.object_id, 0), k8s=route)
        if kind == "TLSRoute":
            r.snis = [str(h) for h in as_list(route.spec.get("hostnames"))] or None
        else:
            r.destinations = [{"port": p} for p in ports] or None
        service = service_for(store, settings, services, f"{lower}.{route.namespace}.{route.name}.{i}", route,
                              svc_protocol, refs)
        service.routes.append(r)


def _translate(store: Store, settings: KICSettings, routes: list[Obj], order: dict[str, int]
               ) -> tuple[list[Service], list[TranslationFailure]]:
    services: dict[str, Service] = {}
    failures: list[TranslationFailure] = []
    for route in routes:
        if route.kind == "UDPRoute":
            why = validate_udproute(route)
            if why:
                failures.append(TranslationFailure(route.object_id, why))
                continue
        try:
            _translate_one(store, settings, services, route, order)
        except _L4Error as err:
            failures.append(TranslationFailure(
                route.object_id, f"{route.kind} {route.namespace}/{route.name} can't be routed: {err}"))
    if settings.expressions:
        for svc in services.values():
            for r in svc.routes:
                _apply_expression(r)
    return sorted(services.values(), key=lambda s: s.name), failures


def validate_udproute(route: Obj) -> str | None:
    rules = _rules(route)
    if not rules:
        return "no rules provided"
    if any(not _refs(r) for r in rules):
        return "no backendRefs in rule"
    return None


def translate_tcproutes(store: Store, settings: KICSettings, routes: list[Obj], order: dict[str, int]
                        ) -> tuple[list[Service], list[TranslationFailure]]:
    return _translate(store, settings, routes, order)


translate_udproutes = translate_tcproutes
translate_tlsroutes = translate_tcproutes
