"""Every shared sample routes like Kong after `convert`: `verify` (with the options `convert --verify` uses) finds
no difference and no configuration Kong rejects, except those listed with a reason in
tests/samples_accepted_differences.yaml; an entry there that no longer differs fails too.

The samples are read in place from ../shared/samples (never copied into the repository) and converted with the
default options, which suit all of them (see their INDEX.md); `SAMPLE_OPTIONS` takes a sample that needs others.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from migrate import yamlio
from migrate.convert.options import ConvertOptions
from migrate.convert.pipeline import run_convert
from migrate.loader import load_inputs
from migrate.report import Report
from migrate.verify import verify
from migrate.verify.render import render_text
from tests.support import REPO, SAMPLES, SHARED_MISSING
from tests.test_properties_verify import options_for_verify

ACCEPTED_FILE = REPO / "tests" / "samples_accepted_differences.yaml"
SAMPLE_FILES = sorted(SAMPLES.glob("*.yaml")) if SAMPLES.is_dir() else []
SAMPLE_OPTIONS: dict[str, dict[str, Any]] = {}  # sample name -> ConvertOptions fields other than the defaults


@cache
def accepted_differences() -> dict[str, dict[str, str]]:
    """sample name -> {request: reason}; the file's shape is checked here."""
    docs = [d for d in yamlio.load_yaml_stream(ACCEPTED_FILE.read_text(encoding="utf-8")) if d is not None]
    assert len(docs) <= 1, f"{ACCEPTED_FILE.name}: one YAML document expected"
    raw = docs[0] if docs else {}
    assert isinstance(raw, dict), f"{ACCEPTED_FILE.name}: a mapping of sample file name -> list expected"
    out: dict[str, dict[str, str]] = {}
    for name, entries in raw.items():
        assert isinstance(entries, list), f"{ACCEPTED_FILE.name}: {name}: a list of {{request, reason}} expected"
        out[str(name)] = {}
        for entry in entries:
            assert isinstance(entry, dict) and set(entry) == {"request", "reason"}, (
                f"{ACCEPTED_FILE.name}: {name}: each entry needs exactly 'request' and 'reason', got {entry!r}")
            request, reason = str(entry["request"]).strip(), str(entry["reason"]).strip()
            assert request and reason, f"{ACCEPTED_FILE.name}: {name}: empty request or reason in {entry!r}"
            assert request not in out[str(name)], f"{ACCEPTED_FILE.name}: {name}: {request!r} listed twice"
            out[str(name)][request] = reason
    return out


@pytest.mark.skipif(not SAMPLE_FILES, reason=SHARED_MISSING)
def test_the_accepted_differences_name_existing_samples() -> None:
    names = {p.name for p in SAMPLE_FILES}
    unknown = sorted(set(accepted_differences()) - names)
    assert not unknown, f"{ACCEPTED_FILE.name} lists samples that do not exist: {unknown}"


@pytest.mark.skipif(not SAMPLE_FILES, reason=SHARED_MISSING)
@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=[p.name for p in SAMPLE_FILES])
def test_sample_conversion_routes_like_kong(sample: Path) -> None:
    loaded = load_inputs([str(sample)])
    assert not loaded.errors, loaded.errors
    options = ConvertOptions(**SAMPLE_OPTIONS.get(sample.name, {}))
    converted = run_convert(loaded.docs, options, Report())
    output = converted.objects + converted.patches  # what `convert` prints
    accepted = accepted_differences().get(sample.name, {})
    result = verify(loaded.docs, output, replace(options_for_verify(options), accepted=accepted))
    assert not result.differences and not result.rejected, (
        f"{sample.name}: the conversion routes requests differently from Kong (or Kong rejects a configuration); "
        f"fix the cause, or list each difference with its reason in {ACCEPTED_FILE.name}:\n{render_text(result)}")
    assert not result.stale_accepted, (
        f"{sample.name}: {ACCEPTED_FILE.name} lists requests that no longer differ: {result.stale_accepted}")
