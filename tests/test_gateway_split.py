"""More than 64 listeners (issue #14 item 2): the Gateways are split, and the output stays linear in the routes.

The HTTP listener is on the first Gateway only (a copy on every split Gateway admitted every HTTP route
namespace once per Gateway, with no route attached to it: Gateways x namespaces).  Every listener admits exactly
the namespaces of the routes attached to it, every parentRef names the Gateway that holds its listener, and
the routing is unchanged (verify)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from migrate import yamlio
from migrate.convert.gateway import MAX_LISTENERS
from migrate.convert.options import ConvertOptions
from migrate.convert.pipeline import run_convert
from migrate.loader import LoadResult, parse_text
from migrate.report import Report, Status
from migrate.verify import verify
from tests.support import oracle_errors, oracle_targets
from tests.test_properties_verify import options_for_verify


def estate(hosts: int, namespaces: int, *, http_only: int = 0, tcp: int = 0) -> list[dict[str, Any]]:
    """`hosts` Ingresses with a TLS host each, spread over `namespaces`; `http_only` Ingresses without TLS (each
    in a namespace of its own); `tcp` TCPIngresses (namespace data)."""
    def ingress(name: str, ns: str, host: str, tls: bool) -> dict[str, Any]:
        spec: dict[str, Any] = {"ingressClassName": "kong", "rules": [{"host": host, "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}
        if tls:
            spec["tls"] = [{"hosts": [host], "secretName": f"{name}-cert"}]
        return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name, "namespace": ns},
                "spec": spec}

    def service(ns: str, port: int = 80) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": ns},
                "spec": {"ports": [{"port": port, "targetPort": 8080}]}}

    objs = [ingress(f"app{i}", f"team{i % namespaces}", f"app{i}.example.com", True) for i in range(hosts)]
    objs += [service(f"team{j}") for j in range(min(hosts, namespaces))]
    for i in range(http_only):
        objs += [ingress("old", f"legacy{i}", f"old{i}.example.com", False), service(f"legacy{i}")]
    for i in range(tcp):
        objs.append({"apiVersion": "configuration.konghq.com/v1beta1", "kind": "TCPIngress",
                     "metadata": {"name": f"db{i}", "namespace": "data",
                                  "annotations": {"kubernetes.io/ingress.class": "kong"}},
                     "spec": {"rules": [{"port": 5000 + i, "backend": {"serviceName": "web", "servicePort": 80}}]}})
    if tcp:
        objs.append(service("data"))
    return objs


def convert(objs: list[dict[str, Any]], **options: Any) -> tuple[LoadResult, list[dict[str, Any]], Report]:
    loaded = LoadResult()
    parse_text(yamlio.dump_yaml_documents(objs), "input.yaml", loaded)
    report = Report()
    result = run_convert(loaded.docs, ConvertOptions(**options), report)
    return loaded, result.objects + result.patches, report


def admitted(listener: dict[str, Any], gwns: str = "kong") -> set[str] | str:
    """The namespaces a listener admits (a set), or 'All'."""
    ns = listener["allowedRoutes"]["namespaces"]
    if ns["from"] == "Same":
        return {gwns}
    if ns["from"] == "All":
        return "All"
    [expr] = ns["selector"]["matchExpressions"]
    return set(expr["values"])


def namespace_entries(objects: list[dict[str, Any]]) -> int:
    return sum(len(a) for o in objects if o["kind"] == "Gateway" for lst in o["spec"]["listeners"]
               if isinstance(a := admitted(lst), set))


SHAPES = [(63, 3, 0, 0), (64, 5, 0, 0), (62, 4, 1, 2), (200, 40, 3, 4), (130, 1, 0, 0)]


@pytest.mark.parametrize(("hosts", "namespaces", "http_only", "tcp"), SHAPES)
def test_split_gateways_admit_exactly_the_namespaces_attached_to_them(hosts: int, namespaces: int, http_only: int,
                                                                       tcp: int) -> None:
    _, objects, report = convert(estate(hosts, namespaces, http_only=http_only, tcp=tcp))
    gateways = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Gateway"}
    listeners = 1 + hosts + tcp  # HTTP, one HTTPS per TLS host, one TCP per port
    beyond_first = max(0, listeners - MAX_LISTENERS)  # the first Gateway holds HTTP and 63 others
    assert len(gateways) == 1 + -(-beyond_first // MAX_LISTENERS)
    assert all(1 <= len(g["spec"]["listeners"]) <= MAX_LISTENERS for g in gateways.values())
    http = [(name, lst["name"]) for name, g in gateways.items() for lst in g["spec"]["listeners"]
            if lst["protocol"] == "HTTP"]
    assert http == [("kong", "http")]  # one HTTP listener, on the first Gateway
    attached: dict[tuple[str, str], set[str]] = defaultdict(set)
    routes = [o for o in objects if o["kind"].endswith("Route")]
    for route in routes:
        for ref in route["spec"]["parentRefs"]:
            names = [lst["name"] for lst in gateways[ref["name"]]["spec"]["listeners"]]
            assert ref["sectionName"] in names, f"{route['metadata']['name']}: {ref} names no listener of its Gateway"
            attached[(ref["name"], ref["sectionName"])].add(route["metadata"]["namespace"])
    for name, g in gateways.items():
        for lst in g["spec"]["listeners"]:
            assert admitted(lst) == (attached[(name, lst["name"])] or {"kong"}), (name, lst["name"])
    # linear: one entry per (listener, namespace attached to it), never Gateways x namespaces
    route_namespaces = {r["metadata"]["namespace"] for r in routes}
    assert namespace_entries(objects) == sum(len(v) for v in attached.values())
    assert namespace_entries(objects) <= len(routes) + len(route_namespaces)
    split = [e for e in report.entries if e.status == Status.WARNING and e.subject == "Gateway"]
    assert len(split) == (len(gateways) > 1)


def test_namespace_entries_do_not_grow_with_the_number_of_gateways() -> None:
    """Twice the hosts over the same namespaces: twice the entries (one per HTTPS listener), not the HTTP
    listener's namespaces once more per extra Gateway."""
    _, small, _ = convert(estate(120, 60))
    _, large, _ = convert(estate(240, 60))
    gateways = [sum(o["kind"] == "Gateway" for o in objs) for objs in (small, large)]
    assert gateways == [2, 4]
    assert namespace_entries(small) == 120 + 60 and namespace_entries(large) == 240 + 60


def test_split_output_routes_like_kong_and_is_accepted_by_the_api_server() -> None:
    objs = estate(70, 6, http_only=1, tcp=1)
    loaded, objects, report = convert(objs)
    assert len([o for o in objects if o["kind"] == "Gateway"]) == 2
    result = verify(loaded.docs, objects, options_for_verify(ConvertOptions()))
    assert result.probes and not result.differences
    kinds = {o["kind"] for o in objects}
    for bundle, channel in oracle_targets("v1.3", kinds):
        assert oracle_errors(objects, bundle, channel) == [], f"rejected by Gateway API {bundle} {channel}"
