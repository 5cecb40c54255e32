"""KongRouter.host_signature: equal signatures mean every request to the host is routed alike, so `verify`
may skip routing its probes.  Each test checks the claim on probes, not only the signatures."""

from __future__ import annotations

import pytest

from migrate.convert.choices import RouterFlavor
from migrate.kong.config import KongConfig, Route, Service
from migrate.kong.router import KongRouter
from migrate.verify.probes import generate_probes
from tests.test_kong_router import H, svc

T, TC = RouterFlavor.TRADITIONAL, RouterFlavor.TRADITIONAL_COMPATIBLE


def _router(*services: Service, flavor: RouterFlavor = T) -> KongRouter:
    return KongRouter(KongConfig(services=list(services)), flavor)


def _same_outcomes(a: KongRouter, b: KongRouter) -> bool:
    probes = generate_probes([*a.shapes(), *b.shapes()])
    assert probes
    return all(a.route(p).key() == b.route(p).key() for p in probes)


@pytest.mark.parametrize("flavor", [T, TC])
def test_names_and_ages_of_routes_that_cannot_share_a_request_do_not_matter(flavor: RouterFlavor) -> None:
    before = _router(svc("a", Route("ingress.a", hosts=[H], paths=["~/orders$"], order=0)),
                     svc("b", Route("ingress.b", hosts=[H], paths=["~/media$"], order=1)), flavor=flavor)
    after = _router(svc("a", Route("httproute.a", hosts=[H], paths=["~/orders$"], order=1)),
                    svc("b", Route("httproute.b", hosts=[H], paths=["~/media$"], order=0)), flavor=flavor)
    assert before.host_signature(H) == after.host_signature(H)
    assert _same_outcomes(before, after)


def test_the_age_of_overlapping_equal_routes_matters() -> None:
    # two regexes of equal priority that share requests: the older wins, so swapping ages changes routing
    before = _router(svc("a", Route("r1", hosts=[H], paths=["~/api"], order=0)),
                     svc("b", Route("r2", hosts=[H], paths=["~/api/v2"], order=1)))
    after = _router(svc("a", Route("r1", hosts=[H], paths=["~/api"], order=1)),
                    svc("b", Route("r2", hosts=[H], paths=["~/api/v2"], order=0)))
    assert before.host_signature(H) != after.host_signature(H)
    assert not _same_outcomes(before, after)


def test_one_route_per_method_equals_one_route_with_all_methods() -> None:
    before = _router(svc("a", Route("ing", hosts=[H], paths=["/api/", "~/api$"], methods=["GET", "POST"])))
    after = _router(svc("a", Route("m0", hosts=[H], paths=["/api/", "~/api$"], methods=["GET"]),
                        Route("m1", hosts=[H], paths=["/api/", "~/api$"], methods=["POST"])))
    assert before.host_signature(H) == after.host_signature(H)
    assert _same_outcomes(before, after)


@pytest.mark.parametrize("change", ["path", "backend", "strip_path", "plugin", "service_path"])
def test_anything_an_outcome_reads_breaks_the_equivalence(change: str) -> None:
    def build(changed: bool) -> KongRouter:
        route = Route("r", hosts=[H], paths=["/a/" if not (changed and change == "path") else "/b/"],
                      strip_path=changed and change == "strip_path")
        if changed and change == "plugin":
            from migrate.kong.config import Plugin

            route.plugins.append(Plugin("key-auth", identity="KongPlugin ns/auth"))
        backends = (("ns/other:80", 1),) if changed and change == "backend" else None
        path = "/base" if changed and change == "service_path" else None
        return _router(svc("a", route, backends=backends, path=path))

    before, after = build(False), build(True)
    assert before.host_signature(H) != after.host_signature(H)
    assert not _same_outcomes(before, after)
