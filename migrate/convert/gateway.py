"""GatewayClass, Gateway(s) and ReferenceGrants from the listener plan."""

from __future__ import annotations

from typing import Any

from migrate.convert.listeners import HTTP_SECTION, ListenerPlan
from migrate.convert.naming import assign_unique, bounded, join
from migrate.convert.options import AllowedRoutes, ConvertOptions
from migrate.model.inventory import Inventory
from migrate.model.objects import Ingress
from migrate.report import Report, Status

MAX_LISTENERS = 64
MAX_GRANT_TARGETS = 16
MANAGED_BY = {"app.kubernetes.io/managed-by": "kong-gateway-migrate"}


def plan_http_listeners(ingresses: list[Ingress], inventory: Inventory, options: ConvertOptions,
                        report: Report) -> list[ListenerPlan]:
    """HTTP on port 80 plus one HTTPS listener per TLS host; the oldest Ingress claims a host (as Kong)."""
    http = ListenerPlan(name=HTTP_SECTION, protocol="HTTP", port=options.http_port)
    by_host: dict[str, ListenerPlan] = {}
    for ing in ingresses:  # oldest first
        src = ing.meta.source
        for entry in ing.tls:
            if not entry.secret_name:
                report.add(src, Status.IGNORED, entry.field, "TLS entry without secretName: Kong ignores it "
                           "(it serves its default certificate)")
                continue
            cert = (ing.meta.namespace, entry.secret_name)
            secret = inventory.secret(*cert)
            if secret is not None and secret.type != "kubernetes.io/tls":
                report.add(src, Status.WARNING, entry.field, f"Secret {cert[0]}/{cert[1]} has type {secret.type!r}, "
                           "not kubernetes.io/tls: the listener will report InvalidCertificateRef unless it has "
                           "tls.crt and tls.key")
            if not entry.hosts:
                # KIC builds certificates from hosts x secret (ingressrules.go addFromIngressV1TLS): no SNI, nothing
                report.add(src, Status.IGNORED, entry.field, "TLS entry without hosts: Kong's controller ignores it "
                           "(no SNI to serve it for), so does the conversion",
                           "if it was meant as a default certificate, add an HTTPS listener without hostname")
                continue
            hosts: list[str | None] = list(entry.hosts)
            for host in hosts:
                key = host or ""
                existing = by_host.get(key)
                if existing is not None:
                    if existing.cert != cert:
                        report.add(src, Status.IGNORED, entry.field,
                                   f"host {host or '(any)'} already gets Secret {existing.cert[0]}/{existing.cert[1]} "
                                   f"from an older Ingress ({existing.sources[0].object_id}); Kong skipped this "
                                   "one too" if existing.cert else "host already claimed")
                    elif src not in existing.sources:
                        existing.sources.append(src)
                    continue
                by_host[key] = ListenerPlan(name="", protocol="HTTPS", port=options.https_port, hostname=host,
                                            cert=cert, tls_mode="Terminate", sources=[src])
                report.add(src, Status.CONVERTED, entry.field,
                           f"-> HTTPS listener for {host or 'any host'} with Secret {cert[0]}/{cert[1]}")
    names = assign_unique(
        (key, "listener", bounded(join("https", key) if key else "https", key)) for key in by_host
    )
    https = sorted(by_host.items(), key=lambda kv: (kv[0] != "", kv[0]))
    for key, lst in https:
        lst.name = names[key]
    return [http] + [lst for _, lst in https]


def gateway_objects(listeners: list[ListenerPlan], options: ConvertOptions,
                    report: Report) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """GatewayClass + Gateway(s); returns the objects and listener name → Gateway name.

    Each listener admits exactly the namespaces of the routes attached to it (`route_namespaces`), so a
    per-host HTTPS listener does not open itself to every namespace of the estate.
    """
    gwns = options.gateway_namespace
    gateway_class = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GatewayClass",
        "metadata": {"name": options.gateway_class,
                     "annotations": {"konghq.com/gatewayclass-unmanaged": "true"}},
        "spec": {"controllerName": options.controller_name},
    }
    # The HTTP listener (port 80, any host) is on the first Gateway only: every route served over HTTP attaches
    # there, whichever Gateway carries its HTTPS listener.  The other listeners fill Gateways of at most 64.  A
    # copy of the HTTP listener on every split Gateway would admit every HTTP route namespace once per Gateway
    # (Gateways x namespaces) with no route attached to it; this way each listener admits exactly the
    # namespaces of the routes attached to it, and the output grows with the routes.
    http = [lst for lst in listeners if lst.protocol == "HTTP"]
    rest = [lst for lst in listeners if lst.protocol != "HTTP"]
    first = MAX_LISTENERS - len(http)
    chunks = [rest[:first]] + [rest[i:i + MAX_LISTENERS] for i in range(first, len(rest), MAX_LISTENERS)]
    gateways: list[dict[str, Any]] = []
    owner: dict[str, str] = {}
    for i, chunk in enumerate(chunks):
        name = options.gateway_name if i == 0 else f"{options.gateway_name}-{i + 1}"
        specs = [_listener_dict(lst, _allowed_routes(lst.route_namespaces, options), gwns)
                 for lst in (http if i == 0 else []) + chunk]
        for lst in chunk:
            owner[lst.name] = name
        gateways.append({
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": name, "namespace": gwns},
            "spec": {"gatewayClassName": options.gateway_class, "listeners": specs},
        })
    for lst in http:
        owner[lst.name] = options.gateway_name
    if len(chunks) > 1:
        from migrate.sources import GENERATED

        report.add(GENERATED, Status.WARNING, "Gateway",
                   f"{len(listeners)} listeners exceed the Gateway limit of {MAX_LISTENERS}: split into "
                   f"{len(chunks)} Gateways ({', '.join(g['metadata']['name'] for g in gateways)}), all served "
                   "by the same Kong proxy")
    return [gateway_class, *gateways], owner


def _allowed_routes(route_namespaces: set[str], options: ConvertOptions) -> dict[str, Any]:
    gwns = options.gateway_namespace
    if not route_namespaces - {gwns}:
        return {"namespaces": {"from": "Same"}}
    if options.allowed_routes == AllowedRoutes.ALL:
        return {"namespaces": {"from": "All"}}
    return {"namespaces": {"from": "Selector", "selector": {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": sorted(route_namespaces)}]}}}


def _listener_dict(lst: ListenerPlan, allowed: dict[str, Any], gwns: str) -> dict[str, Any]:
    d: dict[str, Any] = {"name": lst.name}
    if lst.hostname:
        d["hostname"] = lst.hostname
    d["port"] = lst.port
    d["protocol"] = lst.protocol
    if lst.protocol in ("HTTPS", "TLS"):
        tls: dict[str, Any] = {"mode": lst.tls_mode or "Terminate"}
        if lst.cert is not None and tls["mode"] == "Terminate":
            ref: dict[str, str] = {"group": "", "kind": "Secret", "name": lst.cert[1]}
            if lst.cert[0] != gwns:
                ref["namespace"] = lst.cert[0]
            tls["certificateRefs"] = [ref]
        d["tls"] = tls
    d["allowedRoutes"] = allowed
    return d


def reference_grants(
    requests: list[tuple[str, str, str, str, str, str, str]], report: Report
) -> list[dict[str, Any]]:
    """ReferenceGrants for (target-ns, from-group, from-kind, from-ns, to-group, to-kind, to-name) requests.

    One grant per (target namespace, from, to-kind); names listed individually (least privilege) up to the
    limit of 16 `to` entries, split into several grants beyond that.
    """
    grouped: dict[tuple[str, str, str, str, str, str], list[str]] = {}
    for target_ns, fgroup, fkind, fns, tgroup, tkind, tname in requests:
        names = grouped.setdefault((target_ns, fgroup, fkind, fns, tgroup, tkind), [])
        if tname not in names:
            names.append(tname)
    out: list[dict[str, Any]] = []
    for (target_ns, fgroup, fkind, fns, tgroup, tkind), names in sorted(grouped.items()):
        names = sorted(names)
        chunks = [names[i:i + MAX_GRANT_TARGETS] for i in range(0, len(names), MAX_GRANT_TARGETS)]
        for i, chunk in enumerate(chunks):
            base = join("from", fns, fkind, "to", tkind)
            name = bounded(base if i == 0 else f"{base}-{i + 1}", f"{target_ns}/{base}/{i}")
            out.append({
                "apiVersion": "gateway.networking.k8s.io/v1beta1",
                "kind": "ReferenceGrant",
                "metadata": {"name": name, "namespace": target_ns},
                "spec": {
                    "from": [{"group": fgroup, "kind": fkind, "namespace": fns}],
                    "to": [{"group": tgroup, "kind": tkind, "name": n} for n in chunk],
                },
            })
    return out
