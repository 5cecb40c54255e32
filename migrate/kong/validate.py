"""What Kong refuses when it loads a declarative configuration.

Kong validates every entity against its schema before it loads anything; one invalid entity rejects the
whole configuration (KIC then reports the sync failure and Kong keeps serving what it had).  The rules
modelled here are those KIC's output can break (Kong/kong: kong/db/schema/entities/routes.lua,
kong/db/schema/typedefs.lua, kong/plugins/redirect/schema.lua; REFERENCE §5.5a):

* route `snis` need a protocol among https, grpcs, tls, tls_passthrough;
* protocols from different groups cannot mix: http/https (ws/wss), grpc/grpcs, tcp/tls/udp, tls_passthrough;
* a path starts with `/` or, for a regex, `~`; regexes (paths and `~*` header values) must compile in the
  flavor's engine: PCRE for `traditional` (Python's `re` as a proxy, after mapping `(?<name>`), the Rust
  `regex` crate for `traditional_compatible` and `expressions` (no look-around, no backreferences);
* `expression` must parse (`migrate.kong.atc`); the expressions flavor needs `expression` on every HTTP route
  and no traditional matchers beside it; the traditional flavors refuse `expression`;
* a `Host` header match is refused (hosts belong in `hosts`);
* `https_redirect_status_code` is one of 426, 301, 302, 307, 308;
* HTTP routes need at least one of methods, hosts, headers, paths, snis;
* the `redirect` plugin's `location` must be an absolute http(s) URL; `request-termination`'s `status_code`
  lies in 100..599.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from migrate.convert.choices import RouterFlavor
from migrate.kong import atc
from migrate.kong.config import KongConfig, Plugin, Route, Service

SYNC_FAILS = "Kong rejects the whole configuration (one invalid entity fails the sync)"

HTTP_GROUP = frozenset({"http", "https", "ws", "wss"})
GRPC_GROUP = frozenset({"grpc", "grpcs"})
STREAM_GROUP = frozenset({"tcp", "tls", "udp"})
PASSTHROUGH_GROUP = frozenset({"tls_passthrough"})
PROTOCOL_GROUPS = (HTTP_GROUP, GRPC_GROUP, STREAM_GROUP, PASSTHROUGH_GROUP)
SNI_PROTOCOLS = frozenset({"https", "grpcs", "tls", "tls_passthrough"})
HTTP_SUBSYSTEM = HTTP_GROUP | GRPC_GROUP
REDIRECT_STATUS_CODES = frozenset({426, 301, 302, 307, 308})
DEFAULT_PROTOCOLS = ("http", "https")


@dataclass(frozen=True)
class KongRejection:
    entity: str  # "route <name>" | "plugin <name> on route <name>" | "certificate <secret>" ...
    rule: str  # short rule id, e.g. "snis-protocols"
    message: str
    # the route or service the rejected entity belongs to (what a fallback configuration would leave out)
    route: str | None = None
    service: str | None = None

    def describe(self) -> str:
        return f"{self.entity}: {self.message}"


def route_protocols(route: Route) -> tuple[str, ...]:
    return tuple(route.protocols) if route.protocols else DEFAULT_PROTOCOLS


def is_http_route(route: Route) -> bool:
    return any(p in HTTP_SUBSYSTEM for p in route_protocols(route))


def pcre_regex_problem(pattern: str) -> str | None:
    """Why PCRE (the traditional router) refuses `pattern`, Python's `re` standing in for PCRE."""
    return atc.compile_python_regex(pattern)[1]


def regex_problem(pattern: str, flavor: RouterFlavor) -> str | None:
    if flavor == RouterFlavor.TRADITIONAL:
        return pcre_regex_problem(pattern)
    return atc.compile_rust_regex(pattern)[1]


def validate(config: KongConfig, flavor: RouterFlavor,
             by_route: dict[int, list[KongRejection]] | None = None) -> list[KongRejection]:
    """Every entity Kong would refuse, in configuration order; [] when Kong loads the configuration.
    `by_route`: each Route object's verdict, kept across calls for configurations that share Route objects
    (`migrate.kic.era`); the verdict is the route's own (same flavor throughout)."""
    out: list[KongRejection] = []
    for service in config.services:
        out.extend(replace(r, service=service.name) for r in _service(service))
        for plugin in service.plugins:
            out.extend(replace(r, service=service.name)
                       for r in _plugin(plugin, f"plugin {plugin.name} on service {service.name}"))
        for route in service.routes:
            found = by_route.get(id(route)) if by_route is not None else None
            if found is None:
                found = [replace(r, route=route.name) for r in _route(route, flavor)]
                for plugin in route.plugins:
                    found.extend(replace(r, route=route.name)
                                 for r in _plugin(plugin, f"plugin {plugin.name} on route {route.name}"))
                if by_route is not None:
                    by_route[id(route)] = found
            out.extend(found)
    for plugin in config.plugins:
        out.extend(_plugin(plugin, f"global plugin {plugin.name}"))
    return out


def _service(service: Service) -> list[KongRejection]:
    entity = f"service {service.name}"
    if isinstance(service.port, bool) or not isinstance(service.port, int) or not 0 <= service.port <= 65535:
        return [_reject(entity, "service-port", f"port {service.port!r} is not in 0..65535")]
    return []


def _reject(entity: str, rule: str, message: str) -> KongRejection:
    return KongRejection(entity, rule, f"{message}; {SYNC_FAILS}")


def _route(route: Route, flavor: RouterFlavor) -> list[KongRejection]:
    entity = f"route {route.name}"
    out: list[KongRejection] = []
    protocols = route_protocols(route)
    unknown = [p for p in protocols if not any(p in g for g in PROTOCOL_GROUPS)]
    if unknown:
        out.append(_reject(entity, "protocols", f"unknown protocol(s) {', '.join(unknown)}"))
    groups = {i for i, g in enumerate(PROTOCOL_GROUPS) for p in protocols if p in g}
    if len(groups) > 1:
        out.append(_reject(entity, "protocols-mix",
                           f"protocols {', '.join(protocols)} mix incompatible groups (http/https, grpc/grpcs, "
                           "tcp/tls/udp, tls_passthrough)"))
    if route.snis and not set(protocols) & SNI_PROTOCOLS:
        out.append(_reject(entity, "snis-protocols",
                           "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"))
    code = route.https_redirect_status_code
    if code is not None and code not in REDIRECT_STATUS_CODES:
        out.append(_reject(entity, "https-redirect-status-code",
                           f"https_redirect_status_code {code} is not one of 426, 301, 302, 307, 308"))
    traditional_fields = [name for name in ("hosts", "paths", "methods", "headers", "snis", "sources",
                                            "destinations") if getattr(route, name)]
    if flavor == RouterFlavor.EXPRESSIONS:
        if route.expression is None:
            out.append(_reject(entity, "expression-missing",
                               "the expressions router needs an 'expression' on every route"))
        elif traditional_fields:
            out.append(_reject(entity, "expression-mixed",
                               f"'expression' cannot be combined with {', '.join(traditional_fields)}"))
        if route.expression is not None:
            parsed = atc.parse(route.expression)
            if isinstance(parsed, atc.AtcError):
                out.append(_reject(entity, "expression-parse", f"invalid expression {route.expression!r}: {parsed}"))
    else:
        if route.expression is not None:
            out.append(_reject(entity, "expression-flavor",
                               f"'expression' is only accepted by the expressions router (flavor {flavor.value})"))
        if route.priority is not None:
            out.append(_reject(entity, "priority-flavor",
                               f"'priority' is only accepted by the expressions router (flavor {flavor.value})"))
        if is_http_route(route) and not any((route.methods, route.hosts, route.headers, route.paths, route.snis)):
            out.append(_reject(entity, "no-matcher",
                               "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' for HTTP protocols"))
    for path in route.paths or []:
        if not isinstance(path, str) or not path.startswith(("/", "~")):
            out.append(_reject(entity, "path", f"path {path!r} must start with '/' or '~' (regex)"))
            continue
        if path.startswith("~"):
            problem = regex_problem(path[1:], flavor)
            if problem:
                out.append(_reject(entity, "path-regex", f"path {path!r}: {problem}"))
    for name, values in (route.headers or {}).items():
        if str(name).lower() == "host":
            out.append(_reject(entity, "header-host", "cannot match on the 'Host' header: use 'hosts'"))
            continue
        for value in values or []:
            if isinstance(value, str) and value.startswith("~*"):
                problem = regex_problem(value[2:], flavor)
                if problem:
                    out.append(_reject(entity, "header-regex", f"header {name} value {value!r}: {problem}"))
    return out


def _plugin(plugin: Plugin, entity: str) -> list[KongRejection]:
    config = plugin.config if isinstance(plugin.config, dict) else {}
    out: list[KongRejection] = []
    if plugin.name == "redirect":
        location = config.get("location")
        if not _absolute_url(location):
            out.append(_reject(entity, "redirect-location",
                               f"config.location {location!r} must be an absolute http(s) URL"))
        code = config.get("status_code", 301)
        if not isinstance(code, int) or not 100 <= code <= 599:
            out.append(_reject(entity, "redirect-status", f"config.status_code {code!r} is not an HTTP status"))
    elif plugin.name == "request-termination":
        code = config.get("status_code", 503)
        if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 599:
            out.append(_reject(entity, "termination-status", f"config.status_code {code!r} is not in 100..599"))
    return out


def _absolute_url(value: object) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
