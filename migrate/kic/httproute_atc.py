"""HTTPRoutes as KIC translates them for the expressions router flavor.

Source: Kong/kubernetes-ingress-controller v3.5.13 internal/dataplane/translator/subtranslator/httproute_atc.go
(`SplitHTTPRoute`, `calculateHTTPRouteMatchPriorityTraits`, `EncodeToPriority`,
`assignRoutePriorityToSplitHTTPRouteMatches`, `kongExpressionRouteFromHTTPRouteMatchWithPriority`).

Every (hostname, rule, match) of every valid HTTPRoute is one Kong route named
`httproute.<ns>.<name>.<hostname with * as _, or _>.<rule>.<match>` (a rule without matches counts as one empty
match), in the service its rule belongs to (services as in httproute.py).  Expression = And(host, SNIs from
`konghq.com/snis`, path, headers (sorted by name), query params (sorted), method); empty -> the catch-all
`(net.protocol == "http") || (net.protocol == "https")`.  A PathPrefix match of a rule with a URLRewrite
ReplacePrefixMatch becomes `== p || ~ "^p(/.*)"`.  Priority bits: 2<<44 (HTTPRoute), non-wildcard host <<43,
host length <<35, Exact <<34, RegularExpression <<33, (path length - 1) <<23, method <<22, headers <<17,
query params <<12, plus 4095 for a unique base priority, else 4095 - rank among the ties (oldest route, then
namespace, name, rule, match).  Each route gets its rule's filters as plugins (no path rewrite of the route).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrate.kic.gwcommon import (
    CATCH_ALL_HTTP_EXPRESSION,
    KIND_BITS_HTTPROUTE,
    KIND_BITS_SHIFT,
    age_sort_key,
    annotation_snis,
    as_dict,
    as_list,
    atc_and,
    atc_or,
    atc_pred,
    header_field,
    host_matcher,
    method_matcher,
    opt_str,
    sni_matcher,
)
from migrate.kic.httproute import (
    Draft,
    RuleMeta,
    hostnames_of,
    new_route,
    path_of,
    rules_of,
    set_route_plugins,
)
from migrate.kic.settings import KICSettings
from migrate.kic.store import Obj

RELATIVE_BITS = 12


@dataclass
class SplitMatch:
    route: Obj
    hostname: str
    match: dict[str, Any]
    rule: int
    match_index: int
    priority: int = 0

    @property
    def rule_key(self) -> str:
        return f"{self.route.namespace}/{self.route.name}.{self.rule}"


def split_route(route: Obj) -> list[SplitMatch]:
    out: list[SplitMatch] = []
    for host in hostnames_of(route) or [""]:
        for i, rule in enumerate(rules_of(route)):
            matches = [as_dict(m) for m in as_list(rule.get("matches"))]
            if not matches:
                out.append(SplitMatch(route, host, {}, i, 0))
            for j, m in enumerate(matches):
                out.append(SplitMatch(route, host, m, i, j))
    return out


def base_priority(s: SplitMatch) -> int:
    p = KIND_BITS_HTTPROUTE << KIND_BITS_SHIFT
    if s.hostname:
        p += len(s.hostname.encode()) << 35
        if not s.hostname.startswith("*"):
            p += 1 << 43
    if s.match.get("path") is not None:
        path = as_dict(s.match.get("path"))
        typ = opt_str(path.get("type"))
        if typ == "Exact":
            p += 1 << 34
        elif typ == "RegularExpression":
            p += 1 << 33
        value = opt_str(path.get("value"))
        if value:
            p += (len(value.encode()) - 1) << 23
    p += len(as_list(s.match.get("headers"))) << 17
    if s.match.get("method") is not None:
        p += 1 << 22
    p += len(as_list(s.match.get("queryParams"))) << 12
    return p


def assign_priorities(splits: list[SplitMatch], relative_bits: int, base: Any) -> None:
    top = (1 << relative_bits) - 1
    by_base: dict[int, list[SplitMatch]] = {}
    for s in splits:
        by_base.setdefault(base(s), []).append(s)
    for prio, group in by_base.items():
        if len(group) == 1:
            group[0].priority = prio + top
            continue
        group.sort(key=lambda s: (age_sort_key(s.route)[0], s.route.namespace, s.route.name, s.rule, s.match_index))
        for i, s in enumerate(group):
            s.priority = prio + max(top - i, 0)


def split_with_priorities(routes: list[Obj]) -> dict[str, list[SplitMatch]]:
    """groupHTTPRouteMatchesWithPrioritiesByRule: rule key -> its split matches with priorities."""
    splits = [s for r in routes for s in split_route(r)]
    assign_priorities(splits, RELATIVE_BITS, base_priority)
    out: dict[str, list[SplitMatch]] = {}
    for s in splits:
        out.setdefault(s.rule_key, []).append(s)
    return out


def path_matcher(match: dict[str, Any], prefix_rewrite: bool) -> str:
    pv = path_of(match)
    if pv is None:
        return ""
    typ, value = pv
    if typ == "Exact":
        return atc_pred("http.path", "==", value)
    if typ == "PathPrefix":
        path = "/" if value in ("", "/") else value.removesuffix("/")
        if prefix_rewrite:
            sub = "^/(.*)" if path == "/" else f"^{path}(/.*)"
            return atc_or(atc_pred("http.path", "==", path), atc_pred("http.path", "~", sub))
        if path == "/":
            return atc_pred("http.path", "^=", "/")
        return atc_or(atc_pred("http.path", "==", path), atc_pred("http.path", "^=", path + "/"))
    if typ == "RegularExpression":
        return atc_pred("http.path", "~", value if value.startswith("^") else "^" + value)
    return ""


def header_matcher(headers: list[Any], query: bool = False) -> str:
    items = sorted((as_dict(h) for h in headers), key=lambda h: str(h.get("name") or ""))
    parts = []
    for h in items:
        name = str(h.get("name") or "")
        typ = opt_str(h.get("type")) or "Exact"
        value = str(h.get("value") or "")
        field = f"http.queries.{name}" if query else header_field(name)
        if typ == "Exact":
            parts.append(atc_pred(field, "==", value))
        elif typ == "RegularExpression":
            parts.append(atc_pred(field, "~", value))
    return atc_and(*parts)


def match_matcher(match: dict[str, Any], prefix_rewrite: bool) -> str:
    method = opt_str(match.get("method"))
    return atc_and(path_matcher(match, prefix_rewrite),
                   header_matcher(as_list(match.get("headers"))) if as_list(match.get("headers")) else "",
                   header_matcher(as_list(match.get("queryParams")), query=True)
                   if as_list(match.get("queryParams")) else "",
                   method_matcher([method]) if method is not None else "")


def expression_route(s: SplitMatch, filters: list[dict[str, Any]], protocols: list[str] | None,
                     settings: KICSettings) -> Draft:
    route = s.route
    host_part = s.hostname.replace("*", "_") if s.hostname else "_"
    name = f"httproute.{route.namespace}.{route.name}.{host_part}.{s.rule}.{s.match_index}"
    prefix_rewrite = any(str(f.get("type")) == "URLRewrite"
                         and as_dict(f.get("urlRewrite")).get("path") is not None
                         and as_dict(as_dict(f.get("urlRewrite")).get("path")).get("type") == "ReplacePrefixMatch"
                         for f in filters)
    r = new_route(name, route, protocols, [])
    r.strip_path = False
    snis = annotation_snis(route)
    expression = atc_and(host_matcher([s.hostname]), sni_matcher(snis) if snis else "",
                         match_matcher(s.match, prefix_rewrite))
    r.expression = expression or CATCH_ALL_HTTP_EXPRESSION
    r.priority = s.priority
    d = Draft(r, dict(route.annotations))
    pv = path_of(s.match)
    set_route_plugins(d, filters, pv[1] if pv else "", True, settings)
    return d


def expression_routes(metas: list[RuleMeta], split: dict[str, list[SplitMatch]], protocols: list[str] | None,
                      settings: KICSettings) -> list[Draft]:
    drafts = []
    for m in metas:
        for s in split.get(m.key, []):
            drafts.append(expression_route(s, m.filters, protocols, settings))
    return drafts
