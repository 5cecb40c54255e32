"""Regression tests for what `convert` then `verify` found on the shared samples and on random estates
(tests/test_samples_verify.py, tests/test_properties_verify.py): each conversion now routes as Kong did, or its
report says why not (warning/unconverted/error on the object responsible), and the models say what KIC and Kong do.
"""

from __future__ import annotations

from typing import Any

import pytest

from migrate import yamlio
from migrate.convert.options import ConvertOptions, RouterFlavor
from migrate.convert.paths import PathMatch, convert_path
from migrate.convert.pipeline import run_convert
from migrate.kong.config import Certificate, KongConfig, Route, Service
from migrate.kong.router import KongRouter
from migrate.loader import LoadResult, SourceDoc, parse_text
from migrate.report import Report, Status
from migrate.verify import VerifyOptions, VerifyResult, verify
from migrate.verify.outcome import NO_TLS, Request
from tests.test_properties_verify import options_for_verify

T, TC, E = RouterFlavor.TRADITIONAL, RouterFlavor.TRADITIONAL_COMPATIBLE, RouterFlavor.EXPRESSIONS


def ingress(name: str, ns: str = "shop", *, paths: list[tuple[str, str, str, Any]] | None = None, host: str = "",
            annotations: dict[str, str] | None = None, tls: list[dict[str, Any]] | None = None,
            default: tuple[str, Any] | None = None, created: str | None = None) -> dict[str, Any]:
    """An Ingress with one rule; paths are (path, pathType, service, port number or name)."""
    def backend(service: str, port: Any) -> dict[str, Any]:
        return {"service": {"name": service, "port": {"number": port} if isinstance(port, int) else {"name": port}}}

    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if annotations:
        meta["annotations"] = annotations
    if created:
        meta["creationTimestamp"] = created
    spec: dict[str, Any] = {"ingressClassName": "kong"}
    if paths:
        rule: dict[str, Any] = {"http": {"paths": [{"path": p, "pathType": t, "backend": backend(s, port)}
                                                   for p, t, s, port in paths]}}
        if host:
            rule["host"] = host
        spec["rules"] = [rule]
    if tls:
        spec["tls"] = tls
    if default:
        spec["defaultBackend"] = backend(*default)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def run(objects: list[dict[str, Any]], **options: Any) -> tuple[list[dict[str, Any]], Report, VerifyResult]:
    """convert (through the loader) and verify its output as `convert --verify` does."""
    loaded = LoadResult()
    parse_text(yamlio.dump_yaml_documents(objects), "input.yaml", loaded)
    opts = ConvertOptions(**options)
    report = Report()
    result = run_convert(loaded.docs, opts, report)
    out = result.objects + result.patches
    return out, report, verify(loaded.docs, out, options_for_verify(opts))


def entries(report: Report, status: Status, subject: str = "") -> list[str]:
    return [e.message for e in report.entries if e.status == status and subject in e.subject]


def routes(out: list[dict[str, Any]], kind: str = "HTTPRoute") -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in out if o["kind"] == kind}


# --- routing conflicts -----------------------------------------------------------------------------------------

def test_one_ingress_with_the_same_path_to_two_backends_is_a_routing_conflict() -> None:
    _, report, result = run([ingress("web", paths=[("/", "Prefix", "web", 80), ("/", "Prefix", "api", 80)])])
    assert any("several paths of this Ingress" in m for m in entries(report, Status.WARNING, "routing conflict"))
    assert result.probes  # (Kong's tie-break may or may not differ; the report says it can)


def test_same_service_name_in_two_namespaces_is_two_backends() -> None:
    objects = [ingress("web", "shop", paths=[("/", "Prefix", "web", 80)]),
               ingress("web", "billing", paths=[("/", "Prefix", "web", 80)], created="2024-01-01T00:00:00Z")]
    _, report, _ = run(objects)
    warned = {e.source.namespace for e in report.entries if e.subject == "routing conflict"}
    assert warned == {"shop", "billing"}


@pytest.mark.parametrize("flavor", [T, TC, E])
@pytest.mark.parametrize("value", ["/", "/api"])
def test_exact_and_prefix_of_one_value_to_two_backends_warn(flavor: RouterFlavor, value: str) -> None:
    # KIC: Exact v and Prefix v share the regex path ~v$ (traditional), or the Ingress's Prefix ranks at least as
    # high as its Exact (expressions), while an HTTPRoute's Exact wins: the backend for exactly v may change
    objects = [ingress("web", paths=[(value, "Prefix", "web", 80), (value, "Exact", "web", 8080)])]
    _, report, result = run(objects, router_flavor=flavor)
    assert any(f"the exact path {value} and the prefix {value}" in m
               for m in entries(report, Status.WARNING, "routing conflict"))
    assert {d.request.path for d in result.differences} <= {value}  # only exactly v may change


# --- Kong service names shared by an Ingress and a TCPIngress ----------------------------------------------------

def test_an_ingress_backend_hidden_by_a_tcpingress_on_the_same_service_port_is_reported() -> None:
    # KIC names both Kong services default.service.80 and keeps the TCPIngress's (mergeIngressRules)
    tcp = {"apiVersion": "configuration.konghq.com/v1beta1", "kind": "TCPIngress",
           "metadata": {"name": "tcp", "namespace": "shop", "annotations": {"kubernetes.io/ingress.class": "kong"}},
           "spec": {"rules": [{"port": 9000, "backend": {"serviceName": "svc", "servicePort": 80}}]}}
    objects = [ingress("web", host="a.example.com", paths=[("/x", "Exact", "svc", 80)]), tcp]
    _, report, result = run(objects)
    warnings = entries(report, Status.WARNING, "spec.rules[0].http.paths[0]")
    assert any("TCPIngress/shop/tcp" in m and "'shop.svc.80'" in m for m in warnings)
    assert [d.request.describe() for d in result.differences] == ["http GET a.example.com/x"]
    assert result.differences[0].before.status == 404
    # a named port makes another Kong service name: no collision, no warning
    _, report, result = run([ingress("web", host="a.example.com", paths=[("/x", "Exact", "svc", "http")]), tcp,
                             {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc", "namespace": "shop"},
                              "spec": {"ports": [{"name": "http", "port": 80}]}}])
    assert not entries(report, Status.WARNING, "spec.rules[0].http.paths[0]") and not result.differences


# --- KongIngress route section with the expressions router (KIC 2.x) -------------------------------------------

def test_kic2_ignores_the_kongingress_route_section_with_the_expressions_router() -> None:
    # kongstate/route.go (v2.12) overrideByKongIngress: "disable overriding routes by KongIngress if expression
    # routes is enabled"
    ki = {"apiVersion": "configuration.konghq.com/v1", "kind": "KongIngress",
          "metadata": {"name": "ki", "namespace": "shop"}, "route": {"methods": ["GET"], "strip_path": True}}
    objects = [ingress("web", paths=[("/foo", "Prefix", "web", 80)], annotations={"konghq.com/override": "ki"}), ki]
    out, report, result = run(objects, router_flavor=E, source_kic_major=2)
    assert any("expressions router" in m for m in entries(report, Status.IGNORED, "annotation konghq.com/override"))
    route = routes(out)["web"]
    assert "konghq.com/strip-path" not in route["metadata"].get("annotations", {})
    assert all("method" not in m for rule in route["spec"]["rules"] for m in rule["matches"])
    assert not result.differences
    out, _, result = run(objects, router_flavor=T, source_kic_major=2)  # traditional: applied, as before
    assert routes(out)["web"]["spec"]["rules"][0]["matches"][0]["method"] == "GET"
    assert not result.differences


# --- creationTimestamp ------------------------------------------------------------------------------------------

def test_an_ingress_without_creation_timestamp_counts_as_the_oldest() -> None:
    # KIC sorts by CreationTimestamp.Before: Go's zero time first (translate_ingress.go getDefaultBackendService)
    objects = [ingress("new", "shop", default=("web", 8080)),
               ingress("old", "billing", default=("web", 80), created="2024-01-01T00:00:00Z")]
    out, report, result = run(objects)
    assert set(routes(out)) == {"new-default-backend"}
    assert any("only the oldest" in m for m in entries(report, Status.IGNORED, "spec.defaultBackend"))
    assert not result.differences


# --- host-less HTTPS-only routes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("target", [None, (3, 5, 7)])
def test_a_hostless_https_only_route_also_attaches_to_the_http_listener(target: tuple[int, int, int] | None) -> None:
    # attached only to HTTPS listeners (with hostnames), KIC's route controller narrows its hosts to theirs
    # (route_utils.go filterHostnames), so plain HTTP to other hosts would get 404 instead of Kong's 426
    objects = [ingress("web", paths=[("/", "Prefix", "web", 80)], annotations={"konghq.com/protocols": "https"},
                       tls=[{"hosts": ["shop.example.com"], "secretName": "shop-tls"}])]
    out, _, result = run(objects, target_kic=target)
    route = routes(out)["web"]
    assert {p["sectionName"] for p in route["spec"]["parentRefs"]} == {"http", "https-shop-example-com"}
    assert route["metadata"]["annotations"]["konghq.com/protocols"] == "https"
    assert not result.differences
    assert result.probes


# --- the default backend's route ------------------------------------------------------------------------------

def test_host_aliases_restrict_the_default_backend_as_in_kong() -> None:
    # route.go overrideHosts appends the aliases to the catch-all route's (empty) hosts
    objects = [ingress("web", default=("web", 80), annotations={"konghq.com/host-aliases": "alias.example.com"})]
    out, _, result = run(objects)
    assert routes(out)["web-default-backend"]["spec"]["hostnames"] == ["alias.example.com"]
    assert not result.differences


def test_expressions_default_backend_ignores_the_matcher_annotations() -> None:
    # translate_ingress.go translateIngressDefaultBackendRoute: with expression routes a bare `http.path ^= "/"`
    objects = [ingress("web", default=("web", 80), annotations={
        "konghq.com/snis": "shop.example.com", "konghq.com/methods": "GET", "konghq.com/headers.x-tier": "gold",
        "konghq.com/host-aliases": "alias.example.com"})]
    out, report, result = run(objects, router_flavor=E)
    route = routes(out)["web-default-backend"]
    assert "konghq.com/snis" not in route["metadata"].get("annotations", {})
    assert not route["spec"].get("hostnames")
    assert route["spec"]["rules"][0]["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    assert any("bare catch-all" in m for m in entries(report, Status.IGNORED, "spec.defaultBackend"))
    assert not result.differences


# --- Exact and Prefix paths KIC turns into invalid regexes ---------------------------------------------------------

@pytest.mark.parametrize("path_type", ["Exact", "Prefix"])
def test_a_path_kic_turns_into_an_invalid_kong_regex_is_an_error(path_type: str) -> None:
    match, notes = convert_path("/a(", path_type, "/~")
    assert match is None and notes[0].status == Status.ERROR and "'~/a($'" in notes[0].message
    # the expressions router compares them as strings
    assert convert_path("/a(", path_type, "/~", kic_regex=False)[0] is not None
    assert convert_path("/a.b", path_type, "/~")[0] == PathMatch("Exact" if path_type == "Exact" else "PathPrefix",
                                                                 "/a.b")
    objects = [ingress("web", host="a.example.com", paths=[("/a(", path_type, "web", 80)])]
    _, report, result = run(objects, router_flavor=TC)
    assert entries(report, Status.ERROR, "spec.rules[0].http.paths[0]")
    assert not [r for r in result.rejected if r.startswith("after")]


# --- raw prefixes and Kong's route categories -------------------------------------------------------------------

@pytest.mark.parametrize("annotation", [{"konghq.com/methods": "GET"}, {"konghq.com/headers.x-tier": "gold"}])
def test_a_raw_prefix_leaves_longer_prefixes_only_to_routes_of_its_own_category(annotation: dict[str, str]) -> None:
    # Kong ranks routes with more matcher kinds first, whatever their path length: the raw prefix /api of an
    # Ingress with methods (or headers) took /api/x from a plain Prefix /api/ of another Ingress
    objects = [ingress("long", paths=[("/api", "ImplementationSpecific", "api", 80)], annotations=annotation),
               ingress("api", "billing", paths=[("/api/", "Prefix", "api", 80)])]
    out, _, result = run(objects)
    assert routes(out)["long"]["spec"]["rules"][0]["matches"][0]["path"]["value"] == "/api"  # no lookahead
    assert not result.differences
    same = [ingress("long", paths=[("/api", "ImplementationSpecific", "api", 80)]),
            ingress("api", "billing", paths=[("/api/", "Prefix", "api", 80)])]
    out, _, result = run(same)
    assert "(?!" in routes(out)["long"]["spec"]["rules"][0]["matches"][0]["path"]["value"]
    assert not result.differences


# --- port names that are all digits ------------------------------------------------------------------------------

def test_an_all_digit_port_name_is_looked_up_as_a_name() -> None:
    objects = [ingress("web", host="a.example.com", paths=[("/", "Prefix", "missing", "8080")])]
    _, report, _ = run(objects)
    assert any("named port '8080'" in m for m in entries(report, Status.ERROR))


# --- the models ----------------------------------------------------------------------------------------------------

def test_kong_names_the_route_a_failed_tls_handshake_would_have_reached() -> None:
    route = Route("r", paths=["/"], hosts=["a.example.com"], origin="Ingress/shop/web")
    config = KongConfig(services=[Service("s", "s.svc", routes=[route], backends=(("shop/web:80", 1),))],
                        certificates=[Certificate("shop/other", ["b.example.com"])])
    outcome = KongRouter(config, T).route(Request("https", "a.example.com", "/"))
    assert outcome.kind == NO_TLS and outcome.sources == ("Ingress/shop/web",)
    assert KongRouter(config, T).route(Request("https", "c.example.com", "/")).sources == ()


def test_verify_passes_input_gateway_api_routes_through_kic_route_controllers_on_both_sides() -> None:
    # an HTTPRoute of the input whose Gateway does not exist never reached Kong, before as after
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "orphan", "namespace": "shop"},
             "spec": {"parentRefs": [{"name": "missing-gateway"}],
                      "rules": [{"backendRefs": [{"name": "web", "port": 80}]}]}}
    before = [SourceDoc(route, None)]  # type: ignore[arg-type]
    result = verify(before, [], VerifyOptions())
    assert result.probes == 0 and not result.differences


def test_verify_models_the_rewrite_uris_gate() -> None:
    objects = [ingress("web", host="a.example.com", paths=[("/old", "Prefix", "web", 80)],
                       annotations={"konghq.com/rewrite": "/new"})]
    loaded = LoadResult()
    parse_text(yamlio.dump_yaml_documents(objects), "input.yaml", loaded)
    out = run_convert(loaded.docs, ConvertOptions(), Report()).objects
    assert verify(loaded.docs, out, VerifyOptions()).differences  # KIC's default: the gate is off
    assert not verify(loaded.docs, out, VerifyOptions(rewrite_uris=True)).differences


def test_an_ingress_of_a_version_no_api_server_serves_is_not_in_todays_cluster() -> None:
    # networking.k8s.io/v2 does not exist: such an Ingress never reached KIC (convert reports it as invalid);
    # it must not take the default backend from the one that did
    unknown = ingress("api", "billing", default=("missing", "http"))
    unknown["apiVersion"] = "networking.k8s.io/v2"
    out, _, result = run([unknown, ingress("api", "kong", default=("missing", 80))])
    assert set(routes(out)) == {"api-default-backend"}
    assert not result.differences


def test_paths_kic_made_the_same_kong_path_are_a_routing_conflict() -> None:
    # ImplementationSpecific '/api/' and Prefix '/api/' both gave Kong the plain path '/api/': Kong's tie-break
    # decided; the converted RegularExpression outranks the PathPrefix
    objects = [ingress("web", host="shop.example.com",
                       paths=[("/api/", "ImplementationSpecific", "web", 443), ("/api/", "Prefix", "grpc", 443)])]
    _, report, _ = run(objects)
    assert any("'/api/'" in m and "tie-break" in m for m in entries(report, Status.WARNING, "routing conflict"))


def test_expressions_plain_path_below_a_prefix_path_is_a_warning() -> None:
    # ingress_atc.go ranks Exact and Prefix paths as regex paths, above plain ones of any length: Prefix '/' took
    # /api/v1 from the ImplementationSpecific '/api/v1'; the HTTPRoute's RegularExpression outranks PathPrefix '/'
    objects = [ingress("web", "billing", paths=[("/api/v1", "ImplementationSpecific", "grpc", 80)]),
               ingress("long", paths=[("/", "Prefix", "web", 8080)])]
    _, report, result = run(objects, router_flavor=E)
    assert any("below the Prefix path(s) '/'" in m for m in entries(report, Status.WARNING, "spec.rules[0]"))
    assert {d.after.sources for d in result.differences} == {("HTTPRoute/billing/web",)}


@pytest.mark.parametrize("flavor", [T, TC, E])
def test_a_raw_prefix_leaves_an_exact_path_to_its_route(flavor: RouterFlavor) -> None:
    # Kong's controller makes Exact '/api/v1' the regex '~/api/v1$', tried before the plain '/api/' (traditional);
    # once the raw prefix is a RegularExpression too, a lookahead gives the exact path back (traditional), or
    # the report says it cannot (traditional_compatible: no lookahead in Rust regexes)
    objects = [ingress("web", host="shop.example.com", paths=[("/api/", "ImplementationSpecific", "grpc", 80),
                                                             ("/api/v1", "Exact", "web", 8080)])]
    out, report, result = run(objects, router_flavor=flavor)
    value = routes(out)["web-shop-example-com"]["spec"]["rules"][0]["matches"][0]["path"]["value"]
    assert value == ("/api/(?!v1$)" if flavor == T else "/api/")
    if flavor == TC:
        assert any("lookahead" in m for m in entries(report, Status.WARNING, "spec.rules[0].http.paths[0]"))
    else:
        assert not result.differences


def test_the_default_backend_competes_with_the_rules_as_they_match() -> None:
    # the Ingress's headers apply to its catch-all too: a rule path '/' with the same headers is the same request
    objects = [ingress("web", "kong", paths=[("", "ImplementationSpecific", "api", 80)], default=("grpc", 443),
                       annotations={"konghq.com/headers.x-tenant": "~*^g.*$"})]
    _, report, _ = run(objects)
    assert any("api:80, grpc:443" in m for m in entries(report, Status.WARNING, "routing conflict"))


def test_expressions_route_ranked_by_its_strongest_path_is_a_warning() -> None:
    # ingress_atc.go: one Kong route per (host, backend), ranked by its strongest path: the catch-all of web:443
    # shares the Exact '/api/v1' rank and outranked Prefix '/api/' of api:80; the HTTPRoute ranks them apart
    objects = [ingress("web", "billing", paths=[("", "ImplementationSpecific", "web", 443),
                                                ("/api/", "Prefix", "api", 80), ("/api/v1", "Exact", "web", 443)])]
    _, report, result = run(objects, router_flavor=E)
    assert any("strongest path" in m for m in entries(report, Status.WARNING, "routing conflict"))
    assert result.differences


def test_an_https_only_route_with_a_host_no_https_listener_covers_also_attaches_to_http() -> None:
    # the alias has no TLS entry: attached only to the HTTPS listener of shop.example.com, KIC would drop the
    # alias from the route's hosts (filterHostnames), and plain HTTP to it would get 404 instead of 426
    objects = [ingress("api", "kong", host="shop.example.com", paths=[("/api", "Prefix", "web", 80)],
                       annotations={"konghq.com/protocols": "https", "konghq.com/host-aliases": "alias.example.com"},
                       tls=[{"hosts": ["shop.example.com"], "secretName": "tls"}])]
    out, _, result = run(objects)
    assert {p["sectionName"] for p in routes(out)["api-shop-example-com"]["spec"]["parentRefs"]} == {
        "http", "https-shop-example-com"}
    assert not result.differences


def test_expressions_exact_path_ranked_no_higher_than_a_prefix_is_a_warning() -> None:
    # ingress_atc.go: Exact '/api/' counts 1+4, Prefix '/api/' 2+3 bytes: a tie KIC's route order broke; the
    # HTTPRoute's Exact match outranks the PathPrefix
    objects = [ingress("long", host="api.example.com", paths=[("/api/", "Exact", "missing", 8080),
                                                              ("/api/", "Prefix", "missing", 80)])]
    _, report, _ = run(objects, router_flavor=E)
    assert any("Exact path '/api/'" in m for m in entries(report, Status.WARNING, "routing conflict"))
