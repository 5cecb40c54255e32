"""Shared CLI plumbing: reading inputs, printing errors, choosing where output goes."""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import typer

if TYPE_CHECKING:  # every command's --help imports this module: the loader only when inputs are read
    from migrate.loader import LoadResult


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


EXIT_OK = 0
EXIT_NEEDS_HUMAN = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    typer.echo(f"migrate: error: {message}", err=True)
    return typer.Exit(code)


def check_release(release: str, namespace: str) -> None:
    """--release and --namespace name the chart's objects (<release>-kong-proxy in <namespace>): Helm's rule for
    release names and the API server's for namespaces, or exit 2 (they went into Services unchecked)."""
    from migrate.names import is_dns1123_label, is_dns1123_subdomain

    if len(release) > 53 or not is_dns1123_subdomain(release):
        raise fail(f"--release {release!r} is not a valid Helm release name (lower-case DNS-1123, at most 53 "
                   "characters)")
    if not is_dns1123_label(namespace):
        raise fail(f"--namespace {namespace!r} is not a valid namespace name")


# young collections every 50,000 net allocations instead of 700 (see read_inputs)
BULK_GC_THRESHOLDS = (50_000, 20, 20)

Command = TypeVar("Command", bound=Callable[..., Any])


def bulk_run(command: Command) -> Command:
    """A command over a whole estate (convert, verify, scan) runs without the cyclic GC, restored when it ends.
    What it builds (parsed documents, models, reports, rendered text) holds no cycles to speak of and lives
    until the end, so collections only re-scan it: 0.85 s of a 7.8 s `convert --no-verify` of 10,000
    Ingresses, whose peak memory is the same without them (389 MiB); reference counting frees the rest."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return command(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return run  # type: ignore[return-value]


def read_inputs(paths: list[str], *, echo_errors: bool = True) -> LoadResult:
    """Load inputs; a run with no readable object at all is a usage error (exit 2).

    `echo_errors=False` leaves reporting input errors to the caller (e.g. inside its report), except when
    nothing at all could be read.
    """
    # A run allocates millions of small objects that live until it ends; with CPython's default thresholds
    # the cyclic GC re-scans all of them again and again (more than half the time of a 10,000-Ingress
    # conversion).  Cycles are rare here: collect far less often (the bulk commands not at all: bulk_run),
    # and never scan the loaded input again.
    gc.set_threshold(*BULK_GC_THRESHOLDS)
    from migrate.loader import load_inputs

    result = load_inputs(paths)  # stdin ('-') is read there, bounded and decoded as a file is
    gc.freeze()
    if echo_errors or not result.docs:
        for err in result.errors:
            typer.echo(f"migrate: input error: {err}", err=True)
    if not result.docs:
        if not result.errors:
            typer.echo("migrate: error: the input contains no Kubernetes objects", err=True)
        raise typer.Exit(EXIT_USAGE)
    return result


# helm-values' and check's Gateway input (check and scan must not import helm-values' module: it registers
# that command, whose parameters typer then builds on every run).
class ChartOpt(StrEnum):
    KONG = "kong"
    INGRESS = "ingress"


@dataclass
class Selected:
    gateways: list[Any]
    input_failed: bool  # an input or a Gateway could not be read, or the API server would reject one
    docs: list[Any]  # every object read (Ingress-era objects tell which served ports are still needed)


def load_gateways(inputs: list[str], selector: str | None, gateway_classes: list[str] | None = None) -> Selected:
    """The Gateways Kong serves: selected by --gateway and by Kong's GatewayClasses (the input's GatewayClass
    objects with KIC's controllerName, or --gateway-class); others are skipped with a note."""
    from migrate.kongstatus.gateways import kong_classes, read_gateways, select_gateways

    loaded = read_inputs(inputs)
    gateways, errors = read_gateways(loaded.docs)
    for err in errors:
        typer.echo(f"migrate: input error: {err}", err=True)
    if not gateways and not errors:
        raise fail("the input contains no readable Gateway (gateway.networking.k8s.io) objects")
    classes, how = kong_classes(loaded.docs, gateway_classes or ())
    ours = [g for g in gateways if g.class_name in classes]
    for g in gateways:
        if g not in ours:
            typer.echo(f"migrate: note: Gateway {g.key}: gatewayClassName {g.class_name!r} is not one of Kong's "
                       f"GatewayClasses ({', '.join(sorted(classes))}; {how}): skipped", err=True)
    if gateways and not ours:
        raise fail(f"no Gateway of Kong's GatewayClasses ({', '.join(sorted(classes))}) in the input; pass "
                   "--gateway-class NAME for the class Kong's controller serves")
    selected = select_gateways(ours, selector)
    if ours and not selected:
        known = ", ".join(g.key for g in ours)
        raise fail(f"--gateway {selector}: no such Gateway in the input (found: {known})")
    return Selected(selected, bool(loaded.errors or errors), list(loaded.docs))


EXIT_BROKEN_PIPE = 141  # what a shell reports for a command killed by SIGPIPE (128 + 13)


def write_stdout(text: str) -> None:
    """Write all of `text` to stdout or fail: every short write is an error, never a silent truncation.

    A full device (ENOSPC), a file-size limit (`ulimit -f`: EFBIG, or a write that stops short) or any other
    write error is exit 2 with the reason; a reader that went away (`| head -1`) ends the run at once, quietly,
    with the status a shell gives a process killed by SIGPIPE.
    """
    try:
        # a replaced sys.stdout (a test runner capturing output) may still report the real fd 1: write to it
        # as a stream then, or the capture sees nothing
        stream: TextIO = sys.stdout
        if stream is not sys.__stdout__:
            raise ValueError("captured stdout")
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (tests capture output in memory)
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    import os

    data = memoryview(text.encode("utf-8"))
    total = len(data)
    try:
        sys.stdout.flush()
        while data:
            written = os.write(fd, data)
            if written <= 0:
                raise OSError(0, f"the write stopped after {total - len(data)} of {total} bytes")
            data = data[written:]
    except BrokenPipeError:
        _quiet_exit_on_closed_pipe()
    except OSError as exc:
        done = total - len(data)
        raise fail(f"cannot write to stdout after {done} of {total} bytes: {exc.strerror or exc}; "
                   "the output is incomplete") from None


def _quiet_exit_on_closed_pipe() -> None:
    import os

    # Nothing more can reach the reader; make the interpreter's final flush of stdout a no-op too.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    raise typer.Exit(EXIT_BROKEN_PIPE)


@contextmanager
def _write_errors(what: str) -> Iterator[None]:
    """A refused overwrite or a filesystem error becomes a usage error (exit 2) naming `what`."""
    from migrate.fileio import RefuseOverwrite

    try:
        yield
    except RefuseOverwrite as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write {what}: {exc.strerror or exc}") from None


def check_files(paths: list[Path], force: bool) -> None:
    """Fail (exit 2) now if any of these destinations would be refused later."""
    from migrate.fileio import check_destinations

    with _write_errors("to " + ", ".join(str(p) for p in paths)):
        check_destinations(paths, force=force)


def write_text_file(path: Path, text: str, force: bool) -> None:
    from migrate.fileio import atomic_write

    with _write_errors(str(path)):
        atomic_write(path, text, force=force)


def write_output_dir(output_dir: Path, files: dict[str, str], force: bool,
                     extra: dict[Path, str] | None = None) -> None:
    """Write `files` (names relative to `output_dir`) and `extra` (e.g. the --report file) all-or-nothing."""
    from migrate.fileio import write_files

    targets = {output_dir / name: text for name, text in files.items()}
    for path in extra or {}:
        if path in targets:
            raise fail(f"cannot write to {output_dir}: {path} is also one of the files --output-dir writes; "
                       "refusing to write two outputs to it (pick another --report path)")
    targets |= extra or {}
    with _write_errors(f"to {output_dir}"):
        write_files(targets, force=force, marker_dir=output_dir)
