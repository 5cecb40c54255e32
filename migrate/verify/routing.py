"""Routing the probes through both sides, in shards of hosts (a busy host cut by path) across processes, and
tallying where the outcomes differ.  A run's result does not depend on how the probes were sharded (each shard
is routed in a fixed order, the differences are sorted): tests compare sharded runs with serial ones.
`ProbeComparer` holds the shortcuts that skip routing where the answer is known (a host whose routes are the
same on both sides, an era whose routes for a host are an earlier era's, https to a host no side has a
certificate for, the https form of a request on a host that serves both schemes alike); tests check each
against routing everything.
"""

from __future__ import annotations

import math
import operator
import zlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from migrate.kong.router import KongRouter
from migrate.processes import parallel_allowed, usable_cpus
from migrate.verify.outcome import HTTP, HTTPS, Difference, Outcome, Request

# Below this many probes a verification runs in one process: forking costs more than it saves.
PARALLEL_MIN_PROBES = 20_000
MAX_WORKERS = 8


def verify_workers(probes: int) -> int:
    """How many processes route the probes: one per usable CPU for a large run (MIGRATE_PARALLEL=0:
    one)."""
    if probes < PARALLEL_MIN_PROBES or not parallel_allowed():
        return 1
    return min(usable_cpus(), MAX_WORKERS)


def host_shards(probes: Collection[Request], count: int,
                served: Callable[[str], bool] = lambda host: True) -> list[list[Request]]:
    """`probes` in at most `count` shards of about equal cost.  The unit is a host (its routing caches then stay
    in one process), except that a host costing more than a shard's fair share is cut into about that many
    pieces by path (a busy host would otherwise be one process's work; a request's http and https forms stay
    together); the units by falling cost, each to the cheapest shard so far (each shard is sorted where it is
    routed).  A probe's cost is about the same on every host some route may serve; on the others (`served`
    false: the catch-all probe host, when nothing serves every host) it is a tenth of it."""
    if count <= 1 or not probes:
        return [list(probes)]
    by_host: dict[str, list[Request]] = {}
    for req in probes:
        by_host.setdefault(req.host, []).append(req)
    weight = {host: 10 if served(host) else 1 for host in by_host}
    share = sum(len(reqs) * weight[host] for host, reqs in by_host.items()) / count
    units: list[tuple[int, list[Request]]] = []
    for host, reqs in by_host.items():
        pieces = min(count, math.ceil(len(reqs) * weight[host] / share))
        if pieces <= 1:
            units.append((len(reqs) * weight[host], reqs))
            continue
        cut: list[list[Request]] = [[] for _ in range(pieces)]
        for req in reqs:  # by a checksum of the path: deterministic, and no sort of a busy host's probes
            cut[zlib.crc32(req.path.encode()) % pieces].append(req)
        units.extend((len(piece) * weight[host], piece) for piece in cut if piece)
    shards: list[tuple[list[Request], list[int]]] = [([], [0]) for _ in range(min(count, len(units)))]
    for cost, unit in sorted(units, key=lambda u: (-u[0], _twins_adjacent(u[1][0]))):
        shard, total = min(shards, key=lambda st: st[1][0])
        shard.extend(unit)
        total[0] += cost
    return [shard for shard, _ in shards]


# a probe's http and https forms one after the other (a key built in C: hundreds of thousands are sorted)
_twins_adjacent = operator.itemgetter(1, 2, 3, 4, 0)  # host, path, method, headers, scheme
_twins_adjacent_on_host = operator.itemgetter(2, 3, 4, 0)


def routing_order(probes: Sequence[Request]) -> list[Request]:
    """`sorted(probes, key=_twins_adjacent)`, host by host: a host's few hundred probes sorted apart cost a
    third of one sort of them all (fewer comparisons, none of them on the host)."""
    by_host: dict[str, list[Request]] = {}
    for req in probes:
        by_host.setdefault(req.host, []).append(req)
    out: list[Request] = []
    for host in sorted(by_host):
        out.extend(sorted(by_host[host], key=_twins_adjacent_on_host))
    return out


@dataclass
class ProbeTally:
    """What routing one shard of the probes found (crosses a process boundary: plain data)."""

    identical: int = 0
    differences: list[Difference] = field(default_factory=list)
    accepted: list[Difference] = field(default_factory=list)
    seen_accepted: set[str] = field(default_factory=set)
    unevaluated: dict[str, str] = field(default_factory=dict)


class ProbeComparer:
    """Routes probes through the before router and each after-era router and tallies the differences."""

    def __init__(self, before: KongRouter, afters: list[tuple[tuple[str, ...], KongRouter]],
                 accepted: dict[str, str]) -> None:
        self.before = before
        self.afters = afters
        self.accepted = accepted
        self._routers = (before, *(router for _, router in afters))
        # a host whose Kong routes are the same on both sides routes every request alike: skip the routing
        # (compared once per host and era: a busy host's signature is long)
        self._differs: dict[tuple[int, str], bool] = {}
        # and an era whose routes for a host are an earlier era's routes (usually every host: the eras differ in
        # the route protocols of some hosts only, and a derived era shares the unchanged routes) takes that
        # era's outcome
        self._twin: dict[tuple[int, str], int] = {}
        self._certificates: dict[str, bool] = {}
        self._neutral: dict[str, bool] = {}
        self._plans: dict[str, tuple[tuple[int, int], ...]] = {}

    def _plan(self, host: str) -> tuple[tuple[int, int], ...]:
        """(era, the earlier era whose outcome it takes, or itself) for each era whose routes for `host` differ
        from today's; the same for every request to the host."""
        found = self._plans.get(host)
        if found is None:
            found = self._plans[host] = tuple((i, self._twin_of(i, host)) for i in range(len(self.afters))
                                              if self._differs_on(i, host))
        return found

    def _route(self, req: Request) -> tuple[Outcome | None, list[tuple[tuple[str, ...], Outcome]]]:
        """Today's outcome (None: no era's routes for the host differ from today's) and the eras' differing
        outcomes."""
        plan = self._plan(req.host)
        if not plan:
            return None, []
        want = self.before.route(req)
        wanted = want.key()
        differing: list[tuple[tuple[str, ...], Outcome]] = []
        outcomes: dict[int, Outcome] = {}
        for i, same_as in plan:
            got = outcomes[same_as] if same_as in outcomes else self.afters[i][1].route(req)
            outcomes[i] = got
            if got is not want and got.key() != wanted:
                differing.append((self.afters[i][0], got))
        return want, differing

    def _scheme_neutral(self, host: str) -> bool:
        found = self._neutral.get(host)
        if found is None:
            found = self._neutral[host] = all(r.scheme_neutral(host) for r in self._routers)
        return found

    def _certified(self, host: str) -> bool:
        """Whether some side has a certificate for `host` (KongRouter.route: without one an https request gets
        the NO_TLS outcome whatever routes match)."""
        found = self._certificates.get(host)
        if found is None:
            found = self._certificates[host] = any(r.has_certificate(host) for r in self._routers)
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
        for req in routing_order(probes):  # deterministic however the probes were sharded
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
