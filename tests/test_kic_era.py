"""The earlier KIC era's configuration derived from the latest's translation (`migrate.kic.era`) is the one a
translation with the earlier version builds: on every golden case, every sample, the benchmark estate and
random estates, for each router flavor the case uses; and verify's result does not change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from benchmarks.generate import generate
from migrate import yamlio
from migrate.convert.choices import RouterFlavor
from migrate.convert.options import ConvertOptions
from migrate.convert.pipeline import run_convert
from migrate.loader import LoadResult, SourceDoc, load_inputs, parse_text
from migrate.verify import VerifyOptions, compare, verify
from tests.golden import case_ids, cases
from tests.support import SAMPLES, SHARED_MISSING
from tests.test_properties_convert import estates
from tests.test_verify_golden import case_sides, verify_options

SAMPLE_FILES = sorted(SAMPLES.glob("*.yaml")) if SAMPLES.is_dir() else []


def _sides(before: list[SourceDoc], after: list[dict[str, Any]], options: VerifyOptions,
           derive: bool) -> list[tuple[str, Any, list[str], list[str]]]:
    with pytest.MonkeyPatch.context() as m:
        m.setattr(compare, "DERIVE_ERAS", derive)
        _, afters, _ = compare.translate_sides(before, after, options)
    return [(label, side.config.to_deck(), [f"{f.origin}: {f.message}" for f in side.config.failures],
             [r.describe() for r in side.rejections]) for label, side in afters]


def _check(before: list[SourceDoc], after: list[dict[str, Any]], options: VerifyOptions) -> None:
    derived = _sides(before, after, options, True)
    translated = _sides(before, after, options, False)
    assert [s[0] for s in derived] == [s[0] for s in translated]
    for got, want in zip(derived, translated, strict=True):
        assert got == want, f"era {want[0]}: the derived configuration is not the translated one"


def _docs(text: str) -> list[SourceDoc]:
    loaded = LoadResult()
    parse_text(text, "estate.yaml", loaded)
    return loaded.docs


@pytest.mark.parametrize("case", cases("convert"), ids=case_ids("convert"))
def test_derived_era_on_golden_cases(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before, after, params = case_sides(case, monkeypatch)
    _check(before, after, verify_options(params))


@pytest.mark.skipif(not SAMPLE_FILES, reason=SHARED_MISSING)
@pytest.mark.parametrize("flavor", list(RouterFlavor))
def test_derived_era_on_samples(flavor: RouterFlavor) -> None:
    for sample in SAMPLE_FILES:
        before = load_inputs([str(sample)]).docs
        after = run_convert(before, ConvertOptions(router_flavor=flavor)).objects
        _check(before, after, VerifyOptions(router_flavor=flavor))


@pytest.mark.parametrize("flavor", list(RouterFlavor))
def test_derived_era_on_the_benchmark_estate(flavor: RouterFlavor) -> None:
    """The estate has routes the eras translate otherwise (hosts without TLS: HTTP-only listeners)."""
    before = _docs(yamlio.dump_yaml_documents(generate(150, seed=11)))
    after = run_convert(before, ConvertOptions(router_flavor=flavor)).objects
    options = VerifyOptions(router_flavor=flavor)
    _check(before, after, options)
    # and without the kept protocols annotations, so that many routes differ between the eras
    for obj in after:
        obj.get("metadata", {}).get("annotations", {}).pop("konghq.com/protocols", None)
    _check(before, after, options)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(compare, "DERIVE_ERAS", False)
        translated = verify(before, after, options)
    derived = verify(before, after, options)
    assert derived.differences, "without the kept protocols some requests route differently on one era"
    assert [(d.request, d.before.key(), d.after.key(), d.eras) for d in derived.differences] == \
           [(d.request, d.before.key(), d.after.key(), d.eras) for d in translated.differences]
    assert (derived.probes, derived.identical) == (translated.probes, translated.identical)


@settings(max_examples=20, deadline=None)
@given(estates)
def test_derived_era_on_random_estates(estate: list[dict[str, Any]]) -> None:
    before = _docs(yamlio.dump_yaml_documents(estate))
    after = run_convert(before, ConvertOptions()).objects
    _check(before, after, VerifyOptions())
