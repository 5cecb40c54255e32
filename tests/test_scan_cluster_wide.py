"""Referenced Services and Secrets: one cluster-wide list per kind when the scan covers all namespaces
(issue 14), per namespace with -n, for a few namespaces, or after a 403 on the cluster-wide list.  Every
path reads the same snapshot: the scan's output is the same bytes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from migrate.scan import collect
from migrate.scan import kinds as k
from tests.scan_fixtures.fake_cluster import FakeCluster
from tests.test_scan import SECRET_MARKER, ingress, load, scan, secret, service

SERVICES = "/api/v1/services"
SECRETS = "/api/v1/secrets"


def estate(c: FakeCluster, namespaces: int) -> None:
    """Per namespace: two Ingresses (one with TLS on a kubernetes.io/tls Secret, one on an Opaque one) and
    their Services, plus a Service and a Secret nobody references; and a namespace with nothing of Kong's."""
    objs: list[dict[str, Any]] = []
    for i in range(namespaces):
        ns = f"team-{i:02d}"
        objs += [ingress("web", ns, f"web.{ns}.example.com", "web", tls_secret="web-tls"),
                 ingress("api", ns, f"api.{ns}.example.com", "api", tls_secret="api-cert"),
                 service("web", ns), service("api", ns), service("unrelated", ns),
                 secret("web-tls", ns), secret("api-cert", ns, "Opaque"), secret("db-password", ns, "Opaque")]
    objs += [service("lonely", "other"), secret("lonely", "other")]
    load(c, objs)
    for ns in [*(f"team-{i:02d}" for i in range(namespaces)), "other"]:
        c.add(k.NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})


@pytest.fixture
def cluster() -> Iterator[FakeCluster]:
    with FakeCluster() as c:
        yield c


def _lists(c: FakeCluster, plural: str, since: int = 0) -> list[str]:
    """The paths of the list calls on `plural` (core group) without a label selector, cluster-wide or per
    namespace: the referenced objects (the Kong proxy is searched for by its labels)."""
    return [r.path for r in c.log[since:] if r.path.endswith(f"/{plural}") and r.path.startswith("/api/v1/")
            and not r.query.get("labelSelector")]


def test_cluster_wide_and_per_namespace_lists_scan_the_same(cluster: FakeCluster, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    estate(cluster, 6)
    wide = scan(cluster, tmp_path, "--page-size", "4")
    assert set(_lists(cluster, "services")) == {SERVICES}
    assert set(_lists(cluster, "secrets")) == {SECRETS}
    assert not [r for r in cluster.log if "/namespaces/team-" in r.path], "no per-namespace list at all"

    # The per-namespace path (what every scan did before, and still does for a few namespaces).
    monkeypatch.setattr(collect, "PER_NAMESPACE_UP_TO", 1000)
    before = len(cluster.log)
    per_ns = scan(cluster, tmp_path, "--page-size", "4")
    paths = set(_lists(cluster, "services", before) + _lists(cluster, "secrets", before))
    assert paths == {f"/api/v1/namespaces/team-{i:02d}/{p}" for i in range(6) for p in ("services", "secrets")}

    assert (wide.exit_code, wide.stdout, wide.stderr) == (per_ns.exit_code, per_ns.stdout, per_ns.stderr)
    assert "read: Ingress 12, Secret 12, Service 12" in wide.stderr  # only what the Ingresses reference
    assert "unrelated" not in wide.stdout and "lonely" not in wide.stdout and SECRET_MARKER not in wide.stdout
    # The conversion saw each Secret's type: the Opaque ones are flagged, the TLS ones are not.
    assert wide.stderr.count("has type '(not kubernetes.io/tls)'") == 6, wide.stderr
    # Secrets are still read as metadata only, cluster-wide too; the TLS ones through the type field selector.
    secret_calls = [r for r in cluster.log if r.path == SECRETS]
    assert secret_calls and all(r.accept == k.PARTIAL_METADATA_LIST for r in secret_calls)
    assert {r.query.get("fieldSelector", "") for r in secret_calls} == {"", "type=kubernetes.io/tls"}


def test_requests_grow_with_kinds_not_namespaces(tmp_path: Path) -> None:
    counts = {}
    for namespaces in (5, 40):
        with FakeCluster() as c:
            estate(c, namespaces)
            result = scan(c, tmp_path)
            assert result.exit_code in (0, 1), result.stderr
            assert f"Ingress {2 * namespaces}, Secret {2 * namespaces}, Service {2 * namespaces}" in result.stderr
            counts[namespaces] = len(c.log)
            assert not [r for r in c.log if "/namespaces/" in r.path], [r.path for r in c.log]
    # Discovery, one list per kind (two for Secrets: all, and the TLS ones), the proxy search, the CRDs.
    assert counts[5] == counts[40], counts
    assert counts[40] < 40


def test_a_forbidden_cluster_wide_list_falls_back_to_namespaces(cluster: FakeCluster, tmp_path: Path) -> None:
    estate(cluster, 6)
    wide = scan(cluster, tmp_path)
    cluster.deny(SERVICES, 403, 'services is forbidden: User "dev" cannot list resource "services" in API group "" '
                 "at the cluster scope")
    cluster.deny(SECRETS, 403)
    before = len(cluster.log)
    result = scan(cluster, tmp_path)
    assert result.exit_code == wide.exit_code, result.stderr
    assert result.stdout == wide.stdout
    # Said once per kind, although Services are also listed cluster-wide to find the Kong proxy.
    for plural in ("services", "secrets"):
        note = f"cannot list {plural} in all namespaces"
        assert result.stderr.count(note) == 1, result.stderr
    assert "reading namespace by namespace instead" in result.stderr
    assert 'User "dev" cannot list resource "services"' in result.stderr
    log = cluster.log[before:]
    # One denied attempt per kind, then each referencing namespace on its own (the proxy search: every one).
    assert [r.path for r in log if r.path == SECRETS] == [SECRETS]
    assert [r.path for r in log if r.path == SERVICES] == [SERVICES]
    secret_lists = {r.path for r in log if r.path.endswith("/secrets")} - {SECRETS}
    assert secret_lists == {f"/api/v1/namespaces/team-{i:02d}/secrets" for i in range(6)}
    assert "/api/v1/namespaces/other/services" in {r.path for r in log}, "the proxy search reads every namespace"
    # Without those two notes, the report is the cluster-wide scan's.
    assert [ln for ln in result.stderr.splitlines() if not ln.endswith(": reading namespace by namespace instead")
            ] == wide.stderr.splitlines()


def test_few_namespaces_and_the_namespace_flag_list_per_namespace(cluster: FakeCluster, tmp_path: Path) -> None:
    few_namespaces = collect.PER_NAMESPACE_UP_TO
    estate(cluster, few_namespaces)
    few = scan(cluster, tmp_path)
    assert few.exit_code in (0, 1), few.stderr
    expected = {f"/api/v1/namespaces/team-{i:02d}/{p}" for i in range(few_namespaces) for p in ("services", "secrets")}
    assert set(_lists(cluster, "services") + _lists(cluster, "secrets")) == expected
    before = len(cluster.log)
    flagged = scan(cluster, tmp_path, "-n", "team-00", "-n", "team-01")
    assert set(_lists(cluster, "services", before) + _lists(cluster, "secrets", before)) == {
        f"/api/v1/namespaces/team-{i:02d}/{p}" for i in range(2) for p in ("services", "secrets")}
    assert not [r for r in cluster.log[before:] if "namespaces/team-02" in r.path or "/other/" in r.path]
    assert "Ingress 4, Secret 4, Service 4" in flagged.stderr
