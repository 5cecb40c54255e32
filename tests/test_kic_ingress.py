"""The KIC translator model (migrate.kic.translate) against KIC's own goldens, for the kinds this part covers
(Ingress, TCPIngress/UDPIngress, Services, Kong plugins, KongIngress, KongUpstreamPolicy, Secrets, IngressClass,
EndpointSlices): translate(in.yaml) must equal the golden, field by field.

Projection applied to both sides before comparing (tests.kic_support.normalize drops ids and tags):
* services and upstreams compared in name order: `KongConfig.to_deck()` sorts ascending, KIC's decK generator
  descending (deckgen/generate.go) - the order of these lists carries no meaning for Kong;
* plugins from KongPlugin/KongClusterPlugin objects: KIC's decK file lists them at the top level with a
  `route:`/`service:` reference; the model attaches them to the route/service, so they are hoisted back;
* certificates: only their SNI lists (the model never reads key material; `Certificate` keeps the secret name);
* targets without a weight in the golden get Kong's default 100 (the model's Target always has one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.kic_support import KIC_GOLDENS, differences, golden_variants, normalize, settings_for
from tests.support import require_shared

# Kinds this part of the model covers; a case whose in.yaml holds only these is compared.
COVERED_KINDS = frozenset({"Ingress", "Service", "KongPlugin", "KongClusterPlugin", "KongIngress", "KongUpstreamPolicy",
                           "Secret", "IngressClass", "IngressClassParameters", "TCPIngress", "UDPIngress",
                           "EndpointSlice", "Endpoints", "ReferenceGrant"})

# Every other case, with the reason it is not compared here.
OUT_OF_SCOPE: dict[str, str] = {
    "consumer-group-example-ee": "enterprise (-ee) consumer groups: consumers are out of the model's scope",
    "credentials": "KongConsumer credentials: consumers are out of the model's scope",
    "fallback-config-gateway-api": "fallback configuration (broken-object recovery) is not modelled",
    "fallback-config-ingress": "fallback configuration (broken-object recovery) is not modelled",
    "fallback-config-ingress-class": "fallback configuration (broken-object recovery) is not modelled",
    "fallback-config-kong": "fallback configuration (broken-object recovery) is not modelled",
    "fallback-config-kong-cluster-plugin": "fallback configuration (broken-object recovery) is not modelled",
    "fallback-config-kong-custom-entities-ee": "fallback configuration and enterprise custom entities",
    "fallback-config-kong-plugin": "fallback configuration (broken-object recovery) is not modelled",
    "fallback-config-kong-upstream-policy": "fallback configuration (broken-object recovery) is not modelled",
    "fallback-config-secret": "fallback configuration (broken-object recovery) is not modelled",
    "fallback-config-service": "fallback configuration (broken-object recovery) is not modelled",
    "grpcroute-example": "Gateway API (GRPCRoute): tests/test_kic_gatewayapi*.py",
    "host-header-annotation-httproute": "Gateway API (HTTPRoute): tests/test_kic_gatewayapi*.py",
    "httproute-example": "Gateway API (HTTPRoute): tests/test_kic_gatewayapi*.py",
    "httproute-url-rewrite-path-prefix": "Gateway API (HTTPRoute): tests/test_kic_gatewayapi*.py",
    "ingress-v1-rule-with-tls-and-consumer": "holds a KongConsumer: consumers are out of the model's scope",
    "kong-custom-entity-ee": "enterprise KongCustomEntity is not modelled",
    "kong-service-facade": "KongServiceFacade backends are not modelled",
    "kongconsumer-with-custom-id": "KongConsumer: consumers are out of the model's scope",
    "kongupstreampolicy-httproute": "Gateway API (HTTPRoute): tests/test_kic_gatewayapi*.py",
    "same-name-services-single-backend": "Gateway API (HTTPRoute): tests/test_kic_gatewayapi*.py",
    "tcproute-example": "Gateway API (TCPRoute): tests/test_kic_gatewayapi*.py",
    "tlsroute-example": "Gateway API (TLSRoute): tests/test_kic_gatewayapi*.py",
    "udproute-example": "Gateway API (UDPRoute): tests/test_kic_gatewayapi*.py",
}


def load_docs(path: Path) -> list[dict[str, Any]]:
    from ruamel.yaml import YAML

    return [d for d in YAML(typ="safe").load_all(path.read_text()) if isinstance(d, dict)]


def _case_dirs() -> list[Path]:
    return sorted(p for p in KIC_GOLDENS.iterdir() if p.is_dir()) if KIC_GOLDENS.is_dir() else []


def _variants() -> list[Any]:
    out = []
    for case in _case_dirs():
        for golden, settings in golden_variants(case):
            out.append(pytest.param(case.name, golden, settings, id=f"{case.name}/{golden}"))
    return out


def _hoist_plugins(deck: dict[str, Any]) -> dict[str, Any]:
    """Move KongPlugin-derived route/service plugins to the top level, as KIC's decK file lists them."""
    top = list(deck.get("plugins", []))
    for svc in deck.get("services", []):
        for route in svc.get("routes", []):
            keep = [p for p in route.get("plugins", []) if p.pop("_generated", False)]
            top += [{**p, "route": route["name"]} for p in route.get("plugins", []) if p not in keep]
            if keep:
                route["plugins"] = keep
            else:
                route.pop("plugins", None)
        keep = [p for p in svc.get("plugins", []) if p.pop("_generated", False)]
        top += [{**p, "service": svc["name"]} for p in svc.get("plugins", []) if p not in keep]
        if keep:
            svc["plugins"] = keep
        else:
            svc.pop("plugins", None)
    if top:
        deck["plugins"] = top
    return deck


def model_deck(config: Any) -> dict[str, Any]:
    deck = config.to_deck()
    # mark the plugins KIC generates itself (they stay nested in KIC's file too)
    for svc_obj, svc in zip(sorted(config.services, key=lambda s: s.name), deck.get("services", []), strict=True):
        for route_obj, route in zip(svc_obj.routes, svc.get("routes", []), strict=True):
            for p_obj, p in zip(route_obj.plugins, route.get("plugins", []), strict=True):
                if p_obj.identity.startswith("generated:"):
                    p["_generated"] = True
        for p_obj, p in zip(svc_obj.plugins, svc.get("plugins", []), strict=True):
            if p_obj.identity.startswith("generated:"):
                p["_generated"] = True
    return view(_hoist_plugins(deck))


def view(deck: dict[str, Any]) -> dict[str, Any]:
    """The comparison projection (module docstring)."""
    deck = normalize(deck)
    out = dict(deck)
    if "services" in out:
        out["services"] = sorted(out["services"], key=lambda s: s["name"])
    if "upstreams" in out:
        ups = sorted(out["upstreams"], key=lambda u: u["name"])
        for u in ups:
            for t in u.get("targets", []):
                t.setdefault("weight", 100)
        out["upstreams"] = ups
    if "certificates" in out:
        out["certificates"] = sorted([s["name"] for s in c.get("snis", [])] for c in out["certificates"])
    if "plugins" in out:
        out["plugins"] = sorted(out["plugins"], key=lambda p: (p["name"], p.get("route", ""), p.get("service", "")))
    return out


def test_every_golden_case_is_compared_or_listed() -> None:
    require_shared("kic-goldens", "v3.5.13")
    for case in _case_dirs():
        kinds = {d.get("kind") for d in load_docs(case / "in.yaml")}
        covered = kinds <= COVERED_KINDS
        assert covered or case.name in OUT_OF_SCOPE, (
            f"{case.name}: kinds {sorted(map(str, kinds))} - compare it or list it in OUT_OF_SCOPE with a reason")


@pytest.mark.parametrize(("case", "golden", "settings_file"), _variants())
def test_kic_golden(case: str, golden: str, settings_file: str | None) -> None:
    from migrate.kic.translate import translate

    path = require_shared("kic-goldens", "v3.5.13", case)
    if case in OUT_OF_SCOPE:
        pytest.skip(OUT_OF_SCOPE[case])
    config = translate(load_docs(path / "in.yaml"), settings_for(path, settings_file))
    got = model_deck(config)
    want = view(load_docs(path / golden)[0])
    assert differences(got, want) == []
    assert not [f for f in config.failures if "internal error" in f.message]
