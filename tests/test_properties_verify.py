"""Property: for random estates, `convert` then `verify` (same options) leaves no unexplained difference.

The estates are those of `tests/test_properties_convert.py` (colliding hosts, paths, names and listeners, a
share of invalid values), plus KongIngresses for `konghq.com/override` on Ingresses and Services.  Every request
`verify` finds routed differently, and every entity Kong would reject in the new configuration, must be
explained by the conversion report: an entry of status warning, unconverted or error on one of the objects
responsible.  The responsible objects are the ones the two outcomes name (`Outcome.sources`; a generated route
stands for the input object it came from, as the report's `output: -> Kind ns/name` entries say; for a failed
TLS handshake, the route that would have taken the request and the objects declaring a certificate for the
host); for a rejection, the source object of the rejected route or service.

One known gap is tolerated, narrowly: `convert` converts `konghq.com/rewrite` as if KIC's RewriteURIs feature
gate were on (the report says so, but as `converted`), while `verify` models KIC's default (gate off: KIC drops
the Kong service of such an Ingress).  A difference that disappears once the verification assumes the gate on is
therefore not counted; every other difference of such an estate still is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from migrate import yamlio
from migrate.convert.options import ConvertOptions, GatewayAPIVersion, RouterFlavor
from migrate.convert.pipeline import run_convert
from migrate.kong.config import KongConfig
from migrate.loader import LoadResult, SourceDoc, parse_text
from migrate.report import Report, Status
from migrate.verify import VerifyOptions, VerifyResult, verify
from migrate.verify.outcome import NO_TLS, Outcome, Request, host_matches
from tests.test_properties_convert import NAMESPACES, SERVICES, _meta, _unique, estates

EXPLAINING = frozenset({Status.WARNING, Status.UNCONVERTED, Status.ERROR})
OUTPUT = re.compile(r"^-> (\w+) ([^/\s]+)/(\S+)$")
REWRITE = "konghq.com/rewrite"
MANAGED_BY = "kong-gateway-migrate"  # the label value of the objects the conversion generates

kong_ingress = st.builds(
    lambda ns, route, proxy, upstream: {
        "apiVersion": "configuration.konghq.com/v1", "kind": "KongIngress",
        "metadata": {"name": "kic", "namespace": ns},
        **({"route": route} if route else {}), **({"proxy": proxy} if proxy else {}),
        **({"upstream": upstream} if upstream else {}),
    },
    st.sampled_from(NAMESPACES),
    st.fixed_dictionaries({}, optional={"methods": st.sampled_from((["GET"], ["get", "POST"], ["G3T"])),
                                        "strip_path": st.booleans(),
                                        "protocols": st.sampled_from((["https"], ["http", "https"], ["grpc"])),
                                        "headers": st.just({"x-tier": ["gold"]}),
                                        "regex_priority": st.just(5),
                                        "preserve_host": st.booleans()}),
    st.fixed_dictionaries({}, optional={"path": st.sampled_from(("/base/", "/")), "retries": st.just(3),
                                        "protocol": st.sampled_from(("http", "grpc"))}),
    st.fixed_dictionaries({}, optional={"algorithm": st.just("round-robin"), "host_header": st.just("up.internal")}),
)
# Services that take their upstream/proxy settings from the KongIngress
overridden_service = st.builds(
    lambda name, ns: {"apiVersion": "v1", "kind": "Service",
                      "metadata": _meta(name, ns, {"konghq.com/override": "kic"}, None),
                      "spec": {"ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}},
    st.sampled_from(SERVICES), st.sampled_from(NAMESPACES),
)

# Estates first: an estate's own Service wins over an overridden one of the same name (`_unique` keeps the first).
verify_estates = st.tuples(estates, st.lists(st.one_of(kong_ingress, overridden_service), max_size=3)).map(
    lambda t: _unique([*t[0], *t[1]]))
verify_options = st.builds(
    lambda version, flavor, source, target: ConvertOptions(gateway_api_version=version, router_flavor=flavor,
                                                           source_kic_major=source, target_kic=target),
    st.sampled_from(list(GatewayAPIVersion)), st.sampled_from(list(RouterFlavor)), st.sampled_from((3, 3, 2)),
    st.sampled_from((None, None, (3, 5, 7))),
)


def options_for_verify(opts: ConvertOptions, *, rewrite_uris: bool = False) -> VerifyOptions:
    """The verification `convert --verify` runs for these conversion options."""
    return VerifyOptions(router_flavor=opts.router_flavor, ingress_classes=opts.ingress_classes,
                         target_kic=opts.target_kic, source_kic=(2, 12, 0) if opts.source_kic_major < 3 else (3, 5, 13),
                         rewrite_uris=rewrite_uris)


@dataclass
class Run:
    docs: list[SourceDoc]
    output: list[dict[str, Any]]  # the objects and Service patches `convert` prints
    report: Report
    result: VerifyResult


def convert_and_verify(objects: list[dict[str, Any]], opts: ConvertOptions) -> Run:
    """Through the real loader (YAML text), the pipeline, and `verify` of the whole output (patches included)."""
    loaded = LoadResult()
    parse_text(yamlio.dump_yaml_documents(objects), "input.yaml", loaded)
    assert not loaded.errors, loaded.errors
    report = Report()
    converted = run_convert(loaded.docs, opts, report)
    output = converted.objects + converted.patches
    return Run(loaded.docs, output, report, verify(loaded.docs, output, options_for_verify(opts)))


def _origins(config: KongConfig) -> dict[str, str]:
    out: dict[str, str] = {}
    for service in config.services:
        out[service.name] = service.origin
        for route in service.routes:
            out[route.name] = route.origin
    return out


def unexplained(result: VerifyResult, report: Report, inputs: list[dict[str, Any]]) -> dict[str, str]:
    """Differences and after-side rejections that no warning/unconverted/error entry of a responsible object
    explains: request (or rejection) -> what happened."""
    produced: dict[str, str] = {}  # "HTTPRoute/ns/name" -> the input object it came from
    explained: set[str] = set()
    for entry in report.entries:
        m = OUTPUT.match(entry.message) if entry.subject == "output" else None
        if m:
            produced[f"{m.group(1)}/{m.group(2)}/{m.group(3)}"] = entry.source.object_id
        if entry.status in EXPLAINING:
            explained.add(entry.source.object_id)

    def objects(origins: tuple[str, ...] | list[str]) -> set[str]:
        ids = {o.split(" ")[0] for o in origins if o}
        return {produced.get(i, i) for i in ids}

    def tls_declared(host: str) -> set[str]:
        out = set()
        for obj in inputs:
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            for entry in spec.get("tls") or []:
                if isinstance(entry, dict) and any(isinstance(h, str) and host_matches(h.lower(), host.lower())
                                                   for h in entry.get("hosts") or []):
                    meta = obj.get("metadata") or {}
                    out.add(f"{obj.get('kind')}/{meta.get('namespace') or 'default'}/{meta.get('name')}")
        return out

    def cotenants(config: KongConfig, origins: set[str]) -> set[str]:
        """The source objects of every route of the Kong services that hold these routes' origins: KIC merges
        the translations of objects sharing a Kong service (e.g. Ingresses with the same Service port), so
        their backends, plugins and failures are those of the service."""
        out = set()
        for service in config.services:
            ids = {r.origin.split(" ")[0] for r in service.routes if r.origin}
            if ids & origins:
                out |= ids
        return out

    def named(outcome: Outcome, req: Request, config: KongConfig) -> set[str]:
        ids = objects(cotenants(config, {o.split(" ")[0] for o in outcome.sources}) | set(outcome.sources))
        if outcome.kind == NO_TLS:
            # the handshake fails before routing: responsible are the route that would have taken the request
            # (the outcome's source) and the objects that declare a certificate for the host
            ids |= tls_declared(req.host)
        return ids

    out: dict[str, str] = {}
    for d in result.differences:
        after = next((side for side, label in zip(result.sides[1:], result.eras, strict=True) if label in d.eras),
                     result.sides[-1])
        responsible = named(d.before, d.request, result.sides[0].config) | named(d.after, d.request, after.config)
        if not responsible & explained:
            out[d.request.describe()] = (f"before {d.before.describe()} {list(d.before.sources)}; after "
                                         f"{d.after.describe()} {list(d.after.sources)} (responsible: "
                                         f"{sorted(responsible)})")
    for side in result.sides[1:]:
        origins = _origins(side.config)
        for r in side.rejections:
            responsible = objects([origins.get(r.route or "", ""), origins.get(r.service or "", "")])
            if not responsible & explained:
                out[f"{side.label}: Kong rejects {r.entity}"] = f"{r.message} (responsible: {sorted(responsible)})"
    return out


def unexplained_differences(objects: list[dict[str, Any]], opts: ConvertOptions) -> dict[str, str]:
    run = convert_and_verify(objects, opts)
    problems = unexplained(run.result, run.report, objects)
    if problems and any(REWRITE in (o.get("metadata") or {}).get("annotations", {}) for o in objects):
        # The known gap (module docstring): keep what still differs with the RewriteURIs gate on.  There the
        # request-transformer KIC generates for the annotation faces the KongPlugin the conversion generates for
        # it; both only replace the URI (the outcome's upstream path), so the latter's name is not a difference.
        generated = {f"KongPlugin {o['metadata'].get('namespace')}/{o['metadata'].get('name')}" for o in run.output
                     if o.get("kind") == "KongPlugin"
                     and (o["metadata"].get("labels") or {}).get("app.kubernetes.io/managed-by") == MANAGED_BY}
        gated = verify(run.docs, run.output, options_for_verify(opts, rewrite_uris=True))
        gated.differences = [d for d in gated.differences if d.before.key() != replace(
            d.after, plugins=tuple(p for p in d.after.plugins if p not in generated)).key()]
        still = unexplained(gated, run.report, objects)
        problems = {k: v for k, v in problems.items() if k in still}
    return problems


@given(verify_estates, verify_options)
def test_convert_then_verify_leaves_no_unexplained_difference(objects: list[dict[str, Any]],
                                                              opts: ConvertOptions) -> None:
    problems = unexplained_differences(objects, opts)
    assert not problems, "differences no report entry explains:\n" + "\n".join(
        f"{k}: {v}" for k, v in list(problems.items())[:10])
