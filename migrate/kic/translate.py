"""The KIC translator model's entry point: Kubernetes objects in, the Kong configuration KIC sends out.

Follows Kong/kubernetes-ingress-controller v3.5.13 `internal/dataplane/translator/translator.go`
`BuildKongConfig`: Ingresses (`ingress.py`), TCPIngress/UDPIngress (`l4ingress.py`), Gateway API routes
(`migrate.kic.gatewayapi.translate_gateway_api`), merged by Kong service name (later kinds win, as KIC's
`mergeIngressRules`), then the common fill phase (`kongstate.build`: Kubernetes Services, upstreams and targets,
service/route/upstream overrides, plugins, certificates, decK defaults and order).

Objects KIC refuses become `TranslationFailure`s; nothing here raises on bad input.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from migrate.kic.gatewayapi import translate_gateway_api
from migrate.kic.ingress import translate_ingresses
from migrate.kic.kongstate import Context, Entry, Failures, SecretSNIs, backends_from_service, build
from migrate.kic.l4ingress import translate_tcp_ingresses, translate_udp_ingresses
from migrate.kic.settings import KICSettings
from migrate.kic.store import Obj, build_store
from migrate.kong.config import KongConfig, TranslationFailure
from migrate.loader import SourceDoc


def translate(objects: Iterable[SourceDoc | dict[str, Any]], settings: KICSettings) -> KongConfig:
    """Kong(KIC(objects)): the decK-shaped configuration KIC v3.4/3.5 would send for these objects."""
    try:
        return _translate(objects, settings)
    except Exception as exc:  # noqa: BLE001 - contract: bad input never raises; a model bug shows as a failure
        return KongConfig(failures=[TranslationFailure(origin="KIC model",
                                                       message=f"internal error while translating: {exc!r}")])


def _translate(objects: Iterable[SourceDoc | dict[str, Any]], settings: KICSettings) -> KongConfig:
    store = build_store(o for o in objects if isinstance(o, (SourceDoc, dict)))
    ctx = Context(store=store, settings=settings, failures=Failures(), snis=SecretSNIs())
    merged: dict[str, Entry] = {}
    for entry in translate_ingresses(ctx) + translate_tcp_ingresses(ctx) + translate_udp_ingresses(ctx):
        merged[entry.service.name] = entry
    services, failures = translate_gateway_api(store, settings)
    ctx.failures.items.extend(failures)
    for service in services:
        parent = next((r.k8s for r in service.routes if r.k8s is not None), None)
        merged[service.name] = Entry(service, backends_from_service(service), parent)
    config = build(list(merged.values()), ctx)
    assign_route_order(config)
    return config


def assign_route_order(config: KongConfig) -> None:
    """`Route.order`: the rank of the route's source object by age (creationTimestamp, then namespace/name),
    Kong's last tie-break between otherwise equal routes; routes of one object keep their name order."""
    sources: dict[int, Obj] = {}
    for _, route in config.routes():
        if route.k8s is not None:
            sources[id(route.k8s)] = route.k8s
    rank = {key: i for i, key in enumerate(sorted(sources, key=lambda k: (sources[k].age_key(), sources[k].kind)))}
    for _, route in config.routes():
        if route.k8s is not None:
            route.order = rank[id(route.k8s)]
