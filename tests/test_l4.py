"""TCPIngress / UDPIngress conversion: listeners, route kinds and versions, conflicts, blockers."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from migrate.convert.options import ConvertOptions, GatewayAPIVersion
from migrate.convert.pipeline import run_convert
from migrate.loader import LoadResult, parse_text
from migrate.report import Report, Status


def _run(text: str, **opts: Any) -> tuple[list[dict[str, Any]], Report]:
    loaded = LoadResult()
    parse_text(text, "t.yaml", loaded)
    report = Report()
    result = run_convert(loaded.docs, ConvertOptions(**opts), report)
    return result.objects, report


def _l4(kind: str, name: str, rules: str, annotations: str = "kubernetes.io/ingress.class: kong",
        extra_meta: str = "") -> str:
    return f"""
apiVersion: configuration.konghq.com/v1beta1
kind: {kind}
metadata:
  name: {name}
  namespace: apps
  annotations:
    {annotations}
{extra_meta}spec:
  rules:
{rules}
---"""


def _listeners(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    gw = next((o for o in objects if o["kind"] == "Gateway"), None)
    if gw is None:  # no route at all: no Gateway is emitted (issue 12 item 1)
        return []
    return [lst for lst in gw["spec"]["listeners"] if lst["protocol"] != "HTTP"]


def _kinds(objects: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(o["kind"], o["apiVersion"]) for o in objects if o["kind"].endswith("Route")]


TCP_RULE = """  - port: 9000
    backend: {serviceName: echo, servicePort: 7}
"""


@pytest.mark.parametrize(("version", "api"), [(GatewayAPIVersion.V1_3, "gateway.networking.k8s.io/v1alpha2"),
                                              (GatewayAPIVersion.V1_6, "gateway.networking.k8s.io/v1")])
def test_tcp_rule_without_host_becomes_tcp_listener_and_tcproute(version: GatewayAPIVersion, api: str) -> None:
    objects, report = _run(_l4("TCPIngress", "echo", TCP_RULE), gateway_api_version=version)
    assert _listeners(objects) == [{"name": "tcp-9000", "port": 9000, "protocol": "TCP",
                                    "allowedRoutes": _listeners(objects)[0]["allowedRoutes"]}]
    route = next(o for o in objects if o["kind"] == "TCPRoute")
    assert route["apiVersion"] == api
    assert route["spec"]["parentRefs"][0]["sectionName"] == "tcp-9000"
    assert route["spec"]["rules"] == [{"backendRefs": [{"name": "echo", "port": 7}]}]
    assert not report.needs_human


def test_udp_rules_become_udp_listeners_one_rule_per_route() -> None:
    rules = """  - port: 53
    backend: {serviceName: dns, servicePort: 53}
  - port: 514
    backend: {serviceName: syslog, servicePort: 514}
"""
    objects, _ = _run(_l4("UDPIngress", "udp", rules), gateway_api_version=GatewayAPIVersion.V1_6)
    assert [(lst["name"], lst["protocol"]) for lst in _listeners(objects)] == [("udp-53", "UDP"), ("udp-514", "UDP")]
    routes = [o for o in objects if o["kind"] == "UDPRoute"]
    assert len(routes) == 2 and all(len(r["spec"]["rules"]) == 1 for r in routes)


def test_tls_passthrough_host_becomes_tls_listener_and_tlsroute() -> None:
    rules = """  - host: a.example.com
    port: 8443
    backend: {serviceName: a, servicePort: 443}
"""
    objects, report = _run(_l4("TCPIngress", "sni", rules,
                               "kubernetes.io/ingress.class: kong\n    konghq.com/protocols: tls_passthrough"))
    [lst] = _listeners(objects)
    assert lst["protocol"] == "TLS" and lst["hostname"] == "a.example.com" and lst["tls"] == {"mode": "Passthrough"}
    assert lst["name"].startswith("tls-8443-")
    route = next(o for o in objects if o["kind"] == "TLSRoute")
    assert route["spec"]["hostnames"] == ["a.example.com"]
    assert not report.needs_human


def test_host_with_kong_terminated_tls_is_a_blocker_and_emits_nothing() -> None:
    rules = """  - host: a.example.com
    port: 8443
    backend: {serviceName: a, servicePort: 443}
"""
    objects, report = _run(_l4("TCPIngress", "term", rules))
    assert _listeners(objects) == []
    assert not [o for o in objects if o["kind"].endswith("Route")]
    blockers = [e for e in report.entries if e.status == Status.UNCONVERTED]
    assert [e.subject for e in blockers] == ["spec.rules[0].host"]
    assert "tls_passthrough" in blockers[0].action


def test_udp_next_to_tcp_on_one_port_goes_to_a_second_gateway() -> None:
    older = _l4("UDPIngress", "dns-udp", """  - port: 53
    backend: {serviceName: dns, servicePort: 53}
""", extra_meta='  creationTimestamp: "2020-01-01T00:00:00Z"\n')
    newer = _l4("TCPIngress", "dns-tcp", """  - port: 53
    backend: {serviceName: dns, servicePort: 53}
""", extra_meta='  creationTimestamp: "2021-01-01T00:00:00Z"\n')
    objects, report = _run(newer + older)  # input order must not matter
    gateways = {o["metadata"]["name"]: [(lst["name"], lst["protocol"]) for lst in o["spec"]["listeners"]]
                for o in objects if o["kind"] == "Gateway"}
    assert gateways == {"kong": [("http", "HTTP"), ("udp-53", "UDP")], "kong-l4": [("tcp-53", "TCP")]}
    tcp = next(o for o in objects if o["kind"] == "TCPRoute")
    assert tcp["spec"]["parentRefs"][0]["name"] == "kong-l4"
    assert not report.needs_human


def test_tcp_and_tls_on_one_port_cannot_both_be_served() -> None:
    tcp = _l4("TCPIngress", "a-plain", """  - port: 853
    backend: {serviceName: dns, servicePort: 53}
""")
    tls = _l4("TCPIngress", "b-sni", """  - port: 853
    host: dns.example.com
    backend: {serviceName: dns, servicePort: 853}
""", "kubernetes.io/ingress.class: kong\n    konghq.com/protocols: tls_passthrough")
    objects, report = _run(tls + tcp)
    assert [(lst["name"], lst["protocol"]) for lst in _listeners(objects)] == [("tcp-853", "TCP")]
    [entry] = [e for e in report.entries if e.status == Status.UNCONVERTED]
    assert entry.source.name == "b-sni"


def test_l4_listener_on_the_http_port_is_reported() -> None:
    objects, report = _run(_l4("TCPIngress", "web", """  - port: 80
    backend: {serviceName: web, servicePort: 80}
"""))
    assert _listeners(objects) == []
    assert any(e.status == Status.UNCONVERTED and "port 80" in e.message for e in report.entries)


def test_two_rules_on_one_port_share_a_listener_and_warn() -> None:
    rules = """  - port: 7000
    backend: {serviceName: a, servicePort: 1}
  - port: 7000
    backend: {serviceName: b, servicePort: 1}
"""
    objects, report = _run(_l4("TCPIngress", "dup", rules))
    assert [lst["name"] for lst in _listeners(objects)] == ["tcp-7000"]
    assert len([o for o in objects if o["kind"] == "TCPRoute"]) == 2
    assert any(e.status == Status.WARNING and "several rules" in e.message for e in report.entries)


def test_class_is_read_from_the_annotation_only() -> None:
    objects, report = _run(_l4("TCPIngress", "nocls", TCP_RULE, annotations="team: x"))
    assert _listeners(objects) == []
    assert any(e.status == Status.SKIPPED for e in report.entries)
    objects, _ = _run(_l4("TCPIngress", "nocls", TCP_RULE, annotations="kubernetes.io/ingress.class: internal"),
                      ingress_classes=("internal",))
    assert [lst["name"] for lst in _listeners(objects)] == ["tcp-9000"]


def test_named_service_port_resolves_through_the_service() -> None:
    svc = """
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: apps}
spec:
  ports: [{name: echo, port: 7007}]
"""
    objects, _ = _run(_l4("TCPIngress", "named", """  - port: 9000
    backend: {serviceName: echo, servicePort: echo}
""") + svc)
    route = next(o for o in objects if o["kind"] == "TCPRoute")
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "echo", "port": 7007}]


def test_plugins_stay_an_annotation_and_cross_namespace_gets_a_grant_for_the_route_kind() -> None:
    objects, report = _run(_l4("TCPIngress", "plug", TCP_RULE,
                               "kubernetes.io/ingress.class: kong\n    konghq.com/plugins: other:limit"))
    route = next(o for o in objects if o["kind"] == "TCPRoute")
    assert route["metadata"]["annotations"] == {"konghq.com/plugins": "other:limit"}
    [grant] = [o for o in objects if o["kind"] == "ReferenceGrant"]
    assert grant["metadata"]["namespace"] == "other"
    assert grant["spec"]["from"] == [{"group": "gateway.networking.k8s.io", "kind": "TCPRoute", "namespace": "apps"}]
    assert any(e.status == Status.WARNING and "not in the input" in e.message for e in report.entries)


def test_http_only_annotations_are_not_carried_to_l4_routes() -> None:
    objects, report = _run(_l4("TCPIngress", "http-anns", TCP_RULE,
                               "kubernetes.io/ingress.class: kong\n    konghq.com/strip-path: 'true'"))
    route = next(o for o in objects if o["kind"] == "TCPRoute")
    assert "annotations" not in route["metadata"]
    assert any(e.subject == "annotation konghq.com/strip-path" and e.status == Status.IGNORED for e in report.entries)


def test_report_names_gate_and_experimental_channel_for_v1_3() -> None:
    _, report = _run(_l4("TCPIngress", "echo", TCP_RULE))
    subjects = {e.subject: e.message for e in report.entries if e.status == Status.INFO}
    assert "TCPRoute" in subjects["feature gate"] and "GatewayAlpha" in subjects["feature gate"]
    assert "experimental" in subjects["Gateway API channel"]
    _, report = _run(_l4("TCPIngress", "echo", TCP_RULE), gateway_api_version=GatewayAPIVersion.V1_6)
    assert "Gateway API channel" not in {e.subject for e in report.entries}


def test_kongingress_route_protocols_switch_a_tcpingress_to_passthrough() -> None:
    rules = """  - host: a.example.com
    port: 8443
    backend: {serviceName: a, servicePort: 443}
"""
    text = _l4("TCPIngress", "via-ki", rules, "kubernetes.io/ingress.class: kong\n    konghq.com/override: pt") + """
apiVersion: configuration.konghq.com/v1
kind: KongIngress
metadata: {name: pt, namespace: apps}
route: {protocols: [tls_passthrough], strip_path: true}
"""
    objects, report = _run(text, source_kic_major=2)  # the route section acts only on KIC 2.x
    assert [lst["protocol"] for lst in _listeners(objects)] == ["TLS"]
    assert any(e.status == Status.IGNORED and "route.strip_path" in e.message for e in report.entries)
    assert not report.needs_human


@pytest.mark.parametrize(("value", "status"), [("udp", Status.CONVERTED), ("tcp", Status.ERROR)])
def test_protocols_on_udpingress_are_reported(value: str, status: Status) -> None:
    _, report = _run(_l4("UDPIngress", "u", """  - port: 53
    backend: {serviceName: dns, servicePort: 53}
""", f"kubernetes.io/ingress.class: kong\n    konghq.com/protocols: {value}"))
    assert [e.status for e in report.entries if e.subject == "annotation konghq.com/protocols"] == [status]


@pytest.mark.parametrize("case", ["l4-port-conflicts", "l4-class-and-annotations", "l4-tls-passthrough"])
def test_output_does_not_depend_on_input_order(case: str) -> None:
    from migrate import yamlio
    from migrate.report import render_text
    from tests.support import GOLDEN

    text = (GOLDEN / "convert" / case / "input.yaml").read_text()
    docs = [d for d in yamlio.load_yaml_stream(text) if d]
    outputs = set()
    for order in (docs, list(reversed(docs)), docs[1::2] + docs[0::2]):
        objects, report = _run("---\n".join(yamlio.dump_yaml_documents([d], "") for d in order))
        for e in report.entries:  # positions in the input legitimately differ
            e.source = dataclasses.replace(e.source, index=None)
        outputs.add(yamlio.dump_json(objects) + render_text(report))
    assert len(outputs) == 1
