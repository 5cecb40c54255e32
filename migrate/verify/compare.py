"""`verify`: Kong(KIC(before)) against Kong(KIC(after)) on generated probe requests.  Pure.

Both sides go through the same two models: the KIC translator model (`migrate.kic.translate`: Kubernetes objects
to the Kong configuration KIC sends) and the Kong model (`migrate.kong`: the checks Kong applies when it loads a
configuration, and its router for the chosen flavor).  So the verdict is about what Kong will run, not about
what the Gateway API specification says (REFERENCE §5.5a).

The "after" side is checked for every KIC translation era the output must be right on: without a target,
KIC 3.4.x/3.5.0-3.5.6 (HTTPRoutes get Kong's default protocols) and 3.5.7+ (protocols from the listeners).
A configuration Kong would reject, on either side, is a failure naming the entity and the rule: one rejected
entity fails Kong's whole sync.  A rejected part of the before side is left out of the routing comparison
(what KIC's fallback configuration does).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from migrate.kic import era
from migrate.kic.settings import KICSettings
from migrate.kic.translate import translate
from migrate.kong.config import KongConfig
from migrate.kong.router import KongRouter
from migrate.kong.validate import KongRejection, validate
from migrate.loader import SourceDoc
from migrate.verify.background import fork_map, parallel_allowed, usable_cpus
from migrate.verify.cluster import after_cluster, assumed_objects, with_default_ingress_class
from migrate.verify.defaults import ingress_as_served
from migrate.verify.options import VerifyOptions, Version
from migrate.verify.outcome import HTTP, HTTPS, Outcome, Request
from migrate.verify.probes import ProbeBuilder

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


@dataclass(frozen=True)
class Difference:
    request: Request
    before: Outcome
    after: Outcome
    reason: str = ""  # set when the difference is accepted
    eras: tuple[str, ...] = ()  # the KIC eras in which the after side differs (all checked eras when empty)

    def as_dict(self) -> dict[str, object]:
        d: dict[str, object] = {"request": self.request.as_dict(), "before": self.before.as_dict(),
                                "after": self.after.as_dict(), "kicVersions": list(self.eras)}
        if self.reason:
            d["acceptedBecause"] = self.reason
        return d


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

    docs: list[SourceDoc]  # the input, with the default IngressClass applied
    notes: list[str]
    classes: tuple[str, ...]  # the IngressClasses KIC serves
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
    docs, notes, classes = before_docs_and_classes(before_docs, options)
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
    return BeforeSide(docs, notes, classes, assumed, before, router, probes, dict(atc.unevaluated_regexes))


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
    for _, router in after_routers:
        builder.add(router.shapes())
    bounded: list[str] = []
    probes = builder.finish(bounded)
    result.bounded = bounded
    result.notes.extend(bounded)
    result.probes = len(probes)
    comparer = _ProbeComparer(before_router, after_routers, options.accepted)
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
    result.unevaluated = sorted(atc.unevaluated_regexes.items())
    for pattern, why in result.unevaluated:
        result.notes.append(f"NOT EVALUATED regex {pattern!r}: {why}; it was taken as matching nothing on both "
                            "sides, so the requests it routes were not compared: check them by hand")
    return result


# Below this many probes a verification runs in one process: forking costs more than it saves.
PARALLEL_MIN_PROBES = 20_000
MAX_WORKERS = 8


def verify_workers(probes: int) -> int:
    """How many processes route the probes: one per usable CPU for a large run (MIGRATE_VERIFY_PARALLEL=0:
    one)."""
    if probes < PARALLEL_MIN_PROBES or not parallel_allowed():
        return 1
    return min(usable_cpus(), MAX_WORKERS)


def host_shards(probes: Collection[Request], count: int,
                served: Callable[[str], bool] = lambda host: True) -> list[list[Request]]:
    """`probes` in at most `count` shards of whole hosts (a host's routing caches stay in one process) of about
    equal cost: the hosts by falling cost, each to the cheapest shard so far (each shard is sorted where it is
    routed).  A probe's cost is about the same on every host some route may serve; on the others (`served`
    false: the catch-all probe host, when nothing serves every host) it is a tenth of it."""
    if count <= 1 or not probes:
        return [list(probes)]
    by_host: dict[str, list[Request]] = {}
    for req in probes:
        by_host.setdefault(req.host, []).append(req)
    cost = {host: len(reqs) * (10 if served(host) else 1) for host, reqs in by_host.items()}
    shards: list[tuple[list[Request], list[int]]] = [([], [0]) for _ in range(min(count, len(by_host)))]
    for host in sorted(by_host, key=lambda h: (-cost[h], h)):
        shard, total = min(shards, key=lambda st: st[1][0])
        shard.extend(by_host[host])
        total[0] += cost[host]
    return [shard for shard, _ in shards]


def _twins_adjacent(req: Request) -> tuple[object, ...]:
    return req.host, req.path, req.method, req.headers, req.scheme


@dataclass
class ProbeTally:
    """What routing one shard of the probes found (crosses a process boundary: plain data)."""

    identical: int = 0
    differences: list[Difference] = field(default_factory=list)
    accepted: list[Difference] = field(default_factory=list)
    seen_accepted: set[str] = field(default_factory=set)
    unevaluated: dict[str, str] = field(default_factory=dict)


class _ProbeComparer:
    """Routes probes through the before router and each after-era router and tallies the differences."""

    def __init__(self, before: KongRouter, afters: list[tuple[tuple[str, ...], KongRouter]],
                 accepted: dict[str, str]) -> None:
        self.before = before
        self.afters = afters
        self.accepted = accepted
        # a host whose Kong routes are the same on both sides routes every request alike: skip the routing
        # (compared once per host and era: a busy host's signature is long)
        self._differs: dict[tuple[int, str], bool] = {}
        # and an era whose routes for a host are an earlier era's routes (usually every host: the eras differ in
        # the route protocols of some hosts only, and a derived era shares the unchanged routes) takes that
        # era's outcome
        self._twin: dict[tuple[int, str], int] = {}
        self._certificates: dict[str, bool] = {}
        self._neutral: dict[str, bool] = {}

    def _route(self, req: Request) -> tuple[Outcome | None, list[tuple[tuple[str, ...], Outcome]]]:
        """Today's outcome (None: no era's routes for the host differ from today's) and the eras' differing
        outcomes."""
        pending = [i for i in range(len(self.afters)) if self._differs_on(i, req.host)]
        if not pending:
            return None, []
        want = self.before.route(req)
        differing: list[tuple[tuple[str, ...], Outcome]] = []
        outcomes: dict[int, Outcome] = {}
        for i in pending:
            same_as = self._twin_of(i, req.host)
            got = outcomes[same_as] if same_as in outcomes else self.afters[i][1].route(req)
            outcomes[i] = got
            if got.key() != want.key():
                differing.append((self.afters[i][0], got))
        return want, differing

    def _scheme_neutral(self, host: str) -> bool:
        found = self._neutral.get(host)
        if found is None:
            found = self._neutral[host] = all(r.scheme_neutral(host) for r in (self.before, *(r for _, r in self.afters)))
        return found

    def _certified(self, host: str) -> bool:
        """Whether some side has a certificate for `host` (KongRouter.route: without one an https request gets
        the NO_TLS outcome whatever routes match)."""
        found = self._certificates.get(host)
        if found is None:
            found = self._certificates[host] = any(r.has_certificate(host)
                                                   for r in (self.before, *(r for _, r in self.afters)))
        return found

    def _differs_on(self, index: int, host: str) -> bool:
        key = (index, host)
        found = self._differs.get(key)
        if found is None:
            found = self._differs[key] = not self.before.same_routing(self.afters[index][1], host)
        return found

    def _twin_of(self, index: int, host: str) -> int:
        key = (index, host)
        found = self._twin.get(key)
        if found is None:
            routes = self.afters[index][1].routes_for(host)
            found = self._twin[key] = next(
                (j for j in range(index) if self.afters[j][1].routes_for(host) == routes), index)
        return found

    def compare(self, probes: Sequence[Request]) -> ProbeTally:
        from migrate.kong import atc

        tally = ProbeTally()
        # A request's http and https forms one after the other: on a host every side serves alike on both
        # schemes the https form takes the http form's outcomes
        last: tuple[Request, Outcome | None, list[tuple[tuple[str, ...], Outcome]]] | None = None
        for req in sorted(probes, key=_twins_adjacent):  # deterministic however the probes were sharded
            if req.scheme == HTTPS and not self._certified(req.host):
                tally.identical += 1  # no side has a certificate: the handshake fails on both, before routing
                continue
            if last is not None and req.scheme == HTTPS and last[0] == req._replace(scheme=HTTP) \
                    and self._scheme_neutral(req.host):
                want, differing = last[1], last[2]
            else:
                want, differing = self._route(req)
                last = (req, want, differing) if req.scheme == HTTP else None
            if want is None or not differing:
                tally.identical += 1
                continue
            eras = tuple(label for labels, _ in differing for label in labels)
            text = req.describe()
            if text in self.accepted:
                tally.seen_accepted.add(text)
                tally.accepted.append(Difference(req, want, differing[0][1], self.accepted[text], eras))
            else:
                tally.differences.append(Difference(req, want, differing[0][1], eras=eras))
        tally.unevaluated = dict(atc.unevaluated_regexes)  # with those found before the routing (sample building)
        return tally
