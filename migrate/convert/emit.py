"""Route drafts → Gateway API objects: split at API limits, name uniquely, render per API version."""

from __future__ import annotations

from collections import Counter
from typing import Any

from migrate.convert.drafts import MatchDraft, RouteDraft, RuleDraft
from migrate.convert.gwapi import GROUP, api_version
from migrate.convert.naming import assign_unique, bounded, join
from migrate.convert.options import ConvertOptions
from migrate.report import Report, Status

MAX_RULES = 16
MAX_MATCHES_PER_RULE = 64
MAX_MATCHES_PER_ROUTE = 128
MAX_HOSTNAMES = 16
MAX_PARENT_REFS = 32
L4_KINDS = ("TCPRoute", "UDPRoute", "TLSRoute")
KIND_ORDER = {k: i for i, k in enumerate(("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"))}


def _split_rule(rule: RuleDraft) -> list[RuleDraft]:
    limit = 1 if rule.one_match_per_rule else MAX_MATCHES_PER_RULE
    if len(rule.matches) <= limit:
        return [rule]
    return [
        RuleDraft(matches=rule.matches[i:i + limit], backends=list(rule.backends), filters=list(rule.filters),
                  one_match_per_rule=rule.one_match_per_rule, timeouts=rule.timeouts)
        for i in range(0, len(rule.matches), limit)
    ]


def split_route(draft: RouteDraft) -> list[RouteDraft]:
    """Lossless split at Gateway API limits: matches are ORed, so spreading them over rules/routes is safe."""
    rules = [r for rule in draft.rules for r in _split_rule(rule)]
    max_rules = 1 if draft.kind in L4_KINDS else MAX_RULES
    packs: list[list[RuleDraft]] = []
    current: list[RuleDraft] = []
    count = 0
    for rule in rules:
        n = len(rule.matches)
        if current and (len(current) >= max_rules or count + n > MAX_MATCHES_PER_ROUTE):
            packs.append(current)
            current, count = [], 0
        current.append(rule)
        count += n
    if current:
        packs.append(current)
    host_chunks = [draft.hostnames[i:i + MAX_HOSTNAMES] for i in range(0, len(draft.hostnames), MAX_HOSTNAMES)]
    parts: list[RouteDraft] = []
    for hi, hosts in enumerate(host_chunks or [[]]):
        for ri, pack in enumerate(packs):
            n = len(parts) + 1
            parts.append(RouteDraft(
                kind=draft.kind, namespace=draft.namespace,
                name=draft.name if n == 1 else f"{draft.name}-{n}",
                source=draft.source, hostnames=hosts, sections=list(draft.sections),
                annotations=dict(draft.annotations), rules=pack, identity=(*draft.identity, str(hi), str(ri)),
            ))
    return parts


def _match_dict(m: MatchDraft) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if m.grpc is not None:
        d["method"] = dict(m.grpc)
    elif m.path is not None:
        d["path"] = m.path.as_dict()
    if m.method:
        d["method"] = m.method
    if m.headers:
        d["headers"] = [h.as_dict() for h in m.headers]
    return d


def _rule_dict(rule: RuleDraft, kind: str) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if kind not in L4_KINDS:
        matches = [_match_dict(m) for m in rule.matches]
        matches = [m for m in matches if m]
        if matches:
            d["matches"] = matches
        if rule.filters:
            d["filters"] = [dict(f) for f in rule.filters]
    if rule.backends:
        refs = []
        for b in rule.backends:
            ref: dict[str, Any] = {"name": b.name, "port": b.port}
            if b.namespace:
                ref["namespace"] = b.namespace
            refs.append(ref)
        d["backendRefs"] = refs
    if rule.timeouts:
        d["timeouts"] = dict(rule.timeouts)
    return d


def render_routes(drafts: list[RouteDraft], owner: dict[str, str], options: ConvertOptions,
                  report: Report) -> list[dict[str, Any]]:
    parts = [part for d in drafts for part in split_route(d)]
    pieces_per_draft = Counter(p.identity[:-2] for p in parts)
    for d in drafts:
        pieces = pieces_per_draft[d.identity]
        if pieces > 1:
            report.add(d.source, Status.CONVERTED, d.kind,
                       f"split into {pieces} {d.kind}s to stay within Gateway API limits "
                       f"({MAX_RULES} rules, {MAX_MATCHES_PER_ROUTE} matches, {MAX_HOSTNAMES} hostnames per route)")
    names = assign_unique(
        (p.identity, f"{p.kind}/{p.namespace}", bounded(p.name, "/".join(p.identity))) for p in parts
    )
    out: list[dict[str, Any]] = []
    for part in parts:
        if not part.sections:
            report.add(part.source, Status.UNCONVERTED, part.kind,
                       f"no listener of the Gateway accepts route {part.namespace}/{names[part.identity]}",
                       "check konghq.com/protocols and the TLS hosts")
        parent_refs = []
        for section in part.sections[:MAX_PARENT_REFS]:
            ref: dict[str, Any] = {"group": GROUP, "kind": "Gateway", "name": owner.get(section, options.gateway_name)}
            if part.namespace != options.gateway_namespace:
                ref["namespace"] = options.gateway_namespace
            ref["sectionName"] = section
            parent_refs.append(ref)
        if len(part.sections) > MAX_PARENT_REFS:
            report.add(part.source, Status.WARNING, part.kind,
                       f"attaches to {len(part.sections)} listeners; only the first {MAX_PARENT_REFS} are referenced "
                       "(Kong serves HTTP routes on every HTTP(S) listen regardless)")
        report.add(part.source, Status.INFO, "output", f"-> {part.kind} {part.namespace}/{names[part.identity]}")
        meta: dict[str, Any] = {"name": names[part.identity], "namespace": part.namespace}
        if part.annotations:
            meta["annotations"] = dict(part.annotations)
        spec: dict[str, Any] = {"parentRefs": parent_refs}
        if part.hostnames:
            spec["hostnames"] = list(part.hostnames)
        spec["rules"] = [_rule_dict(r, part.kind) for r in part.rules]
        out.append({"apiVersion": api_version(part.kind, options.gateway_api_version), "kind": part.kind,
                    "metadata": meta, "spec": spec})
    out.sort(key=lambda o: (o["metadata"]["namespace"], KIND_ORDER.get(o["kind"], 99), o["metadata"]["name"]))
    return out


__all__ = ["render_routes", "split_route", "join"]
