"""`konghq.com/tls-verify` + `ca-certificates-*` on a Service → BackendTLSPolicy (`--backend-tls-policy`).

REFERENCE §1.2: Kong's controller 3.5 serves BackendTLSPolicy v1alpha3 behind the GatewayAlpha gate.
A policy needs `validation.hostname`, which Kong also uses as the upstream Host header, so only a
Service that already sets `konghq.com/host-header` converts without changing behaviour.
"""

from __future__ import annotations

from typing import Any

from migrate.annotations import parse as p
from migrate.convert.gwapi import api_version
from migrate.convert.naming import bounded
from migrate.convert.options import ConvertOptions
from migrate.model.objects import Service
from migrate.model.validation import hostname_problem
from migrate.report import Report, Status

TLS_VERIFY = "konghq.com/tls-verify"
CA_SECRETS = "konghq.com/ca-certificates-secrets"
CA_CONFIGMAPS = "konghq.com/ca-certificates-configmaps"
HOST_HEADER = "konghq.com/host-header"
MAX_CA_REFS = 8


def backend_tls_policy(svc: Service, options: ConvertOptions, report: Report) -> tuple[dict[str, Any] | None, bool]:
    """The policy for this Service, or None (the annotations stay); and whether tls-verify was reported here."""
    anns = svc.meta.annotations
    if not options.backend_tls_policy or TLS_VERIFY not in anns:
        return None, False
    src = svc.meta.source
    subject = f"annotation {TLS_VERIFY}"
    try:
        verify = p.parse_bool(anns[TLS_VERIFY])
    except p.AnnotationValueError as exc:
        report.add(src, Status.ERROR, subject, f"invalid value: {exc}; no BackendTLSPolicy generated",
                   "fix the value on the Service")
        return None, True
    if not verify:
        return None, False  # verification off is Kong's default: nothing to express
    hostname = anns.get(HOST_HEADER, "").strip().lower()
    if not hostname or hostname_problem(hostname):
        report.add(src, Status.KEPT, subject,
                   "stays on the Service (--backend-tls-policy): a BackendTLSPolicy needs validation.hostname, "
                   "which Kong's controller also sends as the upstream Host header, and this Service has no "
                   f"valid {HOST_HEADER} to take it from, so a policy would change what Kong sends")
        return None, True
    refs: list[dict[str, str]] = []
    for key, kind in ((CA_CONFIGMAPS, "ConfigMap"), (CA_SECRETS, "Secret")):
        for name in p.split_list(anns.get(key, "")):
            refs.append({"group": "", "kind": kind, "name": name})
    if len(refs) > MAX_CA_REFS:
        report.add(src, Status.KEPT, subject, f"stays on the Service: {len(refs)} CA certificates exceed the "
                   f"BackendTLSPolicy limit of {MAX_CA_REFS}")
        return None, True
    validation: dict[str, Any] = {}
    if refs:
        validation["caCertificateRefs"] = refs
    else:
        validation["wellKnownCACertificates"] = "System"
    validation["hostname"] = hostname
    name = bounded(f"{svc.meta.name}-backend-tls", f"{svc.meta.namespace}/{svc.meta.name}")
    policy = {
        "apiVersion": api_version("BackendTLSPolicy", options.gateway_api_version),
        "kind": "BackendTLSPolicy",
        "metadata": {"name": name, "namespace": svc.meta.namespace,
                     "labels": {"app.kubernetes.io/managed-by": "kong-gateway-migrate"}},
        "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": svc.meta.name}], "validation": validation},
    }
    trust = (", ".join(f"{r['kind']} {r['name']}" for r in refs) if refs
             else "the well-known System CAs (Kong's lua_ssl_trusted_certificate)")
    report.add(src, Status.CONVERTED, subject,
               f"-> BackendTLSPolicy {svc.meta.namespace}/{name}: verify against {trust}, hostname {hostname} "
               f"(from {HOST_HEADER}); the annotations stay on the Service until the Ingress is gone")
    if any(r["kind"] == "Secret" for r in refs):
        report.add(src, Status.WARNING, f"annotation {CA_SECRETS}",
                   "Secret CA references in a BackendTLSPolicy are implementation-specific (ConfigMap is the core "
                   "kind); check that your controller version resolves them",
                   "or publish the CA bundle in a ConfigMap")
    return policy, True
