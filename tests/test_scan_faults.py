"""`migrate scan` against servers that misbehave (issues 13.4, 15.8): each ends, with a named error."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.scan_fixtures.fake_cluster import kubeconfig
from tests.support import REPO, run_cli

Handler = Callable[[BaseHTTPRequestHandler], tuple[int, str, str]]


@contextmanager
def _server(answer: Handler) -> Iterator[str]:
    class H(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            status, ctype, body = answer(self)
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _scan(tmp_path: Path, url: str, *args: str) -> Any:
    cfg = tmp_path / "kubeconfig"
    cfg.write_text(kubeconfig(url))
    return run_cli(["scan", "--kubeconfig", str(cfg), *args])


def test_a_server_that_is_not_kubernetes_is_exit_2(tmp_path: Path) -> None:
    with _server(lambda h: (404, "text/html", "<html><body>Not Found</body></html>")) as url:
        result = _scan(tmp_path, url)
    assert result.exit_code == 2
    assert f"migrate: error: {url} is not a Kubernetes API server" in result.stderr


def test_an_html_page_everywhere_is_exit_2(tmp_path: Path) -> None:
    with _server(lambda h: (200, "text/html", "<html><body>Welcome</body></html>")) as url:
        result = _scan(tmp_path, url)
    assert result.exit_code == 2
    assert f"{url} is not a Kubernetes API server" in result.stderr and "non-JSON data" in result.stderr


def test_a_repeated_continue_token_stops_the_pagination(tmp_path: Path) -> None:
    def answer(h: BaseHTTPRequestHandler) -> tuple[int, str, str]:
        path = h.path.split("?")[0]
        if path.endswith("/v1") or path in ("/api", "/apis"):  # discovery: serve nothing special
            return 200, "application/json", json.dumps({"kind": "APIResourceList", "resources": []})
        return 200, "application/json", json.dumps({"kind": "List", "metadata": {"continue": "same"},
                                                    "items": [{"metadata": {"name": "x", "namespace": "a"}}]})

    with _server(answer) as url:
        result = _scan(tmp_path, url)
    assert result.exit_code in (1, 2)
    assert "returned the continue token 'same' twice; stopped instead of paginating forever" in result.stderr


def test_a_context_that_does_not_exist_is_named(tmp_path: Path) -> None:
    result = _scan(tmp_path, "http://127.0.0.1:9", "--context", "nope")
    assert result.exit_code == 2
    assert "cannot load cluster credentials" in result.stderr and "'nope'" in result.stderr


# Faults a scan must survive in bounded time (issue 13.4).  Each test runs `migrate scan` in a subprocess
# with a short MIGRATE_SCAN_TIMEOUT and a generous subprocess timeout: a hang fails the test instead of
# hanging the suite.  The servers listen on 127.0.0.1 only and stop by themselves.

SHORT_TIMEOUT = "1"
BOUND = 60  # seconds: far above what a bounded scan takes here, far below "hangs"


def _scan_subprocess(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MIGRATE_SCAN_TIMEOUT": SHORT_TIMEOUT}
    env.pop("KUBECONFIG", None)
    return subprocess.run([sys.executable, "-m", "migrate", "scan", "--kubeconfig", str(cfg), *args],
                          cwd=REPO, env=env, text=True, capture_output=True, timeout=BOUND)


@contextmanager
def _raw_server(serve: Callable[[socket.socket], None], connections: int = 4) -> Iterator[str]:
    """A loopback TCP server that hands up to `connections` accepted sockets to `serve`, then stops."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()

    def run() -> None:
        accepted = 0
        deadline = time.monotonic() + BOUND
        while accepted < connections and not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted += 1
            threading.Thread(target=_serve_one, args=(serve, conn), daemon=True).start()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(BOUND)
        listener.close()


def _serve_one(serve: Callable[[socket.socket], None], conn: socket.socket) -> None:
    conn.settimeout(BOUND)
    with conn, contextlib.suppress(OSError):
        serve(conn)


def _read_request(conn: socket.socket) -> str:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode("latin-1").split("\r\n", 1)[0]


def test_a_server_that_never_answers_ends_with_the_timeout(tmp_path: Path) -> None:
    done = threading.Event()

    def silent(conn: socket.socket) -> None:
        _read_request(conn)
        done.wait(BOUND)  # accept, read the request, never answer

    cfg = tmp_path / "kubeconfig"
    try:
        with _raw_server(silent) as url:
            cfg.write_text(kubeconfig(url))
            proc = _scan_subprocess(cfg)
    finally:
        done.set()
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"migrate: error: the API server {url} did not answer within {SHORT_TIMEOUT} s" in proc.stderr
    assert "MIGRATE_SCAN_TIMEOUT" in proc.stderr


def test_a_server_killed_mid_scan_names_what_was_being_read(tmp_path: Path) -> None:
    state: dict[str, Any] = {"lists": 0}
    lock = threading.Lock()

    def answer(conn: socket.socket) -> None:
        while True:
            line = _read_request(conn)
            if not line:
                return
            path = line.split(" ")[1].split("?")[0]
            if path.endswith("/v1") or path in ("/api", "/apis"):
                body = json.dumps({"kind": "APIResourceList", "resources": []})
            else:
                with lock:
                    state["lists"] += 1
                    first = state["lists"] == 1
                    if first:
                        state["first"] = path
                if not first:  # the server dies: the connection closes with no answer
                    conn.shutdown(socket.SHUT_RDWR)
                    return
                body = json.dumps({"kind": "List", "metadata": {"continue": "page-2"},
                                   "items": [{"metadata": {"name": "x"}}]})
            data = body.encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         + f"Content-Length: {len(data)}\r\n\r\n".encode() + data)

    cfg = tmp_path / "kubeconfig"
    with _raw_server(answer, connections=16) as url:
        cfg.write_text(kubeconfig(url))
        proc = _scan_subprocess(cfg)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"migrate: error: cannot reach the API server {url}" in proc.stderr
    # The first list's second page is the one cut off: the error names that list.
    first = state["first"].split("/")[-1]
    assert f" on list {first}" in proc.stderr
    assert state["lists"] >= 2


def test_a_failing_exec_credential_plugin_is_named(tmp_path: Path) -> None:
    plugin = tmp_path / "get-token"
    plugin.write_text("#!/bin/sh\necho 'token expired: run login' >&2\nexit 3\n")
    plugin.chmod(0o755)
    cfg = tmp_path / "kubeconfig"
    _exec_kubeconfig(cfg, plugin)
    proc = _scan_subprocess(cfg)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "migrate: error: cannot load cluster credentials from" in proc.stderr
    assert "exec credential plugin failed (exec: process returned 3. token expired: run login)" in proc.stderr
    assert "ERROR:root" not in proc.stderr


def _exec_kubeconfig(cfg: Path, plugin: Path) -> None:
    cfg.write_text(
        "apiVersion: v1\nkind: Config\n"
        "clusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:9\n"
        "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
        f"      command: {plugin}\n      interactiveMode: Never\n"
        "contexts:\n- name: ctx\n  context:\n    cluster: c\n    user: u\n"
        "current-context: ctx\n")


def test_a_hanging_exec_credential_plugin_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    # The kubernetes client runs the plugin without a timeout: one that waits forever (for a login, a network)
    # would hang the scan.  `exec`: the sleep is the plugin process itself, so stopping it leaves nothing behind.
    plugin = tmp_path / "get-token"
    plugin.write_text(f"#!/bin/sh\nexec sleep {BOUND}\n")
    plugin.chmod(0o755)
    cfg = tmp_path / "kubeconfig"
    _exec_kubeconfig(cfg, plugin)
    proc = _scan_subprocess(cfg)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "ERROR:root" not in proc.stderr
    assert (f"migrate: error: cannot load cluster credentials from {cfg}: the credential plugin '{plugin}' did not "
            f"finish within {SHORT_TIMEOUT} s and was stopped (set MIGRATE_SCAN_TIMEOUT to wait longer)"
            in proc.stderr), proc.stderr


def test_the_exec_plugin_bound_is_lifted_after_the_scan(tmp_path: Path) -> None:
    import subprocess as real_subprocess

    from kubernetes.config import exec_provider
    from kubernetes.config.kube_config import ConfigNode

    from migrate.scan.client import ExecPluginTimeout, bounded_exec_plugins

    plugin = tmp_path / "get-token"
    plugin.write_text(f"#!/bin/sh\nexec sleep {BOUND}\n")
    plugin.chmod(0o755)
    provider = exec_provider.ExecProvider(
        ConfigNode("exec", {"command": str(plugin), "apiVersion": "client.authentication.k8s.io/v1beta1"}), None)
    with bounded_exec_plugins(0.2):
        try:
            provider.run()
        except ExecPluginTimeout as exc:
            assert "did not finish within 0.2 s" in str(exc)
        else:
            raise AssertionError("the plugin was not stopped")
    assert exec_provider.subprocess is real_subprocess


def _running(pid: int) -> bool:
    """Whether `pid` runs (a killed process whose new parent has not reaped it yet is a zombie: not running)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to find a plugin's children")
def test_what_a_timed_out_exec_plugin_started_is_stopped_too(tmp_path: Path) -> None:
    """A plugin that is a script starting a helper (a login flow, a `sleep`): stopping the script alone would
    leave the helper running after the scan has given up on it."""
    from kubernetes.config import exec_provider
    from kubernetes.config.kube_config import ConfigNode

    from migrate.scan.client import ExecPluginTimeout, bounded_exec_plugins

    helper_pid = tmp_path / "helper.pid"
    plugin = tmp_path / "get-token"
    plugin.write_text(f"#!/bin/sh\nsleep {BOUND} &\necho $! > {helper_pid}\nwait\n")
    plugin.chmod(0o755)
    provider = exec_provider.ExecProvider(
        ConfigNode("exec", {"command": str(plugin), "apiVersion": "client.authentication.k8s.io/v1beta1"}), None)
    with bounded_exec_plugins(0.5), pytest.raises(ExecPluginTimeout):
        provider.run()
    helper = int(helper_pid.read_text())
    deadline = time.monotonic() + 5
    while _running(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(helper), f"the plugin's helper {helper} still runs"


def test_an_invalid_scan_timeout_is_a_usage_error(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("MIGRATE_SCAN_TIMEOUT", "soon")
    result = _scan(tmp_path, "http://127.0.0.1:9")
    assert result.exit_code == 2
    assert "migrate: error: MIGRATE_SCAN_TIMEOUT='soon' must be a positive number of seconds" in result.stderr
