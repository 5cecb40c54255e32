"""`migrate check`: predict the listener status Kong's controller will set for Gateways, before applying."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

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

CONDITION_TYPES = ("Accepted", "Conflicted", "ResolvedRefs", "Programmed")

NEEDS = """check needs the Gateways to check and how Kong is deployed, one of:
  migrate check GATEWAY-INPUT... --values FILE
      Kong installed with Helm: FILE holds the release's values (helm get values RELEASE -n NAMESPACE);
      add --chart ingress, --release R, --namespace NS unless they are the kong chart, kong, kong
  migrate check GATEWAY-INPUT... --service SVC.yaml... --proxy-listen STR --stream-listen STR
      Kong installed without Helm: the Kong proxy Service manifest(s), and the KONG_PROXY_LISTEN and
      KONG_STREAM_LISTEN values of the Kong container
GATEWAY-INPUT: the Gateway manifests (files, directories such as the plan/ of migrate convert --output-dir,
or - for stdin). Example: migrate check plan/namespace-kong.yaml --values my-values.yaml
Run migrate check -h for every option."""


class CheckFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def _cell(status: Any, type_: str) -> str:
    c = status.condition(type_)
    if c is None:
        return "-"  # Kong's controller sets no condition of this type
    return c.status if c.reason == type_ else f"{c.status}/{c.reason}"


def render_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() + "\n" for r in rows)


def _load_values(path: Path, chart: str = "kong") -> dict[str, Any]:
    from generators.valuesfile import TextStyle, ValuesError, load_values

    try:
        raw = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise fail(f"{path}: not UTF-8 text") from None
    try:
        values = load_values(TextStyle.of(raw).decode(raw))
    except ValuesError as exc:
        raise fail(f"{path}: {exc}") from None
    from migrate.valuesschema import refuse_bad_values

    refuse_bad_values(values, TextStyle.of(raw).decode(raw), str(path), chart)
    return values


def _listens_from_values(values: dict[str, Any], path: Path, chart: ChartOpt, release: str, namespace: str
                         ) -> tuple[list[Any], dict[str, Any]]:
    """The listens KIC sees, and what a fix may refer to (FixContext's fields: the fixes are imported only
    when a listener fails)."""
    from generators.chart import Chart, ChartRenderError, render_chart
    from generators.values import Target
    from migrate.kongstatus.listens import ListenSyntaxError, kong_listens_from_values

    try:
        facts = render_chart(values, release=release, namespace=namespace, chart=Chart(chart.value))
        listens = kong_listens_from_values(values, release=release, namespace=namespace, chart=chart.value)
    except ChartRenderError as exc:
        raise fail(f"{path}: the chart would not render these values: {exc}") from None
    except ListenSyntaxError as exc:  # e.g. a stream entry without containerPort renders '0.0.0.0:<nil>'
        nil = " (a stream entry without containerPort renders as <nil>)" if "<nil>" in str(exc) else ""
        raise fail(f"{path}: the chart would render a listen Kong refuses: {exc}{nil}") from None
    target = Target(Chart(chart.value), release, namespace)
    udp = next((f"{namespace}/{s.name}" for s in facts.services if s.name.endswith("-udp-proxy")), "")
    ctx = {"helm": True, "kong_prefix": "".join(f"{p}." for p in target.kong_prefix),
           "controller_prefix": "".join(f"{p}." for p in target.controller_prefix),
           "unpublished_udp": udp if udp and udp not in facts.publish_services else ""}
    return listens, ctx


def _services(paths: list[str]) -> list[dict[str, Any]]:
    from migrate.loader import load_inputs

    return [d.obj for d in load_inputs(paths).docs if d.obj.get("kind") == "Service"]


def _listens_from_services(paths: list[str], proxy_listen: str, stream_listen: str
                           ) -> tuple[list[Any], dict[str, Any]]:
    from migrate.kongstatus.listens import ListenSyntaxError, kong_listens_from_services
    from migrate.loader import load_inputs

    loaded = load_inputs(paths)
    if loaded.errors:
        raise fail(str(loaded.errors[0]))
    services = [d.obj for d in loaded.docs if d.obj.get("kind") == "Service"]
    if not services:
        raise fail("--service: no Service objects found")
    try:
        listens = kong_listens_from_services(services, proxy_listen, stream_listen)
    except ListenSyntaxError as exc:
        raise fail(f"--proxy-listen/--stream-listen: {exc}") from None
    return listens, {"helm": False}


@app.command()
def check(
    inputs: Annotated[list[str] | None, typer.Argument(help="Gateway manifests: files, directories or - for stdin.",
                                                       metavar="INPUT...", show_default=False)] = None,
    values_file: Annotated[Path | None, typer.Option("--values", help="Kong Helm values file.")] = None,
    service: Annotated[list[str] | None, typer.Option(help="Kong proxy (publish) Service manifest(s), for installs "
                                                      "without Helm; use with --proxy-listen/--stream-listen.")] = None,
    proxy_listen: Annotated[str, typer.Option(help="Kong's proxy_listen (KONG_PROXY_LISTEN).")] = "off",
    stream_listen: Annotated[str, typer.Option(help="Kong's stream_listen (KONG_STREAM_LISTEN).")] = "off",
    chart: Annotated[ChartOpt, typer.Option(help="Chart the values are for.")] = ChartOpt.KONG,
    release: Annotated[str, typer.Option(help="Helm release name.")] = "kong",
    namespace: Annotated[str, typer.Option(help="Namespace Kong is installed in.")] = "kong",
    gateway: Annotated[str | None, typer.Option(help="Only this Gateway (NS/NAME).")] = None,
    gateway_class: Annotated[list[str] | None, typer.Option(help="Kong's GatewayClass name (repeatable). Default: "
                                                            "the input's GatewayClasses with KIC's controllerName, "
                                                            "else kong.")] = None,
    output: Annotated[CheckFormat, typer.Option("-o", "--output", help="text table or json.")] = CheckFormat.TEXT,
) -> None:
    """Predict each Gateway listener's Accepted/Conflicted/ResolvedRefs/Programmed status under Kong.

    Exit codes: 0 every listener would be Programmed; 1 some listener would not (the fix is printed);
    2 usage or input errors.
    """
    from migrate.kongstatus.dataplane import dataplane_problems
    from migrate.kongstatus.predict import predict_listener_status

    if not inputs:
        # A bare `migrate check` (or one without Gateways) says what it needs instead of a terse usage error.
        raise fail(NEEDS)
    if (values_file is None) == (not service):
        raise fail("give either --values FILE or --service FILE (with --proxy-listen/--stream-listen)")
    check_release(release, namespace)
    selected = load_gateways(inputs, gateway, gateway_class)
    gateways, input_failed = selected.gateways, selected.input_failed
    values: dict[str, Any] | None = None
    if values_file is not None:
        values = _load_values(values_file, chart.value)
        listens, ctx_fields = _listens_from_values(values, values_file, chart, release, namespace)
    else:
        listens, ctx_fields = _listens_from_services(service or [], proxy_listen, stream_listen)
    statuses = predict_listener_status(gateways, listens)
    failing = [s for s in statuses if not s.programmed]
    fixes: dict[int, list[str]] = {}
    if failing:
        from migrate.kongstatus.fixes import FixContext, fix_for, verified_fix

        ctx = FixContext(**ctx_fields)
    for s in failing:
        lines = fix_for(s, listens, ctx)
        if values is not None and any(r in ("UnsupportedProtocol", "PortUnavailable") for r in s.reasons):
            # Every values fix is re-run through the predictor: only a change that works is shown.
            found, problem = verified_fix(s, gateways, values, chart.value, release, namespace)
            lines = [f for f in lines if f.startswith("Gateway:")] + (found or [f"no single values change: {problem}"])
        elif values is None and any(r in ("UnsupportedProtocol", "PortUnavailable") for r in s.reasons):
            # --service mode: the Service/listen change is re-run through the predictor too (issue 11 item 5).
            from migrate.kongstatus.fixes import verified_service_fix

            found, problem = verified_service_fix(s, gateways, _services(service or []), proxy_listen, stream_listen)
            lines = [f for f in lines if f.startswith("Gateway:")] + (
                found or [f"no single Service or listen change: {problem}"])
        fixes[id(s)] = lines
    problems = dataplane_problems(gateways, statuses, values, chart.value, release, namespace) \
        if values is not None else []

    if output == CheckFormat.JSON:
        doc = {
            "kongListens": [{"protocol": kl.protocol, "port": kl.port, "service": kl.service,
                             "servicePortName": kl.port_name, "targetPort": kl.target_port} for kl in listens],
            "listeners": [_json(s, fixes.get(id(s), [])) for s in statuses],
            "programmed": len(statuses) - len(failing),
            "total": len(statuses),
            "dataPlane": [{"level": p.level, "subject": p.subject, "message": p.message, "fix": p.fix}
                          for p in problems],
        }
        write_stdout(json.dumps(doc, indent=2) + "\n")
    else:
        rows = [["GATEWAY", "LISTENER", "PROTOCOL", "PORT", *(t.upper() for t in CONDITION_TYPES)]]
        rows += [[s.gateway, s.listener.name, s.listener.protocol, str(s.listener.port),
                  *(_cell(s, t) for t in CONDITION_TYPES)] for s in statuses]
        text = render_table(rows)
        available = ", ".join(f"{kl.protocol} {kl.port}" for kl in listens) or "none"
        text += f"\nKong listens the controller sees: {available}\n"
        for s in failing:
            text += f"\n{s.gateway} listener {s.listener.name!r} ({', '.join(s.reasons)}):\n"
            text += "".join(f"  fix: {f}\n" for f in fixes[id(s)])
        for p in problems:
            text += f"\n{p.level}: {p.subject}: {p.message}\n" + (f"  fix: {p.fix}\n" if p.fix else "")
        text += (f"\n{len(statuses) - len(failing)} of {len(statuses)} listener(s) would be Programmed. "
                 "certificateRefs are not resolved (no Secrets are read).\n")
        write_stdout(text)
    if input_failed:
        raise typer.Exit(EXIT_USAGE)
    broken = any(p.level == "error" for p in problems)
    raise typer.Exit(EXIT_NEEDS_HUMAN if failing or broken else 0)


def _json(status: Any, fixes: list[str]) -> dict[str, Any]:
    lst = status.listener
    return {
        "gateway": status.gateway, "listener": lst.name, "protocol": lst.protocol, "port": lst.port,
        "hostname": lst.hostname, "programmed": status.programmed,
        "conditions": [{"type": c.type, "status": c.status, "reason": c.reason, "message": c.message}
                       for c in status.conditions],
        "supportedKinds": list(status.supported_kinds), "fixes": fixes,
    }
