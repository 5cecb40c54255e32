"""The defaults the API server writes into Gateway API objects (from the CRDs' OpenAPI `default`s).

`verify` models a cluster: KIC reads objects as the API server stored them, defaults included, while KIC's own
translator goldens feed raw objects.  So the emitted objects get the CRD defaults the translator depends on
before the KIC model reads them (kubernetes-sigs/gateway-api: config/crd/*/gateway.networking.k8s.io_*.yaml,
same in v1.3.0 and v1.6.1): backendRef `group: ""`, `kind: Service`, `weight: 1`; parentRef
`group: gateway.networking.k8s.io`, `kind: Gateway`; HTTPRoute rules without matches match `PathPrefix /`;
path match `type: PathPrefix`, `value: /`; header and query matches `type: Exact`; listener
`allowedRoutes.namespaces.from: Same`, `tls.mode: Terminate`; certificateRef `group: ""`, `kind: Secret`.
"""

from __future__ import annotations

import copy
from typing import Any

from migrate.kic.gwcommon import json_copy

GATEWAY_GROUP = "gateway.networking.k8s.io"
ROUTE_KINDS = frozenset({"HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute"})


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _backend_refs(rule: dict[str, Any]) -> None:
    for ref in _dicts(rule.get("backendRefs")):
        ref.setdefault("group", "")
        ref.setdefault("kind", "Service")
        ref.setdefault("weight", 1)


def _route(spec: dict[str, Any], kind: str) -> None:
    for ref in _dicts(spec.get("parentRefs")):
        ref.setdefault("group", GATEWAY_GROUP)
        ref.setdefault("kind", "Gateway")
    for rule in _dicts(spec.get("rules")):
        _backend_refs(rule)
        if kind == "HTTPRoute":
            if "matches" not in rule:
                rule["matches"] = [{"path": {"type": "PathPrefix", "value": "/"}}]
            for match in _dicts(rule.get("matches")):
                path = match.get("path")
                if isinstance(path, dict):
                    path.setdefault("type", "PathPrefix")
                    path.setdefault("value", "/")
                elif "path" not in match:
                    match["path"] = {"type": "PathPrefix", "value": "/"}
                for header in [*_dicts(match.get("headers")), *_dicts(match.get("queryParams"))]:
                    header.setdefault("type", "Exact")
        elif kind == "GRPCRoute":
            for match in _dicts(rule.get("matches")):
                method = match.get("method")
                if isinstance(method, dict):
                    method.setdefault("type", "Exact")
                for header in _dicts(match.get("headers")):
                    header.setdefault("type", "Exact")


def _gateway(spec: dict[str, Any]) -> None:
    for listener in _dicts(spec.get("listeners")):
        allowed = listener.setdefault("allowedRoutes", {})
        if isinstance(allowed, dict):
            namespaces = allowed.setdefault("namespaces", {})
            if isinstance(namespaces, dict):
                namespaces.setdefault("from", "Same")
        tls = listener.get("tls")
        if isinstance(tls, dict):
            tls.setdefault("mode", "Terminate")
            for ref in _dicts(tls.get("certificateRefs")):
                ref.setdefault("group", "")
                ref.setdefault("kind", "Secret")


def with_api_server_defaults(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of a Gateway API object as the API server stores it; other objects unchanged (not copied)."""
    kind = obj.get("kind")
    api_version = str(obj.get("apiVersion", ""))
    if not api_version.startswith(GATEWAY_GROUP + "/") or not isinstance(obj.get("spec"), dict):
        return obj
    if kind not in ROUTE_KINDS and kind != "Gateway":
        return obj
    out = json_copy(obj)
    if kind == "Gateway":
        _gateway(out["spec"])
    else:
        _route(out["spec"], str(kind))
    return out


def _v1_backend(raw: Any) -> Any:
    if not isinstance(raw, dict) or "serviceName" not in raw:
        return raw
    port = raw.get("servicePort")
    v1_port = {"number": port} if isinstance(port, int) and not isinstance(port, bool) else (
        {"number": int(port)} if isinstance(port, str) and port.isdigit() else {"name": port})
    return {"service": {"name": raw.get("serviceName"), "port": v1_port}}


V1BETA1_INGRESS = ("networking.k8s.io/v1beta1", "extensions/v1beta1")


def ingress_as_served(obj: dict[str, Any]) -> dict[str, Any]:
    """A v1beta1 (extensions or networking.k8s.io) Ingress as the API server serves it in v1, which is the
    only version KIC 3 reads: `serviceName`/`servicePort` become `service`, `spec.backend` becomes
    `spec.defaultBackend`, a missing pathType is ImplementationSpecific.  Other objects unchanged, among them
    Ingresses of a version no API server serves (`networking.k8s.io/v2`): they never exist, and KIC's model
    skips every Ingress that is not v1."""
    if obj.get("kind") != "Ingress" or obj.get("apiVersion") not in V1BETA1_INGRESS:
        return obj
    out = copy.deepcopy(obj)
    out["apiVersion"] = "networking.k8s.io/v1"
    spec = out.get("spec")
    if not isinstance(spec, dict):
        return out
    if "backend" in spec:
        spec["defaultBackend"] = _v1_backend(spec.pop("backend"))
    for rule in _dicts(spec.get("rules")):
        http = rule.get("http")
        for path in _dicts(http.get("paths") if isinstance(http, dict) else None):
            path.setdefault("pathType", "ImplementationSpecific")
            path["backend"] = _v1_backend(path.get("backend"))
    return out
