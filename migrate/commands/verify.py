"""`migrate verify`: do the Gateway API objects route every request as Kong routed the Ingresses?"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from migrate.cli import app
from migrate.commands.common import EXIT_USAGE, fail, read_inputs, write_stdout
from migrate.convert.choices import RouterFlavor


class VerifyFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@app.command()
def verify(
    before: Annotated[list[str], typer.Option(
        "--before", help="The Ingresses (and Services, KongPlugins, IngressClasses) Kong serves today: files, "
        "directories or - (repeatable).")],
    after: Annotated[list[str], typer.Option(
        "--after", help="The Gateway API objects replacing them, e.g. the output of migrate convert (repeatable).")],
    router_flavor: Annotated[RouterFlavor, typer.Option(
        help="Kong router flavor the Ingresses run on (the Helm chart's default is traditional).")]
    = RouterFlavor.TRADITIONAL,
    ingress_class: Annotated[list[str] | None, typer.Option(
        "--ingress-class", help="Ingress class Kong serves (repeatable); default as for convert.")] = None,
    accept: Annotated[Path | None, typer.Option(
        "--accept", help="File of reviewed differences, one 'REQUEST -- reason' per line (REQUEST as printed).")]
    = None,
    output: Annotated[VerifyFormat, typer.Option("-o", "--output", help="Output format.")] = VerifyFormat.TEXT,
) -> None:
    """Check offline that the Gateway API objects route every request as Kong routed the Ingresses.

    Systematically generated probe requests go through a model of Kong routing the Ingresses and a model of
    the Gateway API routing the converted objects; every request whose outcome (backend, redirect, upstream
    path, plugins or status) differs is listed with the objects responsible.

    Exit codes: 0 same routing (or only accepted differences); 1 some request is routed differently;
    2 usage or input errors.
    """
    from migrate.verify import VerifyOptions, parse_accepted
    from migrate.verify import verify as run_verify
    from migrate.verify.render import render_json, render_text

    if "-" in before and "-" in after:
        raise fail("--before and --after cannot both read stdin")
    accepted: dict[str, str] = {}
    if accept is not None:
        try:
            accepted = parse_accepted(accept.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise fail(f"--accept {accept}: {exc}") from None
    before_docs = read_inputs(before)
    after_docs = read_inputs(after)
    result = run_verify(before_docs.docs, [d.obj for d in after_docs.docs],
                        VerifyOptions(router_flavor=router_flavor, ingress_classes=tuple(ingress_class or ()),
                                      accepted=accepted))
    write_stdout(render_json(result) if output == VerifyFormat.JSON else render_text(result))
    if before_docs.errors or after_docs.errors:
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(result.exit_code())
