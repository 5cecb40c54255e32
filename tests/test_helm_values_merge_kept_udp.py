"""A kept UDP stream entry of the proxy Service on the HTTP/HTTPS listeners' Service port (KIC maps a
Service's ports to targetPorts by number only, so it would hide them): moved to udpProxy.stream with
--udp-service separate when the proxy Service does not serve it today, else refused naming the entry, the
listener, the reason and the fix.  Found by tests/test_helm_values_merge_properties.py."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from generators.chart import Chart
from generators.merge import MergeConflict, merge_values
from generators.plan import PlanOptions, PortPlan, UdpService, build_plan
from generators.served import served_from_values
from generators.values import Target
from generators.valuesfile import load_values
from migrate.kongstatus import kong_listens_from_values, parse_gateway, predict_listener_status
from tests.support import GOLDEN, run_cli

CASE = GOLDEN / "helm-values" / "error-merge-kept-udp-hides-https"
HTTPS = {"name": "l0", "port": 443, "protocol": "HTTPS",
         "tls": {"mode": "Terminate", "certificateRefs": [{"name": "c"}]}}
UDP = {"name": "l0", "port": 443, "protocol": "UDP"}
KW: dict[str, Any] = {"release": "kong", "namespace": "kong", "chart": Chart.KONG}
# The proxy Service is not rendered today (http and tls off): only the listen serves the entry.
LISTEN_ONLY = """\
proxy:
  http:
    enabled: false
  tls:
    enabled: false
  stream:
  # DNS, listen only
  - containerPort: 443
    servicePort: 443
    protocol: UDP
  # cache
  - containerPort: 9000
    servicePort: 9000
"""


def _gateways(*listeners: dict[str, Any]) -> list[Any]:
    return [parse_gateway({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                           "metadata": {"name": f"g{i}", "namespace": "kong"},
                           "spec": {"gatewayClassName": "kong", "listeners": [lst]}})
            for i, lst in enumerate(listeners)]


def _plan(gateways: list[Any], udp: UdpService) -> PortPlan:
    plan = build_plan(gateways, PlanOptions(udp_service=udp))
    assert not plan.errors
    return plan


def _all_programmed(gateways: list[Any], values: dict[str, Any]) -> None:
    statuses = predict_listener_status(gateways, kong_listens_from_values(values, **{**KW, "chart": "kong"}))
    assert [(s.gateway, s.reasons) for s in statuses if not s.programmed] == []


def test_the_shrunk_example_is_refused_naming_entry_listener_reason_and_fix() -> None:
    gws = _gateways(HTTPS, UDP)
    text = "proxy:\n  stream:\n  - {containerPort: 443, servicePort: 443, protocol: UDP}\n"
    with pytest.raises(MergeConflict) as exc:
        merge_values(text, _plan(gws, UdpService.SEPARATE), Target())
    message = str(exc.value)
    for part in ("proxy.stream entry 443->443/UDP", "served today on Service kong-kong-proxy (443/UDP)",
                 "Gateway kong/g0 listener 'l0' (HTTPS 443)", "UnsupportedProtocol", "by number only",
                 "would stop serving 443/UDP", "fix: move the HTTPS listener to another port, or pass --prune"):
        assert part in message, part


def test_prune_moves_the_entry_to_udp_proxy() -> None:
    gws = _gateways(HTTPS, UDP)
    text = "proxy:\n  stream:\n  - {containerPort: 443, servicePort: 443, protocol: UDP}\n"
    merged = merge_values(text, _plan(gws, UdpService.SEPARATE), Target(), prune=True)
    assert merged.values["proxy"]["stream"] == []
    assert merged.values["udpProxy"]["stream"] == [{"containerPort": 443, "servicePort": 443, "protocol": "UDP"}]
    _all_programmed(gws, merged.values)


def test_moved_when_the_proxy_service_does_not_serve_it_today() -> None:
    gws = _gateways(HTTPS, UDP)
    merged = merge_values(LISTEN_ONLY, _plan(gws, UdpService.SEPARATE), Target())
    assert merged.values["proxy"]["stream"] == [{"containerPort": 9000, "servicePort": 9000}]
    assert merged.values["udpProxy"] == {"enabled": True, "stream": [
        {"containerPort": 443, "servicePort": 443, "protocol": "UDP"}]}
    assert merged.values["ingressController"]["env"]["publish_service_udp"] == "kong/kong-kong-udp-proxy"
    # The comment above the entry goes with it; the one above the next entry stays with that one.
    assert "  # cache\n  - containerPort: 9000" in merged.text
    assert "  # DNS, listen only\n  - containerPort: 443" in merged.text.split("udpProxy:")[1]
    assert any("moved to udpProxy.stream" in n for n in merged.notes)
    assert served_from_values(load_values(LISTEN_ONLY), **KW) <= served_from_values(merged.values, **KW)
    _all_programmed(gws, merged.values)


def test_an_unused_kept_entry_moves_too_when_nothing_serves_it_on_the_proxy_service() -> None:
    gws = _gateways(HTTPS)
    merged = merge_values(LISTEN_ONLY, _plan(gws, UdpService.SEPARATE), Target())
    assert merged.values["udpProxy"]["stream"] == [{"containerPort": 443, "servicePort": 443, "protocol": "UDP"}]
    assert served_from_values(load_values(LISTEN_ONLY), **KW) <= served_from_values(merged.values, **KW)
    _all_programmed(gws, merged.values)


@pytest.mark.parametrize("udp", list(UdpService))
def test_an_unused_kept_entry_served_today_is_refused(udp: UdpService) -> None:
    gws = _gateways(HTTPS)
    text = "proxy:\n  stream:\n  - {containerPort: 443, servicePort: 443, protocol: UDP}\n"
    with pytest.raises(MergeConflict) as exc:
        merge_values(text, _plan(gws, udp), Target())
    assert "(no Gateway listener uses it) is served today" in str(exc.value)
    assert "pass --prune to remove the entry" in str(exc.value)


def test_same_layout_names_the_separate_service_when_nothing_serves_it_today() -> None:
    gws = _gateways(HTTPS)
    with pytest.raises(MergeConflict) as exc:
        merge_values(LISTEN_ONLY, _plan(gws, UdpService.SAME), Target())
    assert "fix: pass --udp-service separate" in str(exc.value)


def test_kept_tls_listen_on_a_udp_listener_port_is_refused() -> None:
    """A UDP Service port targeting a proxy listen reads as HTTPS to KIC: the kept default proxy.tls (8443)
    and a UDP listener on 8443 cannot both be served."""
    gws = _gateways({"name": "u", "port": 8443, "protocol": "UDP"})
    with pytest.raises(MergeConflict) as exc:
        merge_values("", _plan(gws, UdpService.SAME), Target())
    assert "proxy.tls (containerPort 8443) is served today" in str(exc.value)
    assert "UnsupportedProtocol" in str(exc.value)
    merged = merge_values("", _plan(gws, UdpService.SAME), Target(), prune=True)
    _all_programmed(gws, merged.values)


def test_the_command_exits_1_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("gateway.yaml", "values.yaml"):
        shutil.copy(CASE / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    original = Path("values.yaml").read_text()
    result = run_cli(["helm-values", "gateway.yaml", "--values", "values.yaml", "--udp-service", "separate",
                      "--in-place"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no values written" in result.stderr
    assert Path("values.yaml").read_text() == original
    assert not Path("values.yaml.bak").exists()
