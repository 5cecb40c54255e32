"""The conversion report: what became of every input object, annotation and field.

Entries are data (pydantic), rendering is separate (text, markdown, json).  The report decides the
exit code: anything UNCONVERTED or ERROR needs a human.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from migrate.sources import SourceRef


def quote(text: object) -> str:
    """A value as the user writes it, in quotes: paths and regexes keep their backslashes as emitted (`'/\\*'`
    from repr() is not what the output holds).  Falls back to repr() for control characters or both quotes."""
    if isinstance(text, str) and text.isprintable():
        if "'" not in text:
            return f"'{text}'"
        if '"' not in text:
            return f'"{text}"'
    return repr(text)


class Status(StrEnum):
    CONVERTED = "converted"  # expressed in standard Gateway API (or a Kong CRD) with Kong's behaviour
    KEPT = "kept"  # carried over as a Kong annotation the controller honours on the new object
    WARNING = "warning"  # converted, but the result differs in a documented way: review it
    UNCONVERTED = "unconverted"  # not expressed in the output: a human must act
    ERROR = "error"  # invalid input: this object (or part) was not converted
    IGNORED = "ignored"  # Kong ignores it too, or it is irrelevant to routing (nothing lost)
    SKIPPED = "skipped"  # not for this migration (other ingress class, other kinds)
    INFO = "info"  # context for the reader (feature gates, channels)


NEEDS_HUMAN = frozenset({Status.UNCONVERTED, Status.ERROR})
STATUS_ORDER = {s: i for i, s in enumerate(Status)}


class Entry(BaseModel):
    source: SourceRef
    status: Status
    subject: str = Field(description="what the entry is about: an annotation, a field path, the object")
    message: str
    action: str = Field("", description="what the user should do, when anything")


_Key = tuple[SourceRef, Status, str]  # (source, status, subject): what `discard` withdraws


class _Entries:
    """The entries in the order they were added.  A withdrawn one leaves a hole (None) until the next read,
    so `discard` costs what it withdraws, not a scan of the report (a conversion discards once per HTTPS-only
    route without a TLS entry: scanning made it quadratic)."""

    __slots__ = ("items", "at", "hole", "seen", "subjects")

    def __init__(self) -> None:
        self.items: list[Entry | None] = []
        self.at: dict[_Key, list[int]] = {}  # positions in `items`, ascending
        self.hole: int | None = None  # the first hole, when any
        self.seen: set[tuple[object, ...]] = set()  # (source, status, subject, message, action) held
        self.subjects: dict[tuple[SourceRef, str], int] = {}  # entries per (source, subject)

    def compact(self) -> list[Entry]:
        """Close the holes: only the entries after the first one move (withdrawals are usually recent)."""
        first = self.hole
        if first is not None:
            tail = [e for e in self.items[first:] if e is not None]
            del self.items[first:]
            for key in {(e.source, e.status, e.subject) for e in tail}:
                self.at[key] = [i for i in self.at[key] if i < first]
            for e in tail:
                self.at[(e.source, e.status, e.subject)].append(len(self.items))
                self.items.append(e)
            self.hole = None
        return self.items  # type: ignore[return-value]  # no holes left


class Report(BaseModel):
    model_config = ConfigDict(extra="forbid")  # entries come only through add()

    input_errors: list[str] = Field(default_factory=list)
    ignored_kinds: dict[str, int] = Field(default_factory=dict)
    # what happened, when "everything converted" would mislead (e.g. "nothing converted: 3 Ingresses skipped, ...")
    summary: str = ""
    # One private attribute: each read of one goes through pydantic's __getattr__ (microseconds, per add).
    _state: _Entries = PrivateAttr(default_factory=_Entries)

    @property
    def entries(self) -> list[Entry]:
        """Every entry, in the order added (read-only: use add/discard)."""
        return self._state.compact()

    def add(self, source: SourceRef, status: Status, subject: str, message: str, action: str = "") -> None:
        # One annotation applied to several routes of one object is one finding, not several.
        key = (source, status, subject, message, action)
        st = self._state
        if key in st.seen:
            return
        st.seen.add(key)
        st.at.setdefault((source, status, subject), []).append(len(st.items))
        st.items.append(Entry(source=source, status=status, subject=subject, message=message, action=action))
        st.subjects[(source, subject)] = st.subjects.get((source, subject), 0) + 1

    def has(self, source: SourceRef, subject: str) -> bool:
        """Whether any entry of this object is about `subject` (constant time)."""
        return self._state.subjects.get((source, subject), 0) > 0

    def discard(self, source: SourceRef, status: Status, subject: str) -> None:
        """Withdraw entries a later decision made untrue (e.g. an attachment that had to change)."""
        st = self._state
        positions = st.at.pop((source, status, subject), [])
        for i in positions:
            e = st.items[i]
            assert e is not None
            st.items[i] = None
            st.seen.discard((e.source, e.status, e.subject, e.message, e.action))
            st.subjects[(e.source, e.subject)] -= 1
        if positions and (st.hole is None or positions[0] < st.hole):
            st.hole = positions[0]

    def extend(self, other: Report) -> None:
        for e in other.entries:
            self.add(e.source, e.status, e.subject, e.message, e.action)
        self.input_errors.extend(other.input_errors)
        self.summary = self.summary or other.summary
        for k, v in other.ignored_kinds.items():
            self.ignored_kinds[k] = self.ignored_kinds.get(k, 0) + v

    @property
    def needs_human(self) -> bool:
        return any(e.status in NEEDS_HUMAN for e in self.entries)

    def sorted_entries(self) -> list[Entry]:
        return sorted(self.entries, key=_entry_key)

    def totals(self) -> dict[str, int]:
        counts = Counter(e.status.value for e in self.entries)
        return {s.value: counts.get(s.value, 0) for s in Status}

    def exit_code(self) -> int:
        if self.input_errors:
            return 2
        return 1 if self.needs_human else 0


def _entry_key(e: Entry) -> tuple[str, str, str, str, int, str]:
    s = e.source
    return (s.kind, s.namespace, s.name, e.subject, STATUS_ORDER[e.status], e.message)


def _grouped(report: Report) -> dict[SourceRef, list[Entry]]:
    groups: dict[SourceRef, list[Entry]] = defaultdict(list)
    for e in report.sorted_entries():
        groups[e.source].append(e)
    return groups


def render_text(report: Report) -> str:
    lines: list[str] = []
    for err in report.input_errors:
        lines.append(f"input error: {err}")
    for source, entries in _grouped(report).items():
        lines.append(str(source))
        for e in entries:
            lines.append(f"  {e.status.value:<11} {e.subject}: {e.message}")
            if e.action:
                lines.append(f"  {'':<11} -> {e.action}")
    if report.ignored_kinds:
        kinds = ", ".join(f"{k} x{v}" for k, v in sorted(report.ignored_kinds.items()))
        lines.append(f"ignored input kinds: {kinds}")
    totals = ", ".join(f"{v} {k}" for k, v in report.totals().items() if v)
    lines.append(f"totals: {totals or 'nothing to report'}")
    code = report.exit_code()
    verdict = {0: "everything converted", 1: "some items need a human (see 'unconverted'/'error')",
               2: "input errors: some input could not be read"}[code]
    if report.summary:
        verdict = report.summary if code == 0 else f"{report.summary}; {verdict}"
    lines.append(f"result: {verdict}")
    return "\n".join(lines) + "\n"


def render_markdown(report: Report) -> str:
    lines = ["# Migration report", ""]
    if report.input_errors:
        lines += ["## Input errors", ""] + [f"- {err}" for err in report.input_errors] + [""]
    lines += ["| object | location | status | subject | message | action |", "|---|---|---|---|---|---|"]
    for e in report.sorted_entries():
        cells = [e.source.object_id, e.source.location, e.status.value, e.subject, e.message, e.action]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines += ["", "## Totals", ""]
    lines += [f"- {k}: {v}" for k, v in report.totals().items() if v]
    if report.ignored_kinds:
        lines += [f"- ignored input kind {k}: {v}" for k, v in sorted(report.ignored_kinds.items())]
    if report.summary:
        lines += ["", "## Result", "", report.summary]
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    data = {
        "exitCode": report.exit_code(),
        "totals": report.totals(),
        "inputErrors": report.input_errors,
        "ignoredKinds": dict(sorted(report.ignored_kinds.items())),
        **({"summary": report.summary} if report.summary else {}),
        "entries": [
            {
                "object": e.source.object_id,
                "kind": e.source.kind,
                "namespace": e.source.namespace,
                "name": e.source.name,
                "location": e.source.location,
                "status": e.status.value,
                "subject": e.subject,
                "message": e.message,
                "action": e.action,
            }
            for e in report.sorted_entries()
        ],
    }
    return json.dumps(data, indent=2) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}
