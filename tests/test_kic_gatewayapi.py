"""The KIC model's Gateway API translators (migrate/kic/gatewayapi.py and friends): unit facts and KIC goldens."""

from __future__ import annotations

from typing import Any

import pytest

from migrate.convert.choices import RouterFlavor
from migrate.kic.gatewayapi import translate_gateway_api
from migrate.kic.gwcommon import go_duration_ms
from migrate.kic.settings import KICSettings
from migrate.kic.store import build_store
from migrate.kong.config import Route, Service

TRAD = KICSettings()
EXPR = KICSettings(router_flavor=RouterFlavor.EXPRESSIONS)


def svc(name: str, port: int = 80, ns: str = "default") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"ports": [{"port": port}]}}


def httproute(rules: list[dict[str, Any]], name: str = "r", ns: str = "default", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": ns}, "spec": {"parentRefs": [{"name": "kong"}],
                                                                  "rules": rules, **spec}}


def gateway(*listeners: dict[str, Any], name: str = "kong", ns: str = "default") -> dict[str, Any]:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"gatewayClassName": "kong", "listeners": list(listeners)}}


def backend(name: str = "a", port: int = 80, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "Service", "port": port, **extra}


def prefix(value: str) -> dict[str, Any]:
    return {"path": {"type": "PathPrefix", "value": value}}


def run(docs: list[dict[str, Any]], settings: KICSettings = TRAD) -> tuple[list[Service], list[Any]]:
    return translate_gateway_api(build_store(docs), settings)


def routes(services: list[Service]) -> list[Route]:
    return [r for s in services for r in s.routes]


def test_rules_with_same_backends_share_a_service_and_matches_merge() -> None:
    rules = [{"matches": [prefix("/a")], "backendRefs": [backend()]},
             {"matches": [prefix("/b")], "backendRefs": [backend()]},
             {"matches": [{"path": {"type": "Exact", "value": "/c"}}], "backendRefs": [backend("b")]}]
    services, failures = run([svc("a"), svc("b"), httproute(rules)])
    assert failures == []
    assert [s.name for s in services] == ["httproute.default.r.0", "httproute.default.r.2"]
    first = services[0].routes
    assert [r.name for r in first] == ["httproute.default.r.0.0"]
    assert first[0].paths == ["~/a$", "/a/", "~/b$", "/b/"]
    assert first[0].strip_path is False and first[0].preserve_host is True
    assert services[0].backends == (("default/a:80", 100),)
    assert services[1].routes[0].paths == ["~/c$"]


def test_headers_methods_and_hostnames() -> None:
    rules = [{"matches": [{"path": {"type": "RegularExpression", "value": "/x/\\d+"}, "method": "GET",
                           "headers": [{"name": "X-A", "value": "1"},
                                       {"name": "X-B", "type": "RegularExpression", "value": "b.*"}]}],
              "backendRefs": [backend()]}]
    services, _ = run([svc("a"), httproute(rules, hostnames=["example.com"])])
    r = routes(services)[0]
    assert r.paths == ["~/x/\\d+"] and r.methods == ["GET"] and r.hosts == ["example.com"]
    assert r.headers == {"X-A": ["1"], "X-B": ["~*b.*"]}


def test_invalid_routes_fail_with_kic_wording() -> None:
    bad_query = httproute([{"matches": [{"queryParams": [{"name": "q", "value": "1"}]}],
                            "backendRefs": [backend()]}], name="q")
    no_rules = httproute([], name="e")
    mirror = httproute([{"matches": [prefix("/m")], "filters": [{"type": "RequestMirror"}],
                         "backendRefs": [backend()]}], name="m")
    services, failures = run([svc("a"), bad_query, no_rules, mirror])
    assert services == []
    assert sorted((f.origin, f.message) for f in failures) == [
        ("HTTPRoute/default/e", "HTTPRoute can't be routed: no rules provided"),
        ("HTTPRoute/default/m", "HTTPRoute can't be routed: httpFilter RequestMirror unsupported"),
        ("HTTPRoute/default/q", "HTTPRoute can't be routed: query param matches are not yet supported"),
    ]
    # expressions accept query params
    services, failures = run([svc("a"), bad_query], EXPR)
    assert failures == [] and routes(services)[0].expression == 'http.queries.q == "1"'


def test_missing_backend_gets_termination_and_weights() -> None:
    rules = [{"matches": [prefix("/")], "backendRefs": [backend("gone")]},
             {"matches": [prefix("/w")], "backendRefs": [backend("a", weight=3), backend("b", 8080, weight=1)]}]
    services, _ = run([svc("a"), svc("b", 8080), httproute(rules)])
    gone, weighted = services
    assert [p.name for p in gone.plugins] == ["request-termination"] and gone.backends == ()
    assert weighted.backends == (("default/a:80", 3), ("default/b:8080", 1))


def test_cross_namespace_backend_needs_reference_grant() -> None:
    rules = [{"matches": [prefix("/")], "backendRefs": [backend("a", namespace="other")]}]
    docs = [svc("a", ns="other"), httproute(rules)]
    services, _ = run(docs)
    assert services[0].backends == ()
    grant = {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
             "metadata": {"name": "g", "namespace": "other"},
             "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "default"}],
                      "to": [{"group": "", "kind": "Service"}]}}
    services, _ = run([*docs, grant])
    assert services[0].backends == (("other/a:80", 100),)


def test_protocols_by_kic_version() -> None:
    docs = [svc("a"), gateway({"name": "https", "protocol": "HTTPS", "port": 443}),
            httproute([{"matches": [prefix("/")], "backendRefs": [backend()]}])]
    assert routes(run(docs)[0])[0].protocols == ["https"]
    assert routes(run(docs, KICSettings(kic_version=(3, 4, 14)))[0])[0].protocols == ["https"]
    assert routes(run(docs, KICSettings(kic_version=(3, 5, 6)))[0])[0].protocols == ["http", "https"]
    assert routes(run(docs, KICSettings(kic_version=(3, 4, 13)))[0])[0].protocols == ["http", "https"]
    expr = KICSettings(router_flavor=RouterFlavor.EXPRESSIONS, kic_version=(3, 5, 5))
    assert routes(run(docs, expr)[0])[0].protocols == ["http", "https"]
    expr = KICSettings(router_flavor=RouterFlavor.EXPRESSIONS, kic_version=(3, 5, 4))
    assert routes(run(docs, expr)[0])[0].protocols is None
    # no Gateway found: Kong's default
    assert routes(run(docs[:1] + docs[2:])[0])[0].protocols is None


def test_filters_to_plugins() -> None:
    rules = [{"matches": [prefix("/p")], "backendRefs": [backend()], "filters": [
        {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "A", "value": "1"}],
                                                                    "remove": ["B"]}},
        {"type": "URLRewrite", "urlRewrite": {"hostname": "h.example"}},
        {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"add": [{"name": "C", "value": "2"}]}},
        {"type": "ExtensionRef", "extensionRef": {"group": "configuration.konghq.com", "kind": "KongPlugin",
                                                  "name": "kp"}}]}]
    route = httproute(rules)
    route["metadata"]["annotations"] = {"konghq.com/plugins": "first"}
    r = routes(run([svc("a"), route])[0])[0]
    assert [(p.name, p.config) for p in r.plugins] == [
        ("request-transformer", {"replace": {"headers": ["A:1", "host:h.example"]},
                                 "add": {"headers": ["A:1", "host:h.example"]}, "remove": {"headers": ["B"]}}),
        ("response-transformer", {"append": {"headers": ["C:2"]}})]
    assert r.k8s is not None and r.k8s.annotations["konghq.com/plugins"] == "first,kp"
    assert route["metadata"]["annotations"] == {"konghq.com/plugins": "first"}  # input untouched


def test_request_redirect_by_kong_version() -> None:
    rules = [{"matches": [prefix("/old")], "filters": [
        {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "hostname": "new.example",
                                                        "statusCode": 301}}]}]
    old = routes(run([httproute(rules)], KICSettings(kong_version=(3, 8, 0)))[0])[0]
    assert [(p.name, p.config) for p in old.plugins] == [
        ("request-termination", {"status_code": 301}),
        ("response-transformer", {"add": {"headers": ["Location:https://new.example/old"]}})]
    new = routes(run([httproute(rules)], KICSettings(kong_version=(3, 9, 0)))[0])[0]  # Go path.Join drops the /
    assert [(p.name, p.config) for p in new.plugins] == [
        ("redirect", {"status_code": 301, "location": "https://new.example", "keep_incoming_path": True})]


def test_redirect_with_several_matches_accumulates_as_kic() -> None:
    rules = [{"matches": [prefix("/a"), prefix("/b")], "filters": [
        {"type": "RequestRedirect", "requestRedirect": {"statusCode": 302}}]}]
    rs = routes(run([httproute(rules)], KICSettings(kong_version=(3, 8, 0)))[0])
    assert [r.name for r in rs] == ["httproute.default.r.0.0"] * 2
    assert rs[0].paths == ["~/a$", "/a/"] and rs[1].paths == ["~/a$", "/a/", "~/b$", "/b/"]
    assert len(rs[1].plugins) == 4


def test_timeouts() -> None:
    rules = [{"matches": [prefix("/")], "backendRefs": [backend()], "timeouts": {"backendRequest": "1m30s"}}]
    service = run([svc("a"), httproute(rules)])[0][0]
    assert (service.connect_timeout, service.read_timeout, service.write_timeout) == (90000, 90000, 90000)
    assert go_duration_ms("500ms") == 500 and go_duration_ms("1.5s") == 1500 and go_duration_ms("5") is None


def test_expressions_priority_and_names() -> None:
    rules = [{"matches": [{"path": {"type": "Exact", "value": "/e"}, "method": "GET"}],
              "backendRefs": [backend()]}]
    services, _ = run([svc("a"), httproute(rules, hostnames=["*.example.com"])], EXPR)
    r = routes(services)[0]
    assert r.name == "httproute.default.r._.example.com.0.0"
    # the match's own And is nested, not flattened (atc/matcher.go)
    assert r.expression == '(http.host =^ ".example.com") && ((http.path == "/e") && (http.method == "GET"))'
    assert r.priority == (2 << 44) + (13 << 35) + (1 << 34) + (1 << 23) + (1 << 22) + 4095


def test_expressions_ties_ordered_by_age() -> None:
    older = httproute([{"matches": [prefix("/x")], "backendRefs": [backend()]}], name="b")
    older["metadata"]["creationTimestamp"] = "2020-01-01T00:00:00Z"
    newer = httproute([{"matches": [prefix("/x")], "backendRefs": [backend()]}], name="a")
    newer["metadata"]["creationTimestamp"] = "2021-01-01T00:00:00Z"
    services, _ = run([svc("a"), older, newer], EXPR)
    prio = {r.name: r.priority for r in routes(services)}
    assert prio["httproute.default.b._.0.0"] == prio["httproute.default.a._.0.0"] + 1


def test_grpcroute_traditional_and_listener_hostnames() -> None:
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute",
             "metadata": {"name": "g", "namespace": "default"},
             "spec": {"parentRefs": [{"name": "kong", "sectionName": "h"}],
                      "rules": [{"matches": [{"method": {"service": "pkg.Svc"}}], "backendRefs": [backend()]}]}}
    gw = gateway({"name": "h", "protocol": "HTTP", "port": 80, "hostname": "grpc.example"})
    services, _ = run([svc("a"), gw, route])
    assert services[0].protocol == "grpc"
    r = routes(services)[0]
    assert (r.name, r.hosts, r.paths, r.protocols) == ("grpcroute.default.g.0.0", ["grpc.example"],
                                                       ["~/pkg.Svc/"], ["grpc", "grpcs"])
    services, _ = run([svc("a"), gw, route], EXPR)
    r = routes(services)[0]
    assert r.expression == 'http.path ^= "/pkg.Svc/"' and r.protocols == ["grpc"]


def test_l4_routes_and_failures() -> None:
    tcp = {"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TCPRoute",
           "metadata": {"name": "t", "namespace": "default"},
           "spec": {"parentRefs": [{"name": "kong"}], "rules": [{"backendRefs": [backend()]}, {}]}}
    udp = {"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "UDPRoute",
           "metadata": {"name": "u", "namespace": "default"}, "spec": {"rules": [{}]}}
    gw = gateway({"name": "tcp", "protocol": "TCP", "port": 9000}, {"name": "tcp2", "protocol": "TCP", "port": 9001})
    services, failures = run([svc("a"), gw, tcp, udp])
    assert [s.name for s in services] == ["tcproute.default.t.0"]
    assert services[0].routes[0].destinations == [{"port": 9000}, {"port": 9001}]
    assert sorted(f.message for f in failures) == [
        "TCPRoute default/t can't be routed: TCPRoute rules must include at least one backendRef",
        "no backendRefs in rule"]
    services, _ = run([svc("a"), gw, tcp], EXPR)
    assert services[0].routes[0].expression == "(net.dst.port == 9000) || (net.dst.port == 9001)"
    assert run([svc("a"), gw, tcp], KICSettings(gateway_alpha=False))[0] == []


def test_tlsroute_passthrough_from_status() -> None:
    tls = {"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TLSRoute",
           "metadata": {"name": "s", "namespace": "default"},
           "spec": {"parentRefs": [{"name": "kong"}], "hostnames": ["a.example"],
                    "rules": [{"backendRefs": [backend()]}]},
           "status": {"parents": [{"parentRef": {"name": "kong"}}]}}
    gw = gateway({"name": "tls", "protocol": "TLS", "port": 9443, "tls": {"mode": "Passthrough"}})
    r = routes(run([svc("a"), gw, tls])[0])[0]
    assert r.protocols == ["tls_passthrough"] and r.snis == ["a.example"]


def test_controller_filter() -> None:
    cls = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "kong"},
           "spec": {"controllerName": "konghq.com/kic-gateway-controller"}}
    docs = [svc("a"), gateway({"name": "http", "protocol": "HTTP", "port": 80}),
            httproute([{"matches": [prefix("/")], "backendRefs": [backend()]}])]
    store = build_store(docs)
    assert translate_gateway_api(store, TRAD, controller_filter=True)[0] == []
    assert len(translate_gateway_api(build_store([*docs, cls]), TRAD, controller_filter=True)[0]) == 1


@pytest.mark.parametrize("doc", [
    {"kind": "HTTPRoute", "metadata": {"name": "x"}, "spec": {"rules": "nope"}},
    {"kind": "HTTPRoute", "metadata": {"name": "x"}, "spec": {"rules": [{"matches": [{"path": None}],
                                                                         "filters": [None, {"type": 3}]}]}},
    {"kind": "GRPCRoute", "metadata": {"name": "x"}, "spec": {"rules": [{"matches": [{"method": "x"}]}]}},
    {"kind": "TCPRoute", "metadata": {"name": "x"}, "spec": {"rules": [None]}},
    {"kind": "TLSRoute", "metadata": {"name": "x"}, "spec": {"hostnames": [1], "rules": [{}]}},
    {"kind": "HTTPRoute", "metadata": {"name": "x"}, "spec": None},
])
@pytest.mark.parametrize("settings", [TRAD, EXPR])
def test_bad_input_never_raises(doc: dict[str, Any], settings: KICSettings) -> None:
    run([doc], settings)
