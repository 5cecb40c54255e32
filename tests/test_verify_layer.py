"""The verify layer around the two models: the clusters it builds (migrate/verify/cluster.py), the API-server
view of objects (migrate/verify/defaults.py), and the CLI options that pick eras and write Kong configurations."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from migrate.verify import VerifyOptions, verify
from migrate.verify.cluster import KIC_GATEWAY_CONTROLLER, after_cluster, assumed_objects
from migrate.verify.defaults import ingress_as_served, with_api_server_defaults
from migrate.yamlio import dump_yaml_documents, load_yaml_stream
from tests.support import run_cli
from tests.verify_support import backend, docs, http_route, ingress, kong, prefix, req, rule

H = "app.example.com"


def service(name: str, ns: str = "apps", **annotations: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns,
                                                                "annotations": dict(annotations)},
            "spec": {"ports": [{"name": "http", "port": 8080, "targetPort": 8080}]}}


def v1beta1_ingress(name: str, port: Any, *, path_type: str | None = None) -> dict[str, Any]:
    path: dict[str, Any] = {"path": "/foo", "backend": {"serviceName": "svc", "servicePort": port}}
    if path_type:
        path["pathType"] = path_type
    return {"apiVersion": "extensions/v1beta1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "apps", "annotations": {"kubernetes.io/ingress.class": "kong"}},
            "spec": {"backend": {"serviceName": "fallback", "servicePort": 80},
                     "rules": [{"host": H, "http": {"paths": [path]}}]}}


def gateway_with_tls(*refs: dict[str, Any], class_name: str = "kong") -> dict[str, Any]:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "kong", "namespace": "kong"},
            "spec": {"gatewayClassName": class_name, "listeners": [
                {"name": f"https-{i}", "protocol": "HTTPS", "port": 443, "tls": {"certificateRefs": [ref]}}
                for i, ref in enumerate(refs)]}}


# ---------------------------------------------------------------------------------------------------
# cluster.assumed_objects


def test_assumed_services_carry_every_referenced_port_and_only_for_missing_services() -> None:
    route = http_route("r", [rule("web", prefix("/")),
                             {"backendRefs": [{"name": "remote", "namespace": "other", "port": 9000}]}])
    route["spec"]["rules"][0]["backendRefs"][0]["port"] = 8443
    tcp = {"apiVersion": "configuration.konghq.com/v1beta1", "kind": "TCPIngress",
           "metadata": {"name": "t", "namespace": "apps"},
           "spec": {"rules": [{"port": 9000, "backend": {"serviceName": "db", "servicePort": 5432}}]}}
    objects = [ingress("i", H, [("/", "Prefix", "web"), ("/p", "Prefix", "present")]), route, tcp,
               v1beta1_ingress("old", "8081"), service("present")]
    out = assumed_objects(objects)
    services = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in out.objects if o["kind"] == "Service"}
    assert set(services) == {("apps", "web"), ("other", "remote"), ("apps", "db"), ("apps", "svc"),
                             ("apps", "fallback")}
    assert [p["port"] for p in services[("apps", "web")]["spec"]["ports"]] == [80, 8443]
    assert services[("apps", "svc")]["spec"]["ports"] == [{"name": "port-8081", "port": 8081, "targetPort": 8081,
                                                           "protocol": "TCP"}]
    assert out.notes[0].startswith("assumed 5 Service(s) missing from the input")


def test_a_missing_service_referenced_by_port_name_is_not_assumed_but_noted() -> None:
    named = ingress("i", H, [("/", "Prefix", "web")])
    named["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] = {"name": "http"}
    out = assumed_objects([named])
    assert out.objects == []
    assert out.notes == ["Service apps/web is not in the input and is referenced by port name 'http': neither side "
                         "can route to it (add the Service to the input)"]


def test_assumed_tls_secrets_for_ingresses_and_gateway_listeners() -> None:
    present = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "have", "namespace": "kong"}}
    objects = [ingress("i", H, [("/", "Prefix", "web")], tls=[H]),
               gateway_with_tls({"name": "gw-cert"}, {"name": "shared", "namespace": "certs"}, {"name": "have"},
                                {"name": "not-a-secret", "kind": "ConfigMap"}),
               present]
    out = assumed_objects(objects)
    secrets = sorted((o["metadata"]["namespace"], o["metadata"]["name"]) for o in out.objects if o["kind"] == "Secret")
    assert secrets == [("apps", "i-tls"), ("certs", "shared"), ("kong", "gw-cert")]
    assert all(o["type"] == "kubernetes.io/tls" for o in out.objects if o["kind"] == "Secret")
    assert "assumed 3 TLS Secret(s) missing from the input: apps/i-tls, certs/shared, kong/gw-cert" in out.notes


def test_assumed_gateway_class_is_run_by_kic_unless_the_input_has_it() -> None:
    out = assumed_objects([gateway_with_tls(class_name="kong"), gateway_with_tls(class_name="other")])
    classes = {o["metadata"]["name"]: o["spec"]["controllerName"] for o in out.objects if o["kind"] == "GatewayClass"}
    assert classes == {"kong": KIC_GATEWAY_CONTROLLER, "other": KIC_GATEWAY_CONTROLLER}
    foreign = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass", "metadata": {"name": "other"},
               "spec": {"controllerName": "example.com/not-kong"}}
    out = assumed_objects([gateway_with_tls(class_name="other"), foreign])
    assert [o for o in out.objects if o["kind"] == "GatewayClass"] == []


# ---------------------------------------------------------------------------------------------------
# cluster.after_cluster


def test_after_cluster_replaces_ingress_kinds_and_keeps_the_rest() -> None:
    plugin = {"apiVersion": "configuration.konghq.com/v1", "kind": "KongPlugin",
              "metadata": {"name": "p", "namespace": "apps"}, "plugin": "cors"}
    tcp = {"apiVersion": "configuration.konghq.com/v1beta1", "kind": "TCPIngress", "metadata": {"name": "t"}}
    udp = {"apiVersion": "configuration.konghq.com/v1beta1", "kind": "UDPIngress", "metadata": {"name": "u"}}
    before = docs(ingress("i", H, [("/", "Prefix", "web")]), tcp, udp, plugin, service("web"))
    route = http_route("r", [rule("web", prefix("/"))])
    out = after_cluster(before, [route])
    assert [(d.obj["kind"], d.ref.file) for d in out] == [("KongPlugin", "test.yaml"), ("Service", "test.yaml"),
                                                          ("HTTPRoute", "<after>")]


def test_after_cluster_merges_service_patches_into_the_services_they_name() -> None:
    web = service("web", **{"konghq.com/path": "/v1", "konghq.com/protocol": "http"})
    patch = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "apps", "annotations": {
        "konghq.com/plugins": "auth", "konghq.com/protocol": None}}}
    stray = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "gone", "namespace": "apps",
                                                                 "annotations": {"x": "y"}}}
    original = copy.deepcopy(web)
    out = after_cluster(docs(web), [patch, stray])
    assert [d.obj["metadata"]["name"] for d in out] == ["web"]  # a patch is never an object of its own
    merged = out[0].obj
    assert merged["metadata"]["annotations"] == {"konghq.com/path": "/v1", "konghq.com/plugins": "auth"}
    assert merged["spec"] == web["spec"] and web == original  # the input is not modified


def test_after_cluster_applies_api_server_defaults_to_the_emitted_objects() -> None:
    route = http_route("r", [{"backendRefs": [{"name": "web", "port": 80}]}])
    [doc] = after_cluster([], [route])
    [r] = doc.obj["spec"]["rules"]
    assert r["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    assert r["backendRefs"] == [{"name": "web", "port": 80, "group": "", "kind": "Service", "weight": 1}]
    assert "matches" not in route["spec"]["rules"][0]


# ---------------------------------------------------------------------------------------------------
# defaults


def test_gateway_api_defaults_of_routes() -> None:
    route = http_route("r", [{"matches": [{"path": {"value": "/a"}, "headers": [{"name": "x", "value": "1"}],
                                           "queryParams": [{"name": "q", "value": "2", "type": "RegularExpression"}]},
                                          {"method": "GET"}],
                              "backendRefs": [{"name": "web", "port": 80, "weight": 0}]}])
    out = with_api_server_defaults(route)
    assert out["spec"]["parentRefs"][0]["group"] == "gateway.networking.k8s.io"
    assert out["spec"]["parentRefs"][0]["kind"] == "Gateway"
    first, second = out["spec"]["rules"][0]["matches"]
    assert first["path"] == {"type": "PathPrefix", "value": "/a"}
    assert first["headers"][0]["type"] == "Exact"
    assert first["queryParams"][0]["type"] == "RegularExpression"  # given values stay
    assert second == {"method": "GET", "path": {"type": "PathPrefix", "value": "/"}}
    assert out["spec"]["rules"][0]["backendRefs"][0]["weight"] == 0
    grpc = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute", "metadata": {"name": "g"},
            "spec": {"rules": [{"matches": [{"method": {"service": "pkg.Svc"}, "headers": [{"name": "a", "value": "b"}]}],
                                "backendRefs": [{"name": "grpc", "port": 9000}]}]}}
    g = with_api_server_defaults(grpc)["spec"]["rules"][0]
    assert g["matches"][0]["method"]["type"] == "Exact" and g["matches"][0]["headers"][0]["type"] == "Exact"
    assert "matches" in g and g["backendRefs"][0]["kind"] == "Service"


def test_gateway_api_defaults_of_gateways_and_untouched_objects() -> None:
    gw = gateway_with_tls({"name": "cert"})
    gw["spec"]["listeners"].append({"name": "http", "protocol": "HTTP", "port": 80,
                                    "allowedRoutes": {"namespaces": {"from": "All"}}})
    out = with_api_server_defaults(gw)
    https, http = out["spec"]["listeners"]
    assert https["allowedRoutes"] == {"namespaces": {"from": "Same"}}
    assert https["tls"] == {"mode": "Terminate", "certificateRefs": [{"name": "cert", "group": "", "kind": "Secret"}]}
    assert http["allowedRoutes"] == {"namespaces": {"from": "All"}}
    assert "allowedRoutes" not in gw["spec"]["listeners"][0]  # a copy
    for other in (service("web"), ingress("i", H, [("/", "Prefix", "web")]),
                  {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant", "spec": {}},
                  {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute"}):
        assert with_api_server_defaults(other) is other


def test_v1beta1_ingress_as_served_in_v1() -> None:
    old = v1beta1_ingress("old", "8081")
    original = copy.deepcopy(old)
    served = ingress_as_served(old)
    assert old == original
    assert served["apiVersion"] == "networking.k8s.io/v1"
    assert served["spec"]["defaultBackend"] == {"service": {"name": "fallback", "port": {"number": 80}}}
    assert "backend" not in served["spec"]
    [path] = served["spec"]["rules"][0]["http"]["paths"]
    assert path == {"path": "/foo", "pathType": "ImplementationSpecific",
                    "backend": {"service": {"name": "svc", "port": {"number": 8081}}}}
    named = ingress_as_served(v1beta1_ingress("named", "http", path_type="Exact"))
    [path] = named["spec"]["rules"][0]["http"]["paths"]
    assert path["pathType"] == "Exact" and path["backend"] == {"service": {"name": "svc", "port": {"name": "http"}}}
    v1 = ingress("i", H, [("/", "Prefix", "web")])
    assert ingress_as_served(v1) is v1


def test_a_v1beta1_ingress_routes_on_the_before_side() -> None:
    # KIC 3 reads Ingresses in v1 only; the API server serves a v1beta1 object converted (pathType defaults to
    # ImplementationSpecific, a plain Kong prefix)
    t = kong(v1beta1_ingress("old", 8081))
    assert [backend(t.route(req(H, p))) for p in ("/foo", "/foox", "/other")] == ["svc", "svc", "fallback"]


# ---------------------------------------------------------------------------------------------------
# CLI: --kong-config, --kic-version, rejected after configurations

ERA_OLD = "KIC 3.4.0-3.4.13/3.5.0-3.5.6"
ERA_NEW = "KIC 3.4.14+/3.5.7+"


def https_only_estate() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An HTTPS-only Ingress and an HTTPRoute bound to the HTTPS listener only, without konghq.com/protocols:
    right from KIC 3.5.7 on (listener protocols), wrong before (Kong's default http, https)."""
    before = [ingress("secure", H, [("/", "Prefix", "web")], tls=[H], annotations={"konghq.com/protocols": "https"})]
    gw = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
          "metadata": {"name": "kong", "namespace": "apps"},
          "spec": {"gatewayClassName": "kong", "listeners": [
              {"name": "http", "protocol": "HTTP", "port": 80},
              {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": H,
               "tls": {"certificateRefs": [{"name": "secure-tls"}]}}]}}
    route = http_route("secure", [rule("web", prefix("/"))], hostnames=[H], sections=("https",))
    for ref in route["spec"]["parentRefs"]:
        ref["namespace"] = "apps"
    return before, [gw, route]


@pytest.fixture()
def https_only_files(tmp_path: Path) -> tuple[Path, Path]:
    before, after = https_only_estate()
    b, a = tmp_path / "before.yaml", tmp_path / "after.yaml"
    b.write_text(dump_yaml_documents(before, ""))
    a.write_text(dump_yaml_documents(after, ""))
    return b, a


def test_verify_checks_both_eras_by_default_and_one_with_kic_version(https_only_files: tuple[Path, Path]) -> None:
    before, after = https_only_files
    both = run_cli(["verify", "--before", str(before), "--after", str(after), "-o", "json"])
    data = json.loads(both.stdout)
    assert both.exit_code == 1 and data["kicVersions"] == [ERA_OLD, ERA_NEW]
    assert {tuple(d["kicVersions"]) for d in data["differences"]} == {(ERA_OLD,)}
    new = run_cli(["verify", "--before", str(before), "--after", str(after), "--kic-version", "3.5.7"])
    assert new.exit_code == 0, new.stdout
    assert new.stdout.startswith("verify (traditional router, after side on KIC 3.5.7): ")
    old = run_cli(["verify", "--before", str(before), "--after", str(after), "--kic-version", "3.5.2", "-o", "json"])
    assert old.exit_code == 1 and json.loads(old.stdout)["kicVersions"] == ["KIC 3.5.2"]
    assert run_cli(["verify", "--before", str(before), "--after", str(after), "--kic-version", "x"]).exit_code == 2


def test_verify_options_pick_the_eras() -> None:
    before, after = https_only_estate()
    assert verify(docs(*before), after).eras == (ERA_OLD, ERA_NEW)
    assert verify(docs(*before), after, VerifyOptions(target_kic=(3, 4, 14))).eras == ("KIC 3.4.14",)
    assert verify(docs(*before), after, VerifyOptions(target_kic=(3, 4, 14))).exit_code() == 0


def test_kong_config_writes_decks_of_every_side_and_refuses_to_overwrite(https_only_files: tuple[Path, Path],
                                                                         tmp_path: Path) -> None:
    before, after = https_only_files
    out_dir = tmp_path / "kong"
    args = ["verify", "--before", str(before), "--after", str(after), "--kong-config", str(out_dir)]
    assert run_cli(args).exit_code == 1  # the differences still decide the exit code
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["after-kic-3.4.0-3.4.13-3.5.0-3.5.6.yaml", "after-kic-3.4.14-3.5.7.yaml", "before.yaml"]
    text = (out_dir / "before.yaml").read_text()
    assert text.startswith("# The Kong configuration Kong's ingress controller builds for the before side")
    [deck] = load_yaml_stream(text)
    assert deck["_format_version"] == "3.0"
    [svc] = deck["services"]
    assert svc["name"] == "apps.web.80" and svc["routes"][0]["protocols"] == ["https"]
    assert [c["snis"] for c in deck["certificates"]] == [[{"name": H}]]
    [new_deck] = load_yaml_stream((out_dir / "after-kic-3.4.14-3.5.7.yaml").read_text())
    assert new_deck["services"][0]["routes"][0]["protocols"] == ["https"]
    [old_deck] = load_yaml_stream((out_dir / "after-kic-3.4.0-3.4.13-3.5.0-3.5.6.yaml").read_text())
    assert old_deck["services"][0]["routes"][0]["protocols"] == ["http", "https"]  # Kong's default

    (out_dir / "before.yaml").write_text("mine\n")
    refused = run_cli(args)
    assert refused.exit_code == 2 and "refusing to overwrite" in refused.stderr and "--force" in refused.stderr
    assert (out_dir / "before.yaml").read_text() == "mine\n"
    assert run_cli([*args, "--force"]).exit_code == 1
    assert (out_dir / "before.yaml").read_text() == text

    one = tmp_path / "one"
    assert run_cli([*args[:-1], str(one), "--kic-version", "3.5.7"]).exit_code == 0
    assert sorted(p.name for p in one.iterdir()) == ["after-kic-3.5.7.yaml", "before.yaml"]


def test_an_after_configuration_kong_rejects_fails_verify(tmp_path: Path) -> None:
    # KIC gives an HTTPRoute RequestRedirect without hostname a relative `redirect` plugin location on Kong 3.9
    # (subtranslator/httproute.go generateRequestRedirectUsingRedirectKongPlugin); Kong refuses the configuration.
    before, (gw, route) = https_only_estate()
    route["spec"]["rules"][0] = {"matches": [prefix("/")], "filters": [
        {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
    result = verify(docs(*before), [gw, route], VerifyOptions(target_kic=(3, 5, 7)))
    assert result.exit_code() == 1
    assert result.rejected == ["after (KIC 3.5.7): plugin redirect on route httproute.apps.secure.0.0: config.location '/' "
                               "must be an absolute http(s) URL; Kong rejects the whole configuration (one invalid "
                               "entity fails the sync)"]
    b, a = tmp_path / "before.yaml", tmp_path / "after.yaml"
    b.write_text(dump_yaml_documents(before, ""))
    a.write_text(dump_yaml_documents([gw, route], ""))
    cli = run_cli(["verify", "--before", str(b), "--after", str(a), "--kic-version", "3.5.7"])
    assert cli.exit_code == 1
    assert "REJECTED after (KIC 3.5.7): plugin redirect on route httproute.apps.secure.0.0: config.location '/'" in cli.stdout
    assert cli.stdout.endswith("result: Kong would reject the converted configuration (see REJECTED above)\n")


def test_a_before_configuration_kong_rejects_is_a_failure_that_can_be_accepted(tmp_path: Path) -> None:
    # snis with protocols http: Kong's route schema rejects today's route; verify says so and exits 1
    before = tmp_path / "before.yaml"
    before.write_text(dump_yaml_documents([ingress("sni", "a.example.com", [("/", "Prefix", "web")], annotations={
        "konghq.com/snis": "a.example.com", "konghq.com/protocols": "http"})], ""))
    after = tmp_path / "after.yaml"
    after.write_text(dump_yaml_documents([{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                                           "metadata": {"name": "kong"},
                                           "spec": {"controllerName": KIC_GATEWAY_CONTROLLER}}], ""))
    out = run_cli(["verify", "--before", str(before), "--after", str(after)])
    assert out.exit_code == 1
    [line] = [x for x in out.stdout.splitlines() if x.startswith("REJECTED before: route ")]
    assert "'snis' can only be set when 'protocols' is" in line
    accept = tmp_path / "accept.txt"
    accept.write_text(f"{line} -- the route never loaded\n")
    accepted = run_cli(["verify", "--before", str(before), "--after", str(after), "--accept", str(accept)])
    assert "ACCEPTED REJECTED before: route" in accepted.stdout
    assert "REJECTED before" not in accepted.stdout.replace("ACCEPTED REJECTED before", "")


def test_verify_reads_a_plan_directory_with_its_service_patches(tmp_path: Path) -> None:
    # convert's service-patches.yaml removes annotations with null: the loader takes it as a merge patch
    case = Path(__file__).resolve().parent.parent / "golden" / "convert" / "kongingress-shared-json" / "input.yaml"
    plan = tmp_path / "plan"
    assert run_cli(["convert", str(case), "--output-dir", str(plan)]).exit_code in (0, 1)
    assert (plan / "service-patches.yaml").is_file()
    result = run_cli(["verify", "--before", str(case), "--after", str(plan)])
    assert result.exit_code == 0, result.stdout + result.stderr
