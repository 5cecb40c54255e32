"""Output object names: valid DNS-1123, deterministic, bounded, and collision-free.

Readable names come from the source (Ingress name + host).  Distinct sources whose readable names
coincide (`foo.bar.com` vs `foo-bar.com`) all get a short hash of their full identity appended, so the
result never depends on input order.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable

MAX_NAME = 63  # DNS label length keeps names usable as label values too
_NON_NAME = re.compile(r"[^a-z0-9-]+")
_DASHES = re.compile(r"-{2,}")


def short_hash(text: str, length: int = 6) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def slug(text: str) -> str:
    """Lower-case DNS label fragment: `*.Example.com` -> `wildcard-example-com`."""
    text = text.lower().replace("*", "wildcard")
    text = _DASHES.sub("-", _NON_NAME.sub("-", text)).strip("-")
    return text or "x"


def bounded(name: str, identity: str) -> str:
    """Truncate to MAX_NAME, keeping a hash of the identity when anything was cut."""
    name = slug(name)
    if len(name) <= MAX_NAME:
        return name
    digest = short_hash(identity)
    return f"{name[: MAX_NAME - len(digest) - 1].rstrip('-')}-{digest}"


def join(*parts: str) -> str:
    return "-".join(slug(p) for p in parts if p)


def assign_unique(wanted: Iterable[tuple[Hashable, str, str]]) -> dict[Hashable, str]:
    """Map each key to a unique name.

    `wanted` holds (key, scope, readable name); names must be unique within a scope (e.g. kind +
    namespace).  Every key whose readable name is shared with another key gets its identity hash.
    """
    items = list(wanted)
    by_name: dict[tuple[str, str], list[Hashable]] = defaultdict(list)
    for key, scope, name in items:
        by_name[(scope, name)].append(key)
    out: dict[Hashable, str] = {}
    taken: set[tuple[str, str]] = {k for k, v in by_name.items() if len(v) == 1}
    for key, scope, name in items:
        if len(by_name[(scope, name)]) == 1:
            out[key] = name
            continue
        digest = short_hash(repr(key))
        candidate = f"{name[: MAX_NAME - len(digest) - 1].rstrip('-')}-{digest}"
        n = 2
        while (scope, candidate) in taken:  # pathological: a readable name that looks like a hashed one
            candidate = f"{name[: MAX_NAME - len(digest) - 4].rstrip('-')}-{digest}-{n}"
            n += 1
        taken.add((scope, candidate))
        out[key] = candidate
    return out
