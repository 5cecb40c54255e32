"""Gateway API routes (HTTPRoute, GRPCRoute, TCPRoute, UDPRoute, TLSRoute) as KIC translates them.

Placeholder until the translator lands: translates nothing."""

from __future__ import annotations

from migrate.kic.settings import KICSettings
from migrate.kic.store import Store
from migrate.kong.config import Service, TranslationFailure


def translate_gateway_api(store: Store, settings: KICSettings) -> tuple[list[Service], list[TranslationFailure]]:
    return [], []
