"""`migrate scan` against a loopback fake Kubernetes API, compared with a replay of the same GET requests.

The estate is benchmarks/generate.py's (N Ingresses over N/25 namespaces, their Services and KongPlugins,
2 % TCPIngress / 1 % UDPIngress) plus what a cluster holds around it: the Namespaces, a TLS Secret for every
`secretName` (with key material the scan must never fetch), two unrelated Opaque Secrets and one unrelated
Service per namespace, the IngressClass and the Kong proxy Service and Deployment.  A small HTTP/1.1 server
in this process serves it as an API server does (discovery, `limit`/`continue` pagination,
PartialObjectMetadataList, equality label selectors, the Secret `type` field selector, Status errors);
every answer is rendered once and cached, so the server costs the same for every run that follows.

Per N, in fresh interpreters (wall time and the child's own peak RSS via os.wait4):

* `migrate scan` through a kubeconfig pointing at the server (a first, untimed run records its requests
  and its output);
* the replay floor: a child that sends the same GET requests with the same HTTP client library (urllib3,
  which the kubernetes client uses), json-decodes and keeps every answer, then dumps the scan's output
  documents with libyaml (PyYAML CSafeDumper, as benchmarks/run.py's convert baseline does).

    python3 -m benchmarks.scan_bench                    # N = 1,000 and 10,000, best of 3
    python3 -m benchmarks.scan_bench --sizes 1000 --repeat 1
    python3 -m benchmarks.scan_bench --forbid-cluster-wide   # Services/Secrets only per namespace (403)

Targets (issue 14): scan <= 2x the replay floor's time, <= 4x its memory.  Nothing here is asserted by
the test suite.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from benchmarks.generate import generate
from benchmarks.run import PY, ROOT, Sample, best, machine, measure

KONG_LABELS = {"app.kubernetes.io/name": "kong", "app.kubernetes.io/instance": "kong"}
PARTIAL = "as=PartialObjectMetadataList"
KEY_MATERIAL = "c2VjcmV0LWtleS1tYXRlcmlhbA=="


def _resources() -> dict[str, Any]:
    """(group, version, plural) -> Resource, for everything a scan may read."""
    from migrate.scan import kinds as k

    every = (k.NAMESPACES, k.INGRESS_CLASSES, k.INGRESSES, k.SERVICES, k.SECRETS, k.DEPLOYMENTS, k.CRDS,
             *k.KONG_KINDS, *k.GATEWAY_KINDS)
    return {f"{r.group_version_path}/{r.plural}": r for r in every}


def estate(n: int) -> list[dict[str, Any]]:
    """generate(n) and what a real cluster holds around it (see the module docstring)."""
    objs = generate(n, seed=1)
    namespaces = sorted({o["metadata"]["namespace"] for o in objs if o["metadata"].get("namespace")})
    extra: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
                                   for ns in [*namespaces, "kong"]]
    tls = sorted({(o["metadata"]["namespace"], t["secretName"]) for o in objs if o["kind"] == "Ingress"
                  for t in o["spec"].get("tls") or ()})
    stamp = "2024-01-01T00:00:00Z"
    for ns, name in tls:
        extra.append({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                      "metadata": {"name": name, "namespace": ns, "creationTimestamp": stamp,
                                   "labels": {"team": ns}},
                      "data": {"tls.crt": KEY_MATERIAL, "tls.key": KEY_MATERIAL}})
    for ns in namespaces:
        for name in ("db-credentials", "api-key"):
            extra.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                          "metadata": {"name": name, "namespace": ns, "creationTimestamp": stamp},
                          "data": {"password": KEY_MATERIAL}})
        extra.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "metrics", "namespace": ns},
                      "spec": {"selector": {"app": "metrics"}, "ports": [{"name": "metrics", "port": 9090}]}})
    extra.append({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "kong"},
                  "spec": {"controller": "ingress-controllers.konghq.com/kong"}})
    extra.append({"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": "kong-kong-proxy", "namespace": "kong", "labels": KONG_LABELS}, "spec": {
        "selector": KONG_LABELS, "ports": [{"name": "kong-proxy", "port": 80, "targetPort": 8000, "protocol": "TCP"},
                                           {"name": "kong-proxy-tls", "port": 443, "targetPort": 8443,
                                            "protocol": "TCP"}]}})
    extra.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {
        "name": "kong-kong", "namespace": "kong", "labels": KONG_LABELS}, "spec": {"template": {
            "metadata": {"labels": KONG_LABELS}, "spec": {"containers": [{"name": "proxy", "env": [
                {"name": "KONG_PROXY_LISTEN", "value": "0.0.0.0:8000, 0.0.0.0:8443 http2 ssl"},
                {"name": "KONG_STREAM_LISTEN", "value": "off"}]}]}}}})
    return objs + extra


def _status(code: int, message: str) -> dict[str, Any]:
    reason = {403: "Forbidden", 404: "NotFound"}.get(code, "InternalError")
    return {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure", "code": code,
            "reason": reason, "message": message}


def _selected(obj: dict[str, Any], labels: str, fields: str) -> bool:
    have = obj["metadata"].get("labels") or {}
    for term in filter(None, labels.split(",")):
        key, _, value = term.partition("=")
        if have.get(key) != value:
            return False
    for term in filter(None, fields.split(",")):
        key, _, value = term.partition("=")
        if key == "type" and obj.get("type", "Opaque") != value:
            return False
        if key == "metadata.name" and obj["metadata"]["name"] != value:
            return False
    return True


class FakeAPI:
    """The estate behind the paths a Kubernetes API server serves, answers cached by request."""

    def __init__(self, objects: list[dict[str, Any]], forbidden: set[str]) -> None:
        self.resources = _resources()
        by_kind = {r.kind: key for key, r in self.resources.items()}
        self.store: dict[str, list[dict[str, Any]]] = {key: [] for key in self.resources}
        for obj in objects:
            self.store[by_kind[obj["kind"]]].append(obj)
        for items in self.store.values():
            items.sort(key=lambda o: (o["metadata"].get("namespace") or "", o["metadata"]["name"]))
        self.forbidden = forbidden
        self.cache: dict[tuple[str, str], tuple[int, bytes]] = {}
        self.recorded: list[tuple[str, str]] = []  # (path?query, Accept), in order
        self.lock = threading.Lock()

    def answer(self, target: str, accept: str) -> tuple[int, bytes]:
        with self.lock:
            self.recorded.append((target, accept))
            hit = self.cache.get((target, accept))
            if hit is None:
                status, body = self._render(target, accept)
                hit = self.cache[target, accept] = (status, json.dumps(body, separators=(",", ":")).encode())
            return hit

    def _render(self, target: str, accept: str) -> tuple[int, dict[str, Any]]:
        url = urlsplit(target)
        path, query = url.path, dict(parse_qsl(url.query))
        if path in self.forbidden:
            return 403, _status(403, f"cannot list at {path}")
        if path == "/api/v1" or (path.startswith("/apis/") and path.count("/") == 3):
            names = [r.plural for key, r in self.resources.items() if key.rsplit("/", 1)[0] == path]
            if not names:
                return 404, _status(404, "the server could not find the requested resource")
            return 200, {"kind": "APIResourceList", "groupVersion": path.split("/", 2)[-1],
                         "resources": [{"name": p} for p in names]}
        parts = path.strip("/").split("/")
        base = parts[:2] if parts[0] == "api" else parts[:3]
        rest = parts[len(base):]
        namespace = ""
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        key = "/" + "/".join([*base, rest[0]]) if rest else ""
        if key not in self.resources or len(rest) > 2:
            return 404, _status(404, "the server could not find the requested resource")
        items = self.store[key]
        if namespace:
            items = [o for o in items if o["metadata"].get("namespace") == namespace]
        if len(rest) == 2:
            found = next((o for o in items if o["metadata"]["name"] == rest[1]), None)
            return (200, found) if found is not None else (404, _status(404, f"{rest[0]} {rest[1]} not found"))
        items = [o for o in items if _selected(o, query.get("labelSelector", ""), query.get("fieldSelector", ""))]
        start = int(query.get("continue") or 0)
        limit = int(query.get("limit") or 0) or len(items) or 1
        meta: dict[str, Any] = {"resourceVersion": "1"}
        if start + limit < len(items):
            meta["continue"] = str(start + limit)
            meta["remainingItemCount"] = len(items) - start - limit
        page = [{k: v for k, v in o.items() if k not in ("apiVersion", "kind")} for o in items[start:start + limit]]
        if PARTIAL in accept:
            page = [{"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": o["metadata"]}
                    for o in page]
            return 200, {"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadataList", "metadata": meta,
                         "items": page}
        return 200, {"apiVersion": "v1", "kind": "List", "metadata": meta, "items": page}


@contextmanager
def serve(api: FakeAPI) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the API server and urllib3's pool do
        disable_nagle_algorithm = True  # headers and body are two writes: no delayed-ACK stall between them

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            status, data = api.answer(self.path, self.headers.get("Accept", ""))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


REPLAY = """
import json, pickle, sys, urllib3, yaml
base, requests, output = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
pool = urllib3.PoolManager()
kept = []
for target, accept in requests:
    resp = pool.request("GET", base + target, headers={"Accept": accept, "Authorization": "Bearer bench",
                                                        "User-Agent": "replay"}, preload_content=True)
    kept.append(json.loads(resp.data))
out = pickle.load(open(output, "rb"))
sys.stdout.write(yaml.dump_all(out, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False,
                               allow_unicode=True, width=4096, explicit_start=True))
"""


def kubeconfig(url: str) -> str:
    return ("apiVersion: v1\nkind: Config\n"
            f"clusters:\n- name: bench\n  cluster:\n    server: {url}\n"
            "users:\n- name: bench\n  user:\n    token: bench\n"
            "contexts:\n- name: bench\n  context:\n    cluster: bench\n    user: bench\n"
            "current-context: bench\n")


def bench(sizes: list[int], repeat: int, work: Path, forbid: bool, scan_args: list[str], tree: Path
          ) -> Iterator[str]:
    import yaml  # the benchmark's own bookkeeping: hand the scan's output to the replay

    for n in sizes:
        forbidden = {"/api/v1/services", "/api/v1/secrets"} if forbid else set()
        api = FakeAPI(estate(n), forbidden)
        with serve(api) as url:
            kc = work / "kubeconfig"
            kc.write_text(kubeconfig(url))
            out = work / f"scan-{n}.yaml"
            cmd = [PY, "-m", "migrate", "scan", "--kubeconfig", str(kc), *scan_args]
            code = measure(cmd, out, tree).exit_code  # untimed: records the requests, fills the server's cache
            recorded = list(api.recorded)
            requests = work / f"requests-{n}.json"
            requests.write_text(json.dumps(recorded))
            docs = [d for d in yaml.load_all(out.read_text(), Loader=yaml.CSafeLoader) if d is not None]
            pickled = work / f"scan-{n}.pickle"
            pickled.write_bytes(pickle.dumps(docs))
            scan_s = best(cmd, repeat, out, tree)
            replay_s = best([PY, "-c", REPLAY, url, str(requests), str(pickled)], repeat)
        lists = [t for t, _ in recorded if "limit=" in t]
        per_ns = [t for t in lists if "/namespaces/" in t.split("?")[0]]
        received = sum(len(api.cache[t, a][1]) for t, a in recorded)
        yield (f"N={n:>6}: {len(recorded)} requests ({len(lists)} list pages, {len(per_ns)} of them per namespace), "
               f"{received / 1e6:.1f} MB received, {len(docs)} objects / {out.stat().st_size / 1e6:.1f} MB out, "
               f"exit {code}")
        yield _line("scan", scan_s)
        yield _line("replay floor", replay_s)
        t_ratio = scan_s.seconds / replay_s.seconds
        m_ratio = scan_s.max_rss_kb / replay_s.max_rss_kb
        met = "met" if t_ratio <= 2 and m_ratio <= 4 else "MISSED"
        yield (f"  ratio          {t_ratio:7.2f} x  {scan_s.cpu / replay_s.cpu:7.2f} x  {m_ratio:7.2f} x     "
               f"(targets: <= 2x time, <= 4x memory: {met})")


def _line(name: str, s: Sample) -> str:
    return f"  {name:<14} {s.seconds:7.2f} s  {s.cpu:7.2f} s  {s.max_rss_kb / 1024:7.0f} MiB   (wall, CPU, peak RSS)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept")
    parser.add_argument("--forbid-cluster-wide", action="store_true",
                        help="answer cluster-wide Service and Secret lists with 403 (the per-namespace fallback)")
    parser.add_argument("--scan-arg", action="append", default=[], metavar="ARG",
                        help="extra argument for `migrate scan` (repeatable)")
    parser.add_argument("--tree", type=Path, default=ROOT, metavar="DIR",
                        help="run `python -m migrate` from DIR, e.g. an older `git archive` of migrate/ and "
                             "generators/, to compare (default: this checkout)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="migrate-scan-bench-") as tmp:
        for line in itertools.chain(machine(), bench(args.sizes, args.repeat, Path(tmp), args.forbid_cluster_wide,
                                                     args.scan_arg, args.tree.resolve())):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
