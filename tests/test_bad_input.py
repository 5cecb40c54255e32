"""The bad-input corpus (tests/bad_input/cases.yaml): no traceback, the right exit code, the object named."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from migrate import yamlio
from migrate.loader import MAX_INPUT_BYTES
from tests.support import REPO, run_cli

BAD = Path(__file__).resolve().parent / "bad_input"
MANIFEST = BAD / "cases.yaml"


def _cases() -> dict[str, dict[str, Any]]:
    cases = next(yamlio.load_yaml_stream(MANIFEST.read_text()))
    assert isinstance(cases, dict)
    return cases


CASES = _cases()


def test_every_corpus_file_has_an_expectation() -> None:
    files = {p.name for p in BAD.iterdir() if p.is_file() and p != MANIFEST}
    assert files == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[name]
    monkeypatch.chdir(BAD)
    result = run_cli(["convert", name])  # catch_exceptions=False: any exception fails the test
    assert "Traceback" not in result.stderr + result.stdout
    assert result.exit_code == case["exit"], result.stderr
    for fragment in case.get("stderr", []):
        assert fragment in result.stderr
    for fragment in case.get("stdout", []):
        assert fragment in result.stdout


def test_bad_input_does_not_hide_good_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every corpus file at once: each is still reported, and the good objects still converted."""
    monkeypatch.chdir(BAD)
    result = run_cli(["convert", "."])
    assert result.exit_code == 2
    for case in CASES.values():
        for fragment in case.get("stderr", []):
            if "the input contains no Kubernetes objects" in fragment:
                continue  # only said when the whole run has nothing
            assert fragment in result.stderr
    assert "- listed.example.com" in result.stdout and "- good.example.com" in result.stdout


def _capped(max_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))


def test_alias_bomb_is_refused_with_bounded_memory() -> None:
    """Run in a child capped at 1 GiB of address space: an expanded billion laughs would need far more."""
    proc = subprocess.run(
        [sys.executable, "-m", "migrate", "convert", str(BAD / "alias-bomb.yaml")],
        capture_output=True, text=True, timeout=120, cwd=REPO, preexec_fn=lambda: _capped(1 << 30),
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    assert "Ingress/shop/laughs: YAML aliases expand this document to 926177133 nodes" in proc.stderr


def test_a_50_mb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "huge.yaml"
    doc = ("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: filler, namespace: shop}\n"
           "data: {k: '" + "x" * 1000 + "'}\n")
    with big.open("w") as fh:
        for _ in range(50 * 1024 * 1024 // len(doc) + 1):
            fh.write(doc)
    assert big.stat().st_size > 50 * 1024 * 1024 > MAX_INPUT_BYTES
    good = tmp_path / "good.yaml"
    good.write_text((BAD / "path-without-slash.yaml").read_text())
    result = run_cli(["convert", str(big), str(good)])
    assert result.exit_code == 2
    assert f"{big}: input is {big.stat().st_size} bytes; inputs larger than {MAX_INPUT_BYTES} bytes" in result.stderr
    assert "Ingress/shop/relative-path" in result.stderr, "the other input is still converted"


def test_oversized_stdin_is_refused() -> None:
    result = run_cli(["convert", "-"], stdin="#" * (MAX_INPUT_BYTES + 1))
    assert result.exit_code == 2
    assert "<stdin>: input is" in result.stderr and "are refused" in result.stderr
