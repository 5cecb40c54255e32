"""Verification results as text (for people) and JSON (for CI)."""

from __future__ import annotations

import json

from migrate.verify.compare import Difference, VerifyResult


def summary_line(result: VerifyResult) -> str:
    accepted = f" ({len(result.accepted)} accepted)" if result.accepted else ""
    return (f"verify ({result.router_flavor} router): {result.probes} probes, {result.identical} identical, "
            f"{result.different} different{accepted}")


def _difference_lines(label: str, d: Difference) -> list[str]:
    lines = [f"{label} {d.request.describe()}"]
    for side, outcome in (("before", d.before), ("after ", d.after)):
        who = f"  [{'; '.join(outcome.sources)}]" if outcome.sources else ""
        lines.append(f"  {side}: {outcome.describe()}{who}")
    if d.reason:
        lines.append(f"  accepted: {d.reason}")
    return lines


def render_text(result: VerifyResult) -> str:
    lines = [summary_line(result)]
    for d in result.differences:
        lines += _difference_lines("DIFFERENT", d)
    for d in result.accepted:
        lines += _difference_lines("ACCEPTED", d)
    for text in result.stale_accepted:
        lines.append(f"stale accepted difference (no longer differs): {text}")
    for note in result.notes:
        lines.append(f"note: {note}")
    verdict = "routing differs: review the differences above" if result.differences else "same routing"
    lines.append(f"result: {verdict}")
    return "\n".join(lines) + "\n"


def render_json(result: VerifyResult) -> str:
    data = {
        "exitCode": result.exit_code(),
        "routerFlavor": result.router_flavor,
        "probes": result.probes,
        "identical": result.identical,
        "different": result.different,
        "differences": [d.as_dict() for d in result.differences],
        "acceptedDifferences": [d.as_dict() for d in result.accepted],
        "staleAccepted": result.stale_accepted,
        "notes": result.notes,
    }
    return json.dumps(data, indent=2) + "\n"
