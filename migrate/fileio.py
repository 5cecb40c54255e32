"""Atomic file writes: a temp file in the target directory, fsync, then rename.

A failure half-way leaves the target untouched and no temp file behind.  Existing files are never
replaced unless the caller says so.
"""

from __future__ import annotations

import os
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
    complete are they renamed into place.  Any failure before that removes the temp files.
    """
    existing = [p for p in files if p.exists()]
    if existing and not force:
        raise RefuseOverwrite(existing)
    staged: list[tuple[Path, Path]] = []
    try:
        for target, content in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
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
    for tmp, target in staged:
        if backup_suffix and target.exists():
            backup = target.with_name(target.name + backup_suffix)
            backup.write_bytes(target.read_bytes())
        os.replace(tmp, target)
