"""Builders for the verify tests: small Ingress / Gateway API objects and one-request routing helpers.

`kong(...)` and `gateway(...)` build the two sides exactly as `migrate verify` does
(`migrate.verify.compare.translate_sides`): the KIC translator model over the objects plus the assumed Services,
Secrets and GatewayClasses, then Kong's load-time checks and Kong's router for the flavor.  "Before" (`kong`):
Ingresses as the API server serves them, KIC's translator only, with what Kong rejects left out.  "After"
(`gateway`): the cluster after the migration (API-server defaults applied), KIC's route controllers modelled,
for one KIC era; what Kong would reject is kept in `rejections` (verify fails on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrate.convert.options import RouterFlavor
from migrate.kong.config import KongConfig
from migrate.kong.router import KongRouter
from migrate.kong.validate import KongRejection
from migrate.loader import SourceDoc
from migrate.sources import SourceRef
from migrate.verify.compare import ERA_LATEST, translate_sides
from migrate.verify.options import VerifyOptions, Version
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


@dataclass
class Side:
    """One translated side: Kong's configuration, what Kong rejects in it, the notes, and its router."""

    config: KongConfig
    rejections: list[KongRejection]
    router: KongRouter
    notes: list[str] = field(default_factory=list)

    def route(self, request: Request) -> Outcome:
        return self.router.route(request)


def kong(*objects: dict[str, Any], flavor: RouterFlavor = RouterFlavor.TRADITIONAL,
         source_kic: Version = ERA_LATEST) -> Side:
    """Kong(KIC(objects)) as verify's "before" side (Ingresses and what they reference)."""
    options = VerifyOptions(router_flavor=flavor, source_kic=source_kic)
    before, _, notes = translate_sides(docs(*objects), [], options)
    return Side(before.config, before.rejections, KongRouter(before.config, flavor), notes)


def gateway(*objects: dict[str, Any], flavor: RouterFlavor = RouterFlavor.TRADITIONAL, kic: Version = ERA_LATEST,
            kong_version: Version = (3, 9, 0)) -> Side:
    """Kong(KIC(objects)) as verify's "after" side (Gateway API objects) for the KIC version `kic`."""
    options = VerifyOptions(router_flavor=flavor, target_kic=kic, kong_version=kong_version)
    _, afters, notes = translate_sides([], list(objects), options)
    [(_, after)] = afters
    return Side(after.config, after.rejections, KongRouter(after.config, flavor), notes)


def gateway_object(*listeners: dict[str, Any], ns: str = "kong") -> dict[str, Any]:
    """Gateway `kong` of GatewayClass `kong` (assumed run by KIC when the input lacks it)."""
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "kong", "namespace": ns},
            "spec": {"gatewayClassName": "kong", "listeners": list(listeners)}}


def listener(name: str, protocol: str = "HTTP", hostname: str | None = None, allowed: str = "All") -> dict[str, Any]:
    """An HTTPS listener terminates TLS with the Secret `<name>-cert` (assumed when missing)."""
    d: dict[str, Any] = {"name": name, "protocol": protocol, "port": 80 if protocol == "HTTP" else 443,
                         "allowedRoutes": {"namespaces": {"from": allowed}}}
    if hostname:
        d["hostname"] = hostname
    if protocol == "HTTPS":
        d["tls"] = {"certificateRefs": [{"name": f"{name}-cert"}]}
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


def req(host: str, path: str, *, scheme: str = "http", method: str = "GET", **headers: str) -> Request:
    return Request(scheme, host, path, method, tuple(sorted((k.replace("_", "-").lower(), v)
                                                            for k, v in headers.items())))


def backend(outcome: Outcome) -> str:
    """`service` of a single-backend outcome, else the outcome's kind/status (for terse assertions)."""
    if outcome.kind == "backend" and len(outcome.backends) == 1:
        return outcome.backends[0][0].split("/", 1)[1].split(":", 1)[0]
    return f"{outcome.kind}:{outcome.status}" if outcome.status else outcome.kind
