"""KongRouter (migrate.kong.router) on hand-built configurations, one behaviour per test; decK import
(migrate.kong.deck) against KIC's goldens."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from migrate.convert.choices import RouterFlavor
from migrate.kong.config import Certificate, KongConfig, Plugin, Route, Service
from migrate.kong.deck import from_deck
from migrate.kong.router import KongRouter, upstream_uri_v0
from migrate.kong.validate import validate
from migrate.verify.outcome import BACKEND, NO_TLS, REDIRECT, STATUS, Outcome, Request
from migrate.verify.shapes import EXACT, PREFIX, REGEX, PathShape
from tests.kic_support import KIC_GOLDENS, differences, normalize
from tests.support import require_shared

T, TC, E = RouterFlavor.TRADITIONAL, RouterFlavor.TRADITIONAL_COMPATIBLE, RouterFlavor.EXPRESSIONS
TRADITIONAL = [T, TC]
H = "app.example.com"


def svc(name: str, *routes: Route, path: str | None = None, plugins: list[Plugin] | None = None,
        backends: tuple[tuple[str, int], ...] | None = None) -> Service:
    return Service(name, f"{name}.svc", path=path, routes=list(routes), plugins=plugins or [],
                   backends=backends if backends is not None else ((f"ns/{name}:80", 1),))


def router(*services: Service, flavor: RouterFlavor = T, certs: tuple[str, ...] = (H,),
           plugins: list[Plugin] | None = None) -> KongRouter:
    cfg = KongConfig(services=list(services), certificates=[Certificate("ns/tls", list(certs))], plugins=plugins or [])
    return KongRouter(cfg, flavor)


def req(path: str, host: str = H, scheme: str = "http", method: str = "GET", **headers: str) -> Request:
    return Request(scheme, host, path, method, tuple(sorted((k.replace("_", "-"), v) for k, v in headers.items())))


def backend_of(outcome: Outcome) -> str | None:
    return outcome.backends[0][0] if outcome.kind == BACKEND else None


# ---------------------------------------------------------------------------------------------------
# matching


@pytest.mark.parametrize("flavor", TRADITIONAL)
def test_plain_path_is_a_string_prefix(flavor: RouterFlavor) -> None:
    k = router(svc("a", Route("r", paths=["/a"])), flavor=flavor)
    assert backend_of(k.route(req("/ab"))) == "ns/a:80"
    assert k.route(req("/b")).status == 404


def test_traditional_regex_is_anchored_at_start_only() -> None:
    k = router(svc("a", Route("r", paths=["~/a/\\d+"])))
    assert backend_of(k.route(req("/a/12/x"))) == "ns/a:80"
    assert k.route(req("/x/a/12")).status == 404


def test_alternation_anchoring_differs_between_pcre_and_rust() -> None:
    # traditional anchors the whole pattern; compat prepends `^` to the text, so only the first branch is anchored
    route = Route("r", paths=["~/a|/b"])
    assert router(svc("a", route), flavor=T).route(req("/x/b")).status == 404
    assert backend_of(router(svc("a", route), flavor=TC).route(req("/x/b"))) == "ns/a:80"


@pytest.mark.parametrize("flavor", TRADITIONAL)
def test_hosts_exact_and_wildcards(flavor: RouterFlavor) -> None:
    k = router(svc("a", Route("r", hosts=["*.example.com"], paths=["/"])),
               svc("b", Route("s", hosts=["example.*"], paths=["/"])), flavor=flavor)
    assert backend_of(k.route(req("/", host="a.b.example.com"))) == "ns/a:80"  # any depth
    assert backend_of(k.route(req("/", host="example.org"))) == "ns/b:80"
    assert backend_of(k.route(req("/", host="example.com"))) == "ns/b:80"  # `example.*`; `*.example.com` never the apex
    assert k.route(req("/", host="other.org")).status == 404


@pytest.mark.parametrize("flavor", TRADITIONAL)
def test_methods_and_headers(flavor: RouterFlavor) -> None:
    k = router(svc("a", Route("r", paths=["/"], methods=["POST"], headers={"x-env": ["Blue", "green"]})),
               svc("b", Route("s", paths=["/"])), flavor=flavor)
    assert backend_of(k.route(req("/", method="POST", x_env="BLUE"))) == "ns/a:80"  # values case-insensitive
    assert backend_of(k.route(req("/", method="GET", x_env="blue"))) == "ns/b:80"
    assert backend_of(k.route(req("/", method="POST"))) == "ns/b:80"


def test_traditional_header_regex_only_when_single_value() -> None:
    single = router(svc("a", Route("r", paths=["/"], headers={"x": ["~*^v\\d"]})))
    assert backend_of(single.route(req("/", x="V2"))) == "ns/a:80"
    several = router(svc("a", Route("r", paths=["/"], headers={"x": ["~*^v\\d", "w"]})))
    assert several.route(req("/", x="v2")).status == 404
    assert backend_of(router(svc("a", Route("r", paths=["/"], headers={"x": ["~*^v\\d", "w"]})), flavor=TC)
                      .route(req("/", x="v2"))) == "ns/a:80"


@pytest.mark.parametrize("flavor", TRADITIONAL)
def test_snis_only_constrain_https(flavor: RouterFlavor) -> None:
    k = router(svc("a", Route("r", paths=["/"], snis=["other.example.com"])), flavor=flavor,
               certs=(H, "other.example.com"))
    assert backend_of(k.route(req("/"))) == "ns/a:80"
    assert k.route(req("/", scheme="https")).status == 404
    assert backend_of(k.route(req("/", host="other.example.com", scheme="https"))) == "ns/a:80"


def test_grpc_routes_only_for_grpc_calls() -> None:
    k = router(svc("a", Route("r", paths=["/"], protocols=["grpc", "grpcs"])))
    assert k.route(req("/pkg.Svc/Call")).status == 404
    assert backend_of(k.route(req("/pkg.Svc/Call", method="POST"))) == "ns/a:80"


# ---------------------------------------------------------------------------------------------------
# priorities


@pytest.mark.parametrize("flavor", TRADITIONAL)
def test_more_matchers_win(flavor: RouterFlavor) -> None:
    k = router(svc("a", Route("r", paths=["/a"], order=0)),
               svc("b", Route("s", paths=["/"], hosts=[H], order=1)), flavor=flavor)
    assert backend_of(k.route(req("/a"))) == "ns/b:80"


@pytest.mark.parametrize("flavor", TRADITIONAL)
def test_plain_host_beats_wildcard(flavor: RouterFlavor) -> None:
    k = router(svc("a", Route("r", paths=["/"], hosts=["*.example.com"], order=0)),
               svc("b", Route("s", paths=["/"], hosts=[H], order=1)), flavor=flavor)
    assert backend_of(k.route(req("/"))) == "ns/b:80"


@pytest.mark.parametrize("flavor", TRADITIONAL)
def test_regex_before_prefix_then_regex_priority_then_longest_prefix(flavor: RouterFlavor) -> None:
    k = router(svc("long", Route("r1", paths=["/api/v1"], order=0)),
               svc("rx", Route("r2", paths=["~/api"], order=1)),
               svc("rx9", Route("r3", paths=["~/api/v"], regex_priority=9, order=2)), flavor=flavor)
    assert backend_of(k.route(req("/api/v1/x"))) == "ns/rx9:80"
    assert backend_of(k.route(req("/api/x"))) == "ns/rx:80"
    k2 = router(svc("short", Route("r1", paths=["/api"], order=0)),
                svc("long", Route("r2", paths=["/api/v1"], order=1)), flavor=flavor)
    assert backend_of(k2.route(req("/api/v1/x"))) == "ns/long:80"


@pytest.mark.parametrize("flavor", TRADITIONAL)
def test_ties_by_age(flavor: RouterFlavor) -> None:
    k = router(svc("young", Route("a", paths=["/"], order=5)), svc("old", Route("z", paths=["/"], order=1)),
               flavor=flavor)
    assert backend_of(k.route(req("/"))) == "ns/old:80"


def test_kic_prefix_pair_splits_per_path() -> None:
    # KIC's Prefix /a: `~/a$` and `/a/`.  The regex half outranks an older plain `/a/b` only on its own hit.
    k = router(svc("pfx", Route("r1", paths=["~/a$", "/a/"], order=1)), svc("deep", Route("r2", paths=["/a/b"], order=0)))
    assert backend_of(k.route(req("/a"))) == "ns/pfx:80"
    assert backend_of(k.route(req("/a/b/c"))) == "ns/deep:80"


def test_expressions_priority_then_age() -> None:
    k = router(svc("low", Route("r1", expression='http.path ^= "/"', priority=1, order=0)),
               svc("high", Route("r2", expression='http.path ^= "/a"', priority=5, order=1)),
               svc("tie", Route("r3", expression='http.path ^= "/a"', priority=5, order=2)), flavor=E)
    assert backend_of(k.route(req("/a/x"))) == "ns/high:80"
    assert backend_of(k.route(req("/b"))) == "ns/low:80"


def test_expressions_hosts_and_header_case() -> None:
    k = router(svc("a", Route("r1", expression='(http.host == "app.example.com") && (http.headers.x_env == "Blue")',
                              priority=2)),
               svc("w", Route("r2", expression='http.host =^ ".example.com"', priority=1)), flavor=E)
    assert backend_of(k.route(req("/", x_env="Blue"))) == "ns/a:80"
    assert backend_of(k.route(req("/", x_env="blue"))) == "ns/w:80"  # case-sensitive in expressions
    assert backend_of(k.route(req("/", host="x.y.example.com"))) == "ns/w:80"
    assert k.route(req("/", host="example.com")).status == 404


# ---------------------------------------------------------------------------------------------------
# outcomes


@pytest.mark.parametrize("flavor", [T, TC, E])
def test_https_only_route_on_plain_http(flavor: RouterFlavor) -> None:
    def route(code: int | None) -> Route:
        if flavor == E:
            return Route("r", expression='http.path ^= "/"', protocols=["https"], https_redirect_status_code=code)
        return Route("r", paths=["/"], protocols=["https"], https_redirect_status_code=code)

    assert router(svc("a", route(None)), flavor=flavor).route(req("/x")).status == 426
    assert router(svc("a", route(426)), flavor=flavor).route(req("/x")).status == 426
    out = router(svc("a", route(308)), flavor=flavor).route(req("/x?q=1"))
    assert (out.kind, out.status, out.location) == (REDIRECT, 308, f"https://{H}/x?q=1")
    assert backend_of(router(svc("a", route(308)), flavor=flavor).route(req("/x", scheme="https"))) == "ns/a:80"


def test_http_only_route_still_serves_https() -> None:
    # Kong does not check the scheme of an http-only route (Kong/kong issue #8073)
    k = router(svc("a", Route("r", paths=["/"], protocols=["http"])))
    assert backend_of(k.route(req("/", scheme="https"))) == "ns/a:80"


def test_https_needs_a_certificate() -> None:
    k = router(svc("a", Route("r", paths=["/"])), certs=("*.example.com", "shop.*"))
    assert backend_of(k.route(req("/", scheme="https"))) == "ns/a:80"
    assert k.route(req("/", host="a.b.example.com", scheme="https")).kind == NO_TLS  # one label only
    assert backend_of(k.route(req("/", host="shop.io", scheme="https"))) == "ns/a:80"
    assert k.route(req("/", host="example.com", scheme="https")).kind == NO_TLS


@pytest.mark.parametrize(("base", "strip", "path", "want"), [
    ("/", False, "/a/b", "/a/b"),
    ("/", True, "/a/b", "/b"),
    ("/", True, "/a", "/"),
    ("/base", False, "/a/b", "/base/a/b"),
    ("/base", False, "/", "/base"),
    ("/base/", False, "/a/b", "/base/a/b"),
    ("/base", True, "/a/b", "/base/b"),
    ("/base", True, "/a", "/base"),
    ("/base", True, "/a/", "/base/"),
    ("/base/", True, "/a", "/base"),
    ("/base/", True, "/a/", "/base/"),
    ("/base/", True, "/a/b", "/base/b"),
])
def test_v0_path_join(base: str, strip: bool, path: str, want: str) -> None:
    k = router(svc("a", Route("r", paths=["/a", "/"], strip_path=strip), path=base))
    out = k.route(req(path))
    assert (out.upstream_path or path) == want


def test_upstream_v0_postfix_without_slash() -> None:
    assert upstream_uri_v0("/base", "x", "/ax", True) == "/base/x"
    assert upstream_uri_v0("/base/", "x", "/ax", True) == "/base/x"


def test_strip_path_with_regex_strips_the_match() -> None:
    k = router(svc("a", Route("r", paths=["~/v\\d+"], strip_path=True)))
    assert k.route(req("/v12/users")).upstream_path == "/users"


@pytest.mark.parametrize("flavor", [T, TC, E])
def test_request_transformer_replace_uri_replaces_the_service_path(flavor: RouterFlavor) -> None:
    plugin = Plugin("request-transformer", {"replace": {"uri": "/new$(uri_captures[1])"}},
                    identity="generated:request-transformer")
    if flavor == E:
        route = Route("r", expression='(http.path == "/p") || (http.path ~ "^/p(/.*)")', plugins=[plugin])
    else:
        route = Route("r", paths=["~/p$", "~/p(/.*)"], plugins=[plugin])
    k = router(svc("a", route, path="/svc"), flavor=flavor)
    out = k.route(req("/p/x/y"))
    assert (out.upstream_path, out.plugins) == ("/new/x/y", ())
    assert k.route(req("/p")).upstream_path == "/new"


def test_named_capture_template() -> None:
    plugin = Plugin("request-transformer", {"replace": {"uri": '/u/$(uri_captures["id"])'}})
    k = router(svc("a", Route("r", paths=["~/users/(?<id>\\d+)"], plugins=[plugin])))
    assert k.route(req("/users/7")).upstream_path == "/u/7"


def test_redirect_plugin() -> None:
    plugin = Plugin("redirect", {"location": "https://new.example.com/x", "status_code": 302},
                    identity="generated:redirect")
    out = router(svc("a", Route("r", paths=["/"], plugins=[plugin]))).route(req("/old?q=1"))
    assert (out.kind, out.status, out.location, out.plugins) == (REDIRECT, 302, "https://new.example.com/x", ())
    keep = Plugin("redirect", {"location": "https://new.example.com/x", "keep_incoming_path": True},
                  identity="KongPlugin ns/redir")
    out = router(svc("a", Route("r", paths=["/"], plugins=[keep]))).route(req("/old?q=1"))
    assert (out.status, out.location, out.plugins) == (301, "https://new.example.com/old?q=1", ("KongPlugin ns/redir",))


def test_request_termination() -> None:
    generated = Plugin("request-termination", {"status_code": 500, "message": "no backend"},
                       identity="generated:request-termination")
    out = router(svc("a", Route("r", paths=["/"]), plugins=[generated])).route(req("/"))
    assert (out.kind, out.status, out.plugins) == (STATUS, 500, ())
    trigger = Plugin("request-termination", {"trigger": "x-stop"}, identity="KongPlugin ns/stop")
    k = router(svc("a", Route("r", paths=["/"], plugins=[trigger])))
    assert k.route(req("/", x_stop="1")).status == 503
    assert backend_of(k.route(req("/"))) == "ns/a:80"


def test_plugins_listed_route_over_service_over_global() -> None:
    glob = Plugin("cors", identity="KongClusterPlugin cors-global")
    on_svc = Plugin("cors", identity="KongPlugin ns/cors-svc")
    on_route = Plugin("key-auth", identity="KongPlugin ns/auth")
    off = Plugin("rate-limiting", identity="KongPlugin ns/rl", enabled=False)
    https_only = Plugin("acl", identity="KongPlugin ns/acl", protocols=["https"])
    gen = Plugin("response-transformer", {"add": {"headers": ["a:b"]}}, identity="generated:response-transformer")
    k = router(svc("a", Route("r", paths=["/"], plugins=[on_route, off, https_only, gen]), plugins=[on_svc]),
               plugins=[glob])
    assert k.route(req("/")).plugins == ("KongPlugin ns/auth", "KongPlugin ns/cors-svc", "generated:response-transformer")
    assert "KongPlugin ns/acl" in k.route(req("/", scheme="https")).plugins


def test_service_without_backends_answers_503() -> None:
    out = router(svc("a", Route("r", paths=["/"]), backends=())).route(req("/"))
    assert (out.kind, out.status) == (STATUS, 503)


def test_weighted_backends() -> None:
    out = router(svc("a", Route("r", paths=["/"]), backends=(("ns/x:80", 50), ("ns/y:80", 50)))).route(req("/"))
    assert out.backends == (("ns/x:80", 1), ("ns/y:80", 1))


def test_unparseable_expression_and_bad_regex_are_skipped_not_raised() -> None:
    k = router(svc("a", Route("r", expression="http.path ^^ 1")), flavor=E)
    assert k.route(req("/")).status == 404 and k.notes and k.rejections
    k = router(svc("a", Route("r", paths=["~/a(?!b)"])), flavor=TC)
    assert k.route(req("/ax")).status == 404 and k.rejections


def test_candidates_are_narrowed_by_host() -> None:
    services = [svc(f"s{i}", Route(f"r{i}", hosts=[f"h{i}.example.com"], paths=["/"])) for i in range(200)]
    k = router(*services)
    assert len(k.candidates("h7.example.com")) == 1
    assert backend_of(k.route(req("/", host="h7.example.com"))) == "ns/s7:80"


def test_shapes() -> None:
    k = router(svc("a", Route("r", hosts=[H], paths=["~/a$", "/a/"], methods=["get"], headers={"x": ["~*v", "w"]})))
    (shape,) = k.shapes()
    assert shape.hosts == (H,) and shape.methods == ("GET",)
    assert shape.paths == (PathShape(REGEX, "/a$"), PathShape(PREFIX, "/a/"))
    assert shape.headers == (("x", (("v", True), ("w", False))),)
    e = router(svc("a", Route("r", expression='(http.host == "a.io") && ((http.path == "/p") || (http.path ^= "/p/") '
                                                '|| (http.path ~ "^/r\\\\d")) && (http.headers.x_env == "b")')), flavor=E)
    (shape,) = e.shapes()
    assert shape.hosts == ("a.io",)
    assert shape.paths == (PathShape(EXACT, "/p"), PathShape(PREFIX, "/p/"), PathShape(REGEX, "/r\\d"))
    assert shape.headers == (("x-env", (("b", False),)),)


# ---------------------------------------------------------------------------------------------------
# decK import and KIC's goldens


def _canonical(doc: dict[str, Any]) -> dict[str, Any]:
    """A golden in the form the model can reproduce: what the model deliberately drops is removed (key
    material, consumers and other unmodelled entities), plugins referencing a route or service are nested
    under it, Kong's default service port is explicit, and entities are sorted by name like to_deck()."""
    doc = copy.deepcopy(doc)
    for key in list(doc):
        if key not in ("_format_version", "services", "upstreams", "certificates", "plugins"):
            del doc[key]
    routes = {r["name"]: r for s in doc.get("services", []) for r in s.get("routes", [])}
    services = {s["name"]: s for s in doc.get("services", [])}
    kept = []
    for p in doc.get("plugins", []):
        p = dict(p)
        if "route" in p:
            routes[p.pop("route")].setdefault("plugins", []).append(p)
        elif "service" in p:
            services[p.pop("service")].setdefault("plugins", []).append(p)
        elif "consumer" not in p:
            kept.append(p)
    doc.pop("plugins", None)
    if kept:
        doc["plugins"] = kept
    for s in doc.get("services", []):
        s.setdefault("port", 80)
    for c in doc.get("certificates", []):
        for k in ("cert", "key", "id"):
            c.pop(k, None)
        c["snis"] = [{"name": sni["name"]} for sni in c.get("snis", [])]
    for u in doc.get("upstreams", []):
        for t in u.get("targets", []):
            t.setdefault("weight", 100)  # Kong's default target weight
    for key in ("services", "upstreams"):
        if key in doc:
            doc[key] = sorted(doc[key], key=lambda e: e["name"])
    return doc


def _sorted_certificates(doc: dict[str, Any]) -> dict[str, Any]:
    if "certificates" in doc:
        doc["certificates"] = sorted(doc["certificates"], key=lambda c: [s["name"] for s in c["snis"]])
    return doc


def _goldens() -> list[Any]:
    if not KIC_GOLDENS.exists():
        return []
    return sorted(KIC_GOLDENS.glob("*/*_golden.yaml"))


@pytest.mark.parametrize("golden", _goldens() or [None], ids=lambda p: f"{p.parent.name}/{p.name}" if p else "absent")
def test_from_deck_round_trips_kic_goldens(golden: Any) -> None:
    require_shared("kic-goldens", "v3.5.13")
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(golden.read_text()) or {}
    config = from_deck(data)
    got = _sorted_certificates(normalize(config.to_deck()))
    want = _sorted_certificates(normalize(_canonical(data)))
    assert differences(got, want) == []
    flavor = E if golden.name.startswith("expression-routes-on") else T
    assert validate(config, flavor) == []
    KongRouter(config, flavor).route(req("/"))  # routes without raising


def test_from_deck_details() -> None:
    data = {
        "_format_version": "3.0",
        "services": [{"name": "ns.svc.80", "host": "svc.ns.80.svc", "port": 80, "path": "/p", "id": "sid",
                      "routes": [{"name": "ns.ing.svc.h.80", "id": "rid", "paths": ["/"], "hosts": ["h"],
                                  "headers": {"x": "one"},
                                  "tags": ["k8s-name:ing", "k8s-namespace:ns", "k8s-kind:Ingress"]}]}],
        "upstreams": [{"name": "svc.ns.80.svc", "targets": [{"target": "10.0.0.1:80", "weight": 30},
                                                           {"target": "10.0.0.2:80"}]}],
        "certificates": [{"id": "c1", "snis": [{"name": "h"}], "tags": ["k8s-name:tls", "k8s-namespace:ns"]}],
        "plugins": [{"name": "cors", "route": "rid", "tags": ["k8s-kind:KongPlugin", "k8s-namespace:ns",
                                                                "k8s-name:c"]},
                    {"name": "acl", "service": "ns.svc.80"},
                    {"name": "key-auth", "consumer": "bob"},
                    {"name": "prometheus", "tags": ["k8s-kind:KongClusterPlugin", "k8s-name:prom"]}],
    }
    config = from_deck(data)
    (service,) = config.services
    (route,) = service.routes
    assert route.headers == {"x": ["one"]} and route.origin == "Ingress/ns/ing"
    assert [p.identity for p in route.plugins] == ["KongPlugin ns/c"]
    assert [p.identity for p in service.plugins] == ["generated:acl"]
    assert [p.identity for p in config.plugins] == ["KongClusterPlugin prom"]
    assert service.backends == (("10.0.0.1:80", 30), ("10.0.0.2:80", 100))
    assert config.certificates[0].secret == "ns/tls" and config.certificates[0].snis == ["h"]


@pytest.mark.parametrize("data", [None, [], {"services": "x"}, {"services": [1, {"name": 3}]},
                                  {"services": [{"name": "s", "host": "h", "routes": [None, {"paths": "x"}]}]},
                                  {"plugins": [{"name": "x", "route": "missing"}]}])
def test_from_deck_odd_input_does_not_raise(data: Any) -> None:
    config = from_deck(data)
    KongRouter(config, T).route(req("/"))


@pytest.mark.parametrize("flavor", TRADITIONAL)
def test_posix_classes_mean_what_pcre_and_rust_read(flavor: RouterFlavor) -> None:
    """`[[:alpha:]]` is one ASCII letter to PCRE and the Rust crate (Python's `re` alone reads a set of `[:alph`
    then `]`): found by the fuzz harness."""
    from migrate.verify.probes import regex_sample

    r = router(svc("letters", Route("r", hosts=[H], paths=["~/[[:alpha:]]+$"])),
               svc("rest", Route("r2", hosts=[H], paths=["/"])), flavor=flavor)
    assert backend_of(r.route(req("/abc"))) == "ns/letters:80"
    assert backend_of(r.route(req("/a1"))) == "ns/rest:80"
    sample = regex_sample("/[[:alnum:]_]+/[[:^digit:]]$")
    assert sample is not None and re.fullmatch(r"/[a-zA-Z0-9_]+/[^0-9]", sample)
