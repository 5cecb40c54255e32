"""The Helm values a port plan needs, for the `kong` chart or nested for the `kong/ingress` umbrella."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generators.chart import KONG_DEFAULTS, Chart, fullname
from generators.plan import PortPlan, StreamPort

GATEWAY_ALPHA = "GatewayAlpha"


@dataclass(frozen=True)
class Target:
    chart: Chart = Chart.KONG
    release: str = "kong"
    namespace: str = "kong"

    @property
    def kong_prefix(self) -> tuple[str, ...]:
        return ("gateway",) if self.chart == Chart.INGRESS else ()

    @property
    def controller_prefix(self) -> tuple[str, ...]:
        return ("controller",) if self.chart == Chart.INGRESS else ()

    def udp_service(self, kong_values: dict[str, Any] | None = None) -> str:
        return f"{self.namespace}/{fullname(kong_values or {}, self.release, self.chart)}-udp-proxy"


def stream_entry(s: StreamPort) -> dict[str, Any]:
    entry: dict[str, Any] = {"containerPort": s.port, "servicePort": s.port, "protocol": s.protocol}
    if s.ssl:
        entry["parameters"] = ["ssl"]
    return entry


def with_gate(feature_gates: str, gate: str = GATEWAY_ALPHA) -> str:
    """`feature_gates` with `gate=true`, every other gate kept in its place."""
    parts = [p.strip() for p in feature_gates.split(",") if p.strip()]
    out = [f"{gate}=true" if p.split("=")[0].strip() == gate else p for p in parts]
    if f"{gate}=true" not in out:
        out.append(f"{gate}=true")
    return ",".join(out)


def proxy_values(plan: PortPlan) -> dict[str, Any]:
    """The `proxy` block (kong chart shape)."""
    if plan.http is not None:
        http: dict[str, Any] = {"enabled": True, "servicePort": plan.http.service_port,
                                "containerPort": plan.http.container_port}
    elif plan.https is None:
        http = {"enabled": True, "servicePort": 0, "containerPort": plan.options.http_container_port}
    else:
        http = {"enabled": False}
    if plan.https is not None:
        tls: dict[str, Any] = {"enabled": True, "servicePort": plan.https.service_port,
                               "containerPort": plan.https.container_port,
                               "parameters": list(KONG_DEFAULTS["proxy"]["tls"]["parameters"])}
    else:
        tls = {"enabled": False}
    return {"enabled": True, "http": http, "tls": tls, "stream": [stream_entry(s) for s in plan.proxy_streams]}


def plan_values(plan: PortPlan, target: Target) -> dict[str, Any]:
    """The values block the plan owns, nested the way `target.chart` expects."""
    kong: dict[str, Any] = {"proxy": proxy_values(plan)}
    separate = plan.separate_udp
    if separate:
        kong["udpProxy"] = {"enabled": True, "stream": [stream_entry(s) for s in separate]}
    env: dict[str, Any] = {}
    if plan.has_l4:
        env["feature_gates"] = with_gate("")
    if separate:
        env["publish_service_udp"] = target.udp_service()
    out: dict[str, Any] = {"gateway": kong} if target.chart == Chart.INGRESS else dict(kong)
    if env:
        ic = {"ingressController": {"env": env}}
        if target.chart == Chart.INGRESS:
            out["controller"] = ic
        else:
            out.update(ic)
    return out
