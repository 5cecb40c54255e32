"""Every shared sample converts without an exception; every unconverted item says what, where and why."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from migrate.convert.options import ConvertOptions, GatewayAPIVersion
from migrate.convert.pipeline import run_convert
from migrate.loader import load_inputs
from migrate.report import NEEDS_HUMAN, Report
from tests.support import SAMPLES, SHARED_MISSING

SAMPLE_FILES = sorted(SAMPLES.glob("*.yaml")) if SAMPLES.is_dir() else []
# An annotation ("annotation konghq.com/x"), a field path ("spec.rules[0].host", "upstream.slots"), or a
# route rule ("HTTPRoute rule 2"): the subject must point at the thing a human has to look at.
GENERIC = {"object", "output", "spec", "metadata"}
SUBJECT = re.compile(r"annotation \S+|[A-Za-z][\w-]*(\[\d+\])?(\.[\w-]+(\[\d+\])?)*|[A-Za-z]+Route rule \d+")


@pytest.mark.skipif(not SAMPLE_FILES, reason=SHARED_MISSING)
@pytest.mark.parametrize("version", list(GatewayAPIVersion))
@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=[p.name for p in SAMPLE_FILES])
def test_sample_converts_and_every_unconverted_item_names_object_subject_and_reason(
        sample: Path, version: GatewayAPIVersion) -> None:
    loaded = load_inputs([str(sample)])
    report = Report()
    run_convert(loaded.docs, ConvertOptions(gateway_api_version=version, backend_tls_policy=True), report)
    for entry in report.entries:
        if entry.status not in NEEDS_HUMAN:
            continue
        assert entry.source.kind and entry.source.name, f"no object named: {entry}"
        assert SUBJECT.fullmatch(entry.subject) and entry.subject not in GENERIC, (
            f"subject names no annotation or field: {entry.subject!r}")
        assert len(entry.message) > 20, f"no reason given: {entry}"
