"""Objects no Kubernetes API server sends (a broken aggregated API might) are left out of a scan and named in
its notes; the rest of the scan goes on (migrate/scan/reader.py envelope_problem)."""

from __future__ import annotations

from typing import Any

import pytest

from migrate.scan import kinds as k
from migrate.scan.collect import Scanner, ScanScope
from migrate.scan.reader import Reader, ScanError, envelope_problem

GOOD = {"metadata": {"name": "web", "namespace": "shop"},
        "spec": {"rules": [{"host": "a.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}


@pytest.mark.parametrize(("obj", "problem"), [
    (GOOD, None),
    ("web", "not an object but str"),
    ({"spec": {}}, "no metadata"),
    ({"metadata": "web"}, "no metadata"),
    ({"metadata": {"namespace": "shop"}}, "no metadata.name"),
    ({"metadata": {"name": ""}}, "no metadata.name"),
    ({"metadata": {"name": "web", "namespace": 7}}, "metadata.namespace is not a string"),
    ({"metadata": {"name": "web", "labels": ["a"]}}, "metadata.labels is not a map of strings"),
    ({"metadata": {"name": "web", "annotations": {"konghq.com/strip-path": True}}},
     "metadata.annotations is not a map of strings"),
])
def test_envelope_problem(obj: Any, problem: str | None) -> None:
    assert envelope_problem(obj) == problem


class _Server(Reader):
    """A Reader whose API server is a dict of answers by path (discovery serves every resource)."""

    answers: dict[str, Any]

    def _get(self, path: str, query: list[tuple[str, str]], accept: str, verb: str, what: str) -> dict[str, Any]:
        if path in self.answers:
            return self.answers[path]  # type: ignore[no-any-return]
        if verb == "get" and path.count("/") <= 3:  # discovery of a group version
            return {"resources": [{"name": res.plural} for res in (k.NAMESPACES, k.INGRESS_CLASSES, k.INGRESSES,
                                                                   k.SERVICES, k.SECRETS, k.DEPLOYMENTS, k.CRDS,
                                                                   *k.KONG_KINDS, *k.GATEWAY_KINDS)]}
        if verb == "list":
            return {"items": []}
        raise ScanError(404, f"{what} is not served by this API server (404 Not Found)")


def test_a_list_item_that_is_no_object_is_left_out_and_named() -> None:
    reader = _Server(api=None, server="https://fake")
    reader.answers = {k.INGRESSES.path(): {"items": [GOOD, {"metadata": "broken"}, "text"]}}
    snap = Scanner(reader, "ctx", ScanScope()).scan()
    assert [(d.ref.kind, d.ref.namespace, d.ref.name) for d in snap.docs if d.ref.kind == "Ingress"] == \
        [("Ingress", "shop", "web")]
    skipped = [n for n in snap.notes if n.subject == "Ingress"]
    assert [n.message for n in skipped] == [
        "list ingresses.networking.k8s.io in all namespaces: item 2 of page 1 is not a Kubernetes object "
        "(no metadata); it was left out",
        "list ingresses.networking.k8s.io in all namespaces: item 3 of page 1 is not a Kubernetes object "
        "(not an object but str); it was left out"]
    assert all(n.level == "needs-human" for n in skipped)
    assert not reader.skipped  # said once


def test_a_get_that_answers_no_object_is_a_scan_error() -> None:
    reader = _Server(api=None, server="https://fake")
    reader.answers = {k.SERVICES.path("kong", "kong-proxy"): {"metadata": ["kong-proxy"]}}
    with pytest.raises(ScanError, match="the API server's answer is not a Kubernetes object \\(no metadata\\)"):
        reader.get(k.SERVICES, "kong-proxy", "kong")
    snap = Scanner(reader, "ctx", ScanScope(proxy_service=("kong", "kong-proxy"))).scan()
    assert any("not a Kubernetes object" in n.message for n in snap.notes if n.subject == "Kong proxy")
