"""Dispatch loaded documents by kind into typed collections: parse once, look up everywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from migrate.loader import SourceDoc
from migrate.model import objects as o
from migrate.report import Report, Status
from migrate.sources import SourceRef

Parser = Callable[[dict[str, Any], SourceRef], Any]

# kind -> (accepted API groups, parser, inventory attribute)
KINDS: dict[str, tuple[tuple[str, ...], Parser, str]] = {
    "Ingress": (("networking.k8s.io", "extensions"), o.parse_ingress, "ingresses"),
    "IngressClass": (("networking.k8s.io",), o.parse_ingress_class, "ingress_classes"),
    "Service": (("",), o.parse_service, "services"),
    "Secret": (("",), o.parse_secret, "secrets"),
    "KongPlugin": (("configuration.konghq.com",), o.parse_kong_plugin, "plugins"),
    "KongClusterPlugin": (("configuration.konghq.com",), o.parse_kong_plugin, "cluster_plugins"),
    "KongIngress": (("configuration.konghq.com",), o.parse_kong_ingress, "kong_ingresses"),
    "KongUpstreamPolicy": (("configuration.konghq.com",), o.parse_kong_upstream_policy, "upstream_policies"),
    "TCPIngress": (("configuration.konghq.com",), o.parse_l4_ingress, "tcp_ingresses"),
    "UDPIngress": (("configuration.konghq.com",), o.parse_l4_ingress, "udp_ingresses"),
    "ReferenceGrant": (("gateway.networking.k8s.io",), o.parse_reference_grant, "reference_grants"),
}


def api_group(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


@dataclass
class Inventory:
    ingresses: list[o.Ingress] = field(default_factory=list)
    ingress_classes: list[o.IngressClass] = field(default_factory=list)
    services: list[o.Service] = field(default_factory=list)
    secrets: list[o.SecretMeta] = field(default_factory=list)
    plugins: list[o.KongPlugin] = field(default_factory=list)
    cluster_plugins: list[o.KongPlugin] = field(default_factory=list)
    kong_ingresses: list[o.KongIngress] = field(default_factory=list)
    upstream_policies: list[o.KongUpstreamPolicy] = field(default_factory=list)
    tcp_ingresses: list[o.L4Ingress] = field(default_factory=list)
    udp_ingresses: list[o.L4Ingress] = field(default_factory=list)
    reference_grants: list[o.ReferenceGrant] = field(default_factory=list)

    def plugin_granted(self, plugin_namespace: str, plugin: str, from_group: str, from_kind: str,
                       from_namespace: str) -> bool:
        """Whether a ReferenceGrant in the plugin's namespace lets objects of `from_kind` in `from_namespace`
        use the KongPlugin (KIC's isRemotePluginReferenceAllowed, REFERENCE §5.5a)."""
        return any(g.meta.namespace == plugin_namespace
                   and g.admits(from_group, from_kind, from_namespace, "configuration.konghq.com", "KongPlugin", plugin)
                   for g in self.reference_grants)

    def service(self, namespace: str, name: str) -> o.Service | None:
        return self._index("services").get((namespace, name))

    def plugin(self, namespace: str, name: str) -> o.KongPlugin | None:
        return self._index("plugins").get((namespace, name))

    def cluster_plugin(self, name: str) -> o.KongPlugin | None:
        return self._index("cluster_plugins").get(("", name))

    def kong_ingress(self, namespace: str, name: str) -> o.KongIngress | None:
        return self._index("kong_ingresses").get((namespace, name))

    def secret(self, namespace: str, name: str) -> o.SecretMeta | None:
        return self._index("secrets").get((namespace, name))

    def _index(self, attr: str) -> dict[tuple[str, str], Any]:
        cache: dict[str, dict[tuple[str, str], Any]] = self.__dict__.setdefault("_indexes", {})
        if attr not in cache:
            cache[attr] = {(x.meta.namespace, x.meta.name): x for x in getattr(self, attr)}
        return cache[attr]


def build_inventory(docs: Iterable[SourceDoc], report: Report) -> Inventory:
    """Parse every document of a known kind; report invalid ones and count the rest as ignored."""
    inv = Inventory()
    seen: set[tuple[str, str, str]] = set()
    for doc in docs:
        kind = doc.ref.kind
        api_version = doc.obj.get("apiVersion")
        if not kind:
            report.add(doc.ref, Status.ERROR, "kind", "document has no 'kind': not a Kubernetes object")
            continue
        spec = KINDS.get(kind)
        if spec is None:
            report.ignored_kinds[kind] = report.ignored_kinds.get(kind, 0) + 1
            continue
        groups, parser, attr = spec
        if not isinstance(api_version, str) or api_group(api_version) not in groups:
            wanted = " or ".join(f"{g or 'core'} group" for g in groups)
            report.add(doc.ref, Status.ERROR, "apiVersion",
                       f"{api_version!r} is not an API version of {kind} (expected the {wanted})",
                       "fix the apiVersion; the object was not converted")
            continue
        try:
            parsed = parser(doc.obj, doc.ref)
        except o.ObjectError as exc:
            report.add(doc.ref, Status.ERROR, exc.field, exc.message, "fix the object; it was not converted")
            continue
        key = (kind, parsed.meta.namespace, parsed.meta.name)
        if key in seen:
            report.add(doc.ref, Status.ERROR, "metadata.name",
                       "duplicate object: the same kind, namespace and name appear earlier in the input; "
                       "this copy was ignored", "remove the duplicate")
            continue
        seen.add(key)
        getattr(inv, attr).append(parsed)
    return inv
