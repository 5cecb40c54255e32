"""`migrate scan` against servers that misbehave (issues 13.4, 15.8): each ends, with a named error."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.scan_fixtures.fake_cluster import kubeconfig
from tests.support import run_cli

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
