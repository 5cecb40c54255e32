"""`verify`: Kong(KIC(before)) against Kong(KIC(after)) on generated probe requests.  Pure.

Both sides go through the same two models: the KIC translator model (`migrate.kic.translate`: Kubernetes objects
to the Kong configuration KIC sends) and the Kong model (`migrate.kong`: the checks Kong applies when it loads a
configuration, and its router for the chosen flavor).  So the verdict is about what Kong will run, not about
what the Gateway API specification says (REFERENCE §5.5a).

The "after" side is checked for every KIC translation era the output must be right on: without a target,
KIC 3.4.x/3.5.0-3.5.6 (HTTPRoutes get Kong's default protocols) and 3.5.7+ (protocols from the listeners);
the output is translated once and the earlier era's configuration derived (`migrate.kic.era`).
A configuration Kong would reject, on either side, is a failure naming the entity and the rule: one rejected
entity fails Kong's whole sync.  A rejected part of the before side is left out of the routing comparison
(what KIC's fallback configuration does).

Today's side needs only the input (`prepare_before`: `convert` runs it while it converts); the probes are
routed in shards of hosts, one process per CPU for a large run (`migrate.verify.routing`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from migrate.kic import era
from migrate.kic.settings import KICSettings
from migrate.kic.translate import translate
from migrate.kong.config import KongConfig
from migrate.kong.router import KongRouter
from migrate.kong.validate import KongRejection, validate
from migrate.loader import SourceDoc
from migrate.processes import fork_map, keep_until_exit
from migrate.verify.cluster import after_cluster, assumed_objects, with_default_ingress_class
from migrate.verify.defaults import ingress_as_served
from migrate.verify.options import VerifyOptions, Version
from migrate.verify.outcome import Difference
from migrate.verify.probes import ProbeBuilder
from migrate.verify.routing import ProbeComparer, host_shards, verify_workers

# The KIC translation eras of HTTPRoutes (REFERENCE §5.5a): the last release before listener-derived protocols
# stands for 3.4.x and 3.5.0-3.5.6, the latest modelled one for 3.5.7+.
ERA_BEFORE_LISTENER_PROTOCOLS: Version = (3, 5, 6)
ERA_LATEST: Version = (3, 5, 13)


def era_label(version: Version) -> str:
    if version == ERA_BEFORE_LISTENER_PROTOCOLS:
        return "KIC 3.4.0-3.4.13/3.5.0-3.5.6"
    if version == ERA_LATEST:
        return "KIC 3.4.14+/3.5.7+"
    return f"KIC {version[0]}.{version[1]}.{version[2]}"


@dataclass
class SideConfig:
    """One translated side, kept for `verify --kong-config` and for the report."""

    label: str  # "before", "after (KIC 3.5.7+)" ...
    config: KongConfig
    rejections: list[KongRejection]


@dataclass
class VerifyResult:
    router_flavor: str
    probes: int = 0
    identical: int = 0
    differences: list[Difference] = field(default_factory=list)  # not accepted
    accepted: list[Difference] = field(default_factory=list)
    stale_accepted: list[str] = field(default_factory=list)  # accepted requests that no longer differ
    notes: list[str] = field(default_factory=list)
    # Kong would refuse a side's configuration: "before: <entity>: <why>" / "after (<era>): <entity>: <why>"
    rejected: list[str] = field(default_factory=list)
    accepted_rejected: list[tuple[str, str]] = field(default_factory=list)  # (rejection, reason)
    sides: list[SideConfig] = field(default_factory=list)
    eras: tuple[str, ...] = ()

    @property
    def different(self) -> int:
        return len(self.differences) + len(self.accepted)

    # routes whose methods x header values were probed under a bound (migrate.verify.probes), as one note
    bounded: list[str] = field(default_factory=list)
    # regexes Python's backtracking engine could not evaluate within the budget: pattern -> why
    unevaluated: list[tuple[str, str]] = field(default_factory=list)

    def exit_code(self) -> int:
        return 1 if self.differences or self.rejected or self.unevaluated else 0


def parse_accepted(text: str) -> dict[str, str]:
    """`REQUEST -- reason` per line (REQUEST as printed by verify, with or without its `DIFFERENT ` label), or
    `REJECTED <side>: <entity>: <why> -- reason` for a configuration Kong refuses; `#` comments.  A reason is
    required."""
    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        request, sep, reason = line.partition(" -- ")
        if not sep or not reason.strip() or not request.strip():
            raise ValueError(f"line {n}: expected 'REQUEST -- reason', got {line!r}")
        request = request.strip()
        for label in ("DIFFERENT ", "ACCEPTED "):
            request = request.removeprefix(label)
        out[request.strip()] = reason.strip()
    return out


def after_eras(options: VerifyOptions) -> list[Version]:
    if options.target_kic is not None:
        return [options.target_kic]
    return [ERA_BEFORE_LISTENER_PROTOCOLS, ERA_LATEST]


@dataclass
class BeforeSide:
    """Today's side, translated: it needs only the input, so `convert` prepares it while it converts."""

    assumed: list[dict[str, Any]]  # the assumed objects it was translated with
    side: SideConfig
    router: KongRouter
    probes: ProbeBuilder  # with this side's route shapes added
    unevaluated: dict[str, str]  # regexes found unevaluated while preparing it (atc.unevaluated_regexes)


def before_docs_and_classes(before_docs: Sequence[SourceDoc],
                            options: VerifyOptions) -> tuple[list[SourceDoc], list[str], tuple[str, ...]]:
    notes: list[str] = []
    docs = list(before_docs)
    if options.default_ingress_class:
        docs, note = with_default_ingress_class(docs, options.default_ingress_class)
        notes.append(note)
    classes = options.ingress_classes or kong_classes(docs)
    if options.default_ingress_class and options.default_ingress_class not in classes:
        classes = tuple(sorted({*classes, options.default_ingress_class}))
    return docs, notes, classes


def kic_settings(options: VerifyOptions, classes: tuple[str, ...], version: Version) -> KICSettings:
    # Both sides are clusters: Gateway API routes reach the translator only through KIC's route controllers
    # (attached to a Gateway of KIC's GatewayClass), those of the input as much as the emitted ones.
    return KICSettings(router_flavor=options.router_flavor, kic_version=version, kong_version=options.kong_version,
                       ingress_classes=classes, route_controllers=True, rewrite_uris=options.rewrite_uris)


def prepare_before(before_docs: Sequence[SourceDoc], options: VerifyOptions,
                   assumed: list[dict[str, Any]] | None = None,
                   warm_until: Callable[[], bool] = lambda: False) -> BeforeSide:
    """KIC(before) with Kong's verdict on loading it, its router, and the probes of its routes (each host's
    candidates built): everything that needs only the input.  `assumed`: the objects assumed on both sides
    (default: those the input alone needs; `verify` prepares again when the output needs more).  The candidates
    are built host by host until `warm_until()` (the rest is built when routed)."""
    from migrate.kong import atc

    atc.unevaluated_regexes.clear()
    docs, _, classes = before_docs_and_classes(before_docs, options)
    if assumed is None:
        assumed = assumed_objects([d.obj for d in docs]).objects
    served = [SourceDoc(ingress_as_served(d.obj), d.ref) for d in docs]
    flavor = options.router_flavor
    before_cfg = translate([*served, *(SourceDoc(o, _assumed_ref(o)) for o in assumed)],
                           kic_settings(options, classes, options.source_kic))
    before = SideConfig("before", before_cfg, validate(before_cfg, flavor))
    if before.rejections:
        # Kong refuses a configuration with one bad entity; what it serves then is the last good one, or with
        # KIC's fallback configuration everything but the broken objects.  The model takes the latter.
        before = SideConfig("before", without_rejected(before_cfg, before.rejections), before.rejections)
    router = KongRouter(before.config, flavor)
    probes = ProbeBuilder()
    probes.add(router.shapes())
    for n, host in enumerate(sorted({req.host for req in probes.probes})):
        if n % 64 == 0 and warm_until():
            break
        router.candidates(host)  # what routing any probe to the host needs
    return BeforeSide(assumed, before, router, probes, dict(atc.unevaluated_regexes))


def translate_sides(before_docs: Sequence[SourceDoc], after_objects: Sequence[dict[str, Any]],
                    options: VerifyOptions) -> tuple[SideConfig, list[tuple[str, SideConfig]], list[str]]:
    """KIC(before) and KIC(after) per era, each with Kong's verdict on loading it; plus notes."""
    before, afters, notes = _sides(before_docs, after_objects, options, None)
    return before.side, afters, notes


def _sides(before_docs: Sequence[SourceDoc], after_objects: Sequence[dict[str, Any]], options: VerifyOptions,
           prepared: BeforeSide | None) -> tuple[BeforeSide, list[tuple[str, SideConfig]], list[str]]:
    """`translate_sides`, with today's side prepared: `prepared` when its assumptions are this run's."""
    docs, class_notes, classes = before_docs_and_classes(before_docs, options)
    assumptions = assumed_objects([d.obj for d in docs] + list(after_objects))
    if prepared is None or prepared.assumed != assumptions.objects:
        prepared = prepare_before(before_docs, options, assumptions.objects)
    notes = list(assumptions.notes) + class_notes
    assumed = [SourceDoc(o, _assumed_ref(o)) for o in assumptions.objects]
    after_input = [*after_cluster(docs, after_objects), *assumed]
    afters: list[tuple[str, SideConfig]] = []
    eras = after_eras(options)
    configs: dict[Version, KongConfig] = {}
    if DERIVE_ERAS and eras == [ERA_BEFORE_LISTENER_PROTOCOLS, ERA_LATEST]:
        # one translation: the earlier era's configuration is derived from the latest's (migrate.kic.era)
        latest = translate(after_input, replace(kic_settings(options, classes, ERA_LATEST),
                                                alternative_version=ERA_BEFORE_LISTENER_PROTOCOLS))
        configs = {ERA_LATEST: latest, ERA_BEFORE_LISTENER_PROTOCOLS: era.derive(latest)}
    validated: dict[int, list[KongRejection]] = {}
    by_route: dict[int, list[KongRejection]] = {}  # a derived era shares most Route objects
    for version in eras:
        label = era_label(version)
        cfg = configs.get(version) or translate(after_input, kic_settings(options, classes, version))
        if id(cfg) not in validated:
            validated[id(cfg)] = validate(cfg, options.router_flavor, by_route)
        afters.append((label, SideConfig(f"after ({label})", cfg, validated[id(cfg)])))
    return prepared, afters, notes


# Derive the earlier era's configuration instead of translating it (off: tests compare the two)
DERIVE_ERAS = True


KONG_INGRESS_CONTROLLER = "ingress-controllers.konghq.com/kong"


def kong_classes(docs: Sequence[SourceDoc]) -> tuple[str, ...]:
    """As `convert` selects them: "kong" plus every IngressClass run by Kong's controller (one KIC per class)."""
    names = {"kong"}
    for doc in docs:
        spec = doc.obj.get("spec")
        if doc.obj.get("kind") == "IngressClass" and isinstance(spec, dict) and \
                spec.get("controller") == KONG_INGRESS_CONTROLLER:
            names.add(str(doc.obj.get("metadata", {}).get("name", "")))
    return tuple(sorted(names))


def without_rejected(config: KongConfig, rejections: list[KongRejection]) -> KongConfig:
    """The configuration without the routes and services Kong refuses."""
    bad_routes = {r.route for r in rejections if r.route}
    bad_services = {r.service for r in rejections if r.service and not r.route}
    services = []
    for service in config.services:
        if service.name in bad_services:
            continue
        kept = [r for r in service.routes if r.name not in bad_routes]
        services.append(replace(service, routes=kept))
    return replace(config, services=services)


def _assumed_ref(obj: dict[str, Any]) -> Any:
    from migrate.sources import SourceRef

    meta = obj.get("metadata", {})
    return SourceRef(kind=str(obj.get("kind", "")), namespace=str(meta.get("namespace", "")),
                     name=str(meta.get("name", "")), file="<assumed>")


def verify(before_docs: Sequence[SourceDoc], after_objects: Sequence[dict[str, Any]],
           options: VerifyOptions | None = None, prepared: BeforeSide | None = None) -> VerifyResult:
    """Compare how Kong routes the configuration KIC builds from `before_docs` (Ingresses and what they
    reference) with the one it builds from `after_objects` (Gateways, HTTPRoutes, ...), on generated probes.
    `prepared`: `prepare_before(before_docs, options)`, done earlier (the result is the same)."""
    options = options or VerifyOptions()
    from migrate.kong import atc

    atc.unevaluated_regexes.clear()
    prepared, afters, notes = _sides(before_docs, after_objects, options, prepared)
    atc.unevaluated_regexes.update(prepared.unevaluated)
    before = prepared.side
    result = VerifyResult(router_flavor=options.router_flavor.value, notes=notes,
                          sides=[before, *(side for _, side in afters)], eras=tuple(label for label, _ in afters))
    rejected: list[str] = []
    for r in before.rejections:
        # today's objects already build a configuration Kong refuses: a failure too (the part is left out of
        # the routing comparison, as KIC's fallback configuration leaves it out)
        rejected.append(f"before: {r.describe()}")
    for f in before.config.failures:
        result.notes.append(f"before: KIC refuses {f.origin}: {f.message}")
    seen_rejections: set[str] = set()
    noted = set(result.notes)
    for label, side in afters:
        for r in side.rejections:
            text = r.describe()
            if text not in seen_rejections:
                seen_rejections.add(text)
                rejected.append(f"after ({label}): {text}")
        for f in side.config.failures:
            note = f"after ({label}): KIC refuses {f.origin}: {f.message}"
            if note not in noted:  # a set: one object can fail thousands of times (a list of missing plugins)
                noted.add(note)
                result.notes.append(note)
    seen_accepted: set[str] = set()
    for text in rejected:
        key = f"REJECTED {text}"
        if key in options.accepted:
            seen_accepted.add(key)
            result.accepted_rejected.append((text, options.accepted[key]))
        else:
            result.rejected.append(text)

    before_router = prepared.router
    # eras with one Kong configuration (the common case: kept annotations say the protocols) are routed once
    groups: list[tuple[list[str], KongConfig]] = []
    for label, side in afters:
        twin = next((g for g in groups if g[1] is side.config), None)
        if twin is None:
            groups.append(([label], side.config))
        else:
            twin[0].append(label)
    after_routers = [(tuple(labels), KongRouter(config, options.router_flavor)) for labels, config in groups]
    builder = prepared.probes.copy()  # a prepared side may be verified against several outputs
    shaped: set[int] = set()  # a derived era's configuration shares most Route objects with the latest's
    for _, router in after_routers:
        builder.add(router.shapes(shaped))
    bounded: list[str] = []
    probes = builder.finish(bounded)
    result.bounded = bounded
    result.notes.extend(bounded)
    result.probes = len(probes)
    comparer = ProbeComparer(before_router, after_routers, options.accepted)
    routers = [before_router, *(router for _, router in after_routers)]
    shards = host_shards(probes, verify_workers(len(probes)),
                         lambda host: any(router.may_serve(host) for router in routers))
    for tally in fork_map(comparer.compare, shards):
        result.identical += tally.identical
        result.differences.extend(tally.differences)
        result.accepted.extend(tally.accepted)
        seen_accepted.update(tally.seen_accepted)
        atc.unevaluated_regexes.update(tally.unevaluated)
    # the order of a serial run: probe order (shards are host groups)
    result.differences.sort(key=lambda d: d.request)
    result.accepted.sort(key=lambda d: d.request)
    result.stale_accepted = sorted(set(options.accepted) - seen_accepted)
    keep_until_exit(prepared, afters, after_routers, comparer, probes, shards)
    result.unevaluated = sorted(atc.unevaluated_regexes.items())
    for pattern, why in result.unevaluated:
        result.notes.append(f"NOT EVALUATED regex {pattern!r}: {why}; it was taken as matching nothing on both "
                            "sides, so the requests it routes were not compared: check them by hand")
    return result
