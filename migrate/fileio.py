"""Atomic file writes: a temp file in the target directory, fsync, then rename.

A failure half-way (SIGTERM included) leaves the targets as they were and no temp file behind; temp files a
SIGKILL left behind (`.<name>.<random>.tmp`/`.old`) are removed by the next write to the same target.
Existing files are never replaced unless the caller says so, and never when they are read-only.  What is
written is resolved first: a symlink is followed (the file it points to is replaced, the link stays), two
spellings of one file are refused, a device node or FIFO (`/dev/null`, `/dev/stderr`, a named pipe) is
written through, never renamed over, and a backup (`FILE.bak`) is made before the file is replaced.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

# Written into an --output-dir before its files are renamed into place and removed once all of them are:
# a directory holding it was interrupted (SIGKILL, power loss) mid-commit and must not be applied.
INCOMPLETE_MARKER = ".migrate-incomplete"


class RefuseOverwrite(Exception):
    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        names = ", ".join(str(p) for p in paths)
        super().__init__(f"refusing to overwrite existing file(s): {names} (use --force)")


class RefuseWrite(OSError):
    """A destination that must not be written as asked (an OSError, so every caller reports it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class _Target:
    given: Path  # as the caller spelled it (names messages and the backup)
    real: Path  # the file actually written (symlinks followed)
    special: bool  # an existing device node or FIFO: written through
    exists: bool
    mode: int = 0
    uid: int = -1
    gid: int = -1


def check_destinations(paths: list[Path], *, force: bool = False) -> None:
    """Refuse up front what `write_files` would refuse for these paths (existing files without `force`, two
    outputs on one file), so a command fails before it prints anything."""
    _plan({p: "" for p in paths}, force, None)


def atomic_write(path: Path, content: str, *, force: bool = False) -> None:
    write_files({path: content}, force=force)


def _writable(st: os.stat_result, path: Path) -> bool:
    if os.geteuid() == 0:  # root may write anything: respect the mode bits the user set instead
        return bool(st.st_mode & 0o222)
    return os.access(path, os.W_OK)


def _resolve(given: Path, backup_suffix: str | None) -> _Target:
    if given.is_symlink() and not given.exists():
        raise RefuseWrite(f"{given} is a symlink to a missing file ({os.readlink(given)}): not written")
    real = Path(os.path.realpath(given))
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return _Target(given, real, False, False)
    if stat.S_ISDIR(st.st_mode):
        raise RefuseWrite(f"{given} is a directory")
    if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
        if backup_suffix:
            raise RefuseWrite(f"{given} is not a regular file (a device or FIFO): it cannot be rewritten in place "
                              "with a backup")
        return _Target(given, real, True, True)
    if not stat.S_ISREG(st.st_mode):
        raise RefuseWrite(f"{given} is not a regular file, a character device or a FIFO: not written")
    if not _writable(st, real):
        raise RefuseWrite(f"{given} is read-only (mode {stat.S_IMODE(st.st_mode):04o}): not replaced; make it "
                          "writable (chmod u+w) if it should be")
    return _Target(given, real, False, True, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)


def _backup_path(t: _Target, suffix: str) -> Path:
    bak = t.given.with_name(t.given.name + suffix)
    if bak.is_symlink() or (bak.exists() and not bak.is_file()):
        kind = "a symlink" if bak.is_symlink() else "a directory" if bak.is_dir() else "not a regular file"
        raise RefuseWrite(f"cannot keep the backup of {t.given}: {bak} is {kind}; move it away first "
                          f"(nothing was written)")
    return bak


def _plan(files: Mapping[Path, str], force: bool, backup_suffix: str | None) -> list[tuple[_Target, str]]:
    planned: list[tuple[_Target, str]] = []
    seen: dict[object, Path] = {}
    for given, content in files.items():
        t = _resolve(given, backup_suffix)
        keys: list[object] = [t.real]
        if t.exists:
            st = os.stat(t.real)
            keys.append((st.st_dev, st.st_ino))  # hard links are one file too
        for key in keys:
            if key in seen and seen[key] != given:
                raise RefuseWrite(f"{seen[key]} and {given} are the same file: refusing to write two outputs to it "
                                  "(pick another --report path or --output-dir)")
            seen[key] = given
        planned.append((t, content))
    existing = [t.given for t, _ in planned if t.exists and not t.special]
    if existing and not force:
        raise RefuseOverwrite(existing)
    if backup_suffix:
        for t, _ in planned:
            if t.exists:
                _backup_path(t, backup_suffix)
    return planned


def _stale_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(name)}\.[a-z0-9_]{{8}}\.(?:tmp|old|bak)$")


def remove_stale_temp_files(targets: list[Path]) -> list[Path]:
    """Remove the temp files an interrupted earlier write to `targets` left behind (our pattern only)."""
    removed: list[Path] = []
    by_dir: dict[Path, set[str]] = {}
    for target in targets:
        by_dir.setdefault(target.parent, set()).add(target.name)
    for directory, names in by_dir.items():
        patterns = [_stale_pattern(n) for n in names]
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") and any(p.match(entry.name) for p in patterns) \
                    and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


class _Terminated(BaseException):
    pass


@contextlib.contextmanager
def _sigterm_rolls_back() -> Iterator[None]:
    """SIGTERM (and SIGHUP) during a write raise, so the rollback runs and no temp file is left behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def handler(signum: int, frame: object) -> None:
        received.append(signum)
        raise _Terminated(signum)

    previous = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    except _Terminated:
        pass
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
    if received:
        raise SystemExit(128 + received[0])


def write_files(files: Mapping[Path, str], *, force: bool = False, backup_suffix: str | None = None,
                marker_dir: Path | None = None) -> None:
    """Write several files all-or-nothing as far as the filesystem allows.

    Every file is first written to a temp file beside its target; only when all temp files are
    complete are they renamed into place.  A replaced file is kept aside (a hard link, so no copy)
    until every rename succeeded: if one fails, the earlier renames are undone, so the targets end up
    as they were, and directories this call created are removed again.  With `backup_suffix`, each
    replaced file's old content is at FILE<suffix> before FILE is replaced.  With `marker_dir`, the
    INCOMPLETE_MARKER file is there for exactly as long as the renames take.
    """
    planned = _plan(files, force, backup_suffix)
    regular = {t.real: (t, content) for t, content in planned if not t.special}
    remove_stale_temp_files(list(regular) + [t.given for t, _ in planned if t.given != t.real])
    created: list[Path] = []
    marker = marker_dir / INCOMPLETE_MARKER if marker_dir is not None else None
    with _sigterm_rolls_back():
        try:
            staged = _stage(regular, created)
            if marker is not None:
                _mkdirs(marker.parent, created)
                marker.write_text("a migrate run was interrupted while writing this directory: do not apply it; "
                                  "run migrate again\n", encoding="utf-8")
            _commit(staged, backup_suffix)
            if marker is not None:
                _fsync_dir(marker.parent)
                marker.unlink(missing_ok=True)
        except BaseException:
            if marker is not None:
                marker.unlink(missing_ok=True)
            for directory in reversed(created):
                with contextlib.suppress(OSError):
                    directory.rmdir()  # only succeeds when empty, i.e. when nothing of ours remains
            raise
    for t, content in planned:
        if t.special:
            _write_through(t, content)


def _write_through(t: _Target, content: str) -> None:
    """Write into a device node or FIFO as `>` would: opened for writing, never unlinked or renamed over."""
    data = memoryview(content.encode("utf-8"))
    fd = os.open(t.real, os.O_WRONLY | os.O_NOCTTY)
    try:
        while data:
            n = os.write(fd, data)
            if n <= 0:
                raise OSError(0, f"short write to {t.given}")
            data = data[n:]
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _mkdirs(directory: Path, created: list[Path]) -> None:
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    directory.mkdir(parents=True, exist_ok=True)
    created.extend(m for m in reversed(missing) if m not in created)


def _stage(files: Mapping[Path, tuple[_Target, str]], created: list[Path]) -> list[tuple[Path, _Target]]:
    staged: list[tuple[Path, _Target]] = []
    try:
        for target, (t, content) in files.items():
            _mkdirs(target.parent, created)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            tmp = Path(tmp_name)
            staged.append((tmp, t))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            if t.exists:
                st = os.stat(tmp)
                if (st.st_uid, st.st_gid) != (t.uid, t.gid):
                    try:
                        os.chown(tmp, t.uid, t.gid)
                    except OSError:
                        raise RefuseWrite(f"{t.given} is owned by {t.uid}:{t.gid}, which this user cannot give "
                                          "the new file: not replaced") from None
                os.chmod(tmp, t.mode)
            else:
                os.chmod(tmp, 0o644)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    return staged


def _keep_aside(target: Path, suffix: str = ".old", directory: Path | None = None, name_of: Path | None = None) -> Path:
    """A second name for `target`'s current content (a hard link, else a copy) in `directory`, named after
    `name_of` (default `target`) with our temp-file pattern."""
    directory = directory or target.parent
    fd, name = tempfile.mkstemp(prefix=f".{(name_of or target).name}.", suffix=suffix, dir=directory)
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


def _commit(staged: list[tuple[Path, _Target]], backup_suffix: str | None) -> None:
    done: list[tuple[Path, Path | None]] = []  # (target, what it replaced, kept aside)
    try:
        for tmp, t in staged:
            target = t.real
            aside = _keep_aside(target) if target.exists() else None
            done.append((target, aside))
            if aside is not None and backup_suffix:
                # The backup exists before the file is replaced: an interruption never leaves the old content
                # only in a hidden temp file.
                bak = _backup_path(t, backup_suffix)
                bak_tmp = _keep_aside(aside, ".bak", bak.parent, t.given)
                os.replace(bak_tmp, bak)
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
    for _target, aside in done:
        if aside is not None:
            aside.unlink(missing_ok=True)
