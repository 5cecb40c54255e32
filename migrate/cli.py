"""The `migrate` command line.  Each command lives in migrate/commands/; heavy imports stay lazy."""

from __future__ import annotations

from typing import Annotated

import typer
import typer.core

from migrate import __version__

# Plain click help: typer's rich integration (used whenever `rich` happens to be importable) escapes brackets
# (`\[required]`) when markup is off and costs start-up time; the help text is written for plain output.
if hasattr(typer.core, "HAS_RICH"):
    typer.core.HAS_RICH = False

app = typer.Typer(
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


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Kong Ingress -> Gateway API migration."""


# The top-level help lists the commands in the order of a migration, each with its whole one-line summary.
SUMMARIES = {
    "convert": "Ingresses, Kong annotations and Kong CRDs -> Gateway API objects, with a report; verifies "
               "the routing by default.",
    "verify": "Prove offline that Kong routes every request through the new objects as through the old ones.",
    "helm-values": "Kong Helm chart values, listen strings and proxy Service ports for the Gateway listeners.",
    "check": "Predict which Gateway listeners Kong's controller would reject, and the values that fix them.",
    "scan": "Read the objects and the Kong proxy from a live cluster (read-only): the plan plus readiness.",
}


def _register() -> None:
    # Importing a command module registers its command on `app`; the help lists them in the flow's order.
    from migrate.commands import check, convert, helm_values, scan, verify  # noqa: F401

    order = list(SUMMARIES)

    def name_of(info: typer.models.CommandInfo) -> str:
        return info.name or (info.callback.__name__.replace("_", "-") if info.callback else "")

    app.registered_commands.sort(key=lambda info: order.index(name_of(info)) if name_of(info) in order else len(order))
    for info in app.registered_commands:
        name = name_of(info)
        if name in SUMMARIES:
            info.short_help = SUMMARIES[name]


_register()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
