"""Property tests of `convert` over random Ingress/TCPIngress/UDPIngress/Service/KongPlugin sets.

Values are drawn from small pools of valid and invalid ones (bad hosts, ports, paths, annotation values)
so that objects collide on hosts, paths, names and listeners.  For every input: conversion never raises,
its output passes the gwapi-validate oracle, and it is byte-identical across runs and across input orders
(objects are unique by kind/namespace/name: a duplicate is resolved by input order, as documented).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from migrate import yamlio
from migrate.convert.options import ConvertOptions, GatewayAPIVersion, RouterFlavor
from migrate.convert.pipeline import run_convert
from migrate.loader import LoadResult, parse_text
from migrate.report import Report, render_json
from tests.support import oracle_errors, oracle_targets, require_shared


def mostly(valid: tuple[Any, ...], invalid: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """Valid values nine times out of ten: enough invalid ones to exercise errors, enough valid ones
    that most estates produce routes."""
    return st.sampled_from(valid * 9 * max(1, len(invalid)) + invalid * len(valid))


NAMESPACES = ("shop", "billing", "kong")
NAMES = ("web", "api", "a-very-long-name-" + "x" * 40, "x")
SERVICES = ("web", "api", "grpc", "missing")
HOSTS = ("", "shop.example.com", "api.example.com", "*.example.com")
BAD_HOSTS = ("Bad.Example.com", "10.0.0.1", "a" * 64 + ".example.com")
PATHS = ("/", "/api", "/api/", "/api/v1", "/~/items/[0-9]+", "/x/(a|b)", "")
BAD_PATHS = ("api", "/a b", "/~/(")
PATH_TYPES = ("Prefix", "Exact", "ImplementationSpecific", None)
PORTS: tuple[Any, ...] = (80, 8080, 443, "http", "grpc", "8080")
# (a boolean port is a JSON type the API server refuses: the loader refuses the object, tests/test_loader_types.py)
BAD_PORTS: tuple[Any, ...] = (0, 70000, "bad_name", None)
CLASSES = ("kong",)
PLUGINS = ("rate-limit", "auth", "billing:rate-limit", "missing")

ANNOTATIONS: dict[str, tuple[str, ...]] = {
    "konghq.com/strip-path": ("true", "false", "TRUE", "maybe", ""),
    "konghq.com/methods": ("GET", "GET,POST", "get, put", "G3T", "", ","),
    "konghq.com/headers.x-tenant": ("gold", "gold,silver", "~*^g.*$", "", "a,,b"),
    "konghq.com/headers.Bad Name": ("x",),
    "konghq.com/headers-separator": (";", ""),
    "konghq.com/plugins": PLUGINS + ("rate-limit,auth", ",,"),
    "konghq.com/protocols": ("https", "http,https", "grpc,grpcs", "grpcs", "tls_passthrough", "tcp", "bogus",
                             "http,tcp"),
    "konghq.com/https-redirect-status-code": ("301", "302", "308", "426", "999", "abc"),
    "konghq.com/preserve-host": ("true", "false", "nope"),
    "konghq.com/regex-priority": ("10", "-5", "x"),
    "konghq.com/host-aliases": ("alias.example.com", "alias.example.com,Bad Alias", ""),
    "konghq.com/path-handling": ("v0", "v1", "v9"),
    "konghq.com/rewrite": ("/new", "/new/$1", "no-slash"),
    "konghq.com/snis": ("shop.example.com", ""),
    "konghq.com/request-buffering": ("false", "x"),
    "konghq.com/response-buffering": ("true",),
    "konghq.com/tags": ("a,b",),
    "konghq.com/regex-prefix": ("/~", "/re:"),
    "konghq.com/override": ("kic", "missing"),
    "konghq.com/connect-timeout": ("1000", "-1"),
    "konghq.com/unknown-annotation": ("x",),
    "ingress.kubernetes.io/force-ssl-redirect": ("true", "false"),
    "kubernetes.io/ingress.class": ("kong", "nginx"),
}

annotations = st.dictionaries(st.sampled_from(sorted(ANNOTATIONS)), st.just(""), max_size=5).flatmap(
    lambda keys: st.fixed_dictionaries({k: st.sampled_from(ANNOTATIONS[k]) for k in keys})
)


def _backend(service: str, port: Any) -> dict[str, Any]:
    if isinstance(port, int) and not isinstance(port, bool):
        return {"service": {"name": service, "port": {"number": port}}}
    return {"service": {"name": service, "port": {"name": port}}}


http_path = st.builds(
    lambda path, path_type, service, port: {
        k: v for k, v in (("path", path), ("pathType", path_type), ("backend", _backend(service, port)))
        if v is not None
    },
    mostly(PATHS, BAD_PATHS), mostly(PATH_TYPES, ("Regex",)), st.sampled_from(SERVICES), mostly(PORTS, BAD_PORTS),
)
rule = st.builds(lambda host, paths: {**({"host": host} if host else {}), "http": {"paths": paths}},
                 mostly(HOSTS, BAD_HOSTS), st.lists(http_path, min_size=1, max_size=3))
tls = st.builds(lambda hosts, secret: {"hosts": hosts, "secretName": secret},
                st.lists(mostly(HOSTS[1:], BAD_HOSTS[:1]), max_size=2, unique=True),
                st.sampled_from(("shop-tls", "wild-tls", "")))


def _meta(name: str, ns: str, ann: dict[str, str], created: int | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if ann:
        meta["annotations"] = ann
    if created is not None:
        meta["creationTimestamp"] = f"2024-01-{created:02d}T00:00:00Z"
    return meta


ingress = st.builds(
    lambda name, ns, ann, created, cls, api, rules, tls_entries, default: {
        "apiVersion": api, "kind": "Ingress", "metadata": _meta(name, ns, ann, created),
        "spec": {k: v for k, v in (("ingressClassName", cls), ("rules", rules), ("tls", tls_entries),
                                   ("defaultBackend", default)) if v},
    },
    st.sampled_from(NAMES), st.sampled_from(NAMESPACES), annotations, st.none() | st.integers(1, 3),
    mostly(CLASSES, (None, "nginx")),
    mostly(("networking.k8s.io/v1",), ("networking.k8s.io/v1beta1", "networking.k8s.io/v2")),
    st.lists(rule, min_size=1, max_size=3), st.lists(tls, max_size=2),
    st.none() | st.builds(_backend, st.sampled_from(SERVICES), mostly(PORTS, BAD_PORTS)),
)

l4_rule = st.builds(
    lambda host, port, service, sport: {**({"host": host} if host else {}), "port": port,
                                        "backend": {"serviceName": service, "servicePort": sport}},
    mostly(("", "db.example.com"), ("Bad_Host",)), mostly((9000, 9001, 53), (0, 70000)),  # "x": a type error
    st.sampled_from(SERVICES), st.sampled_from((5432, 53, 0, "dns")),
)
l4_ingress = st.builds(
    lambda kind, name, ns, rules, protocols: {
        "apiVersion": "configuration.konghq.com/v1beta1", "kind": kind,
        "metadata": _meta(name, ns, {"kubernetes.io/ingress.class": "kong", **protocols}, None),
        "spec": {"rules": rules},
    },
    st.sampled_from(("TCPIngress", "UDPIngress")), st.sampled_from(NAMES), st.sampled_from(NAMESPACES),
    st.lists(l4_rule, max_size=2), st.sampled_from(({}, {"konghq.com/protocols": "tls_passthrough"})),
)

service = st.builds(
    lambda name, ns, ports, ann: {
        "apiVersion": "v1", "kind": "Service", "metadata": _meta(name, ns, ann, None),
        "spec": {"ports": [{"name": pname, "port": port, "protocol": proto} for pname, port, proto in ports]},
    },
    st.sampled_from(SERVICES), st.sampled_from(NAMESPACES),
    st.lists(st.tuples(st.sampled_from(("http", "grpc", "dns", "")), st.sampled_from((80, 8080, 5432, 53)),
                       st.sampled_from(("TCP", "UDP"))), max_size=2, unique_by=lambda p: p[0]),
    st.sampled_from(({}, {"konghq.com/protocol": "grpc"}, {"konghq.com/path": "/base"},
                     {"konghq.com/protocol": "bogus"})),
)

plugin = st.builds(
    lambda name, ns: {"apiVersion": "configuration.konghq.com/v1", "kind": "KongPlugin",
                      "metadata": {"name": name, "namespace": ns}, "plugin": "rate-limiting",
                      "config": {"minute": 5}},
    st.sampled_from(("rate-limit", "auth")), st.sampled_from(NAMESPACES),
)


def _unique(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for obj in objects:
        meta = obj["metadata"]
        seen.setdefault((obj["kind"], meta["namespace"], meta["name"]), obj)
    return list(seen.values())


estates = st.lists(st.one_of(ingress, ingress, l4_ingress, service, plugin), min_size=1, max_size=8).map(_unique)
options = st.builds(
    lambda version, flavor: ConvertOptions(gateway_api_version=version, router_flavor=flavor),
    st.sampled_from(list(GatewayAPIVersion)), st.sampled_from(list(RouterFlavor)),
)


def convert(objects: list[dict[str, Any]], opts: ConvertOptions) -> tuple[list[dict[str, Any]], str, str]:
    """Through the real loader (YAML text) and pipeline: output objects, output text and JSON report."""
    loaded = LoadResult()
    parse_text(yamlio.dump_yaml_documents(objects), "input.yaml", loaded)
    assert not loaded.errors, loaded.errors
    report = Report()
    result = run_convert(loaded.docs, opts, report)
    out = result.objects + result.patches
    return out, yamlio.dump_yaml_documents(out), render_json(report)


@given(estates, options)
def test_convert_never_raises_and_output_passes_the_oracle(objects: list[dict[str, Any]],
                                                           opts: ConvertOptions) -> None:
    require_shared("tools", "gwapi_validate.py")
    out, _, _ = convert(objects, opts)
    kinds = {o["kind"] for o in out}
    for bundle, channel in oracle_targets(opts.gateway_api_version.value, kinds):
        assert oracle_errors(out, bundle, channel) == [], f"rejected by Gateway API {bundle} {channel}"


@given(estates, options, st.randoms(use_true_random=False))
def test_output_is_deterministic_and_independent_of_input_order(objects: list[dict[str, Any]],
                                                                opts: ConvertOptions, rnd: Any) -> None:
    _, first, report = convert(objects, opts)
    _, again, report_again = convert(objects, opts)
    assert again == first and report_again == report
    shuffled = list(objects)
    rnd.shuffle(shuffled)
    _, permuted, _ = convert(shuffled, opts)
    assert permuted == first
