"""The `migrate` command line.  Each command lives in migrate/commands/; heavy imports stay lazy.

A run imports only the module of the command it runs (`migrate helm-values ...` never compiles convert's or
scan's command module, nor builds their click parameters), the top-level help none; any other use of `app`
(`from migrate.cli import app`, as the tests do) registers every command.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer
import typer.core

from migrate import __version__

# Plain click help: typer's rich integration (used whenever `rich` happens to be importable) escapes brackets
# (`\[required]`) when markup is off and costs start-up time; the help text is written for plain output.
if hasattr(typer.core, "HAS_RICH"):
    typer.core.HAS_RICH = False

class _FlowGroup(typer.core.TyperGroup):
    """The top-level help lists the commands in the order of a migration, each with its whole one-line summary
    (whenever and in whatever order their modules were imported).  A run that names no command (the top-level
    help) imports none of their modules: the list needs only their names and summaries."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*SUMMARIES, *(name for name in self.commands if name not in SUMMARIES)]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and self._listing and cmd_name in SUMMARIES:
            return click.Command(cmd_name, short_help=SUMMARIES[cmd_name])  # listed, never run
        if command is not None and cmd_name in SUMMARIES:
            command.short_help = SUMMARIES[cmd_name]
        return command


_app = typer.Typer(
    cls=_FlowGroup,
    name="migrate",
    help=(
        "Move Kong users from Kubernetes Ingress to the Gateway API without breaking a route, and keep "
        "the Kong deployment (proxy Service ports, Helm values, listen strings) consistent with the Gateways."
    ),
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"migrate {__version__}")
        raise typer.Exit()


if TYPE_CHECKING:
    app: typer.Typer  # the Typer with every command registered (module __getattr__ below)


@_app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Kong Ingress -> Gateway API migration."""
    import warnings

    # Python's `re` warns about PCRE spellings in users' regexes (`[[:alpha:]]`: FutureWarning "Possible nested
    # set"); a Python warning on stderr is no report line, and it broke --report-format json there
    warnings.filterwarnings("ignore", message="Possible (nested set|set )", category=FutureWarning)


# The commands in the order of a migration, each with its whole one-line summary (the top-level help).
SUMMARIES = {
    "convert": "Ingresses, Kong annotations and Kong CRDs -> Gateway API objects, with a report; verifies "
               "the routing by default.",
    "verify": "Prove offline that Kong routes every request through the new objects as through the old ones.",
    "helm-values": "Kong Helm chart values, listen strings and proxy Service ports for the Gateway listeners.",
    "check": "Predict which Gateway listeners Kong's controller would reject, and the values that fix them.",
    "scan": "Read the objects and the Kong proxy from a live cluster (read-only): the plan plus readiness.",
}


# The command name -> the module under migrate/commands/ whose import registers it on `app`.
MODULES = {"convert": "convert", "verify": "verify", "helm-values": "helm_values", "check": "check", "scan": "scan"}
_loading = False


def _register(commands: list[str]) -> None:
    """Import these commands' modules: each registers its command on the Typer."""
    global _loading
    if _loading:  # a command module's own `from migrate.cli import app`, while it is being imported
        return
    _loading = True
    try:
        for name in commands:
            # the import statement's machinery (not importlib.import_module): `-X importtime` reports it
            __import__(f"migrate.commands.{MODULES[name]}")
    finally:
        _loading = False


def __getattr__(name: str) -> Any:
    if name == "app":
        _register(list(MODULES))
        if not _loading:
            globals()["app"] = _app  # complete from now on: later look-ups skip this function
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def commands_for(args: list[str]) -> list[str]:
    """The command a run with these arguments runs, whose module must be imported: none for the top-level
    help (`migrate -h convert` included), --version or an unknown command.  The top level has only flags, so
    the first argument that is not one names the command."""
    for arg in args:
        if arg in ("-h", "--help"):
            return []
        if not arg.startswith("-"):
            return [arg] if arg in MODULES else []
    return []


def main() -> None:
    _register(commands_for(sys.argv[1:]))
    _app()


if __name__ == "__main__":
    main()
