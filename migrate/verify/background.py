"""Run verification in a child process while the parent renders and writes the output.

`convert` verifies by default, and verification costs more CPU than the conversion itself (2.5x-3.5x on the
benchmark estates); the rendering of the output (a YAML dump) is about 40 % of a plain conversion.  Neither needs the other's result
until the report is written, so on a machine with more than one CPU the verification runs in a forked child
and the parent renders meanwhile: the wall time becomes load + convert + max(render, verify).  The child sends
back only the report entries (plain tuples); its result is the one a serial run gives, which tests check.

Serial instead when the platform cannot fork, only one CPU is usable, or MIGRATE_VERIFY_PARALLEL=0.  A child
that fails for any reason is not trusted: the parent then runs the verification itself, so a bug surfaces
exactly as it would serially.
"""

from __future__ import annotations

import atexit
import functools
import gc
import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, TypeVar

T = TypeVar("T")
PARALLEL_ENV = "MIGRATE_VERIFY_PARALLEL"


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parallel_allowed() -> bool:
    return hasattr(os, "fork") and os.environ.get(PARALLEL_ENV, "1") != "0" and usable_cpus() > 1


def _child(work: Callable[[], object], read_fd: int, write_fd: int) -> NoReturn:
    """In a forked child: compute, send, leave without running the parent's exit handlers or flushing its
    buffers."""
    status = 0
    try:
        os.close(read_fd)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)  # the parent's handlers roll back the parent's writes
        payload = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_fd, "wb") as out:
            out.write(payload)
    except BaseException:  # noqa: BLE001 - anything: the parent redoes the work and sees the error itself
        status = 1
    os._exit(status)


def _collect(pid: int, read_fd: int, redo: Callable[[], T]) -> T:
    """The child's result, or `redo()` when the child failed."""
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    _, wait_status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(wait_status) == 0 and data:
        try:
            value: T = pickle.loads(data)
            return value
        except (pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            pass
    return redo()


def beside(work: Callable[[], T]) -> Callable[[], T]:
    """Start `work` (its result must pickle) and return a function that waits for its result."""
    if not parallel_allowed():
        value = work()
        return lambda: value
    # Objects that exist now are left out of the child's collections: they would otherwise be written to
    # (GC headers), copying every page of the parent's heap into the child.
    gc.freeze()
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(work, read_fd, write_fd)
    os.close(write_fd)

    def stop_child() -> None:  # the parent leaves early (an error, a signal): the child's work is moot
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass

    atexit.register(stop_child)

    def result() -> T:
        try:
            return _collect(pid, read_fd, work)
        finally:
            atexit.unregister(stop_child)

    return result


S = TypeVar("S")


def fork_map(work: Callable[[S], T], shards: Sequence[S]) -> list[T]:
    """`[work(s) for s in shards]`, the shards after the first in forked children (each result must pickle) while
    this process does the first.  A child that fails is not trusted: its shard is redone here.  One shard, or no
    fork: all here."""
    if len(shards) <= 1 or not hasattr(os, "fork"):
        return [work(s) for s in shards]
    gc.freeze()  # see `beside`: the children must not copy the heap by touching GC headers
    sys.stdout.flush()
    sys.stderr.flush()
    children: list[tuple[int, int]] = []  # (pid, read end)
    for shard in shards[1:]:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            _child(functools.partial(work, shard), read_fd, write_fd)
        os.close(write_fd)
        children.append((pid, read_fd))

    running = {pid for pid, _ in children}

    def stop_children() -> None:  # this process leaves early (an error, a signal): the children's work is moot
        for pid in sorted(running):
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        running.clear()

    atexit.register(stop_children)
    try:
        results = [work(shards[0])]
        for (pid, read_fd), shard in zip(children, shards[1:], strict=True):
            results.append(_collect(pid, read_fd, functools.partial(work, shard)))
            running.discard(pid)
    finally:
        stop_children()
        atexit.unregister(stop_children)
    return results
