"""Route-level annotation handlers and value parsers: one behaviour per test, values as KIC reads them."""

from __future__ import annotations

import pytest

from migrate.annotations import parse as p
from migrate.annotations.route import AnnotationContext, RouteTraits, apply_route_annotations
from migrate.convert.options import ConvertOptions, RouterFlavor
from migrate.model.inventory import Inventory
from migrate.model.objects import GrantPeer, KongPlugin, Meta, ReferenceGrant
from migrate.report import Report, Status
from migrate.sources import SourceRef


def _meta(name: str, namespace: str, annotations: dict[str, str] | None = None, kind: str = "Ingress") -> Meta:
    return Meta(name=name, namespace=namespace, annotations=annotations or {},
                source=SourceRef(kind=kind, namespace=namespace, name=name))


def _plugin(name: str, namespace: str = "", cluster: bool = False) -> KongPlugin:
    kind = "KongClusterPlugin" if cluster else "KongPlugin"
    return KongPlugin(meta=_meta(name, namespace, kind=kind), cluster_scoped=cluster, plugin="key-auth")


def run(annotations: dict[str, str], *, flavor: RouterFlavor = RouterFlavor.TRADITIONAL,
        plugins: list[KongPlugin] | None = None, grants: list[ReferenceGrant] | None = None
        ) -> tuple[RouteTraits, dict[str, tuple[Status, str]]]:
    inv = Inventory(plugins=[x for x in plugins or [] if not x.cluster_scoped],
                    cluster_plugins=[x for x in plugins or [] if x.cluster_scoped], reference_grants=grants or [])
    report = Report()
    ctx = AnnotationContext(_meta("app", "apps", annotations), "Ingress", inv,
                            ConvertOptions(router_flavor=flavor), report)
    traits = apply_route_annotations(ctx)
    # The most severe entry per annotation (warnings come after converted/kept in the status order).
    notes: dict[str, tuple[Status, str]] = {}
    for e in report.entries:
        key = e.subject.removeprefix("annotation ")
        if key not in notes or e.status in (Status.ERROR, Status.UNCONVERTED, Status.WARNING):
            notes[key] = (e.status, e.message)
    return traits, notes


# --- parsing -------------------------------------------------------------------------------------


def test_methods_are_trimmed_upper_cased_and_deduplicated() -> None:
    assert p.parse_methods(" get, Post ,,GET") == ["GET", "POST"]


def test_one_invalid_method_discards_the_whole_annotation() -> None:
    traits, notes = run({"konghq.com/methods": "GET,PO-ST"})
    assert traits.methods == []
    assert notes["konghq.com/methods"][0] == Status.ERROR


def test_non_gateway_method_keeps_the_annotation_with_traditional_router() -> None:
    traits, notes = run({"konghq.com/methods": "get,purge"})
    assert traits.methods == []
    assert traits.kept == {"konghq.com/methods": "GET,PURGE"}
    assert notes["konghq.com/methods"][0] == Status.KEPT


def test_non_gateway_method_is_unconverted_with_expressions_router() -> None:
    traits, notes = run({"konghq.com/methods": "PURGE"}, flavor=RouterFlavor.EXPRESSIONS)
    assert traits.kept == {}
    assert notes["konghq.com/methods"][0] == Status.UNCONVERTED


def test_header_values_or_and_regex_marker() -> None:
    traits, _ = run({"konghq.com/headers.X-Env": " ~*^gr(e)+n$ "})
    assert traits.headers == {"x-env": [p.HeaderValue("^gr(e)+n$", True)]}
    traits, _ = run({"konghq.com/headers.X-Env": " blue, gold ,blue"})
    assert traits.headers == {"x-env": [p.HeaderValue("blue", False), p.HeaderValue("gold", False)]}


def test_a_regex_among_several_header_values_is_literal_in_the_traditional_flavors() -> None:
    # Kong's traditional routers read `~*` as a regex only when it is the header's only value
    traits, notes = run({"konghq.com/headers.X-Env": "blue, ~*^gr(e)+n$"})
    assert traits.headers == {"x-env": [p.HeaderValue("blue", False)]}
    assert notes["konghq.com/headers.X-Env"][0] == Status.WARNING
    traits, _ = run({"konghq.com/headers.X-Env": "blue, ~*^gr(e)+n$"}, flavor=RouterFlavor.EXPRESSIONS)
    assert traits.headers == {"x-env": [p.HeaderValue("blue", False), p.HeaderValue("^gr(e)+n$", True)]}
    traits, notes = run({"konghq.com/headers.X-Env": "~*a, ~*b"})
    assert traits.headers == {}
    assert notes["konghq.com/headers.X-Env"][0] == Status.ERROR


def test_headers_separator_changes_the_split() -> None:
    traits, _ = run({"konghq.com/headers-separator": ";", "konghq.com/headers.x-list": "a,b; c"})
    assert [v.value for v in traits.headers["x-list"]] == ["a,b", "c"]


def test_invalid_header_regex_is_an_error_for_that_header_only() -> None:
    traits, notes = run({"konghq.com/headers.x-a": "~*([", "konghq.com/headers.x-b": "ok"})
    assert list(traits.headers) == ["x-b"]
    assert notes["konghq.com/headers.x-a"][0] == Status.ERROR


def test_host_header_becomes_hostnames() -> None:
    traits, notes = run({"konghq.com/headers.host": "A.example.com,b.example.com"})
    assert traits.headers == {}
    assert traits.extra_hostnames == ["a.example.com", "b.example.com"]
    assert notes["konghq.com/headers.host"][0] == Status.WARNING


@pytest.mark.parametrize("value", ["true", "TRUE", " false "])
def test_kic_booleans(value: str) -> None:
    assert p.parse_bool(value) is (value.strip().lower() == "true")


@pytest.mark.parametrize("value", ["yes", "1", "on", ""])
def test_strip_path_values_kong_ignores_are_errors(value: str) -> None:
    traits, notes = run({"konghq.com/strip-path": value})
    assert traits.strip_path is False
    assert notes["konghq.com/strip-path"][0] == Status.ERROR


@pytest.mark.parametrize(("value", "expected"), [("t", True), ("1", True), ("F", False), ("false", False)])
def test_buffering_uses_go_parse_bool(value: str, expected: bool) -> None:
    assert p.parse_go_bool(value) is expected


def test_buffering_false_is_kept_and_true_is_default() -> None:
    traits, notes = run({"konghq.com/request-buffering": "0", "konghq.com/response-buffering": "t"})
    assert traits.kept == {"konghq.com/request-buffering": "false"}
    assert notes["konghq.com/response-buffering"][0] == Status.CONVERTED


# --- plugins ---------------------------------------------------------------------------------------


def test_same_namespace_plugins_become_extension_refs_in_order() -> None:
    traits, _ = run({"konghq.com/plugins": " b, a ,b"}, plugins=[_plugin("a", "apps"), _plugin("b", "apps")])
    assert traits.plugin_filters == ["b", "a"]
    assert traits.kept == {}


def test_cluster_plugin_keeps_the_whole_list_as_annotation() -> None:
    traits, notes = run({"konghq.com/plugins": "a,global"}, plugins=[_plugin("a", "apps"), _plugin("global", cluster=True)])
    assert traits.plugin_filters == []
    assert traits.kept == {"konghq.com/plugins": "a,global"}
    assert notes["konghq.com/plugins"][0] == Status.KEPT


def test_cross_namespace_plugin_without_an_ingress_grant_never_ran_and_gets_no_grant() -> None:
    # KIC applies ns:name only when a ReferenceGrant admits the Ingress (REFERENCE §5.5a)
    traits, notes = run({"konghq.com/plugins": "sec:auth"}, plugins=[_plugin("auth", "sec")])
    assert traits.plugin_grants == []
    assert traits.kept == {"konghq.com/plugins": "sec:auth"}
    status, message = notes["konghq.com/plugins"]
    assert status == Status.WARNING and "never ran" in message


def _grant(from_kind: str, from_group: str, from_ns: str, to_name: str = "") -> ReferenceGrant:
    to = [GrantPeer(group="configuration.konghq.com", kind="KongPlugin", name=to_name)]
    return ReferenceGrant(meta=_meta("g", "sec", kind="ReferenceGrant"),
                          from_=[GrantPeer(group=from_group, kind=from_kind, namespace=from_ns)], to=to)


@pytest.mark.parametrize(("grant", "granted"), [
    (_grant("Ingress", "networking.k8s.io", "apps"), True),
    (_grant("Ingress", "networking.k8s.io", "apps", to_name="auth"), True),
    (_grant("Ingress", "networking.k8s.io", "apps", to_name="other"), False),
    (_grant("Ingress", "networking.k8s.io", "elsewhere"), False),
    (_grant("HTTPRoute", "gateway.networking.k8s.io", "apps"), False),
])
def test_cross_namespace_plugin_granted_to_ingresses_gets_a_grant_for_the_route(grant: ReferenceGrant,
                                                                               granted: bool) -> None:
    traits, _ = run({"konghq.com/plugins": "sec:auth"}, plugins=[_plugin("auth", "sec")], grants=[grant])
    assert traits.plugin_grants == ([("sec", "auth")] if granted else [])


def test_grpc_route_plugins_stay_an_annotation() -> None:
    traits, _ = run({"konghq.com/protocols": "grpc,grpcs", "konghq.com/plugins": "a"}, plugins=[_plugin("a", "apps")])
    assert traits.plugin_filters == []
    assert traits.kept == {"konghq.com/plugins": "a"}


# --- protocols and redirects -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["htp", "tcp", "https,tls_passthrough", " , "])
def test_invalid_protocols_leave_kong_defaults(value: str) -> None:
    traits, notes = run({"konghq.com/protocols": value})
    assert traits.protocols is None
    assert notes["konghq.com/protocols"][0] == Status.ERROR


def test_grpc_http_mix_is_normalised_like_kic() -> None:
    traits, notes = run({"konghq.com/protocols": "grpc, http"})
    assert traits.protocols == ["http", "https"]
    assert not traits.grpc
    assert notes["konghq.com/protocols"][0] == Status.WARNING


def test_grpcs_only_keeps_protocols_annotation() -> None:
    traits, _ = run({"konghq.com/protocols": "grpcs"})
    assert traits.grpc and traits.https_only
    assert traits.kept == {"konghq.com/protocols": "grpcs"}


def test_websocket_protocols_are_kept() -> None:
    traits, _ = run({"konghq.com/protocols": "wss"})
    assert traits.https_only
    assert traits.kept == {"konghq.com/protocols": "wss"}


def test_force_ssl_redirect_is_302_and_https_unless_protocols_say_otherwise() -> None:
    traits, _ = run({"ingress.kubernetes.io/force-ssl-redirect": "true"})
    assert (traits.redirect_code, traits.protocols) == (302, ["https"])
    traits, _ = run({"ingress.kubernetes.io/force-ssl-redirect": "true", "konghq.com/protocols": "http,https"})
    assert traits.protocols == ["http", "https"]
    traits, _ = run({"ingress.kubernetes.io/force-ssl-redirect": "true",
                     "konghq.com/https-redirect-status-code": "308"})
    assert (traits.redirect_code, traits.redirect_source) == (308, "konghq.com/https-redirect-status-code")


def test_force_ssl_redirect_needs_exactly_true() -> None:
    traits, notes = run({"ingress.kubernetes.io/force-ssl-redirect": "True"})
    assert traits.redirect_code is None
    assert notes["ingress.kubernetes.io/force-ssl-redirect"][0] == Status.ERROR


@pytest.mark.parametrize("value", ["303", "abc", "200"])
def test_redirect_codes_kong_rejects(value: str) -> None:
    with pytest.raises(p.AnnotationValueError):
        p.parse_redirect_code(value)


# --- hosts, snis -------------------------------------------------------------------------------------


def test_host_aliases_lowercased_and_kong_only_wildcard_kept() -> None:
    traits, notes = run({"konghq.com/host-aliases": "WWW.example.com, example.*"})
    assert traits.host_aliases == ["www.example.com"]
    assert traits.kept == {"konghq.com/host-aliases": "www.example.com,example.*"}
    traits, notes = run({"konghq.com/host-aliases": "example.*"}, flavor=RouterFlavor.EXPRESSIONS)
    assert notes["konghq.com/host-aliases"][0] == Status.UNCONVERTED


def test_one_invalid_host_alias_discards_all() -> None:
    traits, notes = run({"konghq.com/host-aliases": "ok.example.com,bad_host"})
    assert traits.host_aliases == []
    assert notes["konghq.com/host-aliases"][0] == Status.ERROR


def test_snis() -> None:
    assert p.parse_snis("") == []
    with pytest.raises(p.AnnotationValueError):
        p.parse_snis("*.example.com")
    traits, notes = run({"konghq.com/snis": "a.example.com", "konghq.com/protocols": "http"})
    assert traits.kept == {"konghq.com/protocols": "http"}  # kept so KIC < 3.5.7 keeps the route HTTP-only
    assert notes["konghq.com/snis"][0] == Status.ERROR
    traits, _ = run({"konghq.com/snis": " a.example.com ,b.example.com"})
    assert traits.kept == {"konghq.com/snis": "a.example.com,b.example.com"}


# --- router flavors ----------------------------------------------------------------------------------


def test_protocols_are_case_sensitive_like_kic() -> None:
    traits, notes = run({"konghq.com/protocols": "HTTPS"})
    assert traits.protocols is None and traits.kept == {}
    assert notes["konghq.com/protocols"][0] == Status.ERROR and "lower case" in notes["konghq.com/protocols"][1]


def test_regex_priority_per_flavor() -> None:
    traits, notes = run({"konghq.com/regex-priority": " 7 "})  # Go's Atoi does not trim: KIC ignored it
    assert traits.kept == {} and notes["konghq.com/regex-priority"][0] == Status.ERROR
    traits, _ = run({"konghq.com/regex-priority": "7"})
    assert traits.kept == {"konghq.com/regex-priority": "7"}
    traits, notes = run({"konghq.com/regex-priority": "7"}, flavor=RouterFlavor.EXPRESSIONS)
    assert traits.kept == {}
    assert notes["konghq.com/regex-priority"][0] == Status.IGNORED


@pytest.mark.parametrize(("flavor", "value", "status", "kept"), [
    (RouterFlavor.TRADITIONAL, "v1", Status.KEPT, True),
    (RouterFlavor.TRADITIONAL, "v0", Status.CONVERTED, False),
    (RouterFlavor.TRADITIONAL_COMPATIBLE, "v1", Status.WARNING, False),
    (RouterFlavor.EXPRESSIONS, "v1", Status.IGNORED, False),
    (RouterFlavor.TRADITIONAL, "v2", Status.ERROR, False),
])
def test_path_handling_per_flavor(flavor: RouterFlavor, value: str, status: Status, kept: bool) -> None:
    traits, notes = run({"konghq.com/path-handling": value}, flavor=flavor)
    assert notes["konghq.com/path-handling"][0] == status
    assert ("konghq.com/path-handling" in traits.kept) is kept


# --- rewrite, strip-path, tags -----------------------------------------------------------------------


def test_rewrite_captures_follow_kic() -> None:
    r = p.parse_rewrite("/a/$1/b$12\\$")
    assert r.template == "/a/$(uri_captures[1])/b$(uri_captures[12])$"
    assert r.static is None
    assert p.parse_rewrite("").static == "/"
    assert p.parse_rewrite("/x/\\$y").static == "/x/$y"


@pytest.mark.parametrize("value", ["/a$", "/a/$x", "/a\\b", "relative"])
def test_rewrite_values_kic_rejects(value: str) -> None:
    with pytest.raises(p.AnnotationValueError):
        p.parse_rewrite(value)


def test_strip_path_is_moot_under_a_rewrite_and_on_grpc() -> None:
    traits, notes = run({"konghq.com/rewrite": "/new", "konghq.com/strip-path": "true"})
    assert traits.strip_path is False
    assert notes["konghq.com/strip-path"][0] == Status.IGNORED
    traits, notes = run({"konghq.com/protocols": "grpc,grpcs", "konghq.com/strip-path": "true"})
    assert traits.strip_path is False


def test_tags_trimmed_deduplicated_and_empty_ignored() -> None:
    traits, _ = run({"konghq.com/tags": "a, b,,a"})
    assert traits.kept == {"konghq.com/tags": "a,b"}
    traits, notes = run({"konghq.com/tags": " "})
    assert traits.kept == {}
    assert notes["konghq.com/tags"][0] == Status.IGNORED


def test_preserve_host_false_is_kept() -> None:
    traits, _ = run({"konghq.com/preserve-host": "False"})
    assert traits.kept == {"konghq.com/preserve-host": "false"}


def test_regex_prefix_is_used_verbatim_like_kic() -> None:
    traits, notes = run({"konghq.com/regex-prefix": "  "})  # no path starts with blanks: no regex path
    assert traits.regex_prefix == "  "
    assert notes["konghq.com/regex-prefix"][0] == Status.WARNING
    traits, notes = run({"konghq.com/regex-prefix": ""})
    assert traits.regex_prefix == "/~"
    assert notes["konghq.com/regex-prefix"][0] == Status.UNCONVERTED


def test_grpc_exact_headers_stay_matches_and_regex_moves_all_headers_to_annotations() -> None:
    traits, notes = run({"konghq.com/protocols": "grpc,grpcs", "konghq.com/headers.x-a": "1,2"})
    assert [v.value for v in traits.headers["x-a"]] == ["1", "2"]
    assert notes["konghq.com/headers.x-a"][0] == Status.CONVERTED
    traits, _ = run({"konghq.com/protocols": "grpc,grpcs", "konghq.com/headers.x-a": "1",
                     "konghq.com/headers.x-b": "~*^b"})
    assert traits.headers == {}
    assert traits.kept == {"konghq.com/headers.x-a": "1", "konghq.com/headers.x-b": "~*^b"}
    traits, notes = run({"konghq.com/protocols": "grpc,grpcs", "konghq.com/headers.x-b": "~*^b"},
                        flavor=RouterFlavor.EXPRESSIONS)
    assert traits.kept == {}
    assert notes["konghq.com/headers.x-b"][0] == Status.UNCONVERTED


@pytest.mark.parametrize(("flavor", "methods", "status"), [
    (RouterFlavor.TRADITIONAL, "GET", Status.KEPT),
    (RouterFlavor.EXPRESSIONS, "POST,GET", Status.IGNORED),
    (RouterFlavor.EXPRESSIONS, "GET", Status.WARNING),
])
def test_methods_on_grpc_routes(flavor: RouterFlavor, methods: str, status: Status) -> None:
    traits, notes = run({"konghq.com/protocols": "grpc", "konghq.com/methods": methods}, flavor=flavor)
    assert traits.methods == []
    assert notes["konghq.com/methods"][0] == status
    assert ("konghq.com/methods" in traits.kept) is (status == Status.KEPT)
