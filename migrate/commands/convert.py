"""`migrate convert`: Ingress + Kong CRDs → Gateway API."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from migrate.cli import app
from migrate.commands.common import (
    ReportFormat,
    bulk_run,
    check_files,
    fail,
    read_inputs,
    write_output_dir,
    write_stdout,
    write_text_file,
)
from migrate.commands.output import OutputFormat, files_by_namespace, output_header, render_objects
from migrate.convert.choices import AllowedRoutes, GatewayAPIVersion, RouterFlavor

if TYPE_CHECKING:
    from migrate.report import Report


@app.command()
@bulk_run
def convert(
    inputs: Annotated[list[str], typer.Argument(help="Files, directories (recursive) or - for stdin.",
                                                metavar="INPUT...")],
    ingress_class: Annotated[list[str] | None, typer.Option(
        "--ingress-class", help="Ingress class Kong serves (repeatable). Default: kong plus every IngressClass "
        "whose controller is ingress-controllers.konghq.com/kong.")] = None,
    default_ingress_class: Annotated[str | None, typer.Option(
        "--default-ingress-class", metavar="NAME", help="Kong's IngressClass NAME is the cluster default: Ingresses "
        "without a class (and TCPIngresses/UDPIngresses without the class annotation) are Kong's, as Kong's "
        "controller takes them. Default: learnt from IngressClass objects in the input marked "
        "ingressclass.kubernetes.io/is-default-class.")] = None,
    gateway_class: Annotated[str, typer.Option(help="GatewayClass name to emit.")] = "kong",
    gateway_name: Annotated[str, typer.Option(help="Name of the shared Gateway.")] = "kong",
    gateway_namespace: Annotated[str, typer.Option(help="Namespace of the shared Gateway.")] = "kong",
    gateway_api_version: Annotated[GatewayAPIVersion, typer.Option(
        help="Gateway API bundle to target: v1.3 (what Kong's ingress controller 3.5 watches) or v1.6 (latest).")]
    = GatewayAPIVersion.V1_3,
    router_flavor: Annotated[RouterFlavor, typer.Option(
        help="Kong router flavor (the Helm chart's default is traditional).")] = RouterFlavor.TRADITIONAL,
    allowed_routes: Annotated[AllowedRoutes, typer.Option(
        help="Listener allowedRoutes: 'selector' admits only the routes' namespaces; 'all' admits every namespace.")]
    = AllowedRoutes.SELECTOR,
    backend_tls_policy: Annotated[bool, typer.Option(
        "--backend-tls-policy", help="Turn konghq.com/tls-verify + ca-certificates-* on Services into "
        "BackendTLSPolicy objects (needs the GatewayAlpha feature gate). Default: the annotations stay.")] = False,
    kic_version: Annotated[str | None, typer.Option(
        "--kic-version", help="The Kong ingress controller version the output must be right on. Default: every 3.4.x "
        "and 3.5.x; 3.5.7 or later allows a leaner form (route protocols come from the listeners).")] = None,
    source_kic_version: Annotated[str, typer.Option(
        "--source-kic-version", help="The controller the Ingresses run on today: 3 (default) or 2 (KongIngress route "
        "and proxy sections were still active).")] = "3",
    output: Annotated[OutputFormat, typer.Option("-o", "--output", help="Output format.")] = OutputFormat.YAML,
    output_dir: Annotated[Path | None, typer.Option(
        help="Write one file per namespace into DIR instead of stdout.")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite existing files in --output-dir / --report.")] = False,
    report_file: Annotated[Path | None, typer.Option("--report", help="Write the report to FILE (default: stderr).")]
    = None,
    report_format: Annotated[ReportFormat, typer.Option(help="Report format.")] = ReportFormat.TEXT,
    patches_file: Annotated[Path | None, typer.Option(
        "--patches", help="Write the Service patch documents (annotation changes to Services you own) to FILE. "
        "They never go to stdout, which stays safe for kubectl apply; with --output-dir they go to "
        "service-patches.yaml.", metavar="FILE")] = None,
    verify_routing: Annotated[bool, typer.Option(
        "--verify/--no-verify", help="Check, as migrate verify does, that Kong routes every probe request through "
        "the output as it routed the input, modelling what Kong's ingress controller sends to Kong; differences "
        "and configurations Kong would reject are reported (exit 1). On by default.")] = True,
) -> None:
    """Convert Ingresses (and Kong's TCPIngress/UDPIngress/KongIngress) into Gateway API objects.

    Exit codes: 0 everything converted; 1 something needs a human (see the report's 'unconverted' and
    'error' entries); 2 usage or input errors (unreadable files, malformed YAML).
    """
    from migrate.convert.pipeline import run_convert
    from migrate.report import RENDERERS, Report

    try:
        from migrate.convert.options import ConvertOptions
        from migrate.kic.settings import parse_version

        target_kic = parse_version(kic_version) if kic_version is not None else None
        source_major = parse_version(source_kic_version)[0]
        options = ConvertOptions(
            target_kic=target_kic, source_kic_major=source_major,
            ingress_classes=tuple(ingress_class or ()), default_ingress_class=default_ingress_class,
            gateway_class=gateway_class, gateway_name=gateway_name,
            gateway_namespace=gateway_namespace, gateway_api_version=gateway_api_version,
            router_flavor=router_flavor, allowed_routes=allowed_routes, backend_tls_policy=backend_tls_policy,
        )
    except ValueError as exc:
        raise fail(str(exc)) from None
    from migrate.names import is_dns1123_label, is_dns1123_subdomain

    for flag, value in (("--gateway-class", gateway_class), ("--gateway-name", gateway_name),
                        ("--default-ingress-class", default_ingress_class or "kong")):
        if not is_dns1123_subdomain(value):
            raise fail(f"{flag} {value!r} is not a valid DNS-1123 name")
    if not is_dns1123_label(gateway_namespace):
        raise fail(f"--gateway-namespace {gateway_namespace!r} is not a valid namespace name")

    if output_dir is not None and patches_file is not None:
        raise fail("--patches and --output-dir both say where the Service patches go: pick one")
    if report_file is not None and patches_file is not None and report_file.resolve() == patches_file.resolve():
        raise fail(f"--report and --patches name the same file ({report_file}): refusing to write two outputs to it")
    # Every destination is checked before anything is produced: no output without its report.
    check_files([p for p in (report_file, patches_file) if p is not None], force)

    loaded = read_inputs(inputs, echo_errors=report_file is not None)
    report = Report(input_errors=[str(e) for e in loaded.errors])
    verification = None
    if verify_routing:
        from migrate.processes import Inbox, beside_fed
        from migrate.verify.report_hook import EntryArgs, verification_entries

        # Verification runs beside the conversion: it translates today's side while the input is converted,
        # the rest while the output is rendered (and on stdout written).
        def verify_output(output: Inbox[list[dict[str, Any]]]) -> list[EntryArgs]:
            return verification_entries(loaded.docs, output, options)

        feed, verification = beside_fed(verify_output)
    result = run_convert(loaded.docs, options, report)
    if verify_routing:
        # the patches are part of the migration: the verified cluster has them applied
        feed(result.objects + result.patches)

    header = output_header(options)
    if not result.objects and report.summary:
        header += f"# {report.summary}: no objects emitted.\n"
    files: dict[str, str] = {}
    if output_dir is not None:
        files = files_by_namespace(result.objects, result.patches, output, header)
    else:
        # patches never join the apply stream: `kubectl apply` would take a partial Service for the whole one
        write_stdout(render_objects(result.objects, output, header, parallel=not verify_routing))
    if verification is not None:
        for entry in verification():
            report.add(*entry)
    _report_patch_destination(report, result.patches, output_dir, patches_file, output)
    rendered = RENDERERS[report_format.value](report)
    if output_dir is not None:
        # One all-or-nothing write: never outputs without their report.
        write_output_dir(output_dir, files, force, {report_file: rendered} if report_file is not None else None)
    elif patches_file is not None and result.patches:
        patch_header = header + PATCH_HEADER
        write_text_file(patches_file, render_objects(result.patches, output, patch_header), force)

    if report_file is not None and output_dir is None:
        write_text_file(report_file, rendered, force)
    elif report_file is None:
        typer.echo(rendered, err=True, nl=False)
    raise typer.Exit(report.exit_code())


PATCH_HEADER = ("# Patches to existing Services: apply each with `kubectl patch service NAME -n NAMESPACE --type merge "
                "--patch-file FILE`, never with kubectl apply.\n")


def _report_patch_destination(report: Report, patches: list[dict[str, Any]], output_dir: Path | None,
                              patches_file: Path | None, fmt: OutputFormat) -> None:
    """Say where the Service patches went, or that they were not written (never silently)."""
    if not patches:
        return
    from migrate.report import Status
    from migrate.sources import GENERATED

    if output_dir is not None:
        ext = "json" if fmt == OutputFormat.JSON else "yaml"
        report.add(GENERATED, Status.INFO, "Service patches", f"written to {output_dir / f'service-patches.{ext}'}")
    elif patches_file is not None:
        report.add(GENERATED, Status.INFO, "Service patches", f"written to {patches_file}")
    else:
        report.add(GENERATED, Status.UNCONVERTED, "Service patches",
                   f"{len(patches)} Service patch document(s) were not written: they change Services you own and "
                   "never go to stdout (kubectl apply would replace the Services with them)",
                   "convert again with --patches FILE (or --output-dir DIR) and apply them with kubectl patch")
