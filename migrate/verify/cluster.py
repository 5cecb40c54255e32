"""The two clusters `verify` compares: today's (the input) and the one after the migration.

Both are lists of Kubernetes objects that the KIC model translates.  Before: the input as it is.  After: the
input without the objects the migration replaces (Ingress, TCPIngress, UDPIngress), plus the emitted objects;
Service patches among them (a `kind: Service` document without `spec`) are merged into the Services they name.

Input files often omit what routing does not show (the Services behind the routes, the TLS Secrets).  KIC
refuses a backend whose Service does not exist, so comparing such inputs literally would compare nothing.
`assumed_objects` adds, on both sides alike, a minimal Service for every numerically referenced port of a
missing Service and a TLS Secret for every missing certificate reference; each assumption is reported.
A named port of a missing Service cannot be assumed: both sides then lose that backend, and a note says so.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from migrate.loader import SourceDoc
from migrate.sources import SourceRef
from migrate.verify.defaults import with_api_server_defaults

REPLACED_KINDS = frozenset({"Ingress", "TCPIngress", "UDPIngress"})
GATEWAY_ROUTE_KINDS = frozenset({"HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute"})
KIC_GATEWAY_CONTROLLER = "konghq.com/kic-gateway-controller"


@dataclass
class Assumptions:
    objects: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def _ns(obj: dict[str, Any]) -> str:
    return str(_meta(obj).get("namespace") or "default")


def _name(obj: dict[str, Any]) -> str:
    return str(_meta(obj).get("name") or "")


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    s = obj.get("spec")
    return s if isinstance(s, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _service_refs(obj: dict[str, Any]) -> Iterable[tuple[str, str, int | str | None]]:
    """(namespace, service, port number or name) of every Service backend the object references."""
    kind = obj.get("kind")
    ns = _ns(obj)
    spec = _spec(obj)
    if kind == "Ingress":
        backends: list[Any] = [spec.get("defaultBackend"), spec.get("backend")]
        for rule in _dicts(spec.get("rules")):
            http = rule.get("http")
            for path in _dicts(http.get("paths") if isinstance(http, dict) else None):
                backends.append(path.get("backend"))
        for b in backends:
            if not isinstance(b, dict):
                continue
            svc = b.get("service")
            if isinstance(svc, dict):
                raw_port = svc.get("port")
                port: dict[str, Any] = raw_port if isinstance(raw_port, dict) else {}
                yield ns, str(svc.get("name") or ""), port.get("number") if "number" in port else port.get("name")
            elif b.get("serviceName"):  # v1beta1
                yield ns, str(b["serviceName"]), b.get("servicePort")
    elif kind in ("TCPIngress", "UDPIngress"):
        for rule in _dicts(spec.get("rules")):
            b = rule.get("backend")
            if isinstance(b, dict) and b.get("serviceName"):
                yield ns, str(b["serviceName"]), b.get("servicePort")
    elif kind in GATEWAY_ROUTE_KINDS:
        for rule in _dicts(spec.get("rules")):
            for ref in _dicts(rule.get("backendRefs")):
                if ref.get("group", "") in ("", "core") and ref.get("kind", "Service") == "Service":
                    yield str(ref.get("namespace") or ns), str(ref.get("name") or ""), ref.get("port")


def _secret_refs(obj: dict[str, Any]) -> Iterable[tuple[str, str]]:
    kind = obj.get("kind")
    ns = _ns(obj)
    spec = _spec(obj)
    if kind in ("Ingress", "TCPIngress"):
        for tls in _dicts(spec.get("tls")):
            if tls.get("secretName"):
                yield ns, str(tls["secretName"])
    elif kind == "Gateway":
        for listener in _dicts(spec.get("listeners")):
            listener_tls = listener.get("tls")
            for ref in _dicts(listener_tls.get("certificateRefs") if isinstance(listener_tls, dict) else None):
                if ref.get("kind", "Secret") == "Secret" and ref.get("group", "") in ("", "core"):
                    yield str(ref.get("namespace") or ns), str(ref.get("name") or "")


def _as_port(value: Any) -> int | str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value if isinstance(value, str) and value else None


def assumed_objects(objects: Sequence[dict[str, Any]]) -> Assumptions:
    """Services and Secrets the objects reference but the input lacks (see the module docstring)."""
    present = {(o.get("kind"), _ns(o), _name(o)) for o in objects}
    ports: dict[tuple[str, str], set[int]] = {}
    named: set[tuple[str, str, str]] = set()
    secrets: set[tuple[str, str]] = set()
    for obj in objects:
        for ns, svc, port in _service_refs(obj):
            if not svc or ("Service", ns, svc) in present:
                continue
            p = _as_port(port)
            if isinstance(p, int):
                ports.setdefault((ns, svc), set()).add(p)
            elif isinstance(p, str):
                named.add((ns, svc, p))
        for ns, secret in _secret_refs(obj):
            if secret and ("Secret", ns, secret) not in present:
                secrets.add((ns, secret))
    out = Assumptions()
    for (ns, svc), numbers in sorted(ports.items()):
        out.objects.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": svc, "namespace": ns},
                            "spec": {"type": "ClusterIP", "ports": [{"name": f"port-{n}", "port": n, "targetPort": n,
                                                                      "protocol": "TCP"} for n in sorted(numbers)]}})
    if ports:
        out.notes.append(f"assumed {len(ports)} Service(s) missing from the input, with the referenced ports: "
                         + ", ".join(f"{ns}/{svc}" for ns, svc in sorted(ports)))
    for ns, svc, port in sorted(named):
        out.notes.append(f"Service {ns}/{svc} is not in the input and is referenced by port name {port!r}: "
                         "neither side can route to it (add the Service to the input)")
    for ns, secret in sorted(secrets):
        # metadata only, as `scan` reads Secrets: the KIC model takes such a Secret for a valid certificate
        out.objects.append({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                            "metadata": {"name": secret, "namespace": ns}})
    if secrets:
        out.notes.append(f"assumed {len(secrets)} TLS Secret(s) missing from the input: "
                         + ", ".join(f"{ns}/{s}" for ns, s in sorted(secrets)))
    classes = sorted({str(_spec(o).get("gatewayClassName") or "") for o in objects if o.get("kind") == "Gateway"}
                     - {str(_name(o)) for o in objects if o.get("kind") == "GatewayClass"} - {""})
    for name in classes:
        out.objects.append({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                            "metadata": {"name": name}, "spec": {"controllerName": KIC_GATEWAY_CONTROLLER}})
    if classes:
        out.notes.append(f"assumed GatewayClass(es) {', '.join(classes)} (not in the input) are run by Kong's "
                         "controller")
    return out


DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
KONG_INGRESS_CONTROLLER = "ingress-controllers.konghq.com/kong"


def with_default_ingress_class(docs: Sequence[SourceDoc], name: str) -> tuple[list[SourceDoc], str]:
    """`--default-ingress-class NAME`: Kong's IngressClass NAME is the cluster default, so KIC takes class-less
    Ingresses (and class-less TCPIngresses/UDPIngresses) as its own.  The input's IngressClass of that name is
    marked as the default; without one, it is assumed (Kong's controller, marked default).  Both sides see it."""
    out: list[SourceDoc] = []
    found = False
    for doc in docs:
        obj = doc.obj
        if obj.get("kind") == "IngressClass" and _name(obj) == name:
            found = True
            if _meta(obj).get("annotations", {}).get(DEFAULT_CLASS_ANNOTATION) != "true":
                obj = copy.deepcopy(obj)
                obj.setdefault("metadata", {}).setdefault("annotations", {})[DEFAULT_CLASS_ANNOTATION] = "true"
                out.append(SourceDoc(obj, doc.ref))
                continue
        out.append(doc)
    if found:
        return out, f"IngressClass {name} taken as the cluster default (--default-ingress-class)"
    out.append(SourceDoc({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                          "metadata": {"name": name, "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
                          "spec": {"controller": KONG_INGRESS_CONTROLLER}},
                         SourceRef(kind="IngressClass", name=name, file="<assumed>")))
    return out, (f"assumed IngressClass {name} (not in the input), run by Kong's controller and marked as the cluster "
                 "default (--default-ingress-class)")


def _apply_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(target)
    annotations = dict(_meta(merged).get("annotations") or {})
    for key, value in (_meta(patch).get("annotations") or {}).items():
        if value is None:
            annotations.pop(key, None)
        else:
            annotations[key] = value
    merged.setdefault("metadata", {})["annotations"] = annotations
    return merged


def after_cluster(before: Sequence[SourceDoc], after: Sequence[dict[str, Any]]) -> list[SourceDoc]:
    """The objects after the migration: `before` less the replaced kinds, with the emitted objects added."""
    patches = {(_ns(o), _name(o)): o for o in after if o.get("kind") == "Service" and "spec" not in o}
    out: list[SourceDoc] = []
    for doc in before:
        kind = doc.obj.get("kind")
        if kind in REPLACED_KINDS:
            continue
        if kind == "Service" and (_ns(doc.obj), _name(doc.obj)) in patches:
            out.append(SourceDoc(_apply_patch(doc.obj, patches[(_ns(doc.obj), _name(doc.obj))]), doc.ref))
            continue
        out.append(doc)
    for obj in after:
        if obj.get("kind") == "Service" and "spec" not in obj:
            continue
        obj = with_api_server_defaults(obj)
        out.append(SourceDoc(obj, SourceRef(kind=str(obj.get("kind", "")), namespace=_ns(obj), name=_name(obj),
                                            file="<after>")))
    return out
