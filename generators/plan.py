"""The port plan: which Kong proxy ports the Gateway listeners need, and what the chart cannot express.

HTTP → proxy.http, HTTPS → proxy.tls, TCP → a stream entry, TLS → a stream entry with `ssl`, UDP → a
stream entry with protocol UDP (in proxy.stream, or udpProxy.stream with a separate UDP Service).  L4
entries use containerPort == servicePort == listener port: Kong matches L4 routes on its own listen port
(REFERENCE §5.6).  Listener sets the chart cannot express become errors naming the listener and the fix.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from migrate.kongstatus.gateways import Gateway, Listener
from migrate.kongstatus.listens import KongListen
from migrate.kongstatus.predict import predict_gateway

L4_PROTOCOLS = ("TCP", "UDP", "TLS")
KNOWN_PROTOCOLS = ("HTTP", "HTTPS", *L4_PROTOCOLS)
# Ports Kong itself binds in the chart's default install besides the proxy: status and admin.
RESERVED_PORTS = {8100: "the status listen (status.http)", 8444: "the admin API listen (admin.tls)"}


def default_pod_ports(chart: str = "kong") -> tuple[tuple[int, str], ...]:
    """TCP ports the rest of the Kong pod binds with the chart's defaults (see generators.chart.pod_bound_ports)."""
    from generators.chart import Chart, pod_bound_ports

    return tuple(sorted(pod_bound_ports({}, Chart(chart)).items()))
PRIVILEGED_BELOW = 1024


class UdpService(StrEnum):
    SAME = "same"  # UDP entries in proxy.stream, on the proxy Service
    SEPARATE = "separate"  # UDP entries in udpProxy.stream, Service <fullname>-udp-proxy


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Issue:
    severity: Severity
    subject: str  # which Gateway listener(s), or the option
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.severity}: {self.subject}: {self.message}"
        return text + (f"\n  fix: {self.fix}" if self.fix else "")


@dataclass(frozen=True)
class Use:
    """One Gateway listener that needs a port."""

    gateway: str
    listener: Listener

    def __str__(self) -> str:
        return f"Gateway {self.gateway} {self.listener.describe()}"


@dataclass(frozen=True)
class HttpPort:
    service_port: int
    container_port: int
    uses: tuple[Use, ...]


@dataclass(frozen=True)
class StreamPort:
    port: int
    protocol: str  # Kubernetes protocol: TCP or UDP
    ssl: bool  # a TLS listener: Kong's stream listen needs `ssl`
    uses: tuple[Use, ...]

    @property
    def gateway_protocol(self) -> str:
        return "TLS" if self.ssl else self.protocol


@dataclass(frozen=True)
class PlanOptions:
    http_container_port: int = 8000
    https_container_port: int = 8443
    udp_service: UdpService = UdpService.SAME
    # TCP ports something else binds in the Kong pod (admin, status, Kong Manager, the controller's webhook
    # and probes): None means the kong chart's defaults.
    pod_ports: tuple[tuple[int, str], ...] | None = None

    def bound(self) -> dict[int, str]:
        return dict(self.pod_ports if self.pod_ports is not None else default_pod_ports())


@dataclass(frozen=True)
class PortPlan:
    http: HttpPort | None
    https: HttpPort | None
    streams: tuple[StreamPort, ...]
    options: PlanOptions
    issues: tuple[Issue, ...] = field(default=())

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == Severity.ERROR]

    @property
    def has_l4(self) -> bool:
        return bool(self.streams)

    @property
    def separate_udp(self) -> list[StreamPort]:
        if self.options.udp_service != UdpService.SEPARATE:
            return []
        return [s for s in self.streams if s.protocol == "UDP"]

    @property
    def proxy_streams(self) -> list[StreamPort]:
        separate = self.separate_udp
        return [s for s in self.streams if s not in separate]


def _uses_text(uses: list[Use]) -> str:
    return "; ".join(str(u) for u in uses)


def _gateway_issues(gateway: Gateway) -> list[Issue]:
    """Problems in the Gateway itself, whatever Kong's ports are: conflicts and invalid route kinds."""
    issues: list[Issue] = []
    everything = [KongListen(lst.protocol, lst.port) for lst in gateway.listeners]
    for status in predict_gateway(gateway, everything):
        use = Use(gateway.key, status.listener)
        for reason in status.reasons:
            if reason == "ProtocolConflict":
                issues.append(Issue(Severity.ERROR, str(use), "shares its port with a listener of an incompatible "
                                    "protocol (ProtocolConflict): Kong's controller programs neither",
                                    "give each protocol its own port (TCP and UDP listeners never share a port)"))
            elif reason == "HostnameConflict":
                issues.append(Issue(Severity.ERROR, str(use), "repeats the hostname of another listener on its port "
                                    "(HostnameConflict)", "give the listeners distinct hostnames or merge them"))
            elif reason == "InvalidRouteKinds":
                issues.append(Issue(Severity.ERROR, str(use), "allowedRoutes.kinds names a kind Kong does not "
                                    "support on a listener (InvalidRouteKinds; GRPCRoute included)",
                                    "list only HTTPRoute, TCPRoute, UDPRoute or TLSRoute of group "
                                    "gateway.networking.k8s.io, or drop allowedRoutes.kinds"))
    return issues


def _listener_issues(use: Use) -> list[Issue]:
    lst = use.listener
    if lst.protocol not in KNOWN_PROTOCOLS:
        return [Issue(Severity.ERROR, str(use), f"protocol {lst.protocol!r} has no Kong listen "
                      "(UnsupportedProtocol)", "use HTTP, HTTPS, TCP, TLS or UDP")]
    if lst.protocol == "TLS" and lst.tls_mode != "Passthrough":
        mode = lst.tls_mode or "unset"
        return [Issue(Severity.ERROR, str(use), f"is a TLS listener with tls.mode {mode}: Kong attaches TLSRoutes "
                      "only to Passthrough listeners, so no route could use it",
                      "set tls.mode: Passthrough (Kong's stream listen gets `ssl`; SNI picks the route), or use "
                      "protocol HTTPS for HTTP traffic")]
    return []


def _collapse(by_port: dict[int, list[Use]], kind: str, block: str) -> list[Issue]:
    if len(by_port) <= 1:
        return []
    ports = ", ".join(str(p) for p in sorted(by_port))
    uses = [u for p in sorted(by_port) for u in by_port[p]]
    return [Issue(Severity.ERROR, _uses_text(uses), f"{kind} listeners on {len(by_port)} ports ({ports}): the "
                  f"Kong chart has a single {kind} proxy port ({block})",
                  f"put every {kind} listener on one port (hostnames tell them apart), or run a second Kong "
                  "release for the other port")]


def build_plan(gateways: list[Gateway], options: PlanOptions | None = None) -> PortPlan:
    opts = options or PlanOptions()
    issues: list[Issue] = []
    by_proto: dict[str, dict[int, list[Use]]] = defaultdict(lambda: defaultdict(list))
    for gw in gateways:
        issues += _gateway_issues(gw)
        for lst in gw.listeners:
            use = Use(gw.key, lst)
            found = _listener_issues(use)
            issues += found
            if not found:
                by_proto[lst.protocol][lst.port].append(use)

    issues += _collapse(by_proto["HTTP"], "HTTP", "proxy.http")
    issues += _collapse(by_proto["HTTPS"], "HTTPS", "proxy.tls")
    # One Service cannot carry two TCP ports with the same number, and Kong cannot bind one port twice.
    tcp_family = ("HTTP", "HTTPS", "TLS", "TCP")
    for port in sorted({p for proto in tcp_family for p in by_proto[proto]}):
        users = [proto for proto in tcp_family if port in by_proto[proto]]
        if len(users) > 1:
            uses = [u for proto in users for u in by_proto[proto][port]]
            issues.append(Issue(Severity.ERROR, _uses_text(uses), f"{' and '.join(users)} listeners share port "
                                f"{port}: Kong serves them from different listens and the proxy Service can "
                                f"expose port {port}/TCP only once", "move one of them to another port"))

    # KIC maps a publish Service's ports to targetPorts by port number only, and the data plane's stream
    # listens by port number only: a UDP port hides (or is hidden by) a same-numbered port of another kind.
    for port in sorted(by_proto["UDP"]):
        udp_uses = by_proto["UDP"][port]
        if port in by_proto["TLS"]:
            uses = by_proto["TLS"][port] + udp_uses
            issues.append(Issue(Severity.ERROR, _uses_text(uses), f"TLS and UDP listeners share port {port}: Kong's "
                                "controller keys the data plane's stream listens by port number, so the `udp` listen "
                                f"and the `ssl` listen on {port} hide each other and one of the listeners is never "
                                "Programmed (UnsupportedProtocol or PortUnavailable), on any Service",
                                "move the UDP or the TLS listener to a port of its own"))
        for proto in ("HTTP", "HTTPS"):
            if port in by_proto[proto] and opts.udp_service == UdpService.SAME:
                uses = by_proto[proto][port] + udp_uses
                issues.append(Issue(Severity.ERROR, _uses_text(uses), f"{proto} and UDP listeners share port {port} on "
                                    f"the proxy Service: Kong's controller maps Service ports to targetPorts by number "
                                    f"only, so the UDP port {port} hides the {proto} one (UnsupportedProtocol)",
                                    "pass --udp-service separate (the UDP port then has a Service of its own), or "
                                    "move one of the listeners to another port"))

    http = _http_port(by_proto["HTTP"], opts.http_container_port)
    https = _http_port(by_proto["HTTPS"], opts.https_container_port)
    streams = tuple(
        StreamPort(port, "UDP" if proto == "UDP" else "TCP", proto == "TLS", tuple(by_proto[proto][port]))
        for port, proto in sorted((p, proto) for proto in L4_PROTOCOLS for p in by_proto[proto])
    )
    issues += _container_port_issues(http, https, streams, opts)
    if http is None and https is None and streams and opts.udp_service == UdpService.SEPARATE \
            and all(st.protocol == "UDP" for st in streams):
        issues.append(Issue(Severity.ERROR, _uses_text([u for st in streams for u in st.uses]),
                            "only UDP listeners, with --udp-service separate: the proxy Service would have no "
                            "ports at all, and Kubernetes rejects a Service without ports",
                            "use --udp-service same (the UDP ports then go on the proxy Service)"))
    elif http is None and https is None:
        issues.append(Issue(Severity.NOTE, "proxy.http", "no HTTP or HTTPS listener: proxy.http stays enabled with "
                            "servicePort 0 because the chart renders no proxy Service (and so none of its stream "
                            "ports) when proxy.http and proxy.tls are both disabled"))
    return PortPlan(http, https, streams, opts, tuple(issues))


def _http_port(by_port: dict[int, list[Use]], container_port: int) -> HttpPort | None:
    if not by_port:
        return None
    port = min(by_port)
    return HttpPort(port, container_port, tuple(by_port[port]))


def _container_port_issues(http: HttpPort | None, https: HttpPort | None, streams: tuple[StreamPort, ...],
                           opts: PlanOptions) -> list[Issue]:
    issues: list[Issue] = []
    bound = opts.bound()
    # Without HTTP and HTTPS listeners proxy.http still listens (servicePort 0), so its port stays taken.
    fixed = {"--http-container-port": opts.http_container_port if http is not None or https is None else None,
             "--https-container-port": opts.https_container_port if https is not None else None}
    if opts.http_container_port == opts.https_container_port and None not in fixed.values():
        issues.append(Issue(Severity.ERROR, "--http-container-port/--https-container-port",
                            f"both are {opts.http_container_port}: Kong cannot listen twice on one port",
                            "choose two different container ports"))
    for s in streams:
        for flag, cport in fixed.items():
            # UDP too: KIC reads any Service port whose targetPort is a proxy listen as HTTP/HTTPS.
            if cport == s.port:
                issues.append(Issue(Severity.ERROR, _uses_text(list(s.uses)), f"needs Kong to listen on container "
                                    f"port {s.port}, which is the {'HTTPS' if 'https' in flag else 'HTTP'} proxy's "
                                    "container port", f"pass {flag} with another free port (e.g. "
                                    f"{_free_port(cport, streams, bound)})"))
        if s.port in bound and s.protocol == "TCP":
            issues.append(Issue(Severity.ERROR, _uses_text(list(s.uses)), f"needs Kong to listen on {s.port}, which "
                                f"the Kong pod already binds for {bound[s.port]}", "move the listener to another port"))
        if s.port < PRIVILEGED_BELOW:
            issues.append(Issue(Severity.WARNING, _uses_text(list(s.uses)), f"needs Kong to listen on container port "
                                f"{s.port} (L4 listens must use the listener port), below {PRIVILEGED_BELOW}: "
                                "Kong's image runs as a non-root user and cannot bind it by default",
                                "use a listener port >= 1024, or give the proxy container the NET_BIND_SERVICE "
                                "capability (or lower net.ipv4.ip_unprivileged_port_start)"))
    for flag, cport in fixed.items():
        if cport is not None and cport in bound:
            issues.append(Issue(Severity.ERROR, flag, f"container port {cport} is already bound in the Kong pod by "
                                f"{bound[cport]}: Kong would fail to start", f"pass {flag} with another free port "
                                f"(e.g. {_free_port(cport, streams, bound)})"))
        if cport is not None and cport < PRIVILEGED_BELOW:
            issues.append(Issue(Severity.WARNING, flag, f"container port {cport} is below {PRIVILEGED_BELOW}: Kong's "
                                "image runs as a non-root user and cannot bind it by default",
                                "keep the chart's default (8000 / 8443): the Service maps the listener port to it"))
    return issues


def _free_port(start: int, streams: tuple[StreamPort, ...], bound: dict[int, str]) -> int:
    taken = {s.port for s in streams} | set(RESERVED_PORTS) | set(bound) | {8000, 8443}
    port = start + 1
    while port in taken:
        port += 1
    return port
