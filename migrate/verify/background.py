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
import gc
import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
PARALLEL_ENV = "MIGRATE_VERIFY_PARALLEL"


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parallel_allowed() -> bool:
    return hasattr(os, "fork") and os.environ.get(PARALLEL_ENV, "1") != "0" and usable_cpus() > 1


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
    if pid == 0:  # the child: compute, send, leave without running the parent's exit handlers or flushing its buffers
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
    os.close(write_fd)

    def stop_child() -> None:  # the parent leaves early (an error, a signal): the child's work is moot
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass

    atexit.register(stop_child)

    def result() -> T:
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
        _, wait_status = os.waitpid(pid, 0)
        atexit.unregister(stop_child)
        if os.waitstatus_to_exitcode(wait_status) == 0 and data:
            try:
                value: T = pickle.loads(data)
                return value
            except (pickle.UnpicklingError, EOFError, AttributeError, ValueError):
                pass
        return work()

    return result
