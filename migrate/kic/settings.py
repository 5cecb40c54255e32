"""What KIC's translation depends on besides the objects: router flavor, KIC and Kong versions, feature gates."""

from __future__ import annotations

from dataclasses import dataclass

from migrate.convert.choices import RouterFlavor

Version = tuple[int, int, int]

LATEST_MODELLED_KIC: Version = (3, 5, 13)
# From these KICs on, an HTTPRoute's Kong route gets the protocols of the listeners it attaches to: 3.5.7, and
# the 3.4 line from its 3.4.14 backport (checked tag by tag, migrate/kic/gwcommon.py).
LISTENER_PROTOCOLS_SINCE: Version = (3, 5, 7)
LISTENER_PROTOCOLS_BACKPORT: Version = (3, 4, 14)


def source_kic(major: int) -> Version:
    """The KIC release that stands for a source controller major: 2 (KongIngress route/proxy sections still act)
    or 3 (the latest modelled)."""
    return (2, 12, 0) if major < 3 else LATEST_MODELLED_KIC


def parse_version(text: str) -> Version:
    """`3.5.7`, `3.5` (= 3.5.0) or `3` (= 3.0.0); ValueError otherwise."""
    parts = text.strip().lstrip("v").split(".")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a version: {text!r} (expected e.g. 3.5.7)")
    nums = [int(p) for p in parts] + [0] * (3 - len(parts))
    return nums[0], nums[1], nums[2]


@dataclass(frozen=True)
class KICSettings:
    router_flavor: RouterFlavor = RouterFlavor.TRADITIONAL
    kic_version: Version = LATEST_MODELLED_KIC
    kong_version: Version = (3, 9, 0)
    # classes KIC serves; empty: "kong" (KIC's default --ingress-class)
    ingress_classes: tuple[str, ...] = ()
    # feature gates (Kong/kubernetes-ingress-controller: pkg/manager/config/feature_gates_keys.go)
    rewrite_uris: bool = False
    kong_service_facade: bool = False
    gateway_alpha: bool = True
    # Model KIC's Gateway API route controllers too, not only its translator: only routes attached to a listener
    # of a Gateway of KIC's GatewayClass reach the translator, with hostnames filtered by the listeners
    # (internal/controllers/gateway/route_utils.go `filterHostnames`).  Off for KIC's translator goldens, which
    # feed the translator directly; on for `verify`, which models a cluster.
    route_controllers: bool = False
    # Also record, on every Gateway API route, what this other KIC version makes of its protocols (the only part
    # of the translation that differs between the 3.4/3.5 eras `verify` checks): `era.derive` then builds that
    # version's configuration from this one instead of translating everything again.
    alternative_version: Version | None = None

    @property
    def expressions(self) -> bool:
        """KIC emits expression routes only for the expressions flavor (REFERENCE §1.4)."""
        return self.router_flavor == RouterFlavor.EXPRESSIONS

    @property
    def legacy_kongingress(self) -> bool:
        """KongIngress `route`/`proxy` sections act only on KIC 2.x (removed in 3.0.0)."""
        return self.kic_version[0] < 3

    @property
    def listener_protocols(self) -> bool:
        return has_listener_protocols(self.kic_version)


def has_listener_protocols(version: Version) -> bool:
    if version[:2] == LISTENER_PROTOCOLS_BACKPORT[:2]:
        return version >= LISTENER_PROTOCOLS_BACKPORT
    return version >= LISTENER_PROTOCOLS_SINCE
