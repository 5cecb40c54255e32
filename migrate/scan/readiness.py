"""The readiness report: what the cluster already has, what the plan would clash with, and what to do
before applying.  Pure functions over a Snapshot and a conversion result."""

from __future__ import annotations

import json
import re
from typing import Any

from migrate.convert.options import ConvertOptions, GatewayAPIVersion
from migrate.report import RENDERERS, Report
from migrate.scan.collect import Note, Snapshot
from migrate.scan.helm import ENV_FILE, VALUES_FILE, HelmValues

CLASH_KINDS = ("GatewayClass", "Gateway", "HTTPRoute")


def _semver(text: str) -> tuple[int, ...] | None:
    m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.(\d+))?.*", text.strip())
    return tuple(int(g or 0) for g in m.groups()) if m else None


def pick_version(snap: Snapshot, requested: GatewayAPIVersion | None) -> tuple[GatewayAPIVersion, list[Note]]:
    """The Gateway API bundle to emit: --gateway-api-version, else what the installed CRDs say."""
    notes: list[Note] = []
    bundle = snap.gateway_crds.get("Gateway", ("", ""))[0]
    installed = _semver(bundle) if bundle else None
    if requested is not None:
        version = requested
    elif installed is not None and installed >= (1, 6):
        version = GatewayAPIVersion.V1_6
    else:
        version = GatewayAPIVersion.V1_3
    if not snap.gateway_crds_known:
        pass  # already noted by the scan
    elif "Gateway" not in snap.gateway_crds:
        notes.append(Note("warning", "Gateway API CRDs", "the Gateway API CRDs are not installed",
                          f"install the Gateway API {version.value} CRDs before applying the plan"))
    elif installed is None:
        notes.append(Note("warning", "Gateway API CRDs", f"the Gateway CRD has no readable bundle version "
                          f"({bundle or 'no annotation'}): emitting {version.value}"))
    else:
        channel = snap.gateway_crds["Gateway"][1] or "unknown"
        notes.append(Note("info", "Gateway API CRDs", f"installed bundle {bundle} ({channel} channel); "
                          f"emitting {version.value} API versions"))
        target = _semver(version.value)
        if target is not None and installed[:2] < target[:2]:
            notes.append(Note("needs-human", "Gateway API CRDs", f"the plan targets {version.value} but the cluster "
                              f"has {bundle}", f"upgrade the CRDs to {version.value} or pass "
                              "--gateway-api-version to match them"))
    return version, notes


def _ident(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _listener_key(lst: dict[str, Any]) -> tuple[Any, ...]:
    return (lst.get("port"), lst.get("protocol"), lst.get("hostname") or "")


def reuse_gateway(objects: list[dict[str, Any]], snap: Snapshot, options: ConvertOptions
                  ) -> tuple[list[dict[str, Any]], list[Note]]:
    """--gateway: keep the existing Gateway (drop the planned one) and list the listeners it lacks."""
    notes: list[Note] = []
    key = (options.gateway_namespace, options.gateway_name)
    existing = snap.existing.get("Gateway", {}).get(key)
    if existing is None:
        return objects, notes
    have = {_listener_key(lst): lst.get("name") for lst in (existing.get("spec") or {}).get("listeners") or []}
    kept = []
    for obj in objects:
        if obj.get("kind") == "Gateway" and _ident(obj) == key:
            for lst in (obj.get("spec") or {}).get("listeners") or []:
                name = have.get(_listener_key(lst))
                if name is not None and name != lst.get("name"):
                    # Routes attach by sectionName: a listener under another name does not take them.
                    notes.append(Note("needs-human", f"Gateway {key[0]}/{key[1]}",
                                      f"the existing Gateway's listener for port {lst.get('port')} "
                                      f"{lst.get('protocol')} {lst.get('hostname') or '(any host)'} is named "
                                      f"{name!r}; the routes refer to it as sectionName {lst.get('name')!r}",
                                      f"rename the listener to {lst.get('name')!r}, or change the routes' "
                                      "sectionName"))
                elif name is None:
                    notes.append(Note("needs-human", f"Gateway {key[0]}/{key[1]}",
                                      f"the existing Gateway has no listener for port {lst.get('port')} "
                                      f"{lst.get('protocol')} {lst.get('hostname') or '(any host)'}; the routes "
                                      f"refer to it as sectionName {lst.get('name')!r}",
                                      f"add listener {json.dumps(lst, sort_keys=True)} to the Gateway"))
            continue
        if obj.get("kind") == "GatewayClass" and ("", options.gateway_class) in snap.existing.get("GatewayClass", {}):
            continue
        kept.append(obj)
    notes.append(Note("info", f"Gateway {key[0]}/{key[1]}", "reusing the existing Gateway: it is not in the output"))
    return kept, notes


def _has_class(obj: dict[str, Any]) -> bool:
    """The object certainly names an ingress class (a non-blank kubernetes.io/ingress.class annotation, or an
    Ingress's spec.ingressClassName): the parsed object, if valid, has it too."""
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    value = annotations.get("kubernetes.io/ingress.class") if isinstance(annotations, dict) else None
    if isinstance(value, str) and value.strip():
        return True
    spec = obj.get("spec")
    return obj.get("kind") == "Ingress" and isinstance(spec, dict) and bool(spec.get("ingressClassName"))


def class_notes(snap: Snapshot, options: ConvertOptions) -> list[Note]:
    """Which ingress class, if any, is Kong's cluster default: learnt from the scanned IngressClasses (or given
    with --default-ingress-class); class-less Ingresses are Kong's only then.  Said only when it matters: some
    scanned Ingress (or TCPIngress/UDPIngress) has no class."""
    from migrate.convert.classes import build_selector
    from migrate.model.inventory import build_inventory

    # Only the IngressClasses and the objects that may lack a class are parsed (not every Ingress again).
    inventory = build_inventory([d for d in snap.docs if d.obj.get("kind") == "IngressClass" or (
        d.obj.get("kind") in ("Ingress", "TCPIngress", "UDPIngress") and not _has_class(d.obj))], Report())
    classless = [i.meta for i in inventory.ingresses
                 if not i.ingress_class_name and not i.meta.annotations.get("kubernetes.io/ingress.class", "").strip()]
    classless += [o.meta for o in inventory.tcp_ingresses + inventory.udp_ingresses
                  if not o.meta.annotations.get("kubernetes.io/ingress.class", "").strip()]
    if not classless:
        return []
    selector = build_selector(options.ingress_classes, inventory.ingress_classes, options.default_ingress_class)
    if selector.default_class_exists:
        return [Note("info", "ingress classes", f"{len(classless)} object(s) without an ingress class are Kong's: "
                     f"Kong's IngressClass is the cluster default ({selector.default_from})")]
    return [Note("warning", "ingress classes", f"{len(classless)} object(s) without an ingress class are not "
                 "converted: no IngressClass of Kong's is marked as the cluster default",
                 "if Kong serves them, pass --default-ingress-class NAME")]


def clashes(objects: list[dict[str, Any]], snap: Snapshot) -> list[Note]:
    notes = []
    for obj in objects:
        kind = str(obj.get("kind"))
        if kind in CLASH_KINDS and _ident(obj) in snap.existing.get(kind, {}):
            ns, name = _ident(obj)
            notes.append(Note("needs-human", f"{kind} {ns + '/' if ns else ''}{name}",
                              "already exists in the cluster: applying the plan would overwrite it",
                              "rename with --gateway-name/--gateway-class, or reuse an existing Gateway with "
                              "--gateway NAMESPACE/NAME" if kind != "HTTPRoute" else
                              "review the existing route; delete or rename one of them"))
    return notes


def missing_crds(objects: list[dict[str, Any]], snap: Snapshot) -> list[Note]:
    if not snap.gateway_crds_known or "Gateway" not in snap.gateway_crds:
        return []
    kinds = sorted({str(o.get("kind")) for o in objects if str(o.get("apiVersion", "")).startswith("gateway.")})
    return [Note("needs-human", f"{kind} CRD", f"the plan has {kind} objects but the cluster does not serve {kind}",
                 "install the Gateway API CRDs of the experimental channel" if kind in
                 ("TCPRoute", "UDPRoute", "TLSRoute", "BackendTLSPolicy") else "install the Gateway API CRDs")
            for kind in kinds if kind not in snap.gateway_crds]


def routing_note(report: Report) -> Note:
    """`--verify`'s verdict at the top of the readiness report; the differences stay in the conversion report."""
    from migrate.report import Status
    from migrate.verify.report_hook import VERIFY_SOURCE

    mine = [e for e in report.entries if e.source == VERIFY_SOURCE]
    summary = next((e.message for e in mine if e.status == Status.INFO), "verify did not run")
    if any(e.status == Status.UNCONVERTED for e in mine):
        return Note("needs-human", "routing", f"{summary}: some requests would be routed differently than Kong "
                    "routes them now", "review the differences listed under migrate/verify below")
    return Note("info", "routing", f"{summary}: every probe request is routed as Kong routes it now")


def exit_code(report: Report, notes: list[Note]) -> int:
    code = report.exit_code()
    return max(code, 1) if any(n.level == "needs-human" for n in notes) else code


def _summary(snap: Snapshot) -> list[str]:
    scope = ", ".join(snap.namespaces) if snap.namespaces is not None else "all namespaces"
    counts = ", ".join(f"{k} {v}" for k, v in sorted(snap.counts.items())) or "nothing"
    lines = [f"cluster: {snap.server} (context {snap.context})", f"namespaces: {scope}", f"read: {counts}"]
    if snap.proxy is not None:
        p = snap.proxy
        ports = ", ".join(f"{sp.name or '-'} {sp.port}->{sp.target_port}/{sp.protocol}" for sp in p.ports) or "none"
        lines.append(f"kong proxy: Service {p.namespace}/{p.service} ports {ports}")
        if p.udp_service:
            udp = ", ".join(f"{sp.name or '-'} {sp.port}->{sp.target_port}/{sp.protocol}" for sp in p.udp_ports)
            lines.append(f"kong proxy: UDP Service {p.namespace}/{p.udp_service} ports {udp or 'none'}")
        if p.deployment:
            lines.append(f"kong proxy: Deployment {p.namespace}/{p.deployment}")
        for key, value in sorted(p.env.items()):
            lines.append(f"kong proxy: {key}={value}")
    return lines


INLINE_FILES = (VALUES_FILE, ENV_FILE)  # printed in the report when there is no --output-dir to write them to


def _helm_text(helm: HelmValues | None, inline: bool, markdown: bool) -> list[str]:
    if helm is None or not helm.files:
        return []
    i = helm.install
    title = f"Kong proxy Helm values for the {i.chart} chart, release {i.release} in namespace {i.namespace}"
    if not inline:
        names = ", ".join(f"`{n}`" if markdown else n for n in helm.files)
        return ["", f"## {title}", "", f"Written to {names}."] if markdown else [f"{title}: written to {names}"]
    lines = ["", f"## {title}"] if markdown else [f"{title} (not written: no --output-dir):"]
    for name in INLINE_FILES:
        text = helm.files[name].rstrip("\n")
        if markdown:
            lines += ["", f"`{name}`:", "", "```yaml", text, "```"]
        else:
            lines += [f"  ==== {name} ===="] + [f"  {line}".rstrip() for line in text.splitlines()]
    return lines


def render(fmt: str, snap: Snapshot, notes: list[Note], report: Report, helm: HelmValues | None = None,
           inline: bool = False) -> str:
    """`inline`: no --output-dir, so the Helm values are printed in the report (json always carries them)."""
    if fmt == "json":
        data = {
            "exitCode": exit_code(report, notes),
            "cluster": {"server": snap.server, "context": snap.context, "namespaces": snap.namespaces,
                        "read": dict(sorted(snap.counts.items())), "missingKinds": snap.missing_kinds,
                        "gatewayAPICRDs": {k: {"bundleVersion": b, "channel": c}
                                           for k, (b, c) in sorted(snap.gateway_crds.items())}},
            "proxy": None if snap.proxy is None else {
                "namespace": snap.proxy.namespace, "service": snap.proxy.service,
                "deployment": snap.proxy.deployment, "env": dict(sorted(snap.proxy.env.items())),
                "ports": [{"name": p.name, "port": p.port, "targetPort": p.target_port, "protocol": p.protocol}
                          for p in snap.proxy.ports],
                **({"udpService": {"service": snap.proxy.udp_service, "ports": [
                    {"name": p.name, "port": p.port, "targetPort": p.target_port, "protocol": p.protocol}
                    for p in snap.proxy.udp_ports]}} if snap.proxy.udp_service else {})},
            "readiness": [{"level": n.level, "subject": n.subject, "message": n.message, "action": n.action}
                          for n in notes],
            "helmValues": None if helm is None else {
                "chart": helm.install.chart, "release": helm.install.release,
                "namespace": helm.install.namespace, "detectedFrom": helm.install.how, "files": helm.files},
            "conversion": json.loads(RENDERERS["json"](report)),
        }
        return json.dumps(data, indent=2) + "\n"
    if fmt == "markdown":
        lines = ["# Cluster scan", ""] + [f"- {line}" for line in _summary(snap)]
        lines += ["", "## Readiness", "", "| level | subject | message | action |", "|---|---|---|---|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in (n.level, n.subject, n.message, n.action)) + " |"
                  for n in notes]
        lines += _helm_text(helm, inline, markdown=True)
        return "\n".join(lines) + "\n\n" + RENDERERS["markdown"](report)
    lines = _summary(snap) + ["readiness:"]
    for n in notes:
        lines.append(f"  {n.level:<11} {n.subject}: {n.message}")
        if n.action:
            lines.append(f"  {'':<11} -> {n.action}")
    if not notes:
        lines.append("  nothing to report")
    lines += _helm_text(helm, inline, markdown=False)
    return "\n".join(lines) + "\n" + RENDERERS["text"](report)
