"""GRPCRoutes as KIC translates them.

Source: Kong/kubernetes-ingress-controller v3.5.13 internal/dataplane/translator/translate_grpcroute.go,
subtranslator/grpcroute.go, subtranslator/grpcroute_atc.go, translate_utils.go.

Traditional: one Kong service per rule `grpcroute.<ns>.<name>.<rule>`, protocol `grpc` when a selected parent
listener is HTTP, else `grpcs`; a `request-termination` 500 plugin when no backendRef resolves.  One route per
match `grpcroute.<ns>.<name>.<rule>.<match>`, `protocols: [grpc, grpcs]`, hosts = spec.hostnames or else the
selected parent listeners' hostnames, path `~/<service>/<method>` (unset parts: `.+` service; method `` for
Exact, `.+` for RegularExpression), headers name -> values (match type ignored).  A rule without matches: hosts,
or `paths: [/]` without hosts.  No preserve_host/strip_path.

Expressions: one route per (hostname, rule, match) named `grpcroute.<ns>.<name>.<host>.<rule>.<match>` in the
service `grpcroute.<ns>.<name>.<host>.<rule>` (several matches of a rule share it, and each adds the
request-termination plugin again when no backend resolves, as KIC does), `preserve_host: true`,
expression And(method, headers, host, SNIs), priority 1<<44 + non-wildcard host <<43 + host length <<35 +
service length <<24 + method length <<13 + headers <<8 + 255 (or 255 - rank among ties).  Route protocols:
listener-derived `grpc`/`grpcs` (v3.4.14+/v3.5.7+), `[http, https]` (v3.4.12-13, v3.5.5-6), else none.
"""

from __future__ import annotations

import functools
from typing import Any

from migrate.kic import parents
from migrate.kic.gwcommon import (
    CATCH_ALL_HTTP_EXPRESSION,
    KIND_BITS_GRPCROUTE,
    KIND_BITS_SHIFT,
    TERMINATION_CONFIG,
    alternative_protocols,
    annotation_snis,
    as_dict,
    as_list,
    atc_and,
    atc_pred,
    backend_tuples,
    expression_http_protocols,
    host_matcher,
    listener_protocols,
    opt_str,
    resolve_backends,
    sni_matcher,
    termination_only_http,
)
from migrate.kic.httproute_atc import SplitMatch, assign_priorities, header_matcher
from migrate.kic.settings import KICSettings
from migrate.kic.store import Obj, Store
from migrate.kong.config import Plugin, Route, Service, TranslationFailure

SERVICE_DEFAULTS = {"": ".+", "Exact": ".+", "RegularExpression": ".+"}
METHOD_DEFAULTS = {"": "", "Exact": "", "RegularExpression": ".+"}


def _rules(route: Obj) -> list[dict[str, Any]]:
    return [as_dict(r) for r in as_list(route.spec.get("rules"))]


def _matches(rule: dict[str, Any]) -> list[dict[str, Any]]:
    return [as_dict(m) for m in as_list(rule.get("matches"))]


def service_for(store: Store, settings: KICSettings, services: dict[str, Service], name: str, route: Obj,
                protocol: str, refs: list[dict[str, Any]]) -> Service:
    """generateKongServiceFromBackendRefWithName (an existing service keeps its backends; the termination
    plugin is appended again)."""
    backends = resolve_backends(store, route, refs)
    service = services.get(name)
    if service is None:
        service = Service(name=name, host=name, protocol=protocol, backends=backend_tuples(backends),
                          origin=route.object_id)
        services[name] = service
    if not service.backends and refs and (
            not termination_only_http(settings) or "http" in service.protocol or "grpc" in service.protocol):
        service.plugins.append(Plugin(name="request-termination", config=dict(TERMINATION_CONFIG),
                                      identity="generated:request-termination"))
    return service


def service_protocol(store: Store, route: Obj) -> str:
    return "grpc" if parents.listening_ports(store, route, "HTTP") else "grpcs"


def grpc_path(method: dict[str, Any]) -> str:
    typ = opt_str(method.get("type"))
    typ = "Exact" if typ is None else typ
    m = opt_str(method.get("method"))
    s = opt_str(method.get("service"))
    return f"~/{s if s is not None else SERVICE_DEFAULTS.get(typ, '')}/{m if m is not None else METHOD_DEFAULTS.get(typ, '')}"


def traditional_routes(store: Store, route: Obj, number: int, rule: dict[str, Any]) -> list[Route]:
    spec_hosts = [str(h) for h in as_list(route.spec.get("hostnames"))]
    hosts = spec_hosts or (parents.grpc_listener_hostnames(store, route) or [])
    base = f"grpcroute.{route.namespace}.{route.name}.{number}"
    matches = _matches(rule)
    if not matches:
        r = Route(name=f"{base}.0", protocols=["grpc", "grpcs"], origin=route.object_id, k8s=route)
        if hosts:
            r.hosts = list(hosts)
        else:
            r.paths = ["/"]
        return [r]
    out = []
    for j, match in enumerate(matches):
        r = Route(name=f"{base}.{j}", protocols=["grpc", "grpcs"], hosts=list(hosts) or None,
                  origin=route.object_id, k8s=route)
        if match.get("method") is not None:
            r.paths = [grpc_path(as_dict(match.get("method")))]
        headers: dict[str, list[str]] = {}
        for h in as_list(match.get("headers")):
            hd = as_dict(h)
            headers.setdefault(str(hd.get("name") or ""), []).append(str(hd.get("value") or ""))
        r.headers = headers or None
        out.append(r)
    return out


def method_matcher(method: dict[str, Any]) -> str:
    typ = opt_str(method.get("type")) or "Exact"
    s, m = opt_str(method.get("service")), opt_str(method.get("method"))
    if typ == "Exact":
        if s is None and m is None:
            return atc_pred("http.path", "^=", "/")
        if m is None:
            return atc_pred("http.path", "^=", f"/{s}/")
        if s is None:
            return atc_pred("http.path", "=^", f"/{m}")
        return atc_pred("http.path", "==", f"/{s}/{m}")
    if typ == "RegularExpression":
        if s is None and m is None:
            return atc_pred("http.path", "^=", "/")
        return atc_pred("http.path", "~", f"^/{s if s is not None else '.+'}/{m if m is not None else '.+'}")
    return ""


def base_priority(s: SplitMatch) -> int:
    p = KIND_BITS_GRPCROUTE << KIND_BITS_SHIFT
    if s.hostname:
        if not s.hostname.startswith("*"):
            p += 1 << 43
        p += len(s.hostname.encode()) << 35
    if s.match.get("method") is not None:
        method = as_dict(s.match.get("method"))
        svc, m = opt_str(method.get("service")), opt_str(method.get("method"))
        p += len(svc.encode()) << 24 if svc is not None else 0
        p += len(m.encode()) << 13 if m is not None else 0
    p += len(as_list(s.match.get("headers"))) << 8
    return p


def split_grpcroute(route: Obj) -> list[SplitMatch]:
    out = []
    for host in [str(h) for h in as_list(route.spec.get("hostnames"))] or [""]:
        for i, rule in enumerate(_rules(route)):
            matches = _matches(rule)
            if not matches:
                out.append(SplitMatch(route, host, {}, i, 0))
            for j, m in enumerate(matches):
                out.append(SplitMatch(route, host, m, i, j))
    return out


def route_protocols_expr(store: Store, route: Obj, settings: KICSettings) -> list[str] | None:
    if listener_protocols(settings):
        protos = []
        if parents.listening_ports(store, route, "HTTP"):
            protos.append("grpc")
        if parents.listening_ports(store, route, "HTTPS"):
            protos.append("grpcs")
        return protos or None
    return ["http", "https"] if expression_http_protocols(settings) else None


def translate_grpcroutes(store: Store, settings: KICSettings, routes: list[Obj],
                         order: dict[str, int]) -> tuple[list[Service], list[TranslationFailure]]:
    services: dict[str, Service] = {}
    if settings.expressions:
        splits = [s for r in routes for s in split_grpcroute(r)]
        assign_priorities(splits, 8, base_priority)
        for s in splits:
            route = s.route
            rules = _rules(route)
            host_part = s.hostname.replace("*", "_") if s.hostname else "_"
            name = f"grpcroute.{route.namespace}.{route.name}.{host_part}.{s.rule}"
            refs = [as_dict(b) for b in as_list(rules[s.rule].get("backendRefs"))]
            service = service_for(store, settings, services, name, route, service_protocol(store, route), refs)
            m = s.match
            snis = annotation_snis(route)
            expression = atc_and(method_matcher(as_dict(m.get("method"))) if m.get("method") is not None else "",
                                 header_matcher(as_list(m.get("headers"))) if as_list(m.get("headers")) else "",
                                 host_matcher([s.hostname]),
                                 sni_matcher(snis) if snis else "")
            protocols = route_protocols_expr(store, route, settings)
            r = Route(name=f"{name}.{s.match_index}", preserve_host=True, protocols=protocols,
                      expression=expression or CATCH_ALL_HTTP_EXPRESSION, priority=s.priority,
                      origin=route.object_id, order=order.get(route.object_id, 0), k8s=route)
            r.alternative_protocols = alternative_protocols(settings, protocols,
                                                            functools.partial(route_protocols_expr, store, route))
            service.routes.append(r)
        for svc in services.values():
            svc.routes.sort(key=lambda r: r.name)
        return sorted(services.values(), key=lambda s: s.name), []
    for route in routes:
        for i, rule in enumerate(_rules(route)):
            refs = [as_dict(b) for b in as_list(rule.get("backendRefs"))]
            name = f"grpcroute.{route.namespace}.{route.name}.{i}"
            service = service_for(store, settings, services, name, route, service_protocol(store, route), refs)
            for r in traditional_routes(store, route, i, rule):
                r.order = order.get(route.object_id, 0)
                service.routes.append(r)
    return sorted(services.values(), key=lambda s: s.name), []
