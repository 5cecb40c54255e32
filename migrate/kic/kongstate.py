"""KIC's "fill" phase: what happens to every Kong service and route after the per-kind translators ran.

Re-expressed (never copied) from Kong/kubernetes-ingress-controller v3.5.13:

* `internal/dataplane/translator/translator.go` `BuildKongConfig`: the order of the phases below.
* `internal/dataplane/translator/ingressrules.go` `populateServices`: resolve the Kubernetes Services behind each
  Kong service; all of them must carry identical `konghq.com/*` annotations, else the Kong service is skipped
  (its upstream is still emitted); `konghq.com/client-cert`, `ca-certificates-*`.
* `internal/dataplane/translator/translate_upstreams.go` `getUpstreams` / `findPort` / `getEndpoints`: one upstream
  per service host, the Kong service port is the resolved Service port, targets from EndpointSlices.
* `internal/dataplane/kongstate/service.go`, `route.go`, `upstream.go`: `overrideByAnnotation` (the tables
  `SERVICE_ANNOTATIONS` and `ROUTE_ANNOTATIONS` below, in KIC's order), `normalizeProtocols`, KongIngress.
* `internal/dataplane/kongstate/kongupstreampolicy.go`: KongUpstreamPolicy → upstream fields.
* `internal/dataplane/kongstate/kongstate.go` `getPluginRelations` / `buildPlugins` / `globalKongClusterPlugins` and
  `plugin.go`: `konghq.com/plugins` on Services and on route sources, cross-namespace references checked against
  ReferenceGrants (`internal/gatewayapi/references.go`), `instance_name` suffixes, global KongClusterPlugins.
* `internal/dataplane/translator/translate_certs.go` `getCerts` / `mergeCerts`: certificates and SNIs.
* `internal/dataplane/deckgen/generate.go` `fillRoute` / `fillUpstream` and the sort order of the decK file.

KongIngress `proxy`/`route` sections act only for a KIC 2.x source (`settings.legacy_kongingress`;
Kong/kubernetes-ingress-controller v2.12.8 `internal/dataplane/kongstate/{route,service}.go`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from migrate.kic.gwcommon import json_copy
from migrate.kic.settings import KICSettings
from migrate.kic.store import CLUSTER_SCOPED, Obj, Store
from migrate.kong.config import (
    Certificate,
    KongConfig,
    Plugin,
    Route,
    Service,
    Target,
    TranslationFailure,
    Upstream,
)

ANN = "konghq.com/"
INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_INGRESS_CLASS = "kong"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
GATEWAY_GROUP = "gateway.networking.k8s.io"
KONG_CONFIGURATION_GROUP = "configuration.konghq.com"
STICKY_SESSIONS_KONG = (3, 11, 0)  # internal/versions/versions.go KongStickySessionsCutoff


# --- small, Go-compatible value helpers ---------------------------------------------------------------------

def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value):
        return int(value)
    return None


_INT64 = 1 << 63


def go_atoi(text: str) -> int | None:
    """strconv.Atoi: optional sign and decimal digits only (no spaces), 64-bit range; None on error."""
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        return None
    n = int(text)
    return n if -_INT64 <= n < _INT64 else None


def go_parse_bool(text: str) -> bool | None:
    """strconv.ParseBool."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def comma_list(value: str, upper: bool = False) -> list[str]:
    """annotations.go extractCommaDelimitedStrings: split on `,`, trim, drop empty items."""
    if not value.strip():
        return []
    out = [v.strip() for v in value.split(",") if v.strip()]
    return [v.upper() for v in out] if upper else out


def extract_headers(annotations: dict[str, str]) -> tuple[dict[str, list[str]], bool]:
    """annotations.go ExtractHeaders: `konghq.com/headers.<name>`, values split on the separator (default `,`)
    and trimmed (empty items are kept); an empty name or value is skipped."""
    separator = annotations.get(ANN + "headers-separator", ",")
    prefix = ANN + "headers."
    headers: dict[str, list[str]] = {}
    for key in sorted(annotations):
        if not key.startswith(prefix):
            continue
        name, value = key[len(prefix):], annotations[key]
        if not name or not value:
            continue
        parts = value.split(separator) if separator else list(value)
        headers[name] = [v.strip() for v in parts]
    return headers, bool(headers)


# util/protocol.go ValidateProtocol (note: "udp" is not a valid annotation protocol)
VALID_PROTOCOLS = frozenset({"", "http", "https", "grpc", "grpcs", "ws", "wss", "tls", "tcp", "tls_passthrough"})
VALID_METHOD = re.compile(r"\A[A-Z]+$")
VALID_PATH_HANDLING = re.compile(r"v\d")
VALID_SNI = re.compile(r"^([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)(\.([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*))*$")
VALID_HOST = re.compile(r"^(\*\.)?([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)(\.([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*))*?(\.\*)?$")
REDIRECT_CODES = (426, 301, 302, 307, 308)


def origin_of(obj: Obj | None) -> str:
    if obj is None:
        return ""
    if obj.kind in CLUSTER_SCOPED:
        return f"{obj.kind}/{obj.name}"
    return f"{obj.kind}/{obj.namespace}/{obj.name}"


def api_group(obj: Obj) -> str:
    api_version = as_str(obj.raw.get("apiVersion"))
    return api_version.split("/", 1)[0] if "/" in api_version else ""


class Failures:
    """KIC's failures collector: one TranslationFailure per causing object, deduplicated, in order."""

    def __init__(self) -> None:
        self.items: list[TranslationFailure] = []
        self._seen: set[TranslationFailure] = set()

    def push(self, message: str, *objs: Obj | None) -> None:
        for obj in objs or (None,):
            failure = TranslationFailure(origin=origin_of(obj), message=message)
            if failure not in self._seen:
                self._seen.add(failure)
                self.items.append(failure)


# --- what KIC keeps beside a Kong service (kongstate.Service) -----------------------------------------------

@dataclass(frozen=True)
class PortDef:
    """kongstate.PortDef: a Service port by number, by name, or implicit (the Service's only port)."""

    mode: str  # "number" | "name" | "implicit"
    number: int = 0
    name: str = ""

    def canonical(self) -> str:
        if self.mode == "number":
            return str(self.number)
        if self.mode == "name":
            return self.name
        return "implicitPort"

    @staticmethod
    def from_backend_port(port: Any) -> PortDef:
        """subtranslator/portdef.go PortDefFromServiceBackendPort (networking/v1 ServiceBackendPort)."""
        p = as_dict(port)
        number = as_int(p.get("number"))
        if number:
            return PortDef("number", number=number)
        name = as_str(p.get("name"))
        if name:
            return PortDef("name", name=name)
        return PortDef("implicit")

    @staticmethod
    def parse(token: str) -> PortDef:
        if re.fullmatch(r"[0-9]+", token):
            return PortDef("number", number=int(token))
        if token in ("", "-1", "implicitPort"):  # the Gateway API translator writes -1 for "no port"
            return PortDef("implicit")
        return PortDef("name", name=token)


@dataclass
class ServiceBackend:
    namespace: str
    name: str
    port: PortDef
    weight: int | None = None  # None: KIC leaves target weights unset (Ingress); Gateway API sets them

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass
class Entry:
    """A Kong service with what KIC's kongstate.Service keeps beside it."""

    service: Service
    backends: list[ServiceBackend]
    parent: Obj | None  # the object whose translation created the service (Ingress, TCPIngress, HTTPRoute ...)
    k8s_services: dict[str, Obj] = field(default_factory=dict)
    resolved: dict[int, int] = field(default_factory=dict)  # backend index -> resolved Service port


def backends_from_service(service: Service) -> list[ServiceBackend]:
    """Read `Service.backends` (("ns/name:port", weight), ...) as set by the Gateway API translator."""
    out: list[ServiceBackend] = []
    for ref, weight in service.backends:
        nn, _, port = str(ref).rpartition(":")
        ns, _, name = nn.partition("/")
        if not ns or not name:
            continue
        out.append(ServiceBackend(ns, name, PortDef.parse(port), weight))
    return out


# --- class selection (internal/store/store.go, internal/annotations/annotations.go) -------------------------

def served_classes(settings: KICSettings) -> tuple[str, ...]:
    return settings.ingress_classes or (DEFAULT_INGRESS_CLASS,)


def default_class_exists(store: Store, settings: KICSettings) -> bool:
    """An IngressClass named like KIC's class, annotated as the cluster default (any controller: KIC's
    GetIngressClassV1 does not check it)."""
    for cls in served_classes(settings):
        ic = store.get("IngressClass", "", cls)
        if ic is not None and ic.annotations.get(DEFAULT_CLASS_ANNOTATION) == "true":
            return True
    return False


def ingress_class_accepts(obj: Obj, store: Store, settings: KICSettings) -> bool:
    """store.go ListIngressesV1: a non-empty class annotation decides, else spec.ingressClassName, else the
    class must be the default IngressClass."""
    classes = served_classes(settings)
    annotation = obj.annotations.get(INGRESS_CLASS_ANNOTATION, "")
    if annotation != "":
        return annotation in classes
    class_name = obj.spec.get("ingressClassName")
    if class_name is not None:
        return as_str(class_name) in classes
    return default_class_exists(store, settings)


def crd_class_accepts(obj: Obj, store: Store, settings: KICSettings) -> bool:
    """store.go isValidIngressClass with getIngressClassHandling: Kong CRDs (TCPIngress, UDPIngress,
    KongClusterPlugin ...) match by the annotation only; an empty one matches when KIC's class is the default."""
    annotation = obj.annotations.get(INGRESS_CLASS_ANNOTATION, "")
    if annotation in served_classes(settings):
        return True
    return annotation == "" and default_class_exists(store, settings)


def age_sorted(objs: Iterable[Obj]) -> list[Obj]:
    """KIC lists by namespace/name, then stable-sorts by creationTimestamp."""
    by_name = sorted(objs, key=lambda o: (o.namespace, o.name))
    return sorted(by_name, key=lambda o: o.creation_timestamp)


# --- Secrets ------------------------------------------------------------------------------------------------

def secret_value(secret: Obj, key: str) -> bytes | None:
    data = as_dict(secret.raw.get("data"))
    if key in data:
        raw = as_str(data[key])
        try:
            return base64.b64decode("".join(raw.split()), validate=True)
        except (binascii.Error, ValueError):
            return None
    string_data = as_dict(secret.raw.get("stringData"))
    if key in string_data:
        return as_str(string_data[key]).encode()
    return None


def tls_pair(secret: Obj) -> tuple[bytes, bytes] | None:
    """translate_certs.go getCertFromSecret: tls.crt and tls.key, trimmed, in PEM form."""
    if "data" not in secret.raw and "stringData" not in secret.raw:
        # Metadata only (what `scan` reads, or a Secret `verify` assumed): the key material is not ours to see,
        # so the Secret stands for a valid certificate of its own.
        return f"metadata-only:{secret.namespace}/{secret.name}".encode(), b""
    cert, key = secret_value(secret, "tls.crt"), secret_value(secret, "tls.key")
    if cert is None or key is None:
        return None
    cert, key = cert.strip(), key.strip()
    if b"-----BEGIN" not in cert or b"-----BEGIN" not in key:
        return None
    # KIC also checks that the pair parses and matches (tls.X509KeyPair); the model does not parse key material
    # (no crypto dependency, and the same answer on every machine), so a malformed PEM pair counts as valid.
    return cert, key


@dataclass
class SecretSNIs:
    """ingressrules.go SecretNameToSNIs: secret "ns/name" → hosts; a host is claimed by the first secret."""

    hosts: dict[str, list[str]] = field(default_factory=dict)
    parents: dict[str, list[Obj]] = field(default_factory=dict)
    seen_hosts: set[str] = field(default_factory=set)

    def add_tls(self, tls_sections: Any, parent: Obj) -> None:
        for tls in as_list(tls_sections):
            t = as_dict(tls)
            hosts = [as_str(h) for h in as_list(t.get("hosts"))]
            secret = as_str(t.get("secretName"))
            if not hosts or not secret:
                continue
            key = f"{parent.namespace}/{secret}"
            self.add_hosts(key, hosts)
            self.add_parent(key, parent)

    def add_hosts(self, key: str, hosts: list[str]) -> None:
        entry = self.hosts.setdefault(key, [])
        self.parents.setdefault(key, [])
        for host in hosts:
            if host in self.seen_hosts:
                continue
            entry.append(host)
            self.seen_hosts.add(host)

    def add_parent(self, key: str, parent: Obj) -> None:
        self.hosts.setdefault(key, [])
        plist = self.parents.setdefault(key, [])
        if all(p is not parent for p in plist):
            plist.append(parent)


# --- the fill phase -----------------------------------------------------------------------------------------

@dataclass
class Context:
    store: Store
    settings: KICSettings
    failures: Failures
    snis: SecretSNIs


def build(entries: list[Entry], ctx: Context) -> KongConfig:
    """Everything after the per-kind translators, in BuildKongConfig's order."""
    skipped = populate_services(entries, ctx)
    upstreams = get_upstreams(entries, ctx)
    kept = [e for e in sorted(entries, key=lambda e: e.service.name) if e.service.name not in skipped]
    for entry in kept:
        override_service(entry, ctx)
        for route in entry.service.routes:
            alternative = _alternative_start(route)
            override_route(route, ctx)
            if alternative is not None:
                _finish_alternative(route, alternative, ctx)
    for upstream, entry in upstreams:
        override_upstream(upstream, entry, ctx)
    global_plugins = fill_plugins(kept, ctx)
    certificates = fill_certificates(ctx)
    for entry in kept:
        finish_service(entry, ctx)
    return KongConfig(services=[e.service for e in kept], upstreams=[u for u, _ in upstreams],
                      certificates=certificates, plugins=global_plugins, failures=list(ctx.failures.items))


def populate_services(entries: list[Entry], ctx: Context) -> set[str]:
    """ingressrules.go populateServices + collectInconsistentAnnotations; returns the names to skip."""
    skip: set[str] = set()
    for entry in entries:
        found: list[Obj] = []
        seen_annotations: dict[str, str] = {}
        for backend in entry.backends:
            svc = ctx.store.get("Service", backend.namespace, backend.name)
            if svc is None:
                ctx.failures.push("failed to resolve Kubernetes Service for backend: failed to fetch Service "
                                  f"{backend.key}: Service {backend.key} not found", entry.parent)
                continue
            for k, v in svc.annotations.items():
                if k.startswith("konghq.com"):
                    seen_annotations[k] = v
            found.append(svc)
        bad: list[str] = []
        for svc in found:
            for k, v in seen_annotations.items():
                if svc.annotations.get(k) != v and k not in bad:
                    bad.append(k)
        if bad:
            for svc in found:
                for k in bad:
                    ctx.failures.push(f"Service has inconsistent {k} annotation and is used in multi-Service backend "
                                      f"{entry.service.name}. This annotation must have the same value across all "
                                      "Services in the backend.", svc)
            skip.add(entry.service.name)
            continue
        for svc in found:
            handle_client_certificate(entry, svc, ctx)
            handle_ca_certificates(entry, svc, ctx)
            entry.k8s_services[f"{svc.namespace}/{svc.name}"] = svc
    return skip


def _effective_protocol(svc: Obj) -> str:
    return svc.annotations.get(ANN + "protocol", "") or "http"


NON_TLS_PROTOCOLS = ("http", "grpc", "tcp", "tls_passthrough", "udp", "ws")


def handle_client_certificate(entry: Entry, svc: Obj, ctx: Context) -> None:
    name = svc.annotations.get(ANN + "client-cert", "")
    if not name:
        return
    key = f"{svc.namespace}/{name}"
    secret = ctx.store.get("Secret", svc.namespace, name)
    if secret is None:
        ctx.failures.push(f"Failed to fetch secret '{key}': Secret {key} not found", svc)
        return
    if _effective_protocol(svc) in NON_TLS_PROTOCOLS:
        ctx.failures.push(f"Client certificate requested for incompatible service protocol "
                          f"'{entry.service.protocol}'", svc)
        return
    ctx.snis.add_parent(key, svc)
    entry.service.client_certificate = as_str(secret.meta.get("uid")) or key


def handle_ca_certificates(entry: Entry, svc: Obj, ctx: Context) -> None:
    secrets = comma_list(svc.annotations.get(ANN + "ca-certificates-secrets", ""))
    configmaps = comma_list(svc.annotations.get(ANN + "ca-certificates-configmaps", ""))
    if not secrets and not configmaps:
        return
    raw = svc.annotations.get(ANN + "tls-verify")
    if raw is None or not go_parse_bool(raw):
        ctx.failures.push("CA certificates requested for service without TLS verification enabled", svc)
        return
    protocol = _effective_protocol(svc)
    if protocol in NON_TLS_PROTOCOLS:
        ctx.failures.push(f"CA certificates requested for incompatible service protocol '{protocol}'", svc)
        return
    ids = list(entry.service.ca_certificates or [])
    for kind, names in (("Secret", secrets), ("ConfigMap", configmaps)):
        for name in names:
            key = f"{svc.namespace}/{name}"
            obj = ctx.store.get(kind, svc.namespace, name)
            what = "secret" if kind == "Secret" else "configmap"
            if obj is None:
                ctx.failures.push(f"Failed to fetch {what} for CA Certificate '{key}': {kind} {key} not found", svc)
                continue
            if kind == "Secret":
                value = secret_value(obj, "id")
                cert_id = value.decode(errors="replace") if value is not None else None
            else:
                data = as_dict(obj.raw.get("data"))
                cert_id = as_str(data["id"]) if "id" in data else None
            if cert_id is None:
                ctx.failures.push(f"Invalid CA certificate '{key}': missing 'id' field in data", obj, svc)
                continue
            ids.append(cert_id)
    entry.service.ca_certificates = ids or None


def find_port(svc: Obj, want: PortDef) -> tuple[dict[str, Any] | None, str]:
    """translate_upstreams.go findPort: (the ServicePort, "") or (None, error)."""
    spec = svc.spec
    external = as_str(spec.get("type")) == "ExternalName"
    ports = [as_dict(p) for p in as_list(spec.get("ports"))]
    if want.mode == "number":
        if external:
            return {"port": want.number, "targetPort": want.number}, ""
        for p in ports:
            if as_int(p.get("port")) == want.number:
                return p, ""
    elif want.mode == "name":
        if external:
            return None, "rules with an ExternalName service must specify numeric ports"
        for p in ports:
            if as_str(p.get("name")) == want.name:
                return p, ""
            target = p.get("targetPort")
            if isinstance(target, str) and not re.fullmatch(r"[0-9]+", target) and target == want.name:
                return p, ""
    else:
        if external:
            return None, "rules with an ExternalName service must specify numeric ports"
        if len(ports) != 1:
            return None, f"in implicit mode, service must have exactly 1 port, has {len(ports)}"
        return ports[0], ""
    return None, "no suitable port found"


def get_upstreams(entries: list[Entry], ctx: Context) -> list[tuple[Upstream, Entry]]:
    """translate_upstreams.go getUpstreams: one upstream per service host (skipped services included)."""
    out: list[tuple[Upstream, Entry]] = []
    seen: set[str] = set()
    for entry in sorted(entries, key=lambda e: e.service.name):
        name = entry.service.host
        if name in seen:
            continue
        targets: dict[str, Target] = {}
        for i, backend in enumerate(entry.backends):
            svc = entry.k8s_services.get(backend.key)
            if svc is None:
                ctx.failures.push(f"can't add target for backend {backend.name}: no kubernetes service found",
                                  entry.parent)
                continue
            port, err = find_port(svc, backend.port)
            if port is None:
                ctx.failures.push(f"can't find port for backend kubernetes service: {err}", svc, entry.parent)
                continue
            number = as_int(port.get("port")) or 0
            entry.service.port = number
            entry.resolved[i] = number
            new = service_endpoints(svc, port, ctx)
            if backend.weight is not None and new:
                total = backend.weight
                share = max(total // len(new), 1) if total != 0 else 0
                new = [(t, share) for t, _ in new]
            for target, weight in new:
                # updateTargetMap: duplicates add up, an unset weight counting as Kong's 100
                if target in targets:
                    targets[target].weight += weight if weight is not None else 100
                else:
                    targets[target] = Target(target, weight if weight is not None else 100)
        upstream = Upstream(name=name, targets=sorted(targets.values(), key=lambda t: t.target, reverse=True))
        out.append((upstream, entry))
        seen.add(name)
    return out


def _slices_by_service(store: Store) -> dict[tuple[str, str], list[Obj]]:
    """EndpointSlices by (namespace, service name), built once per store."""
    index = store.memo.get("slices-by-service")
    if index is None:
        index = {}
        for sl in store.list("EndpointSlice"):
            index.setdefault((sl.namespace, sl.labels.get("kubernetes.io/service-name", "")), []).append(sl)
        store.memo["slices-by-service"] = index
    return index


def service_endpoints(svc: Obj, port: dict[str, Any], ctx: Context) -> list[tuple[str, int | None]]:
    """translate_upstreams.go getServiceEndpoints/getEndpoints: "addr:port" targets (weight unset)."""
    if svc.annotations.get("ingress.kubernetes.io/service-upstream") == "true" or class_parameters(ctx).get(
            "serviceUpstream") is True:
        return [(f"{svc.name}.{svc.namespace}.svc:{as_int(port.get('port'))}", None)]
    if as_str(svc.spec.get("type")) == "ExternalName":
        target = port.get("targetPort", port.get("port"))
        return [(f"{as_str(svc.spec.get('externalName'))}:{as_str(target)}", None)]
    protocols = {"TCP"} | {as_str(as_dict(p).get("protocol")) for p in as_list(svc.spec.get("ports"))
                           if as_str(as_dict(p).get("protocol"))}
    port_name = as_str(port.get("name"))
    out: list[tuple[str, int | None]] = []
    seen: set[str] = set()
    slices = _slices_by_service(ctx.store).get((svc.namespace, svc.name), [])
    for protocol in sorted(protocols):
        for sl in slices:
            for p in map(as_dict, as_list(sl.raw.get("ports"))):
                number = as_int(p.get("port"))
                if number is None or number < 0 or as_str(p.get("protocol") or "TCP") != protocol:
                    continue
                if as_str(p.get("name")) != port_name:
                    continue
                for ep in map(as_dict, as_list(sl.raw.get("endpoints"))):
                    ready = as_dict(ep.get("conditions")).get("ready")
                    addresses = as_list(ep.get("addresses"))
                    if ready is False or not addresses:
                        continue
                    addr = as_str(addresses[0])
                    if ":" in addr:  # IPv6
                        addr = f"[{addr}]"
                    target = f"{addr}:{number}"
                    if target not in seen:
                        seen.add(target)
                        out.append((target, None))
    return out


def class_parameters(ctx: Context) -> dict[str, Any]:
    """translate_upstreams.go getIngressClassParametersOrDefault: the IngressClassParameters spec of KIC's
    IngressClass (empty when absent or misconfigured)."""
    for cls in served_classes(ctx.settings):
        ic = ctx.store.get("IngressClass", "", cls)
        if ic is None:
            continue
        params = as_dict(ic.spec.get("parameters"))
        if (as_str(params.get("apiGroup")) != KONG_CONFIGURATION_GROUP
                or as_str(params.get("kind")) != "IngressClassParameters" or not params.get("scope")
                or not params.get("namespace")):
            return {}
        obj = ctx.store.get("IngressClassParameters", as_str(params.get("namespace")), as_str(params.get("name")))
        return as_dict(obj.raw.get("spec")) if obj is not None else {}
    return {}


# --- service overrides: konghq.com/* on the Kubernetes Services (kongstate/service.go) ----------------------

def _svc_protocol(s: Service, v: str) -> None:
    if v and v in VALID_PROTOCOLS:
        s.protocol = v


def _svc_path(s: Service, v: str) -> None:
    if v.startswith("/"):
        s.path = v


def _svc_int(attr: str) -> Callable[[Service, str], None]:
    def handler(s: Service, v: str) -> None:
        n = go_atoi(v)
        if n is not None:
            setattr(s, attr, n)
    return handler


def _svc_tls_verify(s: Service, v: str) -> None:
    b = go_parse_bool(v)
    if b is not None:
        s.tls_verify = b


def _svc_tls_verify_depth(s: Service, v: str) -> None:
    n = go_atoi(v)
    if n is not None:
        s.tls_verify_depth = n


# Service.overrideByAnnotation, in KIC's order; a handler runs only when the annotation is present
SERVICE_ANNOTATIONS: tuple[tuple[str, Callable[[Service, str], None]], ...] = (
    (ANN + "protocol", _svc_protocol),
    (ANN + "path", _svc_path),
    (ANN + "connect-timeout", _svc_int("connect_timeout")),
    (ANN + "write-timeout", _svc_int("write_timeout")),
    (ANN + "read-timeout", _svc_int("read_timeout")),
    (ANN + "retries", _svc_int("retries")),
    (ANN + "tls-verify", _svc_tls_verify),
    (ANN + "tls-verify-depth", _svc_tls_verify_depth),
)


def override_service(entry: Entry, ctx: Context) -> None:
    """service.go override: KongIngress `proxy` (KIC 2.x only), then each Service's annotations (sorted by
    namespace/name); an invalid `konghq.com/protocol` is reported (the service stays); gRPC drops the path."""
    s = entry.service
    if ctx.settings.legacy_kongingress:
        ki = kongingress_for_services(entry, ctx)
        proxy = as_dict(ki.raw.get("proxy")) if ki is not None else {}
        if "protocol" in proxy:
            s.protocol = as_str(proxy["protocol"])
        if "path" in proxy:
            s.path = as_str(proxy["path"])
        for key in ("retries", "connect_timeout", "read_timeout", "write_timeout"):
            n = as_int(proxy.get(key))
            if n is not None:
                setattr(s, key, n)
    for key in sorted(entry.k8s_services):
        anns = entry.k8s_services[key].annotations
        for name, handler in SERVICE_ANNOTATIONS:
            if name in anns:
                handler(s, anns[name])
        protocol = anns.get(ANN + "protocol", "")
        if protocol not in VALID_PROTOCOLS:
            ctx.failures.push(f"{ANN}protocol annotation has invalid value: {protocol}",
                              *[entry.k8s_services[k] for k in sorted(entry.k8s_services)])
            return
    if s.protocol in ("grpc", "grpcs"):
        s.path = None


def kongingress_for_services(entry: Entry, ctx: Context, report: bool = False) -> Obj | None:
    """util.go getKongIngressForServices: the first Service with `konghq.com/override` names the KongIngress."""
    for key in sorted(entry.k8s_services):
        svc = entry.k8s_services[key]
        name = svc.annotations.get(ANN + "override", "")
        if not name:
            continue
        ki = ctx.store.get("KongIngress", svc.namespace, name)
        if ki is None and report:
            ctx.failures.push(f"failed to get KongIngress: KongIngress {name} not found",
                              *[entry.k8s_services[k] for k in sorted(entry.k8s_services)])
        return ki
    return None


# --- route overrides: konghq.com/* on the route's source object (kongstate/route.go) ------------------------

def _route_strip_path(r: Route, v: str, ctx: Context) -> None:
    if v.lower() in ("true", "false"):
        r.strip_path = v.lower() == "true"


def _use_ssl_protocol(r: Route) -> None:
    protocols = r.protocols or []
    grpc = any("grpc" in p for p in protocols)
    http = any("http" in p for p in protocols)
    out = (["grpcs"] if grpc else []) + (["https"] if http else [])
    r.protocols = out or ["https"]


def _route_force_ssl(r: Route, v: str, ctx: Context) -> None:
    if v == "true":
        r.https_redirect_status_code = 302
        _use_ssl_protocol(r)


def _route_redirect_code(r: Route, v: str, ctx: Context) -> None:
    code = go_atoi(v)
    if code in REDIRECT_CODES:
        r.https_redirect_status_code = code


def _route_preserve_host(r: Route, v: str, ctx: Context) -> None:
    if v.lower() in ("true", "false"):
        r.preserve_host = v.lower() == "true"


def _route_buffering(attr: str) -> Callable[[Route, str, Context], None]:
    def handler(r: Route, v: str, ctx: Context) -> None:
        b = go_parse_bool(v.lower())
        if b is not None:
            setattr(r, attr, b)
    return handler


def _route_protocols(r: Route, v: str, ctx: Context) -> None:
    protocols = comma_list(v)
    if protocols and all(p in VALID_PROTOCOLS for p in protocols):
        r.protocols = protocols


def _route_regex_priority(r: Route, v: str, ctx: Context) -> None:
    n = go_atoi(v)
    if n is not None:
        r.regex_priority = n


def _route_methods(r: Route, v: str, ctx: Context) -> None:
    methods = comma_list(v, upper=True)
    if methods and all(VALID_METHOD.match(m) for m in methods):
        r.methods = methods


def _route_snis(r: Route, v: str, ctx: Context) -> None:
    snis = comma_list(v)
    if all(VALID_SNI.match(s) for s in snis):
        r.snis = snis or None


def _route_host_aliases(r: Route, v: str, ctx: Context) -> None:
    aliases = comma_list(v) if v else []
    if not aliases or not all(VALID_HOST.match(h) for h in aliases):
        return
    hosts = list(r.hosts or [])
    for h in aliases:
        if h not in hosts:
            hosts.append(h)
    r.hosts = hosts


def _route_path_handling(r: Route, v: str, ctx: Context) -> None:
    if VALID_PATH_HANDLING.search(v):
        r.path_handling = v


RouteHandler = Callable[[Route, str, Context], None]

# Route.overrideByAnnotation, in KIC's order: (annotation, handler, honoured with expression routes)
ROUTE_ANNOTATIONS: tuple[tuple[str, RouteHandler, bool], ...] = (
    (ANN + "strip-path", _route_strip_path, True),
    ("ingress.kubernetes.io/force-ssl-redirect", _route_force_ssl, True),
    (ANN + "https-redirect-status-code", _route_redirect_code, True),
    (ANN + "preserve-host", _route_preserve_host, True),
    (ANN + "request-buffering", _route_buffering("request_buffering"), True),
    (ANN + "response-buffering", _route_buffering("response_buffering"), True),
    (ANN + "protocols", _route_protocols, True),
    (ANN + "regex-priority", _route_regex_priority, False),
    (ANN + "methods", _route_methods, False),
    (ANN + "snis", _route_snis, False),
    (ANN + "host-aliases", _route_host_aliases, False),
    # konghq.com/headers.* is a family, handled by _route_headers at this position
    (ANN + "path-handling", _route_path_handling, False),
)


def route_annotations(route: Route) -> dict[str, str]:
    """The annotations KIC reads for a route: its source object's.  A translator that adds annotations KIC
    adds internally (e.g. ExtensionRef plugins → `konghq.com/plugins`) puts a modified copy of the object in
    `Route.k8s` (KIC works on such a copy, `util.K8sObjectInfo`)."""
    return route.k8s.annotations if route.k8s is not None else {}


def override_route(route: Route, ctx: Context) -> None:
    """route.go Override: (KIC 2.x: KongIngress `route` first), annotations, then normalizeProtocols."""
    expressions = ctx.settings.expressions
    anns = route_annotations(route)
    if ctx.settings.legacy_kongingress and not expressions and route.k8s is not None \
            and api_group(route.k8s) != GATEWAY_GROUP:
        _legacy_route_kongingress(route, ctx)
    for name, handler, with_expressions in ROUTE_ANNOTATIONS:
        if name == ANN + "path-handling" and not expressions:
            headers, exists = extract_headers(anns)
            if exists:
                route.headers = headers
        if expressions and not with_expressions:
            continue
        if name in anns:
            handler(route, anns[name], ctx)
    if not expressions:
        _normalize_protocols(route)


def _alternative_start(route: Route) -> Route | None:
    """The route as KICSettings.alternative_version starts it (other protocols), before the overrides; None when
    that version starts it alike."""
    if not route.alternative_protocols:
        return None
    copied = replace(route, protocols=route.alternative_protocols[0], alternative_protocols=())
    # the overrides assign new values rather than edit lists in place, but the copy shares none anyway
    for name in ("hosts", "paths", "methods", "snis", "sources", "destinations"):
        value = getattr(copied, name)
        if value is not None:
            setattr(copied, name, list(value))
    if copied.headers is not None:
        copied.headers = {k: list(v) for k, v in copied.headers.items()}
    copied.plugins = list(copied.plugins)
    copied.tags = list(copied.tags)
    return copied


def _finish_alternative(route: Route, alternative: Route, ctx: Context) -> None:
    """Override the alternative start as that version would (its failures are this translation's: dropped) and
    keep on `route` the Kong fields that end up different."""
    assert ctx.settings.alternative_version is not None
    other = replace(ctx.settings, kic_version=ctx.settings.alternative_version, alternative_version=None)
    override_route(alternative, replace(ctx, settings=other, failures=Failures()))
    route.alternative_fields = {name: getattr(alternative, name) for name in Route.DECK_FIELDS
                                if getattr(alternative, name) != getattr(route, name)}


def _normalize_protocols(r: Route) -> None:
    """route.go normalizeProtocols: gRPC mixed with HTTP (or an invalid name) becomes `http, https`; gRPC
    routes drop strip_path."""
    protocols = r.protocols or []
    grpc = any("grpc" in p for p in protocols)
    http = any("http" in p or p not in VALID_PROTOCOLS for p in protocols)
    if grpc and http:
        r.protocols = ["http", "https"]
    if grpc:
        r.strip_path = None


def _legacy_route_kongingress(route: Route, ctx: Context) -> None:
    """KIC 2.x route.go overrideByKongIngress: the source's `konghq.com/override` KongIngress (or one named
    like the source object), section `route`."""
    obj = route.k8s
    if obj is None:
        return
    name = obj.annotations.get(ANN + "override", "")
    ki = ctx.store.get("KongIngress", obj.namespace, name) if name else None
    if ki is None:
        ki = ctx.store.get("KongIngress", obj.namespace, obj.name)
    section = as_dict(ki.raw.get("route")) if ki is not None else {}
    if not section:
        return
    methods = [as_str(m).strip().upper() for m in as_list(section.get("methods"))]
    if methods and all(VALID_METHOD.match(m) for m in methods):
        route.methods = methods
    headers = as_dict(section.get("headers"))
    if headers:
        route.headers = {str(k): [as_str(x) for x in as_list(v)] for k, v in headers.items()}
    protocols = [as_str(p) for p in as_list(section.get("protocols"))]
    if protocols:
        route.protocols = protocols
    for key in ("regex_priority", "https_redirect_status_code"):
        n = as_int(section.get(key))
        if n is not None:
            setattr(route, key, n)
    for key in ("strip_path", "preserve_host", "request_buffering", "response_buffering"):
        if isinstance(section.get(key), bool):
            setattr(route, key, section[key])
    if "path_handling" in section:
        route.path_handling = as_str(section["path_handling"])
    snis = [as_str(s).strip() for s in as_list(section.get("snis"))]
    if snis and all(VALID_SNI.match(s) for s in snis):
        route.snis = snis


# --- upstream overrides (kongstate/upstream.go, kongupstreampolicy.go) --------------------------------------

UPSTREAM_KONGINGRESS_FIELDS = ("host_header", "algorithm", "slots", "healthchecks", "hash_on", "hash_fallback",
                               "hash_on_header", "hash_fallback_header", "hash_on_cookie", "hash_on_cookie_path",
                               "hash_on_query_arg", "hash_fallback_query_arg", "hash_on_uri_capture",
                               "hash_fallback_uri_capture")


def override_upstream(upstream: Upstream, entry: Entry, ctx: Context) -> None:
    """kongstate.go FillUpstreamOverrides: KongIngress `upstream` (not for Gateway API services), the
    `konghq.com/host-header` annotation, then KongUpstreamPolicy."""
    services = [entry.k8s_services[k] for k in sorted(entry.k8s_services)]
    ki = kongingress_for_services(entry, ctx, report=True)
    gateway_parent = entry.parent is not None and api_group(entry.parent) == GATEWAY_GROUP
    missing_ki = ki is None and any(s.annotations.get(ANN + "override") for s in services)
    if not missing_ki:
        for svc in services:
            if ki is not None and not gateway_parent:
                section = as_dict(ki.raw.get("upstream"))
                for key in UPSTREAM_KONGINGRESS_FIELDS:
                    if section.get(key) is not None:
                        setattr(upstream, key, section[key])
            host = svc.annotations.get(ANN + "host-header", "")
            if host:
                upstream.host_header = host
    policy = upstream_policy_for_services(services, ctx)
    if policy is None:
        return
    spec = policy.spec
    if as_str(spec.get("algorithm")) == "sticky-sessions" and ctx.settings.kong_version < STICKY_SESSIONS_KONG:
        ctx.failures.push(f"sticky sessions algorithm specified in KongUpstreamPolicy '{policy.name}' is not "
                          "supported with Kong Gateway versions < 3.11.0", *services)
        return
    for key, value in translate_upstream_policy(spec).items():
        if value is not None:
            setattr(upstream, key, value)


def upstream_policy_for_services(services: list[Obj], ctx: Context) -> Obj | None:
    if not services:
        return None
    names = {s.annotations.get("konghq.com/upstream-policy") for s in services}
    if len(names) > 1:
        ctx.failures.push("inconsistent KongUpstreamPolicy configuration for services "
                          + ", ".join(f"{s.namespace}/{s.name}" for s in services), *services)
        return None
    name = names.pop()
    if name is None:
        return None
    policy = ctx.store.get("KongUpstreamPolicy", services[0].namespace, name)
    if policy is None:
        ctx.failures.push(f"failed fetching KongUpstreamPolicy: KongUpstreamPolicy {services[0].namespace}/{name} "
                          "not found", *services)
    return policy


def _hash_on(h: dict[str, Any] | None) -> str | None:
    if not h:
        return None
    for key, kind in (("input", None), ("header", "header"), ("cookie", "cookie"), ("queryArg", "query_arg"),
                      ("uriCapture", "uri_capture")):
        if h.get(key) is not None:
            return as_str(h[key]) if kind is None else kind
    return None


def _drop_none(d: dict[str, Any]) -> dict[str, Any] | None:
    out = {k: v for k, v in d.items() if v is not None}
    return out or None


def _healthy(h: Any, unhealthy: bool) -> dict[str, Any] | None:
    if not isinstance(h, dict):
        return None
    out: dict[str, Any] = {}
    if unhealthy:
        out["http_failures"] = h.get("httpFailures")
    out["http_statuses"] = h.get("httpStatuses")
    if unhealthy:
        out["tcp_failures"] = h.get("tcpFailures")
        out["timeouts"] = h.get("timeouts")
    else:
        out["successes"] = h.get("successes")
    out["interval"] = h.get("interval")
    return _drop_none(out) or {}


def _healthchecks(hc: Any) -> dict[str, Any] | None:
    if not isinstance(hc, dict):
        return None
    active = hc.get("active")
    passive = hc.get("passive")
    out: dict[str, Any] = {}
    if isinstance(active, dict):
        out["active"] = _drop_none({
            "concurrency": active.get("concurrency"), "http_path": active.get("httpPath"),
            "https_sni": active.get("httpsSni"), "https_verify_certificate": active.get("httpsVerifyCertificate"),
            "type": active.get("type"), "timeout": active.get("timeout"), "headers": active.get("headers"),
            "healthy": _healthy(active.get("healthy"), False),
            "unhealthy": _healthy(active.get("unhealthy"), True)}) or {}
    if isinstance(passive, dict):
        out["passive"] = _drop_none({"type": passive.get("type"), "healthy": _healthy(passive.get("healthy"), False),
                                     "unhealthy": _healthy(passive.get("unhealthy"), True)}) or {}
    if hc.get("threshold") is not None:
        out["threshold"] = float(hc["threshold"]) if isinstance(hc["threshold"], (int, float)) else hc["threshold"]
    return out


def translate_upstream_policy(spec: dict[str, Any]) -> dict[str, Any]:
    """kongupstreampolicy.go TranslateKongUpstreamPolicy (fields Upstream models; sticky-session cookies are
    not in the config model)."""
    hash_on = spec.get("hashOn") if isinstance(spec.get("hashOn"), dict) else None
    fallback = spec.get("hashOnFallback") if isinstance(spec.get("hashOnFallback"), dict) else None
    cookie = (hash_on or {}).get("cookie") or (fallback or {}).get("cookie")
    cookie_path = (hash_on or {}).get("cookiePath") or (fallback or {}).get("cookiePath")
    return {
        "algorithm": spec.get("algorithm"),
        "slots": spec.get("slots"),
        "healthchecks": _healthchecks(spec.get("healthchecks")),
        "hash_on": _hash_on(hash_on),
        "hash_on_header": (hash_on or {}).get("header"),
        "hash_on_uri_capture": (hash_on or {}).get("uriCapture"),
        "hash_on_cookie": cookie,
        "hash_on_cookie_path": cookie_path,
        "hash_on_query_arg": (hash_on or {}).get("queryArg"),
        "hash_fallback": _hash_on(fallback),
        "hash_fallback_header": (fallback or {}).get("header"),
        "hash_fallback_uri_capture": (fallback or {}).get("uriCapture"),
        "hash_fallback_query_arg": (fallback or {}).get("queryArg"),
    }


# --- plugins (kongstate.go, plugin.go) ----------------------------------------------------------------------

@dataclass(frozen=True)
class PluginName:
    namespace: str  # "" for a local reference
    name: str


def plugin_references(annotations: dict[str, str]) -> list[PluginName]:
    """kubernetes-configuration pkg/metadata ExtractPluginsNamespacedNames: `name` or `namespace:name`; an
    item starting or ending with `:` is dropped."""
    value = annotations.get(ANN + "plugins", "")
    out: list[PluginName] = []
    for item in value.split(",") if value else []:
        if not item.strip():
            continue
        colon = item.find(":")
        if colon in (0, len(item) - 1):
            continue
        if colon != -1:
            out.append(PluginName(item[:colon].strip(), item[colon + 1:].strip()))
        else:
            out.append(PluginName("", item.strip()))
    return out


def reference_allowed(referrer: Obj, group: str, kind: str, ref: PluginName, store: Store) -> bool:
    """references.go: a `ns:name` plugin reference needs a ReferenceGrant in `ns` whose `from` equals the
    referrer's group/kind/namespace and whose `to` admits configuration.konghq.com/KongPlugin (by name or all).
    No same-namespace shortcut: `ns:` always asks for a grant."""
    for grant in store.list("ReferenceGrant"):
        if grant.namespace != ref.namespace:
            continue
        froms = [as_dict(f) for f in as_list(grant.spec.get("from"))]
        if not any(as_str(f.get("group")) == group and as_str(f.get("kind")) == kind
                   and as_str(f.get("namespace")) == referrer.namespace for f in froms):
            continue
        for to in map(as_dict, as_list(grant.spec.get("to"))):
            if as_str(to.get("group")) == KONG_CONFIGURATION_GROUP and as_str(to.get("kind")) == "KongPlugin":
                to_name = to.get("name")
                if to_name is None or as_str(to_name) == ref.name:
                    return True
    return False


@dataclass
class _Relation:
    kind: str  # "service" | "route"
    identifier: str
    referrer: Obj
    target: Service | Route


def _referrer_gk(obj: Obj) -> tuple[str, str]:
    if obj.kind == "Service":
        return "", "Service"
    return api_group(obj), obj.kind


def _kong_plugin_from_object(obj: Obj, ctx: Context) -> tuple[Plugin | None, str]:
    """plugin.go kongPluginFromK8SPlugin / kongPluginFromK8SClusterPlugin: (plugin, "") or (None, error)."""
    cluster = obj.kind == "KongClusterPlugin"
    raw = obj.raw
    config: Any = raw.get("config") if raw.get("config") is not None else {}
    if not isinstance(config, dict):
        what = f"{obj.namespace}/{obj.name}" if not cluster else f"/{obj.name}"
        return None, f"could not parse KongPlugin {what} config: json: cannot unmarshal into Go value"
    config = json.loads(json.dumps(config))
    for patch in map(as_dict, as_list(raw.get("configPatches"))):
        source = as_dict(as_dict(patch.get("valueFrom")).get("secretKeyRef"))
        ns = as_str(source.get("namespace")) if cluster else obj.namespace
        secret_name, key = as_str(source.get("name")), as_str(source.get("key"))
        secret = ctx.store.get("Secret", ns, secret_name)
        what = f"{obj.namespace}/{obj.name}"
        if secret is None:
            return None, f"could not parse KongPlugin {what} config: Secret {ns}/{secret_name} not found"
        value = secret_value(secret, key)
        if value is None:
            return None, f"could not parse KongPlugin {what} config: no key '{key}' in secret '{ns}/{secret_name}'"
        try:
            config = _json_patch_add(config, as_str(patch.get("path")), json.loads(value))
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            return None, f"could not parse KongPlugin {what} config: {exc}"
    config_from = raw.get("configFrom")
    if config_from is not None:
        if config:
            if cluster:
                return None, f"KongClusterPlugin '/{obj.name}' has both Config and ConfigFrom set"
            return None, f"KongPlugin '{obj.namespace}/{obj.name}' has both Config and ConfigFrom set"
        source = as_dict(as_dict(config_from).get("secretKeyRef"))
        ns = as_str(source.get("namespace")) if cluster else obj.namespace
        secret_name, key = as_str(source.get("name")), as_str(source.get("key"))
        secret = ctx.store.get("Secret", ns, secret_name)
        prefix = (f"error parsing config for KongClusterPlugin {obj.name}: " if cluster
                  else f"error parsing config for KongPlugin '{obj.name}/{obj.namespace}': ")
        if secret is None:
            return None, (prefix + f"error fetching plugin configuration secret '{ns}/{secret_name}': "
                          f"Secret {ns}/{secret_name} not found")
        value = secret_value(secret, key)
        if value is None:
            return None, prefix + f"no key '{key}' in secret '{ns}/{secret_name}'"
        parsed = _json_or_yaml(value)
        if not isinstance(parsed, dict):
            return None, prefix + (f"key '{key}' in secret '{ns}/{secret_name}' contains neither valid JSON nor "
                                   "valid YAML)")
        config = parsed
    ordering = raw.get("ordering") if isinstance(raw.get("ordering"), dict) else None
    protocols = [as_str(p) for p in as_list(raw.get("protocols"))] or None
    identity = f"KongClusterPlugin {obj.name}" if cluster else f"KongPlugin {obj.namespace}/{obj.name}"
    return Plugin(name=as_str(raw.get("plugin")), config=config, identity=identity,
                  instance_name=as_str(raw.get("instance_name")) or None, enabled=raw.get("disabled") is not True,
                  protocols=protocols, ordering=ordering), ""


def _json_or_yaml(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        pass
    try:
        import yaml

        return yaml.safe_load(data)
    except Exception:  # noqa: BLE001 - any YAML error means "neither JSON nor YAML"
        return None


def _json_patch_add(doc: Any, path: str, value: Any) -> Any:
    """RFC 6902 `add` (KIC: `replace` at the root), creating missing objects on the way (EnsurePathExistsOnAdd)."""
    if path == "":
        return value
    if not path.startswith("/"):
        raise ValueError(f"invalid JSON pointer {path!r}")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
    node = doc
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        if last == "-":
            node.append(value)
        else:
            node.insert(int(last), value)
    else:
        node[last] = value
    return doc


def lookup_plugin(namespace: str, name: str, ctx: Context) -> Obj | None:
    """plugin.go getKongPluginOrKongClusterPlugin: a KongPlugin in `namespace`, else a KongClusterPlugin
    (which KIC only knows when it matches its class)."""
    kp = ctx.store.get("KongPlugin", namespace, name)
    if kp is not None:
        return kp
    kcp = ctx.store.get("KongClusterPlugin", "", name)
    if kcp is not None and crd_class_accepts(kcp, ctx.store, ctx.settings):
        return kcp
    return None


def fill_plugins(entries: list[Entry], ctx: Context) -> list[Plugin]:
    """kongstate.go getPluginRelations + buildPlugins; returns the global plugins."""
    relations: dict[tuple[str, str], list[_Relation]] = {}

    def add(referrer: Obj, ref: PluginName, rel: _Relation) -> None:
        namespace = referrer.namespace
        if ref.namespace:
            group, kind = _referrer_gk(referrer)
            if not reference_allowed(referrer, group, kind, ref, ctx.store):
                ctx.failures.push(f'no grant found to referenced "{ref.namespace}:{ref.name}" plugin in the '
                                  "requested remote KongPlugin bind", referrer)
                return
            namespace = ref.namespace
        relations.setdefault((namespace, ref.name), []).append(rel)

    for entry in entries:
        for key in sorted(entry.k8s_services):
            svc = entry.k8s_services[key]
            for ref in plugin_references(svc.annotations):
                add(svc, ref, _Relation("service", entry.service.name, svc, entry.service))
    for entry in entries:
        for route in entry.service.routes:
            if route.k8s is None:
                continue
            for ref in plugin_references(route_annotations(route)):
                add(route.k8s, ref, _Relation("route", route.name, route.k8s, route))

    for (namespace, name), rels in sorted(relations.items()):
        obj = lookup_plugin(namespace, name, ctx)
        if obj is None:
            for rel in rels:
                ctx.failures.push(f'referenced KongPlugin or KongClusterPlugin "{name}" does not exist', rel.referrer)
            continue
        plugin, err = _kong_plugin_from_object(obj, ctx)
        if plugin is None:
            ctx.failures.push(err, obj)
            continue
        used: set[str] = set()
        ordered = [r for r in rels if r.kind == "service"] + [r for r in rels if r.kind == "route"]
        for rel in ordered:
            instance = replace(plugin, config=json_copy(plugin.config))
            if instance.instance_name:
                digest = hashlib.sha256(f"_{rel.kind}-{rel.identifier}".encode()).hexdigest()
                suffixed = f"{instance.instance_name}-{digest[:9]}"
                if suffixed in used:
                    suffixed = f"{instance.instance_name}-{digest}"
                used.add(suffixed)
                instance.instance_name = suffixed
            rel.target.plugins.append(instance)

    return global_cluster_plugins(ctx)


def global_cluster_plugins(ctx: Context) -> list[Plugin]:
    """kongstate.go globalKongClusterPlugins: label `global: "true"`, KIC's class; two with the same plugin
    name cancel each other out; broken ones are skipped (logged only)."""
    found: dict[str, Plugin] = {}
    duplicates: set[str] = set()
    candidates = [p for p in ctx.store.list("KongClusterPlugin")
                  if p.labels.get("global") == "true" and crd_class_accepts(p, ctx.store, ctx.settings)]
    for obj in sorted(candidates, key=lambda o: o.name):
        plugin_name = as_str(obj.raw.get("plugin"))
        if not plugin_name:
            continue
        if plugin_name in found or plugin_name in duplicates:
            duplicates.add(plugin_name)
            continue
        plugin, _ = _kong_plugin_from_object(obj, ctx)
        if plugin is not None:
            found[plugin_name] = plugin
    for name in duplicates:
        found.pop(name, None)
    return sorted(found.values(), key=lambda p: p.name, reverse=True)


# --- certificates (translate_certs.go) ----------------------------------------------------------------------

def fill_certificates(ctx: Context) -> list[Certificate]:
    """getCerts + mergeCerts: one certificate per distinct cert+key (the oldest secret names it); a host goes
    to the first certificate claiming it; SNIs sorted."""
    merged: dict[tuple[bytes, bytes], tuple[Obj, list[str]]] = {}
    sni_owner: dict[str, tuple[bytes, bytes]] = {}
    for key in sorted(ctx.snis.hosts):
        ns, _, name = key.partition("/")
        secret = ctx.store.get("Secret", ns, name)
        parents = ctx.snis.parents.get(key, [])
        if secret is None:
            ctx.failures.push(f"Failed to fetch the secret ({key})", *parents)
            continue
        pair = tls_pair(secret)
        if pair is None:
            ctx.failures.push("failed to construct certificate from secret", *parents, secret)
            continue
        current = merged.get(pair)
        if current is None:
            current = (secret, [])
        elif (secret.creation_timestamp, as_str(secret.meta.get("uid"))) < (
                current[0].creation_timestamp, as_str(current[0].meta.get("uid"))):
            current = (secret, current[1])
        for sni in ctx.snis.hosts[key]:
            if sni not in sni_owner:
                sni_owner[sni] = pair
                current[1].append(sni)
        merged[pair] = current
    for secret, hostname in gateway_certificates(ctx):
        pair = tls_pair(secret)
        if pair is None:
            ctx.failures.push("failed to construct certificate from secret", secret)
            continue
        current = merged.get(pair, (secret, []))
        if hostname not in sni_owner:
            sni_owner[hostname] = pair
            current[1].append(hostname)
        merged[pair] = current
    return [Certificate(secret=f"{s.namespace}/{s.name}", snis=sorted(snis)) for s, snis in merged.values()]


def gateway_certificates(ctx: Context) -> list[tuple[Obj, str]]:
    """translate_certs.go getGatewayCerts: per listener of a Gateway of KIC's GatewayClass with one
    certificateRef, the Secret and the SNI (the listener hostname, `*` without one); a cross-namespace Secret
    needs a ReferenceGrant from the Gateway.  KIC also waits for the listener to be Programmed; the model
    assumes it is (`migrate check` predicts listener status)."""
    out: list[tuple[Obj, str]] = []
    for gateway in sorted(ctx.store.list("Gateway"), key=lambda g: (g.namespace, g.name)):
        cls = ctx.store.get("GatewayClass", "", as_str(gateway.spec.get("gatewayClassName")))
        if cls is None or cls.spec.get("controllerName") != "konghq.com/kic-gateway-controller":
            continue
        for listener in (as_dict(x) for x in as_list(gateway.spec.get("listeners"))):
            refs = [as_dict(r) for r in as_list(as_dict(listener.get("tls")).get("certificateRefs"))]
            if not refs:
                continue
            if len(refs) > 1:
                ctx.failures.push(f"listener '{as_str(listener.get('name'))}' has more than one certificateRef, "
                                  "it's not supported", gateway)
                continue
            ref = refs[0]
            namespace = as_str(ref.get("namespace")) or gateway.namespace
            name = as_str(ref.get("name"))
            if namespace != gateway.namespace and not _secret_granted(ctx.store, gateway, namespace, name):
                continue  # KIC logs "Cross-namespace certificateRef not permitted by ReferenceGrant"
            secret = ctx.store.get("Secret", namespace, name)
            if secret is None:
                continue  # KIC logs "Failed to fetch secret"
            out.append((secret, as_str(listener.get("hostname")) or "*"))
    return out


def _secret_granted(store: Store, gateway: Obj, namespace: str, name: str) -> bool:
    for grant in store.list("ReferenceGrant"):
        if grant.namespace != namespace:
            continue
        froms = [as_dict(f) for f in as_list(grant.spec.get("from"))]
        tos = [as_dict(t) for t in as_list(grant.spec.get("to"))]
        if any(as_str(f.get("group")) == "gateway.networking.k8s.io" and as_str(f.get("kind")) == "Gateway"
               and as_str(f.get("namespace")) == gateway.namespace for f in froms) and any(
                as_str(t.get("group")) == "" and as_str(t.get("kind")) == "Secret"
                and as_str(t.get("name")) in ("", name) for t in tos):
            return True
    return False


# --- what decK generation adds (deckgen/generate.go) --------------------------------------------------------

def finish_service(entry: Entry, ctx: Context) -> None:
    """fillRoute (426, path_handling v0 for traditional flavors), routes and plugins sorted by name descending,
    and the model's `backends` (resolved ports)."""
    s = entry.service
    for route in s.routes:
        if route.https_redirect_status_code is None:
            route.https_redirect_status_code = 426
        if route.path_handling is None and not ctx.settings.expressions:
            route.path_handling = "v0"
        route.plugins.sort(key=lambda p: p.name, reverse=True)
    s.routes.sort(key=lambda r: r.name, reverse=True)
    s.plugins.sort(key=lambda p: p.name, reverse=True)
    backends: list[tuple[str, int]] = []
    for i, backend in enumerate(entry.backends):
        if i not in entry.resolved:
            continue
        weight = 1 if backend.weight is None else backend.weight
        if weight > 0:
            backends.append((f"{backend.key}:{entry.resolved[i]}", weight))
    s.backends = tuple(backends)
