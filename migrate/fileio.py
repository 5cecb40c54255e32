"""Atomic file writes: a temp file in the target directory, fsync, then rename.

A failure half-way leaves the targets as they were and no temp file behind.  Existing files are never
replaced unless the caller says so.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path


class RefuseOverwrite(Exception):
    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        names = ", ".join(str(p) for p in paths)
        super().__init__(f"refusing to overwrite existing file(s): {names} (use --force)")


def atomic_write(path: Path, content: str, *, force: bool = False) -> None:
    write_files({path: content}, force=force)


def write_files(files: Mapping[Path, str], *, force: bool = False, backup_suffix: str | None = None) -> None:
    """Write several files all-or-nothing as far as the filesystem allows.

    Every file is first written to a temp file beside its target; only when all temp files are
    complete are they renamed into place.  A replaced file is kept aside (a hard link, so no copy)
    until every rename succeeded: if one fails, the earlier renames are undone, so the targets end up
    as they were, and directories this call created are removed again.
    """
    existing = [p for p in files if p.exists()]
    if existing and not force:
        raise RefuseOverwrite(existing)
    created: list[Path] = []
    try:
        staged = _stage(files, created)
        _commit(staged, backup_suffix)
    except BaseException:
        for directory in reversed(created):
            with contextlib.suppress(OSError):
                directory.rmdir()  # only succeeds when empty, i.e. when nothing of ours remains
        raise


def _mkdirs(directory: Path, created: list[Path]) -> None:
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    directory.mkdir(parents=True, exist_ok=True)
    created.extend(reversed(missing))


def _stage(files: Mapping[Path, str], created: list[Path]) -> list[tuple[Path, Path]]:
    staged: list[tuple[Path, Path]] = []
    try:
        for target, content in files.items():
            _mkdirs(target.parent, created)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            tmp = Path(tmp_name)
            staged.append((tmp, target))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            if target.exists():
                os.chmod(tmp, target.stat().st_mode & 0o7777)
            else:
                os.chmod(tmp, 0o644)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    return staged


def _keep_aside(target: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent)
    os.close(fd)
    aside = Path(name)
    try:
        aside.unlink()
        os.link(target, aside)
    except OSError:
        try:
            shutil.copy2(target, aside)  # filesystems without hard links
        except BaseException:
            aside.unlink(missing_ok=True)
            raise
    return aside


def _commit(staged: list[tuple[Path, Path]], backup_suffix: str | None) -> None:
    done: list[tuple[Path, Path | None]] = []  # (target, what it replaced, kept aside)
    try:
        for tmp, target in staged:
            aside = _keep_aside(target) if target.exists() else None
            done.append((target, aside))
            os.replace(tmp, target)
    except BaseException:
        for target, aside in reversed(done):
            with contextlib.suppress(OSError):
                if aside is not None and target.exists() and os.path.samefile(aside, target):
                    aside.unlink()  # this rename never happened; renaming a hard link onto itself is a no-op
                elif aside is not None:
                    os.replace(aside, target)
                else:
                    target.unlink(missing_ok=True)
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for target, aside in done:
        if aside is None:
            continue
        if backup_suffix:
            os.replace(aside, target.with_name(target.name + backup_suffix))
        else:
            aside.unlink(missing_ok=True)
