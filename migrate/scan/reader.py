"""Read-only API access: paginated GET lists and single GETs, with errors a user can act on.

Only the GET method is ever sent.  Requests go through the official client's ApiClient (auth, TLS,
proxies as kubeconfig says) with raw JSON responses, so core kinds and CRDs share one code path.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from migrate.scan.kinds import PARTIAL_METADATA_LIST, Resource

DEFAULT_PAGE_SIZE = 500
DEFAULT_TIMEOUT = 30.0
TIMEOUT_ENV = "MIGRATE_SCAN_TIMEOUT"  # seconds each API call may take (connect, and each read)
# 10,000 pages of `--page-size` objects: beyond any real cluster (5 million objects at the default size).
MAX_PAGES = 10_000


def timeout_from_env(value: str | None) -> float:
    """The per-call timeout: $MIGRATE_SCAN_TIMEOUT seconds (a positive number), else 30 s."""
    if value is None or not value.strip():
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise ValueError(f"{TIMEOUT_ENV}={value!r} must be a positive number of seconds")
    return seconds


class ScanError(Exception):
    """An API call failed in a way the user must hear about; `status` 0 means no HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Unreachable(ScanError):
    pass


class NotKubernetes(Unreachable):
    """The server answers HTTP, but not as a Kubernetes API server does."""


def _is_status(body: str) -> bool:
    with contextlib.suppress(ValueError, AttributeError):
        return json.loads(body).get("kind") == "Status"
    return False


def explain(status: int, verb: str, what: str, server: str, body: str = "") -> str:
    """The message for a failed call: what happened and what to do, never a stack trace."""
    detail = ""
    with contextlib.suppress(ValueError, AttributeError):
        detail = str(json.loads(body).get("message") or "")
    if status == 401:
        return (f"the API server {server} rejected the credentials (401 Unauthorized) on {verb} {what}: they are "
                "missing or expired; log in again (refresh the kubeconfig token) and retry")
    if status == 403:
        return (f"permission denied (403 Forbidden): cannot {verb} {what}"
                + (f" ({detail})" if detail else "") + "; grant the role printed by `migrate scan --print-rbac`")
    if status == 404:
        return f"{what} is not served by this API server (404 Not Found)"
    return f"{verb} {what} failed: HTTP {status}" + (f": {detail}" if detail else "")


def envelope_problem(obj: Any) -> str | None:
    """Why `obj` is not a Kubernetes object as an API server returns one (None: it is): the scan and the
    conversion read its metadata (name, namespace, labels, annotations) without checking it again."""
    if not isinstance(obj, dict):
        return f"not an object but {type(obj).__name__}"
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return "no metadata"
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return "no metadata.name"
    namespace = meta.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        return "metadata.namespace is not a string"
    for key in ("labels", "annotations"):
        value = meta.get(key)
        if value is not None and not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
            return f"metadata.{key} is not a map of strings"
    return None


@dataclass
class Reader:
    api: Any  # kubernetes.client.ApiClient
    server: str
    page_size: int = DEFAULT_PAGE_SIZE
    timeout: float = DEFAULT_TIMEOUT
    on_page: Callable[[str, int], None] | None = None  # progress: (what, objects so far)
    # list items that are no Kubernetes objects (no API server sends them; a broken aggregated API might),
    # left out and said here for the scan's report
    skipped: list[str] = field(default_factory=list)

    def _get(self, path: str, query: list[tuple[str, str]], accept: str, verb: str, what: str) -> dict[str, Any]:
        import urllib3

        timeouts = (urllib3.exceptions.TimeoutError, TimeoutError)
        method, url, headers, _, _ = self.api.param_serialize(
            "GET", path, query_params=query, header_params={"Accept": accept}, auth_settings=["BearerToken"])
        try:
            resp = self.api.call_api(method, url, header_params=headers, _request_timeout=self.timeout)
            data = resp.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc  # MaxRetryError wraps the cause
            # urllib3 makes a refused connection (NewConnectionError) a ConnectTimeoutError subclass.
            timed_out = any(isinstance(e, timeouts) and not isinstance(e, urllib3.exceptions.NewConnectionError)
                            for e in (exc, reason))
            if timed_out:
                raise Unreachable(0, f"the API server {self.server} did not answer within {self.timeout:g} s on "
                                     f"{verb} {what} (set {TIMEOUT_ENV} to wait longer); check the kubeconfig "
                                     "context and that the cluster is running") from None
            raise Unreachable(0, f"cannot reach the API server {self.server} on {verb} {what}: {reason}; check the "
                                 "kubeconfig context and that the cluster is running") from None
        except Exception as exc:  # the client wraps TLS failures into ApiException(status=0)
            if getattr(exc, "status", None) == 0:
                raise Unreachable(0, f"cannot reach the API server {self.server} on {verb} {what}: "
                                     f"{getattr(exc, 'reason', exc)}") from None
            raise
        if not 200 <= resp.status < 300:
            body = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
            if resp.status == 404 and not _is_status(body) and path.count("/") <= 4:
                raise NotKubernetes(resp.status, f"{self.server} is not a Kubernetes API server: GET {path} "
                                                 "answered 404 without a Kubernetes Status; check the kubeconfig's "
                                                 "server URL")
            raise ScanError(resp.status, explain(resp.status, verb, what, self.server, body))
        try:
            parsed = json.loads(data)
        except ValueError:
            raise NotKubernetes(resp.status, f"{self.server} is not a Kubernetes API server: {verb} {what} answered "
                                             "with non-JSON data (an HTML page?); check the kubeconfig's server URL")\
                from None
        if not isinstance(parsed, dict):
            raise ScanError(resp.status, f"{verb} {what}: unexpected answer from the API server")
        return parsed

    def get_json(self, path: str, what: str) -> dict[str, Any]:
        return self._get(path, [], "application/json", "get", what)

    def get(self, res: Resource, name: str, namespace: str | None = None) -> dict[str, Any]:
        what = f"{res.rbac_resource} {name}"
        obj = self._get(res.path(namespace, name), [], "application/json", "get", what)
        problem = envelope_problem(obj)
        if problem is not None:
            raise ScanError(200, f"get {what}: the API server's answer is not a Kubernetes object ({problem})")
        return obj

    def list(self, res: Resource, namespace: str | None = None, label_selector: str = "",
             field_selector: str = "") -> Iterator[dict[str, Any]]:
        """Every object of `res` (in `namespace`, or all), one page of `page_size` at a time."""
        what = res.rbac_resource + (f" in namespace {namespace}" if namespace else
                                    " in all namespaces" if res.namespaced else "")
        accept = PARTIAL_METADATA_LIST if res.metadata_only else "application/json"
        token = ""
        count = 0
        seen_tokens: set[str] = set()
        pages = 0
        while True:
            pages += 1
            if pages > MAX_PAGES:
                raise ScanError(0, f"list {what}: more than {MAX_PAGES} pages; stopped (the API server keeps "
                                   "answering with a continue token)")
            query = [("limit", str(self.page_size))]
            if token:
                query.append(("continue", token))
            if label_selector:
                query.append(("labelSelector", label_selector))
            if field_selector:
                query.append(("fieldSelector", field_selector))
            page = self._get(res.path(namespace), query, accept, "list", what)
            items = page.get("items") or []
            for n, item in enumerate(items if isinstance(items, list) else [items]):
                problem = envelope_problem(item)
                if problem is None:
                    count += 1
                    yield item
                else:
                    self.skipped.append(f"list {what}: item {n + 1} of page {pages} is not a Kubernetes object "
                                        f"({problem}); it was left out")
            if self.on_page:
                self.on_page(what, count)
            token = str((page.get("metadata") or {}).get("continue") or "")
            if not token:
                return
            if token in seen_tokens:
                raise ScanError(0, f"list {what}: the API server returned the continue token {token[:40]!r} twice; "
                                   "stopped instead of paginating forever")
            seen_tokens.add(token)

    def served(self, group_version_path: str) -> set[str] | None:
        """Plural names served under one API group version; None when the group version is not served."""
        try:
            doc = self.get_json(group_version_path, group_version_path)
        except ScanError as exc:
            if exc.status == 404:
                return None
            raise
        return {str(r.get("name")) for r in doc.get("resources") or [] if isinstance(r, dict)}
