"""What verify says is honest and pasteable (issue #12 item 5): an accept line may be a DIFFERENT line as
printed, an accept line that matches nothing says so, an L4-only input says nothing was checked, and the
"N more differences" entry of convert's report sorts after the differences it summarises."""

from __future__ import annotations

from pathlib import Path

from migrate.report import Report, Status, render_text
from migrate.verify import parse_accepted
from migrate.verify.compare import Difference, VerifyResult
from migrate.verify.outcome import Outcome, Request
from migrate.verify.render import render_text as render_verify
from migrate.yamlio import dump_yaml_documents
from tests.support import run_cli


def test_a_pasted_different_line_is_accepted_as_printed() -> None:
    accepted = parse_accepted("DIFFERENT http GET a.example.com/x -- reviewed\nhttp GET b.example.com/ -- ok\n")
    assert accepted == {"http GET a.example.com/x": "reviewed", "http GET b.example.com/": "ok"}


def test_an_accept_line_that_matches_nothing_is_named_as_such() -> None:
    result = VerifyResult(router_flavor="traditional", probes=3, identical=3, stale_accepted=["http GET x/"])
    assert "accepted line matches no difference" in render_verify(result)


def test_l4_only_input_says_nothing_was_checked(tmp_path: Path) -> None:
    tcp = {"apiVersion": "configuration.konghq.com/v1beta1", "kind": "TCPIngress",
           "metadata": {"name": "db", "namespace": "apps", "annotations": {"kubernetes.io/ingress.class": "kong"}},
           "spec": {"rules": [{"port": 9000, "backend": {"serviceName": "db", "servicePort": 5432}}]}}
    before = tmp_path / "in.yaml"
    before.write_text(dump_yaml_documents([tcp], ""))
    converted = run_cli(["convert", str(before)])
    assert "no HTTP route on either side, so no request was checked" in converted.stderr
    after = tmp_path / "out.yaml"
    after.write_text(converted.stdout)
    verified = run_cli(["verify", "--before", str(before), "--after", str(after)])
    assert "result: nothing to compare (no HTTP routes)" in verified.stdout
    assert "same routing" not in verified.stdout


def test_the_more_differences_entry_sorts_after_the_differences() -> None:
    from migrate.convert.options import ConvertOptions
    from migrate.verify import report_hook

    report = Report()
    diffs = [Difference(Request("http", "a.example.com", f"/{i}"), Outcome("status", status=404),
                        Outcome("status", status=500)) for i in range(report_hook.MAX_LISTED + 2)]
    result = VerifyResult(router_flavor="traditional", probes=len(diffs), differences=diffs)
    original = report_hook.verify
    report_hook.verify = lambda *args, **kwargs: result  # type: ignore[assignment]
    try:
        report_hook.add_verification(report, [], [], ConvertOptions())
    finally:
        report_hook.verify = original  # type: ignore[assignment]
    lines = [line for line in render_text(report).splitlines() if "routing" in line and Status.UNCONVERTED in line]
    assert lines[-1].strip().startswith("unconverted routing (not listed): 2 more differences")
