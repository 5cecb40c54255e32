"""The Gateway's listener plan: HTTP, HTTPS per TLS host, and L4 listeners, with their origin."""

from __future__ import annotations

from dataclasses import dataclass, field

from migrate.sources import SourceRef

HTTP_SECTION = "http"


@dataclass
class ListenerPlan:
    name: str
    protocol: str  # HTTP | HTTPS | TLS | TCP | UDP
    port: int
    hostname: str | None = None
    cert: tuple[str, str] | None = None  # (namespace, secret)
    tls_mode: str | None = None  # Terminate | Passthrough
    sources: list[SourceRef] = field(default_factory=list)
    route_namespaces: set[str] = field(default_factory=set)


def hostnames_intersect(listener_host: str | None, route_host: str) -> bool:
    """Gateway API hostname intersection (a missing listener hostname matches everything)."""
    if not listener_host:
        return True
    if listener_host == route_host:
        return True
    if listener_host.startswith("*."):
        suffix = listener_host[1:]
        if route_host.endswith(suffix):
            return True
    if route_host.startswith("*."):
        suffix = route_host[1:]
        if listener_host.endswith(suffix):
            return True
    return False


def sections_for(listeners: list[ListenerPlan], hostnames: list[str], *, http: bool, https: bool) -> list[str]:
    """Names of the HTTP/HTTPS listeners a route with these hostnames should attach to."""
    out: list[str] = []
    for lst in listeners:
        if lst.protocol == "HTTP" and http or lst.protocol == "HTTPS" and https and (
            not hostnames or any(hostnames_intersect(lst.hostname, h) for h in hostnames)
        ):
            out.append(lst.name)
    return out
