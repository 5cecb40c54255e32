"""Issue 13 item 2: the bounds that keep a command's cost linear in its input are enforced and reported.

(The growth itself is measured by `python3 -m benchmarks.run --shapes`, never timed here.)"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.generate import shape_methods_headers, shape_plugins
from migrate import yamlio
from migrate.verify.outcome import HTTP, Request
from migrate.verify.probes import MAX_LISTED_PROBED, MAX_PRODUCT, generate_probes
from migrate.verify.shapes import PREFIX, PathShape, RouteShape
from tests.support import run_cli


def _shape(methods: int, values: int) -> RouteShape:
    return RouteShape(hosts=("a.example.com",), paths=(PathShape(PREFIX, "/"),),
                      methods=tuple(f"M{chr(65 + i % 26)}{i}" for i in range(methods)),
                      headers=(("x-tenant", tuple((f"t{i}", False) for i in range(values))),))


def test_small_product_is_probed_in_full_without_a_note() -> None:
    notes: list[str] = []
    probes = generate_probes([_shape(3, 4)], notes)
    assert notes == []
    combos = {(p.method, p.headers) for p in probes if p.scheme == HTTP and p.path == "/"}
    assert len(combos) >= 4 * 7  # (3 methods + one outside) x (4 values + missing + unlisted + case variant)


def test_methods_times_header_values_is_bounded_and_reported() -> None:
    notes: list[str] = []
    probes = generate_probes([_shape(200, 200)], notes)
    # linear, not 200 x 200: each probed method once, each probed header variant once, per scheme and path form
    assert len(probes) < 4 * (MAX_LISTED_PROBED + 1 + MAX_LISTED_PROBED + 3) + 50
    assert len(notes) == 1
    assert "200 methods, 32 of them probed" in notes[0]
    assert "header x-tenant: 200 values, 32 of them probed" in notes[0]
    assert f"> {MAX_PRODUCT}" in notes[0]
    # the first and the last listed value are always probed
    sent = {v for p in probes for _, v in p.headers}
    assert {"t0", "t199"} <= sent


def test_convert_reports_the_bounded_product(tmp_path: Path) -> None:
    src = tmp_path / "in.yaml"
    src.write_text(yamlio.dump_yaml_documents(shape_methods_headers(200)))
    report = tmp_path / "report.json"
    result = run_cli(["convert", str(src), "--report", str(report), "--report-format", "json"])
    assert result.exit_code == 0, result.output
    entries = json.loads(report.read_text())["entries"]
    bounded = [e for e in entries if e["subject"] == "routing (probes bounded)"]
    assert len(bounded) == 1 and bounded[0]["status"] == "warning"
    assert "200 methods, 32 of them probed" in bounded[0]["message"]


def test_annotations_over_256_kib_are_refused_with_the_limit(tmp_path: Path) -> None:
    src = tmp_path / "in.yaml"
    src.write_text(yamlio.dump_yaml_documents(shape_plugins(20000)))  # ~280 KB of plugin names
    result = run_cli(["convert", str(src)])
    assert result.exit_code == 2
    assert "metadata.annotations total" in result.output
    assert "over Kubernetes' 256 KiB limit" in result.output


def test_header_index_routes_as_the_scan_does() -> None:
    """The router's (header, value) index picks the same route as trying every candidate in order."""
    from benchmarks.verify_bench import _docs
    from migrate.convert.options import ConvertOptions
    from migrate.convert.pipeline import run_convert
    from migrate.kic.settings import KICSettings  # noqa: F401  (the model the verify side uses)
    from migrate.kong.router import KongRouter, _HostCandidates
    from migrate.verify.compare import translate_sides
    from migrate.verify.options import VerifyOptions

    docs = _docs(shape_methods_headers(40))
    after = run_convert(docs, ConvertOptions()).objects
    _, afters, _ = translate_sides(docs, after, VerifyOptions())
    router = KongRouter(afters[-1][1].config, VerifyOptions().router_flavor)
    checked = 0
    for value in ("t0", "t17", "t39", "T5", "nobody", None):
        headers = (("x-tenant", value),) if value is not None else ()
        for method in ("GET", "XA", "PURGE"):
            req = Request(HTTP, "big.example.com", "/x", method, headers)
            router.candidates(req.host)
            table: _HostCandidates = router._sorted[req.host]
            indexed = table.for_request("/x", headers)
            scanned = [c for c in table.for_path("/x")]
            first = next((c for c in scanned if router._match(c, req, "/x", None) is not None), None)
            got = next((c for c in indexed if router._match(c, req, "/x", None) is not None), None)
            assert got is first
            checked += 1
    assert checked == 18
