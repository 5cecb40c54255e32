"""Properties of `helm-values`: round trip through `check`, and merges that keep everything they do not own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from generators.chart import Chart
from generators.merge import merge_values
from generators.output import render_values, values_comments
from generators.plan import PlanOptions, UdpService, build_plan
from generators.values import Target, plan_values
from migrate.kongstatus import kong_listens_from_values, parse_gateway, predict_listener_status
from migrate.yamlio import load_yaml_stream
from tests.support import run_cli

PROTOCOLS = ("HTTP", "HTTPS", "TCP", "UDP", "TLS")
PORTS = st.sampled_from([53, 80, 443, 5353, 8000, 8080, 8100, 8443, 9000, 9001, 9443])


@st.composite
def gateway(draw: Any) -> dict[str, Any]:
    listeners = []
    for i in range(draw(st.integers(1, 6))):
        proto = draw(st.sampled_from(PROTOCOLS))
        lst: dict[str, Any] = {"name": f"l{i}", "port": draw(PORTS), "protocol": proto}
        if draw(st.booleans()) and proto in ("HTTP", "HTTPS", "TLS"):
            lst["hostname"] = draw(st.sampled_from(["a.example.com", "b.example.com"]))
        if proto == "TLS":
            lst["tls"] = {"mode": draw(st.sampled_from(["Passthrough", "Passthrough", "Terminate"]))}
        if proto == "HTTPS":
            lst["tls"] = {"mode": "Terminate", "certificateRefs": [{"name": "c"}]}
        listeners.append(lst)
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": "ns"}, "spec": {"listeners": listeners}}


@given(gateway(), st.sampled_from(list(UdpService)), st.sampled_from(list(Chart)))
def test_accepted_gateways_are_fully_programmed_under_the_generated_values(
        obj: dict[str, Any], udp: UdpService, chart: Chart) -> None:
    gw = parse_gateway(obj)
    plan = build_plan([gw], PlanOptions(udp_service=udp))
    if plan.errors:
        return  # refused with an error naming the listener: nothing generated
    target = Target(chart, "rel", "ns")
    values = plan_values(plan, target)
    # What the user gets is the commented YAML: read it back the way Helm would.
    text = render_values(values, values_comments(plan, target, target.udp_service()), ["h"])
    assert next(iter(load_yaml_stream(text))) == values
    listens = kong_listens_from_values(values, release="rel", namespace="ns", chart=chart.value)
    statuses = predict_listener_status([gw], listens)
    assert [s.listener.name for s in statuses if not s.programmed] == []


def test_round_trip_through_the_cli(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    import json

    gw = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "g", "namespace": "n"},
          "spec": {"gatewayClassName": "kong", "listeners": [{"name": "h", "port": 80, "protocol": "HTTP"},
                                 {"name": "u", "port": 9902, "protocol": "UDP"}]}}
    Path("gw.yaml").write_text(json.dumps(gw))
    out = run_cli(["helm-values", "gw.yaml", "--udp-service", "separate"])
    assert out.exit_code == 0, out.stderr
    Path("values.yaml").write_text(out.stdout)
    checked = run_cli(["check", "gw.yaml", "--values", "values.yaml"])
    assert checked.exit_code == 0, checked.stdout


KEY = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8).filter(
    lambda k: k not in {"proxy", "udpProxy", "ingressController", "env", "gateway", "controller", "y", "n", "yes",
                      "no", "on", "off", "null", "true", "false"})
COMMENT = st.text("abcdefghij -_.,:", min_size=0, max_size=20).map(lambda t: t.strip())
# ruamel round-trip rewrites a null spelled `~` or `null` as an empty value: nulls are left out.
SCALAR = st.one_of(st.integers(-5, 99999), st.sampled_from(['"quoted"', "'single'", "plain", "true", '"3.9"']))


@st.composite
def foreign_block(draw: Any, key: str, indent: int) -> str:
    """A top-level (or proxy-level) key with nested scalars and comments, in the common 2-space style."""
    pad = " " * indent
    lines = []
    if draw(st.booleans()):
        lines.append(f"{pad}# {draw(COMMENT)}".rstrip())
    lines.append(f"{pad}{key}:")
    for sub in draw(st.lists(KEY, min_size=1, max_size=3, unique=True)):
        eol = f"  # {draw(COMMENT)}".rstrip() if draw(st.booleans()) else ""
        lines.append(f"{pad}  {sub}: {draw(SCALAR)}{eol}")
    return "\n".join(lines) + "\n"


@given(st.data())
def test_merge_keeps_every_foreign_key_and_comment_byte_for_byte(data: Any) -> None:
    top_keys = data.draw(st.lists(KEY, min_size=1, max_size=4, unique=True))
    blocks = [data.draw(foreign_block(k, 0)) for k in top_keys]
    proxy_keys = data.draw(st.lists(KEY.filter(lambda k: k not in {"http", "tls", "stream", "enabled"}),
                                    max_size=2, unique=True))
    proxy_blocks = [data.draw(foreign_block(k, 2)) for k in proxy_keys]
    owned = data.draw(st.sampled_from(["", "  http:\n    servicePort: 8080\n", "  stream:\n  - containerPort: 1\n"
                                       "    servicePort: 1\n"]))
    split = data.draw(st.integers(0, len(blocks)))
    text = "".join(blocks[:split]) + "proxy:\n" + "".join(proxy_blocks) + owned + "".join(blocks[split:])
    gw = parse_gateway({"metadata": {"name": "g", "namespace": "n"}, "spec": {"listeners": [
        {"name": "h", "port": 80, "protocol": "HTTP"}, {"name": "t", "port": 9000, "protocol": "TCP"}]}})
    merged = merge_values(text, build_plan([gw]), Target())
    anchored = "\n" + merged.text  # blocks start at a line start: `a:` must not match inside `aa:`
    for block in blocks + proxy_blocks:
        assert "\n" + block in anchored
    # Foreign blocks keep their relative order.
    positions = [anchored.index("\n" + b) for b in blocks]
    assert positions == sorted(positions)
    original = next(iter(load_yaml_stream(text)))
    result = merged.values
    for key in top_keys:
        assert result[key] == original[key]
    for key in proxy_keys:
        assert result["proxy"][key] == original["proxy"][key]
