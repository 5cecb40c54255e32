"""Options that shape the conversion output."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class GatewayAPIVersion(StrEnum):
    V1_3 = "v1.3"  # what Kong's ingress controller 3.5 is built against
    V1_6 = "v1.6"  # latest release


class RouterFlavor(StrEnum):
    TRADITIONAL = "traditional"
    TRADITIONAL_COMPATIBLE = "traditional_compatible"
    EXPRESSIONS = "expressions"


class AllowedRoutes(StrEnum):
    SELECTOR = "selector"  # only the namespaces that have routes (least privilege)
    ALL = "all"


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
