"""The code base stays ruff- and mypy-clean: part of the one test command, so CI enforces it."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.support import REPO


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_ruff_clean() -> None:
    if shutil.which("ruff") is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    result = _run(["ruff", "check", "migrate", "generators", "tests", "benchmarks"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_clean() -> None:
    result = _run([sys.executable, "-m", "mypy"])
    assert result.returncode == 0, result.stdout + result.stderr
