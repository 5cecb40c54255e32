"""Mutation fuzzing of every command's inputs, in-process (issue #13): no exception escapes, the exit code is a
documented one (0, 1, 2), exit 2 comes with an error message, and what a run writes parses (stdout, output
files, a JSON report); helm-values prints nothing on exit 1 or 2 and --in-place leaves the file alone then.

Seeds are the golden cases' inputs (golden/convert, golden/helm-values, golden/check; convert's outputs also
feed verify, helm-values and check) and, when present, the shared samples.  Mutations are structural (values
retyped, keys deleted or renamed, list items duplicated or multiplied past the limits, hostile strings, ports,
hosts, paths, swapped Kong annotations, kinds and names, another case's objects appended) and textual
(truncation, flipped bytes, tabs, duplicated lines, encodings), and odd values for the options a user types;
see tests/fuzz/mutators.py.  Every run is deterministic: a failure prints the command that replays it.

`scan` reads cluster-plausible mutants (any string in annotations and env vars, any JSON in plugin configs,
repeated rules, valid but odd hosts and regex paths) from a fake API server on loopback.

The budget is modest: MIGRATE_FUZZ_RUNS runs per command (default 100; MIGRATE_FUZZ_SAMPLE_RUNS and
MIGRATE_FUZZ_SCAN_RUNS default to 2/3 and 1/2 of it), about 580 runs in all; MIGRATE_FUZZ_SEED picks another
series.  `python -m tests.fuzz --runs 5000 --save DIR` runs many more locally and keeps each failing input
with its replay command.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.fuzz.harness import COMMANDS, run_one, run_scan, shared_samples
from tests.support import GOLDEN, SHARED_MISSING, run_cli

RUNS = int(os.environ.get("MIGRATE_FUZZ_RUNS", "100"))
SAMPLE_RUNS = int(os.environ.get("MIGRATE_FUZZ_SAMPLE_RUNS", str(max(RUNS * 2 // 3, 1))))
SCAN_RUNS = int(os.environ.get("MIGRATE_FUZZ_SCAN_RUNS", str(max(RUNS // 2, 1))))
BASE = os.environ.get("MIGRATE_FUZZ_SEED", "migrate-fuzz")


def _fuzz(command: str, runs: int, samples: bool = False) -> None:
    failures = []
    for index in range(runs):
        outcome = run_scan(BASE, index) if command == "scan" else run_one(command, BASE, index, samples=samples)
        assert outcome is not None, f"no seeds for {command}"
        if not outcome.ok:
            failures.append(outcome.describe())
    assert not failures, f"{len(failures)} of {runs} fuzz runs failed:\n\n" + "\n\n".join(failures[:10])


@pytest.mark.parametrize("command", COMMANDS)
def test_fuzz_golden_inputs(command: str) -> None:
    _fuzz(command, RUNS)


@pytest.mark.parametrize("command", ["convert", "verify"])
def test_fuzz_shared_samples(command: str) -> None:
    if not shared_samples():
        pytest.skip(f"{SHARED_MISSING}: no samples to mutate")
    _fuzz(command, SAMPLE_RUNS, samples=True)


def test_fuzz_scan() -> None:
    pytest.importorskip("kmock", reason="the fake API server needs kmock (pip install -e '.[test]')")
    _fuzz("scan", SCAN_RUNS)


def test_fuzz_runs_are_deterministic() -> None:
    """The same (seed, index) mutates the same way: what a failure report says replays it."""
    first, second = run_one("convert", BASE, 7), run_one("convert", BASE, 7)
    assert first is not None and second is not None
    assert (first.seed, first.args, first.steps, first.exit_code) == (second.seed, second.args, second.steps,
                                                                       second.exit_code)


# --- regressions the fuzzer found --------------------------------------------------------------------------


def test_a_guarded_regex_gives_an_outer_timer_back_what_is_left() -> None:
    """Each guarded match took its whole 0.5 s budget off a caller's ITIMER_REAL however fast it was, so an
    embedding program's (or the fuzz driver's) timer fired long before its time."""
    from migrate.kong.atc import GuardedPattern, compile_python_regex

    rx, _ = compile_python_regex("(x+)+fuzz-outer-timer$")
    assert isinstance(rx, GuardedPattern)
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    signal.setitimer(signal.ITIMER_REAL, 3600)
    try:
        for _ in range(10_000):  # 10,000 x 0.5 s would be more than the hour
            rx.match("xxx")
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not fired and remaining > 1800


@pytest.mark.parametrize("command", ["helm-values", "check"])
def test_a_stream_entry_without_container_port_is_named(tmp_path: Path, command: str) -> None:
    """A stream entry without containerPort renders KONG_STREAM_LISTEN '0.0.0.0:<nil> udp': the listen parser's
    ListenSyntaxError escaped as a traceback (check, and helm-values' merge check)."""
    values = tmp_path / "values.yaml"
    values.write_text("proxy:\n  stream:\n  - {containerPort: 5353, servicePort: 5353, protocol: TCP}\n"
                      "  - {servicePort: 5353, protocol: UDP}\n")
    result = run_cli([command, str(GOLDEN / "check" / "protocol-conflict" / "gateway.yaml"), "--values", str(values)])
    assert result.exit_code == 2
    assert (f"{values} line 4: proxy.stream[1] has no containerPort: the chart would render the listen "
            "'0.0.0.0:<nil>', which Kong refuses") in result.stderr


@pytest.mark.parametrize("command", ["helm-values", "check"])
def test_a_gateway_class_whose_spec_is_not_a_mapping_is_named(tmp_path: Path, command: str) -> None:
    """kong_classes read `spec.controllerName` of every GatewayClass: a list spec was an AttributeError."""
    gateway = tmp_path / "gateway.yaml"
    gateway.write_text("apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: kong}\n"
                       "spec:\n- controllerName: konghq.com/kic-gateway-controller\n---\n"
                       + (GOLDEN / "check" / "protocol-conflict" / "gateway.yaml").read_text())
    values = ["--values", str(GOLDEN / "check" / "all-programmed" / "values.yaml")] if command == "check" else []
    result = run_cli([command, str(gateway), *values])
    assert result.exit_code == 2
    assert (f"{gateway} (document 0) line 4: GatewayClass/kong: spec is a list, expected a mapping; the object was "
            "not read") in result.stderr


@pytest.mark.parametrize(("raw", "message"), [
    (b"apiVersion: v1\nkind: Service\nmetadata: {name: caf\xe9, namespace: shop}\n",
     "<stdin>: file is not valid UTF-8 (byte offset 49)"),
    ("kind: Service\n".encode("utf-16"), "<stdin>: file is UTF-16 (it starts with a UTF-16 byte order mark)"),
], ids=["latin1", "utf16"])
@pytest.mark.parametrize("command", ["convert", "helm-values", "check"])
def test_stdin_in_a_legacy_encoding_is_named(raw: bytes, message: str, command: str) -> None:
    """stdin was read through sys.stdin's text decoding: invalid UTF-8 raised UnicodeDecodeError (or, with
    surrogateescape, reached the YAML parser as surrogates: UnicodeEncodeError), a traceback either way."""
    values = ["--values", str(GOLDEN / "check" / "all-programmed" / "values.yaml")] if command == "check" else []
    result = run_cli([command, "-", *values], stdin=raw)  # bytes: CliRunner takes them as they are
    assert result.exit_code == 2
    assert f"migrate: input error: {message}" in result.stderr


@pytest.mark.parametrize("command", ["helm-values", "check"])
def test_a_listen_parameter_holding_a_comma_is_named(tmp_path: Path, command: str) -> None:
    """`parameters: [reuseport, "bac,klog=16384"]`: the chart renders '0.0.0.0:8000 reuseport bac,klog=16384', two
    listens to Kong; the merge's check of the result raised ListenSyntaxError ('klog=16384')."""
    values = tmp_path / "values.yaml"
    values.write_text("proxy:\n  http:\n    enabled: true\n    containerPort: 8000\n"
                      "    parameters:\n    - reuseport\n    - bac,klog=16384\n")
    result = run_cli([command, str(GOLDEN / "helm-values" / "merge-commented-values" / "gateway.yaml"),
                      "--values", str(values)])
    assert result.exit_code == 2
    assert (f"{values} line 5: proxy.http.parameters holds 'bac,klog=16384': a comma would split the Kong listen "
            "the chart renders (one flag per item)") in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--gateway-name", ""], "--gateway-name '' is not a valid DNS-1123 name"),
    (["--gateway-class", "Kong"], "--gateway-class 'Kong' is not a valid DNS-1123 name"),
    (["--gateway-namespace", "a.b"], "--gateway-namespace 'a.b' is not a valid namespace name"),
    (["--gateway", "Edge/web"], "--gateway 'Edge' is not a valid namespace name"),
])
def test_scan_refuses_gateway_names_the_api_server_would(tmp_path: Path, args: list[str], message: str) -> None:
    """convert checked these names, scan did not: `--gateway-name ''` planned a Gateway with an empty name."""
    result = run_cli(["scan", "--kubeconfig", str(tmp_path / "no-kubeconfig"), *args])
    assert result.exit_code == 2
    assert f"migrate: error: {message}" in result.stderr


def test_python_regex_warnings_stay_off_stderr(tmp_path: Path) -> None:
    """A PCRE POSIX class in a regex path (`/~[[:alpha:]]`) made Python's `re` print 'FutureWarning: Possible
    nested set' on stderr, ahead of a JSON report (run as a process: pytest captures warnings in-process)."""
    import json
    import subprocess
    import sys

    from tests.support import REPO

    ingress = tmp_path / "ingress.yaml"
    ingress.write_text("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: posix, namespace: apps}\n"
                       "spec:\n  ingressClassName: kong\n  rules:\n  - host: a.example.com\n    http:\n      paths:\n"
                       "      - path: /~/[[:alpha:]]+$\n        pathType: ImplementationSpecific\n"
                       "        backend: {service: {name: web, port: {number: 80}}}\n")
    proc = subprocess.run([sys.executable, "-m", "migrate", "convert", str(ingress), "--report-format", "json"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Warning" not in proc.stderr
    assert json.loads(proc.stderr)["entries"]


@pytest.mark.parametrize(("field", "message"), [
    ('metadata: {name: "konga\\0b", namespace: kong}', "metadata.name 'konga\\x00b' is not a valid name"),
    ('metadata: {name: kong, namespace: Kong}', "metadata.namespace 'Kong' is not a valid namespace name"),
    ('metadata: {name: kong, namespace: kong}\n# listener', "listener name 'http\\nproxy: {}' is not a valid SectionName"),
], ids=["nul-in-name", "upper-namespace", "newline-in-listener"])
@pytest.mark.parametrize("command", ["helm-values", "check"])
def test_gateway_and_listener_names_the_api_server_refuses(tmp_path: Path, field: str, message: str,
                                                           command: str) -> None:
    """A NUL in a Gateway's name went verbatim into the values' header comment (unreadable YAML), a newline in a
    listener name into the check table: names are refused as the API server refuses them."""
    listener = "http\\nproxy: {}" if "listener" in field else "http"
    gateway = tmp_path / "gateway.yaml"
    gateway.write_text(f"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n{field}\nspec:\n"
                       f"  gatewayClassName: kong\n  listeners:\n  - {{name: \"{listener}\", port: 80, protocol: HTTP}}\n")
    values = ["--values", str(GOLDEN / "check" / "all-programmed" / "values.yaml")] if command == "check" else []
    result = run_cli([command, str(gateway), *values])
    assert result.exit_code == 2
    assert "the API server would reject this Gateway: " + message in result.stderr
    assert "proxy" not in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--release", "ü"], "--release 'ü' is not a valid Helm release name"),
    (["--release", "a" * 54], f"--release '{'a' * 54}' is not a valid Helm release name"),
    (["--namespace", "/b"], "--namespace '/b' is not a valid namespace name"),
])
@pytest.mark.parametrize("command", ["helm-values", "check"])
def test_release_and_namespace_are_names_helm_and_the_api_server_accept(args: list[str], message: str,
                                                                        command: str) -> None:
    """--release and --namespace went unchecked into the Services (`-o service`: Service kong/ü-kong-proxy,
    /b/kong-kong-proxy) and the controller's publish_service."""
    values = ["--values", str(GOLDEN / "check" / "all-programmed" / "values.yaml")] if command == "check" else []
    result = run_cli([command, str(GOLDEN / "check" / "all-programmed" / "gateway.yaml"), *values, *args])
    assert result.exit_code == 2
    assert f"migrate: error: {message}" in result.stderr
    assert result.stdout == ""
