"""Work in forked processes beside this one, for the commands' large runs (pure Python is one CPU per process).

* `beside_fed`: `convert` starts its verification in a child as soon as the input is read; the child translates
  today's side (which needs only the input) while the parent converts, receives the output (pickled through a
  pipe) and translates and compares it while the parent renders and writes the output;
* `fork_map`: work split into shards, one process per shard (verification routes its probes so; `convert`
  and `scan` without verification render a large output so).
Each child sends back plain data (report entries, tallies, text); the result is the one a serial run gives,
which tests check.

Serial instead when the platform cannot fork, only one CPU is usable, or MIGRATE_PARALLEL=0.  A child that
fails for any reason is not trusted: its work is redone in the process that forked it, so a bug surfaces
exactly as it would serially.  A parent that leaves early (an error, a signal) kills its children.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import os
import pickle
import select
import signal
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, NoReturn, Protocol, TypeVar

T = TypeVar("T")
PARALLEL_ENV = "MIGRATE_PARALLEL"


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parallel_allowed() -> bool:
    return hasattr(os, "fork") and os.environ.get(PARALLEL_ENV, "1") != "0" and usable_cpus() > 1


def _fork() -> int:
    # Objects that exist now are left out of later collections: they would otherwise be written to (GC headers)
    # on both sides, copying every page of the heap into the child; buffered output must not be written twice.
    gc.freeze()
    sys.stdout.flush()
    sys.stderr.flush()
    return os.fork()


# In a forked child (which leaves with os._exit): what is kept alive until then, never freed
_kept: list[object] | None = None


def keep_until_exit(*objects: object) -> None:
    """In a forked child, keep `objects` alive until it exits: freeing large structures object by object (the
    routers and probes of 10,000 Ingresses: about a second) is work for nothing in a process about to leave.
    Elsewhere nothing: they are freed as usual."""
    if _kept is not None:
        _kept.extend(objects)


def _child(work: Callable[[], object], read_fd: int, write_fd: int) -> NoReturn:
    """In a forked child: compute, send, leave without running the parent's exit handlers or flushing its
    buffers."""
    global _kept
    _kept = []
    # No cyclic garbage collection in a child: it leaves soon (os._exit), and what it builds (translations,
    # routers, probes, rendered text) holds no cycles to speak of: the 10,000-Ingress verification child's peak
    # memory is the same without it (557 MiB), while its collections took 1.3 s of its CPU there, re-scanning
    # structures that live until it exits.  Reference counting still frees everything else.
    gc.disable()
    status = 0
    try:
        os.close(read_fd)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)  # the parent's handlers roll back the parent's writes
        payload = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_fd, "wb") as out:
            out.write(_LENGTH.pack(len(payload)) + payload)
    except BaseException:  # noqa: BLE001 - anything: the parent redoes the work and sees the error itself
        status = 1
    os._exit(status)


def _stopper(pid: int) -> Callable[[], None]:
    """What stops the child `pid` when this process leaves early (an error, a signal): its work is moot."""

    def stop() -> None:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass

    return stop


_LENGTH = struct.Struct("<Q")


def _collect(pid: int, read_fd: int, redo: Callable[[], T]) -> T:
    """The child's result, or `redo()` when the child failed (a child writes only a finished result, and a
    pickle that loads is whole).  The child is reaped either way: its resource usage (peak memory) then counts
    as this process's children's."""
    with os.fdopen(read_fd, "rb") as pipe:
        # length first: the end of the pipe comes only when every process holding it has exited, and the
        # child's own children (verification shards) hold it too
        head = pipe.read(_LENGTH.size)
        data = pipe.read(_LENGTH.unpack(head)[0]) if len(head) == _LENGTH.size else b""
    loaded: list[T] = []
    if data:
        with contextlib.suppress(pickle.UnpicklingError, EOFError, AttributeError, ValueError, IndexError):
            loaded.append(pickle.loads(data))
    _reap(pid)
    return loaded[0] if loaded else redo()


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


S = TypeVar("S")
In = TypeVar("In")
In_co = TypeVar("In_co", covariant=True)


class Inbox(Protocol[In_co]):
    """What `beside_fed`'s work receives: the value this process feeds later."""

    def ready(self) -> bool:
        """Whether `get` would return at once."""

    def get(self) -> In_co:
        """The value (waits for it)."""


@dataclass
class _Fed(Generic[In]):
    """The inbox of a serial run: fed before the work runs."""

    values: list[In]

    def ready(self) -> bool:
        return True

    def get(self) -> In:
        return self.values[0]


class _PipeInbox(Generic[In]):
    def __init__(self, fd: int) -> None:
        self._fd = fd

    def ready(self) -> bool:
        return bool(select.select([self._fd], [], [], 0)[0])

    def get(self) -> In:
        with os.fdopen(self._fd, "rb") as pipe:
            head = pipe.read(_LENGTH.size)
            if len(head) != _LENGTH.size:
                raise EOFError("the parent sent no input")
            value: In = pickle.loads(pipe.read(_LENGTH.unpack(head)[0]))
        return value


def beside_fed(work: Callable[[Inbox[In]], T]) -> tuple[Callable[[In], None], Callable[[], T]]:
    """Start `work(inbox)` now, in a forked child; `feed(value)` later makes `inbox.get()` return `value` there
    (it must pickle), and the second function waits for the result.  So the child does what needs no input
    while this process computes the input (`inbox.ready()` says when it has come).  A failed child: the work is
    redone here."""
    fed: list[In] = []

    def redo() -> T:
        return work(_Fed(fed))

    if not parallel_allowed():
        return fed.append, redo
    result_read, result_write = os.pipe()
    input_read, input_write = os.pipe()
    pid = _fork()
    if pid == 0:
        os.close(input_write)
        _child(functools.partial(work, _PipeInbox(input_read)), result_read, result_write)
    os.close(result_write)
    os.close(input_read)
    stop_child = _stopper(pid)
    atexit.register(stop_child)
    writer: list[threading.Thread] = []

    def feed(value: In) -> None:
        fed.append(value)
        try:  # pickled here, at once (in the thread it would take turns with this process's work for the GIL)
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - it does not pickle: the child's input ends early, the child fails
            payload = b""  # and its work is redone here

        def send() -> None:  # a thread: the child may be busy, and a full pipe must not stall this process
            try:
                with os.fdopen(input_write, "wb") as pipe:
                    if payload:
                        pipe.write(_LENGTH.pack(len(payload)) + payload)
            except Exception:  # noqa: BLE001 - the child is gone: nothing to tell it
                pass

        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        writer.append(thread)

    def result() -> T:
        try:
            return _collect(pid, result_read, redo)
        finally:
            atexit.unregister(stop_child)
            for thread in writer:
                thread.join()

    return feed, result


def fork_map(work: Callable[[S], T], shards: Sequence[S]) -> list[T]:
    """`[work(s) for s in shards]`, the shards after the first in forked children (each result must pickle) while
    this process does the first.  A child that fails is not trusted: its shard is redone here.  One shard, or no
    fork: all here."""
    if len(shards) <= 1 or not hasattr(os, "fork"):
        return [work(s) for s in shards]
    children: list[tuple[int, int]] = []  # (pid, read end)
    for shard in shards[1:]:
        read_fd, write_fd = os.pipe()
        pid = _fork()
        if pid == 0:
            _child(functools.partial(work, shard), read_fd, write_fd)
        os.close(write_fd)
        children.append((pid, read_fd))

    running = {pid for pid, _ in children}

    def stop_children() -> None:
        for pid in sorted(running):
            _stopper(pid)()
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
