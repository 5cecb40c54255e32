"""The vocabulary of verify: a probe request, what happens to it, and a request whose outcome differs.

Kong's router (`migrate.kong.router.KongRouter`) answers the same question for both sides of a `Request` —
which backend (or redirect, or status) and with which upstream path and plugins — so the comparison is plain
equality of `Outcome.key()`.  Sources (which object produced the answer) are carried for the report but never
compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import gcd
from typing import NamedTuple

HTTP = "http"
HTTPS = "https"


class Request(NamedTuple):
    """A probe.  A named tuple: millions are hashed, compared and sorted, and a tuple does that in C."""

    scheme: str  # http | https
    host: str  # lower case, no port
    path: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()  # (lower-cased name, value), sorted by name

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def describe(self) -> str:
        text = f"{self.scheme} {self.method} {self.host}{self.path}"
        if self.headers:
            text += " " + " ".join(f"{k}={v}" for k, v in self.headers)
        return text

    def as_dict(self) -> dict[str, object]:
        return {"scheme": self.scheme, "method": self.method, "host": self.host, "path": self.path,
                "headers": dict(self.headers), "text": self.describe()}


BACKEND = "backend"
REDIRECT = "redirect"
STATUS = "status"
NO_TLS = "no-tls"


@dataclass(frozen=True)
class Outcome:
    kind: str  # backend | redirect | status | no-tls
    backends: tuple[tuple[str, int], ...] = ()  # ("namespace/service:port", relative weight)
    status: int | None = None  # redirect or response status code
    location: str = ""  # redirect target
    upstream_path: str | None = None  # the path sent to the backend (after strip-path / rewrites)
    plugins: tuple[str, ...] = ()  # "KongPlugin ns/name" | "KongClusterPlugin name", sorted
    detail: str = field(default="", compare=False)  # why, for the reader
    sources: tuple[str, ...] = field(default=(), compare=False)  # responsible objects

    def key(self) -> tuple[object, ...]:
        return (self.kind, self.backends, self.status, self.location, self.upstream_path, self.plugins)

    def describe(self) -> str:
        if self.kind == BACKEND:
            parts = [", ".join(b if len(self.backends) == 1 else f"{b} (weight {w})" for b, w in self.backends)]
            if self.upstream_path is not None:
                parts.append(f"upstream path {self.upstream_path}")
            if self.plugins:
                parts.append("plugins " + ", ".join(self.plugins))
            text = "backend " + "; ".join(parts)
        elif self.kind == REDIRECT:
            text = f"redirect {self.status} to {self.location}"
        elif self.kind == NO_TLS:
            text = "no certificate for this host (TLS handshake fails)"
        else:
            text = f"status {self.status}"
        if self.detail:
            text += f" ({self.detail})"
        return text

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "backends": [{"backend": b, "weight": w} for b, w in self.backends],
                "status": self.status, "location": self.location or None, "upstreamPath": self.upstream_path,
                "plugins": list(self.plugins), "detail": self.detail, "sources": list(self.sources),
                "text": self.describe()}


def not_found(detail: str = "no route matches", sources: tuple[str, ...] = ()) -> Outcome:
    return Outcome(STATUS, status=404, detail=detail, sources=sources)


NOT_FOUND = not_found()  # immutable: one for every request no route takes


def normalize_weights(backends: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """Merge duplicates and reduce weights to their smallest equivalent ratio."""
    merged: dict[str, int] = {}
    for name, weight in backends:
        merged[name] = merged.get(name, 0) + weight
    live = {k: v for k, v in merged.items() if v > 0}
    divisor = 0
    for v in live.values():
        divisor = gcd(divisor, v)
    return tuple(sorted((k, v // (divisor or 1)) for k, v in live.items()))


def host_matches(pattern: str, host: str) -> bool:
    """Exact, or a leading-`*` wildcard matching a suffix of one or more labels (Kong and Gateway API agree,
    REFERENCE §2.4); a wildcard never matches its apex."""
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    if pattern.endswith(".*"):  # Kong only: `example.*` matches any last label
        return host.startswith(pattern[:-1]) and len(host) > len(pattern) - 1
    return pattern == host


@dataclass(frozen=True)
class Difference:
    request: Request
    before: Outcome
    after: Outcome
    reason: str = ""  # set when the difference is accepted
    eras: tuple[str, ...] = ()  # the KIC eras in which the after side differs (all checked eras when empty)

    def as_dict(self) -> dict[str, object]:
        d: dict[str, object] = {"request": self.request.as_dict(), "before": self.before.as_dict(),
                                "after": self.after.as_dict(), "kicVersions": list(self.eras)}
        if self.reason:
            d["acceptedBecause"] = self.reason
        return d
