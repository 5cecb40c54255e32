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


# --- destinations that must not be replaced (issues 13.3, 15.3, 15.5) ----------------------------------


def test_report_on_a_manifest_of_the_output_dir_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    same = run_cli(["convert", EXAMPLE, "--output-dir", str(out), "--report", str(out / "namespace-shop.yaml")])
    assert same.exit_code == 2
    assert "is also one of the files --output-dir writes" in same.stderr
    assert not out.exists()
    other_spelling = out / ".." / "plan" / "." / "namespace-shop.yaml"
    again = run_cli(["convert", EXAMPLE, "--output-dir", str(out), "--report", str(other_spelling), "--force"])
    assert again.exit_code == 2
    assert "are the same file: refusing to write two outputs to it" in again.stderr
    assert not out.exists()


def test_hard_link_to_a_target_is_the_same_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("old\n")
    os.link(tmp_path / "a.yaml", tmp_path / "b.yaml")
    with pytest.raises(fileio.RefuseWrite, match="are the same file"):
        write_files({tmp_path / "a.yaml": "1\n", tmp_path / "b.yaml": "2\n"}, force=True)
    assert _tree(tmp_path) == {"a.yaml": "old\n", "b.yaml": "old\n"}


def test_a_fifo_or_device_is_written_through_never_replaced(tmp_path: Path) -> None:
    import stat
    import threading

    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_files({fifo: "through the pipe\n"}, force=True)
    reader.join(timeout=30)
    assert got == [b"through the pipe\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    null_before = os.stat(os.devnull)
    write_files({Path(os.devnull): "discarded\n"}, force=True)
    null_after = os.stat(os.devnull)
    assert stat.S_ISCHR(null_after.st_mode) and null_after.st_ino == null_before.st_ino
    assert not [p for p in Path("/dev").glob(".null.*")]


def test_report_to_dev_null_with_force_keeps_dev_null(tmp_path: Path) -> None:
    before = os.stat(os.devnull)
    result = run_cli(["convert", EXAMPLE, "--no-verify", "--report", os.devnull, "--force"])
    assert result.exit_code == 0, result.stderr
    after = os.stat(os.devnull)
    assert after.st_ino == before.st_ino and after.st_rdev == before.st_rdev


def test_a_symlink_target_is_followed_and_the_link_kept(tmp_path: Path) -> None:
    real = tmp_path / "real" / "report.txt"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "report.txt"
    link.symlink_to(real)
    write_files({link: "new\n"}, force=True)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new\n"
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "missing" / "x.txt")
    with pytest.raises(fileio.RefuseWrite, match="symlink to a missing file"):
        write_files({dangling: "x\n"}, force=True)


def test_a_read_only_file_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "values.yaml"
    target.write_text("old\n")
    target.chmod(0o444)
    with pytest.raises(fileio.RefuseWrite, match=r"is read-only \(mode 0444\): not replaced"):
        write_files({target: "new\n"}, force=True, backup_suffix=".bak")
    assert _tree(tmp_path) == {"values.yaml": "old\n"}


def test_in_place_refuses_when_the_backup_cannot_be_made_first(tmp_path: Path) -> None:
    target = tmp_path / "values.yaml"
    target.write_text("old\n")
    (tmp_path / "values.yaml.bak").mkdir()
    with pytest.raises(fileio.RefuseWrite, match=r"cannot keep the backup of .*values.yaml.bak is a directory"):
        write_files({target: "new\n"}, force=True, backup_suffix=".bak")
    assert _tree(tmp_path) == {"values.yaml": "old\n"}
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_in_place_refuses_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "values.yaml"
    os.mkfifo(fifo)
    with pytest.raises(fileio.RefuseWrite, match="not a regular file"):
        write_files({fifo: "new\n"}, force=True, backup_suffix=".bak")


def test_backup_exists_before_the_file_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "values.yaml"
    target.write_text("old\n")
    real_replace = os.replace
    seen: list[str] = []

    def replace(src: Any, dst: Any) -> None:
        if Path(dst) == target:
            seen.append((tmp_path / "values.yaml.bak").read_text())
        real_replace(src, dst)

    monkeypatch.setattr(fileio.os, "replace", replace)
    write_files({target: "new\n"}, force=True, backup_suffix=".bak")
    assert seen == ["old\n"]
    assert _tree(tmp_path) == {"values.yaml": "new\n", "values.yaml.bak": "old\n"}


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_owner_and_mode_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "values.yaml"
    target.write_text("old\n")
    os.chown(target, 1234, 5678)
    target.chmod(0o640)
    write_files({target: "new\n"}, force=True, backup_suffix=".bak")
    st = target.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1234, 5678, 0o640)
    assert target.read_text() == "new\n"


def test_stale_temp_files_of_our_pattern_are_removed_by_the_next_write(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    out.mkdir()
    stale = [out / ".cluster.yaml.abcd1234.tmp", out / ".cluster.yaml.x_y9zz00.old"]
    for p in stale:
        p.write_text("left by a SIGKILL\n")
    theirs = out / ".cluster.yaml.swp"
    theirs.write_text("someone else's\n")
    write_files({out / "cluster.yaml": "new\n"}, marker_dir=out)
    assert _tree(out) == {"cluster.yaml": "new\n", ".cluster.yaml.swp": "someone else's\n"}


def test_incomplete_marker_is_there_only_during_the_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "plan"
    seen: list[bool] = []
    real_replace = os.replace

    def replace(src: Any, dst: Any) -> None:
        seen.append((out / fileio.INCOMPLETE_MARKER).exists())
        real_replace(src, dst)

    monkeypatch.setattr(fileio.os, "replace", replace)
    write_files({out / "a.yaml": "a\n", out / "b.yaml": "b\n"}, marker_dir=out)
    assert seen == [True, True]
    assert _tree(out) == {"a.yaml": "a\n", "b.yaml": "b\n"}


def test_sigterm_during_output_dir_leaves_the_old_files_and_no_temp_file(tmp_path: Path) -> None:
    """A child is stopped by SIGTERM in the middle of its renames: the rollback runs."""
    import signal
    import subprocess
    import sys
    import textwrap

    out = tmp_path / "plan"
    out.mkdir()
    for i in range(5):
        (out / f"f{i}.yaml").write_text(f"old {i}\n")
    script = textwrap.dedent(f"""
        import os, signal, sys
        from pathlib import Path
        from migrate import fileio
        real = os.replace
        count = [0]
        def replace(src, dst):
            real(src, dst)
            count[0] += 1
            if count[0] == 3:
                os.kill(os.getpid(), signal.SIGTERM)
        fileio.os.replace = replace
        out = Path({str(out)!r})
        fileio.write_files({{out / f"f{{i}}.yaml": f"new {{i}}\\n" for i in range(5)}}, force=True, marker_dir=out)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
    assert "Traceback" not in proc.stderr
    assert _tree(out) == {f"f{i}.yaml": f"old {i}\n" for i in range(5)}
