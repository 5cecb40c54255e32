"""Gateway objects as the listener-status logic needs them: listeners with port, protocol, hostname, kinds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from migrate.loader import SourceDoc
from migrate.names import is_dns1123_label, is_dns1123_subdomain
from migrate.sources import SourceRef

GATEWAY_GROUP = "gateway.networking.k8s.io"
@dataclass(frozen=True)
class RouteKind:
    group: str
    kind: str


@dataclass(frozen=True)
class Listener:
    name: str
    port: int
    protocol: str
    hostname: str | None = None
    tls_mode: str | None = None  # None when the listener has no `tls` block
    kinds: tuple[RouteKind, ...] | None = None  # None: allowedRoutes.kinds not set

    def describe(self) -> str:
        return f"listener {self.name!r} ({self.protocol} {self.port})"


@dataclass(frozen=True)
class Gateway:
    namespace: str
    name: str
    listeners: tuple[Listener, ...]
    source: SourceRef | None = None
    class_name: str = ""  # spec.gatewayClassName
    addresses: tuple[str, ...] = ()  # spec.addresses values (KIC ignores them: its addresses come from the Service)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


class GatewayError(ValueError):
    pass


def _port(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise GatewayError(f"{where}.port must be an integer 1-65535, got {value!r}")
    return value


def parse_listener(raw: Any, index: int) -> Listener:
    where = f"spec.listeners[{index}]"
    if not isinstance(raw, dict):
        raise GatewayError(f"{where} is not a mapping")
    name, protocol = raw.get("name"), raw.get("protocol")
    if not isinstance(name, str) or not name:
        raise GatewayError(f"{where}.name is missing")
    if not isinstance(protocol, str) or not protocol:
        raise GatewayError(f"{where}.protocol is missing")
    hostname = raw.get("hostname")
    tls = raw.get("tls")
    tls_mode: str | None = None
    if isinstance(tls, dict):
        tls_mode = str(tls.get("mode") or "Terminate")  # the API default
    kinds: tuple[RouteKind, ...] | None = None
    allowed = raw.get("allowedRoutes")
    if isinstance(allowed, dict) and isinstance(allowed.get("kinds"), list):
        kinds = tuple(RouteKind(str(k.get("group", GATEWAY_GROUP) if k.get("group") is not None else GATEWAY_GROUP),
                                str(k.get("kind", ""))) for k in allowed["kinds"] if isinstance(k, dict))
    return Listener(name, _port(raw.get("port"), where), protocol,
                    hostname if isinstance(hostname, str) and hostname else None, tls_mode, kinds)


def parse_gateway(obj: dict[str, Any], source: SourceRef | None = None) -> Gateway:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise GatewayError("metadata.name is missing")
    spec = obj.get("spec")
    listeners = spec.get("listeners") if isinstance(spec, dict) else None
    if not isinstance(listeners, list) or not listeners:
        raise GatewayError("spec.listeners is missing or empty")
    addresses = spec.get("addresses") if isinstance(spec, dict) else None
    return Gateway(str(meta.get("namespace") or "default"), name,
                   tuple(parse_listener(raw, i) for i, raw in enumerate(listeners)), source,
                   str(spec.get("gatewayClassName") or "") if isinstance(spec, dict) else "",
                   tuple(str(a.get("value", a)) if isinstance(a, dict) else str(a) for a in addresses)
                   if isinstance(addresses, list) else ())


def crd_violations(obj: dict[str, Any]) -> list[str]:
    """The Gateway CRD's validation rules (x-kubernetes-validations on spec.listeners, v1.3/v1.6) this object
    breaks: the API server would reject it, so no values may be derived from it.  Each names the rule."""
    spec: dict[str, Any] = obj["spec"] if isinstance(obj.get("spec"), dict) else {}
    listeners = [lst for lst in (spec.get("listeners") or []) if isinstance(lst, dict)]
    out: list[str] = []
    # object names and listener names (SectionName) as the API server validates them; a control character in
    # one went verbatim into a comment of the values (a NUL made the YAML unreadable)
    meta = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    if not is_dns1123_subdomain(str(meta.get("name") or "")):
        out.append(f"metadata.name {meta.get('name')!r} is not a valid name (lower-case DNS-1123 subdomain)")
    if meta.get("namespace") is not None and not is_dns1123_label(str(meta["namespace"])):
        out.append(f"metadata.namespace {meta['namespace']!r} is not a valid namespace name")
    for lst in listeners:
        if not is_dns1123_subdomain(str(lst.get("name") or "")):
            out.append(f"listener name {lst.get('name')!r} is not a valid SectionName (lower-case DNS-1123 subdomain)")
    if not spec.get("gatewayClassName"):
        out.append("spec.gatewayClassName is required (CRD schema: required field)")
    names = [lst.get("name") for lst in listeners]
    for name in sorted({n for n in names if names.count(n) > 1}, key=str):
        out.append(f"CRD rule 'Listener name must be unique within the Gateway': listener {name!r} appears "
                   f"{names.count(name)} times")
    for lst in listeners:
        proto, label = lst.get("protocol"), f"listener {lst.get('name')!r} ({lst.get('protocol')} {lst.get('port')})"
        if proto in ("HTTP", "TCP", "UDP") and "tls" in lst:
            out.append(f"CRD rule \"tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']\": {label} has a "
                       "tls block; remove it")
        tls = lst.get("tls")
        if proto == "HTTPS" and isinstance(tls, dict) and tls.get("mode") not in (None, "", "Terminate"):
            out.append(f"CRD rule 'tls mode must be Terminate for protocol HTTPS': {label} has tls.mode "
                       f"{tls.get('mode')}; use protocol TLS for Passthrough")
        if proto in ("TCP", "UDP") and lst.get("hostname"):
            out.append(f"CRD rule \"hostname must not be specified for protocols ['TCP', 'UDP']\": {label} has "
                       f"hostname {lst.get('hostname')}; remove it")
        if isinstance(tls, dict) and (tls.get("mode") or "Terminate") == "Terminate" \
                and not tls.get("certificateRefs") and not tls.get("options"):
            out.append(f"CRD rule 'certificateRefs or options must be specified when mode is Terminate': {label}")
    seen: dict[tuple[Any, Any, Any], Any] = {}
    for lst in listeners:
        key = (lst.get("port"), lst.get("protocol"), lst.get("hostname") if "hostname" in lst else None)
        if key in seen:
            out.append(f"CRD rule 'Combination of port, protocol and hostname must be unique for each listener': "
                       f"listeners {seen[key]!r} and {lst.get('name')!r} are both {key[1]} {key[0]} with "
                       f"{'hostname ' + str(key[2]) if key[2] is not None else 'no hostname'}")
        else:
            seen[key] = lst.get("name")
    return out


def is_gateway(obj: dict[str, Any]) -> bool:
    api = str(obj.get("apiVersion") or "")
    return obj.get("kind") == "Gateway" and api.split("/")[0] == GATEWAY_GROUP


def read_gateways(docs: Iterable[SourceDoc]) -> tuple[list[Gateway], list[str]]:
    """Every Gateway in the input, plus one error per Gateway that cannot be read (the rest still are)."""
    gateways: list[Gateway] = []
    errors: list[str] = []
    for doc in docs:
        if not is_gateway(doc.obj):
            continue
        try:
            gateway = parse_gateway(doc.obj, doc.ref)
        except GatewayError as exc:
            errors.append(f"{doc.ref}: {exc}")
            continue
        violations = crd_violations(doc.obj)
        if violations:
            errors.append(f"{doc.ref}: the API server would reject this Gateway: " + "; ".join(violations))
            continue
        gateways.append(gateway)
    return gateways, errors


KIC_CONTROLLER = "konghq.com/kic-gateway-controller"
DEFAULT_CLASS = "kong"


def kong_classes(docs: Iterable[SourceDoc], extra: Iterable[str] = ()) -> tuple[set[str], str]:
    """Kong's GatewayClass names: the input's GatewayClasses whose controllerName is KIC's, plus `extra`
    (--gateway-class); when neither names one, `kong`.  Also says where the set came from."""
    found = {str((d.obj.get("metadata") or {}).get("name") or "") for d in docs
             if d.obj.get("kind") == "GatewayClass" and str(d.obj.get("apiVersion") or "").startswith(GATEWAY_GROUP)
             and (d.obj.get("spec") or {}).get("controllerName") == KIC_CONTROLLER}
    given = {c for c in extra if c}
    classes = (found | given) - {""}
    if classes:
        how = "GatewayClass objects with controllerName " + KIC_CONTROLLER if found else "--gateway-class"
        if found and given:
            how += " and --gateway-class"
        return classes, how
    return {DEFAULT_CLASS}, f"no Kong GatewayClass in the input: the default class {DEFAULT_CLASS!r} assumed"


def select_gateways(gateways: list[Gateway], selector: str | None) -> list[Gateway]:
    """`NS/NAME` (or `NAME` when it is unique) picks one Gateway; None keeps all."""
    if selector is None:
        return gateways
    ns, _, name = selector.rpartition("/")
    return [g for g in gateways if g.name == name and (not ns or g.namespace == ns)]
