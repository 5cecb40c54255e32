"""Cluster connection: kubeconfig (file, context) or in-cluster config, through the official client."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


class ConfigError(Exception):
    """The credentials could not be loaded: no kubeconfig, unknown context, not in a pod."""


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _client_errors() -> Iterator[list[str]]:
    """The errors the kubernetes client logs (on the root logger) instead of raising, kept off stderr."""
    root = logging.getLogger()
    handler = _Collect()
    root.addHandler(handler)  # also keeps logging.error() from installing its stderr handler
    try:
        yield handler.messages
    finally:
        root.removeHandler(handler)


_EXEC_TIMED_OUT = "exec: the credential plugin "


class ExecPluginTimeout(Exception):
    """The kubeconfig's exec credential plugin did not finish in time (it was killed)."""


def _descendants(pid: int) -> list[int]:
    """The processes `pid` started, and theirs (Linux /proc; elsewhere none are found)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                children = [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
        for child in children:
            found.append(child)
            found.extend(_descendants(child))
    return found


def _kill_tree(pid: int) -> None:
    """Kill what a timed-out plugin started (a shell script's `sleep`, a login helper): killing the plugin alone
    leaves them running, reparented.  Its own session is no option: an interactive plugin needs the terminal."""
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGSTOP)  # it starts nothing more meanwhile
    for _ in range(2):  # again for what a descendant started while the first were killed
        for child in _descendants(pid):  # found before any is killed: a killed parent's children move away
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)


@contextmanager
def bounded_exec_plugins(seconds: float) -> Iterator[None]:
    """Inside: a kubeconfig exec credential plugin (run by the kubernetes client when the credentials are
    loaded, and again when its token expires) that runs longer than `seconds` is killed and reported.

    The client runs the plugin with `Popen(...).communicate()` and no timeout, so one that hangs (waits for
    a login that never comes, a network it cannot reach) would hang the scan; the client has no option for
    it, so its exec module gets a Popen whose communicate() is bounded, for the time of the block."""
    import subprocess
    import types

    from kubernetes.config import exec_provider

    class BoundedPopen(subprocess.Popen[str]):
        def communicate(self, input: Any = None, timeout: float | None = None) -> tuple[Any, Any]:  # noqa: A002
            try:
                return super().communicate(input, timeout=seconds if timeout is None else min(timeout, seconds))
            except subprocess.TimeoutExpired:
                _kill_tree(self.pid)
                self.kill()
                # Not communicate() again: a child of the plugin may hold the pipes open.
                for pipe in (self.stdin, self.stdout, self.stderr):
                    if pipe is not None:
                        pipe.close()
                self.wait()
                command = self.args[0] if isinstance(self.args, list | tuple) and self.args else self.args
                # The client logs what its plugin raises (see connect()): "exec: ..." like its own errors.
                raise ExecPluginTimeout(f"{_EXEC_TIMED_OUT}{str(command)!r} did not finish within {seconds:g} s "
                                        "and was stopped (set MIGRATE_SCAN_TIMEOUT to wait longer)") from None

    original = exec_provider.subprocess
    exec_provider.subprocess = types.SimpleNamespace(Popen=BoundedPopen, PIPE=subprocess.PIPE)  # type: ignore[assignment]
    try:
        yield
    finally:
        exec_provider.subprocess = original


@dataclass
class Connection:
    api: Any  # kubernetes.client.ApiClient (kept untyped: the client is imported lazily)
    context: str  # kubeconfig context name, or "in-cluster"
    server: str


def connect(kubeconfig: str | None, context: str | None) -> Connection:
    """Load credentials like kubectl does: --kubeconfig, $KUBECONFIG, ~/.kube/config, else in-cluster."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    in_cluster = kubeconfig is None and context is None and "KUBERNETES_SERVICE_HOST" in os.environ and not (
        os.environ.get("KUBECONFIG") or os.path.exists(os.path.expanduser("~/.kube/config")))
    try:
        if in_cluster:
            config.load_incluster_config(client_configuration=configuration)
            name = "in-cluster"
        else:
            with _client_errors() as errors:
                config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=configuration,
                                        persist_config=False)
            # The client logs a failing exec credential plugin and goes on without credentials; stop here.
            failed = [e for e in errors if e.startswith("exec:")]
            if failed and failed[0].startswith(_EXEC_TIMED_OUT):
                raise ConfigException(failed[0].removeprefix("exec: "))
            if failed:
                raise ConfigException(f"the user's exec credential plugin failed ({failed[0]})")
            contexts, current = config.list_kube_config_contexts(config_file=kubeconfig)
            name = context or (current or {}).get("name", "") or "default"
    except (ConfigException, OSError, TypeError, ValueError) as exc:
        where = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
        raise ConfigError(f"cannot load cluster credentials from {where}"
                          + (f" (context {context!r})" if context else "") + f": {exc}") from None
    # A scan is interactive: fail fast on an unreachable server instead of urllib3's retry loop.
    configuration.retries = 0
    api = client.ApiClient(configuration)
    api.user_agent = "kong-gateway-migrate-scan"
    return Connection(api=api, context=name, server=str(configuration.host))
