"""A Kubernetes API fake on loopback for the scan tests: kmock's emulator, run in a background thread.

kmock serves discovery, lists and gets from objects loaded into it; this subclass adds what the scan
relies on and a real API server does: `limit`/`continue` pagination, PartialObjectMetadataList when the
Accept header asks for it, equality label selectors and the Secret `type` field selector.  Every request
is logged (method, path, query, Accept) so tests can assert what was, and was not, asked.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import kmock
from kmock._internal import apps, rendering

from migrate.scan import kinds as k

ALL_RESOURCES = (k.NAMESPACES, k.INGRESS_CLASSES, k.INGRESSES, k.SERVICES, k.SECRETS, k.DEPLOYMENTS, k.CRDS,
                 *k.KONG_KINDS, *k.GATEWAY_KINDS)


@dataclass(frozen=True)
class Logged:
    method: str
    path: str
    query: dict[str, str]
    accept: str


def _key(res: k.Resource) -> str:
    return f"{res.group}/{res.version}/{res.plural}" if res.group else f"{res.version}/{res.plural}"


def _labels_match(obj: dict[str, Any], selector: str) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    return True


def _fields_match(obj: dict[str, Any], selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if key == "type" and obj.get("type", "Opaque") != value:
            return False
        if key == "metadata.name" and (obj.get("metadata") or {}).get("name") != value:
            return False
    return True


class PagingEmulator(kmock.KubernetesEmulator):  # type: ignore[misc]
    log: list[Logged]

    namespaces: list[str]

    async def __call__(self, raw_request: Any) -> Any:
        # kmock cannot parse a list of the `namespaces` resource itself (it reads the word as a namespace
        # path segment), so Namespaces are served here, in one page.
        if raw_request.path == "/api/v1/namespaces":
            import aiohttp.web

            self.log.append(Logged("GET", raw_request.path, dict(raw_request.query),
                                   raw_request.headers.get("Accept", "")))
            items = [{"metadata": {"name": n}} for n in sorted(self.namespaces)]
            return aiohttp.web.json_response({"apiVersion": "v1", "kind": "NamespaceList",
                                              "metadata": {"resourceVersion": "1"}, "items": items})
        return await super().__call__(raw_request)

    async def _handle(self, request: rendering.Request) -> Any:
        self.log.append(Logged(str(request.method.value).upper(), request.url.path, dict(request.params),
                               request.headers.get("Accept", "")))
        return await super()._handle(request)

    async def _serve_list(self, request: rendering.Request) -> Any:
        page = await super()._serve_list(request)
        items = [i for i in page["items"]
                 if _labels_match(i, request.params.get("labelSelector", ""))
                 and _fields_match(i, request.params.get("fieldSelector", ""))]
        items.sort(key=lambda o: ((o.get("metadata") or {}).get("namespace") or "", o["metadata"]["name"]))
        # The real server strips apiVersion/kind from list items; so does the fake, to keep the scan honest.
        items = [{key: v for key, v in i.items() if key not in ("apiVersion", "kind")} for i in items]
        start = int(request.params.get("continue") or 0)
        limit = int(request.params.get("limit") or 0) or len(items) or 1
        chunk = items[start:start + limit]
        meta: dict[str, Any] = {"resourceVersion": "1"}
        if start + limit < len(items):
            meta["continue"] = str(start + limit)
            meta["remainingItemCount"] = len(items) - start - limit
        if "as=PartialObjectMetadataList" in request.headers.get("Accept", ""):
            chunk = [{"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": i["metadata"]}
                     for i in chunk]
            return {"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadataList", "metadata": meta,
                    "items": chunk}
        return {"apiVersion": "v1", "kind": "List", "metadata": meta, "items": chunk}


class FakeCluster:
    """Start with `with FakeCluster() as cluster:`; load objects with `add`; point a kubeconfig at `url`."""

    def __init__(self, installed: tuple[k.Resource, ...] = ALL_RESOURCES) -> None:
        self.installed = installed
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._stop: asyncio.Event | None = None
        self.url = ""

    def __enter__(self) -> FakeCluster:
        self._thread.start()
        ready = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        ready.result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> None:
        self.mock = PagingEmulator()
        self.mock.log = []
        self.mock.namespaces = []
        for res in self.installed:
            self.mock.resources[_key(res)] = kmock.ResourceInfo(
                kind=res.kind, namespaced=res.namespaced, verbs={"get", "list", "watch"})
        await self.mock.__aenter__()
        self.server = apps.Server(self.mock)
        await self.server.__aenter__()
        self.url = str(self.server.url).rstrip("/")

    async def _shutdown(self) -> None:
        await self.server.__aexit__(None, None, None)
        await self.mock.__aexit__(None, None, None)

    @property
    def log(self) -> list[Logged]:
        return list(self.mock.log)

    def add(self, res: k.Resource, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        if res == k.NAMESPACES:
            self.mock.namespaces.append(meta["name"])
            return
        self.mock.objects[_key(res), meta.get("namespace") if res.namespaced else None, meta["name"]] = obj

    def deny(self, path: str, status: int, message: str = "") -> None:
        """Answer GET `path` (exact, any query) with a Status error, like RBAC or expired credentials do."""
        reason = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound"}.get(status, "InternalError")
        body = {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure", "code": status,
                "reason": reason, "message": message or reason}
        # A regexp is matched against the exact path; a plain string would be parsed as a Kubernetes resource
        # and a cluster-wide one would also match every namespace.
        self.mock["get", re.compile(re.escape(path))] << status << body

    def requests(self, path_part: str = "") -> Iterator[Logged]:
        return (r for r in self.log if path_part in r.path)


def kubeconfig(url: str, context: str = "fake", token: str = "fake-token") -> str:
    return (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: fake\n  cluster:\n    server: {url}\n"
        f"users:\n- name: fake\n  user:\n    token: {token}\n"
        f"contexts:\n- name: {context}\n  context:\n    cluster: fake\n    user: fake\n"
        f"current-context: {context}\n"
    )
