"""The converter's per-host path index (issue 14) against the definitions it replaced: a busy host's raw
prefixes were compared with every other path on the host, one by one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from migrate.convert.paths import Competitors, PlainPrefix, _lookahead, convert_path, escape_regex

segments = st.sampled_from(["a", "ab", "b", "a.b", "x"])
paths = st.lists(segments, min_size=0, max_size=4).map(lambda s: "/" + "/".join(s))
prefixes = st.builds(lambda v, segment, exact: PlainPrefix(v, segment and not exact, exact=exact),
                     paths, st.booleans(), st.booleans())


@given(st.lists(prefixes, max_size=12), paths)
def test_extending_and_extended_by_are_the_prefix_relations(items: list[PlainPrefix], path: str) -> None:
    index = Competitors(items)
    assert sorted(index.extending(path), key=repr) == sorted((c for c in items if c.value.startswith(path)), key=repr)
    assert sorted(index.extended_by(path), key=repr) == sorted((c for c in items if path.startswith(c.value)),
                                                               key=repr)
    assert index.without_exact().items == [c for c in items if not c.exact]


@given(st.lists(prefixes, max_size=12), paths, st.booleans(), st.booleans())
def test_conversion_with_the_index_equals_the_plain_list(items: list[PlainPrefix], path: str, lookahead: bool,
                                                         kic_regex: bool) -> None:
    """convert_path takes a plain list too (wrapped): both spellings give the same match and notes, and the
    lookahead names exactly the longer competitors."""
    by_index = convert_path(path, "ImplementationSpecific", "/~", Competitors(items), lookahead=lookahead,
                            kic_regex=kic_regex)
    by_list = convert_path(path, "ImplementationSpecific", "/~", list(items), lookahead=lookahead,
                           kic_regex=kic_regex)
    assert by_index == by_list
    match = by_index[0]
    longer = [c for c in items if c.value.startswith(path) and len(c.value) > len(path)
              and (not c.exact or kic_regex)]
    if match is not None and lookahead and path != "/" and longer:
        assert "(?!" in match.value


def _scan_lookahead(path: str, competitors: list[PlainPrefix]) -> str:
    """The definition before the index: every competitor of the host examined."""
    tails: set[str] = set()
    for c in competitors:
        if c.exact:
            if c.value.startswith(path) and len(c.value) >= len(path):
                tails.add(escape_regex(c.value[len(path):]) + "$")
        elif c.segment:
            full = c.value + "/"
            if c.value != "/" and full.startswith(path) and len(full) > len(path):
                tails.add(escape_regex(c.value[len(path):]) + "(?:/|$)")
        elif len(c.value) > len(path) and c.value.startswith(path):
            tails.add(escape_regex(c.value[len(path):]))
    return f"(?!{'|'.join(sorted(tails))})" if tails else ""


@given(st.lists(prefixes, max_size=12), paths)
def test_lookahead_over_the_index_equals_the_scan(items: list[PlainPrefix], path: str) -> None:
    assert _lookahead(path, Competitors(items)) == _scan_lookahead(path, items)
