"""`migrate helm-values`: the Kong chart values (listens, Service ports) a set of Gateways needs."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from migrate import __version__
from migrate.cli import app
from migrate.commands.common import EXIT_NEEDS_HUMAN, EXIT_USAGE, fail, read_inputs, write_stdout


class Output(StrEnum):
    VALUES = "values"
    ENV = "env"
    SERVICE = "service"
    ALL = "all"


class ChartOpt(StrEnum):
    KONG = "kong"
    INGRESS = "ingress"


class UdpOpt(StrEnum):
    SAME = "same"
    SEPARATE = "separate"


def load_gateways(inputs: list[str], selector: str | None) -> tuple[list[Any], bool]:
    """Selected Gateways, and whether any input was unreadable (exit 2 at the end)."""
    from migrate.kongstatus.gateways import read_gateways, select_gateways

    loaded = read_inputs(inputs)
    gateways, errors = read_gateways(loaded.docs)
    for err in errors:
        typer.echo(f"migrate: input error: {err}", err=True)
    if not gateways:
        raise fail("the input contains no readable Gateway (gateway.networking.k8s.io) objects")
    selected = select_gateways(gateways, selector)
    if not selected:
        known = ", ".join(g.key for g in gateways)
        raise fail(f"--gateway {selector}: no such Gateway in the input (found: {known})")
    return selected, bool(loaded.errors or errors)


def _chart_label(chart: ChartOpt) -> str:
    return "kong/ingress 0.24.0 (umbrella; Kong values under gateway.)" if chart == ChartOpt.INGRESS \
        else "kong 3.4.1"


@app.command("helm-values")
def helm_values(
    inputs: Annotated[list[str], typer.Argument(help="Gateway manifests: files, directories or - for stdin.",
                                                metavar="INPUT...")],
    gateway: Annotated[str | None, typer.Option(help="Only this Gateway (NS/NAME). Default: every Gateway "
                                                     "in the input, all served by one Kong proxy.")] = None,
    output: Annotated[Output, typer.Option("-o", "--output", help="values (Helm values), env (Kong and "
                                           "controller env the chart renders), service (proxy Service "
                                           "manifests, for non-Helm installs) or all.")] = Output.VALUES,
    chart: Annotated[ChartOpt, typer.Option(help="kong chart, or the kong/ingress umbrella chart.")] = ChartOpt.KONG,
    udp_service: Annotated[UdpOpt, typer.Option(help="UDP listeners on the proxy Service (same) or on the "
                                                "chart's separate udp-proxy Service (separate).")] = UdpOpt.SAME,
    release: Annotated[str, typer.Option(help="Helm release name (names the Services).")] = "kong",
    namespace: Annotated[str, typer.Option(help="Namespace Kong is installed in.")] = "kong",
    http_container_port: Annotated[int, typer.Option(help="Kong's HTTP listen port.", min=1, max=65535)] = 8000,
    https_container_port: Annotated[int, typer.Option(help="Kong's HTTPS listen port.", min=1, max=65535)] = 8443,
    values_file: Annotated[Path | None, typer.Option("--values", help="Merge into this values file, keeping "
                                                     "every other key and comment.")] = None,
    in_place: Annotated[bool, typer.Option(help="Write the merged values back to --values (atomic; the old "
                                           "file is kept as FILE.bak).")] = False,
    reset_parameters: Annotated[bool, typer.Option(help="Replace user-set stream parameters instead of "
                                                   "keeping them.")] = False,
) -> None:
    """Derive the Kong Helm values (listens, Service ports, controller settings) a set of Gateways needs.

    Exit codes: 0 values written; 1 the listeners cannot be expressed by the chart (see the errors: no
    values are printed); 2 usage or input errors.
    """
    from generators.chart import Chart, ChartRenderError, controller_env, render_chart
    from generators.plan import PlanOptions, Severity, UdpService, build_plan
    from generators.values import Target, plan_values

    if in_place and values_file is None:
        raise fail("--in-place needs --values FILE")
    gateways, input_failed = load_gateways(inputs, gateway)
    target = Target(Chart(chart.value), release, namespace)
    plan = build_plan(gateways, PlanOptions(http_container_port, https_container_port, UdpService(udp_service.value)))
    for issue in plan.issues:
        typer.echo(f"migrate: {issue}", err=True)
    if plan.errors:
        typer.echo(f"migrate: {len(plan.errors)} error(s): no values written", err=True)
        raise typer.Exit(EXIT_NEEDS_HUMAN)

    if values_file is not None:
        from generators.merge import MergeError, merge_values

        try:
            merged = merge_values(values_file.read_text(encoding="utf-8"), plan, target,
                                  reset_parameters=reset_parameters)
        except OSError as exc:
            raise fail(f"cannot read {values_file}: {exc.strerror or exc}") from None
        except MergeError as exc:
            raise fail(f"{values_file}: {exc}") from None
        for note in merged.notes:
            typer.echo(f"migrate: note: {note}", err=True)
        values, values_text = merged.values, merged.text
    else:
        from generators.output import render_values, values_comments

        values = plan_values(plan, target)
        header = [f"Kong proxy Helm values generated by kong-gateway-migrate {__version__} (migrate helm-values)",
                  f"Chart: {_chart_label(chart)}; Gateways: {', '.join(g.key for g in gateways)}"]
        values_text = render_values(values, values_comments(plan, target, target.udp_service()), header)

    try:
        facts = render_chart(values, release=release, namespace=namespace, chart=target.chart)
    except ChartRenderError as exc:
        raise fail(f"the chart would not render the result: {exc}") from None
    _self_check(gateways, values, target)

    if in_place:
        assert values_file is not None
        from migrate.fileio import write_files

        try:
            write_files({values_file: values_text}, force=True, backup_suffix=".bak")
        except OSError as exc:
            raise fail(f"cannot write {values_file}: {exc.strerror or exc}") from None
        typer.echo(f"migrate: wrote {values_file} (previous version: {values_file}.bak)", err=True)
    write_stdout(_render(output, values_text, facts, controller_env(values, target.chart), in_place))
    if any(i.severity == Severity.WARNING for i in plan.issues):
        typer.echo("migrate: values written; review the warnings above", err=True)
    raise typer.Exit(EXIT_USAGE if input_failed else 0)


def _self_check(gateways: list[Any], values: dict[str, Any], target: Any) -> None:
    """Never hand out values under which a listener would not be Programmed (e.g. a user's publish_service)."""
    from migrate.kongstatus import kong_listens_from_values, predict_listener_status

    listens = kong_listens_from_values(values, release=target.release, namespace=target.namespace,
                                       chart=target.chart.value)
    failing = [s for s in predict_listener_status(gateways, listens) if not s.programmed]
    for s in failing:
        typer.echo(f"migrate: error: Gateway {s.gateway} {s.listener.describe()}: these values would leave it "
                   f"unprogrammed ({', '.join(s.reasons)}); run `migrate check` on the result for details", err=True)
    if failing:
        raise typer.Exit(EXIT_NEEDS_HUMAN)


def _render(output: Output, values_text: str, facts: Any, cenv: dict[str, Any], in_place: bool) -> str:
    from generators.output import render_env, render_services

    gates = cenv.get("feature_gates")
    parts: list[tuple[str, str]] = []
    if output in (Output.VALUES, Output.ALL) and not in_place:
        parts.append(("values.yaml", values_text))
    if output in (Output.ENV, Output.ALL):
        parts.append(("env", render_env(facts, str(gates) if gates else None,
                                        ["Environment the chart renders for these values"])))
    if output in (Output.SERVICE, Output.ALL):
        parts.append(("services.yaml", render_services(facts, ["Kong proxy Service(s) for these values"])))
    if output != Output.ALL:
        return "".join(text for _, text in parts)
    return "".join(f"# ==== {name} ====\n{text}" for name, text in parts)
