"""Gateway API versions per target bundle (REFERENCE §4.1)."""

from __future__ import annotations

from migrate.convert.options import GatewayAPIVersion

GROUP = "gateway.networking.k8s.io"

_COMMON = {
    "GatewayClass": f"{GROUP}/v1",
    "Gateway": f"{GROUP}/v1",
    "HTTPRoute": f"{GROUP}/v1",
    "GRPCRoute": f"{GROUP}/v1",
    "ReferenceGrant": f"{GROUP}/v1beta1",  # served by every bundle
}
API_VERSIONS: dict[GatewayAPIVersion, dict[str, str]] = {
    # Kong's controller 3.5 watches v1alpha2 L4 routes and v1alpha3 BackendTLSPolicy (experimental channel).
    GatewayAPIVersion.V1_3: _COMMON | {
        "TCPRoute": f"{GROUP}/v1alpha2",
        "UDPRoute": f"{GROUP}/v1alpha2",
        "TLSRoute": f"{GROUP}/v1alpha2",
        "BackendTLSPolicy": f"{GROUP}/v1alpha3",
    },
    GatewayAPIVersion.V1_6: _COMMON | {
        "TCPRoute": f"{GROUP}/v1",
        "UDPRoute": f"{GROUP}/v1",
        "TLSRoute": f"{GROUP}/v1",
        "BackendTLSPolicy": f"{GROUP}/v1",
    },
}
# Kinds that need the experimental-channel CRDs for a bundle.
EXPERIMENTAL: dict[GatewayAPIVersion, frozenset[str]] = {
    GatewayAPIVersion.V1_3: frozenset({"TCPRoute", "UDPRoute", "TLSRoute", "BackendTLSPolicy"}),
    GatewayAPIVersion.V1_6: frozenset(),
}
# Kinds Kong's controller serves only with its GatewayAlpha feature gate.
GATEWAY_ALPHA = frozenset({"TCPRoute", "UDPRoute", "TLSRoute", "BackendTLSPolicy"})


def api_version(kind: str, version: GatewayAPIVersion) -> str:
    return API_VERSIONS[version][kind]
