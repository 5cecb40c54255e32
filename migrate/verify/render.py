"""Verification results as text (for people) and JSON (for CI)."""

from __future__ import annotations

import json

from migrate.verify.compare import Difference, VerifyResult


def summary_line(result: VerifyResult) -> str:
    accepted = f" ({len(result.accepted)} accepted)" if result.accepted else ""
    eras = f", after side on {' and '.join(result.eras)}" if result.eras else ""
    n = len(result.rejected)
    rejected = f", {n} {'entity' if n == 1 else 'entities'} Kong would reject" if n else ""
    if result.probes == 0:
        return (f"verify ({result.router_flavor} router{eras}): no HTTP route on either side, so no request was "
                f"checked{rejected}")
    return (f"verify ({result.router_flavor} router{eras}): {result.probes} probes, {result.identical} identical, "
            f"{result.different} different{accepted}{rejected}")


def _difference_lines(label: str, d: Difference) -> list[str]:
    lines = [f"{label} {d.request.describe()}"]
    for side, outcome in (("before", d.before), ("after ", d.after)):
        who = f"  [{'; '.join(outcome.sources)}]" if outcome.sources else ""
        lines.append(f"  {side}: {outcome.describe()}{who}")
    if d.eras and len(d.eras) < 2:
        lines.append(f"  only on: {', '.join(d.eras)}")
    if d.reason:
        lines.append(f"  accepted: {d.reason}")
    return lines


def render_text(result: VerifyResult) -> str:
    lines = [summary_line(result)]
    for text in result.rejected:
        lines.append(f"REJECTED {text}")
    for text, reason in result.accepted_rejected:
        lines.append(f"ACCEPTED REJECTED {text}")
        lines.append(f"  accepted: {reason}")
    for d in result.differences:
        lines += _difference_lines("DIFFERENT", d)
    for d in result.accepted:
        lines += _difference_lines("ACCEPTED", d)
    for text in result.stale_accepted:
        lines.append(f"accepted line matches no difference (the request was not probed, or now routes the same): {text}")
    for note in result.notes:
        lines.append(f"note: {note}")
    if any(r.startswith("after") for r in result.rejected):
        verdict = "Kong would reject the converted configuration (see REJECTED above)"
    elif result.rejected:
        verdict = "Kong rejects today's configuration (see REJECTED above); " + (
            "and routing differs" if result.differences else "otherwise same routing")
    elif result.differences:
        verdict = "routing differs: review the differences above"
    elif result.probes == 0:
        verdict = "nothing to compare (no HTTP routes)"
    else:
        verdict = "same routing"
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
        "rejected": result.rejected,
        "acceptedRejected": [{"rejected": t, "acceptedBecause": r} for t, r in result.accepted_rejected],
        "kicVersions": list(result.eras),
        "notes": result.notes,
    }
    return json.dumps(data, indent=2) + "\n"
