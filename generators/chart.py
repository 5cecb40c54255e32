"""What the Kong Helm chart renders for the proxy, computed from a values tree.

Mirrors `kong` 3.4.1 (`kong.listen`, `kong.streamListen`, `kong.env`, the proxy and udp-proxy Service
templates, the proxy container ports; REFERENCE §6) including its quirks, because `check` must predict
what a real install does, not what the values meant.  Every case in ../shared/kong-chart-renders is a test.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Chart(StrEnum):
    KONG = "kong"
    INGRESS = "ingress"  # the kong/ingress umbrella: Kong's values nest under `gateway.`


class ChartRenderError(ValueError):
    """The chart itself would refuse these values (helm template fails)."""


DEFAULT_ADDRESSES = ["0.0.0.0", "[::]"]

# The subset of charts/kong/values.yaml defaults that shapes the proxy.
KONG_DEFAULTS: dict[str, Any] = {
    "proxy": {
        "enabled": True,
        "type": "LoadBalancer",
        "nameOverride": "",
        "http": {"enabled": True, "servicePort": 80, "containerPort": 8000, "parameters": []},
        "tls": {"enabled": True, "servicePort": 443, "containerPort": 8443, "parameters": ["http2"]},
        "stream": [],
    },
    "udpProxy": {"enabled": False, "type": "LoadBalancer", "stream": []},
    "ingressController": {"enabled": True, "env": {}, "admissionWebhook": {"enabled": True, "port": 8080}},
    "env": {},
    "deployment": {"kong": {"enabled": True}},
    # What else the proxy pod binds (charts/kong/values.yaml): admin, status, cluster, Kong Manager.
    "admin": {"enabled": False, "http": {"enabled": False, "containerPort": 8001},
              "tls": {"enabled": True, "containerPort": 8444}},
    "status": {"enabled": True, "http": {"enabled": True, "containerPort": 8100},
               "tls": {"enabled": False, "containerPort": 8543}},
    "cluster": {"enabled": False, "tls": {"enabled": False, "containerPort": 8005}},
    "enterprise": {"enabled": False, "portal": {"enabled": False}},
    "manager": {"enabled": True, "http": {"enabled": True, "containerPort": 8002},
                "tls": {"enabled": True, "containerPort": 8445}},
    "portal": {"enabled": True, "http": {"enabled": True, "containerPort": 8003},
               "tls": {"enabled": True, "containerPort": 8446}},
    "portalapi": {"enabled": True, "http": {"enabled": True, "containerPort": 8004},
                  "tls": {"enabled": True, "containerPort": 8447}},
}
# Kong's own default admin_gui_listen (Kong Manager) when the chart sets no KONG_ADMIN_GUI_LISTEN.
KONG_MANAGER_DEFAULT = ((8002, "Kong Manager's default listen (admin_gui_listen, HTTP)"),
                        (8445, "Kong Manager's default listen (admin_gui_listen, HTTPS)"))
# The ingress-controller container the kong chart runs in the proxy pod (one network namespace).
CONTROLLER_PORTS = ((10255, "the ingress controller's metrics port (cmetrics)"),
                    (10254, "the ingress controller's health/status port (cstatus)"))


@dataclass(frozen=True)
class ServicePortFact:
    name: str
    port: int | None
    target_port: int | str | None
    protocol: str | None
    node_port: int | None = None
    app_protocol: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "port": self.port, "targetPort": self.target_port,
                               "protocol": self.protocol}
        if self.node_port is not None:
            out["nodePort"] = self.node_port
        if self.app_protocol is not None:
            out["appProtocol"] = self.app_protocol
        return out


@dataclass(frozen=True)
class ServiceFact:
    name: str
    type: str
    ports: tuple[ServicePortFact, ...]

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "ports": [p.as_json() for p in self.ports]}


@dataclass(frozen=True)
class ContainerPortFact:
    name: str
    container_port: int | None
    protocol: str | None
    host_port: int | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "containerPort": self.container_port, "protocol": self.protocol}
        if self.host_port is not None:
            out["hostPort"] = self.host_port
        return out


@dataclass(frozen=True)
class ChartFacts:
    """The rendered proxy facts, in the shape of kong-chart-renders' rendered.json."""

    namespace: str
    env: dict[str, str]
    services: tuple[ServiceFact, ...]
    container_ports: tuple[ContainerPortFact, ...]
    # `ns/name` entries the controller publishes (CONTROLLER_PUBLISH_SERVICE and the UDP one).
    publish_services: tuple[str, ...] = field(default=())
    # The proxy pods' labels the chart's Services select (`kong.selectorLabels`).
    selector: tuple[tuple[str, str], ...] = field(default=())

    def service(self, name: str) -> ServiceFact | None:
        return next((s for s in self.services if s.name == name), None)


def coalesce(defaults: Any, overrides: Any) -> Any:
    """Helm's values coalescing: maps merge recursively, anything else replaces, null deletes the key."""
    if not isinstance(defaults, dict) or not isinstance(overrides, dict):
        return copy.deepcopy(overrides)
    out = copy.deepcopy(defaults)
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = coalesce(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def kong_values(values: dict[str, Any], chart: Chart) -> dict[str, Any]:
    """The values the kong (sub)chart sees, defaults applied."""
    own = values.get("gateway") if chart == Chart.INGRESS else values
    return coalesce(KONG_DEFAULTS, own if isinstance(own, dict) else {})


def controller_env(values: dict[str, Any], chart: Chart) -> dict[str, Any]:
    """The ingress controller's `env` map (`ingressController.env`, or `controller.ingressController.env`)."""
    root = values.get("controller") if chart == Chart.INGRESS else values
    ic = root.get("ingressController") if isinstance(root, dict) else None
    env = ic.get("env") if isinstance(ic, dict) else None
    return env if isinstance(env, dict) else {}


def fullname(kv: dict[str, Any], release: str, chart: Chart) -> str:
    if kv.get("fullnameOverride"):
        return str(kv["fullnameOverride"])[:63].rstrip("-")
    # The umbrella's subchart is aliased `gateway`, and an alias becomes .Chart.Name.
    name = kv.get("nameOverride") or ("gateway" if chart == Chart.INGRESS else "kong")
    return f"{release}-{name}"[:63].rstrip("-")


def proxy_service_name(kv: dict[str, Any], release: str, chart: Chart) -> str:
    override = kv.get("proxy", {}).get("nameOverride")
    return str(override) if override else f"{fullname(kv, release, chart)}-proxy"


def udp_service_name(kv: dict[str, Any], release: str, chart: Chart) -> str:
    return f"{fullname(kv, release, chart)}-udp-proxy"


def _uniq(tokens: list[str]) -> list[str]:
    seen: list[str] = []
    for t in tokens:
        if t not in seen:
            seen.append(t)
    return seen


def _listen(addresses: list[Any], port: Any, params: list[Any]) -> list[str]:
    return [" ".join(_uniq([f"{addr}:{_go(port)}", *(str(p) for p in params)])) for addr in addresses]


def _go(value: Any) -> str:
    """How Go templates print a scalar (`<nil>` for a missing value)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _params(entry: dict[str, Any], key: str = "parameters") -> list[Any]:
    value = entry.get(key)
    return list(value) if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _node_port(entry: dict[str, Any], service_type: str) -> int | None:
    if service_type not in ("LoadBalancer", "NodePort"):
        return None
    return _int(entry.get("nodePort")) or None


def proxy_listen(kv: dict[str, Any]) -> str:
    proxy = kv["proxy"]
    http, tls = proxy.get("http") or {}, proxy.get("tls") or {}
    addresses = proxy.get("addresses") or DEFAULT_ADDRESSES
    entries: list[str] = []
    if http.get("enabled"):
        entries += _listen(addresses, http.get("containerPort"), _params(http))
    if tls.get("enabled"):
        if not isinstance(tls.get("parameters"), list):
            raise ChartRenderError("proxy.tls.parameters is null: the chart fails with a nil pointer in "
                                   "`append .tls.parameters \"ssl\"`; set it to a list, e.g. [http2]")
        entries += _listen(addresses, tls.get("containerPort"), [*tls["parameters"], "ssl"])
    return ", ".join(entries) or "off"


def _stream_entries(kv: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(`proxy`|`udpProxy`, entry) with protocols defaulted the way the Service templates mutate them."""
    proxy, udp = kv["proxy"], kv.get("udpProxy") or {}
    proxy_svc = bool(proxy.get("enabled")) and bool((proxy.get("http") or {}).get("enabled")
                                                     or (proxy.get("tls") or {}).get("enabled"))
    out: list[tuple[str, dict[str, Any]]] = []
    for source, block, default, rendered in (("proxy", proxy, "TCP", proxy_svc),
                                              ("udpProxy", udp, "UDP", bool(udp.get("enabled")))):
        for raw in block.get("stream") or []:
            entry = dict(raw) if isinstance(raw, dict) else {}
            if rendered and not entry.get("protocol"):
                entry["protocol"] = default
            out.append((source, entry))
    return out


def stream_listen(kv: dict[str, Any]) -> str:
    proxy, udp = kv["proxy"], kv.get("udpProxy") or {}
    enabled = {"proxy": bool(proxy.get("enabled")), "udpProxy": bool(udp.get("enabled"))}
    entries: list[str] = []
    for source, entry in _stream_entries(kv):
        if not enabled[source]:
            continue
        params = _params(entry) + (["udp"] if entry.get("protocol") == "UDP" else [])
        entries += _listen(entry.get("addresses") or DEFAULT_ADDRESSES, entry.get("containerPort"), params)
    return ", ".join(entries) or "off"


def port_maps(kv: dict[str, Any]) -> str | None:
    proxy = kv["proxy"]
    if not proxy.get("enabled"):
        return None
    http, tls = proxy.get("http") or {}, proxy.get("tls") or {}
    maps: list[str] = []
    if http.get("enabled") and http.get("servicePort"):
        maps.append(f"{_go(http.get('servicePort'))}:{_go(http.get('containerPort'))}")
    if tls.get("enabled"):
        maps.append(f"{_go(tls.get('servicePort'))}:{_go(tls.get('containerPort'))}")
    return ", ".join(maps)


def _services(kv: dict[str, Any], release: str, chart: Chart) -> list[ServiceFact]:
    proxy, udp = kv["proxy"], kv.get("udpProxy") or {}
    http, tls = proxy.get("http") or {}, proxy.get("tls") or {}
    streams = _stream_entries(kv)
    services: list[ServiceFact] = []
    if proxy.get("enabled") and (http.get("enabled") or tls.get("enabled")):
        ptype = str(proxy.get("type") or "LoadBalancer")
        ports: list[ServicePortFact] = []
        if http.get("enabled") and http.get("servicePort") != 0:
            ports.append(ServicePortFact("kong-proxy", _int(http.get("servicePort")), http.get("containerPort"),
                                         "TCP", _node_port(http, ptype), http.get("appProtocol") or None))
        if tls.get("enabled"):
            target = tls.get("overrideServiceTargetPort") or tls.get("containerPort")
            ports.append(ServicePortFact("kong-proxy-tls", _int(tls.get("servicePort")), target, "TCP",
                                         _node_port(tls, ptype), tls.get("appProtocol") or None))
        for source, entry in streams:
            if source == "proxy":
                ports.append(_stream_service_port(entry, ptype))
        services.append(ServiceFact(proxy_service_name(kv, release, chart), ptype, tuple(ports)))
    if udp.get("enabled"):
        utype = str(udp.get("type") or "LoadBalancer")
        uports = tuple(_stream_service_port(e, utype) for s, e in streams if s == "udpProxy")
        services.append(ServiceFact(udp_service_name(kv, release, chart), utype, uports))
    return services


def _stream_service_port(entry: dict[str, Any], service_type: str) -> ServicePortFact:
    protocol = entry.get("protocol")
    prefix = "streamudp" if protocol == "UDP" else "stream"
    return ServicePortFact(f"{prefix}-{_go(entry.get('containerPort'))}", _int(entry.get("servicePort")),
                           entry.get("containerPort"), protocol, _node_port(entry, service_type))


def _container_ports(kv: dict[str, Any]) -> list[ContainerPortFact]:
    proxy = kv["proxy"]
    http, tls = proxy.get("http") or {}, proxy.get("tls") or {}
    out: list[ContainerPortFact] = []
    if proxy.get("enabled"):
        for name, entry in (("proxy", http), ("proxy-tls", tls)):
            if entry.get("enabled"):
                out.append(ContainerPortFact(name, _int(entry.get("containerPort")), "TCP",
                                             _int(entry.get("hostPort"))))
    for source, entry in _stream_entries(kv):
        protocol = entry.get("protocol")
        # udpProxy container ports are always named streamudp-N, whatever their protocol.
        prefix = "streamudp" if source == "udpProxy" or protocol == "UDP" else "stream"
        out.append(ContainerPortFact(f"{prefix}-{_go(entry.get('containerPort'))}", _int(entry.get("containerPort")),
                                     protocol or None, _int(entry.get("hostPort"))))
    return out


def kong_deployed(values: dict[str, Any], chart: Chart) -> bool:
    """`deployment.kong.enabled` (and the umbrella's `gateway.enabled`): false renders no Kong at all."""
    if chart == Chart.INGRESS:
        gw = values.get("gateway")
        if isinstance(gw, dict) and gw.get("enabled") is False:
            return False
    kv = kong_values(values, chart)
    dep = kv.get("deployment")
    kong = dep.get("kong") if isinstance(dep, dict) else None
    return not (isinstance(kong, dict) and not kong.get("enabled"))


def _listen_ports(text: str) -> list[tuple[int, bool]]:
    """(port, udp) of a Kong listen string as the chart or a user override spells it."""
    out: list[tuple[int, bool]] = []
    for raw in str(text).split(","):
        tokens = raw.split()
        if not tokens or tokens[0] == "off":
            if tokens and tokens[0] == "off":
                return []
            continue
        _, _, port = tokens[0].rpartition(":")
        if port.isdigit():
            out.append((int(port), "udp" in tokens[1:]))
    return out


def _block_ports(block: Any, what: str, need_enabled: bool = True) -> list[tuple[int, str]]:
    if not isinstance(block, dict) or (need_enabled and not block.get("enabled")):
        return []
    out = []
    for sub, kind in (("http", "HTTP"), ("tls", "HTTPS")):
        entry = block.get(sub)
        if isinstance(entry, dict) and entry.get("enabled") and _int(entry.get("containerPort")) is not None:
            out.append((int(entry["containerPort"]), f"{what} ({kind} listen)"))
    return out


def pod_bound_ports(values: dict[str, Any], chart: Chart = Chart.KONG) -> dict[int, str]:
    """TCP ports something other than the proxy binds in the Kong pod for these values: Kong's admin,
    status, cluster and Kong Manager listens, and (kong chart) the ingress controller's container."""
    kv = kong_values(values, chart)
    raw_env = kv.get("env")
    user_env: dict[str, Any] = raw_env if isinstance(raw_env, dict) else {}
    out: dict[int, str] = {}

    def add(port: int, what: str) -> None:
        out.setdefault(port, what)

    def listens(key: str, derived: list[tuple[int, str]], what: str) -> None:
        if user_env.get(key) is not None:
            for port, udp in _listen_ports(str(user_env[key])):
                if not udp:
                    add(port, f"{what} (env.{key})")
        else:
            for port, desc in derived:
                add(port, desc)

    # The admin listen is rendered even with admin.enabled false (on 127.0.0.1, which still takes the port).
    listens("admin_listen", _block_ports(kv.get("admin"), "the admin API", need_enabled=False), "the admin API")
    listens("status_listen", _block_ports(kv.get("status"), "the status endpoint"), "the status endpoint")
    listens("cluster_listen", _block_ports(kv.get("cluster"), "the hybrid-mode cluster listen"), "the cluster listen")
    enterprise: dict[str, Any] = kv["enterprise"] if isinstance(kv.get("enterprise"), dict) else {}
    if enterprise.get("enabled"):
        listens("admin_gui_listen", _block_ports(kv.get("manager"), "Kong Manager"), "Kong Manager")
        portal = enterprise.get("portal")
        if isinstance(portal, dict) and portal.get("enabled"):
            listens("portal_gui_listen", _block_ports(kv.get("portal"), "the Dev Portal"), "the Dev Portal")
            listens("portal_api_listen", _block_ports(kv.get("portalapi"), "the Dev Portal API"),
                    "the Dev Portal API")
    else:
        listens("admin_gui_listen", list(KONG_MANAGER_DEFAULT), "Kong Manager")
    ic: dict[str, Any] = kv["ingressController"] if isinstance(kv.get("ingressController"), dict) else {}
    if chart == Chart.KONG and ic.get("enabled"):
        hook = ic.get("admissionWebhook")
        if isinstance(hook, dict) and hook.get("enabled") and _int(hook.get("port")) is not None:
            add(int(hook["port"]), "the ingress controller's admission webhook "
                "(ingressController.admissionWebhook.port)")
        for port, what in CONTROLLER_PORTS:
            add(port, what)
    return out


def render_chart(values: dict[str, Any], *, release: str = "kong", namespace: str = "kong",
                 chart: Chart = Chart.KONG) -> ChartFacts:
    """The proxy facts `helm template` renders for `values`; raises ChartRenderError where Helm fails."""
    kv = kong_values(values, chart)
    if not isinstance(kv.get("proxy"), dict):
        raise ChartRenderError("proxy is not a mapping")
    if not kong_deployed(values, chart):
        # A controller-only release: no Kong container, no proxy Services, nothing listens.
        return ChartFacts(namespace, {}, (), (), (), ())
    env: dict[str, str] = {"KONG_PROXY_LISTEN": proxy_listen(kv), "KONG_STREAM_LISTEN": stream_listen(kv)}
    maps = port_maps(kv)
    if maps is not None:
        env["KONG_PORT_MAPS"] = maps
    # `env.proxy_listen` / `env.stream_listen` win over what the chart derives; the Services do not follow.
    raw_env = kv.get("env")
    user_env: dict[str, Any] = raw_env if isinstance(raw_env, dict) else {}
    for key in ("proxy_listen", "stream_listen"):
        if user_env.get(key) is not None:
            env[f"KONG_{key.upper()}"] = str(user_env[key])
    services = _services(kv, release, chart)
    cenv = controller_env(values, chart)
    publish: list[str] = []
    if chart == Chart.INGRESS or (kv.get("ingressController") or {}).get("enabled"):
        publish.append(str(cenv.get("publish_service") or f"{namespace}/{proxy_service_name(kv, release, chart)}"))
        if cenv.get("publish_service_udp"):
            publish.append(str(cenv["publish_service_udp"]))
    app = str(kv.get("nameOverride") or ("gateway" if chart == Chart.INGRESS else "kong"))
    selector = (("app.kubernetes.io/name", app), ("app.kubernetes.io/component", "app"),
                ("app.kubernetes.io/instance", release))
    return ChartFacts(namespace, env, tuple(services), tuple(_container_ports(kv)), tuple(publish), selector)
