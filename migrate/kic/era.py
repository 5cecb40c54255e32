"""A second KIC translation era from the first: `verify` checks the output on KIC 3.4.0-3.5.6 and on 3.5.7+,
whose translations differ only in the protocols Gateway API routes start with (REFERENCE §5.5a).  Translating
with `KICSettings.alternative_version` records, on each route that version starts otherwise, the Kong fields
it ends up with (`Route.alternative_fields`, after the same overrides); `derive` applies them.  Tests check the
derived configuration against a translation with that version, on every golden case and sample.
"""

from __future__ import annotations

from dataclasses import replace

from migrate.kong.config import KongConfig, Route


def changed_routes(config: KongConfig) -> list[Route]:
    """The routes the alternative version translates otherwise."""
    return [route for _, route in config.routes() if route.alternative_fields]


def derive(config: KongConfig) -> KongConfig:
    """The configuration the alternative version builds (`config` itself when no route differs; unchanged
    services and routes are shared)."""
    if not changed_routes(config):
        return config
    services = []
    for service in config.services:
        if any(route.alternative_fields for route in service.routes):
            routes = [replace(route, **route.alternative_fields, alternative_fields={}) if route.alternative_fields
                      else route for route in service.routes]
            service = replace(service, routes=routes)
        services.append(service)
    return replace(config, services=services)
