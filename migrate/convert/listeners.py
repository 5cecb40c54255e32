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


@dataclass
class _HostIndex:
    """Positions of the HTTP(S) listeners of one plan, by what they accept."""

    listeners: list[ListenerPlan]
    size: int
    http: list[int] = field(default_factory=list)
    https: list[int] = field(default_factory=list)
    https_any_host: list[int] = field(default_factory=list)
    https_exact: dict[str, list[int]] = field(default_factory=dict)
    https_wildcard: dict[str, list[int]] = field(default_factory=dict)  # "*.example.com" under ".example.com"
    by_name: dict[str, ListenerPlan] = field(default_factory=dict)  # every listener (the last of a name)


_last_index: _HostIndex | None = None


def _host_index(listeners: list[ListenerPlan]) -> _HostIndex:
    # Every route of a run asks about the same plan: with one HTTPS listener per TLS host, scanning the
    # plan per route is quadratic (minutes for 10,000 Ingresses).  The index is rebuilt when the plan changes.
    global _last_index
    idx = _last_index
    if idx is not None and idx.listeners is listeners and idx.size == len(listeners):
        return idx
    idx = _HostIndex(listeners, len(listeners))
    for i, lst in enumerate(listeners):
        idx.by_name[lst.name] = lst
        if lst.protocol == "HTTP":
            idx.http.append(i)
        elif lst.protocol == "HTTPS":
            idx.https.append(i)
            if not lst.hostname:
                idx.https_any_host.append(i)
                continue
            idx.https_exact.setdefault(lst.hostname, []).append(i)
            if lst.hostname.startswith("*."):
                idx.https_wildcard.setdefault(lst.hostname[1:], []).append(i)
    _last_index = idx
    return idx


def listeners_by_name(listeners: list[ListenerPlan]) -> dict[str, ListenerPlan]:
    """The plan's listeners by name (shared, indexed once per plan like sections_for's: do not modify)."""
    return _host_index(listeners).by_name


def sections_for(listeners: list[ListenerPlan], hostnames: list[str], *, http: bool, https: bool) -> list[str]:
    """Names of the HTTP/HTTPS listeners a route with these hostnames should attach to, in plan order."""
    idx = _host_index(listeners)
    picked: set[int] = set(idx.http) if http else set()
    if https and not hostnames:
        picked.update(idx.https)
    elif https:
        picked.update(idx.https_any_host)
        for host in hostnames:
            if host.startswith("*."):  # rare: compare with every HTTPS listener
                picked.update(i for i in idx.https if hostnames_intersect(listeners[i].hostname, host))
                continue
            picked.update(idx.https_exact.get(host, ()))
            dot = host.find(".")
            while dot != -1:  # a listener "*.b.c" accepts "a.b.c": look up every ".suffix" of the host
                picked.update(idx.https_wildcard.get(host[dot:], ()))
                dot = host.find(".", dot + 1)
    return [listeners[i].name for i in sorted(picked)]
