"""`migrate scan`: read a live cluster (get/list only) and plan the migration, as convert would."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from migrate.cli import app
from migrate.commands.common import ChartOpt as Chart
from migrate.commands.common import (
    ReportFormat,
    bulk_run,
    fail,
    write_output_dir,
    write_stdout,
    write_text_file,
)
from migrate.commands.output import OutputFormat, files_by_namespace, output_header, render_objects
from migrate.convert.choices import AllowedRoutes, GatewayAPIVersion, RouterFlavor

if TYPE_CHECKING:
    from migrate.scan.collect import Note, Snapshot

REPORT_FILES = {"text": "report.txt", "markdown": "report.md", "json": "report.json"}


def _ns_name(flag: str, value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    ns, sep, name = value.partition("/")
    if not sep or not ns or not name or "/" in name:
        raise fail(f"{flag} {value!r} must be NAMESPACE/NAME")
    return ns, name


def _progress() -> object:
    if not sys.stderr.isatty():
        return None

    def show(what: str, count: int) -> None:
        sys.stderr.write(f"\rreading {what}: {count} object(s)\033[K")
        sys.stderr.flush()

    return show


@app.command()
@bulk_run
def scan(
    kubeconfig: Annotated[str | None, typer.Option(help="Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, "
                                                   "or the in-cluster service account).")] = None,
    context: Annotated[str | None, typer.Option(help="Kubeconfig context (default: the current one).")] = None,
    namespace: Annotated[list[str] | None, typer.Option("-n", "--namespace", help="Namespace to scan "
                                                        "(repeatable).")] = None,
    all_namespaces: Annotated[bool, typer.Option("-A", "--all-namespaces", help="Scan every namespace the "
                                                 "credentials can list (the default).")] = False,
    page_size: Annotated[int, typer.Option(min=1, max=10000, help="Objects per list call.")] = 500,
    proxy_service: Annotated[str | None, typer.Option(help="Kong proxy Service as NAMESPACE/NAME (default: found "
                                                      "by the Helm chart's labels).")] = None,
    gateway: Annotated[str | None, typer.Option(help="Reuse this existing Gateway (NAMESPACE/NAME) instead of "
                                                "emitting one.")] = None,
    ingress_class: Annotated[list[str] | None, typer.Option(
        "--ingress-class", help="Ingress class Kong serves (repeatable); default as in convert.")] = None,
    default_ingress_class: Annotated[str | None, typer.Option(
        "--default-ingress-class", metavar="NAME", help="Kong's IngressClass NAME is the cluster default: Ingresses "
        "without a class (and TCPIngresses/UDPIngresses without the class annotation) are Kong's, as Kong's "
        "controller takes them. Default: learnt from the cluster's IngressClasses marked "
        "ingressclass.kubernetes.io/is-default-class.")] = None,
    gateway_class: Annotated[str, typer.Option(help="GatewayClass name to emit.")] = "kong",
    gateway_name: Annotated[str, typer.Option(help="Name of the shared Gateway.")] = "kong",
    gateway_namespace: Annotated[str, typer.Option(help="Namespace of the shared Gateway.")] = "kong",
    gateway_api_version: Annotated[GatewayAPIVersion | None, typer.Option(
        help="Gateway API bundle to target (default: from the installed CRDs' bundle version, else v1.3).")] = None,
    router_flavor: Annotated[RouterFlavor, typer.Option(help="Kong router flavor.")] = RouterFlavor.TRADITIONAL,
    allowed_routes: Annotated[AllowedRoutes, typer.Option(help="Listener allowedRoutes.")] = AllowedRoutes.SELECTOR,
    output: Annotated[OutputFormat, typer.Option("-o", "--output", help="Output format.")] = OutputFormat.YAML,
    output_dir: Annotated[Path | None, typer.Option(
        help="Write manifests (one file per namespace) and the report in every format into DIR.")] = None,
    force: Annotated[bool, typer.Option(help="Overwrite existing files.")] = False,
    report_file: Annotated[Path | None, typer.Option("--report", help="Write the report to FILE (default: "
                                                     "stderr).")] = None,
    report_format: Annotated[ReportFormat, typer.Option(help="Report format.")] = ReportFormat.TEXT,
    chart: Annotated[Chart | None, typer.Option(help="Chart the Helm values are for: kong, or the kong/ingress "
                                                "umbrella (default: from the proxy Service's labels, else kong).")]
    = None,
    verify_routing: Annotated[bool, typer.Option(
        "--verify", help="Check with migrate verify that the plan routes every probe request as Kong routes the "
        "scanned objects; differences are reported as unconverted (exit 1).")] = False,
    print_rbac: Annotated[bool, typer.Option(help="Print the read-only ClusterRole the scan needs and exit.")]
    = False,
) -> None:
    """Read Ingresses, Kong CRDs and the Kong proxy from a live cluster (read-only) and plan the migration.

    Exit codes: 0 ready; 1 something needs a human (see the report); 2 usage errors, or the cluster
    could not be read at all (unreachable, credentials rejected).
    """
    if print_rbac:
        from migrate.scan.kinds import rbac_manifest

        write_stdout(rbac_manifest())
        raise typer.Exit(0)
    if namespace and all_namespaces:
        raise fail("-n/--namespace and -A/--all-namespaces are mutually exclusive")
    from migrate.names import is_dns1123_label

    for ns in namespace or ():
        if not is_dns1123_label(ns):
            raise fail(f"-n {ns!r} is not a valid namespace name")
    from migrate.names import is_dns1123_subdomain

    if default_ingress_class is not None and not is_dns1123_subdomain(default_ingress_class):
        raise fail(f"--default-ingress-class {default_ingress_class!r} is not a valid IngressClass name")
    proxy = _ns_name("--proxy-service", proxy_service)
    reuse = _ns_name("--gateway", gateway)
    if reuse is not None:
        gateway_namespace, gateway_name = reuse
    # as convert checks them: the emitted GatewayClass and Gateway must be objects the API server accepts
    for flag, value in (("--gateway-class", gateway_class), ("--gateway" if reuse else "--gateway-name", gateway_name)):
        if not is_dns1123_subdomain(value):
            raise fail(f"{flag} {value!r} is not a valid DNS-1123 name")
    if not is_dns1123_label(gateway_namespace):
        raise fail(f"{'--gateway' if reuse else '--gateway-namespace'} {gateway_namespace!r} is not a valid namespace name")

    from migrate.convert.pipeline import run_convert
    from migrate.report import Report
    from migrate.scan import readiness
    from migrate.scan.client import ConfigError, bounded_exec_plugins, connect
    from migrate.scan.collect import Fatal, Note, Scanner, ScanScope
    from migrate.scan.reader import TIMEOUT_ENV, Reader, timeout_from_env

    try:
        timeout = timeout_from_env(os.environ.get(TIMEOUT_ENV))
    except ValueError as exc:
        raise fail(str(exc)) from None
    scope = ScanScope(namespaces=sorted(set(namespace)) if namespace else None, proxy_service=proxy,
                      extra_gateway_namespaces=(gateway_namespace,))
    # An exec credential plugin runs when the credentials are loaded and again if its token expires mid-scan.
    with bounded_exec_plugins(timeout):
        try:
            conn = connect(kubeconfig, context)
        except ConfigError as exc:
            raise fail(str(exc)) from None
        reader = Reader(conn.api, conn.server, page_size=page_size, timeout=timeout,
                        on_page=_progress())  # type: ignore[arg-type]
        try:
            snap = Scanner(reader, conn.context, scope).scan()
        except Fatal as exc:
            raise fail(str(exc)) from None
        finally:
            if reader.on_page is not None:
                sys.stderr.write("\r\033[K")
            conn.api.close()

    version, notes = readiness.pick_version(snap, gateway_api_version)
    notes = list(snap.notes) + notes
    if reuse is not None:
        existing = snap.existing.get("Gateway", {}).get(reuse)
        if existing is None:
            raise fail(f"--gateway {gateway}: no such Gateway in the cluster (or it could not be read)")
        gateway_class = str((existing.get("spec") or {}).get("gatewayClassName") or gateway_class)
    try:
        from migrate.convert.options import ConvertOptions

        options = ConvertOptions(
            ingress_classes=tuple(ingress_class or ()), default_ingress_class=default_ingress_class,
            gateway_class=gateway_class, gateway_name=gateway_name,
            gateway_namespace=gateway_namespace, gateway_api_version=version, router_flavor=router_flavor,
            allowed_routes=allowed_routes)
    except ValueError as exc:
        raise fail(str(exc)) from None

    report = Report()
    notes += readiness.class_notes(snap, options)
    result = run_convert(snap.docs, options, report)
    objects = result.objects
    if reuse is not None:
        objects, reuse_notes = readiness.reuse_gateway(objects, snap, options)
        notes += reuse_notes
    notes += readiness.clashes(objects, snap) + readiness.missing_crds(objects, snap)
    gateways = _served_gateways(objects, snap, reuse)
    if snap.proxy is not None:
        notes += [Note("warning", "Kong proxy", n) for n in snap.proxy.notes]
        notes += _listener_check(snap, gateways)
    from migrate.scan.helm import detect_install, helm_values

    helm = helm_values(gateways, detect_install(snap.proxy, chart.value if chart else None), conn.context,
                       snap.proxy, snap.docs)
    notes += helm.notes
    if verify_routing:
        from migrate.verify.report_hook import add_verification

        # The reused Gateway is in the cluster, not in the output, but the routes attach to it.
        add_verification(report, snap.docs, objects + [g for g in gateways if g not in objects], options)
        notes.append(readiness.routing_note(report))

    header = output_header(options).replace("(migrate convert)", f"(migrate scan, context {conn.context})")
    inline = output_dir is None
    rendered = readiness.render(report_format.value, snap, notes, report, helm, inline)
    if output_dir is not None:
        files = files_by_namespace(objects, result.patches, output, header) | helm.files
        for fmt, name in REPORT_FILES.items():
            files[name] = readiness.render(fmt, snap, notes, report, helm)
        # One all-or-nothing write, the --report file included, as convert does.
        write_output_dir(output_dir, files, force, {report_file: rendered} if report_file is not None else None)
    else:
        write_stdout(render_objects(objects + result.patches, output, header, parallel=True))  # verified already
        if report_file is not None:
            write_text_file(report_file, rendered, force)
    if report_file is None and output_dir is None:
        typer.echo(rendered, err=True, nl=False)
    raise typer.Exit(readiness.exit_code(report, notes))


def _served_gateways(objects: list[dict[str, Any]], snap: Snapshot, reuse: tuple[str, str] | None
                     ) -> list[dict[str, Any]]:
    """The Gateways Kong will serve the plan on: the planned ones, or the existing one --gateway reuses."""
    planned = [o for o in objects if o.get("kind") == "Gateway"]
    existing = snap.existing.get("Gateway", {}).get(reuse) if reuse is not None else None
    return planned + ([existing] if existing is not None else [])


def _listener_check(snap: Snapshot, gateway_objects: list[dict[str, Any]]) -> list[Note]:
    """Run `check`'s listener-status prediction on the planned Gateways against the live Kong listens."""
    from migrate.kongstatus.fixes import FixContext, fix_for
    from migrate.kongstatus.gateways import GatewayError, parse_gateway
    from migrate.kongstatus.listens import ListenSyntaxError, kong_listens_from_services
    from migrate.kongstatus.predict import predict_listener_status
    from migrate.scan.collect import Note

    proxy = snap.proxy
    assert proxy is not None
    if "KONG_PROXY_LISTEN" not in proxy.env:
        return [Note("warning", "listener check", "Kong's listen strings were not read: the planned listeners "
                     "were not checked against the live proxy")]
    try:
        listens = kong_listens_from_services([proxy.manifest], proxy.env["KONG_PROXY_LISTEN"],
                                             proxy.env.get("KONG_STREAM_LISTEN", "off"))
        gateways = [parse_gateway(o) for o in gateway_objects]
    except (ListenSyntaxError, GatewayError) as exc:
        return [Note("needs-human", "listener check", f"cannot check the planned listeners: {exc}")]
    notes = []
    for status in predict_listener_status(gateways, listens):
        lst = status.listener
        where = f"Gateway {status.gateway} listener {lst.name} ({lst.port}/{lst.protocol})"
        if status.programmed:
            notes.append(Note("info", where, "the live Kong proxy would program it"))
        else:
            notes.append(Note("needs-human", where, f"would not be programmed by the live Kong proxy: "
                              f"{', '.join(status.reasons)}", "; ".join(fix_for(status, listens, FixContext()))))
    return notes
