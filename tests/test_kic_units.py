"""Unit tests of the KIC translator model (migrate.kic.translate) with hand-written objects: each behaviour of
REFERENCE §5.5a and the fill phase, asserting the exact Kong fields KIC would send."""

from __future__ import annotations

import base64
from typing import Any

from migrate.convert.choices import RouterFlavor
from migrate.kic.ingress import rewrite_uri_config
from migrate.kic.settings import KICSettings
from migrate.kic.translate import translate
from migrate.kong.config import KongConfig, Route, Service

TRAD = KICSettings()
EXPR = KICSettings(router_flavor=RouterFlavor.EXPRESSIONS)


def ingress(name: str, paths: list[tuple[str, str | None, str, Any]] | None = None, host: str = "example.com",
            ns: str = "default", annotations: dict[str, str] | None = None, created: str | None = None,
            default_backend: dict[str, Any] | None = None, tls: list[dict[str, Any]] | None = None,
            class_name: str | None = "kong") -> dict[str, Any]:
    """paths: (path, pathType, service, port number or name)."""
    meta: dict[str, Any] = {"name": name, "namespace": ns, "annotations": annotations or {}}
    if created:
        meta["creationTimestamp"] = created
    spec: dict[str, Any] = {}
    if class_name:
        spec["ingressClassName"] = class_name
    if paths:
        items = []
        for path, ptype, svc, port in paths:
            item: dict[str, Any] = {"backend": {"service": {"name": svc, "port": (
                {"number": port} if isinstance(port, int) else {"name": port})}}}
            if path is not None:
                item["path"] = path
            if ptype is not None:
                item["pathType"] = ptype
            items.append(item)
        rule: dict[str, Any] = {"http": {"paths": items}}
        if host:
            rule["host"] = host
        spec["rules"] = [rule]
    if default_backend:
        spec["defaultBackend"] = default_backend
    if tls:
        spec["tls"] = tls
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def service(name: str, ports: list[dict[str, Any]] | None = None, ns: str = "default",
            annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns,
                                                                 "annotations": annotations or {}},
            "spec": {"ports": ports if ports is not None else [{"port": 80}], **spec}}


def kong_plugin(name: str, plugin: str, ns: str = "default", config: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"apiVersion": "configuration.konghq.com/v1", "kind": "KongPlugin",
            "metadata": {"name": name, "namespace": ns}, "plugin": plugin, "config": config or {}}


def route_named(cfg: KongConfig, name: str) -> Route:
    for _, r in cfg.routes():
        if r.name == name:
            return r
    raise AssertionError(f"no route {name}: {[r.name for _, r in cfg.routes()]}")


def service_named(cfg: KongConfig, name: str) -> Service:
    for s in cfg.services:
        if s.name == name:
            return s
    raise AssertionError(f"no service {name}: {[s.name for s in cfg.services]}")


def messages(cfg: KongConfig) -> list[str]:
    return [f"{f.origin}: {f.message}" for f in cfg.failures]


# --- routes, names, paths -----------------------------------------------------------------------------------

def test_route_per_ingress_host_service_port_with_kic_paths() -> None:
    cfg = translate([
        ingress("web", [("/a/", "Prefix", "svc", 80), ("/b", "Exact", "svc", 80), ("/c", "ImplementationSpecific", "svc", 80),
                        ("/~/d/\\d+", "ImplementationSpecific", "svc", 80), (None, "ImplementationSpecific", "svc", 80),
                        ("//e//f", None, "svc", 80), ("/x", "Prefix", "other", 8080)], host="*.example.com"),
        service("svc"), service("other", [{"port": 8080}]),
    ], TRAD)
    r = route_named(cfg, "default.web.svc._.example.com.80")
    assert r.paths == ["/a/", "~/a$", "~/b$", "/c", "~/d/\\d+", "/", "/e/f"]
    assert r.hosts == ["*.example.com"]
    assert (r.strip_path, r.preserve_host, r.regex_priority, r.path_handling, r.https_redirect_status_code) == (
        False, True, 0, "v0", 426)
    assert (r.protocols, r.request_buffering, r.response_buffering) == (None, True, True)
    assert r.k8s is not None and r.k8s.name == "web"
    other = route_named(cfg, "default.web.other._.example.com.8080")
    assert other.paths == ["/x/", "~/x$"]
    svc = service_named(cfg, "default.svc.80")
    assert (svc.host, svc.port, svc.path, svc.protocol) == ("svc.default.80.svc", 80, "/", "http")
    assert svc.backends == (("default/svc:80", 1),)
    assert [u.name for u in cfg.upstreams] == ["other.default.8080.svc", "svc.default.80.svc"]


def test_regex_prefix_annotation_and_prefix_root() -> None:
    cfg = translate([ingress("web", [("/re/x.*", "ImplementationSpecific", "svc", 80), ("/", "Prefix", "svc", 80)],
                             annotations={"konghq.com/regex-prefix": "/re"}), service("svc")], TRAD)
    assert route_named(cfg, "default.web.svc.example.com.80").paths == ["~/x.*", "/"]


def test_protocols_annotation_sorted_and_force_ssl_redirect() -> None:
    cfg = translate([ingress("web", [("/", "Prefix", "svc", 80)], annotations={
        "konghq.com/protocols": "https,http", "konghq.com/https-redirect-status-code": "308",
        "konghq.com/strip-path": "TRUE", "konghq.com/methods": "get,post", "konghq.com/headers.x-env": "a, b",
        "konghq.com/host-aliases": "alias.example.com", "konghq.com/snis": "example.com",
        "konghq.com/regex-priority": "7", "konghq.com/preserve-host": "false"}), service("svc")], TRAD)
    r = route_named(cfg, "default.web.svc.example.com.80")
    assert r.protocols == ["https", "http"]  # the annotation's order (the initial sorted list is overridden)
    assert (r.https_redirect_status_code, r.strip_path, r.preserve_host, r.regex_priority) == (308, True, False, 7)
    assert r.methods == ["GET", "POST"]
    assert r.headers == {"x-env": ["a", "b"]}
    assert r.hosts == ["example.com", "alias.example.com"]
    assert r.snis == ["example.com"]
    cfg = translate([ingress("web", [("/", "Prefix", "svc", 80)], annotations={
        "ingress.kubernetes.io/force-ssl-redirect": "true"}), service("svc")], TRAD)
    r = route_named(cfg, "default.web.svc.example.com.80")
    assert (r.protocols, r.https_redirect_status_code) == (["https"], 302)


def test_invalid_annotation_values_are_ignored_as_kic_does() -> None:
    cfg = translate([ingress("web", [("/", "Prefix", "svc", 80)], annotations={
        "konghq.com/methods": "GET,P0ST", "konghq.com/regex-priority": " 5", "konghq.com/https-redirect-status-code": "303",
        "konghq.com/protocols": "https,bogus"}), service("svc")], TRAD)
    r = route_named(cfg, "default.web.svc.example.com.80")
    assert r.methods is None and r.regex_priority == 0 and r.https_redirect_status_code == 426
    # KIC keeps its first, unvalidated (sorted) list when the override rejects the annotation
    assert r.protocols == ["bogus", "https"]


# --- default backend ----------------------------------------------------------------------------------------

def test_default_backend_oldest_wins_and_carries_ingress_annotations() -> None:
    cfg = translate([
        ingress("newer", default_backend={"service": {"name": "b", "port": {"number": 80}}}, created="2024-02-01T00:00:00Z"),
        ingress("older", default_backend={"service": {"name": "a", "port": {"number": 80}}}, created="2024-01-01T00:00:00Z",
                annotations={"konghq.com/plugins": "auth", "konghq.com/protocols": "https",
                             "konghq.com/methods": "GET", "konghq.com/strip-path": "true"}),
        service("a"), service("b"), kong_plugin("auth", "key-auth"),
    ], TRAD)
    assert [s.name for s in cfg.services] == ["default.a.80"]
    svc = service_named(cfg, "default.a.80")
    assert svc.path is None and svc.host == "a.default.80.svc"
    r = route_named(cfg, "default.older")
    assert (r.paths, r.hosts, r.protocols, r.methods, r.strip_path) == (["/"], None, ["https"], ["GET"], True)
    assert [(p.name, p.identity) for p in r.plugins] == [("key-auth", "KongPlugin default/auth")]


def test_default_backend_in_expressions_mode() -> None:
    cfg = translate([ingress("d", default_backend={"service": {"name": "a", "port": {"number": 80}}}), service("a")], EXPR)
    r = route_named(cfg, "default.d")
    assert (r.expression, r.priority, r.paths, r.path_handling) == ('http.path ^= "/"', 0, None, None)


# --- named ports --------------------------------------------------------------------------------------------

def test_named_port_matches_port_name_or_string_target_port() -> None:
    cfg = translate([
        ingress("web", [("/a", "Prefix", "by-name", "http"), ("/b", "Prefix", "by-target", "web")]),
        service("by-name", [{"name": "http", "port": 8080, "targetPort": 80}]),
        service("by-target", [{"name": "main", "port": 9090, "targetPort": "web"}]),
    ], TRAD)
    assert service_named(cfg, "default.by-name.http").port == 8080
    assert service_named(cfg, "default.by-name.http").backends == (("default/by-name:8080", 1),)
    assert service_named(cfg, "default.by-target.web").port == 9090
    assert route_named(cfg, "default.web.by-target.example.com.web").paths == ["/b/", "~/b$"]
    assert cfg.failures == []


def test_externalname_service_by_port_name_fails() -> None:
    cfg = translate([ingress("web", [("/", "Prefix", "ext", "http")]),
                     service("ext", [{"name": "http", "port": 80}], type="ExternalName", externalName="api.example.net")],
                    TRAD)
    assert messages(cfg) == ["Service/default/ext: can't find port for backend kubernetes service: rules with an "
                             "ExternalName service must specify numeric ports",
                             "Ingress/default/web: can't find port for backend kubernetes service: rules with an "
                             "ExternalName service must specify numeric ports"]
    svc = service_named(cfg, "default.ext.http")
    # KIC keeps the Kong service and route but its upstream has no target: nothing is reachable
    assert svc.backends == () and cfg.upstreams[0].targets == []
    cfg = translate([ingress("web", [("/", "Prefix", "ext", 443)]),
                     service("ext", [], type="ExternalName", externalName="api.example.net")], TRAD)
    assert cfg.failures == []
    assert [t.target for t in cfg.upstreams[0].targets] == ["api.example.net:443"]


# --- plugins and ReferenceGrants ----------------------------------------------------------------------------

def grant(ns: str, from_ns: str, group: str = "networking.k8s.io", kind: str = "Ingress",
          to_name: str | None = None) -> dict[str, Any]:
    to: dict[str, Any] = {"group": "configuration.konghq.com", "kind": "KongPlugin"}
    if to_name:
        to["name"] = to_name
    return {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
            "metadata": {"name": "g", "namespace": ns},
            "spec": {"from": [{"group": group, "kind": kind, "namespace": from_ns}], "to": [to]}}


def test_cross_namespace_plugin_needs_reference_grant_for_the_referrer_kind() -> None:
    objs = [ingress("web", [("/", "Prefix", "svc", 80)], ns="app", annotations={"konghq.com/plugins": "shared:rl"}),
            service("svc", ns="app"), kong_plugin("rl", "rate-limiting", ns="shared", config={"minute": 5})]
    cfg = translate(objs, TRAD)
    assert route_named(cfg, "app.web.svc.example.com.80").plugins == []
    assert messages(cfg) == ['Ingress/app/web: no grant found to referenced "shared:rl" plugin in the requested '
                             "remote KongPlugin bind"]
    # a grant for another kind does not help
    cfg = translate(objs + [grant("shared", "app", group="gateway.networking.k8s.io", kind="HTTPRoute")], TRAD)
    assert route_named(cfg, "app.web.svc.example.com.80").plugins == []
    cfg = translate(objs + [grant("shared", "app", to_name="rl")], TRAD)
    plugins = route_named(cfg, "app.web.svc.example.com.80").plugins
    assert [(p.name, p.config, p.identity) for p in plugins] == [("rate-limiting", {"minute": 5}, "KongPlugin shared/rl")]
    assert cfg.failures == []


def test_namespace_prefixed_local_plugin_still_asks_for_a_grant() -> None:
    cfg = translate([ingress("web", [("/", "Prefix", "svc", 80)], annotations={"konghq.com/plugins": "default:p"}),
                     service("svc"), kong_plugin("p", "cors")], TRAD)
    assert route_named(cfg, "default.web.svc.example.com.80").plugins == []
    assert len(cfg.failures) == 1


def test_plugins_on_services_cluster_plugins_global_and_missing() -> None:
    cfg = translate([
        ingress("web", [("/", "Prefix", "svc", 80)], annotations={"konghq.com/plugins": "cp, nope"}),
        service("svc", annotations={"konghq.com/plugins": "sp"}),
        kong_plugin("sp", "acl", config={"allow": ["a"]}),
        {"apiVersion": "configuration.konghq.com/v1", "kind": "KongClusterPlugin",
         "metadata": {"name": "cp", "annotations": {"kubernetes.io/ingress.class": "kong"}}, "plugin": "cors",
         "disabled": True},
        {"apiVersion": "configuration.konghq.com/v1", "kind": "KongClusterPlugin",
         "metadata": {"name": "g", "labels": {"global": "true"}, "annotations": {"kubernetes.io/ingress.class": "kong"}},
         "plugin": "prometheus"},
        {"apiVersion": "configuration.konghq.com/v1", "kind": "KongClusterPlugin",
         "metadata": {"name": "other-class", "labels": {"global": "true"},
                      "annotations": {"kubernetes.io/ingress.class": "nginx"}}, "plugin": "zipkin"},
    ], TRAD)
    svc = service_named(cfg, "default.svc.80")
    assert [(p.name, p.identity) for p in svc.plugins] == [("acl", "KongPlugin default/sp")]
    r = route_named(cfg, "default.web.svc.example.com.80")
    assert [(p.name, p.enabled, p.identity) for p in r.plugins] == [("cors", False, "KongClusterPlugin cp")]
    assert [p.name for p in cfg.plugins] == ["prometheus"]
    assert messages(cfg) == ['Ingress/default/web: referenced KongPlugin or KongClusterPlugin "nope" does not exist']


def test_plugin_config_from_secret() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "conf", "namespace": "default"},
              "data": {"c": base64.b64encode(b'{"minute": 9}').decode()}}
    plugin = kong_plugin("rl", "rate-limiting")
    del plugin["config"]
    plugin["configFrom"] = {"secretKeyRef": {"name": "conf", "key": "c"}}
    cfg = translate([ingress("web", [("/", "Prefix", "svc", 80)], annotations={"konghq.com/plugins": "rl"}),
                     service("svc"), plugin, secret], TRAD)
    assert route_named(cfg, "default.web.svc.example.com.80").plugins[0].config == {"minute": 9}


# --- KongIngress and KongUpstreamPolicy ---------------------------------------------------------------------

def kong_ingress(name: str, **sections: Any) -> dict[str, Any]:
    return {"apiVersion": "configuration.konghq.com/v1", "kind": "KongIngress",
            "metadata": {"name": name, "namespace": "default"}, **sections}


def test_kongingress_upstream_only_on_kic3_proxy_and_route_on_kic2() -> None:
    objs = [ingress("web", [("/", "Prefix", "svc", 80)], annotations={"konghq.com/override": "ki"}),
            service("svc", annotations={"konghq.com/override": "ki"}),
            kong_ingress("ki", upstream={"algorithm": "least-connections", "hash_on": "ip"},
                         proxy={"path": "/v1", "read_timeout": 1000},
                         route={"methods": ["get"], "strip_path": True, "protocols": ["https"]})]
    cfg = translate(objs, TRAD)
    assert (cfg.upstreams[0].algorithm, cfg.upstreams[0].hash_on) == ("least-connections", "ip")
    svc = service_named(cfg, "default.svc.80")
    assert (svc.path, svc.read_timeout) == ("/", 60000)
    r = route_named(cfg, "default.web.svc.example.com.80")
    assert (r.methods, r.strip_path, r.protocols) == (None, False, None)
    legacy = translate(objs, KICSettings(kic_version=(2, 12, 8)))
    svc = service_named(legacy, "default.svc.80")
    assert (svc.path, svc.read_timeout) == ("/v1", 1000)
    r = route_named(legacy, "default.web.svc.example.com.80")
    assert (r.methods, r.strip_path, r.protocols) == (["GET"], True, ["https"])


def test_kong_upstream_policy_and_host_header() -> None:
    cfg = translate([
        ingress("web", [("/", "Prefix", "svc", 80)]),
        service("svc", annotations={"konghq.com/upstream-policy": "p", "konghq.com/host-header": "internal"}),
        {"apiVersion": "configuration.konghq.com/v1beta1", "kind": "KongUpstreamPolicy",
         "metadata": {"name": "p", "namespace": "default"},
         "spec": {"algorithm": "consistent-hashing", "hashOn": {"cookie": "sid", "cookiePath": "/"},
                  "healthchecks": {"passive": {"unhealthy": {"httpFailures": 3}}}}},
    ], TRAD)
    u = cfg.upstreams[0]
    assert (u.algorithm, u.hash_on, u.hash_on_cookie, u.hash_on_cookie_path, u.host_header) == (
        "consistent-hashing", "cookie", "sid", "/", "internal")
    assert u.healthchecks == {"passive": {"unhealthy": {"http_failures": 3}}}
    missing = translate([ingress("web", [("/", "Prefix", "svc", 80)]),
                         service("svc", annotations={"konghq.com/upstream-policy": "gone"})], TRAD)
    assert messages(missing) == ["Service/default/svc: failed fetching KongUpstreamPolicy: KongUpstreamPolicy "
                                 "default/gone not found"]


# --- konghq.com/rewrite -------------------------------------------------------------------------------------

def test_rewrite_needs_the_gate_else_the_kong_service_is_dropped() -> None:
    objs = [ingress("web", [("/~/api/(.*)", "ImplementationSpecific", "svc", 80)],
                    annotations={"konghq.com/rewrite": "/v2/$1"}),
            ingress("plain", [("/", "Prefix", "svc", 80)], host="other.example.com"), service("svc")]
    cfg = translate(objs, TRAD)
    assert cfg.services == []  # the other Ingress's route on the same Kong service goes too
    assert messages(cfg) == ["Ingress/default/web: konghq.com/rewrite annotation not supported when rewrite uris "
                             "disabled"]
    cfg = translate(objs, KICSettings(rewrite_uris=True))
    r = route_named(cfg, "default.web.svc.example.com.80")
    assert [(p.name, p.config, p.identity) for p in r.plugins] == [
        ("request-transformer", {"replace": {"uri": "/v2/$(uri_captures[1])"}}, "generated:request-transformer")]
    assert route_named(cfg, "default.plain.svc.other.example.com.80").plugins == []


def test_rewrite_uri_config_parser() -> None:
    assert rewrite_uri_config("/a/$12/b\\$c") == ("/a/$(uri_captures[12])/b$c", "")
    assert rewrite_uri_config("/a$") == (None, "unexpected end of string")
    assert rewrite_uri_config("/a$x") == (None, "unexpected x at pos 3")


# --- expressions flavor -------------------------------------------------------------------------------------

def test_expressions_compile_methods_headers_host_aliases_and_ignore_regex_priority() -> None:
    cfg = translate([ingress("web", [("/api", "Prefix", "svc", 80), ("/~/v[0-9]+", "ImplementationSpecific", "svc", 80)],
                             annotations={"konghq.com/methods": "GET,post", "konghq.com/headers.X-Env": "blue,~*^gr",
                                          "konghq.com/host-aliases": "*.alias.com", "konghq.com/regex-priority": "9",
                                          "konghq.com/path-handling": "v1"}),
                     service("svc")], EXPR)
    r = route_named(cfg, "default.web.svc.example.com.80")
    assert r.expression == (
        '((http.host == "example.com") || (http.host =^ ".alias.com")) && '
        '(((http.path == "/api") || (http.path ^= "/api/")) || (http.path ~ "^/v[0-9]+")) && '
        '((http.headers.x_env == "blue") || (http.headers.x_env ~ "^gr")) && '
        '((http.method == "GET") || (http.method == "POST"))')
    # 4 match fields, 1 header, wildcard alias (no plain-host bit), regex, longest path "/api/" = 5... "/v[0-9]+" = 8
    assert r.priority == (3 << 44) + (4 << 41) + (1 << 33) + (1 << 16) + 8
    assert (r.regex_priority, r.path_handling, r.paths, r.hosts, r.methods, r.headers) == (None,) * 6


# --- TCPIngress / UDPIngress --------------------------------------------------------------------------------

def test_tcp_and_udp_ingress() -> None:
    tcp = {"apiVersion": "configuration.konghq.com/v1beta1", "kind": "TCPIngress",
           "metadata": {"name": "db", "namespace": "default", "annotations": {"kubernetes.io/ingress.class": "kong"}},
           "spec": {"rules": [{"port": 9000, "backend": {"serviceName": "pg", "servicePort": 5432}},
                              {"host": "db.example.com", "port": 9443, "backend": {"serviceName": "pg", "servicePort": 5432}}]}}
    udp = {"apiVersion": "configuration.konghq.com/v1beta1", "kind": "UDPIngress",
           "metadata": {"name": "dns", "namespace": "default", "annotations": {"kubernetes.io/ingress.class": "kong"}},
           "spec": {"rules": [{"port": 53, "backend": {"serviceName": "coredns", "servicePort": 53}}]}}
    unclassed = {**udp, "metadata": {"name": "x", "namespace": "default"}}
    objs = [tcp, udp, unclassed, service("pg", [{"port": 5432}]), service("coredns", [{"port": 53, "protocol": "UDP"}])]
    cfg = translate(objs, TRAD)
    assert [s.name for s in cfg.services] == ["default.coredns.53.udp", "default.pg.5432"]
    pg = service_named(cfg, "default.pg.5432")
    assert (pg.protocol, pg.port, pg.path) == ("tcp", 5432, None)
    r0, r1 = route_named(cfg, "default.db.0"), route_named(cfg, "default.db.1")
    assert (r0.protocols, r0.destinations, r0.snis) == (["tcp", "tls"], [{"port": 9000}], None)
    assert (r1.snis, r1.destinations) == (["db.example.com"], [{"port": 9443}])
    u = route_named(cfg, "default.dns.0.udp")
    assert (u.protocols, u.destinations) == (["udp"], [{"port": 53}])
    assert service_named(cfg, "default.coredns.53.udp").protocol == "udp"
    cfg = translate(objs, EXPR)
    r1 = route_named(cfg, "default.db.1")
    assert (r1.expression, r1.priority, r1.snis, r1.destinations) == (
        '(tls.sni == "db.example.com") && (net.dst.port == 9443)', 1, None, None)


# --- classes, certificates, bad input -----------------------------------------------------------------------

def test_ingress_class_selection() -> None:
    def names(objs: list[dict[str, Any]], settings: KICSettings = TRAD) -> list[str]:
        return sorted(r.k8s.name for _, r in translate(objs + [service("svc")], settings).routes() if r.k8s)
    annotated = ingress("ann", [("/", "Prefix", "svc", 80)], class_name="other",
                        annotations={"kubernetes.io/ingress.class": "kong"})
    field_only = ingress("fld", [("/", "Prefix", "svc", 80)], host="f.example.com")
    classless = ingress("none", [("/", "Prefix", "svc", 80)], host="n.example.com", class_name=None)
    assert names([annotated, field_only, classless]) == ["ann", "fld"]
    default_class = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                     "metadata": {"name": "kong", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
                     "spec": {"controller": "ingress-controllers.konghq.com/kong"}}
    assert names([annotated, field_only, classless, default_class]) == ["ann", "fld", "none"]
    assert names([annotated, field_only], KICSettings(ingress_classes=("other",))) == []


def tls_secret(name: str) -> dict[str, Any]:
    # PEM-shaped material, distinct per Secret (the model merges certificates by their cert+key, as KIC does)
    crt = f"-----BEGIN CERTIFICATE-----\n{name}-cert\n-----END CERTIFICATE-----\n".encode()
    pem = f"-----BEGIN PRIVATE KEY-----\n{name}-key\n-----END PRIVATE KEY-----\n".encode()
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"},
            "type": "kubernetes.io/tls", "data": {"tls.crt": base64.b64encode(crt).decode(),
                                                  "tls.key": base64.b64encode(pem).decode()}}


def test_certificates_first_ingress_claims_a_host() -> None:
    cfg = translate([
        ingress("old", [("/", "Prefix", "svc", 80)], created="2024-01-01T00:00:00Z",
                tls=[{"hosts": ["a.example.com", "b.example.com"], "secretName": "one"}, {"hosts": [], "secretName": "x"}]),
        ingress("new", [("/", "Prefix", "svc", 80)], created="2024-02-01T00:00:00Z",
                tls=[{"hosts": ["b.example.com", "c.example.com"], "secretName": "two"}]),
        ingress("broken", [("/", "Prefix", "svc", 80)], created="2024-03-01T00:00:00Z",
                tls=[{"hosts": ["d.example.com"], "secretName": "missing"}]),
        service("svc"), tls_secret("one"), tls_secret("two"),
    ], TRAD)
    assert sorted((c.secret, c.snis) for c in cfg.certificates) == [
        ("default/one", ["a.example.com", "b.example.com"]), ("default/two", ["c.example.com"])]
    assert messages(cfg) == ["Ingress/default/broken: Failed to fetch the secret (default/missing)"]


def test_service_annotations_table() -> None:
    cfg = translate([ingress("web", [("/", "Prefix", "svc", 80)]),
                     service("svc", annotations={"konghq.com/protocol": "grpcs", "konghq.com/path": "/p",
                                                 "konghq.com/read-timeout": "5000", "konghq.com/retries": "x"})], TRAD)
    svc = service_named(cfg, "default.svc.80")
    assert (svc.protocol, svc.path, svc.read_timeout, svc.retries) == ("grpcs", None, 5000, 5)
    bad = translate([ingress("web", [("/", "Prefix", "svc", 80)]),
                     service("svc", annotations={"konghq.com/protocol": "ftp"})], TRAD)
    assert messages(bad) == ["Service/default/svc: konghq.com/protocol annotation has invalid value: ftp"]
    assert service_named(bad, "default.svc.80").protocol == "http"


def test_missing_service_and_backendless_paths_are_failures() -> None:
    cfg = translate([ingress("web", [("/", "Prefix", "gone", 80)]),
                     {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "res"},
                      "spec": {"ingressClassName": "kong", "rules": [{"http": {"paths": [
                          {"path": "/r", "pathType": "Prefix",
                           "backend": {"resource": {"apiGroup": "example.com", "kind": "Bucket", "name": "b"}}}]}}]}}],
                    TRAD)
    assert messages(cfg) == [
        'Ingress/default/res: failed to get backend for ingress path "/r": unknown resource type example.com/Bucket',
        "Ingress/default/web: failed to resolve Kubernetes Service for backend: failed to fetch Service default/gone: "
        "Service default/gone not found",
        "Ingress/default/web: can't add target for backend gone: no kubernetes service found"]
    assert service_named(cfg, "default.gone.80").backends == ()


def test_bad_input_never_raises() -> None:
    garbage: list[Any] = [
        {"kind": "Ingress", "metadata": "nope", "spec": []},
        {"kind": "Ingress", "apiVersion": "networking.k8s.io/v1", "metadata": {"name": "x"},
         "spec": {"ingressClassName": "kong", "rules": [None, {"host": 5, "http": {"paths": [None, {"backend": 3}]}}],
                  "tls": "x", "defaultBackend": "y"}},
        {"kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": "x"}},
        {"kind": "TCPIngress", "metadata": {"name": "t", "annotations": {"kubernetes.io/ingress.class": "kong"}},
         "spec": {"rules": [{"port": "x", "backend": None}], "tls": [None]}},
        {"kind": "KongPlugin", "metadata": {"name": "p"}, "plugin": None, "config": [1]},
        {"kind": "KongUpstreamPolicy", "metadata": {"name": "u"}, "spec": {"healthchecks": "x"}},
        "not a dict", None,
    ]
    for settings in (TRAD, EXPR, KICSettings(kic_version=(2, 12, 0))):
        cfg = translate(garbage, settings)  # type: ignore[arg-type]
        assert not [f for f in cfg.failures if "internal error" in f.message], messages(cfg)
        cfg.to_deck()
