"""The `migrate` command line.  Each command lives in migrate/commands/; heavy imports stay lazy."""

from __future__ import annotations

from typing import Annotated

import typer

from migrate import __version__

app = typer.Typer(
    name="migrate",
    help=(
        "Move Kong users from Kubernetes Ingress to the Gateway API without breaking a route, and keep "
        "the Kong deployment (proxy Service ports, Helm values, listen strings) consistent with the Gateways."
    ),
    no_args_is_help=True,
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


def _register() -> None:
    # Importing a command module registers its command on `app`.
    from migrate.commands import check, convert, helm_values, scan, verify  # noqa: F401


_register()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
