"""The live Kong proxy: its Service ports and the listen strings of its Deployment.  Parsing is pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Labels the Kong Helm chart puts on its proxy Service; the Service is named <release>-kong-proxy.
CHART_SELECTOR = "app.kubernetes.io/name=kong"
# The `ingress` umbrella chart names its Kong subchart `gateway`: Service `<release>-gateway-proxy`.
UMBRELLA_SELECTOR = "app.kubernetes.io/name=gateway"
LISTEN_ENV = ("KONG_PROXY_LISTEN", "KONG_STREAM_LISTEN")


@dataclass(frozen=True)
class ServicePort:
    name: str
    port: int
    target_port: int | str
    protocol: str


@dataclass
class LiveProxy:
    namespace: str
    service: str
    ports: list[ServicePort] = field(default_factory=list)
    deployment: str = ""
    env: dict[str, str] = field(default_factory=dict)  # KONG_PROXY_LISTEN / KONG_STREAM_LISTEN when literal
    notes: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)  # the Service as read, for the listener check
    # The chart's UDP proxy Service (`udpProxy`: <fullname>-udp-proxy, same namespace and chart labels), if live.
    udp_service: str = ""
    udp_ports: list[ServicePort] = field(default_factory=list)


def is_proxy_service(svc: dict[str, Any], suffix: str = "-proxy") -> bool:
    name = str((svc.get("metadata") or {}).get("name") or "")
    return name.endswith(suffix) and not name.endswith("-udp-proxy")


def is_udp_proxy_service(svc: dict[str, Any]) -> bool:
    return str((svc.get("metadata") or {}).get("name") or "").endswith("-udp-proxy")


def chart_label_selector(svc: dict[str, Any]) -> str:
    """The chart's name and instance labels of `svc` as a label selector; empty without the name label."""
    labels = (svc.get("metadata") or {}).get("labels") or {}
    if not isinstance(labels, dict) or not labels.get("app.kubernetes.io/name"):
        return ""
    return ",".join(f"{key}={labels[key]}" for key in ("app.kubernetes.io/instance", "app.kubernetes.io/name")
                    if labels.get(key))


def service_ports(svc: dict[str, Any]) -> list[ServicePort]:
    ports = []
    for p in (svc.get("spec") or {}).get("ports") or []:
        if not isinstance(p, dict) or not isinstance(p.get("port"), int):
            continue
        target = p.get("targetPort", p["port"])
        ports.append(ServicePort(str(p.get("name") or ""), p["port"], target if isinstance(target, int | str)
                                 else p["port"], str(p.get("protocol") or "TCP")))
    return ports


def selector_string(svc: dict[str, Any]) -> str:
    selector = (svc.get("spec") or {}).get("selector") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items())) if isinstance(selector, dict) else ""


def read_listen_env(deployment: dict[str, Any], proxy: LiveProxy) -> None:
    """Fill `proxy.env` from the Deployment's proxy container; note values that are not literal."""
    containers = ((((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers")) or []
    name = str((deployment.get("metadata") or {}).get("name") or "")
    for container in containers:
        env = {e.get("name"): e for e in container.get("env") or [] if isinstance(e, dict)}
        if not any(k in env for k in LISTEN_ENV):
            continue
        proxy.deployment = name
        for key in LISTEN_ENV:
            entry = env.get(key)
            if entry is None:
                proxy.env[key] = "off" if key == "KONG_STREAM_LISTEN" else ""
                if key == "KONG_PROXY_LISTEN":
                    proxy.notes.append(f"Deployment {proxy.namespace}/{name} does not set {key}: Kong's default "
                                       "applies (0.0.0.0:8000, 0.0.0.0:8443 ssl)")
                    proxy.env[key] = "0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport " \
                                     "backlog=16384"
            elif "value" in entry:
                proxy.env[key] = str(entry["value"])
            else:
                proxy.notes.append(f"Deployment {proxy.namespace}/{name} sets {key} from a reference "
                                   "(valueFrom): its value cannot be read without reading that object")
        return
    proxy.notes.append(f"Deployment {proxy.namespace}/{name} has no container with KONG_PROXY_LISTEN or "
                       "KONG_STREAM_LISTEN")
