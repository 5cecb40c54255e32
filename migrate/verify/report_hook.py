"""`convert --verify`: the verifier run on the conversion's own output, its findings added to the report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from migrate.convert.options import ConvertOptions
from migrate.loader import SourceDoc
from migrate.processes import Inbox
from migrate.report import Report, Status
from migrate.sources import SourceRef
from migrate.verify.compare import BeforeSide, prepare_before, verify
from migrate.verify.options import VerifyOptions
from migrate.verify.outcome import Outcome
from migrate.verify.render import summary_line

VERIFY_SOURCE = SourceRef(kind="migrate", name="verify")
MAX_LISTED = 50  # the rest is summarised: `migrate verify` lists them all


def _side(outcome: Outcome) -> str:
    return outcome.describe() + (f" [{'; '.join(outcome.sources)}]" if outcome.sources else "")


EntryArgs = tuple[SourceRef, Status, str, str, str]


def verify_options(options: ConvertOptions) -> VerifyOptions:
    from migrate.kic.settings import source_kic

    return VerifyOptions(router_flavor=options.router_flavor, ingress_classes=options.ingress_classes,
                         default_ingress_class=options.default_ingress_class, target_kic=options.target_kic,
                         source_kic=source_kic(options.source_kic_major))


def verification_entries(before_docs: Sequence[SourceDoc], output: Inbox[Sequence[dict[str, Any]]],
                         options: ConvertOptions) -> list[EntryArgs]:
    """The report entries of `add_verification`, as plain tuples (they cross a process boundary).  The
    output comes from `output`, read once today's side is prepared (that needs the input only, so `convert`
    starts it before the conversion is done; the preparation stops warming caches when the output is there)."""
    prepared = prepare_before(before_docs, verify_options(options), warm_until=output.ready)
    report = Report()
    add_verification(report, before_docs, output.get(), options, prepared)
    return [(e.source, e.status, e.subject, e.message, e.action) for e in report.entries]


def add_verification(report: Report, before_docs: Sequence[SourceDoc], objects: Sequence[dict[str, Any]],
                     options: ConvertOptions, prepared: BeforeSide | None = None) -> None:
    """Each routing difference becomes an `unconverted` entry (exit code 1); a summary line is always added."""
    result = verify(before_docs, objects, verify_options(options), prepared)
    report.add(VERIFY_SOURCE, Status.INFO, "routing", summary_line(result))
    for text in result.rejected:
        if text.startswith("before"):
            report.add(VERIFY_SOURCE, Status.ERROR, "Kong configuration",
                       f"Kong rejects what its controller builds from today's objects: {text}",
                       "fix the source object (see its entries): Kong's sync fails or skips it today")
        else:
            report.add(VERIFY_SOURCE, Status.ERROR, "Kong configuration",
                       f"Kong would reject what its controller builds from the output: {text}",
                       "report this conversion: the output must load in Kong")
    for text in result.bounded:
        report.add(VERIFY_SOURCE, Status.WARNING, "routing (probes bounded)", text,
                   "check the method/header combinations of these routes by hand if they matter")
    for pattern, why in result.unevaluated:
        report.add(VERIFY_SOURCE, Status.UNCONVERTED, "routing (regex not evaluated)",
                   f"regex {pattern!r} could not be evaluated: {why}; the requests it routes were not compared",
                   "check the routes using this regex by hand, or simplify it (no quantified group holding "
                   "another quantifier)")
    for d in result.differences[:MAX_LISTED]:
        report.add(VERIFY_SOURCE, Status.UNCONVERTED, "routing",
                   f"{d.request.describe()}: before {_side(d.before)}; after {_side(d.after)}",
                   "review this request: it is routed differently after the migration")
    if len(result.differences) > MAX_LISTED:
        # its own subject, so it sorts after the differences it summarises
        report.add(VERIFY_SOURCE, Status.UNCONVERTED, "routing (not listed)",
                   f"{len(result.differences) - MAX_LISTED} more differences", "run migrate verify to list them all")
