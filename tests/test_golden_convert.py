"""Golden cases for `migrate convert`: exact output, exact report, exit code, and oracle validity."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.yamlio import load_yaml_stream
from tests.golden import case_ids, cases, check_case, run_case
from tests.support import oracle_errors, oracle_targets

CASES = cases("convert")


@pytest.mark.parametrize("case", CASES, ids=case_ids("convert"))
def test_golden(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_case(case, monkeypatch)
    check_case(case, run)


@pytest.mark.parametrize("case", CASES, ids=case_ids("convert"))
def test_golden_output_is_accepted_by_the_api_server(case: Path) -> None:
    args = (case / "args.txt").read_text().split()
    version = args[args.index("--gateway-api-version") + 1] if "--gateway-api-version" in args else "v1.3"
    text = (case / "expected.out").read_text()
    if "-o" in args and args[args.index("-o") + 1] == "json":
        import json

        objects = json.loads(text)["items"]
    else:
        objects = [d for d in load_yaml_stream(text) if d]
    kinds = {o["kind"] for o in objects}
    for bundle, channel in oracle_targets(version, kinds):
        assert oracle_errors(objects, bundle, channel) == [], f"rejected by Gateway API {bundle} {channel}"
