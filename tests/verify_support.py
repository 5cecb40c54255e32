"""Builders for the verify tests: small Ingress / Gateway API objects and one-request routing helpers."""

from __future__ import annotations

from typing import Any

from migrate.convert.options import RouterFlavor
from migrate.loader import SourceDoc
from migrate.sources import SourceRef
from migrate.verify.gateway_model import build_gateway_table
from migrate.verify.kong_model import build_kong_table
from migrate.verify.options import VerifyOptions
from migrate.verify.outcome import Outcome, Request

Path_ = tuple[str, str, str]  # (path, pathType, service)


def ingress(name: str, host: str | None, paths: list[Path_], *, ns: str = "apps", created: str = "",
            annotations: dict[str, str] | None = None, tls: list[str] | None = None,
            default_backend: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "annotations": dict(annotations or {})}
    if created:
        meta["creationTimestamp"] = created
    rule: dict[str, Any] = {"http": {"paths": [
        {"path": p, "pathType": t, "backend": {"service": {"name": s, "port": {"number": 80}}}} for p, t, s in paths]}}
    if host:
        rule["host"] = host
    spec: dict[str, Any] = {"ingressClassName": "kong", "rules": [rule] if paths else []}
    if tls:
        spec["tls"] = [{"hosts": tls, "secretName": f"{name}-tls"}]
    if default_backend:
        spec["defaultBackend"] = {"service": {"name": default_backend, "port": {"number": 80}}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def docs(*objects: dict[str, Any]) -> list[SourceDoc]:
    out = []
    for i, obj in enumerate(objects):
        meta = obj.get("metadata", {})
        out.append(SourceDoc(obj, SourceRef(kind=obj["kind"], namespace=meta.get("namespace", ""),
                                            name=meta.get("name", ""), file="test.yaml", index=i)))
    return out


def kong(*objects: dict[str, Any], flavor: RouterFlavor = RouterFlavor.TRADITIONAL) -> Any:
    return build_kong_table(docs(*objects), VerifyOptions(router_flavor=flavor))


def gateway(*listeners: dict[str, Any], ns: str = "kong") -> dict[str, Any]:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "kong", "namespace": ns},
            "spec": {"gatewayClassName": "kong", "listeners": list(listeners)}}


def listener(name: str, protocol: str = "HTTP", hostname: str | None = None, allowed: str = "All") -> dict[str, Any]:
    d: dict[str, Any] = {"name": name, "protocol": protocol, "port": 80 if protocol == "HTTP" else 443,
                         "allowedRoutes": {"namespaces": {"from": allowed}}}
    if hostname:
        d["hostname"] = hostname
    return d


def http_route(name: str, rules: list[dict[str, Any]], *, ns: str = "apps", hostnames: list[str] | None = None,
               sections: tuple[str, ...] = ("http",), created: str = "",
               annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if created:
        meta["creationTimestamp"] = created
    if annotations:
        meta["annotations"] = annotations
    spec: dict[str, Any] = {"parentRefs": [{"name": "kong", "namespace": "kong", "sectionName": s} for s in sections],
                            "rules": rules}
    if hostnames:
        spec["hostnames"] = hostnames
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": meta, "spec": spec}


def rule(service: str, *matches: dict[str, Any], filters: list[dict[str, Any]] | None = None,
         ns: str = "apps") -> dict[str, Any]:
    r: dict[str, Any] = {"matches": list(matches), "backendRefs": [{"name": service, "port": 80}]}
    if filters:
        r["filters"] = filters
    return r


def prefix(value: str, **extra: Any) -> dict[str, Any]:
    return {"path": {"type": "PathPrefix", "value": value}, **extra}


def exact(value: str, **extra: Any) -> dict[str, Any]:
    return {"path": {"type": "Exact", "value": value}, **extra}


def regex(value: str, **extra: Any) -> dict[str, Any]:
    return {"path": {"type": "RegularExpression", "value": value}, **extra}


def gw_table(*objects: dict[str, Any], flavor: RouterFlavor = RouterFlavor.TRADITIONAL) -> Any:
    return build_gateway_table(list(objects), flavor=flavor)


def req(host: str, path: str, *, scheme: str = "http", method: str = "GET", **headers: str) -> Request:
    return Request(scheme, host, path, method, tuple(sorted((k.replace("_", "-").lower(), v)
                                                            for k, v in headers.items())))


def backend(outcome: Outcome) -> str:
    """`service` of a single-backend outcome, else the outcome's kind/status (for terse assertions)."""
    if outcome.kind == "backend" and len(outcome.backends) == 1:
        return outcome.backends[0][0].split("/", 1)[1].split(":", 1)[0]
    return f"{outcome.kind}:{outcome.status}" if outcome.status else outcome.kind
