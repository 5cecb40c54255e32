"""Predict the listener status Kong's controller writes on a Gateway (REFERENCE §5.3).

Follows KIC 3.5 `getListenerStatus` / `canSharePort` / `getListenerSupportedRouteKinds`: route kinds, port
sharing in listener order with a second pass over conflicted ports and hostnames, then availability of a
Kong listen with the listener's protocol and port.  Certificate references are not resolved here (no
Secrets or ReferenceGrants are read); `check` says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from migrate.kongstatus.gateways import GATEWAY_GROUP, Gateway, Listener, RouteKind
from migrate.kongstatus.listens import KongListen

MSG_UNSUPPORTED = "no Kong listen with the requested protocol is configured"
MSG_PORT = "no Kong listen with the requested protocol is configured for the requested port"

VALID_KINDS = ("HTTPRoute", "TCPRoute", "UDPRoute", "TLSRoute")
DEFAULT_KINDS = {
    "HTTP": ("HTTPRoute", "GRPCRoute"),
    "HTTPS": ("HTTPRoute", "GRPCRoute"),
    "TCP": ("TCPRoute",),
    "UDP": ("UDPRoute",),
    "TLS": ("TLSRoute",),
}


@dataclass(frozen=True)
class Condition:
    type: str
    status: str  # "True" / "False", as in the API
    reason: str
    message: str = ""


@dataclass(frozen=True)
class ListenerStatus:
    gateway: str  # ns/name
    listener: Listener
    conditions: tuple[Condition, ...]
    supported_kinds: tuple[str, ...]

    def condition(self, type_: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)

    @property
    def programmed(self) -> bool:
        c = self.condition("Programmed")
        return c is not None and c.status == "True"

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons that make the listener fail, in condition order."""
        return tuple(c.reason for c in self.conditions
                     if (c.type, c.status) in {("Accepted", "False"), ("Conflicted", "True"), ("ResolvedRefs", "False")})


def can_share_port(requested: str, existing: str) -> bool:
    if requested in ("HTTPS", "TLS"):
        return existing in ("HTTPS", "TLS")
    if requested == "HTTP":
        return existing == "HTTP"
    return False  # TCP and UDP never share, nor does anything unknown


def supported_kinds(listener: Listener) -> tuple[tuple[str, ...], list[RouteKind]]:
    """(supported kinds, invalid kinds) for a listener."""
    if listener.kinds is None:
        return DEFAULT_KINDS.get(listener.protocol, ()), []
    valid: list[str] = []
    invalid: list[RouteKind] = []
    for k in listener.kinds:
        if k.group == GATEWAY_GROUP and k.kind in VALID_KINDS:
            valid.append(k.kind)
        else:
            invalid.append(k)
    return tuple(valid), invalid


def _hostname(listener: Listener) -> str:
    return listener.hostname or ""


def predict_gateway(gateway: Gateway, kong_listens: Iterable[KongListen]) -> list[ListenerStatus]:
    available: dict[str, set[int]] = {}
    for kl in kong_listens:
        available.setdefault(kl.protocol, set()).add(kl.port)
    port_protocol: dict[int, str] = {}
    port_hostnames: dict[int, set[str]] = {}
    conflicted_ports: set[int] = set()
    conflicted_hosts: set[tuple[int, str]] = set()
    first: list[tuple[list[Condition], tuple[str, ...]]] = []
    for listener in gateway.listeners:
        conds: list[Condition] = []
        kinds, invalid = supported_kinds(listener)
        if invalid:
            names = ", ".join(f"{k.group}/{k.kind}" for k in invalid)
            conds.append(Condition("ResolvedRefs", "False", "InvalidRouteKinds", f"invalid route kinds: {names}"))
        port, host = listener.port, _hostname(listener)
        if port not in port_protocol:
            port_protocol[port] = listener.protocol
            port_hostnames[port] = {host}
        elif not can_share_port(listener.protocol, port_protocol[port]):
            conds.append(Condition("Conflicted", "True", "ProtocolConflict"))
            conflicted_ports.add(port)
        elif host in port_hostnames[port]:
            conds.append(Condition("Conflicted", "True", "HostnameConflict"))
            conflicted_hosts.add((port, host))
        else:
            port_hostnames[port].add(host)
        if listener.protocol not in available:
            conds.append(Condition("Accepted", "False", "UnsupportedProtocol", MSG_UNSUPPORTED))
        elif port not in available[listener.protocol]:
            conds.append(Condition("Accepted", "False", "PortUnavailable", MSG_PORT))
        first.append((conds, kinds))

    out: list[ListenerStatus] = []
    for listener, (conds, kinds) in zip(gateway.listeners, first, strict=True):
        # Second pass: every listener on a conflicted port (or port+hostname) gets the conflict.
        if not any(c.type == "Conflicted" for c in conds):
            if listener.port in conflicted_ports:
                conds.append(Condition("Conflicted", "True", "ProtocolConflict"))
            elif (listener.port, _hostname(listener)) in conflicted_hosts:
                conds.append(Condition("Conflicted", "True", "HostnameConflict"))
        if conds:
            conds.append(Condition("Programmed", "False", "Invalid"))
        else:
            conds += [Condition("Conflicted", "False", "NoConflicts"), Condition("ResolvedRefs", "True", "ResolvedRefs"),
                      Condition("Programmed", "True", "Programmed")]
        if not any(c.type == "Accepted" for c in conds):
            conds.append(Condition("Accepted", "True", "Accepted"))
        out.append(ListenerStatus(gateway.key, listener, tuple(conds), kinds))
    return out


def predict_listener_status(gateways: Iterable[Gateway], kong_listens: Iterable[KongListen]) -> list[ListenerStatus]:
    """Per listener of every Gateway (in input order), the status KIC would write, given Kong's listens."""
    listens = list(kong_listens)
    return [s for g in gateways for s in predict_gateway(g, listens)]
