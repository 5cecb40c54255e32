"""The Kubernetes objects KIC's translator reads, indexed the way it looks them up.

Raw dicts, not the converter's parsed model: the KIC model reads fields itself, so a converter mistake is not
mirrored.  Every object keeps its `SourceRef` for messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from migrate.loader import SourceDoc
from migrate.sources import SourceRef


@dataclass(frozen=True)
class Obj:
    """One object, read-only: its fields are computed once (the translators read them for every route)."""

    raw: dict[str, Any]
    ref: SourceRef

    @cached_property
    def kind(self) -> str:
        return str(self.raw.get("kind", ""))

    @cached_property
    def meta(self) -> dict[str, Any]:
        m = self.raw.get("metadata")
        return m if isinstance(m, dict) else {}

    @cached_property
    def name(self) -> str:
        return str(self.meta.get("name", ""))

    @cached_property
    def namespace(self) -> str:
        return str(self.meta.get("namespace") or "default")

    @cached_property
    def annotations(self) -> dict[str, str]:
        a = self.meta.get("annotations")
        return {str(k): str(v) for k, v in a.items()} if isinstance(a, dict) else {}

    @cached_property
    def labels(self) -> dict[str, str]:
        a = self.meta.get("labels")
        return {str(k): str(v) for k, v in a.items()} if isinstance(a, dict) else {}

    @cached_property
    def spec(self) -> dict[str, Any]:
        s = self.raw.get("spec")
        return s if isinstance(s, dict) else {}

    @cached_property
    def creation_timestamp(self) -> str:
        return str(self.meta.get("creationTimestamp") or "")

    @cached_property
    def object_id(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"

    def age_key(self) -> tuple[str, str, str]:
        """KIC sorts by creationTimestamp, then namespace/name (objects without a timestamp sort first)."""
        return (self.creation_timestamp, self.namespace, self.name)


@dataclass
class Store:
    by_kind: dict[str, list[Obj]] = field(default_factory=dict)
    _index: dict[tuple[str, str, str], Obj] = field(default_factory=dict)
    # derived indexes the translators build once per store (e.g. ReferenceGrants by `from`)
    memo: dict[str, Any] = field(default_factory=dict)

    def add(self, raw: dict[str, Any], ref: SourceRef | None = None) -> None:
        self.memo.clear()
        kind = str(raw.get("kind", ""))
        obj = Obj(raw, ref or SourceRef(kind=kind))
        self.by_kind.setdefault(kind, []).append(obj)
        cluster_scoped = kind in CLUSTER_SCOPED
        key = (kind, "" if cluster_scoped else obj.namespace, obj.name)
        self._index.setdefault(key, obj)

    def list(self, kind: str) -> list[Obj]:
        return self.by_kind.get(kind, [])

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        return self._index.get((kind, "" if kind in CLUSTER_SCOPED else namespace, name))


CLUSTER_SCOPED = frozenset({"KongClusterPlugin", "IngressClass", "GatewayClass", "Namespace"})


def build_store(objects: Iterable[SourceDoc | dict[str, Any]]) -> Store:
    store = Store()
    for item in objects:
        if isinstance(item, SourceDoc):
            store.add(item.obj, item.ref)
        elif isinstance(item, dict):
            store.add(item)
    return store
