"""The API resources a scan reads, and the least-privilege RBAC derived from them.  Pure data."""

from __future__ import annotations

from dataclasses import dataclass

PARTIAL_METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
GATEWAY_GROUP = "gateway.networking.k8s.io"
KONG_GROUP = "configuration.konghq.com"
BUNDLE_VERSION_ANNOTATION = "gateway.networking.k8s.io/bundle-version"
CHANNEL_ANNOTATION = "gateway.networking.k8s.io/channel"


@dataclass(frozen=True)
class Resource:
    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool
    optional: bool = False  # a CRD that may not be installed: absence is a note, not a failure
    metadata_only: bool = False  # read as PartialObjectMetadata (Secrets: never their data)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version_path(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        base = self.group_version_path
        if namespace and self.namespaced:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name else base

    @property
    def rbac_resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


NAMESPACES = Resource("Namespace", "", "v1", "namespaces", False)
INGRESS_CLASSES = Resource("IngressClass", "networking.k8s.io", "v1", "ingressclasses", False)
INGRESSES = Resource("Ingress", "networking.k8s.io", "v1", "ingresses", True)
SERVICES = Resource("Service", "", "v1", "services", True)
SECRETS = Resource("Secret", "", "v1", "secrets", True, metadata_only=True)
DEPLOYMENTS = Resource("Deployment", "apps", "v1", "deployments", True)
CRDS = Resource("CustomResourceDefinition", "apiextensions.k8s.io", "v1", "customresourcedefinitions", False)

KONG_KINDS = (
    Resource("KongPlugin", KONG_GROUP, "v1", "kongplugins", True, optional=True),
    Resource("KongClusterPlugin", KONG_GROUP, "v1", "kongclusterplugins", False, optional=True),
    Resource("KongIngress", KONG_GROUP, "v1", "kongingresses", True, optional=True),
    Resource("KongUpstreamPolicy", KONG_GROUP, "v1beta1", "kongupstreampolicies", True, optional=True),
    Resource("TCPIngress", KONG_GROUP, "v1beta1", "tcpingresses", True, optional=True),
    Resource("UDPIngress", KONG_GROUP, "v1beta1", "udpingresses", True, optional=True),
)

GATEWAY_KINDS = (
    Resource("GatewayClass", GATEWAY_GROUP, "v1", "gatewayclasses", False, optional=True),
    Resource("Gateway", GATEWAY_GROUP, "v1", "gateways", True, optional=True),
    Resource("HTTPRoute", GATEWAY_GROUP, "v1", "httproutes", True, optional=True),
)

# Gateway API kinds the converter may emit, by CRD name: their bundle-version annotation picks the API
# versions to emit, and a missing one is a warning when the plan needs it.
GATEWAY_CRD_NAMES = {
    "GatewayClass": "gatewayclasses.gateway.networking.k8s.io",
    "Gateway": "gateways.gateway.networking.k8s.io",
    "HTTPRoute": "httproutes.gateway.networking.k8s.io",
    "GRPCRoute": "grpcroutes.gateway.networking.k8s.io",
    "ReferenceGrant": "referencegrants.gateway.networking.k8s.io",
    "TCPRoute": "tcproutes.gateway.networking.k8s.io",
    "UDPRoute": "udproutes.gateway.networking.k8s.io",
    "TLSRoute": "tlsroutes.gateway.networking.k8s.io",
    "BackendTLSPolicy": "backendtlspolicies.gateway.networking.k8s.io",
}

# Everything a scan lists, in reading order (also the order of the RBAC rules).
LISTED = (NAMESPACES, INGRESS_CLASSES, INGRESSES, SERVICES, SECRETS, *KONG_KINDS, *GATEWAY_KINDS, DEPLOYMENTS)


def rbac_manifest(name: str = "kong-gateway-migrate-scan") -> str:
    """A ClusterRole with get/list only on exactly what a scan reads (CRDs: only the Gateway API ones)."""
    by_group: dict[str, list[str]] = {}
    for res in LISTED:
        by_group.setdefault(res.group, [])
        if res.plural not in by_group[res.group]:
            by_group[res.group].append(res.plural)
    lines = [
        "# Least-privilege, read-only role for `migrate scan` (get/list only; Secrets are read as metadata,",
        "# but RBAC cannot express that: the scan itself never requests their data).",
        "apiVersion: rbac.authorization.k8s.io/v1",
        "kind: ClusterRole",
        "metadata:",
        f"  name: {name}",
        "rules:",
    ]
    for group, plurals in by_group.items():
        lines += [f'- apiGroups: ["{group}"]', f"  resources: [{', '.join(plurals)}]", "  verbs: [get, list]"]
    crds = ", ".join(sorted(GATEWAY_CRD_NAMES.values()))
    lines += ['- apiGroups: ["apiextensions.k8s.io"]', "  resources: [customresourcedefinitions]",
              f"  resourceNames: [{crds}]", "  verbs: [get]"]
    return "\n".join(lines) + "\n"
