"""`helm-values --in-place`: atomic rewrite with a backup, and no write at all when the plan has errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import GOLDEN, run_cli


def test_in_place_writes_the_merge_and_keeps_a_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = GOLDEN / "helm-values" / "merge-commented-values"
    for name in ("gateway.yaml", "values.yaml"):
        shutil.copy(case / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    original = Path("values.yaml").read_text()
    result = run_cli(["helm-values", "gateway.yaml", "--values", "values.yaml", "--udp-service", "separate",
                      "--in-place"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert Path("values.yaml.bak").read_text() == original
    assert Path("values.yaml").read_text() == (case / "expected.out").read_text()
    assert run_cli(["check", "gateway.yaml", "--values", "values.yaml"]).exit_code == 0


def test_in_place_leaves_the_file_alone_on_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = GOLDEN / "helm-values" / "error-two-http-ports"
    shutil.copy(case / "gateway.yaml", tmp_path / "gateway.yaml")
    monkeypatch.chdir(tmp_path)
    Path("values.yaml").write_text("# mine\nproxy: {}\n")
    result = run_cli(["helm-values", "gateway.yaml", "--values", "values.yaml", "--in-place"])
    assert result.exit_code == 1
    assert Path("values.yaml").read_text() == "# mine\nproxy: {}\n"
    assert not Path("values.yaml.bak").exists()
