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


# The input bounds (no byte cap: structure, per object and per run) are tests/test_loader_bounds.py's.


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


# --- typed edges: values, Services, Gateway API routes (issue 13.1, 15.6) -----------------------------

VALUE_CASES = {
    "proxy:\n  stream: 5\n": "line 2: proxy.stream is an integer, expected a list of mappings",
    "udpProxy: 5\n": "line 1: udpProxy is an integer, expected a mapping",
    "udpProxy:\n  enabled: true\n  stream: 7\n": "line 3: udpProxy.stream is an integer, expected a list of mappings",
    "proxy:\n  stream:\n  - {containerPort: 9901, servicePort: 9901, protocol: TCP, parameters: 3}\n":
        "line 3: proxy.stream[0].parameters is an integer, expected a list of strings",
    "proxy:\n  stream:\n  - {containerPort: 9901, servicePort: 9901, protocol: TCP, parameters: ssl}\n":
        "line 3: proxy.stream[0].parameters is a string, expected a list of strings",
    'proxy:\n  http:\n    containerPort: "80x"\n':
        "line 3: proxy.http.containerPort is a string ('80x'), expected an integer port 1-65535",
    'env:\n  proxy_listen: "garbage here, ::::"\n':
        "line 2: env.proxy_listen is not a Kong listen string: 'garbage here' must be of form <ip>:<port>",
    "ingressController:\n  env:\n    feature_gates: [GatewayAlpha, X]\n":
        "line 3: ingressController.env.feature_gates is a list, expected a string",
    "proxy:\n  stream: [abc]\n": "line 2: proxy.stream[0] is a string, expected a mapping",
    "proxy: [1, 2]\n": "line 1: proxy is a list, expected a mapping",
}


@pytest.mark.parametrize("command", ["check", "helm-values"])
@pytest.mark.parametrize("text", sorted(VALUE_CASES))
def test_values_of_the_wrong_type_are_named(tmp_path: Path, command: str, text: str) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(text)
    result = run_cli([command, GATEWAY, "--values", str(values)])
    assert result.exit_code == 2
    assert f"migrate: input error: {values} {VALUE_CASES[text]}" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("raw", [
    "proxy:\n  http:\n    servicePort: 80\n".encode("utf-16"),
    "proxy:\n  http:\n    nameOverride: 'caf\u00e9'\n".encode("latin-1"),
    b"proxy: !vault secret/kong\n",
    b"proxy: !!python/object:os.system {}\n",
], ids=["utf16-bom", "latin1", "vault-tag", "python-tag"])
@pytest.mark.parametrize("command", ["check", "helm-values"])
def test_unreadable_values_files_are_named(tmp_path: Path, raw: bytes, command: str) -> None:
    values = tmp_path / "values.yaml"
    values.write_bytes(raw)
    result = run_cli([command, GATEWAY, "--values", str(values), *(["--in-place"] if command == "helm-values" else [])])
    assert result.exit_code == 2
    assert str(values) in result.stderr and "migrate: error:" in result.stderr
    assert values.read_bytes() == raw and not (tmp_path / "values.yaml.bak").exists()


@pytest.mark.parametrize(("ports", "message"), [
    ('[{name: p, port: "80x"}]', "spec.ports[0].port is a string ('80x'), expected an integer"),
    ("{port: 80}", "spec.ports is a mapping, expected a list"),
    ("[{port: 80, targetPort: [8000]}]", "spec.ports[0].targetPort is a list, expected a port number or name"),
])
def test_check_service_with_wrongly_typed_ports(tmp_path: Path, ports: str, message: str) -> None:
    svc = tmp_path / "svc.yaml"
    svc.write_text(f"apiVersion: v1\nkind: Service\nmetadata: {{name: kong-proxy, namespace: kong}}\nspec:\n"
                   f"  ports: {ports}\n")
    result = run_cli(["check", GATEWAY, "--service", str(svc), "--proxy-listen", "0.0.0.0:8000"])
    assert result.exit_code == 2
    assert f"{svc} (document 0) line 5: Service/kong/kong-proxy: {message}" in result.stderr


ROUTE = """apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: kong, namespace: kong}]
  hostnames: [shop.example.com]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /}
    backendRefs:
    - {name: web, port: 80, weight: 1}
"""


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  - matches:\n    - path: {type: PathPrefix, value: /}\n", "  - matches: abc\n",
     "line 8: HTTPRoute/shop/web: spec.rules[0].matches is a string, expected a list"),
    ("value: /}", "value: 5}", "line 9: HTTPRoute/shop/web: spec.rules[0].matches[0].path.value is an integer"),
    ("weight: 1}", "weight: -5}", "line 11: HTTPRoute/shop/web: spec.rules[0].backendRefs[0].weight is -5, "
                                  "out of range 0-1000000"),
    ("weight: 1}", "weight: 1e400}", "line 11: HTTPRoute/shop/web: spec.rules[0].backendRefs[0].weight is a number "
                                     "(inf), expected an integer"),
    ("    backendRefs:\n", "    filters: {type: RequestHeaderModifier}\n    backendRefs:\n",
     "line 10: HTTPRoute/shop/web: spec.rules[0].filters is a mapping, expected a list"),
])
def test_verify_after_with_wrongly_typed_route_fields(tmp_path: Path, old: str, new: str, message: str) -> None:
    after = tmp_path / "after.yaml"
    assert old in ROUTE
    after.write_text(ROUTE.replace(old, new))
    result = run_cli(["verify", "--before", EXAMPLE, "--after", str(after)])
    assert result.exit_code == 2
    assert f"{after} (document 0) {message}" in result.stderr
