"""Services behind converted routes: what their Kong annotations do for the new routes (REFERENCE §1.2, §1.3).

Services are never rewritten: what changes on them (KongIngress → KongUpstreamPolicy reference, proxy
settings as annotations) is emitted as a patch, everything else is reported as kept or converted.
"""

from __future__ import annotations

from typing import Any

from migrate.annotations import parse as p
from migrate.convert.backend_tls import CA_CONFIGMAPS, CA_SECRETS, TLS_VERIFY, backend_tls_policy
from migrate.convert.drafts import RouteDraft
from migrate.convert.options import ConvertOptions
from migrate.convert.result import ConvertResult
from migrate.convert.upstream import OVERRIDE, convert_kong_ingress, policy_name
from migrate.model.inventory import Inventory
from migrate.model.objects import Service
from migrate.report import Report, Status
from migrate.sources import GENERATED

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
TIMEOUTS = ("konghq.com/connect-timeout", "konghq.com/read-timeout", "konghq.com/write-timeout")
MAX_TIMEOUT_MS = 2**31 - 2  # Kong's service timeout range
PLUGINS = "konghq.com/plugins"


def duration(ms: int) -> str:
    """Milliseconds as a Gateway API Duration (`^([0-9]{1,5}(h|m|s|ms)){1,4}$`), e.g. 90500 -> 1m30s500ms."""
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, milli = divmod(rest, 1000)
    return "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (s, "s"), (milli, "ms")) if v) or "0s"


def service_timeout(svc: Service) -> tuple[int | None, str]:
    """The one timeout (ms) a Service's three timeout annotations agree on, or None and why not."""
    values: dict[str, str] = {k: svc.meta.annotations[k].strip() for k in TIMEOUTS if k in svc.meta.annotations}
    if not values:
        return None, "no timeout annotations"
    if len(values) < len(TIMEOUTS):
        missing = ", ".join(k.removeprefix("konghq.com/") for k in TIMEOUTS if k not in values)
        return None, (f"{missing} not set (Kong keeps its 60000 ms default there), while timeouts.backendRequest "
                      "sets all three")
    try:
        numbers = {p.parse_int(v, 1, MAX_TIMEOUT_MS) for v in values.values()}
    except p.AnnotationValueError as exc:
        return None, f"invalid value ({exc})"
    if len(numbers) > 1:
        return None, "the three timeouts differ, while timeouts.backendRequest sets all three to one value"
    return numbers.pop(), ""


def _backend_services(draft: RouteDraft) -> list[list[tuple[str, str]]]:
    return [[(b.namespace or draft.namespace, b.name) for b in rule.backends] for rule in draft.rules]


def _timeouts(drafts: list[RouteDraft], inventory: Inventory, report: Report) -> set[tuple[str, str]]:
    """Set timeouts.backendRequest on HTTPRoute drafts whose every rule agrees; return the Services involved."""
    converted: set[tuple[str, str]] = set()
    for draft in drafts:
        if draft.kind != "HTTPRoute":
            continue
        per_rule: list[int | None] = []
        keys: set[tuple[str, str]] = set()
        for services in _backend_services(draft):
            if not services:
                continue
            rule_values = set()
            for key in services:
                keys.add(key)
                svc = inventory.service(*key)
                rule_values.add(service_timeout(svc)[0] if svc else None)
            per_rule.append(rule_values.pop() if len(rule_values) == 1 else None)
        for key in sorted(keys):
            svc = inventory.service(*key)
            if svc is not None and any(t in svc.meta.annotations for t in TIMEOUTS):
                ms, why = service_timeout(svc)
                if ms is None:
                    report.add(svc.meta.source, Status.KEPT, "timeouts",
                               f"stay as annotations, not timeouts.backendRequest: {why}")
        with_timeout = [k for k in sorted(keys) if (s := inventory.service(*k)) and service_timeout(s)[0]]
        if not with_timeout:
            continue
        values = set(per_rule)
        if len(values) != 1 or None in values or any(r.timeouts for r in draft.rules):
            for key in with_timeout:
                svc = inventory.service(*key)
                assert svc is not None
                report.add(svc.meta.source, Status.KEPT, "timeouts",
                           f"stay as annotations for the route from {draft.source.object_id}: its rules do not all "
                           "reach Services with the same timeout, and Kong's controller rejects an HTTPRoute whose "
                           "rules set different (or some no) timeouts")
            continue
        ms = values.pop()
        assert ms is not None
        for rule in draft.rules:
            if rule.backends:
                rule.timeouts = {"backendRequest": duration(ms)}
        for key in sorted(keys):
            svc = inventory.service(*key)
            assert svc is not None
            converted.add(key)
            report.add(svc.meta.source, Status.CONVERTED, "timeouts",
                       f"connect/read/write-timeout {ms} ms -> timeouts.backendRequest {duration(ms)} on the route "
                       f"from {draft.source.object_id} (Kong's controller sets all three from it); the annotations "
                       "stay on the Service, with the same effect, until the Ingress is gone")
    return converted


def _multi_backend(drafts: list[RouteDraft], inventory: Inventory, report: Report) -> None:
    """REFERENCE §1.3: Kong skips a multi-Service backend whose Services' Kong annotations differ."""
    for draft in drafts:
        for i, services in enumerate(_backend_services(draft)):
            distinct = sorted(set(services))
            if len(distinct) < 2:
                continue
            found = [(k, inventory.service(*k)) for k in distinct]
            kong = {k: {a: v for a, v in s.meta.annotations.items() if a.startswith("konghq.com/")}
                    for k, s in found if s is not None}
            if len({tuple(sorted(v.items())) for v in kong.values()}) > 1:
                names = ", ".join(f"{ns}/{n}" for ns, n in distinct)
                keys = sorted({a for v in kong.values() for a in v if any(x.get(a) != v[a] for x in kong.values())})
                report.add(draft.source, Status.UNCONVERTED, f"{draft.kind} rule {i}",
                           f"Services {names} share one rule (one Kong service) but carry different Kong annotations "
                           f"({', '.join(keys)}): Kong's controller skips such a backend",
                           "give the Services identical konghq.com/* annotations, or split the rule")


def _plugins_present(svc: Service, inventory: Inventory, report: Report) -> None:
    value = svc.meta.annotations.get(PLUGINS)
    if value is None:
        return
    try:
        refs = p.parse_plugins(value)
    except p.AnnotationValueError as exc:
        report.add(svc.meta.source, Status.ERROR, f"annotation {PLUGINS}", f"invalid value: {exc}",
                   "fix the value on the Service")
        return
    for ref in refs:
        ns = ref.namespace or svc.meta.namespace
        if inventory.plugin(ns, ref.name) is None and (ref.namespace or inventory.cluster_plugin(ref.name) is None):
            alt = "" if ref.namespace else f" (or KongClusterPlugin {ref.name})"
            report.add(svc.meta.source, Status.WARNING, f"annotation {PLUGINS}",
                       f"KongPlugin {ns}/{ref.name}{alt} is not in the input", "make sure it exists before applying")


def _overrides(inventory: Inventory, report: Report, patches: dict[tuple[str, str], dict[str, str | None]],
               source_kic_major: int = 3) -> list[dict[str, Any]]:
    """Every Service's KongIngress (konghq.com/override) → KongUpstreamPolicy + Service patch."""
    objects: dict[tuple[str, str], dict[str, Any]] = {}
    taken = {(u.meta.namespace, u.meta.name) for u in inventory.upstream_policies}
    for svc in sorted(inventory.services, key=lambda s: (s.meta.namespace, s.meta.name)):
        value = svc.meta.annotations.get(OVERRIDE)
        if value is None:
            continue
        src = svc.meta.source
        subject = f"annotation {OVERRIDE}"
        ki_name = value.strip()
        if "konghq.com/upstream-policy" in svc.meta.annotations:
            report.add(src, Status.WARNING, subject,
                       f"the Service also has konghq.com/upstream-policy, which Kong's controller uses instead of "
                       f"KongIngress {ki_name!r}: the KongIngress was not converted",
                       "remove konghq.com/override once you checked the KongUpstreamPolicy")
            continue
        ki = inventory.kong_ingress(svc.meta.namespace, ki_name)
        if ki is None:
            report.add(src, Status.UNCONVERTED, subject,
                       f"KongIngress {svc.meta.namespace}/{ki_name} is not in the input, so its upstream section "
                       "cannot be converted; Kong's controller ignores it for upstreams built from Gateway API routes",
                       "add the KongIngress to the input, or write a KongUpstreamPolicy and reference it with "
                       "konghq.com/upstream-policy")
            continue
        name = policy_name(ki, taken)
        conv = convert_kong_ingress(ki, svc, name, report, source_kic_major=source_kic_major)
        if conv.policy is not None:
            objects[(ki.meta.namespace, name)] = conv.policy
        if conv.annotations:
            patches.setdefault((svc.meta.namespace, svc.meta.name), {}).update(conv.annotations)
        changes = ", ".join(f"{k}: {v}" if v is not None else f"remove {k}" for k, v in sorted(
            conv.annotations.items()))
        if conv.complete:
            report.add(src, Status.CONVERTED, subject,
                       f"KongIngress {ki_name!r} (ignored for Gateway API routes) replaced: Service patch "
                       f"({changes or 'nothing to change'})")
        else:
            report.add(src, Status.UNCONVERTED, subject,
                       f"KongIngress {ki_name!r} is only partly expressible (see the KongIngress entries); the "
                       f"Service patch keeps konghq.com/override ({changes or 'nothing else to change'})",
                       "configure the unconverted fields by hand, then remove konghq.com/override")
    return [objects[k] for k in sorted(objects)]


def _unreferenced_kong_ingresses(inventory: Inventory, report: Report) -> None:
    """KongIngresses no object of the input points at: implicit by name, or nothing to convert."""
    routes = [(i.meta, "Ingress") for i in inventory.ingresses] + [
        (t.meta, t.kind) for t in inventory.tcp_ingresses + inventory.udp_ingresses]
    referenced = {(m.namespace, m.annotations[OVERRIDE].strip()) for m, _ in routes if OVERRIDE in m.annotations}
    referenced |= {(s.meta.namespace, s.meta.annotations[OVERRIDE].strip()) for s in inventory.services
                   if OVERRIDE in s.meta.annotations}
    by_name = {(m.namespace, m.name): kind for m, kind in routes if OVERRIDE not in m.annotations}
    for ki in inventory.kong_ingresses:
        key = (ki.meta.namespace, ki.meta.name)
        if key in referenced:
            continue
        if key in by_name and ki.route:
            report.add(ki.meta.source, Status.UNCONVERTED, "route",
                       f"Kong applies it implicitly to the routes of {by_name[key]} {key[0]}/{key[1]} (same name, no "
                       "konghq.com/override); Gateway API routes ignore KongIngress",
                       f"add konghq.com/override: {key[1]} to that {by_name[key]} and convert again")
        else:
            report.add(ki.meta.source, Status.IGNORED, "object",
                       "no Service or route in the input references it (konghq.com/override): nothing converted",
                       "include the objects that reference it to convert it")


def _patch_documents(patches: dict[tuple[str, str], dict[str, str | None]]) -> list[dict[str, Any]]:
    return [{"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": name, "namespace": ns, "annotations": dict(sorted(anns.items()))}}
            for (ns, name), anns in sorted(patches.items())]


def check_services(drafts: list[RouteDraft], inventory: Inventory, options: ConvertOptions, report: Report,
                   result: ConvertResult) -> list[dict[str, Any]]:
    """Report what each Service's Kong annotations do for the new routes; return generated Kong/policy objects.

    Service patches go to `result.patches`.
    """
    patches: dict[tuple[str, str], dict[str, str | None]] = {}
    objects = _overrides(inventory, report, patches, options.source_kic_major)
    _unreferenced_kong_ingresses(inventory, report)
    converted_timeouts = _timeouts(drafts, inventory, report)
    _multi_backend(drafts, inventory, report)
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
                policy, tls_reported = backend_tls_policy(svc, options, report)
                if policy is not None:
                    objects.append(policy)
                _plugins_present(svc, inventory, report)
                _report_annotations(svc, key in converted_timeouts, policy is not None, tls_reported, report)
    result.patches.extend(_patch_documents(patches))
    if patches:
        report.add(GENERATED, Status.INFO, "Service patches",
                   f"{len(patches)} Service(s) need annotation changes; they are emitted as partial Service documents "
                   "(a null value removes the annotation), never in the apply stream: --patches FILE, or "
                   "service-patches.yaml with --output-dir",
                   "apply each with kubectl patch service NAME -n NAMESPACE --type merge --patch-file FILE, never "
                   "with kubectl apply (it would take the partial document for the whole Service and drop what "
                   "it omits)")
    return objects


def _report_annotations(svc: Service, timeouts_converted: bool, tls_converted: bool, tls_reported: bool,
                        report: Report) -> None:
    for ann in sorted(svc.meta.annotations):
        if ann == OVERRIDE or (timeouts_converted and ann in TIMEOUTS):
            continue  # reported by the KongIngress / timeouts conversion
        if (tls_converted and ann in (TLS_VERIFY, CA_SECRETS, CA_CONFIGMAPS)) or (tls_reported and ann == TLS_VERIFY):
            continue  # reported with the BackendTLSPolicy
        if ann in KEPT_ON_SERVICE:
            report.add(svc.meta.source, Status.KEPT, f"annotation {ann}",
                       f"stays on the Service ({KEPT_ON_SERVICE[ann]}); Kong applies it to Gateway API "
                       "routes as it did to Ingress routes")
        elif ann.startswith("konghq.com/"):
            report.add(svc.meta.source, Status.IGNORED, f"annotation {ann}",
                       "a route-level annotation on a Service: Kong ignores it there")
