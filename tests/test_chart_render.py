"""Our chart renderer against the real Kong chart: every case in ../shared/kong-chart-renders.

values.yaml → generators.chart.render_chart → the listen strings, the proxy/udp-proxy Service ports and the
proxy container ports must equal the chart's rendered.json.  Container ports the chart adds for other
features (`status`, `admin-tls`) are outside the proxy and not modelled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generators.chart import Chart, ChartRenderError, render_chart
from migrate.yamlio import load_yaml_stream
from tests.support import CHART_RENDERS, require_shared

PROXY_ENV = ("KONG_PROXY_LISTEN", "KONG_STREAM_LISTEN", "KONG_PORT_MAPS")
CASES = sorted(p.name for p in CHART_RENDERS.iterdir() if (p / "rendered.json").is_file()) \
    if CHART_RENDERS.is_dir() else ["(absent)"]


def _proxy_port(name: str) -> bool:
    return name in ("proxy", "proxy-tls") or name.startswith(("stream-", "streamudp-"))


def _load(case: str) -> tuple[dict[str, Any], dict[str, Any]]:
    folder = require_shared("kong-chart-renders", case)
    values = next(iter(load_yaml_stream((folder / "values.yaml").read_text()))) or {}
    return values, json.loads((folder / "rendered.json").read_text())


@pytest.mark.parametrize("case", CASES)
def test_renderer_matches_the_real_chart(case: str) -> None:
    values, rendered = _load(case)
    chart = Chart.INGRESS if rendered["chart_name"] == "ingress" else Chart.KONG
    release = rendered["release"]
    if "error" in rendered:
        with pytest.raises(ChartRenderError):
            render_chart(values, release=release["name"], namespace=release["namespace"], chart=chart)
        return
    facts = render_chart(values, release=release["name"], namespace=release["namespace"], chart=chart)
    assert facts.env == {k: rendered["env"][k] for k in PROXY_ENV if k in rendered["env"]}
    assert {s.name: s.as_json() for s in facts.services} == rendered["services"]
    assert [s.name for s in facts.services] == list(rendered["services"])
    expected_ports = [p for p in rendered["container_ports"] if _proxy_port(p["name"])]
    assert [p.as_json() for p in facts.container_ports] == expected_ports


def test_every_case_is_covered() -> None:
    root = require_shared("kong-chart-renders")
    listed = [line.split("`")[1] for line in (root / "CASES.md").read_text().splitlines() if line.startswith("- `")]
    assert sorted(listed) == CASES


def test_env_override_wins_over_derived_listens_but_services_follow_values() -> None:
    values = {"env": {"stream_listen": "0.0.0.0:7000"},
              "proxy": {"stream": [{"containerPort": 9000, "servicePort": 9000, "protocol": "TCP"}]}}
    facts = render_chart(values)
    assert facts.env["KONG_STREAM_LISTEN"] == "0.0.0.0:7000"
    proxy = facts.service("kong-kong-proxy")
    assert proxy is not None and [p.name for p in proxy.ports] == ["kong-proxy", "kong-proxy-tls", "stream-9000"]


def test_publish_services() -> None:
    assert render_chart({}).publish_services == ("kong/kong-kong-proxy",)
    udp = {"ingressController": {"env": {"publish_service_udp": "kong/kong-kong-udp-proxy"}}}
    assert render_chart(udp).publish_services == ("kong/kong-kong-proxy", "kong/kong-kong-udp-proxy")
    umbrella = {"controller": {"ingressController": {"env": {"publish_service_udp": "x/y"}}}}
    assert render_chart(umbrella, release="edge", namespace="x", chart=Chart.INGRESS).publish_services == \
        ("x/edge-gateway-proxy", "x/y")


def test_umbrella_ignores_top_level_proxy_values(tmp_path: Path) -> None:
    # In the umbrella a top-level `proxy:` belongs to nobody: the Kong subchart reads `gateway.proxy`.
    facts = render_chart({"proxy": {"http": {"servicePort": 8080}}}, chart=Chart.INGRESS)
    assert facts.env["KONG_PORT_MAPS"] == "80:8000, 443:8443"
