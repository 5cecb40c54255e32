"""Atomic, all-or-nothing file writes: migrate.fileio and the CLI flags that use it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from migrate import fileio
from migrate.fileio import RefuseOverwrite, write_files
from tests.support import REPO, run_cli

EXAMPLE = str(REPO / "examples" / "ingress.yaml")


def _tree(root: Path) -> dict[str, str]:
    """Every file under root (hidden temp files included) with its content."""
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def _fail_on_call(n: int, real: Callable[..., Any], exc: BaseException) -> Callable[..., Any]:
    calls = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == n:
            raise exc
        return real(*args, **kwargs)

    return wrapper


def test_writes_every_file_with_exact_content(tmp_path: Path) -> None:
    files = {tmp_path / "out" / "a.yaml": "a: 1\n", tmp_path / "out" / "sub" / "b.yaml": "b: ü\r\n"}
    write_files(files)
    assert sorted(_tree(tmp_path)) == ["out/a.yaml", "out/sub/b.yaml"]
    assert (tmp_path / "out" / "a.yaml").read_bytes() == b"a: 1\n"
    assert (tmp_path / "out" / "sub" / "b.yaml").read_bytes() == "b: ü\r\n".encode()
    assert (tmp_path / "out" / "a.yaml").stat().st_mode & 0o777 == 0o644


def test_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("old\n")
    with pytest.raises(RefuseOverwrite) as info:
        write_files({tmp_path / "a.yaml": "new a\n", tmp_path / "b.yaml": "new b\n"})
    assert info.value.paths == [tmp_path / "b.yaml"]
    assert "b.yaml" in str(info.value) and "--force" in str(info.value)
    assert _tree(tmp_path) == {"b.yaml": "old\n"}


def test_force_replaces_and_keeps_the_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "a.yaml"
    target.write_text("old\n")
    target.chmod(0o600)
    write_files({target: "new\n"}, force=True)
    assert _tree(tmp_path) == {"a.yaml": "new\n"}
    assert target.stat().st_mode & 0o777 == 0o600


def test_backup_suffix_keeps_the_replaced_content(tmp_path: Path) -> None:
    target = tmp_path / "values.yaml"
    target.write_text("old\n")
    write_files({target: "new\n", tmp_path / "other.yaml": "x\n"}, force=True, backup_suffix=".bak")
    assert _tree(tmp_path) == {"values.yaml": "new\n", "values.yaml.bak": "old\n", "other.yaml": "x\n"}


def test_failure_while_writing_the_second_file_leaves_nothing(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "keep.yaml").write_text("old\n")
    monkeypatch.setattr(fileio.os, "fsync", _fail_on_call(2, os.fsync, OSError(28, "No space left on device")))
    out = tmp_path / "out"
    with pytest.raises(OSError, match="No space left"):
        write_files({out / "a.yaml": "a\n", out / "b.yaml": "b\n", tmp_path / "keep.yaml": "new\n"}, force=True)
    assert _tree(tmp_path) == {"keep.yaml": "old\n"}
    assert not out.exists(), "the directory this call created is removed again"


@pytest.mark.parametrize("failing_rename", [1, 2, 3])
def test_failure_during_the_renames_rolls_back_the_earlier_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                failing_rename: int) -> None:
    (tmp_path / "b.yaml").write_text("old b\n")
    before = _tree(tmp_path)
    real_replace = os.replace
    # Only the renames of staged temp files count; rollback renames must go through.
    calls = {"n": 0}

    def replace(src: Any, dst: Any) -> None:
        if str(src).endswith(".tmp"):
            calls["n"] += 1
            if calls["n"] == failing_rename:
                raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(fileio.os, "replace", replace)
    files = {tmp_path / "a.yaml": "new a\n", tmp_path / "b.yaml": "new b\n", tmp_path / "c.yaml": "new c\n"}
    with pytest.raises(OSError, match="Input/output error"):
        write_files(files, force=True)
    assert _tree(tmp_path) == before


def test_interrupt_during_the_renames_also_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fileio.os, "replace", _fail_on_call(2, os.replace, KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        write_files({tmp_path / "a.yaml": "a\n", tmp_path / "b.yaml": "b\n"})
    assert _tree(tmp_path) == {}


# --- the CLI ------------------------------------------------------------------------------------------


def test_output_dir_refuses_existing_files_without_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = run_cli(["convert", EXAMPLE, "--output-dir", str(out)])
    assert first.exit_code == 0, first.stderr
    written = _tree(out)
    assert written and all(not name.startswith(".") for name in written)
    (out / "cluster.yaml").write_text("edited by hand\n")
    again = run_cli(["convert", EXAMPLE, "--output-dir", str(out)])
    assert again.exit_code == 2
    assert "refusing to overwrite" in again.stderr and "cluster.yaml" in again.stderr and "--force" in again.stderr
    assert _tree(out) == {**written, "cluster.yaml": "edited by hand\n"}
    forced = run_cli(["convert", EXAMPLE, "--output-dir", str(out), "--force"])
    assert forced.exit_code == 0
    assert _tree(out) == written


def test_output_dir_failure_half_way_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fileio.os, "replace", _fail_on_call(2, os.replace, OSError(28, "No space left on device")))
    out = tmp_path / "out"
    result = run_cli(["convert", EXAMPLE, "--output-dir", str(out)])
    assert result.exit_code == 2
    assert f"cannot write to {out}" in result.stderr and "No space left on device" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_report_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("previous report\n")
    result = run_cli(["convert", EXAMPLE, "--report", str(report)])
    assert result.exit_code == 2
    assert "refusing to overwrite" in result.stderr and "report.txt" in result.stderr
    assert report.read_text() == "previous report\n"
    forced = run_cli(["convert", EXAMPLE, "--report", str(report), "--force"])
    assert forced.exit_code == 0
    assert report.read_text().endswith("result: everything converted\n")
    assert _tree(tmp_path) == {"report.txt": report.read_text()}


def test_existing_report_stops_the_run_before_any_output_file(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("previous report\n")
    out = tmp_path / "out"
    result = run_cli(["convert", EXAMPLE, "--output-dir", str(out), "--report", str(report)])
    assert result.exit_code == 2
    assert "report.txt" in result.stderr
    assert _tree(tmp_path) == {"report.txt": "previous report\n"}
