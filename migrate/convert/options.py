"""Options that shape the conversion output."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from migrate.convert.choices import AllowedRoutes, GatewayAPIVersion, RouterFlavor

__all__ = ["AllowedRoutes", "ConvertOptions", "GatewayAPIVersion", "RouterFlavor"]


class ConvertOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    ingress_classes: tuple[str, ...] = ()  # empty: "kong" plus every IngressClass with Kong's controller
    # Kong's IngressClass of this name is the cluster default (class-less objects are Kong's), whether or not the
    # input holds the IngressClass object
    default_ingress_class: str | None = None
    gateway_class: str = "kong"
    controller_name: str = "konghq.com/kic-gateway-controller"
    gateway_name: str = "kong"
    gateway_namespace: str = "kong"
    gateway_api_version: GatewayAPIVersion = GatewayAPIVersion.V1_3
    router_flavor: RouterFlavor = RouterFlavor.TRADITIONAL  # the Kong Helm chart's default
    allowed_routes: AllowedRoutes = AllowedRoutes.SELECTOR
    backend_tls_policy: bool = False
    # The KIC the output must be right on: None = every 3.4.x and 3.5.x (REFERENCE §5.5a); a newer target
    # (3.5.7+) derives route protocols from the parent listeners, so a leaner form suffices.
    target_kic: tuple[int, int, int] | None = None
    # The KIC the Ingresses run on today: 2 makes KongIngress `route`/`proxy` sections active (removed in 3.0).
    source_kic_major: int = Field(3, ge=2, le=3)
    http_port: int = Field(80, ge=1, le=65535)
    https_port: int = Field(443, ge=1, le=65535)


def listener_protocols(options: ConvertOptions) -> bool:
    """Whether the target KIC derives route protocols from the parent listeners; otherwise a route must keep
    `konghq.com/protocols` to stay HTTPS-only (or HTTP-only) on every supported KIC."""
    from migrate.kic.settings import has_listener_protocols

    return options.target_kic is not None and has_listener_protocols(options.target_kic)
