"""request-transformer templates as Kong renders them (migrate/kong/template.py), with the forms KIC v3.5.13
writes (subtranslator/httproute.go generateRequestTransformerReplaceURIForURLRewritePrefixMatch, ingress.go
generateRewriteURIConfig)."""

from __future__ import annotations

import re

import pytest

from migrate.kong.template import fill_template

PREFIX_REST = re.match(r"/api(/.*)", "/api/v1")  # `~/api(/.*)`: group 1 "/v1"
PREFIX_EXACT = re.match(r"/api$", "/api")  # `~/api$`: no group 1
ROOT_REST = re.match(r"/(.*)", "/x/y")  # `~/(.*)` for the root prefix: group 1 "x/y"
ROOT_EXACT = re.match(r"/$", "/")


@pytest.mark.parametrize(("template", "match", "want"), [
    # replacePrefixMatch "/" on /api
    ('$(uri_captures[1] == nil and "/" or uri_captures[1])', PREFIX_REST, "/v1"),
    ('$(uri_captures[1] == nil and "/" or uri_captures[1])', PREFIX_EXACT, "/"),
    # replacePrefixMatch "/" on /
    ('$(uri_captures[1] == nil and "/" or "/" .. uri_captures[1])', ROOT_REST, "/x/y"),
    ('$(uri_captures[1] == nil and "/" or "/" .. uri_captures[1])', ROOT_EXACT, "/"),
    # replacePrefixMatch "/new" on /
    ('/new$(uri_captures[1] == nil and "" or "/" .. uri_captures[1])', ROOT_REST, "/new/x/y"),
    ('/new$(uri_captures[1] == nil and "" or "/" .. uri_captures[1])', ROOT_EXACT, "/new"),
    # replacePrefixMatch "/new" on /api, and konghq.com/rewrite
    ("/new$(uri_captures[1])", PREFIX_REST, "/new/v1"),
    ("/u/$(uri_captures[1])/$", re.match(r"/users/(\d+)", "/users/42"), "/u/42/$"),
    ('/n/$(uri_captures["id"])', re.match(r"/(?P<id>\w+)", "/abc"), "/n/abc"),
    ("/a/$(uri_captures[2])", PREFIX_REST, "/a/"),  # an absent capture renders empty
    ("/x/$(not uri_captures[1] and 'a' or 'b')", PREFIX_EXACT, "/x/a"),
    ('$( (uri_captures[1] ~= nil) and "y" or "n" )', PREFIX_REST, "y"),
    ("/plain", None, "/plain"),
])
def test_kic_templates_render_as_kong_renders_them(template: str, match: re.Match[str] | None, want: str) -> None:
    assert fill_template(template, match) == want


def test_expressions_outside_the_modelled_subset_stay_as_written() -> None:
    assert fill_template("/h/$(headers.host)/$(uri_captures[1])", PREFIX_REST) == "/h/$(headers.host)//v1"
    assert fill_template("/open/$(uri_captures[1]", PREFIX_REST) == "/open/$(uri_captures[1]"


def test_concatenating_nil_is_a_lua_error() -> None:
    with pytest.raises(ValueError, match="concatenate"):
        fill_template('$("/" .. uri_captures[1])', PREFIX_EXACT)
