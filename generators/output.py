"""Text outputs of `helm-values`: commented values (jinja2), the env strings, the Service manifests."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from generators.chart import Chart, ChartFacts
from generators.plan import PortPlan, StreamPort, UdpService
from generators.services import service_manifest
from generators.values import Target


@cache
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("generators", "templates"), autoescape=False,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["scalar"] = scalar
    return env


def scalar(value: Any) -> str:
    """One YAML scalar or flow list that reads back as `value` under YAML 1.1 and 1.2."""
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    from migrate.yamlio import dump_yaml

    return dump_yaml(str(value)).removesuffix("\n...\n").strip()


def comment_text(text: str) -> str:
    """Comment lines never carry a newline from the input into the YAML."""
    return " ".join(text.split())


def _uses(uses: Any) -> list[str]:
    return [comment_text(str(u)) for u in uses]


def _stream_comments(s: StreamPort, plan: PortPlan, in_proxy: bool) -> list[str]:
    lines = _uses(s.uses)
    if s.ssl:
        lines.append("TLS listener: the stream listen needs `ssl` (Kong reads the SNI for TLSRoutes)")
    if s.protocol == "UDP" and in_proxy and plan.options.udp_service == UdpService.SAME:
        lines.append("UDP on the proxy Service: some load balancers refuse mixed TCP/UDP; "
                     "--udp-service separate moves it to udpProxy")
    return lines


def values_comments(plan: PortPlan, target: Target, udp_service: str) -> dict[str, list[str]]:
    kong = "gateway." if target.chart == Chart.INGRESS else ""
    ctrl = "controller." if target.chart == Chart.INGRESS else ""
    c: dict[str, list[str]] = {}
    c[f"{kong}proxy.http"] = _uses(plan.http.uses) if plan.http else (
        ["No HTTP listener. The listen stays, unexposed (servicePort 0), so the chart still renders the proxy "
         "Service for the stream ports"] if plan.https is None else ["No HTTP listener"])
    c[f"{kong}proxy.tls"] = _uses(plan.https.uses) if plan.https else ["No HTTPS listener"]
    if plan.proxy_streams:
        c[f"{kong}proxy.stream"] = ["L4 listeners: containerPort == servicePort == listener port (Kong matches "
                                    "TCP/UDP routes on its own listen port)"]
    for i, s in enumerate(plan.proxy_streams):
        c[f"{kong}proxy.stream[{i}]"] = _stream_comments(s, plan, True)
    for i, s in enumerate(plan.separate_udp):
        c[f"{kong}udpProxy.stream[{i}]"] = _stream_comments(s, plan, False)
    if plan.separate_udp:
        c[f"{kong}udpProxy"] = [f"UDP listeners get their own Service, {udp_service}"]
    c[f"{ctrl}ingressController.env.feature_gates"] = ["TCPRoute, UDPRoute and TLSRoute need the GatewayAlpha "
                                                       "feature gate"]
    c[f"{ctrl}ingressController.env.publish_service_udp"] = [
        "The chart publishes only the proxy Service; the controller needs the UDP one too"]
    return c


def render_values(values: dict[str, Any], comments: dict[str, list[str]], header: list[str]) -> str:
    text: str = _env().get_template("values.yaml.j2").render(values=values, comments=comments,
                                                                header=[comment_text(h) for h in header])
    return text.lstrip("\n") + ("" if text.endswith("\n") else "\n")


def env_entries(facts: ChartFacts) -> dict[str, list[dict[str, str]]]:
    """The container env Kong's proxy and its controller end up with for these values."""
    proxy = [{"name": k, "value": facts.env[k]}
             for k in ("KONG_PROXY_LISTEN", "KONG_STREAM_LISTEN", "KONG_PORT_MAPS") if k in facts.env]
    controller = [{"name": "CONTROLLER_PUBLISH_SERVICE", "value": facts.publish_services[0]}] \
        if facts.publish_services else []
    if len(facts.publish_services) > 1:
        controller.append({"name": "CONTROLLER_PUBLISH_SERVICE_UDP", "value": facts.publish_services[1]})
    return {"proxy": proxy, "controller": controller}


def render_env(facts: ChartFacts, feature_gates: str | None, header: list[str]) -> str:
    from migrate.yamlio import dump_yaml

    entries = env_entries(facts)
    if feature_gates:
        entries["controller"].append({"name": "CONTROLLER_FEATURE_GATES", "value": feature_gates})
    out = [f"# {comment_text(h)}" for h in header]
    out.append("# Kong proxy container (`proxy`): the listens the chart renders from the values")
    out.append(dump_yaml(entries["proxy"]).rstrip("\n"))
    out.append("# Kong ingress controller container")
    out.append(dump_yaml(entries["controller"]).rstrip("\n") if entries["controller"] else "[]")
    return "\n".join(out) + "\n"


def render_services(facts: ChartFacts, header: list[str]) -> str:
    from migrate.yamlio import dump_yaml

    services = []
    for svc in facts.services:
        kind = "UDP listeners" if svc.name.endswith("-udp-proxy") else "proxy"
        services.append({"comments": [f"Kong {kind} Service: port names as the chart renders them"],
                         "body": dump_yaml(service_manifest(svc, facts))})
    text: str = _env().get_template("services.yaml.j2").render(
        header=[comment_text(h) for h in header], services=services)
    return text.strip("\n") + "\n"


def render_json(values: dict[str, Any]) -> str:
    return json.dumps(values, indent=2) + "\n"
