"""Systematic probe requests: the boundary cases where Kong's and the Gateway API's semantics part.

For every route of either table (so a route only one side has is probed too):
* hosts: each host; for `*.example.com` a one-label host, a two-label host and the apex; a host no route
  names; routes without host are probed on that uncovered host and on a few named hosts;
* paths: the path, path + `/`, path + `/x`, path + `x` (a prefix without segment boundary), the path
  without its trailing slash, a case variant; for regexes a string the regex matches (built from the
  pattern) and the same edits of it;
* methods: each allowed method and one outside the set; headers: each value of each header, the header
  missing, a case variant of the value and a value nobody lists;
* every request both as http and https.
Probes are deduplicated and sorted, so a run is deterministic.

Bounds (issue 13): the methods and header values of a route are combined (every method with every header
variant) only while that product stays within MAX_PRODUCT; past it each method is probed with the first header
variant and each header variant with the first method (linear in the route's size).  A route listing more than
MAX_LISTED_PROBED methods, or a header with more than MAX_LISTED_PROBED values, has an evenly spread sample of
them probed (the first and last always).  Each bound that applied is returned as a note, so the report says which
routes were not probed exhaustively.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, TypeVar

from migrate.kong.atc import PLAIN_TEXT_RUN
from migrate.verify.outcome import HTTP, HTTPS, Request
from migrate.verify.shapes import EXACT, PREFIX, REGEX, PathShape, RouteShape

UNCOVERED_HOST = "uncovered.invalid"
GRPC_METHOD = "POST"  # gRPC calls are HTTP/2 POSTs
MAX_HOSTS_FOR_HOSTLESS = 5
OTHER_METHODS = ("GET", "POST", "DELETE", "PATCH")
UNLISTED_VALUE = "unlisted-value"
T = TypeVar("T")
MAX_PRODUCT = 256  # methods x header variants of one route probed in full
MAX_LISTED_PROBED = 32  # methods of one route, values of one header, probed


def _sample(items: list[T]) -> list[T]:
    """At most MAX_LISTED_PROBED of `items`, evenly spread, the first and the last included."""
    n = len(items)
    if n <= MAX_LISTED_PROBED:
        return items
    k = MAX_LISTED_PROBED
    return [items[(i * (n - 1)) // (k - 1)] for i in range(k)]


def regex_sample(pattern: str, any_char: str = "x") -> str | None:
    """A string the start-anchored regex matches, built from its syntax tree; None when none was found.
    `any_char` stands for `.` (gRPC paths want the literal dot of `package.Service`)."""
    # a regex without syntax but a final `$` (most regex paths KIC writes) is its own sample: no parse
    end = PLAIN_TEXT_RUN.match(pattern).end()  # type: ignore[union-attr]  # matches the empty string
    if pattern[end:] in ("", "$"):
        return pattern[:end]
    found = _regex_sample(pattern, any_char)
    if isinstance(found, tuple):  # a regex matched under a time budget: checked on every run, so it is reported
        text, rx = found
        return text if rx.match(text) else None
    return found


@functools.lru_cache(maxsize=65536)
def _regex_sample(pattern: str, any_char: str) -> str | None | tuple[str, Any]:
    try:
        import re._parser as sre_parse  # the stdlib's own regex parser

        from migrate.kong.atc import GuardedPattern, compile_python_regex, guard, to_python_regex

        python_pattern = to_python_regex(pattern)  # Kong's spelling (POSIX classes, named groups) as `re` reads it
        tree = sre_parse.parse(python_pattern)
        text = _emit(list(tree)).replace(_ANY, any_char)
        # the router's compiled regex (compiled once per run, not once here too)
        shared = compile_python_regex(pattern)[0]
        rx = shared if shared is not None else guard(re.compile(python_pattern))
    except (re.error, RecursionError, ValueError, TypeError, IndexError):
        return None
    if isinstance(rx, GuardedPattern):
        return text, rx
    return text if rx.match(text) else None


_ANY = "\x00"  # placeholder for `.` until regex_sample picks the character


def _emit(items: list[tuple[Any, Any]]) -> str:
    out: list[str] = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(av))
        elif name == "NOT_LITERAL":
            out.append("x" if chr(av) != "x" else "y")
        elif name == "ANY":
            out.append(_ANY)
        elif name == "IN":
            out.append(_class_char(av))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = av
            out.append(_emit(list(sub)) * min(max(low, 1), high))
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            out.append(_emit(list(av[-1])))
        elif name == "BRANCH":
            out.append(_emit(list(av[1][0])))
        elif name == "CATEGORY":
            out.append(_category_char(str(av)))
        # AT (anchors), assertions and group references add no characters
    return "".join(out)


def _class_char(items: list[tuple[Any, Any]]) -> str:
    negate = any(str(op) == "NEGATE" for op, _ in items)
    if negate:
        excluded = {chr(av) for op, av in items if str(op) == "LITERAL"}
        return next(c for c in "xyz0" if c not in excluded)
    for op, av in items:
        if str(op) == "LITERAL":
            return chr(av)
        if str(op) == "RANGE":
            return chr(av[0])
        if str(op) == "CATEGORY":
            return _category_char(str(av))
    return "x"


def _category_char(category: str) -> str:
    if "NOT_DIGIT" in category or "NOT_SPACE" in category:
        return "x"
    if "DIGIT" in category:
        return "0"
    if "NOT_WORD" in category:
        return "-"
    if "SPACE" in category:
        return " "
    return "a"


def _slash(path: str) -> str:
    return path if path.startswith("/") else "/" + path


# A gRPC call: POST /<package.Service>/<Method> (probes use package-qualified service names)
GRPC_CALL = re.compile(r"/[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+/[A-Za-z_][A-Za-z0-9_]*")


def grpc_variants(shape: PathShape) -> list[str]:
    """The gRPC calls a gRPC route's path admits or borders: only such requests reach gRPC routes."""
    out = []
    for path in path_variants(shape, any_char="."):
        base = path.rstrip("/")
        for candidate in (path, base + "/Call", base + "/probe.Service/Call"):
            if GRPC_CALL.fullmatch(candidate):
                out.append(candidate)
    return list(dict.fromkeys(out))


def path_variants(shape: PathShape, any_char: str = "x") -> list[str]:
    if shape.kind == REGEX:
        sample = regex_sample(shape.value, any_char)
        if sample is None:
            return []
        base = _slash(sample)
    else:
        base = shape.value
    trimmed = base.rstrip("/") or "/"
    out = [base, trimmed, trimmed.rstrip("/") + "/", trimmed.rstrip("/") + "/x", base + "x", base.swapcase()]
    if shape.kind == PREFIX and base.endswith("/"):
        out.append(trimmed + "x")
    if shape.kind == EXACT:
        out.append(base + "/x")
    return list(dict.fromkeys(_slash(p) for p in out))


def host_variants(host: str) -> list[str]:
    if host.startswith("*."):
        suffix = host[2:]
        return [f"wild.{suffix}", f"a.b.{suffix}", suffix]
    if host.endswith(".*"):
        return [host[:-1] + "test"]
    return [host]


def _header_variants(headers: tuple[tuple[str, tuple[tuple[str, bool], ...]], ...],
                     bounded: list[str] | None = None) -> list[dict[str, str]]:
    samples: dict[str, list[str]] = {}
    for name, listed in headers:
        got = [v if not rx else regex_sample(v) for v, rx in _sample(list(listed))]
        samples[name] = [g for g in got if g]
        if len(listed) > MAX_LISTED_PROBED and bounded is not None:
            bounded.append(f"header {name}: {len(listed)} values, {MAX_LISTED_PROBED} of them probed")
    baseline = {n: vs[0] for n, vs in samples.items() if vs}
    out = [dict(baseline)]
    for name, values in samples.items():
        for v in values[1:]:
            out.append({**baseline, name: v})
        missing = dict(baseline)
        missing.pop(name, None)
        out.append(missing)
        out.append({**baseline, name: UNLISTED_VALUE})
        if values and values[0].swapcase() != values[0]:
            out.append({**baseline, name: values[0].swapcase()})
    return out


def _methods(shape: RouteShape, bounded: list[str] | None = None) -> list[str]:
    if shape.grpc:
        return [GRPC_METHOD]
    if not shape.methods:
        return ["GET"]
    outside = next((m for m in OTHER_METHODS if m not in shape.methods), "PURGE")
    if len(shape.methods) > MAX_LISTED_PROBED and bounded is not None:
        bounded.append(f"{len(shape.methods)} methods, {MAX_LISTED_PROBED} of them probed")
    return [*_sample(list(shape.methods)), outside]


def _describe(shape: RouteShape) -> str:
    host = shape.hosts[0] if shape.hosts else "any host"
    path = shape.paths[0].value if shape.paths else "any path"
    more = f" (+{len(shape.hosts) + len(shape.paths) - 2} hosts/paths)" if len(shape.hosts) + len(shape.paths) > 2 else ""
    return f"route on {host}{path}{more}"


def _header_key(headers: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k.lower(), v) for k, v in headers.items()))


def generate_probes(shapes: Iterable[RouteShape], notes: list[str] | None = None) -> list[Request]:
    """The probes for `shapes`, sorted; each bound that applied (see the module doc) is appended to `notes`."""
    return sorted(probe_set(shapes, notes))


def probe_set(shapes: Iterable[RouteShape], notes: list[str] | None = None) -> set[Request]:
    """`generate_probes` unsorted (verify sorts each shard where it routes it)."""
    builder = ProbeBuilder()
    builder.add(shapes)
    return builder.finish(notes)


_as_request = functools.partial(tuple.__new__, Request)  # fields -> Request, without NamedTuple's Python __new__


class ProbeBuilder:
    """The probes of shapes added in batches — `verify` adds today's side's while the output is still being
    converted, then the output's — giving the set and the notes of one `probe_set` call with all of them.
    Route shapes without hosts are probed last: on named hosts of every batch."""

    def __init__(self) -> None:
        self.probes: set[Request] = set()
        self._shapes: dict[RouteShape, None] = {}  # every shape added, in order, once
        self._bounds: dict[RouteShape, str] = {}

    def copy(self) -> ProbeBuilder:
        other = ProbeBuilder()
        other.probes, other._shapes, other._bounds = set(self.probes), dict(self._shapes), dict(self._bounds)
        return other

    def add(self, shapes: Iterable[RouteShape]) -> None:
        for shape in shapes:
            if shape in self._shapes:
                continue
            self._shapes[shape] = None
            if shape.hosts:
                self._probe(shape, [v for h in shape.hosts for v in host_variants(h)])

    def finish(self, notes: list[str] | None = None) -> set[Request]:
        """The probes; each bound that applied (see the module doc) is appended to `notes`, in shape order."""
        named = sorted({h for s in self._shapes for h in s.hosts if not h.startswith("*")})
        for shape in self._shapes:
            if not shape.hosts:
                self._probe(shape, [UNCOVERED_HOST, *named[:MAX_HOSTS_FOR_HOSTLESS]])
        listed = list(dict.fromkeys(self._bounds[s] for s in self._shapes if s in self._bounds))
        if notes is not None and listed:
            notes.append(f"probes bounded (methods x header values, issue 13) on {len(listed)} route(s), not every "
                         f"combination was compared: {'; '.join(listed[:5])}"
                         + (f"; and {len(listed) - 5} more" if len(listed) > 5 else ""))
        return self.probes

    def _probe(self, shape: RouteShape, hosts: list[str]) -> None:
        variants = grpc_variants if shape.grpc else path_variants
        paths = [v for ps in shape.paths for v in variants(ps)]
        if not paths:
            return
        bounded: list[str] = []
        header_sets = _header_variants(shape.headers, bounded)
        methods = _methods(shape, bounded)
        full = len(methods) * len(header_sets) <= MAX_PRODUCT
        if not full:
            bounded.append(f"{len(methods)} methods x {len(header_sets)} header variants = "
                           f"{len(methods) * len(header_sets)} > {MAX_PRODUCT}: each method probed with one header "
                           "variant and each variant with one method")
        if bounded:
            self._bounds[shape] = f"{_describe(shape)}: {'; '.join(bounded)}"
        header_keys = [_header_key(h) for h in header_sets]
        first_method, first_headers, first_path = methods[0], header_keys[0], paths[0]
        # plain tuples (equal to, and hashing as, the Requests they become): only new probes are made Requests
        raw: set[tuple[str, str, str, str, tuple[tuple[str, str], ...]]] = set()
        for scheme in (HTTP, HTTPS):
            if shape.hosts:
                raw.add((scheme, UNCOVERED_HOST, first_path, first_method, first_headers))
            for host in hosts:
                for path in paths:
                    raw.add((scheme, host, path, first_method, first_headers))
                if full:
                    for method in methods:
                        for headers in header_keys:
                            raw.add((scheme, host, first_path, method, headers))
                else:
                    for method in methods:
                        raw.add((scheme, host, first_path, method, first_headers))
                    for headers in header_keys:
                        raw.add((scheme, host, first_path, first_method, headers))
        self.probes.update(map(_as_request, raw.difference(self.probes)))
