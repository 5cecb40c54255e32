"""KongRouter's indexes (issue 14) against the definition they replace.

The router narrows a request's candidates by host (a host index), by literal path prefix (buckets per prefix
length) and by literal header value; the definition is Kong's: try every route of the configuration in
priority order and take the first that matches.  On random configurations and requests both must give the
same outcome, for every router flavor.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.convert.choices import RouterFlavor
from migrate.kong import router as router_module
from migrate.kong.config import Certificate, KongConfig, Route, Service
from migrate.kong.router import KongRouter
from migrate.verify.outcome import Request

HOSTS = ["a.example.com", "b.example.com", "*.example.com", "a.example.*"]
PATHS = ["/", "/api", "/api/", "/api/v1", "/apiv", "~/api/v[0-9]+$", "~/api$", "/b", "~/b(/.*)?$", "~/(a|b)pi"]
REQUEST_PATHS = ["/", "/api", "/api/", "/api/v1", "/api/v12", "/apiv", "/b", "/b/x", "/bpi", "/x"]

routes = st.builds(
    lambda hosts, paths, methods, header, regex_priority, protocols: {
        "hosts": hosts or None, "paths": paths or None, "methods": methods or None,
        "headers": {"x-tier": header} if header else None, "regex_priority": regex_priority,
        "protocols": protocols},
    st.lists(st.sampled_from(HOSTS), max_size=2, unique=True),
    st.lists(st.sampled_from(PATHS), max_size=3, unique=True),
    st.lists(st.sampled_from(["GET", "POST"]), max_size=2, unique=True),
    st.lists(st.sampled_from(["gold", "silver", "~*^gol"]), max_size=2, unique=True),
    st.sampled_from([0, 0, 5]),
    st.sampled_from([None, ["https"], ["http", "https"]]),
)
requests = st.builds(
    lambda scheme, host, path, method, tier: Request(scheme, host, path, method,
                                                     (("x-tier", tier),) if tier else ()),
    st.sampled_from(["http", "https"]), st.sampled_from(["a.example.com", "b.example.com", "c.example.com",
                                                         "a.example.org"]),
    st.sampled_from(REQUEST_PATHS), st.sampled_from(["GET", "POST", "PUT"]),
    st.sampled_from([None, "gold", "silver", "bronze", "GOLD"]),
)


def _any(terms: list[str]) -> str:
    return "(" + " || ".join(terms) + ")"


def _expression(spec: dict[str, Any]) -> str | None:
    """The same matchers as an ATC expression (as KIC writes them: hosts, paths, methods, headers ANDed)."""
    parts = []
    if spec["hosts"]:
        parts.append(_any([f'http.host =^ "{h[1:]}"' if h.startswith("*") else
                           f'http.host ^= "{h[:-1]}"' if h.endswith("*") else f'http.host == "{h}"'
                           for h in spec["hosts"]]))
    if spec["paths"]:
        parts.append(_any([f'http.path ~ "^{p[1:]}"' if p.startswith("~") else f'http.path ^= "{p}"'
                           for p in spec["paths"]]))
    if spec["methods"]:
        parts.append(_any([f'http.method == "{m}"' for m in spec["methods"]]))
    if spec["headers"]:
        parts.append(_any([f'http.headers.x_tier == "{v}"' for v in spec["headers"]["x-tier"]
                           if not v.startswith("~*")]) if any(not v.startswith("~*") for v in
                                                              spec["headers"]["x-tier"]) else "")
    parts = [p for p in parts if p]
    return " && ".join(parts) if parts else None


def _config(specs: list[dict[str, Any]], flavor: RouterFlavor) -> KongConfig:
    services = []
    for i, spec in enumerate(specs):
        if flavor == RouterFlavor.EXPRESSIONS:
            expression = _expression(spec) or 'http.path ^= "/"'
            route = Route(name=f"r{i}", strip_path=False, preserve_host=True, expression=expression,
                          priority=spec["regex_priority"], protocols=spec["protocols"])
        else:
            route = Route(name=f"r{i}", strip_path=False, preserve_host=True, **spec)
        route.order = i % 3  # ties broken by age then name
        services.append(Service(f"s{i}", f"s{i}.svc", routes=[route], backends=((f"ns/s{i}:80", 1),)))
    return KongConfig(services=services, certificates=[Certificate("ns/tls", ["a.example.com", "*.example.com"])])


class _Unindexed:
    """The candidates of a host, unnarrowed: every one in priority order for every request."""

    def __init__(self, ordered: list[Any]) -> None:
        self.ordered = ordered

    def for_path(self, path: str) -> list[Any]:
        return self.ordered

    def for_request(self, path: str, headers: tuple[tuple[str, str], ...]) -> list[Any]:
        return self.ordered


@pytest.mark.parametrize("flavor", list(RouterFlavor))
@settings(max_examples=60, deadline=None)
@given(specs=st.lists(routes, min_size=1, max_size=8), probes=st.lists(requests, min_size=1, max_size=12))
def test_indexed_routing_equals_trying_every_route(flavor: RouterFlavor, specs: list[dict[str, Any]],
                                                   probes: list[Request]) -> None:
    config = _config(specs, flavor)
    indexed = KongRouter(config, flavor)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(router_module, "_HostCandidates", _Unindexed)
        plain = KongRouter(config, flavor)
        # no host index either: every route of the configuration, then the host check in _match
        entries = [plain._built(entry) for entry in plain._entries]
        m.setattr(plain._index, "lookup", lambda host: entries)
        for entry in entries:
            for c in entry.candidates or ():
                object.__setattr__(c, "hosts_indexed", False)
        # then in verify's order (a path's methods and headers one after another: the last lookup is reused)
        sequence = probes + sorted(probes, key=lambda r: (r.host, r.path, r.method, r.headers, r.scheme))
        wanted = [plain.route(r) for r in sequence]
    assert [indexed.route(r) for r in sequence] == wanted
    assert not indexed.notes, indexed.notes  # every generated route was understood


def _literal_prefix_by_characters(pattern: str) -> str:
    """The definition `_regex_literal_prefix` shortcuts: character by character, stopping at regex syntax or
    before a character a quantifier makes optional or repeated."""
    if "|" in pattern or "(?" in pattern:
        return ""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        nxt_at = i + 2 if c == "\\" else i + 1
        if c == "\\" and i + 1 < len(pattern) and not pattern[i + 1].isalnum():
            if pattern[nxt_at:nxt_at + 1] in ("*", "?", "{"):
                break
            out.append(pattern[i + 1])
            i += 2
            continue
        if c in ".^$*+?()[]{}|\\" or pattern[i + 1:i + 2] in ("*", "?", "{"):
            break
        out.append(c)
        i += 1
    return "".join(out)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="ab/-1.^$*+?()[]{}|\\", max_size=10))
def test_regex_literal_prefix_equals_scanning_every_character(pattern: str) -> None:
    assert router_module._regex_literal_prefix(pattern) == _literal_prefix_by_characters(pattern)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # random patterns hold "[[" (a possible nested set)
@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="ab.*+?{}2,()|[]", max_size=12))
def test_backtracking_hazard_shortcut_equals_parsing(pattern: str) -> None:
    """Patterns with fewer than two `*`/`+`/`{` are declared safe without parsing: the same verdict as parsing
    them (for patterns `re` compiles, the only ones the hazard check sees)."""
    import re
    import re._parser as sre_parse

    from migrate.kong import atc

    try:
        re.compile(pattern)
    except re.error:
        return
    parsed = atc._nested_repeat(list(sre_parse.parse(pattern)))
    assert atc.backtracking_hazard.__wrapped__(pattern) == parsed
