"""Which (protocol, port) pairs Kong's controller considers available, derived like KIC does (REFERENCE §5.2).

For every port of every publish Service: the Service protocol (TCP/UDP), promoted to TLS when its integer
targetPort is a stream listen with `ssl`, and to HTTP/HTTPS when it is a proxy listen.  So HTTP, HTTPS and
TLS are checked against the real listens, TCP and UDP only against the Service.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ListenEntry:
    address: str
    port: int
    flags: tuple[str, ...]

    @property
    def ssl(self) -> bool:
        return "ssl" in self.flags


class ListenSyntaxError(ValueError):
    pass


def parse_listen(text: str) -> list[ListenEntry]:
    """Parse a Kong `proxy_listen` / `stream_listen` value; `off` (alone or first) means no listens."""
    entries: list[ListenEntry] = []
    for raw in text.split(","):
        tokens = raw.split()
        if not tokens:
            continue
        if tokens[0] == "off":
            return []
        addr, sep, port = tokens[0].rpartition(":")
        if not sep or not addr or not port.isdigit() or not 0 < int(port) < 65536:
            raise ListenSyntaxError(f"{raw.strip()!r} must be of form <ip>:<port> [flag ...]")
        entries.append(ListenEntry(addr, int(port), tuple(tokens[1:])))
    return entries


@dataclass(frozen=True)
class KongListen:
    """One (protocol, port) Kong's controller would accept a listener on, with where it came from."""

    protocol: str  # HTTP, HTTPS, TLS, TCP or UDP
    port: int  # the Service port = the Gateway listener port
    service: str = ""  # ns/name of the publish Service
    port_name: str = ""
    target_port: int | None = None


def _listen_map(entries: list[ListenEntry]) -> dict[int, bool]:
    # KIC keys the data plane's listeners by port; a later entry for the same port wins, as in its Go map.
    out: dict[int, bool] = {}
    for e in entries:
        out[e.port] = e.ssl
    return out


def kong_listens_from_services(services: Iterable[dict[str, Any]], proxy_listen: str,
                               stream_listen: str) -> list[KongListen]:
    """KIC's view from publish Service manifests plus the proxy's KONG_PROXY_LISTEN / KONG_STREAM_LISTEN."""
    proxy = _listen_map(parse_listen(proxy_listen))
    stream = _listen_map(parse_listen(stream_listen))
    out: list[KongListen] = []
    for svc in services:
        meta = svc.get("metadata") or {}
        key = f"{meta.get('namespace') or 'default'}/{meta.get('name') or ''}"
        ports = [p for p in (svc.get("spec") or {}).get("ports") or [] if isinstance(p, dict)
                 and isinstance(p.get("port"), int) and not isinstance(p.get("port"), bool) and p["port"] > 0]
        # KIC maps servicePort -> targetPort by port number only (`portMapper`, a Go map filled in Service
        # order): a TCP and a UDP port with the same number share the last one's targetPort.
        mapper: dict[int, int] = {}
        for p in ports:
            raw_target = p.get("targetPort", p["port"])
            # A named targetPort is looked up as integer 0 by KIC, so it never matches a listen.
            mapper[p["port"]] = raw_target if isinstance(raw_target, int) and not isinstance(raw_target, bool) else 0
        for p in ports:
            port = p["port"]
            target = mapper[port]
            protocol = str(p.get("protocol") or "TCP")
            if stream.get(target):
                protocol = "TLS"
            if target in proxy:
                protocol = "HTTPS" if proxy[target] else "HTTP"
            out.append(KongListen(protocol, port, key, str(p.get("name") or ""), target))
    return out


def kong_listens_from_values(values: dict[str, Any], *, release: str = "kong", namespace: str = "kong",
                             chart: str = "kong") -> list[KongListen]:
    """KIC's view of a Helm install: render the chart's proxy from `values`, keep its publish Services."""
    from generators.chart import Chart, render_chart
    from generators.services import service_manifests

    facts = render_chart(values, release=release, namespace=namespace, chart=Chart(chart))
    published = [m for m in service_manifests(facts, release)
                 if f"{m['metadata']['namespace']}/{m['metadata']['name']}" in facts.publish_services]
    return kong_listens_from_services(published, facts.env.get("KONG_PROXY_LISTEN", "off"),
                                      facts.env.get("KONG_STREAM_LISTEN", "off"))
