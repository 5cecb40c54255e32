"""Gateway API routes (HTTPRoute, GRPCRoute, TCPRoute, UDPRoute, TLSRoute) as KIC's translator turns them into
Kong services and routes.

API: `translate_gateway_api(store, settings)` -> (services, failures).  The services carry what KIC's route
translators produce (subtranslator/*.go, translate_*route.go of Kong/kubernetes-ingress-controller v3.5.13,
with the 3.4.x/3.5.x differences of migrate/kic/gwcommon.py); the common fill phase (migrate/kic/kongstate.py)
then applies route annotations through `Route.k8s`, Service annotations, plugins, upstreams and targets, the
service port (from the backends: `Service.backends`, "ns/name:port", port -1 when the backendRef has none)
and decK's defaults (`https_redirect_status_code: 426`, `path_handling: v0`, deckgen/generate.go `fillRoute`).
See httproute.py for the `Route.k8s` / ExtensionRef contract.

Which routes are translated: all of the store's routes, as in KIC's golden tests (the translator never checks
parents; KIC's route controllers do).  `controller_filter=True` models the controllers too: only routes with a
parentRef to a listener of a Gateway of KIC's GatewayClass that admits them (parents.accepted_by_kic).
TCPRoute/UDPRoute/TLSRoute need the GatewayAlpha feature gate (`settings.gateway_alpha`).

Failures use KIC's wording: HTTPRoute and UDPRoute validation failures are KIC's TranslationFailure events;
for GRPCRoute/TCPRoute/TLSRoute KIC only logs "<Kind> <ns>/<name> can't be routed: <error>", reported here
the same way.  Output order: services by name, routes as KIC orders them (decK's file sorts again).
"""

from __future__ import annotations

from migrate.kic import grpcroute, httproute, l4route, parents
from migrate.kic.gwcommon import age_sort_key
from migrate.kic.settings import KICSettings
from migrate.kic.store import Obj, Store
from migrate.kong.config import Service, TranslationFailure

ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute")
ALPHA_KINDS = ("TCPRoute", "UDPRoute", "TLSRoute")


def _routes(store: Store, kind: str, controller_filter: bool) -> list[Obj]:
    objs = [o for o in store.list(kind) if isinstance(o.raw.get("spec"), dict) or o.raw.get("spec") is None]
    if controller_filter:
        objs = [o for o in objs if parents.accepted_by_kic(store, o)]
        if kind == "HTTPRoute":
            narrowed = (parents.filter_hostnames(store, o) for o in objs)
            objs = [o for o in narrowed if o is not None]
    return sorted(objs, key=lambda o: (o.namespace, o.name))


def translate_gateway_api(store: Store, settings: KICSettings, *, controller_filter: bool | None = None
                          ) -> tuple[list[Service], list[TranslationFailure]]:
    if controller_filter is None:
        controller_filter = settings.route_controllers
    by_kind = {k: _routes(store, k, controller_filter) for k in ROUTE_KINDS
               if settings.gateway_alpha or k not in ALPHA_KINDS}
    everything = sorted((o for objs in by_kind.values() for o in objs), key=age_sort_key)
    order = {o.object_id: i for i, o in enumerate(everything)}
    services: list[Service] = []
    failures: list[TranslationFailure] = []
    for translate, kind in ((httproute.translate_httproutes, "HTTPRoute"),
                            (grpcroute.translate_grpcroutes, "GRPCRoute"),
                            (l4route.translate_tcproutes, "TCPRoute"),
                            (l4route.translate_udproutes, "UDPRoute"),
                            (l4route.translate_tlsroutes, "TLSRoute")):
        if kind not in by_kind:
            continue
        try:
            svcs, fails = translate(store, settings, by_kind[kind], order)
        except Exception as exc:  # the model must never raise on bad input
            svcs, fails = [], [TranslationFailure(kind, f"internal error translating {kind}s: {exc!r}")]
        services += svcs
        failures += fails
    services.sort(key=lambda s: s.name)
    return services, failures
