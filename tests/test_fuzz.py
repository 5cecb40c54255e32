"""Regressions found by mutation fuzzing of the commands' inputs (issue #13)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.support import GOLDEN, run_cli


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
