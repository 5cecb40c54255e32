"""`scan` keeps what the live Kong proxy serves (issue 11, defect 1): a proxy publishing a TCP port for an
object the plan does not turn into a Gateway listener keeps that port in the values the scan writes, and
the report says which objects still use it.  Uses the API fake of tests/test_scan.py."""

from __future__ import annotations

import json
from pathlib import Path

from tests.scan_fixtures.fake_cluster import FakeCluster
from tests.test_scan import KONG_LABELS, cluster, documents, ingress, k, load, scan, service

__all__ = ["cluster"]


def _proxy_with_extra_ports(c: FakeCluster) -> None:
    ports = [{"name": "kong-proxy", "port": 80, "targetPort": 8000, "protocol": "TCP"},
             {"name": "kong-proxy-tls", "port": 443, "targetPort": 8443, "protocol": "TCP"},
             {"name": "stream-9000", "port": 9000, "targetPort": 9000, "protocol": "TCP"},
             {"name": "streamudp-5353", "port": 5353, "targetPort": 5353, "protocol": "UDP"}]
    c.add(k.SERVICES, service("kong-kong-proxy", "kong", KONG_LABELS, selector=KONG_LABELS, ports=ports))
    c.add(k.DEPLOYMENTS, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {
        "name": "kong-kong", "namespace": "kong", "labels": KONG_LABELS}, "spec": {"template": {
            "metadata": {"labels": KONG_LABELS}, "spec": {"containers": [{"name": "proxy", "env": [
                {"name": "KONG_PROXY_LISTEN", "value": "0.0.0.0:8000, 0.0.0.0:8443 http2 ssl"},
                {"name": "KONG_STREAM_LISTEN", "value": "0.0.0.0:9000, 0.0.0.0:5353 udp"}]}]}}}})


def test_scan_keeps_the_ports_the_live_proxy_serves(cluster: FakeCluster, tmp_path: Path) -> None:
    _proxy_with_extra_ports(cluster)
    load(cluster, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop")])
    out = tmp_path / "out"
    result = scan(cluster, tmp_path, "--output-dir", str(out))
    assert result.exit_code == 0, result.stderr
    values = documents((out / "kong-proxy" / "helm-values.yaml").read_text())[0]
    # The plan has one HTTP listener only; HTTPS and both stream ports stay served.
    assert values["proxy"]["tls"] == {"enabled": True, "servicePort": 443, "containerPort": 8443,
                                      "parameters": ["http2"]}
    assert {"containerPort": 9000, "servicePort": 9000, "protocol": "TCP"} in values["proxy"]["stream"]
    assert {"containerPort": 5353, "servicePort": 5353, "protocol": "UDP"} in values["proxy"]["stream"]
    text = (out / "kong-proxy" / "helm-values.yaml").read_text()
    assert "# Kept: the live proxy serves Service kong/kong-kong-proxy port 9000/TCP -> 9000 today" in text
    report = json.loads((out / "report.json").read_text())
    kept = [n for n in report["readiness"] if n["message"].startswith("kept:")]
    assert {n["subject"] for n in kept} == {
        "Helm values: Service kong/kong-kong-proxy port 443/TCP -> 8443",
        "Helm values: Service kong/kong-kong-proxy port 9000/TCP -> 9000",
        "Helm values: Service kong/kong-kong-proxy port 5353/UDP -> 5353"}
    env = (out / "kong-proxy" / "kong-env.txt").read_text()
    assert "0.0.0.0:9000, [::]:9000" in env and "0.0.0.0:5353 udp" in env


def test_scan_names_the_objects_that_still_use_a_kept_port(cluster: FakeCluster, tmp_path: Path) -> None:
    _proxy_with_extra_ports(cluster)
    load(cluster, [ingress("a", "shop", "a.example.com", "web", tls_secret="a-tls"), service("web", "shop")])
    result = scan(cluster, tmp_path, "--report-format", "json")
    notes = json.loads(result.stderr)["readiness"]
    kept = {n["subject"]: n["message"] for n in notes if n["message"].startswith("kept:")}
    # HTTPS is planned now (the Ingress has TLS): 443 is the Gateway's, not kept.
    assert not any("443" in s for s in kept)
    assert "no scanned Ingress-era object uses it" in kept["Helm values: Service kong/kong-kong-proxy port 9000/TCP -> 9000"]


def test_scan_refuses_values_that_would_cut_a_live_port(cluster: FakeCluster, tmp_path: Path) -> None:
    # Live HTTP is on 8080; the plan's Gateway serves HTTP on 80: the chart has one HTTP port.
    ports = [{"name": "kong-proxy", "port": 8080, "targetPort": 8000, "protocol": "TCP"}]
    cluster.add(k.SERVICES, service("kong-kong-proxy", "kong", KONG_LABELS, selector=KONG_LABELS, ports=ports))
    load(cluster, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop")])
    out = tmp_path / "out"
    result = scan(cluster, tmp_path, "--output-dir", str(out))
    assert result.exit_code == 1
    assert not (out / "kong-proxy").exists()
    report = (out / "report.txt").read_text()
    assert "Helm values: Service kong/kong-kong-proxy port 8080/TCP -> 8000: the live proxy serves it" in report
