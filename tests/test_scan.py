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
    written = "".join(p.read_text() for p in out.rglob("*") if p.is_file()) + result.stdout + result.stderr
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
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "cluster.yaml", "kong-proxy/helm-values.yaml", "kong-proxy/kong-env.txt", "kong-proxy/proxy-services.yaml",
        "namespace-kong.yaml", "namespace-shop.yaml", "report.json", "report.md", "report.txt"]
    assert result.stdout == ""
    assert "# Cluster scan" in (out / "report.md").read_text()
    assert json.loads((out / "report.json").read_text())["cluster"]["context"] == "kind-test"
    again = scan(cluster, tmp_path, "--output-dir", str(out))
    assert again.exit_code == 2 and "--force" in again.stderr


# -- Helm values for the planned Gateways --------------------------------------------------------------


def tcp_ingress(name: str, ns: str, port: int, service_name: str) -> dict[str, Any]:
    return {"apiVersion": "configuration.konghq.com/v1beta1", "kind": "TCPIngress", "metadata": {
        "name": name, "namespace": ns, "annotations": {"kubernetes.io/ingress.class": "kong"}},
        "spec": {"rules": [{"port": port, "backend": {"serviceName": service_name, "servicePort": 80}}]}}


def _helm_values_cli(gateways: Path, *flags: str) -> dict[str, str]:
    """`migrate helm-values` on the scan's own Gateway output: the reference the scan must match."""
    out = {}
    for fmt, name in (("values", "helm-values.yaml"), ("env", "kong-env.txt"), ("service", "proxy-services.yaml")):
        result = run_cli(["helm-values", str(gateways), "-o", fmt, *flags])
        assert result.exit_code == 0, result.stderr
        out[name] = result.stdout
    return out


def test_helm_values_are_what_helm_values_derives_from_the_scans_gateways(cluster: FakeCluster,
                                                                          tmp_path: Path) -> None:
    kong_proxy(cluster)
    load(cluster, [ingress("shop", "shop", "shop.example.com", "web", tls_secret="shop-tls"), service("web", "shop"),
                   secret("shop-tls", "shop"), tcp_ingress("pg", "data", 5432, "pg"), service("pg", "data")])
    out = tmp_path / "out"
    result = scan(cluster, tmp_path, "--output-dir", str(out))
    # The live proxy publishes only port 80: the HTTPS and TCP listeners need a human, and the values fix it.
    assert result.exit_code == 1
    report = (out / "report.txt").read_text()
    assert "listener tcp-5432 (5432/TCP): would not be programmed by the live Kong proxy" in report
    expected = _helm_values_cli(out / "namespace-kong.yaml", "--chart", "kong", "--release", "kong",
                                "--namespace", "kong")
    for name, text in expected.items():
        written = (out / "kong-proxy" / name).read_text()
        assert _body(written) == _body(text), name
        assert "(migrate scan, context kind-test)" in written.splitlines()[0]
    values = documents((out / "kong-proxy" / "helm-values.yaml").read_text())[0]
    assert values["proxy"]["tls"]["servicePort"] == 443
    assert values["proxy"]["stream"] == [{"containerPort": 5432, "servicePort": 5432, "protocol": "TCP"}]
    assert values["ingressController"]["env"]["feature_gates"] == "GatewayAlpha=true"
    assert "written to kong-proxy/helm-values.yaml, kong-proxy/kong-env.txt, kong-proxy/proxy-services.yaml" \
        in report
    assert "Service kong/kong-kong-proxy has app.kubernetes.io/name=kong" in report


def test_helm_values_are_printed_in_the_report_without_output_dir(cluster: FakeCluster, tmp_path: Path) -> None:
    load(cluster, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop")])
    result = scan(cluster, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert not any(d.get("proxy") for d in documents(result.stdout)), "values never mix with the manifests"
    assert "(not written: no --output-dir)" in result.stderr
    assert "  ==== kong-proxy/helm-values.yaml ====\n" in result.stderr
    assert "  - name: KONG_PROXY_LISTEN\n    value: 0.0.0.0:8000, [::]:8000\n" in result.stderr
    # No proxy Service found: the kong chart's defaults, and said so.
    assert "no Kong proxy Service found: defaults" in result.stderr
    as_json = json.loads(scan(cluster, tmp_path, "--report-format", "json").stderr)["helmValues"]
    assert (as_json["chart"], as_json["release"], as_json["namespace"]) == ("kong", "kong", "kong")
    assert sorted(as_json["files"]) == ["kong-proxy/helm-values.yaml", "kong-proxy/kong-env.txt",
                                        "kong-proxy/proxy-services.yaml"]
    assert as_json["files"]["kong-proxy/helm-values.yaml"] in result.stderr.replace("\n  ", "\n")


def test_umbrella_chart_is_detected_from_the_proxy_service(cluster: FakeCluster, tmp_path: Path) -> None:
    labels = {"app.kubernetes.io/name": "gateway", "app.kubernetes.io/instance": "edge"}
    cluster.add(k.SERVICES, service("edge-gateway-proxy", "ingress-system", labels, selector=labels,
                                    ports=[{"name": "kong-proxy", "port": 80, "targetPort": 8000}]))
    load(cluster, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop")])
    out = tmp_path / "out"
    result = scan(cluster, tmp_path, "--proxy-service", "ingress-system/edge-gateway-proxy", "--output-dir", str(out))
    expected = _helm_values_cli(out / "namespace-kong.yaml", "--chart", "ingress", "--release", "edge",
                                "--namespace", "ingress-system")
    for name, text in expected.items():
        assert _body((out / "kong-proxy" / name).read_text()) == _body(text), name
    assert "value: ingress-system/edge-gateway-proxy" in (out / "kong-proxy" / "kong-env.txt").read_text()
    values = documents((out / "kong-proxy" / "helm-values.yaml").read_text())[0]
    assert list(values) == ["gateway"]
    assert "Service ingress-system/edge-gateway-proxy has app.kubernetes.io/name=gateway" in \
        (out / "report.txt").read_text()
    assert result.exit_code == 0, result.stderr
    forced = scan(cluster, tmp_path, "--proxy-service", "ingress-system/edge-gateway-proxy", "--chart", "kong",
                  "--report-format", "json")
    helm = json.loads(forced.stderr)["helmValues"]
    assert (helm["chart"], helm["release"], helm["detectedFrom"]) == ("kong", "edge", "--chart kong")
    assert documents(helm["files"]["kong-proxy/helm-values.yaml"])[0]["proxy"]["http"]["servicePort"] == 80


def test_umbrella_chart_proxy_is_found_without_the_flag(cluster: FakeCluster, tmp_path: Path) -> None:
    labels = {"app.kubernetes.io/name": "gateway", "app.kubernetes.io/instance": "edge"}
    other = {"app.kubernetes.io/name": "gateway", "app.kubernetes.io/instance": "api"}
    cluster.add(k.SERVICES, service("api-proxy", "apps", other, selector=other,
                                    ports=[{"name": "http", "port": 80, "targetPort": 8080}]))
    cluster.add(k.SERVICES, service("edge-gateway-proxy", "ingress-system", labels, selector=labels,
                                    ports=[{"name": "kong-proxy", "port": 80, "targetPort": 8000}]))
    load(cluster, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop")])
    result = scan(cluster, tmp_path)
    assert "kong proxy: Service ingress-system/edge-gateway-proxy" in result.stderr
    assert "apps/api-proxy" not in result.stderr
    selectors = [r.query.get("labelSelector") for r in cluster.requests("/services")]
    assert selectors.index("app.kubernetes.io/name=kong") < selectors.index("app.kubernetes.io/name=gateway")


def test_inexpressible_listeners_are_reported_and_no_values_written(cluster: FakeCluster, tmp_path: Path) -> None:
    # A TCPIngress on 8444 needs a TCP listener on the port the chart gives the admin API.
    load(cluster, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop"),
                   tcp_ingress("admin", "ops", 8444, "admin"), service("admin", "ops")])
    out = tmp_path / "out"
    result = scan(cluster, tmp_path, "--output-dir", str(out))
    assert result.exit_code == 1
    assert not (out / "kong-proxy").exists()
    report = json.loads((out / "report.json").read_text())
    assert report["helmValues"]["files"] == {}
    levels = {(n["subject"], n["level"]) for n in report["readiness"]}
    assert ("Helm values: Gateway kong/kong listener 'tcp-8444' (TCP 8444)", "needs-human") in levels
    assert ("Helm values", "needs-human") in levels
    text = (out / "report.txt").read_text()
    assert "which the Kong pod already binds for the admin API (HTTPS listen)" in text
    assert "the kong chart cannot express these listeners (1 error(s) above): no Helm values written" in text
    assert "Kong proxy Helm values for" not in text
    # helm-values refuses the same Gateways.
    refused = run_cli(["helm-values", str(out / "namespace-kong.yaml")])
    assert refused.exit_code == 1 and refused.stdout == ""
    inline = scan(cluster, tmp_path)
    assert "==== kong-proxy/helm-values.yaml" not in inline.stderr


# -- scan --verify ------------------------------------------------------------------------------------------


def test_verify_clean_scan(cluster: FakeCluster, tmp_path: Path) -> None:
    load(cluster, [ingress("shop", "shop", "shop.example.com", "web", tls_secret="shop-tls"), service("web", "shop"),
                   secret("shop-tls", "shop")])
    result = scan(cluster, tmp_path, "--verify", "--report-format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stderr)
    routing = [n for n in report["readiness"] if n["subject"] == "routing"]
    assert len(routing) == 1 and routing[0]["level"] == "info"
    assert routing[0]["message"].startswith("verify (traditional router, after side on KIC ")
    assert " 0 different: every probe request is routed as Kong routes it now" in routing[0]["message"]
    plain = json.loads(scan(cluster, tmp_path, "--report-format", "json").stderr)
    assert not [n for n in plain["readiness"] if n["subject"] == "routing"], "verify runs only when asked"


def test_verify_reports_routing_differences(cluster: FakeCluster, tmp_path: Path) -> None:
    # A golden case whose conversion differs from Kong on purpose (its accepted-differences.txt says why):
    # without the RewriteURIs gate Kong's controller dropped the Ingress's service, the conversion routes it.
    case = GOLDEN / "convert" / "ann-rewrite-static"
    if not (case / "input.yaml").is_file():
        pytest.skip("golden case ann-rewrite-static is not present")
    load(cluster, documents((case / "input.yaml").read_text()))
    assert scan(cluster, tmp_path).exit_code == 0, "without --verify the scan is clean"
    result = scan(cluster, tmp_path, "--verify")
    assert result.exit_code == 1
    assert "  needs-human routing: verify (traditional router, after side on KIC " in result.stderr
    assert "some requests would be routed differently than Kong routes them now" in result.stderr
    accepted = [line.split(" -- ")[0] for line in (case / "accepted-differences.txt").read_text().splitlines()
                if line and not line.startswith("#")]
    listed = [line for line in result.stderr.splitlines() if line.strip().startswith("unconverted routing: ")]
    assert sorted(line.split("routing: ")[1].split(": before ")[0] for line in listed) == sorted(accepted)
    # The same differences convert --verify reports on a dump of the same objects.
    dump = tmp_path / "dump.yaml"
    dump.write_text((case / "input.yaml").read_text())
    converted = run_cli(["convert", str(dump), "--verify"])
    assert [line for line in converted.stderr.splitlines() if "unconverted routing: " in line] == listed


def test_verify_routes_through_the_reused_gateway(cluster: FakeCluster, tmp_path: Path) -> None:
    load(cluster, [ingress("a", "shop", "a.example.com", "web"), service("web", "shop")])
    admits_all = {"namespaces": {"from": "All"}}
    cluster.add(BY_KIND["Gateway"], _gateway("edge", "infra", [
        {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": admits_all}]))
    good = scan(cluster, tmp_path, "--gateway", "infra/edge", "--verify")
    assert good.exit_code == 0, good.stderr
    assert "6 probes, 6 identical, 0 different: every probe request is routed as Kong routes it now" in good.stderr
    assert "Gateways: infra/edge" in good.stderr, "the Helm values are derived from the reused Gateway"

    # Same port, another listener name: the routes' sectionName finds nothing and every request is a 404.
    cluster.add(BY_KIND["Gateway"], _gateway("edge", "infra", [
        {"name": "web", "port": 80, "protocol": "HTTP", "allowedRoutes": admits_all}]))
    bad = scan(cluster, tmp_path, "--gateway", "infra/edge", "--verify")
    assert bad.exit_code == 1
    assert "listener for port 80 HTTP (any host) is named 'web'; the routes refer to it as sectionName 'http'" \
        in bad.stderr
    assert "unconverted routing: http GET a.example.com/: before backend shop/web:80" in bad.stderr
    assert "after status 404 (no route matches)" in bad.stderr


# -- ingress classes: the cluster default -------------------------------------------------------------------

def _classless(name: str, ns: str, host: str) -> dict[str, Any]:
    obj = ingress(name, ns, host, "web")
    del obj["spec"]["ingressClassName"]
    obj["metadata"]["annotations"] = {"konghq.com/strip-path": "true"}
    return obj


def test_scan_learns_the_default_class_from_the_clusters_ingressclasses(cluster: FakeCluster,
                                                                         tmp_path: Path) -> None:
    load(cluster, [_classless("a", "shop", "a.example.com"), service("web", "shop"),
                   {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                    "metadata": {"name": "kong", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
                    "spec": {"controller": "ingress-controllers.konghq.com/kong"}}])
    result = scan(cluster, tmp_path, "--verify")
    routes = [d for d in documents(result.stdout) if d["kind"] == "HTTPRoute"]
    assert [r["spec"]["hostnames"] for r in routes] == [["a.example.com"]]
    assert "1 object(s) without an ingress class are Kong's: Kong's IngressClass is the cluster default " \
           "(IngressClass kong)" in result.stderr
    assert "0 different" in result.stderr, result.stderr


def test_scan_default_ingress_class_flag(cluster: FakeCluster, tmp_path: Path) -> None:
    load(cluster, [_classless("a", "shop", "a.example.com"), service("web", "shop")])
    without = scan(cluster, tmp_path)
    assert not [d for d in documents(without.stdout) if d["kind"] == "HTTPRoute"]
    assert "no IngressClass of Kong's is marked as the cluster default" in without.stderr
    assert "pass --default-ingress-class NAME" in without.stderr
    assert without.exit_code == 1  # Kong-looking objects, nothing converted
    result = scan(cluster, tmp_path, "--default-ingress-class", "kong", "--verify")
    routes = [d for d in documents(result.stdout) if d["kind"] == "HTTPRoute"]
    assert [r["spec"]["hostnames"] for r in routes] == [["a.example.com"]]
    assert "(--default-ingress-class kong)" in result.stderr
    assert "0 different" in result.stderr, result.stderr
    assert result.exit_code == 0, result.stderr
