"""Route-level annotations: one table entry plus one handler per annotation.

A handler reads one annotation value, records its effect on RouteTraits and writes exactly the
report entries for that annotation.  Translators (Ingress, TCPIngress, UDPIngress) then build routes
from the traits, so an annotation's meaning lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from migrate.annotations import parse as p
from migrate.convert.options import ConvertOptions, RouterFlavor, listener_protocols
from migrate.model.inventory import Inventory
from migrate.model.objects import Meta
from migrate.model.validation import hostname_problem
from migrate.report import Report, Status, quote

FORCE_SSL_REDIRECT = "ingress.kubernetes.io/force-ssl-redirect"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"


@dataclass
class RouteTraits:
    methods: list[str] = field(default_factory=list)
    headers: dict[str, list[p.HeaderValue]] = field(default_factory=dict)
    plugin_filters: list[str] = field(default_factory=list)  # same-namespace KongPlugin names
    plugin_grants: list[tuple[str, str]] = field(default_factory=list)  # (namespace, KongPlugin) cross-ns
    kept: dict[str, str] = field(default_factory=dict)  # annotations copied onto the route
    strip_path: bool = False
    protocols: list[str] | None = None
    redirect_code: int | None = None
    redirect_source: str = "konghq.com/https-redirect-status-code"  # the annotation that set redirect_code
    host_aliases: list[str] = field(default_factory=list)
    extra_hostnames: list[str] = field(default_factory=list)  # from a `Host` header annotation
    regex_prefix: str = p.DEFAULT_REGEX_PREFIX
    rewrite: p.Rewrite | None = None

    @property
    def grpc(self) -> bool:
        return bool(self.protocols) and all(x in ("grpc", "grpcs") for x in self.protocols or [])

    @property
    def https_only(self) -> bool:
        return bool(self.protocols) and all(x in ("https", "wss", "grpcs") for x in self.protocols or [])

    @property
    def http_only(self) -> bool:
        return bool(self.protocols) and all(x in ("http", "ws", "grpc") for x in self.protocols or [])


@dataclass
class AnnotationContext:
    meta: Meta
    kind: str  # the source kind: Ingress, TCPIngress, UDPIngress
    inventory: Inventory
    options: ConvertOptions
    report: Report
    traits: RouteTraits = field(default_factory=RouteTraits)

    def note(self, key: str, status: Status, message: str, action: str = "") -> None:
        self.report.add(self.meta.source, status, f"annotation {key}", message, action)

    def keep(self, key: str, value: str, why: str) -> None:
        self.traits.kept[key] = value
        self.note(key, Status.KEPT, f"carried onto the route; {why}")

    def invalid(self, key: str, exc: Exception) -> None:
        kong = "" if "Kong" in str(exc) else "; Kong ignores or rejects it"
        self.note(key, Status.ERROR, f"invalid value: {exc}{kong}, so it was not converted",
                  "fix the value on the source object")


Handler = Callable[[str, str, AnnotationContext], None]


def _keep_for_traditional(key: str, kept: str, ctx: AnnotationContext, why: str, action: str) -> None:
    """Keep an annotation that only the traditional routers honour on Gateway API routes."""
    if ctx.options.router_flavor == RouterFlavor.EXPRESSIONS:
        ctx.note(key, Status.UNCONVERTED, f"{why}, and the expressions router ignores the annotation on Gateway "
                 "API routes", action)
        return
    ctx.keep(key, kept, f"{why}; the traditional routers honour the annotation on HTTPRoute")


def _methods(key: str, value: str, ctx: AnnotationContext) -> None:
    methods = p.parse_methods(value)
    if not methods:
        ctx.note(key, Status.IGNORED, "empty: Kong sets no method restriction, nor does the conversion")
        return
    if ctx.traits.grpc:
        # GRPCRoute matches name no HTTP method; gRPC calls are always POST.
        if ctx.options.router_flavor != RouterFlavor.EXPRESSIONS:
            ctx.keep(key, ",".join(methods), "GRPCRoute matches have no HTTP method; the traditional routers "
                     "honour the annotation on GRPCRoute")
        elif "POST" in methods:
            ctx.note(key, Status.IGNORED, "gRPC calls are always POST: no effect on a gRPC route, nothing to emit")
        else:
            ctx.note(key, Status.WARNING, f"gRPC calls are always POST, so Kong's route ({', '.join(methods)}) "
                     "never matched them; the GRPCRoute does", "remove the Ingress if it was unused")
        return
    custom = [m for m in methods if m not in p.GATEWAY_METHODS]
    if custom:
        # A Gateway API match can only name standard methods: keep Kong's own form for the whole list.
        _keep_for_traditional(key, ",".join(methods), ctx, f"method(s) {', '.join(custom)} have no Gateway API "
                              "match form", "restrict the methods with a plugin, or use standard methods")
        return
    ctx.traits.methods = methods
    ctx.note(key, Status.CONVERTED, f"-> one match per method ({', '.join(methods)})")


def _headers(key: str, value: str, ctx: AnnotationContext) -> None:
    name = key[len(p.HEADERS_PREFIX):].lower()
    if not p.valid_header_name(name):
        raise p.AnnotationValueError(f"{name!r} is not a valid header name")
    sep = ctx.meta.annotations.get(p.HEADERS_SEPARATOR, ",").strip() or ","
    values = p.parse_header_values(value, sep)
    if not values:
        ctx.note(key, Status.IGNORED, "empty value: Kong adds no header match, nor does the conversion")
        return
    if name == "host":
        # Kong's route schema rejects a Host header match (expressions drops it); users mean hostnames.
        plain = [v.value.lower() for v in values if not v.regex]
        bad = [h for h in plain if hostname_problem(h)]
        if bad or len(plain) != len(values):
            raise p.AnnotationValueError("a Host header match can only become hostnames, and these are not valid ones")
        ctx.traits.extra_hostnames.extend(h for h in plain if h not in ctx.traits.extra_hostnames)
        today = ("the expressions router drops it, so the route matched every host" if
                 ctx.options.router_flavor == RouterFlavor.EXPRESSIONS else
                 "Kong's route schema rejects it, so this Ingress's routes failed to load")
        ctx.note(key, Status.WARNING, f"a Host header match became route hostnames {', '.join(plain)} ({today}; "
                 "hostnames are what the annotation meant)", "check that these hostnames are intended")
        return
    values = literal_regexes_dropped(key, values, ctx)
    ctx.traits.headers[name] = values
    if ctx.traits.grpc:
        return  # reported once all headers are known (_grpc_regex_headers)
    kinds = ", ".join(("~*" + v.value if v.regex else v.value) for v in values)
    ctx.note(key, Status.CONVERTED, f"-> header match {name} in ({kinds}), one match per value (Kong ORs values)")


def literal_regexes_dropped(key: str, values: list[p.HeaderValue], ctx: AnnotationContext) -> list[p.HeaderValue]:
    """Kong's traditional routers read `~*` as a regex only when it is the header's only value; among several
    values it is compared literally and matched no real request (Kong/kong: kong/router/traditional.lua)."""
    if len(values) < 2 or not any(v.regex for v in values) or ctx.options.router_flavor == RouterFlavor.EXPRESSIONS:
        return values
    literal = [v for v in values if v.regex]
    kept = [v for v in values if not v.regex]
    if not kept:
        raise p.AnnotationValueError("several '~*' values: Kong compares them literally (a regex only when it is "
                                     "the header's only value), so the routes never matched a real request")
    ctx.note(key, Status.WARNING, f"{', '.join('~*' + v.value for v in literal)}: Kong compared these literally "
             "(a '~*' value is a regex only when it is the header's only value), so they matched no real request; "
             "not converted", "split the annotation if a regex match was meant")
    return kept


def _headers_separator(key: str, value: str, ctx: AnnotationContext) -> None:
    if not value.strip():
        raise p.AnnotationValueError("empty separator")
    ctx.note(key, Status.CONVERTED, f"used to split konghq.com/headers.* values on {value.strip()!r}")


def _plugins(key: str, value: str, ctx: AnnotationContext) -> None:
    refs = p.parse_plugins(value)
    ns = ctx.meta.namespace
    local: list[str] = []
    needs_annotation: list[str] = []
    for ref in refs:
        if ref.namespace:  # KIC checks a ReferenceGrant for every `ns:name`, its own namespace included
            needs_annotation.append(f"{ref.namespace}:{ref.name}")
            if ctx.inventory.plugin(ref.namespace, ref.name) is None:
                ctx.note(key, Status.WARNING, f"KongPlugin {ref.namespace}/{ref.name} is not in the input",
                         "make sure it exists before applying")
            group = "networking.k8s.io" if ctx.kind == "Ingress" else "configuration.konghq.com"
            if ctx.inventory.plugin_granted(ref.namespace, ref.name, group, ctx.kind, ns):
                ctx.traits.plugin_grants.append((ref.namespace, ref.name))
            else:
                # KIC applies a remote plugin only when a ReferenceGrant admits the referrer's kind: it never ran,
                # and a new grant for the route would turn it on.
                ctx.note(key, Status.WARNING, f"KongPlugin {ref.namespace}/{ref.name} never ran: no ReferenceGrant in "
                         f"{ref.namespace} lets {ctx.kind} objects of {ns} use it, so Kong's controller skipped it; no grant "
                         "is emitted, so it stays off after the migration",
                         f"add a ReferenceGrant in {ref.namespace} for the new route kind if the plugin should run")
            continue
        if ctx.inventory.plugin(ns, ref.name) is not None:
            local.append(ref.name)
        elif ctx.inventory.cluster_plugin(ref.name) is not None:
            needs_annotation.append(ref.name)
        else:
            local.append(ref.name)
            ctx.note(key, Status.WARNING,
                     f"KongPlugin {ns}/{ref.name} (or KongClusterPlugin {ref.name}) is not in the input; "
                     "referenced as a KongPlugin", "make sure it exists before applying")
    if ctx.traits.grpc:
        # Kong's controller does not translate GRPCRoute filters; it reads the annotation.
        ctx.keep(key, value.strip(), "GRPCRoute filters are not translated by Kong's controller, the annotation is"
                 + (" (ReferenceGrant emitted)" if ctx.traits.plugin_grants else ""))
        return
    if needs_annotation:
        # ExtensionRef is namespace-local and names KongPlugins only: keep Kong's own reference form
        # for the whole list so no plugin is applied twice.
        ctx.keep(key, value.strip(), "KongClusterPlugin and cross-namespace plugins "
                 f"({', '.join(needs_annotation)}) have no ExtensionRef form; the controller honours the "
                 "annotation on HTTPRoute" + (" (ReferenceGrant emitted)" if ctx.traits.plugin_grants else ""))
        return
    ctx.traits.plugin_filters = local
    ctx.note(key, Status.CONVERTED, f"-> ExtensionRef filter per rule for KongPlugin {', '.join(local)}")


def _protocols(key: str, value: str, ctx: AnnotationContext) -> None:
    protocols = p.parse_protocols(value)
    l4 = [x for x in protocols if x in ("tcp", "tls", "udp", "tls_passthrough")]
    if ctx.kind == "Ingress" and l4:
        raise p.AnnotationValueError(f"{', '.join(l4)} cannot be used on an HTTP Ingress")
    if ctx.kind != "Ingress":
        ctx.traits.protocols = protocols
        return  # the L4 translator reports what it did with the protocols
    if p.is_grpc_http_mix(protocols):
        ctx.traits.protocols = p.normalize_protocols(protocols)
        ctx.note(key, Status.WARNING, f"{', '.join(protocols)} mixes gRPC and HTTP: Kong's controller turns it into "
                 "http, https, so the route stays an HTTPRoute on the HTTP and HTTPS listeners",
                 "use grpc,grpcs for a gRPC service")
        return
    ctx.traits.protocols = protocols
    if any(x in ("ws", "wss") for x in protocols):
        # ws/wss are Kong Enterprise WebSocket routes; listener attachment alone would make them http/https.
        ctx.keep(key, ",".join(protocols), "WebSocket (ws/wss) routes have no Gateway API form; the controller "
                 "honours the annotation on HTTPRoute (listener attachment follows ws -> HTTP, wss -> HTTPS)")
        return
    if ctx.traits.grpc:
        if set(protocols) == {"grpc", "grpcs"}:
            ctx.note(key, Status.CONVERTED, f"{', '.join(protocols)} -> GRPCRoute")
            return
        # KIC gives every GRPCRoute-built route protocols grpc,grpcs; the annotation narrows it as before.
        ctx.keep(key, ",".join(protocols), "-> GRPCRoute; Kong's controller would otherwise accept both grpc and "
                 "grpcs on it")
    elif ctx.traits.https_only or ctx.traits.http_only:
        which = "HTTPS" if ctx.traits.https_only else "plain HTTP"
        if listener_protocols(ctx.options):
            # reported by the translator once it knows which listeners the routes attach to
            return
        ctx.keep(key, ",".join(protocols), f"the routes serve {which} only on every KIC 3.4.x/3.5.x: KIC before "
                 "3.5.7 gives HTTPRoutes Kong's default protocols (http, https) instead of the listeners' ones; "
                 "the routes attach to the listeners of these protocols")
    # http and https together is Kong's default: the translator reports the listeners the routes attach to


def _redirect_code(key: str, value: str, ctx: AnnotationContext) -> None:
    ctx.traits.redirect_code = p.parse_redirect_code(value)
    ctx.traits.redirect_source = key
    # The effect is reported by the translator, which knows whether a redirect route was emitted.


def _force_ssl(key: str, value: str, ctx: AnnotationContext) -> None:
    v = value.strip()
    if v != "true":
        if v.lower() in ("true", "1", "yes", "on", "t"):
            raise p.AnnotationValueError(f"Kong redirects only for exactly 'true', not {v!r}: there was no redirect")
        ctx.note(key, Status.IGNORED, f"{v!r}: no redirect (Kong's default)")
        return
    # KIC: 302 and protocols https (grpcs for gRPC); konghq.com/protocols and the status code
    # annotation, applied later by KIC, still override both.
    ctx.traits.redirect_code = ctx.traits.redirect_code or 302
    ctx.traits.redirect_source = key
    if ctx.traits.protocols is None:
        ctx.traits.protocols = ["https"]


def _strip_path(key: str, value: str, ctx: AnnotationContext) -> None:
    strip = p.parse_bool(value)
    if not strip:
        ctx.note(key, Status.CONVERTED, "false is Kong's default: nothing to emit")
    elif ctx.traits.grpc:
        ctx.note(key, Status.IGNORED, "Kong's controller drops strip_path on gRPC routes")
    elif ctx.traits.rewrite is not None:
        ctx.note(key, Status.IGNORED, "konghq.com/rewrite replaces the whole upstream path, so stripping changes "
                 "nothing")
    else:
        ctx.traits.strip_path = True  # the translator emits URLRewrite or keeps the annotation, and reports it


def _preserve_host(key: str, value: str, ctx: AnnotationContext) -> None:
    if p.parse_bool(value):
        ctx.note(key, Status.CONVERTED, "true is Kong's default: nothing to emit")
    else:
        ctx.keep(key, "false", "URLRewrite.hostname can only set a fixed Host, not the upstream's own")


def _host_aliases(key: str, value: str, ctx: AnnotationContext) -> None:
    aliases = [a.lower() for a in p.parse_host_aliases(value)]
    ok = [a for a in aliases if not hostname_problem(a)]
    ctx.traits.host_aliases = ok
    rest = [a for a in aliases if a not in ok]
    if not rest:
        ctx.note(key, Status.CONVERTED, f"-> extra route hostnames {', '.join(aliases)}")
        return
    # Kong also accepts a trailing wildcard (`example.*`); Gateway API hostnames cannot say that.
    done = f"{', '.join(ok)} became route hostnames; " if ok else ""
    _keep_for_traditional(key, ",".join(aliases), ctx, f"{done}{', '.join(rest)} cannot be a Gateway API hostname",
                          "add the concrete hostnames to the Ingress rules")


def _regex_prefix(key: str, value: str, ctx: AnnotationContext) -> None:
    # KIC uses the value verbatim (subtranslator_vars.go): "" makes every path a regex in the traditional
    # flavors (the expressions translator falls back to the default), blanks make no path one.
    if value == "" and ctx.options.router_flavor == RouterFlavor.EXPRESSIONS:
        ctx.note(key, Status.IGNORED, "empty: the expressions translator uses the default '/~'")
        return
    if value == "":
        ctx.note(key, Status.UNCONVERTED, "empty: Kong's controller prepends '~' to every Kong path it builds for this "
                 "Ingress (Prefix paths become unanchored regexes, Exact paths never match), which no Gateway API "
                 "match expresses; the paths were converted with the default '/~'",
                 "set '/~' on the Ingress (or remove the annotation) and check the routing")
        return
    ctx.traits.regex_prefix = value
    if not value.strip():
        ctx.note(key, Status.WARNING, f"{value!r}: no path starts with blanks, so Kong treated none of this "
                 "Ingress's paths as a regex, and neither does the conversion", "set '/~' if regexes were meant")
    else:
        ctx.note(key, Status.CONVERTED, f"paths starting with {quote(value)} -> RegularExpression matches")


def _flavor_dependent(key: str, value: str, ctx: AnnotationContext, why: str) -> None:
    if ctx.options.router_flavor == RouterFlavor.EXPRESSIONS:
        ctx.note(key, Status.IGNORED, f"the expressions router ignores it (on Ingress too): {why}")
        return
    ctx.keep(key, value.strip(), why)


def _regex_priority(key: str, value: str, ctx: AnnotationContext) -> None:
    p.parse_go_int(value)
    _flavor_dependent(key, value, ctx, "no Gateway API equivalent; honoured by the traditional routers")


def _path_handling(key: str, value: str, ctx: AnnotationContext) -> None:
    v = value.strip()
    if v not in ("v0", "v1"):
        raise p.AnnotationValueError(f"{value!r} is not v0 or v1 (Kong's route schema rejects it)")
    flavor = ctx.options.router_flavor
    if flavor == RouterFlavor.EXPRESSIONS:
        ctx.note(key, Status.IGNORED, "the expressions router ignores it (on Ingress too): nothing to carry over")
    elif v == "v0":
        ctx.note(key, Status.CONVERTED, "v0 is Kong's default: nothing to emit")
    elif flavor == RouterFlavor.TRADITIONAL:
        ctx.keep(key, v, "no Gateway API equivalent; honoured by the traditional router")
    else:
        ctx.note(key, Status.WARNING, "path_handling v1 is deprecated and broken under the traditional_compatible "
                 "router; not carried over, so the route joins service and route paths the v0 way",
                 "check upstream paths if the Services set konghq.com/path")


def _buffering(key: str, value: str, ctx: AnnotationContext) -> None:
    if p.parse_go_bool(value):
        ctx.note(key, Status.CONVERTED, "true is Kong's default: nothing to emit")
        return
    ctx.keep(key, "false", "no Gateway API equivalent; the controller honours it on routes")


def _tags(key: str, value: str, ctx: AnnotationContext) -> None:
    tags = list(dict.fromkeys(p.split_list(value)))
    if not tags:
        ctx.note(key, Status.IGNORED, "empty: Kong adds no tags, nor does the conversion")
        return
    ctx.keep(key, ",".join(tags), "no Gateway API equivalent; the controller adds these Kong tags to the "
             "routes it builds from the HTTPRoute")


def _snis(key: str, value: str, ctx: AnnotationContext) -> None:
    snis = p.parse_snis(value)
    if not snis:
        ctx.note(key, Status.IGNORED, "empty: no SNI restriction (Kong's default), nothing to emit")
        return
    if ctx.traits.http_only:
        raise p.AnnotationValueError("SNIs need a TLS protocol (https, grpcs) and konghq.com/protocols allows only "
                                     "plain ones: Kong's route schema rejects the route")
    ctx.keep(key, ",".join(snis), "no Gateway API equivalent; honoured with every router flavor, and only "
             "TLS requests with these SNIs match the route")


def _rewrite(key: str, value: str, ctx: AnnotationContext) -> None:
    ctx.traits.rewrite = p.parse_rewrite(value)  # the translator emits the filter or plugin and reports it
    if ctx.kind == "Ingress":
        # KIC's RewriteURIs feature gate is off by default, and without it KIC drops the Kong service of this
        # Ingress's backend (MaybeRewriteURI: "konghq.com/rewrite annotation not supported when rewrite uris
        # disabled"; migrate/kic/ingress.py), so its routes never served.  The Gateway API routes are served
        # whatever the gate says.
        ctx.note(key, Status.WARNING, "Kong's controller honours konghq.com/rewrite only with its RewriteURIs feature "
                 "gate (off by default); without the gate it dropped the Kong service of this Ingress's backends "
                 "(with every route on it), so Kong never routed this Ingress. The converted routes are routed once "
                 "applied: converting it starts routing it",
                 "if the gate is off today, make sure these requests should now reach the backend (verify lists "
                 "them as before 404, after routed)")


def _class(key: str, value: str, ctx: AnnotationContext) -> None:
    ctx.note(key, Status.CONVERTED, f"class {value.strip()!r} selected this object; the routes attach to the "
             f"Gateway of GatewayClass {ctx.options.gateway_class!r}")


def _service_level(key: str, value: str, ctx: AnnotationContext) -> None:
    ctx.note(key, Status.IGNORED, "a Service-level annotation: Kong reads it from Services, not from this object")


def _override(key: str, value: str, ctx: AnnotationContext) -> None:
    from migrate.annotations.kongingress import apply_kongingress_route  # it builds on this module

    ki = ctx.inventory.kong_ingress(ctx.meta.namespace, value.strip())
    if ki is None:
        ctx.note(key, Status.UNCONVERTED,
                 f"KongIngress {ctx.meta.namespace}/{value.strip()} is not in the input: its route settings "
                 "cannot be converted, and Gateway API routes ignore KongIngress",
                 "add the KongIngress to the input, or move its route settings to konghq.com/* annotations")
        return
    apply_kongingress_route(ki, ctx)


def _legacy(key: str, value: str, ctx: AnnotationContext) -> None:
    # Kong's controller (1.x and later) no longer reads these: they had no effect today, so nothing is lost.
    ctx.note(key, Status.IGNORED, "legacy pre-1.0 annotation: Kong's controller (1.0 and later) ignores it, so it "
             "had no effect today; not carried over",
             "if it was meant to apply, use konghq.com/plugins or konghq.com/override (and convert again)")


CERT_MANAGER_PREFIX = "cert-manager.io/"
TLS_ACME = "kubernetes.io/tls-acme"
# the annotations that make cert-manager's ingress-shim create a Certificate for the Ingress
CERT_MANAGER_TRIGGERS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer", TLS_ACME)


def _cert_manager(key: str, value: str, ctx: AnnotationContext) -> None:
    """cert-manager's ingress-shim: a Certificate per spec.tls Secret, owned by the Ingress (ownerReference), so
    deleting the Ingress after the migration deletes it; the Gateway-side equivalent is gateway-shim's annotation
    on the Gateway (Secrets in the Gateway's namespace only) or a Certificate of one's own."""
    if ctx.kind != "Ingress":
        ctx.note(key, Status.IGNORED, "cert-manager reads it from Ingresses and Gateways only: no effect here")
        return
    anns = ctx.meta.annotations
    trigger = next((k for k in CERT_MANAGER_TRIGGERS if k in anns and (k != TLS_ACME or anns[k].strip() == "true")),
                   None)
    if key != trigger:
        if trigger is None:
            ctx.note(key, Status.IGNORED, "a cert-manager setting without an issuer annotation: ingress-shim made "
                     "no Certificate for this Ingress")
        else:
            ctx.note(key, Status.IGNORED, f"a setting of the Certificate cert-manager makes for {trigger}: carry it "
                     "over with the issuer (see that entry)")
        return
    ingress = next((i for i in ctx.inventory.ingresses if i.meta.source == ctx.meta.source), None)
    tls = [t for t in (ingress.tls if ingress is not None else []) if t.secret_name]
    if not tls:
        ctx.note(key, Status.IGNORED, "cert-manager's ingress-shim makes Certificates only for spec.tls entries with "
                 "a secretName; this Ingress has none, so there is nothing to carry over")
        return
    ns = ctx.meta.namespace
    secrets = ", ".join(dict.fromkeys(f"{ns}/{t.secret_name}" for t in tls))
    if key == TLS_ACME:
        issuer_ref = "naming cert-manager's default issuer (its --default-issuer-kind and --default-issuer-name)"
        gw_annotation = "cert-manager.io/cluster-issuer (or issuer) naming that default issuer"
    else:
        kind = anns.get("cert-manager.io/issuer-kind", "").strip() or (
            "ClusterIssuer" if key.endswith("cluster-issuer") else "Issuer")
        group = anns.get("cert-manager.io/issuer-group", "").strip()
        issuer_ref = f"{{kind: {kind}, name: {value.strip()}{', group: ' + group if group else ''}}}"
        gw_annotation = f"{key}: {value.strip()}"
    gw = f"{ctx.options.gateway_namespace}/{ctx.options.gateway_name}"
    examples = "; ".join(f"Certificate {ns}/{t.secret_name} with secretName {t.secret_name}, dnsNames "
                         f"[{', '.join(t.hosts) or '...'}], issuerRef {issuer_ref}" for t in tls[:3])
    if ns == ctx.options.gateway_namespace:
        where = (f"annotate Gateway {gw} with {gw_annotation} (cert-manager's gateway-shim, enabled with "
                 f"--enable-gateway-api, then makes the Certificates of its HTTPS listeners), or create {examples}")
    else:
        where = (f"create {examples} (gateway-shim, the cert-manager.io annotations on Gateway {gw}, makes "
                 f"Certificates only for Secrets in the Gateway's namespace, and these are in {ns})")
    ctx.note(key, Status.WARNING, f"cert-manager's ingress-shim made a Certificate for this Ingress's TLS Secret(s) "
             f"({secrets}), owned by the Ingress: deleting the Ingress after the migration deletes the Certificate, "
             "and the Secret the Gateway's HTTPS listeners use is no longer renewed (or is deleted too, with "
             "cert-manager's --enable-certificate-owner-ref)",
             f"before deleting the Ingress, {where}")


ROUTE_HANDLERS: dict[str, Handler] = {
    "konghq.com/methods": _methods,
    "konghq.com/headers-separator": _headers_separator,
    "konghq.com/plugins": _plugins,
    "konghq.com/protocols": _protocols,
    "konghq.com/https-redirect-status-code": _redirect_code,
    FORCE_SSL_REDIRECT: _force_ssl,
    "konghq.com/strip-path": _strip_path,
    "konghq.com/preserve-host": _preserve_host,
    "konghq.com/host-aliases": _host_aliases,
    "konghq.com/regex-prefix": _regex_prefix,
    "konghq.com/regex-priority": _regex_priority,
    "konghq.com/path-handling": _path_handling,
    "konghq.com/snis": _snis,
    "konghq.com/request-buffering": _buffering,
    "konghq.com/response-buffering": _buffering,
    "konghq.com/tags": _tags,
    "konghq.com/rewrite": _rewrite,
    "konghq.com/override": _override,
    CLASS_ANNOTATION: _class,
    "configuration.konghq.com": _legacy,
    "plugins.konghq.com": _legacy,
}
PREFIX_HANDLERS: list[tuple[str, Handler]] = [(p.HEADERS_PREFIX, _headers)]
SERVICE_LEVEL = frozenset(
    f"konghq.com/{k}"
    for k in ("protocol", "path", "connect-timeout", "read-timeout", "write-timeout", "retries", "client-cert",
              "host-header", "upstream-policy", "tls-verify", "tls-verify-depth", "ca-certificates-secrets",
              "ca-certificates-configmaps")
) | {"ingress.kubernetes.io/service-upstream"}
# Annotations that say nothing about routing and are managed by tools, not people.
NOT_ROUTING = ("kubectl.kubernetes.io/", "meta.helm.sh/", "argocd.argoproj.io/", "deployment.kubernetes.io/")


def handler_for(key: str) -> Handler | None:
    if key in ROUTE_HANDLERS:
        return ROUTE_HANDLERS[key]
    for prefix, handler in PREFIX_HANDLERS:
        if key.startswith(prefix):
            return handler
    if key in SERVICE_LEVEL:
        return _service_level
    if key.startswith(CERT_MANAGER_PREFIX) or key == TLS_ACME:
        return _cert_manager
    return None


def apply_route_annotations(ctx: AnnotationContext, skip: frozenset[str] = frozenset()) -> RouteTraits:
    """Run every annotation of the object through its handler; report the ones nobody handles."""
    annotations = ctx.meta.annotations
    # regex-prefix and the separator change how other annotations parse: handle them first.
    first = [k for k in ("konghq.com/regex-prefix", p.HEADERS_SEPARATOR, "konghq.com/protocols") if k in annotations]
    ordered = first + sorted(k for k in annotations if k not in first)
    for key in ordered:
        if key in skip:
            continue
        value = annotations[key]
        handler = handler_for(key)
        if handler is not None:
            try:
                handler(key, value, ctx)
            except p.AnnotationValueError as exc:
                ctx.invalid(key, exc)
        elif key.startswith(p.PREFIX):
            ctx.note(key, Status.UNCONVERTED, "unknown Kong annotation: not carried over",
                     "check the Kong documentation for its Gateway API replacement")
        elif key.startswith(NOT_ROUTING):
            ctx.note(key, Status.IGNORED, "tool bookkeeping, not routing configuration")
        else:
            ctx.note(key, Status.IGNORED, "not a Kong annotation: Kong ignores it, so does the conversion",
                     "if another controller reads it, migrate it separately")
    _grpc_regex_headers(ctx)
    _too_many_headers(ctx)
    return ctx.traits


MAX_HEADERS_PER_MATCH = 16  # Gateway API limit per match


def _too_many_headers(ctx: AnnotationContext) -> None:
    """More header names than one Gateway API match can hold: Kong's own annotations must carry them."""
    headers = ctx.traits.headers
    if len(headers) <= MAX_HEADERS_PER_MATCH:
        return
    keys = sorted(k for k in ctx.meta.annotations
                  if k.startswith(p.HEADERS_PREFIX) and k[len(p.HEADERS_PREFIX):].lower() in headers)
    for key in keys:
        ctx.report.discard(ctx.meta.source, Status.CONVERTED, f"annotation {key}")
    headers.clear()
    why = (f"{len(keys)} header names exceed the {MAX_HEADERS_PER_MATCH} headers one Gateway API match "
           "can hold")
    if ctx.options.router_flavor == RouterFlavor.EXPRESSIONS:
        for key in keys:
            ctx.note(key, Status.UNCONVERTED, f"{why}, and the expressions router ignores header annotations on "
                     "Gateway API routes", "reduce the header matches to 16, or keep this Ingress")
        return
    # All header annotations move together: a kept annotation replaces the route's header matches.
    for key in keys + ([p.HEADERS_SEPARATOR] if p.HEADERS_SEPARATOR in ctx.meta.annotations else []):
        ctx.keep(key, ctx.meta.annotations[key].strip(), f"{why}; the traditional routers honour the header "
                 "annotations on routes")


def _grpc_regex_headers(ctx: AnnotationContext) -> None:
    """KIC's GRPCRoute translator matches header values literally: regex values stay annotations."""
    headers = ctx.traits.headers
    if not (ctx.traits.grpc and headers):
        return
    keys = sorted(k for k in ctx.meta.annotations
                  if k.startswith(p.HEADERS_PREFIX) and k[len(p.HEADERS_PREFIX):].lower() in headers)
    if not any(v.regex for vs in headers.values() for v in vs):
        for key in keys:
            name = key[len(p.HEADERS_PREFIX):].lower()
            ctx.note(key, Status.CONVERTED, f"-> GRPCRoute header match {name} in "
                     f"({', '.join(v.value for v in headers[name])}), one match per value (Kong ORs values)")
        return
    if ctx.options.router_flavor == RouterFlavor.EXPRESSIONS:
        for key in keys:
            ctx.note(key, Status.UNCONVERTED, "a '~*' regex header value has no GRPCRoute form Kong's controller "
                     "honours, and the expressions router ignores the annotation on Gateway API routes",
                     "match on exact header values, or keep this Ingress")
        headers.clear()
        return
    # KIC's annotation replaces all header matches of the route, so every header annotation moves together.
    for key in keys + ([p.HEADERS_SEPARATOR] if p.HEADERS_SEPARATOR in ctx.meta.annotations else []):
        ctx.keep(key, ctx.meta.annotations[key].strip(), "a '~*' regex header value has no GRPCRoute form Kong's "
                 "controller honours; the traditional routers honour the header annotations on GRPCRoute")
    headers.clear()
