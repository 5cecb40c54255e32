"""Report.discard withdraws entries without scanning the report (issue #14 item 3), and the report still holds
exactly what the simple definition holds, in the same order: every add kept unless an identical entry is
already there, every discard removing the entries of that (source, status, subject)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.report import Report, Status, render_json, render_text
from migrate.sources import SourceRef

SOURCES = [SourceRef("Ingress", "ns", n, "in.yaml", i) for i, n in enumerate(["a", "b", "c"])]
STATUSES = [Status.KEPT, Status.CONVERTED, Status.WARNING, Status.UNCONVERTED]
SUBJECTS = ["annotation konghq.com/protocols", "annotation konghq.com/headers.x", "spec.rules[0]"]
Row = tuple[SourceRef, Status, str, str, str]


class Simple:
    """The definition: a list, scanned."""

    def __init__(self) -> None:
        self.rows: list[Row] = []

    def add(self, *row: Any) -> None:
        if row not in self.rows:
            self.rows.append(row)

    def discard(self, source: SourceRef, status: Status, subject: str) -> None:
        self.rows = [r for r in self.rows if r[:3] != (source, status, subject)]

    def has(self, source: SourceRef, subject: str) -> bool:
        return any(r[0] == source and r[2] == subject for r in self.rows)


def rows(report: Report) -> list[Row]:
    return [(e.source, e.status, e.subject, e.message, e.action) for e in report.entries]


key = st.tuples(st.sampled_from(SOURCES), st.sampled_from(STATUSES), st.sampled_from(SUBJECTS))
op = st.one_of(
    st.tuples(st.just("add"), key, st.sampled_from(["m1", "m2"]), st.sampled_from(["", "act"])),
    st.tuples(st.just("discard"), key),
    st.tuples(st.just("read")),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(op, max_size=60))
def test_report_matches_the_simple_definition(ops: list[tuple[Any, ...]]) -> None:
    report, simple = Report(), Simple()
    for o in ops:
        if o[0] == "add":
            report.add(*o[1], o[2], o[3])
            simple.add(*o[1], o[2], o[3])
        elif o[0] == "discard":
            report.discard(*o[1])
            simple.discard(*o[1])
        else:
            assert rows(report) == simple.rows
        for source in SOURCES:
            for subject in SUBJECTS:
                assert report.has(source, subject) == simple.has(source, subject)
    assert rows(report) == simple.rows
    assert len(report.entries) == len(simple.rows)
    assert report.totals()[Status.KEPT.value] == sum(r[1] == Status.KEPT for r in simple.rows)


def test_rendering_after_discards_is_that_of_a_report_that_never_held_them() -> None:
    withdrawn, kept = Report(), Report()
    for i in range(50):
        src = SourceRef("Ingress", f"ns{i % 7}", f"app{i}", "in.yaml", i)
        for r in (withdrawn, kept):
            r.add(src, Status.CONVERTED, "spec.rules[0]", "-> HTTPRoute")
        withdrawn.add(src, Status.KEPT, "annotation konghq.com/protocols", "attached to HTTPS only")
        if i % 3:
            withdrawn.discard(src, Status.KEPT, "annotation konghq.com/protocols")
        else:
            kept.add(src, Status.KEPT, "annotation konghq.com/protocols", "attached to HTTPS only")
        for r in (withdrawn, kept):
            r.add(src, Status.KEPT, "annotation konghq.com/protocols", f"attached to HTTP too ({i})")
    assert render_text(withdrawn) == render_text(kept)
    assert render_json(withdrawn) == render_json(kept)
    assert rows(withdrawn) == rows(kept)


def test_a_withdrawn_entry_can_be_added_again() -> None:
    report, src = Report(), SOURCES[0]
    report.add(src, Status.KEPT, "s", "m")
    report.discard(src, Status.KEPT, "s")
    assert report.entries == [] and not report.has(src, "s")
    report.add(src, Status.KEPT, "s", "m")
    assert rows(report) == [(src, Status.KEPT, "s", "m", "")] and report.has(src, "s")


def test_discard_touches_only_the_withdrawn_entries() -> None:
    """Many discards of recent entries on a large report: each compaction moves only what follows the hole."""
    report = Report()
    for i in range(3000):
        report.add(SourceRef("Ingress", "ns", f"old{i}"), Status.CONVERTED, "spec", "m")
    before = report.entries
    for i in range(200):
        src = SourceRef("Ingress", "ns", f"new{i}")
        report.add(src, Status.KEPT, "p", "first")
        report.discard(src, Status.KEPT, "p")
        report.add(src, Status.KEPT, "p", "second")
        assert len(report.entries) == 3000 + i + 1
    assert report.entries is before  # the same list, never rebuilt from scratch
    assert [e.message for e in report.entries[3000:]] == ["second"] * 200
