"""`migrate verify`: do the Gateway API objects route every request as Kong routed the Ingresses?"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from migrate.cli import app
from migrate.commands.common import EXIT_USAGE, bulk_run, fail, read_inputs, write_output_dir, write_stdout
from migrate.convert.choices import RouterFlavor


class VerifyFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@app.command()
@bulk_run
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
    default_ingress_class: Annotated[str | None, typer.Option(
        "--default-ingress-class", metavar="NAME", help="Kong's IngressClass NAME is the cluster default: Ingresses "
        "without a class (and TCPIngresses/UDPIngresses without the class annotation) are Kong's, as Kong's "
        "controller takes them. Default: learnt from IngressClass objects in the input marked "
        "ingressclass.kubernetes.io/is-default-class.")] = None,
    accept: Annotated[Path | None, typer.Option(
        "--accept", help="File of reviewed differences, one 'REQUEST -- reason' per line (REQUEST as printed).")]
    = None,
    kic_version: Annotated[str | None, typer.Option(
        "--kic-version", help="The Kong ingress controller the Gateway API objects will run on. Default: check "
        "both translation eras, 3.4.0-3.4.13/3.5.0-3.5.6 and 3.4.14+/3.5.7+.")] = None,
    source_kic_version: Annotated[str, typer.Option(
        "--source-kic-version", help="The controller the Ingresses run on today: 3 (default) or 2 (KongIngress "
        "route and proxy sections still act).")] = "3",
    kong_config: Annotated[Path | None, typer.Option(
        "--kong-config", help="Also write the Kong configurations the controller builds for both sides (decK "
        "files before.yaml and after-*.yaml) into DIR, to diff them.", metavar="DIR")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite existing files in --kong-config.")] = False,
    output: Annotated[VerifyFormat, typer.Option("-o", "--output", help="Output format.")] = VerifyFormat.TEXT,
) -> None:
    """Check offline that the Gateway API objects route every request as Kong routed the Ingresses.

    Both sides go through a model of Kong's ingress controller (the Kong routes, services and plugins it
    builds, as in KIC 3.4/3.5) and a model of Kong itself (the checks Kong applies when loading that
    configuration, and its router for the flavor). Systematically generated probe requests go through both;
    every request whose outcome (backend, redirect, upstream path, plugins or status) differs is listed with
    the objects responsible, and so is every entity Kong would reject in the new configuration.

    Exit codes: 0 same routing (or only accepted differences); 1 some request is routed differently, or Kong
    would reject the new configuration; 2 usage or input errors.
    """
    from migrate.kic.settings import parse_version, source_kic
    from migrate.verify import VerifyOptions, parse_accepted
    from migrate.verify import verify as run_verify
    from migrate.verify.render import render_json, render_text

    try:
        target = parse_version(kic_version) if kic_version is not None else None
        source = parse_version(source_kic_version)
    except ValueError as exc:
        raise fail(str(exc)) from None
    source = source_kic(source[0])

    from migrate.names import is_dns1123_subdomain

    if default_ingress_class is not None and not is_dns1123_subdomain(default_ingress_class):
        raise fail(f"--default-ingress-class {default_ingress_class!r} is not a valid IngressClass name")
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
                                      default_ingress_class=default_ingress_class,
                                      accepted=accepted, target_kic=target, source_kic=source))
    if kong_config is not None:
        from migrate.verify.kongfiles import kong_config_files

        write_output_dir(kong_config, kong_config_files(result), force)
    write_stdout(render_json(result) if output == VerifyFormat.JSON else render_text(result))
    if before_docs.errors or after_docs.errors:
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(result.exit_code())
