"""`migrate scan` against a real HTTP Kubernetes API fake on loopback (kmock), through a generated kubeconfig."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from migrate.scan import kinds as k
from migrate.yamlio import load_yaml_stream
from tests.scan_fixtures.fake_cluster import ALL_RESOURCES, FakeCluster, kubeconfig
from tests.support import GOLDEN, run_cli

SECRET_MARKER = "c2VjcmV0LWtleS1tYXRlcmlhbA"  # base64 of "secret-key-material": must never leave the cluster
BY_KIND = {r.kind: r for r in ALL_RESOURCES}


def ingress(name: str, ns: str, host: str, service: str, tls_secret: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"ingressClassName": "kong", "rules": [{"host": host, "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]}
    if tls_secret:
        spec["tls"] = [{"hosts": [host], "secretName": tls_secret}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def service(name: str, ns: str, labels: dict[str, str] | None = None, ports: list[dict[str, Any]] | None = None,
            selector: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"ports": ports or [{"name": "http", "port": 80, "targetPort": 8080}]}
    if selector:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns,
                                                              "labels": labels or {}}, "spec": spec}


def secret(name: str, ns: str, type_: str = "kubernetes.io/tls") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns}, "type": type_,
            "data": {"tls.crt": SECRET_MARKER, "tls.key": SECRET_MARKER}}


@pytest.fixture
def cluster() -> Iterator[FakeCluster]:
    with FakeCluster() as c:
        yield c


def scan(c: FakeCluster, tmp_path: Path, *args: str) -> Any:
    kc = tmp_path / "kubeconfig"
    kc.write_text(kubeconfig(c.url, context="kind-test"))
    return run_cli(["scan", "--kubeconfig", str(kc), *args])


def load(c: FakeCluster, objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        c.add(BY_KIND[obj["kind"]], obj)


def documents(text: str) -> list[dict[str, Any]]:
    return [d for d in load_yaml_stream(text) if d]


# -- scan == convert ----------------------------------------------------------------------------------------

PARITY_CASES = ["basic-example", "core-gateway-flags", "core-ingress-class-flag", "core-ingressclass-objects",
                "core-named-ports", "core-tls-per-host", "core-default-backend", "core-v1-6-redirect",
                "core-listener-limit", "core-wildcard-hosts"]


def _body(text: str) -> str:
    """The output without its leading comment header (which names the command that produced it)."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines)


@pytest.mark.parametrize("name", PARITY_CASES)
def test_scan_output_equals_convert_on_the_same_objects(name: str, cluster: FakeCluster, tmp_path: Path) -> None:
    case = GOLDEN / "convert" / name
    if not (case / "input.yaml").is_file():
        pytest.skip(f"golden case {name} is not present")
    args = [a for a in (case / "args.txt").read_text().split() if a]
    flags = args[2:]  # after `convert input.yaml`
    objects = [o for o in documents((case / "input.yaml").read_text()) if o.get("kind") in BY_KIND]
    load(cluster, objects)
    dump = tmp_path / "dump.yaml"
    from migrate.yamlio import dump_yaml_documents

    dump.write_text(dump_yaml_documents(objects, ""))
    converted = run_cli(["convert", str(dump), *flags])
    scanned = scan(cluster, tmp_path, *flags, "--page-size", "2")
    assert scanned.exit_code in (0, 1), scanned.stderr
    assert _body(scanned.stdout) == _body(converted.stdout)
    assert _body(converted.stdout).strip(), "the case converts to something"


# -- pagination, namespaces -------------------------------------------------------------------------------


def test_pagination_reads_every_page(cluster: FakeCluster, tmp_path: Path) -> None:
    load(cluster, [ingress(f"app-{i:02d}", "shop", f"app{i}.example.com", "web") for i in range(23)])
    load(cluster, [service("web", "shop")])
    result = scan(cluster, tmp_path, "--page-size", "5")
    routes = [d for d in documents(result.stdout) if d["kind"] == "HTTPRoute"]
    hosts = sorted(h for r in routes for h in r["spec"]["hostnames"])
    assert hosts == sorted(f"app{i}.example.com" for i in range(23))
    pages = [r for r in cluster.requests("/ingresses") if r.method == "GET"]
    assert [r.query.get("continue", "") for r in pages] == ["", "5", "10", "15", "20"]
    assert all(r.query["limit"] == "5" for r in pages)


def test_namespace_flag_limits_the_scan(cluster: FakeCluster, tmp_path: Path) -> None:
    load(cluster, [ingress("a", "team-a", "a.example.com", "web"), ingress("b", "team-b", "b.example.com", "web"),
                   service("web", "team-a"), service("web", "team-b")])
    result = scan(cluster, tmp_path, "-n", "team-b")
    routes = [d for d in documents(result.stdout) if d["kind"] == "HTTPRoute"]
    assert [r["metadata"]["namespace"] for r in routes] == ["team-b"]
    paths = {r.path for r in cluster.log}
    assert "/apis/networking.k8s.io/v1/namespaces/team-b/ingresses" in paths
    assert not any("team-a" in p for p in paths)
    assert "/apis/networking.k8s.io/v1/ingresses" not in paths


def test_namespace_and_all_namespaces_are_exclusive(cluster: FakeCluster, tmp_path: Path) -> None:
    result = scan(cluster, tmp_path, "-n", "a", "-A")
    assert result.exit_code == 2
    assert "mutually exclusive" in result.stderr


# -- secrets: metadata only ------------------------------------------------------------------------------


def test_secret_data_is_never_requested_or_printed(cluster: FakeCluster, tmp_path: Path) -> None:
    load(cluster, [ingress("shop", "shop", "shop.example.com", "web", tls_secret="shop-tls"),
                   ingress("old", "shop", "old.example.com", "web", tls_secret="opaque-cert"),
                   service("web", "shop"), secret("shop-tls", "shop"), secret("opaque-cert", "shop", "Opaque"),
                   secret("unrelated", "shop", "Opaque")])
    out = tmp_path / "out"
    result = scan(cluster, tmp_path, "--output-dir", str(out))
    secret_requests = list(cluster.requests("secrets"))
    assert secret_requests, "the scan reads Secret metadata"
    for req in secret_requests:
        assert req.accept == k.PARTIAL_METADATA_LIST, req
        assert req.path.endswith("/secrets"), f"a single Secret was fetched: {req}"
    written = "".join(p.read_text() for p in out.iterdir()) + result.stdout + result.stderr
    assert SECRET_MARKER not in written
    assert "unrelated" not in written
    # Existence and type still reach the conversion: the Opaque secret is flagged, the TLS one is not.
    report = json.loads((out / "report.json").read_text())
    flagged = [e for e in report["conversion"]["entries"] if "opaque-cert" in e["message"] and "type" in e["message"]]
    assert flagged and flagged[0]["status"] == "warning", report["conversion"]["entries"]
    assert not [e for e in report["conversion"]["entries"] if "Secret shop/shop-tls has type" in e["message"]]
    gateway = next(d for d in documents((out / "namespace-kong.yaml").read_text()) if d["kind"] == "Gateway")
    refs = [lst["tls"]["certificateRefs"][0]["name"] for lst in gateway["spec"]["listeners"] if "tls" in lst]
    assert sorted(refs) == ["opaque-cert", "shop-tls"]


# -- missing CRDs, errors --------------------------------------------------------------------------------


def test_missing_kong_and_gateway_crds_are_notes(tmp_path: Path) -> None:
    core = tuple(r for r in ALL_RESOURCES if r.group not in (k.KONG_GROUP, k.GATEWAY_GROUP))
    with FakeCluster(installed=core) as c:
        load(c, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop")])
        result = scan(c, tmp_path, "--report-format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stderr)
    notes = {(n["subject"], n["level"]) for n in report["readiness"]}
    for kind in ("KongPlugin", "TCPIngress", "UDPIngress", "KongUpstreamPolicy", "Gateway", "HTTPRoute"):
        assert (kind, "info") in notes
    assert ("Gateway API CRDs", "warning") in notes
    assert any(d["kind"] == "HTTPRoute" for d in documents(result.stdout))


def test_installed_gateway_api_bundle_picks_the_version(cluster: FakeCluster, tmp_path: Path) -> None:
    for kind in ("Gateway", "GatewayClass", "HTTPRoute", "ReferenceGrant"):
        cluster.add(k.CRDS, {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                             "metadata": {"name": k.GATEWAY_CRD_NAMES[kind], "annotations": {
                                 k.BUNDLE_VERSION_ANNOTATION: "v1.6.1", k.CHANNEL_ANNOTATION: "standard"}}})
    load(cluster, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop")])
    result = scan(cluster, tmp_path)
    assert "for Gateway API v1.6." in result.stdout
    assert "installed bundle v1.6.1 (standard channel)" in result.stderr


def test_unauthorized_is_explained(cluster: FakeCluster, tmp_path: Path) -> None:
    cluster.deny("/apis/networking.k8s.io/v1/ingressclasses", 401)
    result = scan(cluster, tmp_path)
    assert result.exit_code == 2
    assert "rejected the credentials (401 Unauthorized)" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_forbidden_namespaces_are_reported_and_the_rest_is_scanned(cluster: FakeCluster, tmp_path: Path) -> None:
    load(cluster, [ingress("a", "team-a", "a.example.com", "web"), ingress("b", "team-b", "b.example.com", "web"),
                   service("web", "team-a"), service("web", "team-b")])
    for ns in ("team-a", "team-b"):
        cluster.add(k.NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    cluster.deny("/apis/networking.k8s.io/v1/ingresses", 403, 'ingresses.networking.k8s.io is forbidden: User '
                 '"dev" cannot list resource "ingresses" in API group "networking.k8s.io" at the cluster scope')
    cluster.deny("/apis/networking.k8s.io/v1/namespaces/team-a/ingresses", 403)
    result = scan(cluster, tmp_path)
    assert result.exit_code == 1
    routes = [d for d in documents(result.stdout) if d["kind"] == "HTTPRoute"]
    assert [r["metadata"]["namespace"] for r in routes] == ["team-b"]
    assert "cannot list ingresses.networking.k8s.io in namespace team-a" in result.stderr
    assert "migrate scan --print-rbac" in result.stderr


def test_forbidden_kind_names_verb_and_resource(cluster: FakeCluster, tmp_path: Path) -> None:
    load(cluster, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop")])
    cluster.add(k.NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    cluster.deny("/apis/configuration.konghq.com/v1/kongplugins", 403)
    result = scan(cluster, tmp_path)
    assert "permission denied (403 Forbidden): cannot list kongplugins.configuration.konghq.com in all " \
           "namespaces" in result.stderr
    assert "reading namespace by namespace instead" in result.stderr
    # Every namespace could still be read one by one: the scan is complete.
    assert "/apis/configuration.konghq.com/v1/namespaces/shop/kongplugins" in {r.path for r in cluster.log}
    assert result.exit_code == 0, result.stderr
    cluster.deny("/apis/configuration.konghq.com/v1/namespaces/shop/kongplugins", 403)
    partial = scan(cluster, tmp_path)
    assert partial.exit_code == 1
    assert "cannot list kongplugins.configuration.konghq.com in namespace shop" in partial.stderr


def test_kind_not_served_is_a_note(cluster: FakeCluster, tmp_path: Path) -> None:
    cluster.deny("/apis/configuration.konghq.com/v1beta1", 404)
    load(cluster, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop")])
    result = scan(cluster, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "TCPIngress is not served by this cluster" in result.stderr
    assert not list(cluster.requests("/tcpingresses"))


def test_unreachable_server_is_explained(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kc = tmp_path / "kubeconfig"
    kc.write_text(kubeconfig(f"http://127.0.0.1:{port}"))
    result = run_cli(["scan", "--kubeconfig", str(kc)])
    assert result.exit_code == 2
    assert f"cannot reach the API server http://127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_context_is_a_usage_error(cluster: FakeCluster, tmp_path: Path) -> None:
    result = scan(cluster, tmp_path, "--context", "nope")
    assert result.exit_code == 2
    assert "cannot load cluster credentials" in result.stderr and "'nope'" in result.stderr


def test_only_get_requests_are_sent(cluster: FakeCluster, tmp_path: Path) -> None:
    load(cluster, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop")])
    scan(cluster, tmp_path)
    assert cluster.log and {r.method for r in cluster.log} == {"GET"}


# -- proxy, clashes, reuse, rbac ------------------------------------------------------------------------

KONG_LABELS = {"app.kubernetes.io/name": "kong", "app.kubernetes.io/instance": "kong"}


def kong_proxy(c: FakeCluster, listen: str = "0.0.0.0:8000, [::]:8000", tls_service_port: int | None = None) -> None:
    ports = [{"name": "kong-proxy", "port": 80, "targetPort": 8000, "protocol": "TCP"}]
    if tls_service_port:
        ports.append({"name": "kong-proxy-tls", "port": tls_service_port, "targetPort": 8443, "protocol": "TCP"})
    c.add(k.SERVICES, service("kong-kong-proxy", "kong", KONG_LABELS, selector=KONG_LABELS, ports=ports))
    c.add(k.SERVICES, service("kong-kong-admin", "kong", KONG_LABELS, selector=KONG_LABELS))
    c.add(k.DEPLOYMENTS, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {
        "name": "kong-kong", "namespace": "kong", "labels": KONG_LABELS}, "spec": {"template": {
            "metadata": {"labels": KONG_LABELS}, "spec": {"containers": [{"name": "proxy", "env": [
                {"name": "KONG_PROXY_LISTEN", "value": listen},
                {"name": "KONG_STREAM_LISTEN", "value": "off"}]}]}}}})


def test_finds_the_kong_proxy_by_chart_labels(cluster: FakeCluster, tmp_path: Path) -> None:
    kong_proxy(cluster)
    load(cluster, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop")])
    result = scan(cluster, tmp_path)
    assert "kong proxy: Service kong/kong-kong-proxy ports kong-proxy 80->8000/TCP" in result.stderr
    assert "kong proxy: Deployment kong/kong-kong" in result.stderr
    assert "kong proxy: KONG_PROXY_LISTEN=0.0.0.0:8000, [::]:8000" in result.stderr
    selectors = [r.query.get("labelSelector") for r in cluster.requests("/services")]
    assert "app.kubernetes.io/name=kong" in selectors


def test_planned_listeners_are_checked_against_the_live_proxy(cluster: FakeCluster, tmp_path: Path) -> None:
    # Kong listens for TLS on 8443, but the proxy Service publishes it on 8443, not on the Gateway's 443.
    kong_proxy(cluster, listen="0.0.0.0:8000, 0.0.0.0:8443 http2 ssl", tls_service_port=8443)
    load(cluster, [ingress("a", "shop", "a.example.com", "web", tls_secret="a-tls"), service("web", "shop"),
                   secret("a-tls", "shop")])
    result = scan(cluster, tmp_path, "--report-format", "json")
    notes = json.loads(result.stderr)["readiness"]
    checked = {n["subject"]: n for n in notes if n["subject"].startswith("Gateway kong/kong listener")}
    http = next(n for s, n in checked.items() if "(80/HTTP)" in s)
    https = next(n for s, n in checked.items() if "(443/HTTPS)" in s)
    assert http["level"] == "info"
    assert https["level"] == "needs-human" and "PortUnavailable" in https["message"]
    assert "proxy.tls.servicePort: 443" in https["action"]
    assert result.exit_code == 1


def test_proxy_service_flag(cluster: FakeCluster, tmp_path: Path) -> None:
    kong_proxy(cluster)
    result = scan(cluster, tmp_path, "--proxy-service", "kong/kong-kong-admin")
    assert "kong proxy: Service kong/kong-kong-admin" in result.stderr
    assert "/api/v1/namespaces/kong/services/kong-kong-admin" in {r.path for r in cluster.log}
    bad = scan(cluster, tmp_path, "--proxy-service", "justaname")
    assert bad.exit_code == 2 and "NAMESPACE/NAME" in bad.stderr


def _gateway(name: str, ns: str, listeners: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": name,
            "namespace": ns}, "spec": {"gatewayClassName": "shared", "listeners": listeners}}


def test_name_clash_with_an_existing_gateway_needs_a_human(cluster: FakeCluster, tmp_path: Path) -> None:
    load(cluster, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop"),
                   _gateway("kong", "kong", [{"name": "http", "port": 80, "protocol": "HTTP"}])])
    result = scan(cluster, tmp_path)
    assert result.exit_code == 1
    assert "Gateway kong/kong: already exists in the cluster: applying the plan would overwrite it" in result.stderr


def test_reuse_an_existing_gateway(cluster: FakeCluster, tmp_path: Path) -> None:
    load(cluster, [ingress("a", "shop", "a.example.com", "web", tls_secret="a-tls"), service("web", "shop"),
                   secret("a-tls", "shop"),
                   _gateway("edge", "infra", [{"name": "web", "port": 80, "protocol": "HTTP"}])])
    result = scan(cluster, tmp_path, "--gateway", "infra/edge")
    docs = documents(result.stdout)
    assert not [d for d in docs if d["kind"] == "Gateway"]
    route = next(d for d in docs if d["kind"] == "HTTPRoute")
    assert {(p["namespace"], p["name"]) for p in route["spec"]["parentRefs"]} == {("infra", "edge")}
    assert "the existing Gateway has no listener for port 443 HTTPS a.example.com" in result.stderr
    assert result.exit_code == 1
    missing = scan(cluster, tmp_path, "--gateway", "infra/nope")
    assert missing.exit_code == 2 and "no such Gateway" in missing.stderr


def test_print_rbac_is_get_list_only(tmp_path: Path) -> None:
    result = run_cli(["scan", "--print-rbac"])
    assert result.exit_code == 0
    role = documents(result.stdout)[0]
    assert role["kind"] == "ClusterRole"
    verbs = {v for rule in role["rules"] for v in rule["verbs"]}
    assert verbs == {"get", "list"}
    resources = {(g, r) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
    for res in k.LISTED:
        assert (res.group, res.plural) in resources


def test_output_dir_has_manifests_per_namespace_and_reports(cluster: FakeCluster, tmp_path: Path) -> None:
    load(cluster, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop")])
    out = tmp_path / "out"
    result = scan(cluster, tmp_path, "--output-dir", str(out))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["cluster.yaml", "namespace-kong.yaml", "namespace-shop.yaml",
                                                     "report.json", "report.md", "report.txt"]
    assert result.stdout == ""
    assert "# Cluster scan" in (out / "report.md").read_text()
    assert json.loads((out / "report.json").read_text())["cluster"]["context"] == "kind-test"
    again = scan(cluster, tmp_path, "--output-dir", str(out))
    assert again.exit_code == 2 and "--force" in again.stderr
