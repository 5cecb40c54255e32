"""HTTPRoutes as KIC translates them (traditional router flavors; expressions in httproute_atc.py).

Source: Kong/kubernetes-ingress-controller v3.5.13 internal/dataplane/translator/translate_httproute.go and
subtranslator/httproute.go (version differences: migrate/kic/gwcommon.py).

* Validation (`validateHTTPRoute`): no rules -> "HTTPRoute can't be routed: no rules provided"; a queryParams
  match outside the expressions flavor -> "HTTPRoute can't be routed: query param matches are not yet supported".
  Nothing of such a route is translated.
* Services (`groupRulesFromHTTPRoutesByKongServiceName`): rules of one HTTPRoute with the same backendRefs (as a
  multiset) share a Kong service `httproute.<ns>.<name>.<first rule index>`; with KIC's
  `--combined-services-from-different-httproutes` (default off; `combined_services` setting when present) rules
  of all HTTPRoutes of a namespace group by backends into `httproute.<ns>.svc.<ns>.<name>.<port>.<weight>_...`.
  The service takes the backends of its first rule (rules sorted by the string `<ns>/<name>.<index>`), gets
  a `request-termination` 500 plugin when none resolves, and `timeouts.backendRequest` (the last rule setting a
  non-default value wins) on all three timeouts.  A group whose routes fail to translate is dropped and every
  HTTPRoute in it gets "HTTPRoute can't be routed: <errors joined by newlines>"; the route's other services stay.
* Routes: within a service, rules group by filters, then matches by (route, method, headers, query params); one
  Kong route per match group named after its first match `httproute.<ns>.<name>.<rule>.<match>` with the paths
  of all its matches, `preserve_host: true`, `strip_path: false`, hosts = spec.hostnames, headers of the first
  match, methods.  A rule without matches gives a route with hosts only and no filters applied.  A rule with a
  RequestRedirect gives one route per match, each carrying the paths and plugins of all earlier matches too
  (KIC appends to one shared route); all of them share one name.
* Filters -> plugins (`generatePluginsFromHTTPRouteFilters`): RequestHeaderModifier -> request-transformer
  (set = replace + add, add = append, remove); ResponseHeaderModifier -> response-transformer; URLRewrite ->
  request-transformer (`replace.uri`; ReplacePrefixMatch also replaces the route's paths by `~<p>$`,
  `~<p>(/.*)`; hostname -> replace+add `host:`); RequestRedirect -> `redirect` (Kong >= 3.9) or
  request-termination + response-transformer `Location` header.  Transformers of one type merge; plugin order:
  redirect/termination first, then transformers by name.

Contract with the fill phase (migrate/kic/kongstate.py): `Route.k8s` is the HTTPRoute as KIC's per-route
object info sees it.  KIC turns ExtensionRef filters (group configuration.konghq.com, kind KongPlugin) into the
route's `konghq.com/plugins` annotation (`generateKongRouteModifierFromExtensionRef`, appended after any
existing value), so such a route's `k8s` is a copy of the HTTPRoute whose annotations carry that value; the
fill phase resolves plugins and every other annotation from `Route.k8s.annotations` exactly as for Ingresses.
Generated plugins have identity `generated:<plugin name>`.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from migrate.kic import parents
from migrate.kic.gwcommon import (
    DEFAULT_TIMEOUT_MS,
    TERMINATION_CONFIG,
    alternative_protocols,
    as_dict,
    as_list,
    backend_tuples,
    expression_http_protocols,
    go_duration_ms,
    listener_protocols,
    opt_int,
    opt_str,
    redirect_plugin,
    resolve_backends,
    unsupported_filter,
)
from migrate.kic.settings import KICSettings
from migrate.kic.store import Obj, Store
from migrate.kong.config import Plugin, Route, Service, TranslationFailure

MAX_SERVICE_NAME = 511
PLUGINS_ANNOTATION = "konghq.com/plugins"


class RouteError(Exception):
    """A translation error of a rule group (KIC returns it up to the HTTPRoute's failure)."""


@dataclass
class RuleMeta:
    route: Obj
    number: int
    rule: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.route.namespace}/{self.route.name}.{self.number}"

    @property
    def filters(self) -> list[dict[str, Any]]:
        return [as_dict(f) for f in as_list(self.rule.get("filters"))]

    @property
    def matches(self) -> list[dict[str, Any]]:
        return [as_dict(m) for m in as_list(self.rule.get("matches"))]

    @property
    def backend_refs(self) -> list[dict[str, Any]]:
        return [as_dict(b) for b in as_list(self.rule.get("backendRefs"))]

    @property
    def name(self) -> str:
        return opt_str(self.rule.get("name")) or ""


def rules_of(route: Obj) -> list[dict[str, Any]]:
    return [as_dict(r) for r in as_list(route.spec.get("rules"))]


def hostnames_of(route: Obj) -> list[str]:
    return [str(h) for h in as_list(route.spec.get("hostnames"))]


# one encoder for every key: json.dumps with options builds a new encoder per call
_KEY_ENCODER = json.JSONEncoder(sort_keys=True, default=str)


def _json_key(value: Any) -> str:
    return _KEY_ENCODER.encode(value)


def sorted_items_key(items: list[Any]) -> str:
    """getSortedItemsString: the items' JSON, sorted, joined (order-insensitive)."""
    return ";".join(sorted(_json_key(i) for i in items))


# --- validation and grouping ------------------------------------------------------------------------------

def validate(route: Obj, expressions: bool) -> str | None:
    if not rules_of(route):
        return "no rules provided"
    if not expressions:
        for rule in rules_of(route):
            for match in as_list(rule.get("matches")):
                if as_list(as_dict(match).get("queryParams")):
                    return "query param matches are not yet supported"
    return None


def combined_service_name(meta: RuleMeta) -> str:
    """getKongServiceNameByBackendRefs (--combined-services-from-different-httproutes)."""
    import hashlib

    ns = meta.route.namespace
    refs = meta.backend_refs
    if not refs:
        return f"httproute.{ns}.svc._"
    names = []
    for ref in refs:
        bns = opt_str(ref.get("namespace"))
        full = f"{bns if bns is not None else ns}.{ref.get('name') or ''}"
        port = opt_int(ref.get("port"))
        if port is not None:
            full += f".{port}"
        weight = opt_int(ref.get("weight"))
        if weight is not None:
            full += f".{weight}"
        names.append(full)
    names.sort()
    name = f"httproute.{ns}.svc.{'_'.join(names)}"
    if len(name) > MAX_SERVICE_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()
        return f"httproute.{ns}.svc.{names[0]}_combined.{digest}"
    return name


def group_rules(routes: list[Obj], combined: bool) -> dict[str, list[RuleMeta]]:
    groups: dict[str, list[RuleMeta]] = {}
    for route in routes:
        metas = [RuleMeta(route, i, r) for i, r in enumerate(rules_of(route))]
        if combined:
            for m in metas:
                groups.setdefault(combined_service_name(m), []).append(m)
            continue
        by_backends: dict[str, list[RuleMeta]] = {}
        for m in metas:
            by_backends.setdefault(sorted_items_key(m.backend_refs), []).append(m)
        for group in by_backends.values():
            groups[f"httproute.{route.namespace}.{route.name}.{group[0].number}"] = group
    return groups


# --- filters -> plugins -----------------------------------------------------------------------------------

@dataclass
class Transformer:
    type: str  # request-transformer | response-transformer
    replace_headers: list[str] = field(default_factory=list)
    replace_uri: str = ""
    add: list[str] = field(default_factory=list)
    append: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)

    def merge(self, other: Transformer) -> None:
        """mergo.Merge(WithAppendSlice): slices append, a set URI stays."""
        self.replace_headers += other.replace_headers
        self.replace_uri = self.replace_uri or other.replace_uri
        self.add += other.add
        self.append += other.append
        self.remove += other.remove

    def plugin(self) -> Plugin:
        config: dict[str, Any] = {}
        replace: dict[str, Any] = {}
        if self.replace_headers:
            replace["headers"] = list(self.replace_headers)
        if self.replace_uri:
            replace["uri"] = self.replace_uri
        if replace:
            config["replace"] = replace
        for key, headers in (("add", self.add), ("append", self.append), ("remove", self.remove)):
            if headers:
                config[key] = {"headers": list(headers)}
        return Plugin(name=self.type, config=config, identity=f"generated:{self.type}")


def header(key: str, value: str) -> str:
    return f"{key}:{value}" if value != "" else key


def _header_modifier(modifier: dict[str, Any], typ: str) -> Transformer:
    t = Transformer(typ)
    if modifier.get("set") is not None:
        sets = [header(str(as_dict(h).get("name") or ""), str(as_dict(h).get("value") or ""))
                for h in as_list(modifier.get("set"))]
        t.replace_headers = list(sets)
        t.add = list(sets)
    if modifier.get("add") is not None:
        t.append = [header(str(as_dict(h).get("name") or ""), str(as_dict(h).get("value") or ""))
                    for h in as_list(modifier.get("add"))]
    if modifier.get("remove") is not None:
        t.remove = [str(h) for h in as_list(modifier.get("remove"))]
    return t


def go_path_clean(path: str) -> str:
    """Go's path.Clean."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    cleaned = "/".join(out)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def go_path_join(*elems: str) -> str:
    live = [e for e in elems if e != ""]
    return go_path_clean("/".join(live)) if live else ""


def _scheme_host_port(redirect: dict[str, Any]) -> tuple[str, str]:
    scheme = opt_str(redirect.get("scheme"))
    hostname = opt_str(redirect.get("hostname")) or ""
    port = opt_int(redirect.get("port"))
    return (scheme if scheme is not None else "http"), hostname + (f":{port}" if port is not None else "")


def _full_path(redirect: dict[str, Any]) -> str | None:
    p = as_dict(redirect.get("path"))
    if redirect.get("path") is not None and p.get("type") == "ReplaceFullPath":
        return opt_str(p.get("replaceFullPath"))
    return None


def _location(redirect: dict[str, Any], path: str) -> str:
    """KIC's Location: scheme://host[:port]/path when the filter names a hostname, else only the path (relative:
    KIC issue #6856)."""
    if redirect.get("hostname") is None:
        return path
    scheme, host_port = _scheme_host_port(redirect)
    location = go_path_join(host_port, path)
    return f"{scheme}://{location}" if scheme else location


def _redirect_plugins(redirect: dict[str, Any], path: str, use_redirect_plugin: bool
                      ) -> tuple[Plugin, Transformer | None]:
    status = opt_int(redirect.get("statusCode"))
    full = _full_path(redirect)
    if use_redirect_plugin:
        target, keep = ("/", True) if full is None else (full, False)
        return Plugin(name="redirect", config={"status_code": status, "location": _location(redirect, target),
                                               "keep_incoming_path": keep},
                      identity="generated:redirect"), None
    location = _location(redirect, full if full is not None else path)
    termination = Plugin(name="request-termination", config={"status_code": status},
                         identity="generated:request-termination")
    return termination, Transformer("response-transformer", add=[header("Location", location)])


def normalize_path(path: str) -> str:
    return "/" if path in ("", "/") else path.removesuffix("/")


def prefix_rewrite_uri(replace: str | None, path: str) -> str:
    """generateRequestTransformerReplaceURIForURLRewritePrefixMatch."""
    if replace is None:
        return "/"
    replace = replace.removesuffix("/")
    root = path == "/"
    if replace == "":
        if root:
            return '$(uri_captures[1] == nil and "/" or "/" .. uri_captures[1])'
        return '$(uri_captures[1] == nil and "/" or uri_captures[1])'
    if root:
        return f'{replace}$(uri_captures[1] == nil and "" or "/" .. uri_captures[1])'
    return f"{replace}$(uri_captures[1])"


@dataclass
class Draft:
    """A Kong route under construction plus the annotations of its object info (may be shared)."""

    route: Route
    annotations: dict[str, str]


Modifier = Callable[[Draft], None]


def _prefix_paths_modifier(path: str) -> Modifier:
    def apply(d: Draft) -> None:
        d.route.paths = [f"~{path}$", "~/(.*)" if path == "/" else f"~{path}(/.*)"]
    return apply


def _extension_modifier(names: list[str]) -> Modifier:
    value = ",".join(names)

    def apply(d: Draft) -> None:
        old = d.annotations.get(PLUGINS_ANNOTATION)
        d.annotations[PLUGINS_ANNOTATION] = value if old is None else f"{old},{value}"
    return apply


def filter_plugins(filters: list[dict[str, Any]], path: str, expressions: bool, settings: KICSettings
                   ) -> tuple[list[Plugin], list[Modifier]]:
    """generatePluginsFromHTTPRouteFilters; RouteError with KIC's message on an unsupported filter."""
    if not filters:
        return [], []
    transformers: list[Transformer] = []
    plugins: list[Plugin] = []
    extension_names: list[str] = []
    modifiers: list[Modifier] = []
    for f in filters:
        typ = str(f.get("type") or "")
        if typ == "RequestHeaderModifier":
            transformers.append(_header_modifier(as_dict(f.get("requestHeaderModifier")), "request-transformer"))
        elif typ == "ResponseHeaderModifier":
            transformers.append(_header_modifier(as_dict(f.get("responseHeaderModifier")),
                                                 "response-transformer"))
        elif typ == "RequestRedirect":
            plugin, transformer = _redirect_plugins(as_dict(f.get("requestRedirect")), path,
                                                    redirect_plugin(settings))
            plugins.append(plugin)
            if transformer is not None:
                transformers.append(transformer)
        elif typ == "ExtensionRef":
            ref = as_dict(f.get("extensionRef"))
            group, kind = str(ref.get("group") or ""), str(ref.get("kind") or "")
            if group != "configuration.konghq.com" or kind != "KongPlugin":
                raise RouteError(f"plugin {group}/{kind} unsupported")
            extension_names.append(str(ref.get("name") or ""))
        elif typ == "URLRewrite":
            ts, mods = _url_rewrite(f.get("urlRewrite"), path, expressions)
            transformers += ts
            modifiers += mods
        elif unsupported_filter(settings, typ):
            raise RouteError(f"httpFilter {typ} unsupported")
    merged: dict[str, Transformer] = {}
    for t in transformers:
        if t.type in merged:
            merged[t.type].merge(t)
        else:
            merged[t.type] = Transformer(t.type, list(t.replace_headers), t.replace_uri, list(t.add),
                                         list(t.append), list(t.remove))
    plugins += [merged[k].plugin() for k in sorted(merged)]
    if extension_names:
        modifiers.append(_extension_modifier(extension_names))
    return plugins, modifiers


def _url_rewrite(raw: Any, path: str, expressions: bool) -> tuple[list[Transformer], list[Modifier]]:
    if not isinstance(raw, dict):
        raise RouteError("URLRewrite is not provided")
    if raw.get("path") is None and raw.get("hostname") is None:
        raise RouteError("URLRewrite missing Path and Hostname")
    transformers: list[Transformer] = []
    modifiers: list[Modifier] = []
    if raw.get("path") is not None:
        p = as_dict(raw.get("path"))
        typ = str(p.get("type") or "")
        prefix = "failed to generate request-transformer plugin for Path: "
        if typ == "ReplaceFullPath":
            full = opt_str(p.get("replaceFullPath"))
            if full is None:
                raise RouteError(prefix + "failed to generate request-transformer plugin for URLRewrite: "
                                 "URLRewrite missing ReplaceFullPath")
            transformers.append(Transformer("request-transformer", replace_uri=full))
        elif typ == "ReplacePrefixMatch":
            norm = normalize_path(path)
            transformers.append(Transformer("request-transformer",
                                            replace_uri=prefix_rewrite_uri(opt_str(p.get("replacePrefixMatch")),
                                                                           norm)))
            if not expressions:
                modifiers.append(_prefix_paths_modifier(norm))
        else:
            raise RouteError(prefix + f"unsupported path type {typ} for URLRewrite")
    if raw.get("hostname") is not None:
        host = [header("host", str(raw.get("hostname")))]
        transformers.append(Transformer("request-transformer", replace_headers=list(host), add=list(host)))
    return transformers, modifiers


def set_route_plugins(d: Draft, filters: list[dict[str, Any]], path: str, expressions: bool,
                      settings: KICSettings) -> None:
    plugins, modifiers = filter_plugins(filters, path, expressions, settings)
    d.route.plugins.extend(plugins)
    for mod in modifiers:
        mod(d)


# --- traditional routes ------------------------------------------------------------------------------------

def path_of(match: dict[str, Any]) -> tuple[str, str] | None:
    """(type, value) of a match's path; an unset type/value reads as the CRD default (PathPrefix, "/")."""
    if match.get("path") is None:
        return None
    p = as_dict(match.get("path"))
    typ = opt_str(p.get("type"))
    value = opt_str(p.get("value"))
    return (typ if typ is not None else "PathPrefix"), (value if value is not None else "/")


def kong_paths(match: dict[str, Any]) -> list[str]:
    """generateKongRoutePathFromHTTPRouteMatch."""
    pv = path_of(match)
    if pv is None:
        return []
    typ, value = pv
    if typ == "Exact":
        return [f"~{value}$"]
    if typ == "PathPrefix":
        return [f"~{value}$", value if value.endswith("/") else value + "/"]
    if typ == "RegularExpression":
        return [f"~{value}"]
    return [""]


def kong_headers(headers: list[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for h in headers:
        hd = as_dict(h)
        name = str(hd.get("name") or "")
        if name in out:
            raise RouteError(f"multiple header matches for the same header are not allowed: {name}")
        typ = opt_str(hd.get("type"))
        value = str(hd.get("value") or "")
        if typ == "RegularExpression":
            out[name] = ["~*" + value]
        elif typ is None or typ == "Exact":
            out[name] = [value]
        else:
            raise RouteError(f"unknown/unsupported header match type: {typ}")
    return out


def match_key(route: Obj, match: dict[str, Any]) -> str:
    """httpRouteMatchMeta.getKey: same route, method, headers (names lower-cased, first of a name kept,
    sorted) and query params (first of a name kept) share a Kong route."""
    seen: set[str] = set()
    headers = []
    for h in as_list(match.get("headers")):
        hd = dict(as_dict(h))
        name = str(hd.get("name") or "").lower()
        hd["name"] = name
        if name in seen:
            continue
        seen.add(name)
        headers.append(hd)
    headers.sort(key=lambda x: x["name"])
    seen_q: set[str] = set()
    query = []
    for q in as_list(match.get("queryParams")):
        qd = as_dict(q)
        qn = str(qd.get("name") or "")
        if qn in seen_q:
            continue
        seen_q.add(qn)
        query.append(qd)
    return _json_key([route.namespace, route.name, match.get("method"), headers, query])


def new_route(name: str, route_obj: Obj, protocols: list[str] | None, hostnames: list[str]) -> Route:
    return Route(name=name, protocols=list(protocols) if protocols is not None else None,
                 hosts=list(hostnames) or None, preserve_host=True, origin=route_obj.object_id)


def snapshot(d: Draft) -> Draft:
    r = copy.copy(d.route)
    r.paths = list(d.route.paths) if d.route.paths is not None else None
    r.methods = list(d.route.methods) if d.route.methods is not None else None
    r.plugins = list(d.route.plugins)
    return Draft(r, d.annotations)


def routes_from_matches(name: str, matches: list[dict[str, Any]], filters: list[dict[str, Any]], route_obj: Obj,
                        protocols: list[str] | None, settings: KICSettings) -> list[Draft]:
    """GenerateKongRoutesFromHTTPRouteMatches (traditional)."""
    annotations = dict(route_obj.annotations)
    hostnames = hostnames_of(route_obj)
    if not matches:
        return [Draft(new_route(name, route_obj, protocols, hostnames), annotations)]
    d = Draft(new_route(name, route_obj, protocols, hostnames), annotations)
    d.route.headers = kong_headers(as_list(matches[0].get("headers"))) or None
    d.route.strip_path = False
    has_redirect = any(str(f.get("type")) == "RequestRedirect" for f in filters)
    out: list[Draft] = []
    seen_methods: set[str] = set()
    for match in matches:
        paths = kong_paths(match)
        if paths:
            d.route.paths = (d.route.paths or []) + paths
        method = opt_str(match.get("method"))
        if method is not None and method not in seen_methods:
            d.route.methods = (d.route.methods or []) + [method]
            seen_methods.add(method)
        if has_redirect:
            pv = path_of(match)
            set_route_plugins(d, filters, pv[1] if pv else "", False, settings)
            out.append(snapshot(d))
    if has_redirect:
        return out
    path = ""
    if any(str(f.get("type")) == "URLRewrite" and as_dict(as_dict(f.get("urlRewrite")).get("path")).get("type")
           == "ReplacePrefixMatch" and opt_str(as_dict(as_dict(f.get("urlRewrite")).get("path"))
                                                .get("replacePrefixMatch")) is not None for f in filters):
        pv = path_of(matches[0])
        if pv is not None:
            path = pv[1]
    set_route_plugins(d, filters, path, False, settings)
    return [d]


def traditional_routes(metas: list[RuleMeta], protocols: list[str] | None, settings: KICSettings) -> list[Draft]:
    by_filters: dict[str, list[RuleMeta]] = {}
    for m in metas:
        by_filters.setdefault(sorted_items_key(m.filters), []).append(m)
    drafts: list[Draft] = []
    for group in by_filters.values():
        filters = group[0].filters
        match_groups: dict[str, list[tuple[RuleMeta, int, dict[str, Any]]]] = {}
        for m in group:
            rule_groups: dict[str, list[tuple[RuleMeta, int, dict[str, Any]]]] = {}
            for i, match in enumerate(m.matches):
                rule_groups.setdefault(match_key(m.route, match), []).append((m, i, match))
            for k, g in rule_groups.items():
                match_groups.setdefault(k, []).extend(g)
            if not rule_groups:
                r = m.route
                drafts += routes_from_matches(f"httproute.{r.namespace}.{r.name}.{m.number}.0", [], filters, r,
                                              protocols, settings)
        for g in match_groups.values():
            first, idx, _ = g[0]
            r = first.route
            drafts += routes_from_matches(f"httproute.{r.namespace}.{r.name}.{first.number}.{idx}",
                                          [x[2] for x in g], filters, r, protocols, settings)
    drafts.sort(key=lambda d: d.route.name)
    return drafts


# --- services ----------------------------------------------------------------------------------------------

def route_protocols(store: Store, routes: list[Obj], settings: KICSettings) -> list[str] | None:
    if listener_protocols(settings):
        return parents.http_listener_protocols(store, routes) or None
    if settings.expressions:
        return ["http", "https"] if expression_http_protocols(settings) else None
    return ["http", "https"]


def with_annotations(obj: Obj, annotations: dict[str, str]) -> Obj:
    if annotations == obj.annotations:
        return obj
    raw = dict(obj.raw)
    meta = dict(obj.meta)
    meta["annotations"] = dict(annotations)
    raw["metadata"] = meta
    return Obj(raw, obj.ref)


def unique_routes(metas: list[RuleMeta]) -> list[Obj]:
    seen: set[tuple[str, str]] = set()
    out = []
    for m in metas:
        key = (m.route.namespace, m.route.name)
        if key not in seen:
            seen.add(key)
            out.append(m.route)
    return out


def translate_httproutes(store: Store, settings: KICSettings, routes: list[Obj],
                         order: dict[str, int]) -> tuple[list[Service], list[TranslationFailure]]:
    from migrate.kic import httproute_atc

    failures: list[TranslationFailure] = []
    valid: list[Obj] = []
    for route in routes:
        why = validate(route, settings.expressions)
        if why:
            failures.append(TranslationFailure(route.object_id, f"HTTPRoute can't be routed: {why}"))
        else:
            valid.append(route)
    combined = bool(getattr(settings, "combined_services", False))
    groups = group_rules(valid, combined)
    split = httproute_atc.split_with_priorities(valid) if settings.expressions else {}
    errors: dict[str, list[str]] = {}
    services: list[Service] = []
    for name in sorted(groups):
        metas = sorted(groups[name], key=lambda m: m.key)
        involved = unique_routes(metas)
        protocols = route_protocols(store, involved, settings)
        first = metas[0]
        refs = [dict(r) for r in first.backend_refs]  # httpBackendRefsToBackendRefs fills group/namespace
        for ref in refs:
            ref.setdefault("group", "")
            if ref.get("namespace") is None:
                ref["namespace"] = first.route.namespace
        backends = resolve_backends(store, first.route, refs)
        service = Service(name=name, host=name, backends=backend_tuples(backends), origin=first.route.object_id)
        if not backends and refs:
            service.plugins.append(Plugin(name="request-termination", config=dict(TERMINATION_CONFIG),
                                          identity="generated:request-termination"))
        for m in metas:
            apply_timeout(service, m.rule)
        try:
            if settings.expressions:
                drafts = httproute_atc.expression_routes(metas, split, protocols, settings)
            else:
                drafts = traditional_routes(metas, protocols, settings)
        except RouteError as err:
            for r in involved:
                errors.setdefault(r.object_id, []).append(str(err))
            continue
        alternative = alternative_protocols(settings, protocols, functools.partial(route_protocols, store, involved))
        for d in drafts:
            d.route.alternative_protocols = alternative
            d.route.k8s = with_annotations(d.route.k8s or _route_obj(d, involved), d.annotations)
            d.route.order = order.get(d.route.origin, 0)
            service.routes.append(d.route)
        services.append(service)
    for route in valid:
        if route.object_id in errors:
            failures.append(TranslationFailure(route.object_id,
                                               "HTTPRoute can't be routed: " + "\n".join(errors[route.object_id])))
    return services, failures


def _route_obj(d: Draft, involved: list[Obj]) -> Obj:
    for obj in involved:
        if obj.object_id == d.route.origin:
            return obj
    return involved[0]


def apply_timeout(service: Service, rule: dict[str, Any]) -> None:
    """applyTimeoutToServiceFromHTTPRouteRule."""
    if rule.get("timeouts") is None:
        return
    ms = DEFAULT_TIMEOUT_MS
    backend = opt_str(as_dict(rule.get("timeouts")).get("backendRequest"))
    if backend is not None:
        parsed = go_duration_ms(backend)
        if parsed is None:
            return
        ms = parsed
    if ms == DEFAULT_TIMEOUT_MS:
        return
    service.connect_timeout = service.read_timeout = service.write_timeout = ms
