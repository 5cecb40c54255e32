"""Options of a verification run."""

from __future__ import annotations

from dataclasses import dataclass, field

from migrate.convert.options import RouterFlavor

Version = tuple[int, int, int]


@dataclass(frozen=True)
class VerifyOptions:
    router_flavor: RouterFlavor = RouterFlavor.TRADITIONAL  # the Kong Helm chart's default
    ingress_classes: tuple[str, ...] = ()  # empty: "kong" plus every IngressClass run by Kong's controller
    # Kong's IngressClass of this name is the cluster default (`--default-ingress-class`): KIC serves it and takes
    # class-less objects; the IngressClass object is assumed when the input lacks it (migrate/verify/cluster.py)
    default_ingress_class: str | None = None
    # request description -> reason: differences the user has reviewed and accepted
    accepted: dict[str, str] = field(default_factory=dict)
    # The KIC the Gateway API objects will run on; None: every 3.4.x/3.5.x (both translation eras are checked).
    target_kic: Version | None = None
    # The KIC the Ingresses run on today (2.x makes KongIngress route/proxy sections act).
    source_kic: Version = (3, 5, 13)
    # The Kong version behind the controller (decides KIC's redirect plugin form).
    kong_version: Version = (3, 9, 0)
    # KIC's RewriteURIs feature gate (off by default): without it KIC drops the Kong service of an Ingress with
    # konghq.com/rewrite (Kong/kubernetes-ingress-controller: pkg/manager/config/feature_gates_keys.go)
    rewrite_uris: bool = False
