"""Golden-case runner shared by the command test modules.

A case is a folder holding `args.txt` (the command line after `migrate`, one argument per line, run from
inside the folder), its input files, and the exact expected outputs: `expected.out` (stdout),
`expected.err` (stderr: the report) and `expected.exit` (exit code).

After an intended change, regenerate with `MIGRATE_REGEN_GOLDEN=1 pytest tests/`, then read the diff
(`git diff golden/`) before committing: every changed line must be explained in the commit message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import GOLDEN, run_cli

REGEN = os.environ.get("MIGRATE_REGEN_GOLDEN") == "1"


@dataclass
class GoldenRun:
    stdout: str
    stderr: str
    exit_code: int


def cases(command: str) -> list[Path]:
    root = GOLDEN / command
    return sorted(p for p in root.iterdir() if (p / "args.txt").is_file()) if root.is_dir() else []


def case_ids(command: str) -> list[str]:
    return [p.name for p in cases(command)]


def run_case(case: Path, monkeypatch: pytest.MonkeyPatch) -> GoldenRun:
    args = [line for line in (case / "args.txt").read_text().splitlines() if line.strip()]
    stdin = (case / "stdin.yaml").read_text() if (case / "stdin.yaml").exists() else None
    monkeypatch.chdir(case)
    result = run_cli(args, stdin=stdin)
    return GoldenRun(result.stdout, result.stderr, result.exit_code)


def check_case(case: Path, run: GoldenRun) -> None:
    expected = {"expected.out": run.stdout, "expected.err": run.stderr, "expected.exit": f"{run.exit_code}\n"}
    if REGEN:
        for name, text in expected.items():
            (case / name).write_text(text)
        return
    for name, actual in expected.items():
        path = case / name
        assert path.exists(), f"{path} missing: run with MIGRATE_REGEN_GOLDEN=1 and review the result"
        assert actual == path.read_text(), f"{case.name}: {name} differs from the golden file"
