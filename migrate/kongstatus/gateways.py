"""Gateway objects as the listener-status logic needs them: listeners with port, protocol, hostname, kinds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from migrate.loader import SourceDoc
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
    return Gateway(str(meta.get("namespace") or "default"), name,
                   tuple(parse_listener(raw, i) for i, raw in enumerate(listeners)), source)


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
            gateways.append(parse_gateway(doc.obj, doc.ref))
        except GatewayError as exc:
            errors.append(f"{doc.ref}: {exc}")
    return gateways, errors


def select_gateways(gateways: list[Gateway], selector: str | None) -> list[Gateway]:
    """`NS/NAME` (or `NAME` when it is unique) picks one Gateway; None keeps all."""
    if selector is None:
        return gateways
    ns, _, name = selector.rpartition("/")
    return [g for g in gateways if g.name == name and (not ns or g.namespace == ns)]
