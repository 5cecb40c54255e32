"""Options that shape the conversion output."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from migrate.convert.choices import AllowedRoutes, GatewayAPIVersion, RouterFlavor

__all__ = ["AllowedRoutes", "ConvertOptions", "GatewayAPIVersion", "RouterFlavor"]


class ConvertOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    ingress_classes: tuple[str, ...] = ()  # empty: "kong" plus every IngressClass with Kong's controller
    gateway_class: str = "kong"
    controller_name: str = "konghq.com/kic-gateway-controller"
    gateway_name: str = "kong"
    gateway_namespace: str = "kong"
    gateway_api_version: GatewayAPIVersion = GatewayAPIVersion.V1_3
    router_flavor: RouterFlavor = RouterFlavor.TRADITIONAL  # the Kong Helm chart's default
    allowed_routes: AllowedRoutes = AllowedRoutes.SELECTOR
    backend_tls_policy: bool = False
    http_port: int = Field(80, ge=1, le=65535)
    https_port: int = Field(443, ge=1, le=65535)
