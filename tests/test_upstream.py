"""KongIngress → KongUpstreamPolicy + Service patch; KongIngress route sections on Ingresses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from migrate.convert.options import ConvertOptions
from migrate.convert.pipeline import run_convert
from migrate.convert.result import ConvertResult
from migrate.loader import LoadResult, parse_text
from migrate.report import Report, Status
from tests.support import oracle_errors, run_cli


def _run(text: str, source_kic_major: int = 3) -> tuple[ConvertResult, Report]:
    loaded = LoadResult()
    parse_text(text, "t.yaml", loaded)
    report = Report()
    return run_convert(loaded.docs, ConvertOptions(source_kic_major=source_kic_major), report), report


def _service_with(upstream: str, proxy: str = "", route: str = "") -> str:
    return f"""
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: ns
  annotations:
    konghq.com/override: tuning
spec:
  ports: [{{port: 80}}]
---
apiVersion: configuration.konghq.com/v1
kind: KongIngress
metadata: {{name: tuning, namespace: ns}}
{upstream}
{proxy}
{route}
"""


def _policy(result: ConvertResult) -> dict[str, Any]:
    [policy] = [o for o in result.objects if o["kind"] == "KongUpstreamPolicy"]
    return policy


def test_upstream_fields_map_to_camel_case_spec_and_the_service_gets_a_patch() -> None:
    result, report = _run(_service_with("""upstream:
  algorithm: consistent-hashing
  hash_on: header
  hash_on_header: x-user
  hash_fallback: ip
  slots: 100
  healthchecks:
    active: {http_path: /ping, healthy: {interval: 2, successes: 1}}
    passive: {unhealthy: {http_failures: 2}}"""))
    policy = _policy(result)
    assert policy["apiVersion"] == "configuration.konghq.com/v1beta1"
    assert policy["metadata"]["name"] == "tuning" and policy["metadata"]["namespace"] == "ns"
    assert policy["spec"] == {
        "algorithm": "consistent-hashing", "slots": 100, "hashOn": {"header": "x-user"},
        "hashOnFallback": {"input": "ip"},
        "healthchecks": {"active": {"httpPath": "/ping", "healthy": {"interval": 2, "successes": 1}},
                         "passive": {"unhealthy": {"httpFailures": 2}}},
    }
    assert result.patches == [{"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": "api", "namespace": "ns",
        "annotations": {"konghq.com/override": None, "konghq.com/upstream-policy": "tuning"}}}]
    assert not report.needs_human


@pytest.mark.parametrize("upstream", [
    "upstream: {hash_on: ip}",  # hashOn needs a hashing algorithm
    "upstream: {algorithm: round-robin, hash_on: ip, hash_fallback: header, hash_fallback_header: x}",
    "upstream: {algorithm: consistent-hashing, hash_on: cookie, hash_on_cookie: c, hash_fallback: ip}",
    "upstream: {healthchecks: {passive: {healthy: {interval: 5, successes: 2}}}}",
    "upstream: {algorithm: sticky-sessions, sticky_sessions_cookie: s}",
])
def test_generated_policies_respect_the_crd_cel_rules(upstream: str) -> None:
    result, _ = _run(_service_with(upstream))
    assert oracle_errors([_policy(result)]) == []


def test_proxy_section_is_ignored_for_a_kic_3_source() -> None:
    # KIC 3.0 removed the proxy section: Kong never applied it (REFERENCE §5.5a)
    result, report = _run(_service_with("", "proxy: {connect_timeout: 1000}"))
    assert result.patches[0]["metadata"]["annotations"] == {"konghq.com/override": None}
    [entry] = [e for e in report.entries if e.subject == "proxy"]
    assert entry.status == Status.IGNORED and "--source-kic-version 2" in entry.action


def test_ingress_kongingress_route_section_is_ignored_for_a_kic_3_source() -> None:
    result, report = _run(INGRESS.format(extra="team: web"))
    route = _route(result)
    assert "method" not in route["spec"]["rules"][0]["matches"][0]
    assert "annotations" not in route["metadata"]
    assert any(e.status == Status.IGNORED and "route section" in e.message for e in report.entries)


def test_proxy_section_becomes_service_annotations_without_overwriting_existing_ones() -> None:
    text = _service_with("", "proxy: {connect_timeout: 1000, retries: 3}").replace(
        "konghq.com/override: tuning", "konghq.com/override: tuning\n    konghq.com/retries: '9'")
    result, report = _run(text, source_kic_major=2)
    assert [o for o in result.objects if o["kind"] == "KongUpstreamPolicy"] == []
    annotations = result.patches[0]["metadata"]["annotations"]
    assert annotations == {"konghq.com/connect-timeout": "1000", "konghq.com/override": None}
    assert any(e.status == Status.WARNING and e.subject == "proxy.retries" for e in report.entries)


def test_unconvertible_field_keeps_the_override_and_needs_a_human() -> None:
    result, report = _run(_service_with("upstream: {slots: 50, use_srv_name: true}"))
    annotations = result.patches[0]["metadata"]["annotations"]
    assert annotations == {"konghq.com/upstream-policy": "tuning"}
    unconverted = [e for e in report.entries if e.status == Status.UNCONVERTED]
    assert {e.subject for e in unconverted} == {"upstream.use_srv_name", "annotation konghq.com/override"}


def test_patches_go_to_their_own_file_with_output_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "in.yaml").write_text(_service_with("upstream: {algorithm: least-connections}"))
    monkeypatch.chdir(tmp_path)
    result = run_cli(["convert", "in.yaml", "--output-dir", "out"])
    assert result.exit_code == 0
    patch = (tmp_path / "out" / "service-patches.yaml").read_text()
    assert "konghq.com/upstream-policy: tuning" in patch and "KongUpstreamPolicy" not in patch
    assert "kind: KongUpstreamPolicy" in (tmp_path / "out" / "namespace-ns.yaml").read_text()


INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: ns
  annotations:
    konghq.com/override: web-route
    {extra}
spec:
  ingressClassName: kong
  rules:
  - host: web.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {{service: {{name: web, port: {{number: 80}}}}}}
---
apiVersion: configuration.konghq.com/v1
kind: KongIngress
metadata: {{name: web-route, namespace: ns}}
route:
  methods: [GET, POST]
  preserve_host: false
  headers: {{x-env: [prod]}}
"""


def _route(result: ConvertResult) -> dict[str, Any]:
    return next(o for o in result.objects if o["kind"] == "HTTPRoute")


def test_ingress_kongingress_route_section_becomes_route_matches_and_annotations() -> None:
    result, report = _run(INGRESS.format(extra="team: web"), source_kic_major=2)
    route = _route(result)
    matches = route["spec"]["rules"][0]["matches"]
    assert [m["method"] for m in matches] == ["GET", "POST"]
    assert all(m["headers"] == [{"name": "x-env", "value": "prod"}] for m in matches)
    assert route["metadata"]["annotations"] == {"konghq.com/preserve-host": "false"}
    assert not report.needs_human


def test_ingress_annotation_wins_over_the_kongingress_route_field() -> None:
    result, report = _run(INGRESS.format(extra="konghq.com/methods: DELETE"), source_kic_major=2)
    assert [m["method"] for m in _route(result)["spec"]["rules"][0]["matches"]] == ["DELETE"]
    assert any(e.status == Status.IGNORED and "route.methods" in e.message for e in report.entries)


@pytest.mark.parametrize(("upstream", "field"), [
    ("upstream: {slots: 5}", "upstream.slots"),
    ("upstream: {algorithm: random}", "upstream.algorithm"),
    ("upstream: {hash_on: header, algorithm: consistent-hashing}", "upstream.hash_on"),
    ("upstream: {healthchecks: {active: {concurrency: 0}}}", "concurrency"),
    ("upstream: {healthchecks: {active: {healthy: {http_statuses: [700]}}}}", "http_statuses"),
    ("upstream: {healthchecks: {active: {http_path: health}}}", "http_path"),
])
def test_invalid_upstream_values_are_errors_and_no_policy_is_guessed(upstream: str, field: str) -> None:
    result, report = _run(_service_with(upstream))
    assert [o for o in result.objects if o["kind"] == "KongUpstreamPolicy"] == []
    [error] = [e for e in report.entries if e.status == Status.ERROR]
    assert field in error.message and error.source.kind == "KongIngress"
    assert result.patches == []  # the Service keeps its override until the KongIngress is fixed


def test_hash_fields_the_algorithm_does_not_read_are_reported_as_ignored() -> None:
    result, report = _run(_service_with("upstream: {hash_on: ip, hash_on_header: x, algorithm: consistent-hashing}"))
    assert _policy(result)["spec"]["hashOn"] == {"input": "ip"}
    assert any(e.subject == "upstream.hash_on_header" and e.status == Status.IGNORED for e in report.entries)
