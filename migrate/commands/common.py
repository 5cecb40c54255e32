"""Shared CLI plumbing: reading inputs, printing errors, choosing where output goes."""

from __future__ import annotations

import sys
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
    stdin_text = sys.stdin.read() if "-" in paths else None
    result = load_inputs(paths, stdin_text=stdin_text)
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


def write_text_file(path: Path, text: str, force: bool) -> None:
    from migrate.fileio import RefuseOverwrite, atomic_write

    try:
        atomic_write(path, text, force=force)
    except RefuseOverwrite as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror or exc}") from None
