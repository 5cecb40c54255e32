"""What a Kong deployment serves today: its listens and its proxy Service ports.

`helm-values --values` and `scan` must never take one away unless `--prune` asks for it: during a
migration the same Kong serves the Ingress-era objects (Ingresses on the HTTP/HTTPS ports, TCPIngresses
and UDPIngresses on stream listens) and the new Gateways.  A served item is identified by what a client
or Kong's controller sees: a listen by its port and kind, a Service port by Service, port, protocol
and the container port it targets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class Served:
    kind: str  # "listen" or "service"
    where: str  # proxy / stream for listens; the Service name for Service ports
    port: int
    protocol: str  # listens: HTTP, HTTPS, TCP, TLS, UDP; Service ports: TCP or UDP
    target: str = ""  # Service ports: the targetPort

    def __str__(self) -> str:
        if self.kind == "listen":
            env = "KONG_PROXY_LISTEN" if self.where == "proxy" else "KONG_STREAM_LISTEN"
            return f"Kong listen {self.port} ({self.protocol}, {env})"
        return f"Service {self.where} port {self.port}/{self.protocol} -> {self.target}"


def _listens(text: str, where: str) -> set[Served]:
    out: set[Served] = set()
    for raw in str(text or "").split(","):
        tokens = raw.split()
        if not tokens:
            continue
        if tokens[0] == "off":
            return set()
        _, _, port = tokens[0].rpartition(":")
        if not port.isdigit():
            continue
        flags = tokens[1:]
        if where == "proxy":
            proto = "HTTPS" if "ssl" in flags else "HTTP"
        else:
            proto = "UDP" if "udp" in flags else "TLS" if "ssl" in flags else "TCP"
        out.add(Served("listen", where, int(port), proto))
    return out


def served_from_listens(proxy_listen: str, stream_listen: str) -> set[Served]:
    return _listens(proxy_listen, "proxy") | _listens(stream_listen, "stream")


def served_from_service_ports(service: str, ports: Iterable[tuple[Any, Any, Any]]) -> set[Served]:
    """(port, targetPort, protocol) triples of one Service."""
    return {Served("service", service, port, str(protocol or "TCP"), str(target))
            for port, target, protocol in ports if isinstance(port, int) and port > 0}


def served_from_facts(facts: Any) -> set[Served]:
    """From rendered chart facts (generators.chart.ChartFacts)."""
    out = served_from_listens(facts.env.get("KONG_PROXY_LISTEN", "off"), facts.env.get("KONG_STREAM_LISTEN", "off"))
    for svc in facts.services:
        out |= served_from_service_ports(svc.name, ((p.port, p.target_port, p.protocol) for p in svc.ports))
    return out


def served_from_values(values: dict[str, Any], *, release: str, namespace: str, chart: Any) -> set[Served]:
    """What these values serve; nothing when the chart would not render them (nothing can be lost then)."""
    from generators.chart import ChartRenderError, render_chart

    try:
        return served_from_facts(render_chart(values, release=release, namespace=namespace, chart=chart))
    except ChartRenderError:
        return set()


def used_ports(plan: Any) -> set[tuple[str, int]]:
    """(kind, port) pairs the plan's Gateway listeners use: Service ports and container listens."""
    out: set[tuple[str, int]] = set()
    for hp in (plan.http, plan.https):
        if hp is not None:
            out |= {("service", hp.service_port), ("listen", hp.container_port)}
    for s in plan.streams:
        out |= {("service", s.port), ("listen", s.port)}
    return out


@dataclass(frozen=True)
class IngressUse:
    """An Ingress-era object that needs a port Kong serves today."""

    kind: str
    key: str  # ns/name
    port: int | None  # TCPIngress/UDPIngress rule port; None: the HTTP/HTTPS proxy
    protocol: str  # HTTP (Ingress without TLS), HTTPS, TCP (TCPIngress), TLS (TCPIngress with tls), UDP

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


def ingress_era_uses(docs: Iterable[Any]) -> list[IngressUse]:
    """Ingresses, TCPIngresses and UDPIngresses in the input (SourceDoc-like objects with `.obj`, or dicts)."""
    out: list[IngressUse] = []
    for doc in docs:
        obj = getattr(doc, "obj", doc)
        if not isinstance(obj, dict):
            continue
        kind = obj.get("kind")
        meta: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
        key = f"{meta.get('namespace') or 'default'}/{meta.get('name') or ''}"
        spec: dict[str, Any] = obj["spec"] if isinstance(obj.get("spec"), dict) else {}
        api = str(obj.get("apiVersion") or "")
        if kind == "Ingress" and api.startswith("networking.k8s.io/"):
            out.append(IngressUse("Ingress", key, None, "HTTP"))
            if spec.get("tls"):
                out.append(IngressUse("Ingress", key, None, "HTTPS"))
        elif kind in ("TCPIngress", "UDPIngress") and api.startswith("configuration.konghq.com/"):
            tls_hosts = {h for t in spec.get("tls") or [] if isinstance(t, dict) for h in t.get("hosts") or []}
            for rule in spec.get("rules") or []:
                if not isinstance(rule, dict) or not isinstance(rule.get("port"), int):
                    continue
                proto = "UDP" if kind == "UDPIngress" else ("TLS" if rule.get("host") in tls_hosts
                                                            or rule.get("host") else "TCP")
                out.append(IngressUse(kind, key, rule["port"], proto))
    return out


def users_of(item: Served, uses: list[IngressUse], values_http: tuple[int | None, int | None]) -> list[IngressUse]:
    """The Ingress-era objects that need `item`. `values_http`: (HTTP, HTTPS) container ports served today."""
    out = []
    for u in uses:
        if u.port is None:
            wanted = "HTTPS" if u.protocol == "HTTPS" else "HTTP"
            cport = values_http[1] if wanted == "HTTPS" else values_http[0]
            if item.kind == "listen" and item.where == "proxy" and item.protocol == wanted or item.kind == "service" and item.target == str(cport) and item.protocol == "TCP":
                out.append(u)
        elif item.port == u.port or (item.kind == "service" and item.target == str(u.port)):
            if item.kind == "listen" and item.where != "stream":
                continue
            if (item.protocol == "UDP") == (u.protocol == "UDP"):
                out.append(u)
    return list(dict.fromkeys(out))


PROXY_SERVICE = "(proxy Service)"
UDP_PROXY_SERVICE = "(UDP proxy Service)"


def _label(item: Served, service: str, udp_service: str = "") -> str:
    return str(item).replace(UDP_PROXY_SERVICE, udp_service or UDP_PROXY_SERVICE).replace(PROXY_SERVICE, service)


@dataclass
class LiveKeep:
    """What `scan` adds to a plan's values so that the live proxy keeps serving what it serves today."""

    kept: list[tuple[str, Served]]  # (values path, what it serves): entries added for the live proxy
    lost: list[Served]  # served today, not by the values (the chart cannot express both)


def _int_target(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def served_live(ports: Iterable[tuple[int, Any, str]], proxy_listen: str | None, stream_listen: str | None
                ) -> set[Served]:
    """The live proxy Service's ports (as PROXY_SERVICE) and, when read, Kong's listens."""
    out = served_from_service_ports(PROXY_SERVICE, ((p, t, proto) for p, t, proto in ports))
    if proxy_listen is not None:
        out |= _listens(proxy_listen, "proxy")
    if stream_listen is not None:
        out |= _listens(stream_listen, "stream")
    return out


def served_proxy_side(values: dict[str, Any], *, release: str, namespace: str, chart: Any) -> set[Served]:
    """What the values serve, every Service port labelled PROXY_SERVICE (the scan reads one Service)."""
    return {Served(s.kind, PROXY_SERVICE, s.port, s.protocol, s.target) if s.kind == "service" else s
            for s in served_from_values(values, release=release, namespace=namespace, chart=chart)}


def keep_live(values: dict[str, Any], plan: Any, kong_prefix: tuple[str, ...],
              ports: list[tuple[int, Any, str]], proxy_listen: str | None, stream_listen: str | None) -> LiveKeep:
    """Add to `values` (in place) the live proxy's Service ports and listens the plan does not use."""
    proxy_l: dict[int, set[str]] = {}
    stream_l: dict[int, set[str]] = {}
    for text, into in ((proxy_listen, proxy_l), (stream_listen, stream_l)):
        for raw in str(text or "").split(","):
            tokens = raw.split()
            if not tokens or tokens[0] == "off":
                if tokens:
                    break
                continue
            _, _, num = tokens[0].rpartition(":")
            if num.isdigit():
                into.setdefault(int(num), set()).update(tokens[1:])
    if proxy_listen is None:
        # Listens not read (no Deployment, or set from a reference): the chart's convention for the proxy.
        for hp, ssl in ((plan.http, False), (plan.https, True)):
            if hp is not None:
                proxy_l[hp.container_port] = {"ssl"} if ssl else set()
        proxy_l.setdefault(8000, set())
        proxy_l.setdefault(8443, {"ssl", "http2"})
    kong = values
    for prefix in kong_prefix:
        kong = kong[prefix]
    proxy = kong["proxy"]
    path = "".join(f"{x}." for x in kong_prefix) + "proxy"
    kept: list[tuple[str, Served]] = []
    used = {(s.port, s.protocol) for s in plan.streams}
    for port, raw_target, protocol in ports:
        target = _int_target(raw_target)
        if target is None:
            continue
        item = Served("service", PROXY_SERVICE, port, protocol, str(raw_target))
        if target in proxy_l and protocol == "TCP":
            https = "ssl" in proxy_l[target]
            block, planned = ("tls", plan.https) if https else ("http", plan.http)
            if planned is None:
                entry: dict[str, Any] = {"enabled": True, "servicePort": port, "containerPort": target}
                if https:
                    entry["parameters"] = [f for f in ("http2",) if f in proxy_l[target]]
                proxy[block] = entry
                kept.append((f"{path}.{block}", item))
            continue
        if (port, protocol) in used:
            continue
        flags = stream_l.get(target, set())
        stream_entry: dict[str, Any] = {"containerPort": target, "servicePort": port, "protocol": protocol}
        if "ssl" in flags:
            stream_entry["parameters"] = ["ssl"]
        proxy.setdefault("stream", []).append(stream_entry)
        kept.append((f"{path}.stream[{len(proxy['stream']) - 1}]", item))
    return LiveKeep(kept, [])


def keep_live_udp(values: dict[str, Any], plan: Any, kong_prefix: tuple[str, ...], controller_prefix: tuple[str, ...],
                  ports: list[tuple[int, Any, str]], udp_service: str) -> LiveKeep:
    """Add to `values` (in place) the live UDP proxy Service's ports the plan does not use, as `udpProxy.stream`
    entries (items labelled UDP_PROXY_SERVICE); the controller keeps publishing that Service (`udp_service`,
    ns/name) unless the values already name one."""
    kong = values
    for prefix in kong_prefix:
        kong = kong[prefix]
    path = "".join(f"{x}." for x in kong_prefix) + "udpProxy"
    used = {(s.port, s.protocol) for s in plan.streams}
    kept: list[tuple[str, Served]] = []
    for port, raw_target, protocol in ports:
        target = _int_target(raw_target)
        if target is None or (port, protocol) in used:
            continue
        udp = kong.setdefault("udpProxy", {})
        udp["enabled"] = True
        stream = udp.setdefault("stream", [])
        if any(e.get("servicePort") == port and e.get("protocol", "TCP") == protocol for e in stream):
            continue
        stream.append({"containerPort": target, "servicePort": port, "protocol": protocol})
        kept.append((f"{path}.stream[{len(stream) - 1}]",
                     Served("service", UDP_PROXY_SERVICE, port, protocol, str(raw_target))))
    if kept:
        ctl = values
        for prefix in controller_prefix:
            ctl = ctl.setdefault(prefix, {})
        env = ctl.setdefault("ingressController", {}).setdefault("env", {})
        env.setdefault("publish_service_udp", udp_service)
    return LiveKeep(kept, [])
