"""CLI behaviour of `migrate` and `migrate convert` beyond the golden cases."""

from __future__ import annotations

import json
from pathlib import Path

from migrate import __version__
from migrate.yamlio import load_yaml_stream
from tests.support import REPO, run_cli

EXAMPLE = str(REPO / "examples" / "ingress.yaml")


def test_version() -> None:
    result = run_cli(["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"migrate {__version__}"


def test_help_lists_convert_with_its_options() -> None:
    assert "convert" in run_cli(["--help"]).stdout
    text = run_cli(["convert", "--help"]).stdout
    for option in ("--ingress-class", "--gateway-api-version", "--output-dir", "--report-format", "--router-flavor"):
        assert option in text


def test_output_dir_writes_one_file_per_namespace_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(["convert", EXAMPLE, "--output-dir", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    files = sorted(p.name for p in out.iterdir())
    assert files == ["cluster.yaml", "namespace-billing.yaml", "namespace-kong.yaml", "namespace-shop.yaml"]
    for path in out.iterdir():
        docs = [d for d in load_yaml_stream(path.read_text()) if d]
        namespaces = {d["metadata"].get("namespace", "") for d in docs}
        expected = "" if path.name == "cluster.yaml" else path.name[len("namespace-"):-len(".yaml")]
        assert namespaces == {expected}
    before = {p: p.read_text() for p in out.iterdir()}
    again = run_cli(["convert", EXAMPLE, "--output-dir", str(out)])
    assert again.exit_code == 2 and "refusing to overwrite" in again.stderr
    assert {p: p.read_text() for p in out.iterdir()} == before
    assert run_cli(["convert", EXAMPLE, "--output-dir", str(out), "--force"]).exit_code == 0


def test_stdout_is_the_same_objects_as_output_dir(tmp_path: Path) -> None:
    stdout_docs = [d for d in load_yaml_stream(run_cli(["convert", EXAMPLE]).stdout) if d]
    run_cli(["convert", EXAMPLE, "--output-dir", str(tmp_path)])
    dir_docs = [d for p in sorted(tmp_path.iterdir()) for d in load_yaml_stream(p.read_text()) if d]
    key = lambda d: (d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])  # noqa: E731
    assert sorted(stdout_docs, key=key) == sorted(dir_docs, key=key)


def test_json_report_to_file(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = run_cli(["convert", EXAMPLE, "--report", str(report), "--report-format", "json"])
    assert result.exit_code == 0
    data = json.loads(report.read_text())
    assert data["exitCode"] == 0
    subjects = {(e["object"], e["subject"]) for e in data["entries"]}
    assert ("Ingress/shop/shop", "annotation konghq.com/strip-path") in subjects


def test_markdown_report_has_a_row_per_entry() -> None:
    result = run_cli(["convert", EXAMPLE, "--report-format", "markdown"])
    rows = [line for line in result.stderr.splitlines() if line.startswith(("| Ingress/", "| migrate/"))]
    assert len(rows) == len(json.loads(run_cli(["convert", EXAMPLE, "--report-format", "json"]).stderr)["entries"])


def test_missing_input_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["convert", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "no such file or directory" in result.stderr


def test_invalid_gateway_name_is_rejected() -> None:
    result = run_cli(["convert", EXAMPLE, "--gateway-name", "Not_Valid"])
    assert result.exit_code == 2 and "--gateway-name" in result.stderr


def test_same_input_same_bytes() -> None:
    assert run_cli(["convert", EXAMPLE]).stdout == run_cli(["convert", EXAMPLE]).stdout


KONGINGRESS_CASE = Path(__file__).resolve().parent.parent / "golden" / "convert" / "kongingress-shared-json" / "input.yaml"


def test_service_patches_never_reach_stdout_and_go_to_the_patches_file(tmp_path: Path) -> None:
    plain = run_cli(["convert", str(KONGINGRESS_CASE)])
    assert "kind: Service\n" not in plain.stdout
    assert plain.exit_code == 1 and "unconverted Service patches: 3 Service patch document(s) were not written" \
        in plain.stderr
    patches = tmp_path / "patches.yaml"
    result = run_cli(["convert", str(KONGINGRESS_CASE), "--patches", str(patches)])
    assert f"Service patches: written to {patches}" in result.stderr
    docs = [d for d in load_yaml_stream(patches.read_text()) if d]
    assert {d["kind"] for d in docs} == {"Service"} and len(docs) == 3
    assert all("spec" not in d and "konghq.com/upstream-policy" in d["metadata"]["annotations"] for d in docs)
    assert "kubectl patch" in patches.read_text().splitlines()[2]


def test_every_destination_is_checked_before_any_output(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("keep me\n")
    result = run_cli(["convert", EXAMPLE, "--report", str(report)])
    assert result.exit_code == 2 and result.stdout == ""
    assert "refusing to overwrite" in result.stderr and report.read_text() == "keep me\n"
    both = run_cli(["convert", EXAMPLE, "--report", str(tmp_path / "x"), "--patches", str(tmp_path / "x")])
    assert both.exit_code == 2 and both.stdout == "" and "same file" in both.stderr
