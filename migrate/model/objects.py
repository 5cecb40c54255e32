"""Normalized input objects.

Parsers take a raw dict plus its SourceRef and return a frozen pydantic model, or raise ObjectError
naming the offending field.  Partial problems (one bad path of a good Ingress) are returned as
`problems` on the model so the rest of the object still converts.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from migrate.model.validation import hostname_problem
from migrate.names import is_dns1123_label, is_dns1123_subdomain
from migrate.sources import SourceRef


class ObjectError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Problem(BaseModel):
    """A defect in one part of an otherwise usable object."""

    model_config = ConfigDict(frozen=True)
    field: str
    message: str


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Meta(Frozen):
    name: str
    namespace: str
    annotations: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    creation_timestamp: str = ""
    source: SourceRef


class BackendRef(Frozen):
    """An Ingress/TCPIngress backend: a Service and a port given by number or by name."""

    service: str
    port_number: int | None = None
    port_name: str | None = None


class IngressPath(Frozen):
    path: str
    path_type: str  # Exact | Prefix | ImplementationSpecific
    backend: BackendRef | None
    field: str  # spec.rules[i].http.paths[j], for messages
    resource: dict[str, Any] | None = None


class IngressRule(Frozen):
    host: str  # "" for no host
    paths: list[IngressPath]
    field: str


class IngressTLS(Frozen):
    hosts: list[str]
    secret_name: str
    field: str


class Ingress(Frozen):
    meta: Meta
    api_version: str
    ingress_class_name: str | None
    rules: list[IngressRule]
    tls: list[IngressTLS]
    default_backend: BackendRef | None
    default_backend_resource: dict[str, Any] | None = None
    problems: list[Problem] = Field(default_factory=list)
    # v1beta1-only fields on a networking.k8s.io/v1 Ingress: the API server prunes them (and rejects a backend left
    # without service or resource), so Kong never saw them; the parts are left out, with a warning
    pruned: list[Problem] = Field(default_factory=list)


class ServicePort(Frozen):
    name: str
    port: int
    target_port: int | str | None
    protocol: str


class Service(Frozen):
    meta: Meta
    type: str
    ports: list[ServicePort]
    external_name: str = ""


class IngressClass(Frozen):
    meta: Meta
    controller: str
    is_default: bool
    parameters: dict[str, Any] | None = None


class SecretMeta(Frozen):
    """Only identity and type: secret data is never read into the model."""

    meta: Meta
    type: str


class KongPlugin(Frozen):
    meta: Meta
    cluster_scoped: bool
    plugin: str


class KongIngress(Frozen):
    meta: Meta
    upstream: dict[str, Any] | None
    proxy: dict[str, Any] | None
    route: dict[str, Any] | None


class KongUpstreamPolicy(Frozen):
    meta: Meta


class GrantPeer(Frozen):
    group: str
    kind: str
    namespace: str = ""  # `from` entries only
    name: str = ""  # `to` entries only; empty: every object of the kind


class ReferenceGrant(Frozen):
    meta: Meta
    from_: list[GrantPeer]
    to: list[GrantPeer]

    def admits(self, from_group: str, from_kind: str, from_namespace: str, to_group: str, to_kind: str,
               to_name: str) -> bool:
        return (any(f.group == from_group and f.kind == from_kind and f.namespace == from_namespace
                    for f in self.from_)
                and any(t.group == to_group and t.kind == to_kind and t.name in ("", to_name) for t in self.to))


class L4Rule(Frozen):
    host: str
    port: int
    backend: BackendRef
    field: str


class L4Ingress(Frozen):
    """TCPIngress or UDPIngress."""

    meta: Meta
    kind: str  # TCPIngress | UDPIngress
    rules: list[L4Rule]
    tls: list[IngressTLS]
    problems: list[Problem] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------------
# parsing helpers


def _mapping(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ObjectError(field, f"must be a mapping, got {type(value).__name__}")
    return value


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ObjectError(field, f"must be a list, got {type(value).__name__}")
    return value


def _str_map(value: Any, field: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in _mapping(value, field).items():
        if v is None:
            v = ""
        if isinstance(v, bool):
            v = "true" if v else "false"
        out[str(k)] = str(v)
    return out


def parse_meta(obj: dict[str, Any], source: SourceRef, *, namespaced: bool = True) -> Meta:
    meta = _mapping(obj.get("metadata"), "metadata")
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise ObjectError("metadata.name", "required")
    if not is_dns1123_subdomain(name):
        raise ObjectError("metadata.name", f"{name!r} is not a valid DNS-1123 subdomain")
    namespace = meta.get("namespace") or ("default" if namespaced else "")
    if not isinstance(namespace, str) or (namespaced and not is_dns1123_label(namespace)):
        raise ObjectError("metadata.namespace", f"{namespace!r} is not a valid namespace name")
    created = meta.get("creationTimestamp")
    if source.namespace != namespace:
        source = dataclasses.replace(source, namespace=namespace)
    return Meta(
        name=name,
        namespace=namespace,
        annotations=_str_map(meta.get("annotations"), "metadata.annotations"),
        labels=_str_map(meta.get("labels"), "metadata.labels"),
        creation_timestamp=str(created) if created else "",
        source=source,
    )


def _port_value(value: Any, field: str) -> tuple[int | None, str | None]:
    """A port given as number, numeric string, or name."""
    if isinstance(value, bool) or value is None:
        raise ObjectError(field, "port is required")
    if isinstance(value, int):
        if not 1 <= value <= 65535:
            raise ObjectError(field, f"port {value} is out of range 1-65535")
        return value, None
    if isinstance(value, str):
        if value.isdigit():
            return _port_value(int(value), field)
        if not is_dns1123_label(value) or len(value) > 15:
            raise ObjectError(field, f"{value!r} is neither a port number nor a valid port name")
        return None, value
    raise ObjectError(field, f"port must be a number or a name, got {type(value).__name__}")


def _v1_backend(raw: Any, field: str) -> tuple[BackendRef | None, dict[str, Any] | None]:
    b = _mapping(raw, field)
    if not b:
        raise ObjectError(field, "backend is required")
    if "resource" in b:
        return None, _mapping(b["resource"], f"{field}.resource")
    if "serviceName" in b:  # networking.k8s.io/v1beta1, extensions/v1beta1
        name = b.get("serviceName")
        if not isinstance(name, str) or not name:
            raise ObjectError(f"{field}.serviceName", "required")
        num, pname = _port_value(b.get("servicePort"), f"{field}.servicePort")
        return BackendRef(service=name, port_number=num, port_name=pname), None
    svc = _mapping(b.get("service"), f"{field}.service")
    name = svc.get("name")
    if not isinstance(name, str) or not name:
        raise ObjectError(f"{field}.service.name", "required")
    if not is_dns1123_label(name):
        raise ObjectError(f"{field}.service.name", f"{name!r} is not a valid Service name")
    port = _mapping(svc.get("port"), f"{field}.service.port")
    if "number" in port and port["number"] is not None:
        num, _ = _port_value(port["number"], f"{field}.service.port.number")
        if num is None:
            raise ObjectError(f"{field}.service.port.number", "must be a number")
        return BackendRef(service=name, port_number=num), None
    if port.get("name"):
        if str(port["name"]).isdigit():
            # no valid port name (they need a letter), but a name all the same: Kong's controller looks it up
            # among the Service's port names and finds none
            return BackendRef(service=name, port_name=str(port["name"])), None
        _, pname = _port_value(str(port["name"]), f"{field}.service.port.name")
        return BackendRef(service=name, port_name=pname), None
    raise ObjectError(f"{field}.service.port", "needs a number or a name")


class PrunedField(ObjectError):
    """A field the API server drops from an object of this apiVersion (the part is left out, with a warning)."""


V1_INGRESS = "networking.k8s.io/v1"
PRUNED_BACKEND = ("serviceName/servicePort are networking.k8s.io/v1beta1 fields: the API server prunes them from a "
                  "networking.k8s.io/v1 Ingress and then rejects it (a backend needs service or resource), so this "
                  "Ingress cannot be in the cluster as written and Kong never routed this path; not converted")


def _pruned_v1beta1_backend(raw: Any, field: str) -> None:
    """A v1 Ingress backend written in v1beta1 form."""
    if isinstance(raw, dict) and ("serviceName" in raw or "servicePort" in raw) \
            and "service" not in raw and "resource" not in raw:
        raise PrunedField(field, PRUNED_BACKEND)


INGRESS_API_VERSIONS = ("networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1")
PATH_TYPES = ("Exact", "Prefix", "ImplementationSpecific")


def parse_ingress(obj: dict[str, Any], source: SourceRef) -> Ingress:
    api_version = str(obj.get("apiVersion") or "")
    if api_version not in INGRESS_API_VERSIONS:
        raise ObjectError("apiVersion", f"{api_version!r} is not an Ingress API version ({', '.join(INGRESS_API_VERSIONS)})")
    meta = parse_meta(obj, source)
    spec = _mapping(obj.get("spec"), "spec")
    problems: list[Problem] = []
    pruned: list[Problem] = []
    class_name = spec.get("ingressClassName")
    if class_name is not None and not isinstance(class_name, str):
        raise ObjectError("spec.ingressClassName", "must be a string")

    rules: list[IngressRule] = []
    for i, raw_rule in enumerate(_list(spec.get("rules"), "spec.rules")):
        rfield = f"spec.rules[{i}]"
        try:
            rule = _mapping(raw_rule, rfield)
            host = rule.get("host") or ""
            if not isinstance(host, str):
                raise ObjectError(f"{rfield}.host", "must be a string")
            host = host.strip()
            if host:
                why = hostname_problem(host)
                if why:
                    raise ObjectError(f"{rfield}.host", f"{host!r}: {why}")
            http = _mapping(rule.get("http"), f"{rfield}.http")
            paths: list[IngressPath] = []
            for j, raw_path in enumerate(_list(http.get("paths"), f"{rfield}.http.paths")):
                pfield = f"{rfield}.http.paths[{j}]"
                try:
                    if api_version == V1_INGRESS and isinstance(raw_path, dict):
                        _pruned_v1beta1_backend(raw_path.get("backend"), f"{pfield}.backend")
                    paths.append(_parse_path(raw_path, pfield))
                except PrunedField as exc:
                    pruned.append(Problem(field=exc.field, message=exc.message))
                except ObjectError as exc:
                    problems.append(Problem(field=exc.field, message=exc.message))
            rules.append(IngressRule(host=host, paths=paths, field=rfield))
        except ObjectError as exc:
            problems.append(Problem(field=exc.field, message=exc.message))

    tls: list[IngressTLS] = []
    for i, raw_tls in enumerate(_list(spec.get("tls"), "spec.tls")):
        tfield = f"spec.tls[{i}]"
        try:
            entry = _mapping(raw_tls, tfield)
            hosts = [str(h).strip() for h in _list(entry.get("hosts"), f"{tfield}.hosts") if str(h).strip()]
            for h in hosts:
                why = hostname_problem(h)
                if why:
                    raise ObjectError(f"{tfield}.hosts", f"{h!r}: {why}")
            tls.append(IngressTLS(hosts=hosts, secret_name=str(entry.get("secretName") or ""), field=tfield))
        except ObjectError as exc:
            problems.append(Problem(field=exc.field, message=exc.message))

    default_backend = None
    default_resource = None
    if api_version == V1_INGRESS and "backend" in spec:
        pruned.append(Problem(field="spec.backend", message=(
            "spec.backend is a networking.k8s.io/v1beta1 field: the API server prunes it from a networking.k8s.io/v1 "
            "Ingress (v1 calls it spec.defaultBackend), so Kong never had this default backend; not converted")))
        raw_default = spec.get("defaultBackend")
    else:
        raw_default = spec.get("defaultBackend", spec.get("backend"))
    if raw_default is not None:
        dfield = "spec.defaultBackend" if "defaultBackend" in spec else "spec.backend"
        try:
            default_backend, default_resource = _v1_backend(raw_default, dfield)
        except ObjectError as exc:
            problems.append(Problem(field=exc.field, message=exc.message))
    return Ingress(
        meta=meta,
        api_version=api_version,
        ingress_class_name=class_name,
        rules=rules,
        tls=tls,
        default_backend=default_backend,
        default_backend_resource=default_resource,
        problems=problems,
        pruned=pruned,
    )


def _parse_path(raw: Any, field: str) -> IngressPath:
    p = _mapping(raw, field)
    path = p.get("path")
    if path is None or path == "":
        path = "/"  # Kong treats an empty path as "/"
    if not isinstance(path, str):
        raise ObjectError(f"{field}.path", "must be a string")
    path_type = p.get("pathType") or "ImplementationSpecific"
    if path_type not in PATH_TYPES:
        raise ObjectError(f"{field}.pathType", f"{path_type!r} is not one of {', '.join(PATH_TYPES)}")
    if not path.startswith("/"):
        raise ObjectError(f"{field}.path", f"{path!r} must start with '/'")
    backend, resource = _v1_backend(p.get("backend"), f"{field}.backend")
    return IngressPath(path=path, path_type=path_type, backend=backend, resource=resource, field=field)


def parse_service(obj: dict[str, Any], source: SourceRef) -> Service:
    meta = parse_meta(obj, source)
    spec = _mapping(obj.get("spec"), "spec")
    ports: list[ServicePort] = []
    for i, raw in enumerate(_list(spec.get("ports"), "spec.ports")):
        p = _mapping(raw, f"spec.ports[{i}]")
        num, _ = _port_value(p.get("port"), f"spec.ports[{i}].port")
        target = p.get("targetPort")
        ports.append(
            ServicePort(
                name=str(p.get("name") or ""),
                port=num or 0,
                target_port=target if isinstance(target, int | str) else None,
                protocol=str(p.get("protocol") or "TCP"),
            )
        )
    return Service(
        meta=meta,
        type=str(spec.get("type") or "ClusterIP"),
        ports=ports,
        external_name=str(spec.get("externalName") or ""),
    )


KONG_INGRESS_CONTROLLER = "ingress-controllers.konghq.com/kong"


def parse_ingress_class(obj: dict[str, Any], source: SourceRef) -> IngressClass:
    meta = parse_meta(obj, source, namespaced=False)
    spec = _mapping(obj.get("spec"), "spec")
    params = spec.get("parameters")
    return IngressClass(
        meta=meta,
        controller=str(spec.get("controller") or ""),
        is_default=meta.annotations.get("ingressclass.kubernetes.io/is-default-class", "").strip().lower() == "true",
        parameters=params if isinstance(params, dict) else None,
    )


def parse_secret(obj: dict[str, Any], source: SourceRef) -> SecretMeta:
    meta = parse_meta(obj, source)
    return SecretMeta(meta=meta, type=str(obj.get("type") or "Opaque"))


def parse_kong_plugin(obj: dict[str, Any], source: SourceRef) -> KongPlugin:
    cluster = obj.get("kind") == "KongClusterPlugin"
    meta = parse_meta(obj, source, namespaced=not cluster)
    plugin = obj.get("plugin")
    if not isinstance(plugin, str) or not plugin:
        raise ObjectError("plugin", "required")
    return KongPlugin(meta=meta, cluster_scoped=cluster, plugin=plugin)


def parse_kong_ingress(obj: dict[str, Any], source: SourceRef) -> KongIngress:
    meta = parse_meta(obj, source)
    return KongIngress(
        meta=meta,
        upstream=_mapping(obj.get("upstream"), "upstream") or None,
        proxy=_mapping(obj.get("proxy"), "proxy") or None,
        route=_mapping(obj.get("route"), "route") or None,
    )


def parse_reference_grant(obj: dict[str, Any], source: SourceRef) -> ReferenceGrant:
    meta = parse_meta(obj, source)
    spec = _mapping(obj.get("spec"), "spec")

    def peers(key: str) -> list[GrantPeer]:
        out: list[GrantPeer] = []
        for i, raw in enumerate(_list(spec.get(key), f"spec.{key}")):
            entry = _mapping(raw, f"spec.{key}[{i}]")
            out.append(GrantPeer(group=str(entry.get("group") or ""), kind=str(entry.get("kind") or ""),
                                 namespace=str(entry.get("namespace") or ""), name=str(entry.get("name") or "")))
        return out

    return ReferenceGrant(meta=meta, from_=peers("from"), to=peers("to"))


def parse_kong_upstream_policy(obj: dict[str, Any], source: SourceRef) -> KongUpstreamPolicy:
    return KongUpstreamPolicy(meta=parse_meta(obj, source))


def parse_l4_ingress(obj: dict[str, Any], source: SourceRef) -> L4Ingress:
    kind = str(obj.get("kind"))
    meta = parse_meta(obj, source)
    spec = _mapping(obj.get("spec"), "spec")
    problems: list[Problem] = []
    rules: list[L4Rule] = []
    for i, raw in enumerate(_list(spec.get("rules"), "spec.rules")):
        field = f"spec.rules[{i}]"
        try:
            r = _mapping(raw, field)
            port, _ = _port_value(r.get("port"), f"{field}.port")
            if port is None:
                raise ObjectError(f"{field}.port", "must be a number")
            host = str(r.get("host") or "").strip()
            if host:
                why = hostname_problem(host)
                if why:
                    raise ObjectError(f"{field}.host", f"{host!r}: {why}")
            b = _mapping(r.get("backend"), f"{field}.backend")
            name = b.get("serviceName")
            if not isinstance(name, str) or not name:
                raise ObjectError(f"{field}.backend.serviceName", "required")
            num, pname = _port_value(b.get("servicePort"), f"{field}.backend.servicePort")
            rules.append(
                L4Rule(host=host, port=port, backend=BackendRef(service=name, port_number=num, port_name=pname), field=field)
            )
        except ObjectError as exc:
            problems.append(Problem(field=exc.field, message=exc.message))
    tls: list[IngressTLS] = []
    for i, raw in enumerate(_list(spec.get("tls"), "spec.tls")):
        entry = _mapping(raw, f"spec.tls[{i}]")
        hosts = [str(h).strip() for h in _list(entry.get("hosts"), f"spec.tls[{i}].hosts")]
        tls.append(IngressTLS(hosts=hosts, secret_name=str(entry.get("secretName") or ""), field=f"spec.tls[{i}]"))
    return L4Ingress(meta=meta, kind=kind, rules=rules, tls=tls, problems=problems)
