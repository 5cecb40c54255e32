"""The enumerated choices of the conversion (no pydantic: the CLI imports them at start-up)."""

from __future__ import annotations

from enum import StrEnum


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
