"""decK declarative configuration (a parsed YAML/JSON dict) → `KongConfig`: the inverse of `KongConfig.to_deck()`.

What the model keeps and what it derives:
* services, their routes and plugins, upstreams with targets, certificates' SNIs, global plugins;
* a top-level plugin naming a `route` or `service` (by name or id; KIC's goldens write them so) is attached
  to that route or service; one naming a `consumer` (or consumer group) is dropped: probes are anonymous,
  so such a plugin never runs for them.  `consumers`, `consumer_groups` and other entities are not modelled;
* `Plugin.identity` from the plugin's tags: `k8s-kind:KongPlugin` + namespace + name → `KongPlugin ns/name`,
  `KongClusterPlugin name`; anything else (KIC-generated plugins tagged with their HTTPRoute, untagged ones) →
  `generated:<plugin name>`;
* `Route.order` is the route's position in the document; `origin` is `Kind/namespace/name` from the tags;
* `Service.backends`: the targets of the upstream the service's host names (`ip:port`, weight), or the
  service's own `host:port` when no upstream has that name; an upstream without targets gives no backends;
* `Certificate.secret`: `namespace/name` from the tags, else the certificate's id; keys are never read.

Malformed entries (wrong types) are skipped, never raised on.
"""

from __future__ import annotations

from typing import Any

from migrate.kong.config import Certificate, KongConfig, Plugin, Route, Service, Target, Upstream

_ROUTE_INT = frozenset({"regex_priority", "https_redirect_status_code", "priority"})
_ROUTE_BOOL = frozenset({"strip_path", "preserve_host", "request_buffering", "response_buffering"})
_ROUTE_LIST = frozenset({"protocols", "hosts", "paths", "methods", "snis", "sources", "destinations"})
_SERVICE_INT = frozenset({"port", "connect_timeout", "read_timeout", "write_timeout", "retries", "tls_verify_depth"})


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _tags(entry: dict[str, Any]) -> list[str]:
    return [str(t) for t in _list(entry.get("tags"))]


def _tag(tags: list[str], key: str) -> str | None:
    prefix = f"k8s-{key}:"
    for t in tags:
        if t.startswith(prefix):
            return t[len(prefix):]
    return None


def origin_from_tags(tags: list[str]) -> str:
    kind, ns, name = _tag(tags, "kind"), _tag(tags, "namespace"), _tag(tags, "name")
    if not kind or not name:
        return ""
    return f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"


def plugin_identity(name: str, tags: list[str]) -> str:
    kind, ns, obj = _tag(tags, "kind"), _tag(tags, "namespace"), _tag(tags, "name")
    if kind == "KongPlugin" and obj:
        return f"KongPlugin {ns}/{obj}" if ns else f"KongPlugin {obj}"
    if kind == "KongClusterPlugin" and obj:
        return f"KongClusterPlugin {obj}"
    return f"generated:{name}"


def _plugin(entry: dict[str, Any]) -> Plugin | None:
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        return None
    tags = _tags(entry)
    protocols = entry.get("protocols")
    ordering = entry.get("ordering")
    instance = entry.get("instance_name")
    return Plugin(
        name=name, config=_dict(entry.get("config")), identity=plugin_identity(name, tags),
        instance_name=instance if isinstance(instance, str) else None,
        enabled=entry.get("enabled") is not False,
        protocols=[str(p) for p in protocols] if isinstance(protocols, list) else None,
        ordering=ordering if isinstance(ordering, dict) else None, tags=tags)


def _route(entry: dict[str, Any], order: int) -> Route | None:
    name = entry.get("name")
    if not isinstance(name, str):
        name = str(entry.get("id") or f"route-{order}")
    kwargs: dict[str, Any] = {}
    for fld in Route.DECK_FIELDS:
        if fld == "name" or fld not in entry or entry[fld] is None:
            continue
        value = entry[fld]
        if fld in _ROUTE_INT:
            if isinstance(value, int) and not isinstance(value, bool):
                kwargs[fld] = value
        elif fld in _ROUTE_BOOL:
            if isinstance(value, bool):
                kwargs[fld] = value
        elif fld in _ROUTE_LIST:
            if isinstance(value, list):
                kwargs[fld] = value
        elif fld == "headers":
            if isinstance(value, dict):
                kwargs[fld] = {str(k): [str(v) for v in (vs if isinstance(vs, list) else [vs])]
                               for k, vs in value.items()}
        elif isinstance(value, str):  # path_handling, expression
            kwargs[fld] = value
    tags = _tags(entry)
    plugins = [p for p in (_plugin(_dict(e)) for e in _list(entry.get("plugins"))) if p is not None]
    return Route(name=name, plugins=plugins, tags=tags, origin=origin_from_tags(tags), order=order, **kwargs)


def _service(entry: dict[str, Any], order: list[int]) -> Service | None:
    name = entry.get("name")
    host = entry.get("host")
    if not isinstance(name, str) or not isinstance(host, str):
        return None
    kwargs: dict[str, Any] = {}
    for fld in Service.DECK_FIELDS:
        if fld in ("name", "host") or entry.get(fld) is None:
            continue
        value = entry[fld]
        if fld in _SERVICE_INT:
            if isinstance(value, int) and not isinstance(value, bool):
                kwargs[fld] = value
        elif fld == "tls_verify":
            if isinstance(value, bool):
                kwargs[fld] = value
        elif fld == "ca_certificates":
            if isinstance(value, list):
                kwargs[fld] = [str(v) for v in value]
        elif isinstance(value, str):
            kwargs[fld] = value
    routes: list[Route] = []
    for r in _list(entry.get("routes")):
        route = _route(_dict(r), order[0])
        if route is not None:
            order[0] += 1
            routes.append(route)
    tags = _tags(entry)
    plugins = [p for p in (_plugin(_dict(e)) for e in _list(entry.get("plugins"))) if p is not None]
    return Service(name=name, host=host, routes=routes, plugins=plugins, tags=tags, origin=origin_from_tags(tags),
                   **kwargs)


def _upstream(entry: dict[str, Any]) -> Upstream | None:
    name = entry.get("name")
    if not isinstance(name, str):
        return None
    kwargs: dict[str, Any] = {}
    for fld in Upstream.DECK_FIELDS:
        if fld == "name":
            continue
        value = entry.get(fld)
        if fld == "algorithm":
            kwargs[fld] = value if isinstance(value, str) else None
        elif value is not None:
            kwargs[fld] = value
    targets = []
    for t in _list(entry.get("targets")):
        t = _dict(t)
        target = t.get("target")
        weight = t.get("weight", 100)
        if isinstance(target, str):
            targets.append(Target(target, weight if isinstance(weight, int) and not isinstance(weight, bool) else 100))
    return Upstream(name=name, targets=targets, tags=_tags(entry), **kwargs)


def _certificate(entry: dict[str, Any]) -> Certificate:
    tags = _tags(entry)
    ns, name = _tag(tags, "namespace"), _tag(tags, "name")
    secret = f"{ns}/{name}" if ns and name else str(entry.get("id") or "")
    snis: list[str] = []
    for s in _list(entry.get("snis")):
        sni = s.get("name") if isinstance(s, dict) else s
        if isinstance(sni, str):
            snis.append(sni)
    return Certificate(secret=secret, snis=snis)


def from_deck(data: object) -> KongConfig:
    """The KongConfig a decK document describes (see the module docstring for what is derived)."""
    doc = _dict(data)
    config = KongConfig()
    order = [0]
    routes: dict[str, Route] = {}
    services: dict[str, Service] = {}
    for s in _list(doc.get("services")):
        raw = _dict(s)
        service = _service(raw, order)
        if service is None:
            continue
        config.services.append(service)
        for key in (service.name, raw.get("id")):
            if isinstance(key, str):
                services[key] = service
        raw_routes = [_dict(r) for r in _list(raw.get("routes"))]
        for route, raw_route in zip(service.routes, raw_routes, strict=False):
            for key in (route.name, raw_route.get("id")):
                if isinstance(key, str):
                    routes[key] = route
    config.upstreams = [u for u in (_upstream(_dict(e)) for e in _list(doc.get("upstreams"))) if u is not None]
    config.certificates = [_certificate(_dict(c)) for c in _list(doc.get("certificates")) if isinstance(c, dict)]
    _attach_backends(config)
    for e in _list(doc.get("plugins")):
        entry = _dict(e)
        plugin = _plugin(entry)
        if plugin is None:
            continue
        if entry.get("consumer") is not None or entry.get("consumer_group") is not None:
            continue  # runs only for that consumer: never for an anonymous probe
        route_ref, service_ref = _ref(entry.get("route")), _ref(entry.get("service"))
        if route_ref is not None:
            if route_ref in routes:
                routes[route_ref].plugins.append(plugin)
        elif service_ref is not None:
            if service_ref in services:
                services[service_ref].plugins.append(plugin)
        else:
            config.plugins.append(plugin)
    return config


def _ref(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("name", "id"):
            if isinstance(value.get(key), str):
                return str(value[key])
    return None


def _attach_backends(config: KongConfig) -> None:
    upstreams = {u.name: u for u in config.upstreams}
    for s in config.services:
        up = upstreams.get(s.host)
        if up is None:
            s.backends = ((f"{s.host}:{s.port}", 1),)
        else:
            s.backends = tuple((t.target, t.weight) for t in up.targets if t.weight > 0)
