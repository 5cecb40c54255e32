"""Issue 11's property: for random Gateway sets and random existing values, `helm-values --values` keeps
every listen and Service port the values served (unless --prune), and every listener of the values it
hands out is Programmed by the predictor.  Runs the command's own steps (plan, merge, served check)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from generators.chart import Chart, pod_bound_ports
from generators.merge import MergeError, merge_values
from generators.plan import PlanOptions, UdpService, build_plan
from generators.served import served_from_values
from generators.values import Target
from generators.valuesfile import load_values
from migrate.kongstatus import kong_listens_from_values, parse_gateway, predict_listener_status
from migrate.kongstatus.gateways import crd_violations
from migrate.yamlio import dump_yaml

PORTS = st.sampled_from([80, 443, 5353, 8080, 9000, 9001, 9443])
PROTOCOLS = ("HTTP", "HTTPS", "TCP", "UDP", "TLS")
LIKELY = {"HTTP": [80], "HTTPS": [443], "TCP": [9000, 9001], "UDP": [5353], "TLS": [9443]}


@st.composite
def gateways(draw: Any) -> list[dict[str, Any]]:
    out = []
    for g in range(draw(st.integers(1, 3))):
        listeners = []
        for i in range(draw(st.integers(1, 3))):
            proto = draw(st.sampled_from(PROTOCOLS))
            # Mostly the ports a real mid-migration proxy uses, sometimes any (to reach the conflicts too).
            port = draw(st.sampled_from(LIKELY[proto]) if draw(st.integers(0, 3)) else PORTS)
            lst: dict[str, Any] = {"name": f"l{i}", "port": port, "protocol": proto}
            if proto == "HTTPS":
                lst["tls"] = {"mode": "Terminate", "certificateRefs": [{"name": "c"}]}
            if proto == "TLS":
                lst["hostname"] = "t.example.com"
                lst["tls"] = {"mode": "Passthrough"}
            if all((x["port"], x["protocol"]) != (port, proto) for x in listeners):
                listeners.append(lst)
        out.append({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                    "metadata": {"name": f"g{g}", "namespace": "kong"},
                    "spec": {"gatewayClassName": "kong", "listeners": listeners}})
    return out


@st.composite
def stream_entry(draw: Any, udp_default: bool) -> dict[str, Any]:
    port = draw(PORTS)
    entry: dict[str, Any] = {"containerPort": port, "servicePort": port}
    proto = draw(st.sampled_from(["TCP", "UDP", None]))
    if proto is not None:
        entry["protocol"] = proto
    is_udp = proto == "UDP" or (proto is None and udp_default)
    if not is_udp and draw(st.booleans()):
        entry["parameters"] = ["ssl"]
    return entry


@st.composite
def existing_values(draw: Any) -> dict[str, Any]:
    proxy: dict[str, Any] = {}
    if draw(st.booleans()):
        proxy["http"] = {"enabled": draw(st.booleans()), "servicePort": draw(st.sampled_from([80, 8080, 0])),
                         "containerPort": 8000}
    if draw(st.booleans()):
        proxy["tls"] = {"enabled": draw(st.booleans()), "servicePort": draw(st.sampled_from([443, 8443])),
                        "containerPort": 8443}
    entries = draw(st.lists(stream_entry(False), max_size=3))
    if entries:
        proxy["stream"] = entries
    values: dict[str, Any] = {"proxy": proxy} if proxy else {}
    if draw(st.booleans()):
        values["udpProxy"] = {"enabled": draw(st.booleans()), "stream": draw(st.lists(stream_entry(True), max_size=2))}
    if draw(st.booleans()):
        values["ingressController"] = {"env": {"feature_gates": "FillIDs=true"}}
    return values


def _run(objs: list[dict[str, Any]], existing: dict[str, Any], udp: UdpService, prune: bool) -> None:
    if any(crd_violations(o) for o in objs):
        event("refused: CRD rules")
        return  # the command refuses these (exit 2)
    gws = [parse_gateway(o) for o in objs]
    text = dump_yaml(existing) if existing else ""
    old = load_values(text)
    target = Target(Chart.KONG, "kong", "kong")
    plan = build_plan(gws, PlanOptions(udp_service=udp, pod_ports=tuple(sorted(pod_bound_ports(old).items()))))
    if plan.errors:
        event("refused: plan errors")
        return  # refused with errors naming the listeners: nothing handed out
    try:
        merged = merge_values(text, plan, target, prune=prune)
    except MergeError:
        event("refused: merge conflict with a served entry")
        return
    kw = {"release": "kong", "namespace": "kong", "chart": Chart.KONG}
    before, after = served_from_values(old, **kw), served_from_values(merged.values, **kw)
    lost = before - after
    if lost and not prune:
        event("refused: would stop serving something")
        return  # the command stops with an error listing `lost` (exit 1): nothing handed out
    if not prune:
        assert before <= after
    statuses = predict_listener_status(gws, kong_listens_from_values(merged.values, **{**kw, "chart": "kong"}))
    assert [(s.gateway, s.listener.name, s.reasons) for s in statuses if not s.programmed] == []
    event(f"checked ({'prune' if prune else 'additive'})")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gateways(), existing_values(), st.sampled_from(list(UdpService)), st.booleans())
def test_merge_keeps_what_is_served_and_programs_what_it_claims(objs: list[dict[str, Any]],
                                                                existing: dict[str, Any], udp: UdpService,
                                                                prune: bool) -> None:
    _run(objs, existing, udp, prune)


def test_the_property_is_not_vacuous() -> None:
    """A mid-migration file (TLS and a TCP stream served) with an HTTP-only Gateway: kept, not lost."""
    gw = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "g", "namespace": "kong"},
          "spec": {"gatewayClassName": "kong", "listeners": [{"name": "h", "port": 80, "protocol": "HTTP"}]}}
    existing = {"proxy": {"stream": [{"containerPort": 9000, "servicePort": 9000, "protocol": "TCP"}]}}
    plan = build_plan([parse_gateway(gw)])
    merged = merge_values(dump_yaml(existing), plan, Target())
    kw = {"release": "kong", "namespace": "kong", "chart": Chart.KONG}
    assert served_from_values(existing, **kw) <= served_from_values(merged.values, **kw)
    assert merged.values["proxy"]["stream"] == existing["proxy"]["stream"]
