"""Every golden convert case routes like Kong: `migrate verify` finds no difference between the case's input
and its expected output, except the ones its `accepted-differences.txt` lists with a reason.

New cases under golden/convert/ are picked up automatically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer

from migrate.cli import app
from migrate.convert.choices import RouterFlavor
from migrate.convert.options import ConvertOptions
from migrate.convert.pipeline import run_convert
from migrate.kic.settings import parse_version, source_kic
from migrate.loader import load_inputs
from migrate.verify import VerifyOptions, parse_accepted, verify
from migrate.verify.render import render_text
from migrate.yamlio import load_yaml_stream
from tests.golden import case_ids, cases

CASES = cases("convert")
ACCEPTED = "accepted-differences.txt"


def convert_params(case: Path) -> dict[str, Any]:
    """The case's command line parsed by the real `convert` command definition."""
    args = [line for line in (case / "args.txt").read_text().splitlines() if line.strip()]
    assert args[0] == "convert"
    command = typer.main.get_command(app).commands["convert"]  # type: ignore[attr-defined]
    with command.make_context("convert", args[1:]) as ctx:
        return dict(ctx.params)


def after_objects(case: Path, params: dict[str, Any]) -> list[dict[str, Any]]:
    text = (case / "expected.out").read_text()
    if not text.strip():
        return []
    if str(params.get("output")) in ("json", "OutputFormat.JSON"):
        return list(json.loads(text)["items"])
    return [d for d in load_yaml_stream(text) if isinstance(d, dict)]


def verify_options(params: dict[str, Any], accepted: dict[str, str] | None = None) -> VerifyOptions:
    """The verification `convert` itself runs for these parameters."""
    target = parse_version(params["kic_version"]) if params.get("kic_version") else None
    source = source_kic(parse_version(params.get("source_kic_version") or "3")[0])
    return VerifyOptions(router_flavor=RouterFlavor(params["router_flavor"]), ingress_classes=tuple(params.get("ingress_class") or ()),
                         default_ingress_class=params.get("default_ingress_class"),
                         accepted=accepted or {}, target_kic=target, source_kic=source)


def convert_options(params: dict[str, Any]) -> ConvertOptions:
    return ConvertOptions(router_flavor=RouterFlavor(params["router_flavor"]),
                          ingress_classes=tuple(params.get("ingress_class") or ()),
                          default_ingress_class=params.get("default_ingress_class"),
                          source_kic_major=parse_version(params.get("source_kic_version") or "3")[0])


def case_sides(case: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[dict[str, Any]], dict[str, Any]]:
    """A golden case's input documents, the objects its `convert` verifies against and its command line
    (skips the cases without a stdout output); the working directory becomes the case's."""
    if not (case / "expected.out").exists():
        pytest.skip(f"{case.name} has no expected.out yet")
    params = convert_params(case)
    if params.get("output_dir") is not None:
        pytest.skip("the case writes its routes to --output-dir, not to expected.out")
    monkeypatch.chdir(case)
    stdin = (case / "stdin.yaml").read_text() if (case / "stdin.yaml").exists() else None
    before = load_inputs(params["inputs"], stdin_text=stdin).docs
    # the Service patches never reach stdout (expected.out); convert verifies with them applied
    patches = run_convert(before, convert_options(params)).patches
    return before, after_objects(case, params) + patches, params


@pytest.mark.parametrize("case", CASES, ids=case_ids("convert"))
def test_golden_conversion_routes_like_kong(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before, after, params = case_sides(case, monkeypatch)
    accepted = parse_accepted((case / ACCEPTED).read_text()) if (case / ACCEPTED).exists() else {}
    result = verify(before, after, verify_options(params, accepted))
    assert not result.differences, (
        f"{case.name}: the conversion routes requests differently from Kong; fix the converter, or list the "
        f"difference with its reason in {ACCEPTED}:\n{render_text(result)}")
    assert not result.stale_accepted, f"{case.name}: {ACCEPTED} lists requests that no longer differ: " \
                                      f"{result.stale_accepted}"
