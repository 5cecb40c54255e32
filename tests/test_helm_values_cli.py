"""`helm-values --in-place`: atomic rewrite with a backup, and no write at all when the plan has errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import GOLDEN, run_cli


def test_in_place_writes_the_merge_and_keeps_a_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = GOLDEN / "helm-values" / "merge-commented-values"
    for name in ("gateway.yaml", "values.yaml"):
        shutil.copy(case / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    original = Path("values.yaml").read_text()
    result = run_cli(["helm-values", "gateway.yaml", "--values", "values.yaml", "--udp-service", "separate",
                      "--in-place"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert Path("values.yaml.bak").read_text() == original
    assert Path("values.yaml").read_text() == (case / "expected.out").read_text()
    assert run_cli(["check", "gateway.yaml", "--values", "values.yaml"]).exit_code == 0


def test_in_place_leaves_the_file_alone_on_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = GOLDEN / "helm-values" / "error-two-http-ports"
    shutil.copy(case / "gateway.yaml", tmp_path / "gateway.yaml")
    monkeypatch.chdir(tmp_path)
    Path("values.yaml").write_text("# mine\nproxy: {}\n")
    result = run_cli(["helm-values", "gateway.yaml", "--values", "values.yaml", "--in-place"])
    assert result.exit_code == 1
    assert Path("values.yaml").read_text() == "# mine\nproxy: {}\n"
    assert not Path("values.yaml.bak").exists()


GATEWAY = ("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: web, namespace: kong}\n"
           "spec:\n  gatewayClassName: kong\n  listeners:\n  - {name: http, port: 80, protocol: HTTP}\n"
           "  - {name: tcp, port: 9000, protocol: TCP}\n")


def test_in_place_through_a_symlink_keeps_the_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("gateway.yaml").write_text(GATEWAY)
    Path("real").mkdir()
    Path("real/values.yaml").write_text("# mine\nreplicaCount: 2\n")
    Path("values.yaml").symlink_to("real/values.yaml")
    result = run_cli(["helm-values", "gateway.yaml", "--values", "values.yaml", "--in-place"])
    assert result.exit_code == 0, result.stderr
    assert Path("values.yaml").is_symlink()
    assert "containerPort: 9000" in Path("real/values.yaml").read_text()
    assert Path("real/values.yaml.bak").read_text() == "# mine\nreplicaCount: 2\n"
    assert "through the symlink values.yaml" in result.stderr


def test_in_place_keeps_crlf_and_bom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("gateway.yaml").write_text(GATEWAY)
    original = "\ufeff# mine\r\nreplicaCount: 2\r\nproxy:\r\n  type: NodePort\r\n"
    Path("values.yaml").write_bytes(original.encode("utf-8"))
    result = run_cli(["helm-values", "gateway.yaml", "--values", "values.yaml", "--in-place"])
    assert result.exit_code == 0, result.stderr
    data = Path("values.yaml").read_bytes()
    assert data.startswith("\ufeff# mine\r\nreplicaCount: 2\r\n".encode())
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"containerPort: 9000\r\n" in data


def test_one_invalid_gateway_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    broken = GATEWAY.replace("name: web", "name: broken").replace("port: 9000, ", "")
    Path("gateway.yaml").write_text(GATEWAY + "---\n" + broken)
    Path("values.yaml").write_text("# mine\nproxy: {}\n")
    result = run_cli(["helm-values", "gateway.yaml", "--values", "values.yaml", "--in-place"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert Path("values.yaml").read_text() == "# mine\nproxy: {}\n"
    assert not Path("values.yaml.bak").exists()
