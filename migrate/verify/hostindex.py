"""Kong route candidates indexed by the hosts they serve, so a probe only looks at its candidates."""

from __future__ import annotations

from typing import Generic, TypeVar

from migrate.verify.outcome import host_matches

T = TypeVar("T")


class HostIndex(Generic[T]):
    """Exact hosts, `*.suffix` wildcards (any depth), Kong's `prefix.*` wildcards, and items for any host."""

    def __init__(self) -> None:
        self._exact: dict[str, list[T]] = {}
        self._suffix: dict[str, list[T]] = {}
        self._trailing: list[tuple[str, T]] = []
        self._any: list[T] = []
        self._memo: dict[str, list[T]] = {}  # probes repeat hosts many times

    def add(self, hosts: tuple[str, ...] | list[str], item: T) -> None:
        self._memo.clear()
        if not hosts:
            self._any.append(item)
        for h in hosts:
            if h.startswith("*."):
                self._suffix.setdefault(h[1:], []).append(item)
            elif h.endswith(".*"):
                self._trailing.append((h, item))
            else:
                self._exact.setdefault(h, []).append(item)

    def lookup(self, host: str) -> list[T]:
        """Every item one of whose hosts matches `host` (each once, in a stable order)."""
        if host in self._memo:
            return self._memo[host]
        found: list[T] = list(self._exact.get(host, ()))
        dot = host.find(".")
        while dot != -1:
            found.extend(self._suffix.get(host[dot:], ()))
            dot = host.find(".", dot + 1)
        found.extend(item for pattern, item in self._trailing if host_matches(pattern, host))
        found.extend(self._any)
        seen: set[int] = set()
        out: list[T] = []
        for item in found:
            if id(item) not in seen:
                seen.add(id(item))
                out.append(item)
        self._memo[host] = out
        return out
