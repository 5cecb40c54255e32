"""`migrate helm-values`: the Kong chart values (listens, Service ports) a set of Gateways needs."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from migrate import __version__
from migrate.cli import app
from migrate.commands.common import (
    EXIT_NEEDS_HUMAN,
    EXIT_USAGE,
    ChartOpt,
    check_release,
    fail,
    load_gateways,
    write_stdout,
)


class Output(StrEnum):
    VALUES = "values"
    ENV = "env"
    SERVICE = "service"
    ALL = "all"


class UdpOpt(StrEnum):
    SAME = "same"
    SEPARATE = "separate"


def _chart_label(chart: ChartOpt) -> str:
    return "kong/ingress 0.24.0 (umbrella; Kong values under gateway.)" if chart == ChartOpt.INGRESS \
        else "kong 3.4.1"


@app.command("helm-values")
def helm_values(
    inputs: Annotated[list[str], typer.Argument(help="Gateway manifests: files, directories or - for stdin.",
                                                metavar="INPUT...")],
    gateway: Annotated[str | None, typer.Option(help="Only this Gateway (NS/NAME). Default: every Gateway "
                                                     "in the input, all served by one Kong proxy.")] = None,
    gateway_class: Annotated[list[str] | None, typer.Option(help="Kong's GatewayClass name (repeatable). Default: "
                                                            "the input's GatewayClasses with KIC's controllerName, "
                                                            "else kong.")] = None,
    output: Annotated[Output, typer.Option("-o", "--output", help="values (Helm values), env (Kong and "
                                           "controller env the chart renders), service (proxy Service "
                                           "manifests, for non-Helm installs) or all.")] = Output.VALUES,
    chart: Annotated[ChartOpt, typer.Option(help="kong chart, or the kong/ingress umbrella chart.")] = ChartOpt.KONG,
    udp_service: Annotated[UdpOpt, typer.Option(help="UDP listeners on the proxy Service (same) or on the "
                                                "chart's separate udp-proxy Service (separate).")] = UdpOpt.SAME,
    release: Annotated[str, typer.Option(help="Helm release name (names the Services).")] = "kong",
    namespace: Annotated[str, typer.Option(help="Namespace Kong is installed in.")] = "kong",
    http_container_port: Annotated[int | None, typer.Option(help="Kong's HTTP listen port (default: the one in "
                                                            "--values, else 8000).", min=1, max=65535)] = None,
    https_container_port: Annotated[int | None, typer.Option(help="Kong's HTTPS listen port (default: the one in "
                                                             "--values, else 8443).", min=1, max=65535)] = None,
    values_file: Annotated[Path | None, typer.Option("--values", help="Merge into this values file, keeping "
                                                     "every other key and comment.")] = None,
    in_place: Annotated[bool, typer.Option(help="Write the merged values back to --values (atomic; the old "
                                           "file is kept as FILE.bak).")] = False,
    reset_parameters: Annotated[bool, typer.Option(help="Replace user-set stream parameters instead of "
                                                   "keeping them.")] = False,
    prune: Annotated[bool, typer.Option(help="With --values: remove the listens and Service ports no Gateway "
                                        "listener uses (listed). Default: keep everything served today.")] = False,
) -> None:
    """Derive the Kong Helm values (listens, Service ports, controller settings) a set of Gateways needs.

    Exit codes: 0 values written; 1 the listeners cannot be expressed by the chart, or the merge would remove
    something served today without --prune (see the errors: no values are printed); 2 usage or input errors
    (nothing is printed or written).
    """
    from generators.chart import Chart, ChartRenderError, controller_env, pod_bound_ports, render_chart
    from generators.plan import PlanOptions, Severity, UdpService, build_plan
    from generators.values import Target, plan_values

    if in_place and values_file is None:
        raise fail("--in-place needs --values FILE")
    if prune and values_file is None:
        raise fail("--prune needs --values FILE (without it the values hold only what the Gateways need)")
    check_release(release, namespace)
    selected = load_gateways(inputs, gateway, gateway_class)
    if selected.input_failed:
        typer.echo("migrate: error: some input could not be read or would be rejected (above): no values "
                   "written", err=True)
        raise typer.Exit(EXIT_USAGE)
    gateways = selected.gateways
    target = Target(Chart(chart.value), release, namespace)

    existing: dict[str, Any] = {}
    text = ""
    style = None
    if values_file is not None:
        from generators.valuesfile import TextStyle, ValuesError, load_values

        try:
            raw = values_file.read_bytes().decode("utf-8")  # bytes: keep CRLF line ends visible
        except OSError as exc:
            raise fail(f"cannot read {values_file}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise fail(f"{values_file}: not UTF-8 text") from None
        style = TextStyle.of(raw)
        text = style.decode(raw)
        try:
            existing = load_values(text)
        except ValuesError as exc:
            raise fail(f"{values_file}: {exc}") from None
        from migrate.valuesschema import refuse_bad_values

        refuse_bad_values(existing, text, str(values_file), chart.value)
        _refuse_controller_only(existing, target, values_file)
    http_cp, https_cp = _container_ports(existing, target, http_container_port, https_container_port)
    pod_ports = tuple(sorted(pod_bound_ports(existing, target.chart).items()))
    plan = build_plan(gateways, PlanOptions(http_cp, https_cp, UdpService(udp_service.value), pod_ports))
    for issue in plan.issues:
        typer.echo(f"migrate: {issue}", err=True)
    if plan.errors:
        typer.echo(f"migrate: {len(plan.errors)} error(s): no values written", err=True)
        raise typer.Exit(EXIT_NEEDS_HUMAN)

    if values_file is not None:
        from generators.merge import MergeConflict, MergeError, merge_values

        try:
            merged = merge_values(text, plan, target, reset_parameters=reset_parameters, prune=prune)
        except MergeConflict as exc:
            # What the file serves today and what the Gateways need cannot both be served: needs a human.
            typer.echo(f"migrate: error: {values_file}: {exc}", err=True)
            typer.echo("migrate: the merge was refused: no values written", err=True)
            raise typer.Exit(EXIT_NEEDS_HUMAN) from None
        except MergeError as exc:
            raise fail(f"{values_file}: {exc}") from None
        for note in merged.notes:
            typer.echo(f"migrate: note: {note}", err=True)
        values, values_text = merged.values, merged.text
        _served_check(existing, values, plan, target, selected.docs, prune)
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
    if style is not None:
        values_text = style.encode(values_text)

    if in_place:
        assert values_file is not None
        from migrate.fileio import write_files

        # Through a symlink, the file it points to is rewritten: the link stays a link.
        real = values_file.resolve() if values_file.is_symlink() else values_file
        try:
            write_files({real: values_text}, force=True, backup_suffix=".bak")
        except OSError as exc:
            raise fail(f"cannot write {real}: {exc.strerror or exc}") from None
        via = f" (through the symlink {values_file})" if real != values_file else ""
        typer.echo(f"migrate: wrote {real}{via} (previous version: {real}.bak)", err=True)
    write_stdout(_render(output, values_text, facts, controller_env(values, target.chart), in_place))
    if any(i.severity == Severity.WARNING for i in plan.issues):
        typer.echo("migrate: values written; review the warnings above", err=True)
    raise typer.Exit(0)


def _refuse_controller_only(values: dict[str, Any], target: Any, path: Path) -> None:
    from generators.chart import kong_deployed

    if not kong_deployed(values, target.chart):
        key = "gateway.deployment.kong.enabled (or gateway.enabled)" if target.kong_prefix \
            else "deployment.kong.enabled"
        raise fail(f"{path}: {key} is false: this release runs no Kong proxy (the chart renders no proxy "
                   "container or Service), so no listener could be served. Run helm-values on the values of the "
                   "release that runs Kong, or set it to true")


def _container_ports(existing: dict[str, Any], target: Any, http: int | None, https: int | None
                     ) -> tuple[int, int]:
    """The flags, else the container ports the values file already uses (changing them moves Kong's listens)."""
    from generators.chart import kong_values

    proxy = kong_values(existing, target.chart).get("proxy") or {}

    def current(block: str, default: int) -> int:
        value = (proxy.get(block) or {}).get("containerPort") if isinstance(proxy.get(block), dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536 else default

    return (http if http is not None else current("http", 8000),
            https if https is not None else current("tls", 8443))


def _served_check(old: dict[str, Any], new: dict[str, Any], plan: Any, target: Any, docs: list[Any],
                  prune: bool) -> None:
    """Additive unless --prune: what the file serves today (listens, Service ports) must still be served, and
    every kept item the Gateways do not use is listed with the Ingress-era objects that need it."""
    from generators.chart import kong_values
    from generators.served import ingress_era_uses, served_from_values, used_ports, users_of

    kw = {"release": target.release, "namespace": target.namespace, "chart": target.chart}
    before, after = served_from_values(old, **kw), served_from_values(new, **kw)
    lost = sorted(before - after)
    uses = ingress_era_uses(docs)
    proxy = kong_values(old, target.chart).get("proxy") or {}
    http_ports = tuple((proxy.get(b) or {}).get("containerPort") if (proxy.get(b) or {}).get("enabled") else None
                       for b in ("http", "tls"))

    def who(item: Any) -> str:
        users = users_of(item, uses, http_ports)  # type: ignore[arg-type]
        return ("still used by " + ", ".join(str(u) for u in users)) if users else \
            "no Ingress-era object in the input uses it"

    if lost and not prune:
        for item in lost:
            typer.echo(f"migrate: error: the merge would stop serving {item}, which the current values serve "
                       f"({who(item)})", err=True)
        typer.echo("migrate: error: the chart cannot express the Gateways' ports and keep these (one HTTP and one "
                   "HTTPS port, one listen per stream entry): move the listeners to the ports served today, or "
                   "pass --prune to remove them (listed above); no values written", err=True)
        raise typer.Exit(EXIT_NEEDS_HUMAN)
    for item in lost:
        typer.echo(f"migrate: note: --prune removes {item} ({who(item)})", err=True)
    used = used_ports(plan)
    for item in sorted(before & after):
        if (item.kind, item.port) not in used:
            typer.echo(f"migrate: note: kept {item}: no Gateway listener uses it; {who(item)}"
                       f"{'' if prune else ' (--prune removes what no listener uses)'}", err=True)


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
