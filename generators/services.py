"""Proxy Service manifests from rendered chart facts, for installs that do not use Helm."""

from __future__ import annotations

from typing import Any

from generators.chart import ChartFacts, ServiceFact


def service_manifest(svc: ServiceFact, facts: ChartFacts) -> dict[str, Any]:
    ports: list[dict[str, Any]] = []
    for p in svc.ports:
        port: dict[str, Any] = {"name": p.name, "port": p.port, "targetPort": p.target_port, "protocol": p.protocol}
        if p.node_port is not None:
            port["nodePort"] = p.node_port
        if p.app_protocol is not None:
            port["appProtocol"] = p.app_protocol
        ports.append(port)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": svc.name, "namespace": facts.namespace},
        "spec": {"type": svc.type, "ports": ports, "selector": dict(facts.selector)},
    }


def service_manifests(facts: ChartFacts, release: str = "kong") -> list[dict[str, Any]]:
    del release  # the selector already carries it
    return [service_manifest(s, facts) for s in facts.services]
