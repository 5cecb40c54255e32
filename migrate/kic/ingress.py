"""networking.k8s.io/v1 Ingress → Kong services and routes, as KIC translates them (both router modes).

Re-expressed from Kong/kubernetes-ingress-controller v3.5.13:

* `internal/store/store.go` `ListIngressesV1`: class selection (see `kongstate.ingress_class_accepts`), listed by
  namespace/name, then (`translate_ingress.go`) stable-sorted by creationTimestamp.
* `internal/dataplane/translator/subtranslator/ingress.go`: one Kong route per (Ingress, host, backend Service,
  port) named `<ns>.<ingress>.<service>.<host>.<port>` (a `*` in the host becomes `_`), holding the paths of
  every rule with that host and backend; one Kong service per (namespace, Service, port) named
  `<ns>.<service>.<port>` with host `<service>.<ns>.<port>.svc`, path `/`, port 80 until the upstream phase
  resolves it; paths: Prefix `/a` → `/a/` + `~/a$`, Exact → `~/a$`, ImplementationSpecific as is, the regex
  marker (`/~` or `konghq.com/regex-prefix`) replaced by `~`; `konghq.com/rewrite` (`MaybeRewriteURI`).
* `internal/dataplane/translator/translate_ingress.go`: TLS sections, the default backend (oldest Ingress with
  `spec.defaultBackend`: route `<ns>.<ingress>`, path `/`, carrying the Ingress itself).
* `internal/dataplane/translator/subtranslator/ingress_atc.go` for the expressions flavor (`ingress_atc.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from migrate.kic import ingress_atc as atc
from migrate.kic.kongstate import (
    ANN,
    Context,
    Entry,
    PortDef,
    ServiceBackend,
    age_sorted,
    as_dict,
    as_list,
    as_str,
    class_parameters,
    comma_list,
    ingress_class_accepts,
)
from migrate.kic.store import Obj
from migrate.kong.config import Plugin, Route, Service

INGRESS_API_VERSIONS = ("networking.k8s.io/v1", "")
CONTROLLER_REGEX_PREFIX = "/~"
KONG_REGEX_PREFIX = "~"
SERVICE_FACADE_GROUP = "incubator.ingress-controller.konghq.com"
# Kong < 3 regex detection, used with IngressClassParameters.enableLegacyRegexDetection
_LEGACY_PLAIN_PATH = re.compile(r"^[a-zA-Z0-9.\-_~/%]*$")


def go_quote(text: str) -> str:
    """Go's %q for the strings KIC quotes in messages."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return '"' + out.replace("\r", "\\r") + '"'


def served_ingresses(ctx: Context) -> list[Obj]:
    out: list[Obj] = []
    for ing in ctx.store.list("Ingress"):
        if as_str(ing.raw.get("apiVersion")) not in INGRESS_API_VERSIONS:
            continue  # KIC 3.x reads networking.k8s.io/v1 only
        if ingress_class_accepts(ing, ctx.store, ctx.settings):
            out.append(ing)
    return age_sorted(out)


def route_protocols(annotations: dict[str, str]) -> list[str] | None:
    """ingress.go ingressRouteProtocols: the annotation's names, sorted, unvalidated (validation comes later,
    in the fill phase, which then keeps this list when the annotation is invalid)."""
    protocols = sorted(comma_list(annotations.get(ANN + "protocols", "")))
    return protocols or None


def regex_prefix_fn(ing: Obj, legacy_detection: bool) -> tuple[str, bool]:
    anns = ing.annotations
    prefix = anns.get(ANN + "regex-prefix", CONTROLLER_REGEX_PREFIX)  # present but empty: "" (every path)
    return prefix, legacy_detection


def maybe_prepend_regex_prefix(path: str, prefix: str, legacy: bool) -> str:
    """ingress.go MaybePrependRegexPrefix."""
    if path.startswith(prefix):
        return KONG_REGEX_PREFIX + path[len(prefix):]
    if legacy and not _LEGACY_PLAIN_PATH.match(path) and not path.startswith(KONG_REGEX_PREFIX):
        return KONG_REGEX_PREFIX + path
    return path


def paths_from_ingress_path(p: atc.IngressPath) -> list[str]:
    """ingress.go PathsFromIngressPaths."""
    if p.path_type == "Prefix":
        base = p.path.strip("/")
        if not base:
            return ["/"]
        return ["/" + base + "/", KONG_REGEX_PREFIX + "/" + base + "$"]
    if p.path_type == "Exact":
        return [KONG_REGEX_PREFIX + "/" + p.path.lstrip("/") + "$"]
    if p.path_type == "ImplementationSpecific":
        return [p.path or "/"]
    return []


@dataclass
class _Backend:
    name: str
    port: PortDef


@dataclass
class _Meta:
    ingress: Obj
    host: str
    backend: _Backend
    regex_prefix: str
    legacy_regex: bool
    paths: list[atc.IngressPath] = field(default_factory=list)

    def route_name(self, host: str) -> str:
        return f"{self.ingress.namespace}.{self.ingress.name}.{self.backend.name}.{host}.{self.backend.port.canonical()}"

    def to_route(self, expressions: bool) -> Route:
        anns = self.ingress.annotations
        route = Route(name=self.route_name(self.host.replace("*", "_")), strip_path=False, preserve_host=True,
                      protocols=route_protocols(anns), request_buffering=True, response_buffering=True,
                      origin=f"Ingress/{self.ingress.namespace}/{self.ingress.name}", k8s=self.ingress)
        if expressions:
            route.expression, route.priority = atc.ingress_expression(self.host, self.paths, anns)
            return route
        route.regex_priority = 0
        if self.host:
            route.hosts = [self.host]
        paths: list[str] = []
        for p in self.paths:
            paths.extend(maybe_prepend_regex_prefix(x, self.regex_prefix, self.legacy_regex)
                         for x in paths_from_ingress_path(p))
        route.paths = paths or None
        return route


def _path_backend(ing: Obj, backend: object, ctx: Context) -> tuple[_Backend | None, str]:
    b = as_dict(backend)
    service = b.get("service")
    if isinstance(service, dict):
        return _Backend(as_str(service.get("name")), PortDef.from_backend_port(service.get("port"))), ""
    resource = b.get("resource")
    if isinstance(resource, dict):
        kind, group = as_str(resource.get("kind")), resource.get("apiGroup")
        if kind != "KongServiceFacade" or as_str(group) != SERVICE_FACADE_GROUP:
            gk = f"{as_str(group)}/{kind}" if group is not None else kind
            return None, f"unknown resource type {gk}"
        if not ctx.settings.kong_service_facade:
            return None, ('KongServiceFacade is not enabled, please set the "KongServiceFacade" feature gate to '
                          "'true' to enable it")
        return None, "KongServiceFacade backends are not modelled (KIC model limitation)"
    return None, "no Service or Resource specified for Ingress path"


def translate_ingresses(ctx: Context) -> list[Entry]:
    ingresses = served_ingresses(ctx)
    legacy = class_parameters(ctx).get("enableLegacyRegexDetection") is True
    default_backends: list[Obj] = []
    for ing in ingresses:
        if ing.spec.get("defaultBackend") is not None:
            default_backends.append(ing)
        ctx.snis.add_tls(ing.spec.get("tls"), ing)

    index: dict[str, _Meta] = {}
    for ing in ingresses:
        prefix, legacy_on = regex_prefix_fn(ing, legacy)
        for rule in map(as_dict, as_list(ing.spec.get("rules"))):
            paths = as_list(as_dict(rule.get("http")).get("paths"))
            host = as_str(rule.get("host"))
            for raw in map(as_dict, paths):
                path = re.sub(r"/{2,}", "/", as_str(raw.get("path"))) or "/"
                path_type = as_str(raw.get("pathType")) or "ImplementationSpecific"
                backend, err = _path_backend(ing, raw.get("backend"), ctx)
                if backend is None:
                    ctx.failures.push(f"failed to get backend for ingress path {go_quote(path)}: {err}", ing)
                    continue
                meta = _Meta(ing, host, backend, prefix, legacy_on)
                key = meta.route_name(host)
                meta = index.setdefault(key, meta)
                meta.ingress = ing
                meta.paths.append(atc.IngressPath(path, path_type))

    entries: dict[str, Entry] = {}
    for meta in index.values():
        ns, backend = meta.ingress.namespace, meta.backend
        name = f"{ns}.{backend.name}.{backend.port.canonical()}"
        entry = entries.get(name)
        if entry is None:
            service = Service(name=name, host=f"{backend.name}.{ns}.{backend.port.canonical()}.svc", port=80,
                              protocol="http", path="/", origin=f"Ingress/{ns}/{meta.ingress.name}")
            entry = entries[name] = Entry(service, [ServiceBackend(ns, backend.name, backend.port)], meta.ingress)
        entry.service.routes.append(meta.to_route(ctx.settings.expressions))

    out: dict[str, Entry] = {}
    for name, entry in entries.items():
        entry.service.routes.sort(key=lambda r: r.name)
        err, culprit = maybe_rewrite_uri(entry.service, ctx)
        if err:
            # KIC attaches the event to the Kong service's parent, whichever Ingress its map iteration met first;
            # the model names the Ingress carrying the annotation
            ctx.failures.push(err, culprit)
            continue
        out[name] = entry

    default = default_backend_entry(default_backends, ctx)
    if default is not None:
        existing = out.get(default.service.name)
        if existing is not None:
            existing.service.routes.extend(default.service.routes)
        else:
            out[default.service.name] = default
    return list(out.values())


# --- konghq.com/rewrite (ingress.go MaybeRewriteURI / generateRewriteURIConfig) ------------------------------

def rewrite_uri_config(uri: str) -> tuple[str | None, str]:
    """generateRewriteURIConfig: `$n` → `$(uri_captures[n])`, `\\$` → `$`; (config, "") or (None, error) with
    KIC's messages (positions are byte offsets)."""
    out: list[str] = []
    state = "plain"
    pos = 0
    for ch in uri:
        if state == "escape":
            if ch != "$":
                return None, f"unexpected {ch} at pos {pos}"
            out.append(ch)
            state = "plain"
        elif state == "mark":
            if not ch.isdigit():
                return None, f"unexpected {ch} at pos {pos}"
            out.append("$(uri_captures[" + ch)
            state = "digit"
        elif state == "digit":
            if ch.isdigit():
                out.append(ch)
            else:
                out.append("])")
                if ch == "$":
                    state = "mark"
                elif ch == "\\":
                    state = "escape"
                else:
                    out.append(ch)
                    state = "plain"
        else:
            if ch == "$":
                state = "mark"
            elif ch == "\\":
                state = "escape"
            else:
                out.append(ch)
        pos += len(ch.encode())
    if state == "digit":
        out.append("])")
        state = "plain"
    if state != "plain":
        return None, "unexpected end of string"
    return "".join(out), ""


def maybe_rewrite_uri(service: Service, ctx: Context) -> tuple[str, Obj | None]:
    """MaybeRewriteURI: a `request-transformer` with `replace.uri` per route whose Ingress has
    `konghq.com/rewrite`; without the RewriteURIs gate, or on a bad value, the whole Kong service is dropped
    (returns the error and the Ingress at fault)."""
    for route in service.routes:
        anns = route.k8s.annotations if route.k8s is not None else {}
        if ANN + "rewrite" not in anns:
            continue
        if not ctx.settings.rewrite_uris:
            return "konghq.com/rewrite annotation not supported when rewrite uris disabled", route.k8s
        config, err = rewrite_uri_config(anns[ANN + "rewrite"] or "/")
        if config is None:
            return err, route.k8s
        route.plugins.append(Plugin(name="request-transformer", config={"replace": {"uri": config}},
                                    identity="generated:request-transformer"))
    return "", None


# --- default backend (translate_ingress.go) -----------------------------------------------------------------

def default_backend_entry(candidates: list[Obj], ctx: Context) -> Entry | None:
    if not candidates:
        return None
    ing = age_sorted(candidates)[0]
    backend = as_dict(ing.spec.get("defaultBackend"))
    route = Route(name=f"{ing.namespace}.{ing.name}", strip_path=False, preserve_host=True, request_buffering=True,
                  response_buffering=True, origin=f"Ingress/{ing.namespace}/{ing.name} spec.defaultBackend", k8s=ing)
    if ctx.settings.expressions:
        route.expression, route.priority = atc.default_backend_expression()
    else:
        route.paths = ["/"]
        route.regex_priority = 0
    resource = backend.get("resource")
    if isinstance(resource, dict):
        kind, group = as_str(resource.get("kind")), resource.get("apiGroup")
        if kind != "KongServiceFacade" or as_str(group) != SERVICE_FACADE_GROUP:
            gk = f"{as_str(group)}/{kind}" if group is not None else kind
            ctx.failures.push(f"default backend: unsupported resource type {gk}", ing)
        elif not ctx.settings.kong_service_facade:
            ctx.failures.push('default backend: KongServiceFacade is not enabled, please set the "KongServiceFacade" '
                              "feature gate to 'true' to enable it", ing)
        else:
            ctx.failures.push("default backend: KongServiceFacade is not modelled (KIC model limitation)", ing)
        return None
    service = backend.get("service")
    if not isinstance(service, dict):
        ctx.failures.push("failed to create ServiceBackend for default backend: no Service specified", ing)
        return None
    name, port = as_str(service.get("name")), PortDef.from_backend_port(service.get("port"))
    svc = Service(name=f"{ing.namespace}.{name}.{port.canonical()}", host=f"{name}.{ing.namespace}.{port.canonical()}.svc",
                  port=80, protocol="http", path=None, routes=[route],
                  origin=f"Ingress/{ing.namespace}/{ing.name} spec.defaultBackend")
    return Entry(svc, [ServiceBackend(ing.namespace, name, port)], ing)
