"""The bad-input corpus (tests/bad_input/cases.yaml): no traceback, the right exit code, the object named."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from migrate import yamlio
from migrate.loader import MAX_INPUT_BYTES
from tests.support import REPO, run_cli

BAD = Path(__file__).resolve().parent / "bad_input"
MANIFEST = BAD / "cases.yaml"


def _cases() -> dict[str, dict[str, Any]]:
    cases = next(yamlio.load_yaml_stream(MANIFEST.read_text()))
    assert isinstance(cases, dict)
    return cases


CASES = _cases()


def test_every_corpus_file_has_an_expectation() -> None:
    files = {p.name for p in BAD.iterdir() if p.is_file() and p != MANIFEST}
    assert files == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[name]
    monkeypatch.chdir(BAD)
    result = run_cli(["convert", name])  # catch_exceptions=False: any exception fails the test
    assert "Traceback" not in result.stderr + result.stdout
    assert result.exit_code == case["exit"], result.stderr
    for fragment in case.get("stderr", []):
        assert fragment in result.stderr
    for fragment in case.get("stdout", []):
        assert fragment in result.stdout


def test_bad_input_does_not_hide_good_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every corpus file at once: each is still reported, and the good objects still converted."""
    monkeypatch.chdir(BAD)
    result = run_cli(["convert", "."])
    assert result.exit_code == 2
    for case in CASES.values():
        for fragment in case.get("stderr", []):
            if "the input contains no Kubernetes objects" in fragment:
                continue  # only said when the whole run has nothing
            assert fragment in result.stderr
    assert "- listed.example.com" in result.stdout and "- good.example.com" in result.stdout


def _capped(max_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))


def test_alias_bomb_is_refused_with_bounded_memory() -> None:
    """Run in a child capped at 1 GiB of address space: an expanded billion laughs would need far more."""
    proc = subprocess.run(
        [sys.executable, "-m", "migrate", "convert", str(BAD / "alias-bomb.yaml")],
        capture_output=True, text=True, timeout=120, cwd=REPO, preexec_fn=lambda: _capped(1 << 30),
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    assert "Ingress/shop/laughs: YAML aliases expand this document to 926177133 nodes" in proc.stderr


def test_a_50_mb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "huge.yaml"
    doc = ("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: filler, namespace: shop}\n"
           "data: {k: '" + "x" * 1000 + "'}\n")
    with big.open("w") as fh:
        for _ in range(50 * 1024 * 1024 // len(doc) + 1):
            fh.write(doc)
    assert big.stat().st_size > 50 * 1024 * 1024 > MAX_INPUT_BYTES
    good = tmp_path / "good.yaml"
    good.write_text((BAD / "path-without-slash.yaml").read_text())
    result = run_cli(["convert", str(big), str(good)])
    assert result.exit_code == 2
    assert f"{big}: input is {big.stat().st_size} bytes; inputs larger than {MAX_INPUT_BYTES} bytes" in result.stderr
    assert "Ingress/shop/relative-path" in result.stderr, "the other input is still converted"


def test_oversized_stdin_is_refused() -> None:
    result = run_cli(["convert", "-"], stdin="#" * (MAX_INPUT_BYTES + 1))
    assert result.exit_code == 2
    assert "<stdin>: input is" in result.stderr and "are refused" in result.stderr


# --- generated inputs and output destinations (issues 13.1-13.3, 15.1, 15.2, 15.9) ---------------------

EXAMPLE = str(REPO / "examples" / "ingress.yaml")
GATEWAY = str(REPO / "golden" / "helm-values" / "seed-example" / "gateway.yaml")
VALUES = str(REPO / "golden" / "check" / "all-programmed" / "values.yaml")


@pytest.mark.parametrize("args", [
    ["convert", "{deep}"],
    ["helm-values", "{deep}"],
    ["check", "{deep}", "--values", VALUES],
    ["verify", "--before", "{deep}", "--after", GATEWAY],
], ids=["convert", "helm-values", "check", "verify"])
@pytest.mark.parametrize("depth", [100_000, 900, 300])
def test_deeply_nested_json_is_refused(tmp_path: Path, args: list[str], depth: int) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"kind": "Ingress", "spec": ' + "[" * depth + "]" * depth + "}")
    result = run_cli([a.replace("{deep}", str(deep)) for a in args])
    assert result.exit_code == 2
    assert f"{deep}" in result.stderr and "JSON nesting deeper than 200 levels" in result.stderr


def test_fifo_and_process_substitution_inputs_are_read(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "ingress.yaml"
    os.mkfifo(fifo)
    text = Path(EXAMPLE).read_bytes()
    writer = threading.Thread(target=fifo.write_bytes, args=(text,))
    writer.start()
    result = run_cli(["convert", "--no-verify", str(fifo)])
    writer.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert "- shop.example.com" in result.stdout
    # `<(kubectl get ingress -A -o yaml)` is a /dev/fd path to a pipe
    proc = subprocess.run(["bash", "-c", f"{sys.executable} -m migrate convert --no-verify <(cat {EXAMPLE})"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "- shop.example.com" in proc.stdout


def test_an_unreadable_sub_directory_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "ingress.yaml").write_text(Path(EXAMPLE).read_text())
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "more.yaml").write_text("kind: Ingress\n")
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:  # root reads everything: simulate chmod 000
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run_cli(["convert", "--no-verify", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{locked}: cannot read directory: Permission denied" in result.stderr
    assert "- shop.example.com" in result.stdout


def test_a_special_file_inside_a_directory_is_named_not_read(tmp_path: Path) -> None:
    (tmp_path / "ingress.yaml").write_text(Path(EXAMPLE).read_text())
    os.mkfifo(tmp_path / "pipe.yaml")
    result = run_cli(["convert", "--no-verify", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'pipe.yaml'}: not a regular file: skipped" in result.stderr


def _migrate(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrate", *args], cwd=REPO, text=True, timeout=300, **kwargs)


def test_stdout_on_a_full_device_is_an_error() -> None:
    with open("/dev/full", "w") as full:
        proc = _migrate(["convert", "--no-verify", EXAMPLE], stdout=full, stderr=subprocess.PIPE)
    assert proc.returncode == 2
    assert "migrate: error: cannot write to stdout after 0 of" in proc.stderr
    assert "No space left on device; the output is incomplete" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_stdout_cut_by_a_file_size_limit_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    with out.open("w") as fh:
        proc = _migrate(["convert", "--no-verify", EXAMPLE], stdout=fh, stderr=subprocess.PIPE,
                        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024)))
    assert proc.returncode == 2, proc.stderr
    assert "migrate: error: cannot write to stdout after 1024 of" in proc.stderr
    assert "File too large; the output is incomplete" in proc.stderr


def test_stdout_to_a_closed_pipe_ends_quietly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = _migrate(["convert", "--no-verify", EXAMPLE], stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr == ""
