"""KIC's own goldens for Gateway API routes: translate(in.yaml) through the whole model (migrate.kic.translate,
which calls migrate.kic.gatewayapi) must equal the golden, field by field.

The comparison projection is tests/test_kic_ingress.py's (`model_deck`, `view`): ids and tags dropped, services
and upstreams in name order, KongPlugin-derived plugins hoisted to the top level as KIC's decK file lists them.
Plus: a golden service without `port` (KIC sets it only from a resolved backend, translate_upstreams.go) reads
as Kong's default port 80, which the model's `Service.port` always carries.
"""

from __future__ import annotations

import pytest

from tests.kic_support import differences, golden_variants, settings_for
from tests.support import require_shared
from tests.test_kic_ingress import load_docs, model_deck, view

CASES = ("httproute-example", "httproute-url-rewrite-path-prefix", "host-header-annotation-httproute",
         "grpcroute-example", "tcproute-example", "tlsroute-example", "udproute-example",
         "kongupstreampolicy-httproute", "same-name-services-single-backend", "fallback-config-gateway-api")

SKIPPED: dict[str, str] = {
    "fallback-config-gateway-api": "fallback configuration: Kong rejects the objects annotated "
                                   "test.konghq.com/broken and KIC resends without them; the model has no Kong",
}


def _variants() -> list[object]:
    out = []
    for case in CASES:
        from tests.kic_support import KIC_GOLDENS

        path = KIC_GOLDENS / case
        variants = golden_variants(path) if path.is_dir() else [("default_golden.yaml", None)]
        for golden, settings in variants:
            out.append(pytest.param(case, golden, settings, id=f"{case}/{golden}"))
    return out


@pytest.mark.parametrize(("case", "golden", "settings_file"), _variants())
def test_gateway_api_golden(case: str, golden: str, settings_file: str | None) -> None:
    from migrate.kic.translate import translate

    path = require_shared("kic-goldens", "v3.5.13", case)
    if case in SKIPPED:
        pytest.skip(SKIPPED[case])
    config = translate(load_docs(path / "in.yaml"), settings_for(path, settings_file))
    got = model_deck(config)
    want = view(load_docs(path / golden)[0])
    for service in want.get("services", []):
        service.setdefault("port", 80)  # Kong's default (module docstring)
    assert differences(got, want) == []
    assert not [f for f in config.failures if "internal error" in f.message]
