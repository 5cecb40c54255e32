"""What the scanned routing objects point at: Service and TLS Secret names, per namespace.  Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _walk(node: Any, services: set[str], secrets: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "service" and isinstance(value, dict) and isinstance(value.get("name"), str):
                services.add(value["name"])  # networking.k8s.io/v1 backend
            elif key == "serviceName" and isinstance(value, str):
                services.add(value)  # extensions/v1beta1 backend, TCPIngress/UDPIngress backend
            elif key == "secretName" and isinstance(value, str):
                secrets.add(value)  # spec.tls[] of Ingress and TCPIngress
            else:
                _walk(value, services, secrets)
    elif isinstance(node, list):
        for item in node:
            _walk(item, services, secrets)


def referenced(objects: Iterable[dict[str, Any]]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(services, secrets): namespace -> names referenced by the objects' specs."""
    services: dict[str, set[str]] = {}
    secrets: dict[str, set[str]] = {}
    for obj in objects:
        meta = obj.get("metadata")
        ns = str(meta.get("namespace") or "") if isinstance(meta, dict) else ""
        if not ns:
            continue
        svc: set[str] = set()
        sec: set[str] = set()
        _walk(obj.get("spec"), svc, sec)
        services.setdefault(ns, set()).update(svc)
        secrets.setdefault(ns, set()).update(sec)
    return services, secrets
