"""Deliberately wrong conversions are each caught by the verifier; the right one passes.  Plus the CLI."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrate.convert.options import ConvertOptions
from migrate.convert.pipeline import run_convert
from migrate.verify import VerifyResult, verify
from migrate.verify.render import render_text
from migrate.yamlio import dump_yaml_documents
from tests.support import run_cli
from tests.verify_support import docs, ingress

BILLING = "billing.example.com"
SHOP = "shop.example.com"


def estate() -> list[dict[str, Any]]:
    billing = ingress("billing", BILLING, [("/invoices", "ImplementationSpecific", "invoices")], ns="billing",
                      created="2024-01-01T00:00:00Z",
                      annotations={"konghq.com/headers.x-tenant": "gold,silver", "konghq.com/protocols": "https",
                                   "konghq.com/https-redirect-status-code": "301"})
    admin = ingress("admin", SHOP, [("/admin", "Prefix", "admin")], ns="shop", created="2024-01-02T00:00:00Z",
                    annotations={"konghq.com/methods": "POST"})
    shop = ingress("shop", SHOP, [("/api", "Prefix", "shop-api")], ns="shop", created="2024-01-03T00:00:00Z")
    fallback = ingress("fallback", None, [], ns="shop", default_backend="fallback", created="2024-01-04T00:00:00Z")
    return [billing, admin, shop, fallback]


def converted() -> list[dict[str, Any]]:
    return run_convert(docs(*estate()), ConvertOptions()).objects


def check(after: list[dict[str, Any]]) -> VerifyResult:
    return verify(docs(*estate()), after)


def routes(objects: list[dict[str, Any]], name_part: str) -> list[dict[str, Any]]:
    found = [o for o in objects if o["kind"] == "HTTPRoute" and name_part in o["metadata"]["name"]]
    assert found, f"no HTTPRoute named like {name_part!r}"
    return found


def matches(route: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for r in route["spec"]["rules"] for m in r.get("matches", [])]


def test_default_backend_also_catches_https_requests_of_tls_hosts() -> None:
    objs = [ingress("app", BILLING, [("/app", "Prefix", "app")], tls=[BILLING]),
            ingress("fallback", None, [], default_backend="fallback")]
    result = verify(docs(*objs), run_convert(docs(*objs), ConvertOptions()).objects)
    assert result.differences == [], render_text(result)


def test_the_right_conversion_routes_like_kong() -> None:
    result = check(converted())
    assert result.probes > 50
    assert result.differences == [], render_text(result)


def _pathprefix_for_raw_prefix(objs: list[dict[str, Any]]) -> None:
    for route in routes(objs, "billing"):
        for m in matches(route):
            m["path"] = {"type": "PathPrefix", "value": "/invoices"}


def _drop_header_match(objs: list[dict[str, Any]]) -> None:
    for route in routes(objs, "billing"):
        for m in matches(route):
            m.pop("headers", None)


def _leak_annotation_to_neighbour(objs: list[dict[str, Any]]) -> None:
    for route in routes(objs, "shop"):
        for m in matches(route):
            m["method"] = "POST"  # admin's konghq.com/methods applied to the shop Ingress's route too


def _lose_default_backend(objs: list[dict[str, Any]]) -> None:
    doomed = routes(objs, "default-backend")
    objs[:] = [o for o in objs if o not in doomed]


def _wrong_redirect(objs: list[dict[str, Any]]) -> None:
    # without an HTTPS listener the redirect stays a Kong annotation on the route; with one it is a filter
    for route in routes(objs, "billing"):
        annotations = route["metadata"].get("annotations", {})
        if "konghq.com/https-redirect-status-code" in annotations:
            annotations["konghq.com/https-redirect-status-code"] = "302"
        for r in route["spec"]["rules"]:
            for f in r.get("filters", []):
                if f["type"] == "RequestRedirect":
                    f["requestRedirect"]["statusCode"] = 302


def _differs(result: VerifyResult, text: str, before: str, after: str) -> bool:
    return any(d.request.describe() == text and before in d.before.describe() and after in d.after.describe()
               for d in result.differences)


WRONG: dict[str, tuple[Callable[[list[dict[str, Any]]], None], str, str, str]] = {
    # mutation, a request it changes, what Kong did, what the wrong conversion does
    "PathPrefix for a raw Kong prefix": (_pathprefix_for_raw_prefix, f"http GET {BILLING}/invoicesx x-tenant=gold",
                                         "redirect 301", "shop/fallback:80"),
    "dropped header match": (_drop_header_match, f"http GET {BILLING}/invoices", "shop/fallback:80",
                             "redirect 301"),
    "annotation leaked to a neighbour Ingress": (_leak_annotation_to_neighbour, f"http GET {SHOP}/api",
                                                 "shop/shop-api:80", "shop/fallback:80"),
    "lost default backend": (_lose_default_backend, "http GET uncovered.invalid/", "shop/fallback:80", "status 404"),
    "wrong redirect": (_wrong_redirect, f"http GET {BILLING}/invoices x-tenant=gold", "redirect 301", "redirect 302"),
}


@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_a_wrong_conversion_is_caught(mistake: str) -> None:
    mutate, request, before, after = WRONG[mistake]
    objs = copy.deepcopy(converted())
    mutate(objs)
    result = check(objs)
    assert result.exit_code() == 1
    assert _differs(result, request, before, after), render_text(result)


# ---------------------------------------------------------------------------------------------------
# CLI


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    before = tmp_path / "ingress.yaml"
    before.write_text(dump_yaml_documents(estate(), ""))
    good = tmp_path / "gateway.yaml"
    good.write_text(dump_yaml_documents(converted(), ""))
    bad = tmp_path / "wrong.yaml"
    objs = copy.deepcopy(converted())
    _lose_default_backend(objs)
    bad.write_text(dump_yaml_documents(objs, ""))
    return before, good, bad


def test_cli_exit_codes_and_text_output(files: tuple[Path, Path, Path]) -> None:
    before, good, bad = files
    ok = run_cli(["verify", "--before", str(before), "--after", str(good)])
    assert ok.exit_code == 0, ok.stdout
    assert ok.stdout.startswith("verify (traditional router, after side on KIC ")
    assert " 0 different" in ok.stdout.splitlines()[0]
    wrong = run_cli(["verify", "--before", str(before), "--after", str(bad)])
    assert wrong.exit_code == 1
    assert "DIFFERENT http GET uncovered.invalid/\n" in wrong.stdout
    assert "before: backend shop/fallback:80  [Ingress/shop/fallback spec.defaultBackend]" in wrong.stdout
    missing = run_cli(["verify", "--before", str(before), "--after", str(before.parent / "nope.yaml")])
    assert missing.exit_code == 2


def test_cli_json_and_accepted_differences(files: tuple[Path, Path, Path], tmp_path: Path) -> None:
    before, _, bad = files
    out = run_cli(["verify", "--before", str(before), "--after", str(bad), "-o", "json"])
    data = json.loads(out.stdout)
    assert data["exitCode"] == 1 and data["different"] == len(data["differences"]) > 0
    first = data["differences"][0]
    assert set(first) == {"request", "before", "after", "kicVersions"} and first["before"]["sources"]
    accept = tmp_path / "accepted.txt"
    accept.write_text("".join(f"{d['request']['text']} -- the default backend is retired on purpose\n"
                              for d in data["differences"]))
    accepted = run_cli(["verify", "--before", str(before), "--after", str(bad), "--accept", str(accept)])
    assert accepted.exit_code == 0, accepted.stdout
    assert "accepted: the default backend is retired on purpose" in accepted.stdout
    accept.write_text("http GET x/ no reason given\n")
    assert run_cli(["verify", "--before", str(before), "--after", str(bad), "--accept", str(accept)]).exit_code == 2


def test_convert_verifies_by_default_and_reports_the_differences(tmp_path: Path) -> None:
    wrong_input = tmp_path / "in.yaml"
    # traditional_compatible orders regex paths by age only: the longer raw prefix loses (a real difference)
    wrong_input.write_text(dump_yaml_documents([
        ingress("raw", SHOP, [("/api", "ImplementationSpecific", "api"), ("/api/v2", "ImplementationSpecific", "v2")]),
    ], ""))
    args = ["convert", str(wrong_input), "--router-flavor", "traditional_compatible"]
    result = run_cli(args)
    assert result.exit_code == 1
    assert "unconverted routing: http GET shop.example.com/api/v2: before backend apps/v2:80" in result.stderr
    plain = run_cli([*args, "--no-verify"])
    assert "routing" not in plain.stderr
