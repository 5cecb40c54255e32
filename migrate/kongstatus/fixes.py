"""The change that makes a failing listener Programmed: in the Helm values, the Service, or the Gateway."""

from __future__ import annotations

from dataclasses import dataclass

from migrate.kongstatus.listens import KongListen
from migrate.kongstatus.predict import ListenerStatus


@dataclass(frozen=True)
class FixContext:
    """What the fix text may refer to: Helm values (with key prefixes for the umbrella) or raw Services."""

    helm: bool = True
    kong_prefix: str = ""  # "gateway." for the umbrella chart
    controller_prefix: str = ""  # "controller." for the umbrella chart
    unpublished_udp: str = ""  # ns/name of a rendered UDP Service the controller does not publish


def _gateway_fix(reason: str) -> str:
    return {
        "InvalidRouteKinds": "Gateway: list only HTTPRoute, TCPRoute, UDPRoute or TLSRoute (group "
                             "gateway.networking.k8s.io) in allowedRoutes.kinds, or drop kinds",
        "ProtocolConflict": "Gateway: move this listener or the other one on its port to a port of its own "
                            "(TCP/UDP never share; HTTP shares only with HTTP, HTTPS/TLS only with HTTPS/TLS)",
        "HostnameConflict": "Gateway: give the listeners on this port distinct hostnames",
    }[reason]


def _values_fix(status: ListenerStatus, listens: list[KongListen], ctx: FixContext) -> str:
    lst, k = status.listener, ctx.kong_prefix
    same_port = {kl.protocol for kl in listens if kl.port == lst.port}
    entry = f"{{containerPort: {lst.port}, servicePort: {lst.port}, protocol: %s%s}}"
    if lst.protocol == "HTTP":
        return f"set {k}proxy.http.enabled: true and {k}proxy.http.servicePort: {lst.port}"
    if lst.protocol == "HTTPS":
        return (f"set {k}proxy.tls.enabled: true and {k}proxy.tls.servicePort: {lst.port} (and no "
                f"{k}proxy.tls.overrideServiceTargetPort)")
    if lst.protocol == "TLS":
        if "TCP" in same_port:
            return f"add ssl to the parameters of the {k}proxy.stream entry for port {lst.port}"
        return f"add {entry % ('TCP', ', parameters: [ssl]')} to {k}proxy.stream"
    if lst.protocol == "TCP":
        if "TLS" in same_port:
            return f"remove ssl from the parameters of the {k}proxy.stream entry for port {lst.port}"
        return f"add {entry % ('TCP', '')} to {k}proxy.stream"
    if lst.protocol == "UDP":
        if ctx.unpublished_udp:
            return (f"set {ctx.controller_prefix}ingressController.env.publish_service_udp: {ctx.unpublished_udp} "
                    "(the chart does not publish the UDP Service)")
        return (f"add {entry % ('UDP', '')} to {k}udpProxy.stream with {k}udpProxy.enabled: true and "
                f"{ctx.controller_prefix}ingressController.env.publish_service_udp (or to {k}proxy.stream)")
    return "Gateway: use protocol HTTP, HTTPS, TCP, TLS or UDP; Kong has no other listens"


def _service_fix(status: ListenerStatus, listens: list[KongListen]) -> str:
    lst = status.listener
    need = {"HTTP": "a KONG_PROXY_LISTEN entry without ssl", "HTTPS": "a KONG_PROXY_LISTEN entry with ssl",
            "TLS": "a KONG_STREAM_LISTEN entry with ssl", "TCP": "a KONG_STREAM_LISTEN entry without ssl",
            "UDP": "a KONG_STREAM_LISTEN entry with udp"}.get(lst.protocol)
    if need is None:
        return "Gateway: use protocol HTTP, HTTPS, TCP, TLS or UDP; Kong has no other listens"
    l4 = lst.protocol in ("TCP", "UDP", "TLS")
    proto = "UDP" if lst.protocol == "UDP" else "TCP"
    existing = next((kl for kl in listens if kl.port == lst.port), None)
    if existing is not None and existing.target_port == 0:
        return (f"publish Service {existing.service}: port {existing.port_name!r} has a named targetPort, which "
                f"Kong's controller never matches; use an integer targetPort with {need}")
    if existing is not None:
        return f"Kong needs {need} on port {existing.target_port} (targetPort of {existing.service} port {existing.port_name!r})"
    target = f"targetPort {lst.port} (L4: containerPort == listener port)" if l4 else "a targetPort"
    return f"publish Service: add port {lst.port}/{proto} with {target}, and {need} on it"


def fix_for(status: ListenerStatus, listens: list[KongListen], ctx: FixContext) -> list[str]:
    """One line per change needed, Gateway problems first (values cannot fix those)."""
    fixes: list[str] = []
    for reason in status.reasons:
        if reason in ("InvalidRouteKinds", "ProtocolConflict", "HostnameConflict"):
            fixes.append(_gateway_fix(reason))
        elif reason in ("UnsupportedProtocol", "PortUnavailable"):
            fixes.append(_values_fix(status, listens, ctx) if ctx.helm else _service_fix(status, listens))
    return fixes
