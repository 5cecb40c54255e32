"""Services behind converted routes: which Kong Service annotations keep working (REFERENCE §1.2)."""

from __future__ import annotations

from migrate.convert.drafts import RouteDraft
from migrate.convert.options import ConvertOptions
from migrate.convert.result import ConvertResult
from migrate.model.inventory import Inventory
from migrate.report import Report, Status

KEPT_ON_SERVICE = {
    "konghq.com/protocol": "service protocol",
    "konghq.com/path": "service path prefix",
    "konghq.com/connect-timeout": "connect timeout",
    "konghq.com/read-timeout": "read timeout",
    "konghq.com/write-timeout": "write timeout",
    "konghq.com/retries": "retries",
    "konghq.com/client-cert": "upstream mTLS client certificate",
    "konghq.com/host-header": "upstream Host header",
    "konghq.com/upstream-policy": "KongUpstreamPolicy",
    "konghq.com/plugins": "Service-level plugins",
    "konghq.com/tags": "tags",
    "konghq.com/tls-verify": "upstream TLS verification",
    "konghq.com/tls-verify-depth": "upstream TLS verification depth",
    "konghq.com/ca-certificates-secrets": "upstream CA certificates",
    "konghq.com/ca-certificates-configmaps": "upstream CA certificates",
    "ingress.kubernetes.io/service-upstream": "route to the Service's ClusterIP",
}


def check_services(drafts: list[RouteDraft], inventory: Inventory, options: ConvertOptions, report: Report,
                   result: ConvertResult) -> None:
    """Report, once per Service, what its Kong annotations do for the new routes.  Services are not rewritten."""
    seen: set[tuple[str, str]] = set()
    for draft in drafts:
        for rule in draft.rules:
            for backend in rule.backends:
                key = (backend.namespace or draft.namespace, backend.name)
                if key in seen:
                    continue
                seen.add(key)
                svc = inventory.service(*key)
                if svc is None:
                    continue
                if backend.port not in {p.port for p in svc.ports} and svc.type != "ExternalName":
                    report.add(svc.meta.source, Status.WARNING, "spec.ports",
                               f"routes send traffic to port {backend.port}, which the Service does not expose")
                for ann, value in sorted(svc.meta.annotations.items()):
                    if ann in KEPT_ON_SERVICE:
                        report.add(svc.meta.source, Status.KEPT, f"annotation {ann}",
                                   f"stays on the Service ({KEPT_ON_SERVICE[ann]}); Kong applies it to Gateway API "
                                   "routes as it did to Ingress routes")
                    elif ann == "konghq.com/override":
                        report.add(svc.meta.source, Status.UNCONVERTED, f"annotation {ann}",
                                   f"KongIngress {value!r} is ignored for upstreams built from Gateway API routes",
                                   "convert its upstream section to a KongUpstreamPolicy and reference it with "
                                   "konghq.com/upstream-policy")
                    elif ann.startswith("konghq.com/"):
                        report.add(svc.meta.source, Status.IGNORED, f"annotation {ann}",
                                   "a route-level annotation on a Service: Kong ignores it there")
