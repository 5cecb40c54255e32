"""Options of a verification run."""

from __future__ import annotations

from dataclasses import dataclass, field

from migrate.convert.options import RouterFlavor


@dataclass(frozen=True)
class VerifyOptions:
    router_flavor: RouterFlavor = RouterFlavor.TRADITIONAL  # the Kong Helm chart's default
    ingress_classes: tuple[str, ...] = ()  # empty: "kong" plus every IngressClass run by Kong's controller
    # request description -> reason: differences the user has reviewed and accepted
    accepted: dict[str, str] = field(default_factory=dict)
