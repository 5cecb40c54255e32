"""Shared CLI plumbing: reading inputs, printing errors, choosing where output goes."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import typer

from migrate.loader import LoadResult, load_inputs


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


def read_inputs(paths: list[str], *, echo_errors: bool = True) -> LoadResult:
    """Load inputs; a run with no readable object at all is a usage error (exit 2).

    `echo_errors=False` leaves reporting input errors to the caller (e.g. inside its report), except when
    nothing at all could be read.
    """
    # A run allocates millions of small objects that live until it ends; with CPython's default thresholds
    # the cyclic GC re-scans all of them again and again (more than half the time of a 10,000-Ingress
    # conversion).  Cycles are rare here: collect far less often, and never scan the loaded input again.
    gc.set_threshold(50_000, 20, 20)
    stdin_text = sys.stdin.read() if "-" in paths else None
    result = load_inputs(paths, stdin_text=stdin_text)
    gc.freeze()
    if echo_errors or not result.docs:
        for err in result.errors:
            typer.echo(f"migrate: input error: {err}", err=True)
    if not result.docs:
        if not result.errors:
            typer.echo("migrate: error: the input contains no Kubernetes objects", err=True)
        raise typer.Exit(EXIT_USAGE)
    return result


def write_stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


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


def write_text_file(path: Path, text: str, force: bool) -> None:
    from migrate.fileio import atomic_write

    with _write_errors(str(path)):
        atomic_write(path, text, force=force)


def write_output_dir(output_dir: Path, files: dict[str, str], force: bool,
                     extra: dict[Path, str] | None = None) -> None:
    """Write `files` (names relative to `output_dir`) and `extra` (e.g. the --report file) all-or-nothing."""
    from migrate.fileio import write_files

    targets = {output_dir / name: text for name, text in files.items()} | (extra or {})
    with _write_errors(f"to {output_dir}"):
        write_files(targets, force=force)
