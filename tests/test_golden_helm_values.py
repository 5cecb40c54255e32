"""Golden cases for `migrate helm-values` and `migrate check`: exact stdout, stderr and exit code.

For every helm-values case that produced values, `check` on those values must report every listener
Programmed, and the env strings / Services it printed must be what our chart renderer derives.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.kongstatus import kong_listens_from_values, predict_listener_status, read_gateways
from migrate.kongstatus.gateways import kong_classes
from migrate.loader import load_inputs
from migrate.yamlio import load_yaml_stream
from tests.golden import case_ids, cases, check_case, run_case

HELM = cases("helm-values")
CHECK = cases("check")


@pytest.mark.parametrize("case", HELM, ids=case_ids("helm-values"))
def test_golden_helm_values(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check_case(case, run_case(case, monkeypatch))


@pytest.mark.parametrize("case", CHECK, ids=case_ids("check"))
def test_golden_check(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check_case(case, run_case(case, monkeypatch))


def test_there_are_enough_layouts() -> None:
    assert len(HELM) >= 20
    assert {"seed-example", "udp-separate-service", "umbrella-chart", "merge-commented-values"} <= {c.name for c in HELM}


def test_check_goldens_cover_every_reason() -> None:
    text = "".join((c / "expected.out").read_text() for c in CHECK if (c / "expected.out").exists())
    for reason in ("PortUnavailable", "UnsupportedProtocol", "ProtocolConflict", "HostnameConflict",
                   "InvalidRouteKinds"):
        assert reason in text, reason


def _prints_values(case: Path) -> bool:
    """Cases whose stdout is a values block (error cases print none)."""
    args = (case / "args.txt").read_text().splitlines()
    succeeded = (case / "expected.exit").read_text().strip() == "0"
    return succeeded and ("-o" not in args or args[args.index("-o") + 1] == "values")


VALUES_CASES = [c for c in HELM if _prints_values(c)]


@pytest.mark.parametrize("case", VALUES_CASES, ids=[c.name for c in VALUES_CASES])
def test_golden_values_leave_every_listener_programmed(case: Path) -> None:
    args = (case / "args.txt").read_text().splitlines()
    chart = args[args.index("--chart") + 1] if "--chart" in args else "kong"
    release = args[args.index("--release") + 1] if "--release" in args else "kong"
    namespace = args[args.index("--namespace") + 1] if "--namespace" in args else "kong"
    values = next(iter(load_yaml_stream((case / "expected.out").read_text())))
    docs = load_inputs([str(case / "gateway.yaml")]).docs
    gateways, errors = read_gateways(docs)
    assert not errors
    classes, _ = kong_classes(docs)
    gateways = [g for g in gateways if g.class_name in classes]
    if "--gateway" in args:
        ns, name = args[args.index("--gateway") + 1].split("/")
        gateways = [g for g in gateways if (g.namespace, g.name) == (ns, name)]
    listens = kong_listens_from_values(values, release=release, namespace=namespace, chart=chart)
    statuses = predict_listener_status(gateways, listens)
    assert statuses and all(s.programmed for s in statuses), [(s.listener.name, s.reasons) for s in statuses]
