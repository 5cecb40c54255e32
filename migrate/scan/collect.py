"""Read everything a migration plan needs from the cluster into a Snapshot (I/O, read-only).

Every list call is paginated.  A kind that is not installed becomes a note; a forbidden namespace or
kind is recorded and the rest is still read.  Only an unreachable server or rejected credentials stop
the scan (they would fail every later call the same way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from migrate.loader import SourceDoc
from migrate.scan import kinds as k
from migrate.scan.proxy import (
    CHART_SELECTOR,
    UMBRELLA_SELECTOR,
    LiveProxy,
    chart_label_selector,
    is_proxy_service,
    is_udp_proxy_service,
    read_listen_env,
    selector_string,
    service_ports,
)
from migrate.scan.reader import Reader, ScanError, Unreachable
from migrate.scan.refs import referenced
from migrate.sources import SourceRef

TLS_SECRET = "kubernetes.io/tls"
# PartialObjectMetadata carries no `type`; a Secret outside the type=kubernetes.io/tls field selector is
# known only to be some other type.
OTHER_SECRET_TYPE = "(not kubernetes.io/tls)"
# Referenced Services/Secrets in at most this many namespaces are listed namespace by namespace; from more,
# with one cluster-wide list per kind (when the scan covers all namespaces).
PER_NAMESPACE_UP_TO = 3


class Fatal(ScanError):
    """Stops the scan: nothing more can be read."""


@dataclass(frozen=True)
class Note:
    level: str  # info | warning | needs-human (e.g. part of the cluster could not be read: the plan is partial)
    subject: str
    message: str
    action: str = ""


@dataclass
class Snapshot:
    context: str
    server: str
    docs: list[SourceDoc] = field(default_factory=list)
    namespaces: list[str] | None = None  # None: all namespaces
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    missing_kinds: list[str] = field(default_factory=list)
    existing: dict[str, dict[tuple[str, str], dict[str, Any]]] = field(default_factory=dict)
    gateway_crds: dict[str, tuple[str, str]] = field(default_factory=dict)  # kind -> (bundle, channel)
    gateway_crds_known: bool = True  # False when the CRDs could not be read (forbidden)
    proxy: LiveProxy | None = None


@dataclass
class ScanScope:
    namespaces: list[str] | None = None  # None: everything the credentials can list
    proxy_service: tuple[str, str] | None = None
    extra_gateway_namespaces: tuple[str, ...] = ()


def _meta(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _typed(res: k.Resource, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for item in items:
        # List items carry no apiVersion/kind on the wire; the list's resource defines both.
        item["apiVersion"] = res.api_version
        item["kind"] = res.kind
    return items


class Scanner:
    def __init__(self, reader: Reader, context: str, scope: ScanScope) -> None:
        self.reader = reader
        self.scope = scope
        self.snap = Snapshot(context=context, server=reader.server, namespaces=scope.namespaces)
        self._served: dict[str, set[str] | None] = {}
        self._ns_fallback: list[str] | None = None
        self._cluster_forbidden: set[str] = set()  # kinds whose cluster-wide list answered 403

    # -- generic reading --------------------------------------------------------------------------------

    def _note(self, level: str, subject: str, message: str, action: str = "") -> None:
        self.snap.notes.append(Note(level, subject, message, action))

    def _fail_fast(self, exc: ScanError) -> None:
        if isinstance(exc, Unreachable) or exc.status == 401:
            raise Fatal(exc.status, str(exc)) from None

    def is_served(self, res: k.Resource) -> bool:
        path = res.group_version_path
        if path not in self._served:
            try:
                self._served[path] = self.reader.served(path)
            except ScanError as exc:
                self._fail_fast(exc)
                self._served[path] = None
                self._note("warning", res.kind, f"API discovery of {res.api_version} failed: {exc}")
        served = self._served[path]
        return served is not None and res.plural in served

    def _list(self, res: k.Resource, namespace: str | None, keep: Callable[[dict[str, Any]], bool] | None = None,
              /, **selectors: str) -> list[dict[str, Any]] | None:
        """The objects of one (paginated) list; with `keep`, only those it accepts (the others are dropped page
        by page, never held).  A 403 on a cluster-wide list is raised: the caller reads namespace by namespace."""
        try:
            items = self.reader.list(res, namespace, **selectors)
            return list(items) if keep is None else [o for o in items if keep(o)]
        except ScanError as exc:
            self._fail_fast(exc)
            if exc.status == 403 and namespace is None and res.namespaced:
                raise  # the caller retries namespace by namespace
            self._note("needs-human", res.kind, str(exc),
                       "run `migrate scan --print-rbac` for the role the scan needs" if exc.status == 403 else "")
            return None
        finally:
            self._note_skipped(res)

    def _note_skipped(self, res: k.Resource) -> None:
        for text in self.reader.skipped:
            self._note("needs-human", res.kind, text, "check the API server (an aggregated API?) that serves "
                       f"{res.api_version}: no Kubernetes API server sends such an object")
        self.reader.skipped.clear()

    def _forbidden_cluster_wide(self, res: k.Resource, exc: ScanError) -> None:
        """A cluster-wide list of `res` answered 403: noted once; later reads of it go namespace by namespace."""
        self._cluster_forbidden.add(res.kind)
        self._note("warning", res.kind, f"{exc}: reading namespace by namespace instead")

    def _all_namespaces(self) -> list[str] | None:
        if self._ns_fallback is None:
            items = self._list(k.NAMESPACES, None)
            if items is None:
                self._note("needs-human", "Namespace", "cannot list namespaces to scan them one by one",
                           "pass the namespaces to scan with -n, or grant list on namespaces")
                return None
            self._ns_fallback = sorted(_meta(o)[1] for o in items)
        return self._ns_fallback

    def read(self, res: k.Resource, namespaces: list[str] | None = None, **selectors: str) -> list[dict[str, Any]]:
        """All objects of `res` in `namespaces` (None: the scan's scope), with apiVersion and kind set."""
        if res.optional and not self.is_served(res):
            if res.kind not in self.snap.missing_kinds:
                self.snap.missing_kinds.append(res.kind)
            return []
        scope = namespaces if namespaces is not None else self.scope.namespaces
        items: list[dict[str, Any]] = []
        if not res.namespaced:
            items = self._list(res, None, **selectors) or []
        elif scope is None:
            listed = None
            if res.kind not in self._cluster_forbidden:
                try:
                    listed = self._list(res, None, **selectors) or []
                except ScanError as exc:
                    self._forbidden_cluster_wide(res, exc)
            if listed is None:
                # Cluster-wide list forbidden: read each namespace the credentials allow.
                for ns in self._all_namespaces() or []:
                    items.extend(self._list(res, ns, **selectors) or [])
            else:
                items = listed
        else:
            for ns in scope:
                items.extend(self._list(res, ns, **selectors) or [])
        return _typed(res, items)

    def read_named(self, res: k.Resource, wanted: dict[str, set[str]], **selectors: str) -> list[dict[str, Any]]:
        """The objects of `res` that `wanted` names (namespace -> names), with apiVersion and kind set.

        Scanning all namespaces, objects wanted from more than PER_NAMESPACE_UP_TO namespaces are read with
        one cluster-wide list (paginated; the objects nobody wants are dropped page by page): O(kinds)
        requests instead of one list per namespace.  With -n, for a few namespaces, or when the cluster-wide
        list is forbidden (403: noted once per kind), each wanted namespace is listed on its own."""
        namespaces = sorted(ns for ns, names in wanted.items() if names)
        if not namespaces:
            return []

        def keep(obj: dict[str, Any]) -> bool:
            ns, name = _meta(obj)
            return name in wanted.get(ns, ())

        if (self.scope.namespaces is None and len(namespaces) > PER_NAMESPACE_UP_TO
                and res.kind not in self._cluster_forbidden):
            try:
                return _typed(res, self._list(res, None, keep, **selectors) or [])
            except ScanError as exc:
                self._forbidden_cluster_wide(res, exc)
        items: list[dict[str, Any]] = []
        for ns in namespaces:
            items.extend(self._list(res, ns, keep, **selectors) or [])
        return _typed(res, items)

    # -- what a migration plan needs ------------------------------------------------------------------

    def _add(self, objs: list[dict[str, Any]]) -> None:
        file = f"cluster:{self.snap.context}"
        for obj in sorted(objs, key=_meta):
            ns, name = _meta(obj)
            kind = str(obj.get("kind"))
            self.snap.counts[kind] = self.snap.counts.get(kind, 0) + 1
            self.snap.docs.append(SourceDoc(obj, SourceRef(kind=kind, namespace=ns, name=name, file=file)))

    def scan(self) -> Snapshot:
        self._add(self.read(k.INGRESS_CLASSES))
        routing = self.read(k.INGRESSES)
        self._add(routing)
        kong: list[dict[str, Any]] = []
        for res in k.KONG_KINDS:
            objs = self.read(res)
            kong.extend(objs)
            if res.kind in ("TCPIngress", "UDPIngress"):
                routing.extend(objs)
        services, secrets = referenced(routing)
        self._add(self._services(services))
        self._add(self._secrets(secrets))
        self._add(kong)
        self._existing_gateway_api()
        self._gateway_crds()
        self._proxy()
        for kind in self.snap.missing_kinds:
            self._note("info", kind, f"{kind} is not served by this cluster (CRD not installed): treated as none")
        return self.snap

    def _services(self, wanted: dict[str, set[str]]) -> list[dict[str, Any]]:
        return self.read_named(k.SERVICES, wanted)

    def _secrets(self, wanted: dict[str, set[str]]) -> list[dict[str, Any]]:
        """Referenced Secrets as metadata only: name, namespace and whether their type is kubernetes.io/tls."""
        tls = {_meta(s) for s in self.read_named(k.SECRETS, wanted, field_selector=f"type={TLS_SECRET}")}
        found = []
        for item in self.read_named(k.SECRETS, wanted):
            ns, name = _meta(item)
            # Rebuilt from the metadata fields the conversion uses: nothing else is carried along.
            meta = {key: item["metadata"][key] for key in ("name", "namespace", "creationTimestamp", "labels")
                    if key in item.get("metadata", {})}
            found.append({"apiVersion": "v1", "kind": "Secret", "metadata": meta,
                          "type": TLS_SECRET if (ns, name) in tls else OTHER_SECRET_TYPE})
        return found

    def _existing_gateway_api(self) -> None:
        namespaces = None
        if self.scope.namespaces is not None:
            namespaces = sorted(set(self.scope.namespaces) | set(self.scope.extra_gateway_namespaces))
        for res in k.GATEWAY_KINDS:
            objs = self.read(res, namespaces)
            self.snap.existing[res.kind] = {_meta(o): o for o in objs}

    def _gateway_crds(self) -> None:
        for kind, crd in sorted(k.GATEWAY_CRD_NAMES.items()):
            try:
                obj = self.reader.get(k.CRDS, crd)
            except ScanError as exc:
                self._fail_fast(exc)
                if exc.status == 404:
                    continue
                self.snap.gateway_crds_known = False
                self._note("warning", "CustomResourceDefinition", str(exc),
                           "without the CRDs the Gateway API version cannot be checked; pass --gateway-api-version")
                return
            ann = (obj.get("metadata") or {}).get("annotations") or {}
            self.snap.gateway_crds[kind] = (str(ann.get(k.BUNDLE_VERSION_ANNOTATION) or ""),
                                            str(ann.get(k.CHANNEL_ANNOTATION) or ""))

    def _proxy(self) -> None:
        if self.scope.proxy_service is not None:
            ns, name = self.scope.proxy_service
            try:
                svc = self.reader.get(k.SERVICES, name, ns)
            except ScanError as exc:
                self._fail_fast(exc)
                self._note("needs-human", "Kong proxy", f"--proxy-service {ns}/{name}: {exc}")
                return
            candidates = [svc]
        else:
            found = self.read(k.SERVICES, None, label_selector=CHART_SELECTOR)
            candidates = sorted((s for s in found if is_proxy_service(s)), key=_meta)
            if not candidates:
                # `app.kubernetes.io/name=gateway` is a common label: insist on the umbrella chart's name too.
                found = self.read(k.SERVICES, None, label_selector=UMBRELLA_SELECTOR)
                candidates = sorted((s for s in found if is_proxy_service(s, "-gateway-proxy")), key=_meta)
            if not candidates:
                self._note("warning", "Kong proxy", "no Kong proxy Service found (label "
                           f"{CHART_SELECTOR} with a name ending in -proxy, or {UMBRELLA_SELECTOR} with a name "
                           "ending in -gateway-proxy): listener ports were not checked",
                           "pass --proxy-service NAMESPACE/NAME")
                return
            if len(candidates) > 1:
                names = ", ".join("/".join(_meta(s)) for s in candidates)
                self._note("warning", "Kong proxy", f"several Kong proxy Services found ({names}); using the first",
                           "pass --proxy-service NAMESPACE/NAME to choose")
        svc = candidates[0]
        ns, name = _meta(svc)
        proxy = LiveProxy(namespace=ns, service=name, ports=service_ports(svc), manifest=svc)
        selector = selector_string(svc)
        deployments = self.read(k.DEPLOYMENTS, [ns], label_selector=selector) if selector else []
        if not deployments:
            proxy.notes.append(f"no Deployment in {ns} matches the selector of Service {ns}/{name} "
                               f"({selector or 'none'}): Kong's listen strings were not read")
        for dep in sorted(deployments, key=_meta):
            read_listen_env(dep, proxy)
            if proxy.deployment:
                break
        self._udp_proxy(svc, proxy)
        self.snap.proxy = proxy

    def _udp_proxy(self, svc: dict[str, Any], proxy: LiveProxy) -> None:
        """The chart's UDP proxy Service next to the proxy Service: same namespace and chart labels, a name
        ending in -udp-proxy (`udpProxy`).  Its ports are served today too."""
        selector = chart_label_selector(svc)
        if not selector:
            return
        found = sorted((s for s in self.read(k.SERVICES, [proxy.namespace], label_selector=selector)
                        if is_udp_proxy_service(s)), key=_meta)
        if not found:
            return
        expected = f"{proxy.service.removesuffix('-proxy')}-udp-proxy"
        udp = next((s for s in found if _meta(s)[1] == expected), found[0])
        if len(found) > 1:
            names = ", ".join("/".join(_meta(s)) for s in found)
            self._note("warning", "Kong proxy", f"several Kong UDP proxy Services found ({names}); using "
                       f"{'/'.join(_meta(udp))}")
        proxy.udp_service = _meta(udp)[1]
        proxy.udp_ports = service_ports(udp)
