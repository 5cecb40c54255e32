"""Unit tests for the conversion building blocks: class selection, naming, path semantics, splitting."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrate.convert.classes import build_selector
from migrate.convert.drafts import BackendDraft, MatchDraft, RouteDraft, RuleDraft
from migrate.convert.emit import (
    MAX_HOSTNAMES,
    MAX_MATCHES_PER_ROUTE,
    MAX_MATCHES_PER_RULE,
    MAX_RULES,
    split_route,
)
from migrate.convert.listeners import hostnames_intersect
from migrate.convert.naming import MAX_NAME, assign_unique, bounded, slug
from migrate.convert.options import ConvertOptions
from migrate.convert.paths import PathMatch, PlainPrefix, convert_path, escape_regex, plain_prefix_of
from migrate.convert.pipeline import run_convert
from migrate.loader import LoadResult, parse_text
from migrate.model.objects import KONG_INGRESS_CONTROLLER, IngressClass, Meta
from migrate.names import is_dns1123_subdomain
from migrate.report import Status
from migrate.sources import SourceRef

SRC = SourceRef(kind="Ingress", namespace="ns", name="x")


def _class(name: str, controller: str, default: bool = False) -> IngressClass:
    return IngressClass(meta=Meta(name=name, namespace="", source=SRC), controller=controller, is_default=default)


class TestClassSelection:
    def test_annotation_wins_over_field(self) -> None:
        sel = build_selector((), [])
        assert sel.accepts({"kubernetes.io/ingress.class": "kong"}, "nginx")[0]
        assert not sel.accepts({"kubernetes.io/ingress.class": "nginx"}, "kong")[0]

    def test_field_used_without_annotation(self) -> None:
        sel = build_selector((), [])
        assert sel.accepts({}, "kong")[0]
        assert not sel.accepts({}, "traefik")[0]

    def test_kong_controller_classes_are_included_by_default(self) -> None:
        sel = build_selector((), [_class("internal", KONG_INGRESS_CONTROLLER), _class("nginx", "k8s.io/ingress-nginx")])
        assert sel.accepts({}, "internal")[0]
        assert not sel.accepts({}, "nginx")[0]

    def test_classless_ingress_needs_a_default_kong_class(self) -> None:
        assert not build_selector((), []).accepts({}, None)[0]
        with_default = build_selector((), [_class("kong", KONG_INGRESS_CONTROLLER, default=True)])
        assert with_default.accepts({}, None)[0]
        other_default = build_selector((), [_class("nginx", "k8s.io/ingress-nginx", default=True)])
        assert not other_default.accepts({}, None)[0]

    def test_explicit_classes_replace_the_default(self) -> None:
        sel = build_selector(("public",), [_class("internal", KONG_INGRESS_CONTROLLER)])
        assert sel.accepts({}, "public")[0]
        assert not sel.accepts({}, "kong")[0]
        assert not sel.accepts({}, "internal")[0]

    def test_l4_objects_match_by_annotation_only(self) -> None:
        sel = build_selector((), [])
        assert sel.accepts_annotation_only({"kubernetes.io/ingress.class": "kong"})[0]
        assert not sel.accepts_annotation_only({})[0]


class TestNaming:
    def test_slug_is_a_dns_label_fragment(self) -> None:
        assert slug("*.Example.COM") == "wildcard-example-com"
        assert slug("a__b..c") == "a-b-c"

    def test_readable_collisions_all_get_distinct_hashes(self) -> None:
        names = assign_unique([("foo.bar.com", "s", "r-foo-bar-com"), ("foo-bar.com", "s", "r-foo-bar-com"),
                               ("other", "s", "r-other")])
        assert names["other"] == "r-other"
        assert names["foo.bar.com"] != names["foo-bar.com"]
        assert all(n.startswith("r-foo-bar-com-") for k, n in names.items() if k != "other")

    def test_same_name_in_different_scopes_is_fine(self) -> None:
        names = assign_unique([("a", "ns1", "web"), ("b", "ns2", "web")])
        assert names == {"a": "web", "b": "web"}

    def test_assignment_does_not_depend_on_order(self) -> None:
        items = [("k1", "s", "n"), ("k2", "s", "n"), ("k3", "s", "m")]
        assert assign_unique(items) == assign_unique(list(reversed(items)))

    @given(st.text(min_size=1, max_size=400))
    def test_bounded_names_are_valid_and_short(self, text: str) -> None:
        name = bounded(text, text)
        assert len(name) <= MAX_NAME
        assert is_dns1123_subdomain(name)

    def test_truncated_names_keep_identity(self) -> None:
        a, b = bounded("x" * 100 + "a", "A"), bounded("x" * 100 + "b", "B")
        assert a != b and len(a) == len(b) == MAX_NAME


class TestPaths:
    def test_exact_and_prefix(self) -> None:
        assert convert_path("/a", "Exact", "/~")[0] == PathMatch("Exact", "/a")
        assert convert_path("/a/b/", "Prefix", "/~")[0] == PathMatch("PathPrefix", "/a/b")
        assert convert_path("/", "Prefix", "/~")[0] == PathMatch("PathPrefix", "/")

    def test_repeated_slashes_collapse_like_kong(self) -> None:
        assert convert_path("/a//b", "Prefix", "/~")[0] == PathMatch("PathPrefix", "/a/b")

    def test_raw_kong_prefix_keeps_matching_without_segment_boundary(self) -> None:
        match, notes = convert_path("/foo", "ImplementationSpecific", "/~")
        assert match == PathMatch("RegularExpression", "/foo")
        assert re.match(match.value, "/foobar")  # Kong's raw prefix matches /foobar too
        assert any("RegularExpression" in n.message for n in notes)

    def test_regex_metacharacters_are_escaped_for_literal_prefixes(self) -> None:
        match, _ = convert_path("/a.b(c)", "ImplementationSpecific", "/~")
        assert match is not None and match.value == r"/a\.b\(c\)"
        assert re.match(match.value, "/a.b(c)/x") and not re.match(match.value, "/axb(c)")

    def test_regex_prefix_marker(self) -> None:
        assert convert_path("/~/u/\\d+", "ImplementationSpecific", "/~")[0] == PathMatch("RegularExpression", "/u/\\d+")
        assert convert_path("/re:/u", "ImplementationSpecific", "/re:")[0] == PathMatch("RegularExpression", "/u")
        # the marker only means regex for ImplementationSpecific paths
        assert convert_path("/~x", "Prefix", "/~")[0] == PathMatch("PathPrefix", "/~x")

    def test_invalid_regex_is_an_error(self) -> None:
        match, notes = convert_path("/~/(", "ImplementationSpecific", "/~")
        assert match is None and notes[0].status == Status.ERROR

    def test_exact_path_outside_gateway_charset_becomes_anchored_regex(self) -> None:
        match, notes = convert_path("/a#b", "Exact", "/~")
        assert match == PathMatch("RegularExpression", "/a#b$")
        assert notes[0].status == Status.WARNING

    def test_escape_regex_round_trips(self) -> None:
        literal = "/x.y*z+?[a]{1}(b)|^$\\"
        assert re.fullmatch(escape_regex(literal), literal)


class TestHostnames:
    @pytest.mark.parametrize(("listener", "route", "expected"), [
        (None, "a.example.com", True),
        ("a.example.com", "a.example.com", True),
        ("*.example.com", "a.example.com", True),
        ("*.example.com", "a.b.example.com", True),
        ("*.example.com", "example.com", False),
        ("a.example.com", "*.example.com", True),
        ("b.example.org", "a.example.com", False),
    ])
    def test_intersection(self, listener: str | None, route: str, expected: bool) -> None:
        assert hostnames_intersect(listener, route) is expected


def _rule(n: int, backend: str = "svc") -> RuleDraft:
    return RuleDraft(matches=[MatchDraft(path=PathMatch("Exact", f"/{backend}/{i}")) for i in range(n)],
                     backends=[BackendDraft(backend, 80)])


def _route(rules: list[RuleDraft], hostnames: list[str] | None = None, kind: str = "HTTPRoute") -> RouteDraft:
    return RouteDraft(kind=kind, namespace="ns", name="r", source=SRC, hostnames=hostnames or [], sections=["http"],
                      rules=rules, identity=("r",))


class TestSplitting:
    def _flatten(self, parts: list[RouteDraft]) -> list[tuple[str, str | None]]:
        return [(r.backends[0].name, m.path.value if m.path else None) for p in parts for r in p.rules for m in r.matches]

    @given(st.lists(st.integers(min_value=1, max_value=150), min_size=1, max_size=40),
           st.integers(min_value=0, max_value=40))
    def test_split_is_lossless_and_within_limits(self, sizes: list[int], n_hosts: int) -> None:
        rules = [_rule(n, f"b{i}") for i, n in enumerate(sizes)]
        hosts = [f"h{i}.example.com" for i in range(n_hosts)]
        parts = split_route(_route(rules, hosts))
        for part in parts:
            assert 1 <= len(part.rules) <= MAX_RULES
            assert all(len(r.matches) <= MAX_MATCHES_PER_RULE for r in part.rules)
            assert sum(len(r.matches) for r in part.rules) <= MAX_MATCHES_PER_ROUTE
            assert len(part.hostnames) <= MAX_HOSTNAMES
        # every (hostname, match) pair survives exactly once per hostname chunk
        host_chunks = max(1, -(-n_hosts // MAX_HOSTNAMES))
        assert self._flatten(parts) == self._flatten([_route(rules)]) * host_chunks
        assert sorted(h for p in parts for h in p.hostnames) == sorted(hosts * (len(parts) // host_chunks))
        assert len({p.name for p in parts}) == len(parts)

    def test_one_match_per_rule_is_respected(self) -> None:
        rule = _rule(5)
        rule.one_match_per_rule = True
        parts = split_route(_route([rule]))
        assert all(len(r.matches) == 1 for p in parts for r in p.rules)

    def test_l4_routes_get_one_rule_each(self) -> None:
        parts = split_route(_route([_rule(1, "a"), _rule(1, "b")], kind="TCPRoute"))
        assert [len(p.rules) for p in parts] == [1, 1]


def _convert(yaml_text: str, **opts: object) -> tuple[list[dict[str, object]], list[tuple[str, str, str]]]:
    loaded = LoadResult()
    parse_text(yaml_text, "t.yaml", loaded)
    result = run_convert(loaded.docs, ConvertOptions(**opts))  # type: ignore[arg-type]
    entries = [(e.status.value, e.subject, e.message) for e in result.report.entries]
    return result.objects, entries


TWO_INGRESSES = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: a, namespace: ns, annotations: {konghq.com/methods: GET, konghq.com/plugins: auth}}
spec:
  ingressClassName: kong
  rules:
  - host: h.example.com
    http: {paths: [{path: /a, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: b, namespace: ns}
spec:
  ingressClassName: kong
  rules:
  - host: h.example.com
    http: {paths: [{path: /b, pathType: Prefix, backend: {service: {name: b, port: {number: 80}}}}]}
"""


def test_annotations_never_leak_to_another_ingress_on_the_same_host() -> None:
    objects, _ = _convert(TWO_INGRESSES)
    routes = {o["metadata"]["name"]: o for o in objects if o["kind"] == "HTTPRoute"}  # type: ignore[index]
    b = routes["b-h-example-com"]["spec"]["rules"]  # type: ignore[index]
    assert "filters" not in b[0] and "method" not in b[0]["matches"][0]
    a = routes["a-h-example-com"]["spec"]["rules"]  # type: ignore[index]
    assert a[0]["matches"][0]["method"] == "GET" and a[0]["filters"][0]["type"] == "ExtensionRef"


def test_header_values_become_a_cartesian_product() -> None:
    text = TWO_INGRESSES.replace("konghq.com/plugins: auth", "konghq.com/headers.x-a: '1,2', konghq.com/headers.x-b: '3,4'")
    objects, _ = _convert(text)
    route = next(o for o in objects if o["metadata"]["name"] == "a-h-example-com")  # type: ignore[index]
    combos = {tuple(h["value"] for h in m["headers"]) for m in route["spec"]["rules"][0]["matches"]}  # type: ignore[index]
    assert combos == {("1", "3"), ("1", "4"), ("2", "3"), ("2", "4")}


def test_conversion_is_independent_of_input_order() -> None:
    docs = TWO_INGRESSES.split("---")
    assert _convert(docs[0] + "---" + docs[1])[0] == _convert(docs[1] + "---" + docs[0])[0]


class TestRawPrefixCompetition:
    """Kong matches plain prefixes longest first but regex paths before all of them (REFERENCE §2.1)."""

    def _regex(self, path: str, competitors: list[tuple[str, str]]) -> str:
        plains = [p for t, v in competitors if (p := plain_prefix_of(v, t, "/~")) is not None]
        match, _ = convert_path(path, "ImplementationSpecific", "/~", plains)
        assert match is not None and match.type == "RegularExpression"
        return match.value

    def test_longer_segment_prefix_keeps_its_requests(self) -> None:
        rx = self._regex("/foo", [("ImplementationSpecific", "/foo"), ("Prefix", "/foo/bar/")])
        assert re.match(rx, "/foo/x") and re.match(rx, "/foobar") and re.match(rx, "/foo/barx")
        assert not re.match(rx, "/foo/bar") and not re.match(rx, "/foo/bar/x")

    def test_longer_raw_prefix_keeps_its_requests(self) -> None:
        rx = self._regex("/httpbin", [("ImplementationSpecific", "/httpbin-other")])
        assert re.match(rx, "/httpbin/x") and not re.match(rx, "/httpbin-otherx")

    def test_shorter_and_regex_and_exact_paths_do_not_compete(self) -> None:
        rx = self._regex("/foo/bar", [("Prefix", "/foo"), ("ImplementationSpecific", "/~/foo/bar/\\d+"),
                                      ("Exact", "/foo/bar/baz")])
        assert rx == "/foo/bar"

    def test_same_path_as_segment_prefix_leaves_only_the_raw_remainder(self) -> None:
        rx = self._regex("/foo", [("Prefix", "/foo")])
        assert re.match(rx, "/foobar") and not re.match(rx, "/foo") and not re.match(rx, "/foo/x")

    def test_expressions_router_gets_a_warning_instead_of_a_lookahead(self) -> None:
        plains = [PlainPrefix("/foo/bar", True)]
        match, notes = convert_path("/foo", "ImplementationSpecific", "/~", plains, lookahead=False)
        assert match == PathMatch("RegularExpression", "/foo")
        assert any(n.status == Status.WARNING and "lookahead" in n.message for n in notes)


def test_a_rule_whose_only_path_is_invalid_is_an_error_not_an_empty_rule() -> None:
    text = TWO_INGRESSES.split("---")[1].replace("path: /b,", "path: relative,")
    _, entries = _convert(text)
    assert ("error", "spec.rules[0].http.paths[0].path", "'relative' must start with '/'") in entries
    assert not [e for e in entries if e[1] == "spec.rules[0]"]
