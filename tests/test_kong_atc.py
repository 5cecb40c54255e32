"""Kong's ATC expression language (migrate.kong.atc): parsing, precedence, evaluation, regex engine limits;
every expression in KIC's expressions-flavor goldens parses."""

from __future__ import annotations

from typing import Any

import pytest

from migrate.kong import atc
from tests.kic_support import KIC_GOLDENS
from tests.support import require_shared


def parsed(text: str) -> atc.Expr:
    expr = atc.parse(text)
    assert not isinstance(expr, atc.AtcError), expr
    return expr


def holds(text: str, **fields: Any) -> bool:
    ctx: atc.Context = {k.replace("__", "."): (v if isinstance(v, list) else [v]) for k, v in fields.items()}
    return atc.evaluate(parsed(text), ctx)


def test_or_binds_tighter_than_and_as_in_atc_router() -> None:
    # atc-router src/ast_tests.rs: "a == 1 && b != 2 || c >= 3" is "(a == 1) && ((b != 2) || (c >= 3))"
    assert str(parsed('net.port == 1 && http.path != "/" || http.method == "GET"')) == \
        '(net.port == 1 && (http.path != "/" || http.method == "GET"))'
    assert not holds('http.host == "a" && http.path == "/x" || http.method == "GET"',
                     http__host="b", http__path="/y", http__method="GET")


def test_not_only_before_parentheses() -> None:
    assert isinstance(atc.parse('! http.path == "/"'), atc.AtcError)
    assert holds('!(http.path == "/")', http__path="/a")


@pytest.mark.parametrize("text", [
    "", "http.path", 'http.path == "/a', 'http.path === "/a"', 'foo.bar == "x"', 'http.path ^= 1',
    'net.port == "80"', 'upper(http.path) == "/"', 'http.path == "/a" &&', '(http.path == "/a"',
    'http.path ~ "(?=x)"', r'http.path ~ "(a)\\1"', 'http.path ~ "[a"', 'http.path == "\\q"',
])
def test_unparseable_is_an_error_not_an_exception(text: str) -> None:
    assert isinstance(atc.parse(text), atc.AtcError)


def test_non_string_input_is_an_error() -> None:
    assert isinstance(atc.parse(None), atc.AtcError)
    assert isinstance(atc.parse(42), atc.AtcError)


def test_literals_and_escapes() -> None:
    assert parsed(r'http.path == "/a\"b\\c"').value == '/a"b\\c'  # type: ignore[union-attr]
    assert parsed('http.path == r#"/a\\b"#').value == "/a\\b"  # type: ignore[union-attr]
    assert parsed("net.port == 0x1F").value == 31  # type: ignore[union-attr]
    assert parsed("net.port == 017").value == 15  # type: ignore[union-attr]
    assert parsed("net.port == -3").value == -3  # type: ignore[union-attr]


def test_operators() -> None:
    assert holds('http.path ^= "/a"', http__path="/ab")
    assert holds('http.host =^ ".example.com"', http__host="a.b.example.com")
    assert not holds('http.host =^ ".example.com"', http__host="example.com")
    assert holds('http.path ~ "^/a/\\\\d+"', http__path="/a/12x")
    assert holds('http.path ~ "b"', http__path="/ab")  # unanchored search
    assert holds('http.method in "GET,POST"', http__method="GET")
    assert holds('http.method not in "GET,POST"', http__method="PUT")
    assert holds('http.path contains "mid"', http__path="/amidb")
    assert holds("net.port >= 80 && net.port < 90", net__port=85)
    assert holds('lower(http.headers.x_a) == "abc"', http__headers__x_a="AbC")


def test_missing_field_fails_every_predicate_even_not_equal() -> None:
    assert not holds('http.headers.x_env != "prod"', http__path="/")
    assert holds('!(http.headers.x_env == "prod")', http__path="/")


def test_all_values_must_match_unless_any() -> None:
    assert not holds('http.headers.x == "a"', http__headers__x=["a", "b"])
    assert holds('any(http.headers.x) == "a"', http__headers__x=["a", "b"])


def test_path_match_records_matched_prefix_and_captures() -> None:
    m = atc.Match()
    ctx: atc.Context = {"http.path": ["/prefix/rest"]}
    assert atc.evaluate(parsed('(http.path == "/prefix") || (http.path ~ "^/prefix(/.*)")'), ctx, m)
    assert m.path == "/prefix/rest" and m.captures is not None and m.captures.group(1) == "/rest"
    m = atc.Match()
    assert atc.evaluate(parsed('http.path ^= "/pre"'), ctx, m) and m.path == "/pre"


def test_rust_regex_limits() -> None:
    assert atc.rust_regex_problem("(?=a)") and atc.rust_regex_problem("(?<!a)b")
    assert atc.rust_regex_problem(r"(a)\1") and atc.rust_regex_problem("(?P<x>a)(?P=x)")
    assert atc.rust_regex_problem("(?>a)") and atc.rust_regex_problem("a++")
    assert atc.rust_regex_problem(r"\(?=x\)") is None  # escaped parentheses are literals
    assert atc.rust_regex_problem("(?P<name>a)") is None
    rx, why = atc.compile_rust_regex("^/(?<id>\\d+)\\z")
    assert why is None and rx is not None and rx.match("/12").group("id") == "12"  # type: ignore[union-attr]


def test_header_field_name() -> None:
    assert atc.header_field("X-Env") == "http.headers.x_env"


def _golden_expressions() -> list[str]:
    from ruamel.yaml import YAML

    out: list[str] = []
    for path in sorted(KIC_GOLDENS.glob("*/expression-routes-on_golden.yaml")):
        data = YAML(typ="safe").load(path.read_text()) or {}
        for service in data.get("services") or []:
            for route in service.get("routes") or []:
                if route.get("expression") is not None:
                    out.append(route["expression"])
    return out


def test_every_kic_golden_expression_parses() -> None:
    require_shared("kic-goldens", "v3.5.13")
    expressions = _golden_expressions()
    assert expressions
    failures = [f"{e!r}: {atc.parse(e)}" for e in expressions if isinstance(atc.parse(e), atc.AtcError)]
    assert not failures, failures
