"""What Kong refuses when loading a declarative configuration (migrate.kong.validate), one test per rule."""

from __future__ import annotations

import pytest

from migrate.convert.choices import RouterFlavor
from migrate.kong.config import KongConfig, Plugin, Route, Service
from migrate.kong.validate import SYNC_FAILS, validate

T, TC, E = RouterFlavor.TRADITIONAL, RouterFlavor.TRADITIONAL_COMPATIBLE, RouterFlavor.EXPRESSIONS


def config(*routes: Route, plugins: list[Plugin] | None = None) -> KongConfig:
    return KongConfig(services=[Service("svc", "svc.ns.80.svc", routes=list(routes))], plugins=plugins or [])


def rules(cfg: KongConfig, flavor: RouterFlavor = T) -> list[str]:
    return [r.rule for r in validate(cfg, flavor)]


def test_a_plain_route_is_accepted() -> None:
    assert validate(config(Route("r", paths=["/a", "~/b$"], hosts=["a.example.com"])), T) == []


def test_snis_need_a_tls_protocol() -> None:
    bad = validate(config(Route("r", paths=["/"], snis=["a.example.com"], protocols=["http"])), T)
    assert [r.rule for r in bad] == ["snis-protocols"]
    assert bad[0].entity == "route r" and SYNC_FAILS in bad[0].message
    assert rules(config(Route("r", paths=["/"], snis=["a"], protocols=["https"]))) == []
    assert rules(config(Route("r", paths=["/"], snis=["a"]))) == []  # Kong's default protocols include https
    assert rules(config(Route("r", snis=["a"], protocols=["tls_passthrough"]))) == []


@pytest.mark.parametrize("protocols", [["http", "tcp"], ["https", "grpcs"], ["tls", "tls_passthrough"], ["udp", "grpc"]])
def test_protocol_groups_cannot_mix(protocols: list[str]) -> None:
    assert "protocols-mix" in rules(config(Route("r", paths=["/"], protocols=protocols)))


def test_paths_start_with_slash_or_tilde() -> None:
    assert rules(config(Route("r", paths=["a"]))) == ["path"]


@pytest.mark.parametrize("flavor", [T, TC])
def test_regex_paths_must_compile(flavor: RouterFlavor) -> None:
    assert rules(config(Route("r", paths=["~/a["])), flavor) == ["path-regex"]


def test_lookaround_and_backreferences_only_in_pcre() -> None:
    for path in ("~/a(?!b)", "~/(a)\\1", "~/(?<=x)y"):
        cfg = config(Route("r", paths=[path]))
        assert rules(cfg, T) == []
        assert rules(cfg, TC) == ["path-regex"]


def test_header_regexes_follow_the_engine() -> None:
    cfg = config(Route("r", paths=["/"], headers={"x-a": ["~*(?=v)"]}))
    assert rules(cfg, T) == []
    assert rules(cfg, TC) == ["header-regex"]


def test_host_header_is_refused() -> None:
    assert rules(config(Route("r", paths=["/"], headers={"Host": ["a.example.com"]}))) == ["header-host"]


def test_https_redirect_status_code() -> None:
    assert rules(config(Route("r", paths=["/"], https_redirect_status_code=303))) == ["https-redirect-status-code"]
    assert rules(config(Route("r", paths=["/"], https_redirect_status_code=308))) == []


def test_expressions_flavor_needs_expression_only() -> None:
    assert rules(config(Route("r", paths=["/"])), E) == ["expression-missing"]
    assert rules(config(Route("r", expression='http.path ^= "/"', paths=["/"])), E) == ["expression-mixed"]
    assert rules(config(Route("r", expression='http.path ^= "/"', priority=1)), E) == []
    assert rules(config(Route("r", expression='http.path ^^ "/"')), E) == ["expression-parse"]
    assert rules(config(Route("r", expression='http.path ~ "^/(?!a)"')), E) == ["expression-parse"]


def test_traditional_flavors_refuse_expression() -> None:
    assert "expression-flavor" in rules(config(Route("r", paths=["/"], expression='http.path ^= "/"')), TC)


def test_http_route_needs_a_matcher() -> None:
    assert rules(config(Route("r"))) == ["no-matcher"]


def test_redirect_plugin_location_must_be_absolute() -> None:
    plugin = Plugin("redirect", {"location": "/new"}, identity="generated:redirect")
    bad = validate(config(Route("r", paths=["/"], plugins=[plugin])), T)
    assert [r.rule for r in bad] == ["redirect-location"]
    assert bad[0].entity == "plugin redirect on route r"
    ok = Plugin("redirect", {"location": "https://a.example.com/new"})
    assert rules(config(Route("r", paths=["/"], plugins=[ok]))) == []


def test_global_request_termination_status() -> None:
    bad = rules(config(Route("r", paths=["/"]), plugins=[Plugin("request-termination", {"status_code": 42})]))
    assert bad == ["termination-status"]


def test_odd_values_do_not_raise() -> None:
    route = Route("r", paths=[None, 3, "/"], headers={"x": [None]}, protocols=["bogus"])  # type: ignore[list-item]
    assert "protocols" in rules(config(route))
