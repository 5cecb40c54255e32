"""Service-level annotations: timeouts, BackendTLSPolicy, multi-backend consistency, missing plugins."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrate.convert.drafts import BackendDraft, MatchDraft, RouteDraft, RuleDraft
from migrate.convert.options import ConvertOptions, GatewayAPIVersion
from migrate.convert.paths import PathMatch
from migrate.convert.pipeline import run_convert
from migrate.convert.result import ConvertResult
from migrate.convert.services import check_services, duration
from migrate.loader import LoadResult, parse_text
from migrate.model.inventory import build_inventory
from migrate.report import Report, Status
from migrate.sources import SourceRef
from tests.support import oracle_errors

DURATION = r"^([0-9]{1,5}(h|m|s|ms)){1,4}$"


def _parse(ms_text: str) -> int:
    import re

    units = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"([0-9]+)(ms|h|m|s)", ms_text))


@given(st.integers(min_value=1, max_value=2**31 - 2))
def test_duration_is_valid_and_exact(ms: int) -> None:
    import re

    text = duration(ms)
    assert re.fullmatch(DURATION, text)
    assert _parse(text) == ms


def _run(text: str, **opts: Any) -> tuple[ConvertResult, Report]:
    loaded = LoadResult()
    parse_text(text, "t.yaml", loaded)
    report = Report()
    return run_convert(loaded.docs, ConvertOptions(**opts), report), report


def _ingress(backends: list[str]) -> str:
    paths = "".join(f"""
      - path: /{b}
        pathType: Prefix
        backend: {{service: {{name: {b}, port: {{number: 80}}}}}}""" for b in backends)
    return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: app, namespace: ns}}
spec:
  ingressClassName: kong
  rules:
  - http:
      paths:{paths}
---"""


def _service(name: str, annotations: dict[str, str]) -> str:
    anns = "".join(f"\n    {k}: '{v}'" for k, v in annotations.items())
    return f"""
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: ns
  annotations:{anns or ' {}'}
spec:
  ports: [{{port: 80}}]
---"""


def _timeouts(ms: int | str, read: int | str | None = None) -> dict[str, str]:
    return {"konghq.com/connect-timeout": str(ms), "konghq.com/read-timeout": str(read if read is not None else ms),
            "konghq.com/write-timeout": str(ms)}


def _rules(result: ConvertResult) -> list[dict[str, Any]]:
    return next(o for o in result.objects if o["kind"] == "HTTPRoute")["spec"]["rules"]


def test_equal_timeouts_on_every_rule_become_backend_request() -> None:
    result, _ = _run(_ingress(["a", "b"]) + _service("a", _timeouts(3000)) + _service("b", _timeouts(3000)))
    assert [r.get("timeouts") for r in _rules(result)] == [{"backendRequest": "3s"}] * 2
    assert oracle_errors(result.objects, "v1.3.0", "standard") == []


@pytest.mark.parametrize("services", [
    [("a", _timeouts(3000)), ("b", _timeouts(4000))],  # rules disagree: the webhook rejects that
    [("a", _timeouts(3000)), ("b", {})],  # one rule without timeout
    [("a", _timeouts(3000, read=5000)), ("b", _timeouts(3000, read=5000))],  # the three differ
    [("a", {"konghq.com/read-timeout": "3000"}), ("b", {"konghq.com/read-timeout": "3000"})],  # not all three
])
def test_timeouts_stay_on_the_service_unless_kong_semantics_are_identical(
        services: list[tuple[str, dict[str, str]]]) -> None:
    text = _ingress([n for n, _ in services]) + "".join(_service(n, a) for n, a in services)
    result, report = _run(text)
    assert all("timeouts" not in r for r in _rules(result))
    assert any(e.status == Status.KEPT and e.source.kind == "Service" and "timeout" in e.subject
               for e in report.entries)


def test_multi_backend_rule_with_differing_kong_annotations_is_reported() -> None:
    text = _service("a", {"konghq.com/retries": "1"}) + _service("b", {"konghq.com/retries": "2"}) + _service("c", {
        "konghq.com/retries": "1"})
    loaded = LoadResult()
    parse_text(text, "t.yaml", loaded)
    report = Report()
    inv = build_inventory(loaded.docs, report)
    src = SourceRef(kind="HTTPRoute", namespace="ns", name="r")
    match = MatchDraft(path=PathMatch("PathPrefix", "/"))
    same = RouteDraft("HTTPRoute", "ns", "same", src, rules=[RuleDraft([match], [BackendDraft("a", 80),
                                                                                  BackendDraft("c", 80)])])
    check_services([same], inv, ConvertOptions(), report, ConvertResult())
    assert not report.needs_human
    differ = RouteDraft("HTTPRoute", "ns", "differ", src, rules=[RuleDraft([match], [BackendDraft("a", 80),
                                                                                      BackendDraft("b", 80)])])
    check_services([differ], inv, ConvertOptions(), report, ConvertResult())
    [entry] = [e for e in report.entries if e.status == Status.UNCONVERTED]
    assert "konghq.com/retries" in entry.message and "ns/a, ns/b" in entry.message


TLS = {"konghq.com/tls-verify": "true", "konghq.com/host-header": "api.internal",
       "konghq.com/ca-certificates-configmaps": "root-ca"}


@pytest.mark.parametrize(("version", "api", "bundle"), [
    (GatewayAPIVersion.V1_3, "gateway.networking.k8s.io/v1alpha3", ("v1.3.0", "experimental")),
    (GatewayAPIVersion.V1_6, "gateway.networking.k8s.io/v1", ("v1.6.1", "standard")),
])
def test_backend_tls_policy_per_version(version: GatewayAPIVersion, api: str, bundle: tuple[str, str]) -> None:
    result, _ = _run(_ingress(["a"]) + _service("a", TLS), backend_tls_policy=True, gateway_api_version=version)
    [policy] = [o for o in result.objects if o["kind"] == "BackendTLSPolicy"]
    assert policy["apiVersion"] == api
    assert policy["spec"]["validation"] == {"caCertificateRefs": [{"group": "", "kind": "ConfigMap",
                                                                   "name": "root-ca"}], "hostname": "api.internal"}
    assert oracle_errors([policy], *bundle) == []


def test_backend_tls_policy_only_with_the_flag_and_a_host_header() -> None:
    result, _ = _run(_ingress(["a"]) + _service("a", TLS))
    assert not [o for o in result.objects if o["kind"] == "BackendTLSPolicy"]
    no_host = {k: v for k, v in TLS.items() if k != "konghq.com/host-header"}
    result, report = _run(_ingress(["a"]) + _service("a", no_host), backend_tls_policy=True)
    assert not [o for o in result.objects if o["kind"] == "BackendTLSPolicy"]
    assert any(e.status == Status.KEPT and "validation.hostname" in e.message for e in report.entries)


def test_missing_service_plugin_is_a_warning() -> None:
    _, report = _run(_ingress(["a"]) + _service("a", {"konghq.com/plugins": "absent"}))
    assert any(e.status == Status.WARNING and "absent" in e.message and e.source.kind == "Service"
               for e in report.entries)
