"""`scan` keeps what the live Kong UDP proxy Service serves (issue 11): the chart's `<release>-kong-udp-proxy`
(`udpProxy`), found next to the proxy Service by its chart labels, is read and its ports the plan does not use
stay in the values under `udpProxy.stream`, named with the objects that still use them.  Uses the API fake of
tests/test_scan.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.scan_fixtures.fake_cluster import FakeCluster
from tests.test_scan import KONG_LABELS, cluster, documents, ingress, k, load, scan, service

__all__ = ["cluster"]

UDP_PORTS = [{"name": "streamudp-5353", "port": 5353, "targetPort": 5353, "protocol": "UDP"}]


def _kong(c: FakeCluster, udp_service: bool) -> None:
    ports = [{"name": "kong-proxy", "port": 80, "targetPort": 8000, "protocol": "TCP"}]
    c.add(k.SERVICES, service("kong-kong-proxy", "kong", KONG_LABELS, selector=KONG_LABELS, ports=ports))
    if udp_service:
        c.add(k.SERVICES, service("kong-kong-udp-proxy", "kong", KONG_LABELS, selector=KONG_LABELS,
                                  ports=UDP_PORTS))
    # Same chart labels, another release: not this proxy's UDP Service.
    c.add(k.SERVICES, service("other-kong-udp-proxy", "kong", {**KONG_LABELS, "app.kubernetes.io/instance": "other"},
                              ports=[{"name": "streamudp-53", "port": 53, "targetPort": 53, "protocol": "UDP"}]))
    c.add(k.DEPLOYMENTS, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {
        "name": "kong-kong", "namespace": "kong", "labels": KONG_LABELS}, "spec": {"template": {
            "metadata": {"labels": KONG_LABELS}, "spec": {"containers": [{"name": "proxy", "env": [
                {"name": "KONG_PROXY_LISTEN", "value": "0.0.0.0:8000"},
                {"name": "KONG_STREAM_LISTEN",
                 "value": "0.0.0.0:5353 udp reuseport" if udp_service else "off"}]}]}}}})


def udp_ingress(name: str, ns: str, port: int, ingress_class: str) -> dict[str, Any]:
    return {"apiVersion": "configuration.konghq.com/v1beta1", "kind": "UDPIngress", "metadata": {
        "name": name, "namespace": ns, "annotations": {"kubernetes.io/ingress.class": ingress_class}},
        "spec": {"rules": [{"port": port, "backend": {"serviceName": "dns", "servicePort": 53}}]}}


def _scan(c: FakeCluster, tmp_path: Path) -> tuple[Any, Path]:
    # The UDPIngress belongs to another class: no planned Gateway listener takes over its port.
    load(c, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop"),
             udp_ingress("dns", "net", 5353, "kong-legacy"), service("dns", "net")])
    out = tmp_path / "out"
    return scan(c, tmp_path, "--output-dir", str(out)), out


def test_scan_keeps_the_ports_of_the_live_udp_proxy_service(cluster: FakeCluster, tmp_path: Path) -> None:
    _kong(cluster, udp_service=True)
    result, out = _scan(cluster, tmp_path)
    assert result.exit_code == 0, result.stderr
    text = (out / "kong-proxy" / "helm-values.yaml").read_text()
    values = documents(text)[0]
    assert values["udpProxy"] == {"enabled": True, "stream": [
        {"containerPort": 5353, "servicePort": 5353, "protocol": "UDP"}]}
    assert values["ingressController"]["env"]["publish_service_udp"] == "kong/kong-kong-udp-proxy"
    assert "5353" not in json.dumps(values["proxy"])
    assert "# Kept: the live proxy serves Service kong/kong-kong-udp-proxy port 5353/UDP -> 5353 today; no " \
        "planned Gateway listener uses it (still used by UDPIngress net/dns)" in text
    report = json.loads((out / "report.json").read_text())
    kept = {n["subject"]: n["message"] for n in report["readiness"] if n["message"].startswith("kept:")}
    assert kept == {"Helm values: Service kong/kong-kong-udp-proxy port 5353/UDP -> 5353":
                    "kept: the live proxy serves it and no planned Gateway listener uses it; still used by "
                    "UDPIngress net/dns"}
    assert report["proxy"]["udpService"]["service"] == "kong-kong-udp-proxy"
    assert "0.0.0.0:5353 udp" in (out / "kong-proxy" / "kong-env.txt").read_text()
    assert "kong-kong-udp-proxy" in (out / "kong-proxy" / "proxy-services.yaml").read_text()
    assert "kong proxy: UDP Service kong/kong-kong-udp-proxy ports streamudp-5353 5353->5353/UDP" in \
        (out / "report.txt").read_text()
    # Read-only, and only in the proxy's namespace with its chart labels.
    assert all(r.method == "GET" for r in cluster.requests("/"))
    selectors = [r.query.get("labelSelector") for r in cluster.requests("/namespaces/kong/services")]
    assert "app.kubernetes.io/instance=kong,app.kubernetes.io/name=kong" in selectors


def test_without_a_udp_proxy_service_nothing_changes(cluster: FakeCluster, tmp_path: Path) -> None:
    _kong(cluster, udp_service=False)
    result, out = _scan(cluster, tmp_path)
    assert result.exit_code == 0, result.stderr
    values = documents((out / "kong-proxy" / "helm-values.yaml").read_text())[0]
    assert "udpProxy" not in values and "publish_service_udp" not in json.dumps(values)
    report = json.loads((out / "report.json").read_text())
    assert "udpService" not in report["proxy"]
    assert not [n for n in report["readiness"] if n["message"].startswith("kept:")]
