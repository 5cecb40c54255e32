"""Data-plane breakage the listener status does not show: a listener Kong's controller marks Programmed
whose traffic still goes nowhere (L4 container port != Service port, a stream listen without `udp`, L4
routes without the GatewayAlpha gate), and Gateway fields Kong's controller ignores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    level: str  # error (exit 1) or warning
    subject: str
    message: str
    fix: str = ""


def _listen_flags(text: str) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for raw in str(text or "").split(","):
        tokens = raw.split()
        if not tokens:
            continue
        if tokens[0] == "off":
            return {}
        _, _, port = tokens[0].rpartition(":")
        if port.isdigit():
            out.setdefault(int(port), set()).update(tokens[1:])
    return out


def dataplane_problems(gateways: list[Any], statuses: list[Any], values: dict[str, Any] | None, chart: str,
                       release: str, namespace: str) -> list[Problem]:
    from generators.chart import Chart, ChartRenderError, controller_env, kong_values, render_chart

    problems: list[Problem] = []
    for g in gateways:
        if g.addresses:
            problems.append(Problem("warning", f"Gateway {g.key}", f"spec.addresses ({', '.join(g.addresses)}) is "
                                    "ignored by Kong's controller: the Gateway's addresses are the publish Service's",
                                    "remove spec.addresses; set the address on the proxy Service (e.g. "
                                    "proxy.loadBalancerIP or its annotations)"))
    if values is None:
        return problems
    c = Chart(chart)
    try:
        facts = render_chart(values, release=release, namespace=namespace, chart=c)
    except ChartRenderError:
        return problems
    k = "gateway." if c == Chart.INGRESS else ""
    ctl = "controller." if c == Chart.INGRESS else ""
    stream = _listen_flags(facts.env.get("KONG_STREAM_LISTEN", "off"))
    kenv = kong_values(values, c).get("env")
    override = isinstance(kenv, dict) and kenv.get("stream_listen") is not None
    published = {f"{facts.namespace}/{s.name}": s for s in facts.services}
    l4 = [s for s in statuses if s.programmed and s.listener.protocol in ("TCP", "UDP", "TLS")]
    for st in l4:
        lst = st.listener
        proto = "UDP" if lst.protocol == "UDP" else "TCP"
        where = f"Gateway {st.gateway} {lst.describe()}"
        port = next((p for key, svc in published.items() if key in facts.publish_services for p in svc.ports
                     if p.port == lst.port and p.protocol == proto), None)
        if port is None or not isinstance(port.target_port, int):
            continue
        if port.target_port != lst.port:
            problems.append(Problem("error", where, f"Programmed, but the Service sends port {lst.port} to Kong's "
                                    f"container port {port.target_port}: Kong matches {lst.protocol} routes on its "
                                    f"own listen port and KIC gives them the listener port {lst.port} as "
                                    "destination, so no route on this listener ever matches",
                                    f"set containerPort: {lst.port} on the {k}proxy.stream / {k}udpProxy.stream "
                                    f"entry with servicePort {lst.port} (containerPort == servicePort == listener "
                                    "port)"))
            continue
        flags = stream.get(port.target_port)
        if flags is None:
            problems.append(Problem("error", where, f"Programmed, but Kong has no stream listen on container port "
                                    f"{port.target_port} (KONG_STREAM_LISTEN): the traffic is refused",
                                    f"add the {k}proxy.stream entry for port {lst.port} (or drop the env override "
                                    f"{k}env.stream_listen)"))
        elif (proto == "UDP") != ("udp" in flags) and override:
            problems.append(Problem("error", where, f"Programmed, but Kong's stream listen on {port.target_port} is "
                                    f"{'TCP' if proto == 'UDP' else 'UDP'} ({'no' if proto == 'UDP' else 'a'} `udp` "
                                    f"flag, from {k}env.stream_listen) while the Service port is {proto}: the traffic "
                                    "is refused", f"remove {k}env.stream_listen (the chart derives the listens from "
                                    f"{k}proxy.stream, with `udp` for protocol UDP)"))
        elif (proto == "UDP") != ("udp" in flags):
            problems.append(Problem("error", where, f"Programmed, but Kong's stream listen on {port.target_port} is "
                                    f"{'TCP' if proto == 'UDP' else 'UDP'} ({'no' if proto == 'UDP' else 'a'} `udp` "
                                    f"flag) while the Service port is {proto}: the traffic is refused",
                                    f"set protocol: {proto} (exactly, upper case) on the stream entry for port "
                                    f"{lst.port}"))
    if l4:
        gates = str(controller_env(values, c).get("feature_gates") or "")
        enabled = any(p.strip().replace(" ", "") == "GatewayAlpha=true" for p in gates.split(","))
        if not enabled:
            names = ", ".join(f"{s.gateway} {s.listener.name!r}" for s in l4)
            problems.append(Problem("error", "GatewayAlpha", f"L4 listeners ({names}) are Programmed, but Kong's "
                                    "controller ignores TCPRoutes, UDPRoutes and TLSRoutes unless the GatewayAlpha "
                                    "feature gate is on: no route would attach",
                                    f"set {ctl}ingressController.env.feature_gates: GatewayAlpha=true (keeping any "
                                    "other gates)"))
    return problems
