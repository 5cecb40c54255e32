"""Ingress path + pathType → Gateway API path match, keeping Kong's behaviour (REFERENCE §2.1)."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from migrate.report import Status, quote

# Gateway API Exact/PathPrefix value rules (CRD pattern + CEL), REFERENCE §4.3.
_GW_PATH_CHARS = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$")
_REGEX_META = set(".^$*+?{}[]\\|()")
MAX_PATH = 1024


@dataclass(frozen=True)
class PathMatch:
    type: str  # Exact | PathPrefix | RegularExpression
    value: str

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "value": self.value}


@dataclass(frozen=True)
class PathNote:
    status: Status
    message: str


def escape_regex(literal: str) -> str:
    """Escape a literal for Kong's PCRE without Python's over-escaping of `-`, `/`, `~`."""
    return "".join("\\" + c if c in _REGEX_META else c for c in literal)


def gateway_path_problem(value: str) -> str | None:
    """Why `value` is not a valid Exact/PathPrefix value, or None."""
    if not value.startswith("/"):
        return "must start with '/'"
    if len(value) > MAX_PATH:
        return "longer than 1024 characters"
    if "//" in value or "/./" in value or "/../" in value:
        return "contains '//', '/./' or '/../'"
    if value.endswith(("/..", "/.")):
        return "ends with '/.' or '/..'"
    if "%2f" in value.lower() or "#" in value:
        return "contains '%2f' or '#'"
    if not _GW_PATH_CHARS.match(value):
        return "contains characters outside the Gateway API path character set"
    return None


def _collapse_slashes(path: str) -> str:
    return re.sub(r"/{2,}", "/", path)


@dataclass(frozen=True)
class PlainPrefix:
    """A plain (non-regex) prefix Kong compares by length on one host: how other paths compete."""

    value: str
    segment: bool  # a Prefix path: Kong matches `value` exactly (regex) and `value/...` (plain prefix)
    # Kong's route category of the path's route (which matcher kinds it has, see http.route_category): Kong
    # compares prefixes by length only between routes of one category; a category with more matchers goes first
    category: tuple[object, ...] = ()
    # an Exact path: Kong's controller makes it the regex `~<value>$`, which Kong tries before every plain path of
    # the category, so a raw prefix starting like it (a plain path before the conversion) left it that request
    exact: bool = False


def plain_prefix_of(path: str, path_type: str, regex_prefix: str) -> PlainPrefix | None:
    """The plain prefix Kong builds for an Ingress path, or None for regex and Exact paths."""
    path = _collapse_slashes(path or "/")
    if path_type == "Prefix":
        return PlainPrefix(path.rstrip("/") or "/", True)
    if path_type == "ImplementationSpecific" and not (regex_prefix and path.startswith(regex_prefix)):
        return PlainPrefix(path, False)
    return None


@dataclass
class Competitors:
    """The plain prefixes (and Exact paths) a path competes with on its host, indexed by value: a busy host has
    thousands, and each raw prefix needs only those extending it (lookahead) or those it extends (expressions
    ranking); scanning them all per path made one busy host quadratic."""

    items: list[PlainPrefix]
    _sorted: list[PlainPrefix] = field(init=False, repr=False)
    _values: list[str] = field(init=False, repr=False)
    _by_value: dict[str, list[PlainPrefix]] = field(init=False, repr=False)
    _without_exact: Competitors | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self._sorted = sorted(self.items, key=lambda c: c.value)
        self._values = [c.value for c in self._sorted]
        self._by_value = {}
        for c in self.items:
            self._by_value.setdefault(c.value, []).append(c)

    def __bool__(self) -> bool:
        return bool(self.items)

    def extending(self, path: str) -> Iterator[PlainPrefix]:
        """Those whose value starts with `path`."""
        i = bisect_left(self._values, path)
        while i < len(self._values) and self._values[i].startswith(path):
            yield self._sorted[i]
            i += 1

    def extended_by(self, path: str) -> Iterator[PlainPrefix]:
        """Those whose value `path` starts with."""
        for n in range(1, len(path) + 1):
            yield from self._by_value.get(path[:n], ())

    def without_exact(self) -> Competitors:
        if self._without_exact is None:
            self._without_exact = Competitors([c for c in self.items if not c.exact])
        return self._without_exact


def _as_competitors(competitors: Competitors | Iterable[PlainPrefix] | None) -> Competitors:
    return competitors if isinstance(competitors, Competitors) else Competitors(list(competitors or ()))


def _lookahead(path: str, competitors: Competitors) -> str:
    """Exclude what longer plain prefixes on the same host take from a raw prefix.

    Kong matches plain prefixes longest first, but evaluates regex paths before all of them; an escaped
    regex for `/foo` would therefore steal `/foo/bar/x` from a longer `/foo/bar` prefix.  A negative
    lookahead per longer competitor gives those requests back.
    """
    tails: list[str] = []
    for c in competitors.extending(path):  # every case below needs a value that starts with `path`
        if c.exact:
            if not c.value.startswith(path) or len(c.value) < len(path):
                continue
            tail = escape_regex(c.value[len(path):]) + "$"
        elif c.segment:
            full = c.value + "/"
            if c.value == "/" or not full.startswith(path) or len(full) <= len(path):
                continue
            tail = escape_regex(c.value[len(path):]) + "(?:/|$)"
        else:
            if len(c.value) <= len(path) or not c.value.startswith(path):
                continue
            tail = escape_regex(c.value[len(path):])
        if tail not in tails:
            tails.append(tail)
    return f"(?!{'|'.join(sorted(tails))})" if tails else ""


def kic_regex_problem(path: str, path_type: str) -> str | None:
    """Why Kong refuses the regex Kong's controller builds from an Exact or Prefix path, or None.

    With the traditional routers KIC writes both kinds into Kong regex paths without escaping them, for
    Ingresses (subtranslator/ingress.go `PathsFromIngressPaths`: Exact `/a` -> `~/a$`, Prefix `/a` -> `~/a$` and
    `/a/`) and for HTTPRoutes alike (subtranslator/httproute.go: Exact and PathPrefix -> `~<value>$`); a value
    that is no valid regex makes Kong reject the route, and with it the whole configuration."""
    base = path if path_type == "Exact" else path.rstrip("/")
    if path_type not in ("Exact", "Prefix") or not base or not any(c in _REGEX_META for c in base):
        return None
    try:
        re.compile(base + "$")
    except re.error as exc:
        return (f"{path_type} path {quote(path)}: Kong's controller makes it the Kong regex path '~{base}$' (as it would "
                f"for the converted match), which is no valid regular expression ({exc}): Kong rejects the route and "
                "with it the whole configuration, so the path never routed; not converted")
    return None


def convert_path(path: str, path_type: str, regex_prefix: str,
                 competitors: Competitors | Iterable[PlainPrefix] | None = None,
                 *, lookahead: bool = True, kic_regex: bool = True) -> tuple[PathMatch | None, list[PathNote]]:
    """The Gateway API match with Kong's semantics, plus report notes; None when impossible.

    `competitors` are the plain prefixes of every path on the same host (all Ingresses).  `lookahead`
    is False for the expressions router, whose regex engine has none.  `kic_regex`: the router is a
    traditional one, for which Kong's controller turns Exact and Prefix paths into Kong regex paths.
    """
    notes: list[PathNote] = []
    path = _collapse_slashes(path or "/")
    problem = kic_regex_problem(path, path_type) if kic_regex else None
    if problem:
        return None, [PathNote(Status.ERROR, problem)]
    if path_type == "ImplementationSpecific" and regex_prefix and path.startswith(regex_prefix):
        pattern = path[len(regex_prefix):]
        if not pattern:
            return None, [PathNote(Status.ERROR, f"regex path {quote(path)} has an empty expression")]
        try:
            re.compile(pattern)
        except re.error as exc:
            return None, [PathNote(Status.ERROR, f"regex path {quote(path)} is not a valid regular expression: {exc}")]
        notes.append(PathNote(
            Status.CONVERTED,
            f"regex path {quote(path)} -> RegularExpression {quote(pattern)} (Kong anchors regex paths at the start only)",
        ))
        return PathMatch("RegularExpression", pattern), notes

    if path_type == "Exact":
        why = gateway_path_problem(path)
        if why is None:
            return PathMatch("Exact", path), notes
        notes.append(PathNote(
            Status.WARNING,
            f"Exact path {quote(path)} {why}; converted to an anchored RegularExpression matching the same string",
        ))
        return PathMatch("RegularExpression", escape_regex(path) + "$"), notes

    if path_type == "Prefix":
        trimmed = path.rstrip("/") or "/"
        why = gateway_path_problem(trimmed)
        if why is None:
            return PathMatch("PathPrefix", trimmed), notes
        notes.append(PathNote(
            Status.WARNING,
            f"Prefix path {quote(path)} {why}; converted to a RegularExpression matching the same segments",
        ))
        return PathMatch("RegularExpression", escape_regex(trimmed) + "(/.*)?$"), notes

    # ImplementationSpecific without a regex marker: Kong uses the raw string as a plain prefix, so
    # `/foo` also matches `/foobar`.  PathPrefix would stop matching those; an escaped regex keeps them.
    if path == "/":
        return PathMatch("PathPrefix", "/"), notes
    if any(c in path for c in "*?[]{}()|^$\\"):
        notes.append(PathNote(
            Status.WARNING,
            f"ImplementationSpecific path {quote(path)} looks like a glob or regex but has no regex prefix: Kong "
            "matched it as a literal prefix, and so does the conversion (add the '/~' prefix if a regex was meant)",
        ))
    regex = escape_regex(path)
    rivals = _as_competitors(competitors)
    if not kic_regex:  # expressions: an HTTPRoute's Exact match outranks a RegularExpression, as it did
        rivals = rivals.without_exact()
        # expressions: KIC ranks an Ingress's Exact and Prefix paths as regex paths, above every plain one of the
        # same category whatever its length (ingress_atc.go calculateIngressRoutePriorityTraits), while an
        # HTTPRoute's RegularExpression outranks its PathPrefix matches (httproute_atc.go)
        above = sorted({c.value for c in rivals.extended_by(path) if c.segment and (
            c.value == "/" or path == c.value or path.startswith(c.value + "/"))})
        if above:
            notes.append(PathNote(
                Status.WARNING,
                f"with the expressions router, Kong's controller ranked this plain path below the Prefix path(s) "
                f"{', '.join(quote(v) for v in above)} on this host (it ranks Exact and Prefix paths as regex paths, "
                f"above plain ones of any length), so they took its requests; as a RegularExpression it outranks "
                f"PathPrefix matches, so requests to {quote(path)} and below now reach this route",
            ))
    exclusion = _lookahead(path, rivals) if rivals else ""
    if exclusion and not lookahead:
        notes.append(PathNote(
            Status.WARNING,
            f"longer prefixes on this host start with {quote(path)}; Kong gave their requests to them, but the "
            "traditional_compatible and expressions routers compile regexes with the Rust regex engine, which has "
            "no lookahead (Kong would reject one), so this RegularExpression cannot exclude them: they may now reach "
            "this route",
        ))
        exclusion = ""
    lookahead_expr = exclusion
    notes.append(PathNote(
        Status.CONVERTED,
        f"ImplementationSpecific path {quote(path)} is a raw Kong prefix (it also matches {quote(path + 'x')}); "
        f"converted to RegularExpression {quote(regex + lookahead_expr)} to keep that"
        + (" (the lookahead leaves longer prefixes on this host to their own routes, as Kong did)"
           if lookahead_expr else "")
        + ". Use pathType Prefix in the Ingress first if segment-boundary matching is what you want",
    ))
    return PathMatch("RegularExpression", regex + lookahead_expr), notes
