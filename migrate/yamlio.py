"""YAML/JSON parsing and emission.

Bulk load/dump uses ruamel.yaml's C-accelerated safe mode.  Output must read back identically under
YAML 1.1 (what kubectl's parser implements), so strings a 1.1 reader would turn into booleans,
nulls or numbers are always quoted.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml import events as _ev
from ruamel.yaml.composer import ComposerError
from ruamel.yaml.constructor import ConstructorError, DuplicateKeyError, SafeConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.representer import SafeRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

# Plain scalars that YAML 1.1 or 1.2 resolves to something other than a string.
_AMBIGUOUS_PLAIN = re.compile(
    r"""^(?:
        y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
      | ~|null|Null|NULL|
      | [-+]?(?:0|[1-9][0-9_]*)
      | [-+]?0[0-7_]+ | [-+]?0o[0-7]+ | [-+]?0x[0-9a-fA-F_]+ | [-+]?0b[01_]+
      | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+
      | [-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?
      | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
      | <<|=
      | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*
    )$""",
    re.VERBOSE,
)


def _represent_str(representer: SafeRepresenter, data: str) -> Any:
    style = "'" if _AMBIGUOUS_PLAIN.match(data) else None
    if "\n" in data:
        style = "|"
    return representer.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_TAGS: dict[str, Tag] = {}


def _shared_tag(tag: Any) -> Any:
    if not isinstance(tag, str):
        return tag
    shared = _TAGS.get(tag)
    if shared is None:
        shared = _TAGS[tag] = Tag(suffix=tag)
    return shared


class _Representer(SafeRepresenter):
    """SafeRepresenter whose nodes share one Tag per tag string: ruamel.yaml makes a Tag per node and then
    resolves its text again for every node it serializes (a quarter of a bulk dump).  Also keeps our str
    representer off ruamel's SafeRepresenter, which other YAML instances in the process use."""

    def represent_scalar(self, tag: Any, value: Any, style: Any = None, anchor: Any = None) -> Any:
        return super().represent_scalar(_shared_tag(tag), value, style, anchor)

    def represent_sequence(self, tag: Any, sequence: Any, flow_style: Any = None) -> Any:
        return super().represent_sequence(_shared_tag(tag), sequence, flow_style)

    def represent_mapping(self, tag: Any, mapping: Any, flow_style: Any = None) -> Any:
        return super().represent_mapping(_shared_tag(tag), mapping, flow_style)


def _safe_yaml() -> YAML:
    yaml = YAML(typ="safe", pure=False)
    yaml.Representer = _Representer
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 4096
    yaml.allow_unicode = True
    yaml.representer.add_representer(str, _represent_str)
    # Manifests are read by tools that handle anchors poorly, and shared dicts are an implementation detail.
    yaml.representer.ignore_aliases = lambda data: True
    return yaml


def _fast_uri_decoded_suffix(tag: Tag) -> str | None:
    suffix = tag.suffix
    if isinstance(suffix, str) and "%" not in suffix:
        return suffix
    return _uri_decoded_suffix(tag)


# ruamel.yaml decodes a tag's %-escapes character by character for every node it loads or dumps (a new
# Tag per node, so its cache never hits): a third of the time of a bulk load or dump.  Tags without '%'
# decode to themselves; everything else still goes through ruamel's own code.
_ORIGINAL = getattr(Tag, "uri_decoded_suffix", None)
if isinstance(_ORIGINAL, property) and _ORIGINAL.fget is not None:  # only where ruamel.yaml has this shape
    _uri_decoded_suffix = _ORIGINAL.fget
    Tag.uri_decoded_suffix = property(_fast_uri_decoded_suffix)  # type: ignore[method-assign,assignment]


class _CResolver(VersionedResolver):
    """The libyaml parser ignores %YAML directives, so the YAML version is fixed for the loader's life;
    ruamel.yaml looks it up (through two AttributeErrors) twice per scalar."""

    @property
    def processing_version(self) -> Any:
        try:
            return self.__dict__["_fixed_version"]
        except KeyError:
            version = self.__dict__["_fixed_version"] = VersionedResolver.processing_version.fget(self)  # type: ignore[attr-defined]
            return version


class Unsupported:
    """A YAML value no Kubernetes manifest can hold (`!!binary`, `!!set`, `!!omap`, `!!pairs`): kept as this
    marker, so the loader can name the field (instead of passing bytes or a set, whose order changes with
    PYTHONHASHSEED, to the conversion)."""

    __slots__ = ("tag", "line")

    def __init__(self, tag: str, line: int) -> None:
        self.tag = tag
        self.line = line

    def __repr__(self) -> str:
        return f"<{self.tag} value at line {self.line}>"


class _Constructor(SafeConstructor):
    def construct_unsupported(self, node: Any) -> Unsupported:
        tag = str(getattr(node.tag, "value", node.tag) or "")
        short = "!!" + tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else tag
        return Unsupported(short, node.start_mark.line + 1)

    def construct_timestamp_text(self, node: Any) -> Any:
        # kubectl's YAML reader (go-yaml into interface{}) keeps an unquoted date as the string it reads as.
        return self.construct_scalar(node)


for _tag in ("binary", "set", "omap", "pairs"):
    _Constructor.add_constructor(f"tag:yaml.org,2002:{_tag}", _Constructor.construct_unsupported)
_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_timestamp_text)

_LOADER = YAML(typ="safe", pure=False)
_LOADER.Resolver = _CResolver
_LOADER.Constructor = _Constructor
_DUMPER = _safe_yaml()
_STREAM_DUMPER = _safe_yaml()
_STREAM_DUMPER.explicit_start = True


def load_yaml_stream(text: str) -> Iterator[Any]:
    """Yield the documents of a YAML stream one by one (errors surface at the failing document)."""
    return iter(_LOADER.load_all(text))


def load_json(text: str) -> Any:
    return json.loads(text)


def dump_yaml_documents(docs: Iterable[Any], header: str = "") -> str:
    """Dump documents as one multi-document YAML stream, each introduced by `---`."""
    out = io.StringIO()
    if header:
        out.write(header)
    docs = list(docs)
    if all(isinstance(doc, dict) and doc for doc in docs):
        # One emitter for the whole stream (ruamel.yaml builds a new dumper class and pipeline per dump()
        # call); its output is the same for non-empty mappings, which is what manifests are.
        _STREAM_DUMPER.dump_all(docs, out)
        return out.getvalue()
    for doc in docs:
        out.write("---\n")
        _DUMPER.dump(doc, out)
    return out.getvalue()


def dump_yaml(doc: Any) -> str:
    out = io.StringIO()
    _DUMPER.dump(doc, out)
    return out.getvalue()


def dump_json(doc: Any) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# --- reading input: Python values straight from libyaml's events ---------------------------------------------
#
# ruamel.yaml's safe loader composes each document into a tree of Node objects (each with two Marks and a Tag)
# before constructing its values: for a 100 MB `kubectl get -A -o yaml` (one `kind: List` document) that tree
# alone takes several GB, and libyaml's C composer recurses (it crashes on deep flow nesting).  `read_documents`
# builds the values from libyaml's events directly, with the safe loader's semantics (its resolver table, its
# constructors for tagged and non-string scalars, its errors for duplicate keys, anchors, aliases and unknown
# tags), and bounds the structure as it goes: nesting depth, alias expansion and nodes per object, nodes per
# run.  Only the values are kept.

from _ruamel_yaml import CParser  # noqa: E402 - ruamel.yaml.clib's libyaml binding, as ruamel.yaml imports it

_SEQ_TAG, _MAP_TAG = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_NULL_TAG, _BOOL_TAG, _INT_TAG = "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int"
_STR_TAG, _TIMESTAMP_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"
_MERGE_TAG, _VALUE_TAG = "tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"
_UNSUPPORTED_COLLECTIONS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("set", "omap", "pairs"))


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_NOKEY = _Marker("<no key>")
_MERGE = _Marker("<<")  # a plain `<<` key: YAML's merge key
_OPEN = _Marker("<anchor still open>")


class StructureError(Exception):
    """A document refused for its structure, not its syntax: nesting too deep, a recursive alias, the run's node
    budget spent.  `root` is what was built of the document so far (it names the object); `budget` says the run's
    bound was reached (nothing after it is read)."""

    def __init__(self, message: str, line: int, root: Any, budget: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.line = line  # 0-based, in the text being parsed
        self.root = root
        self.budget = budget


@dataclass
class ReadLimits:
    """The bounds `read_documents` enforces (the loader's constants say why each has its value)."""

    max_nesting: int
    alias_expansion: int  # aliases may expand an object to this many times its written nodes ...
    alias_floor: int  # ... or to this many nodes, whichever is more
    object_nodes: int  # nodes of one object (a document, or one element of a top-level `items`), aliases expanded
    run_nodes: int  # written nodes left for the run: a document that would exceed it is refused as it is read


@dataclass
class ReadDocument:
    """One YAML document's value, and what the loader needs to report on it."""

    root: Any
    line: int  # 0-based line and character index where the document starts, in the text parsed
    offset: int
    written: int  # nodes as written
    expanded: int  # nodes with every alias expanded
    # where each element of a top-level `items` sequence (a List's objects) starts, and where the sequence ends
    items: list[tuple[int, int]] = field(default_factory=list)
    items_end: tuple[int, int] | None = None
    # items[i] refused for its structure (alias expansion, nodes): why, and the nodes it would have added
    refused_items: dict[int, tuple[str, int]] = field(default_factory=dict)
    items_expanded: int = 0  # nodes of all items, aliases expanded
    items_written: int = 0
    unsupported: bool = False  # holds a !!binary/!!set/!!omap/!!pairs value somewhere


def structure_problem(written: int, expanded: int, limits: ReadLimits, what: str) -> str | None:
    """Why an object of `written` nodes expanding to `expanded` is refused, or None."""
    if expanded > max(limits.alias_floor, limits.alias_expansion * written):
        return (f"YAML aliases expand {what} to {expanded} nodes from {written} written ones; refused as a possible "
                "alias bomb (write the repeated parts out instead of using aliases)")
    if expanded > limits.object_nodes:
        via = f" ({written:,} written, the rest through aliases)" if expanded != written else ""
        return (f"{what} has {expanded:,} YAML nodes{via}, more than the {limits.object_nodes:,} one Kubernetes "
                "object can hold (the API server stores objects up to 1.5 MiB); refused")
    return None


class _Frame:
    """A mapping or sequence being built."""

    __slots__ = ("obj", "is_map", "key", "key_ev", "ev", "special", "anchor", "mark0", "depth0", "as_key",
                 "units", "unit", "written0", "extra0", "merge", "merge_ev", "dup")
    # set by _special() first (most frames never need them)
    anchor: Any
    mark0: int
    depth0: int
    as_key: bool
    units: bool
    unit: int
    written0: int
    extra0: int
    merge: Any
    merge_ev: Any
    dup: tuple[Any, ...] | None

    def __init__(self, obj: Any, is_map: bool, ev: Any) -> None:
        self.obj = obj
        self.is_map = is_map
        self.key: Any = _NOKEY
        self.key_ev: Any = None
        self.ev = ev
        self.special = False  # any of the rarely set fields below is set


def _short_tag(tag: str) -> str:
    return "!!" + tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else tag


_RESOLVERS: dict[str, list[tuple[str, Any]]] = {}
_SPECIAL_FIRST = ""
_PLAIN_CACHE: dict[str, Any] = {}
_PLAIN_CACHE_MAX = 65_536


def _init_resolvers() -> None:
    global _SPECIAL_FIRST
    if not _RESOLVERS:
        table = _LOADER.resolver.versioned_resolver
        _RESOLVERS.update({k: list(v) + list(table.get(None, [])) for k, v in table.items() if k is not None})
        _SPECIAL_FIRST = "".join(k for k in _RESOLVERS if k)


def _construct(node: Any) -> Any:
    """A node through the safe loader's own constructor: its values and its errors (a collection constructor's
    generator is run at once, so its error is raised here)."""
    constructor = _LOADER.constructor
    deep, constructor.deep_construct = constructor.deep_construct, True
    try:
        return constructor.construct_non_recursive_object(node)
    except (ValueError, TypeError, ArithmeticError) as exc:  # `!!int abc`: the safe loader's own traceback
        raise ConstructorError(None, None, f"cannot read {_short_tag(str(node.tag))} {node.value!r}: {exc}",
                               node.start_mark) from None
    finally:
        constructor.deep_construct = deep


def _construct_scalar(tag: str, value: str, ev: Any) -> Any:
    return _construct(ScalarNode(tag, value, ev.start_mark, ev.end_mark, style=ev.style))


def _plain(value: str, ev: Any, as_key: bool) -> Any:
    """A plain scalar's value, resolved as the safe loader resolves it (YAML 1.2; dates stay strings)."""
    cached = _PLAIN_CACHE.get(value, _NOKEY)
    if cached is not _NOKEY:
        return cached
    tag = _STR_TAG
    for candidate, regexp in _RESOLVERS.get(value[:1], ()):
        if regexp.match(value):
            tag = candidate
            break
    if tag in (_STR_TAG, _TIMESTAMP_TAG):  # kubectl keeps an unquoted date as the string it reads as
        result: Any = value
    elif tag == _NULL_TAG:
        result = None
    elif tag == _BOOL_TAG:
        result = value.lower() == "true"
    elif tag == _INT_TAG and value.isascii() and value.isdigit():
        result = int(value)
    elif tag == _MERGE_TAG and as_key:
        return _MERGE
    elif tag == _VALUE_TAG and as_key:
        return "="  # the safe loader reads a `=` key as the string
    else:
        return _construct_scalar(tag, value, ev)  # floats, other ints; raises for `<<` or `=` as a value
    if len(value) <= 64:
        if len(_PLAIN_CACHE) >= _PLAIN_CACHE_MAX:
            _PLAIN_CACHE.clear()
        _PLAIN_CACHE[value] = result
    return result


def _skip_node(get: Callable[[], Any], depth: int, limits: ReadLimits, root: Any) -> None:
    """Consume the events of the collection just started (at `depth`)."""
    level = 1
    while level:
        ev = get()
        t = type(ev)
        if t is _ev.MappingStartEvent or t is _ev.SequenceStartEvent:
            level += 1
            if depth + level - 1 > limits.max_nesting:
                raise StructureError(f"YAML nesting deeper than {limits.max_nesting} levels", ev.start_mark.line,
                                     root)
        elif t is _ev.MappingEndEvent or t is _ev.SequenceEndEvent:
            level -= 1


def _tagged_collection(ev: Any, is_map: bool) -> Any:
    tag = ev.ctag if isinstance(ev.ctag, str) else str(ev.ctag)
    if tag in _UNSUPPORTED_COLLECTIONS:
        return Unsupported(_short_tag(tag), ev.start_mark.line + 1)
    # raises for every tag it does not know, as the safe loader does
    return _construct((MappingNode if is_map else SequenceNode)(tag, [], ev.start_mark, ev.end_mark))


class _Failures:
    """The safe loader's construction errors of one document, kept until the document has been parsed: it
    composes a whole document before constructing it, so a syntax error anywhere in it is what it reports, and it
    constructs breadth first, so the shallowest error (then the first) is the one it raises."""

    __slots__ = ("first",)

    def __init__(self) -> None:
        self.first: tuple[int, int, int, Exception] | None = None

    def add(self, depth: int, exc: Exception, mark: Any = None) -> None:
        mark = mark or getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        key = (depth, mark.line if mark else 0, mark.column if mark else 0, exc)
        if self.first is None or key[:3] < self.first[:3]:
            self.first = key


def _mapping_key(key: Any, frame: _Frame, key_ev: Any, depth: int, failures: _Failures) -> Any:
    if isinstance(key, list):
        key = tuple(key)  # as the safe loader does
    if isinstance(key, dict):
        failures.add(depth, ConstructorError("while constructing a mapping", frame.ev.start_mark,
                                             "found unhashable key", key_ev.start_mark))
        return _Marker("<unhashable key>")
    return key


def _insert(frame: _Frame, key: Any, value: Any, value_ev: Any, depth: int, failures: _Failures) -> None:
    """`frame[key] = value` for anything but a new string key: merge keys, duplicates, unhashable keys."""
    key_ev = frame.key_ev
    if key is _MERGE:
        if frame.special and frame.merge is not None:
            failures.add(depth, DuplicateKeyError("while constructing a mapping", frame.ev.start_mark,
                                                  'found duplicate merge key "<<"', key_ev.start_mark))
            return
        _special(frame)
        frame.merge, frame.merge_ev = value, value_ev
        return
    d = frame.obj
    try:
        present = key in d
    except TypeError:
        failures.add(depth, ConstructorError("while constructing a mapping", frame.ev.start_mark,
                                             "found unhashable key", key_ev.start_mark))
        return
    if present:
        _special(frame)
        if frame.dup is None:
            frame.dup = ("while constructing a mapping", frame.ev.start_mark,
                         f'found duplicate key "{key}" with value "{value}" (original value: "{_as_built(d[key])}")',
                         key_ev.start_mark)
    d[key] = value


def _as_built(value: Any) -> Any:
    """A value as the safe loader shows it in a duplicate-key error: collections are still empty then."""
    return type(value)() if isinstance(value, dict | list) else value


def _special(frame: _Frame) -> None:
    if not frame.special:
        frame.special = True
        frame.anchor = None
        frame.as_key = False
        frame.units = False
        frame.unit = -1
        frame.merge = frame.merge_ev = frame.dup = None


def _node_id(value: Any) -> str:
    return "mapping" if isinstance(value, dict) else "sequence" if isinstance(value, list) else "scalar"


def _finish_mapping(frame: _Frame, depth: int, failures: _Failures) -> None:
    """Apply a merge key (the safe loader's flatten_mapping: merged keys first, the mapping's own win), or note
    the first duplicate key (none is an error in a mapping with a merge key, as in the safe loader)."""
    if frame.merge is None:
        if frame.dup is not None:
            failures.add(depth, DuplicateKeyError(*frame.dup))
        return
    merge, d = frame.merge, frame.obj
    problem = None
    if isinstance(merge, dict):
        sources = [merge]
    elif isinstance(merge, list):
        sources = merge
        bad = next((sub for sub in merge if not isinstance(sub, dict)), None)
        if bad is not None:
            problem = f"expected a mapping for merging, but found {_node_id(bad)}"
    else:
        problem = f"expected a mapping or list of mappings for merging, but found {_node_id(merge)}"
    if problem is not None:
        # the safe loader flattens a mapping's merge keys before it constructs anything in it
        failures.add(depth, ConstructorError("while constructing a mapping", frame.ev.start_mark, problem,
                                             frame.merge_ev.start_mark), frame.ev.start_mark)
        return
    merged: dict[Any, Any] = {}
    for source in reversed(sources):
        merged.update(source)
    merged.update(d)
    d.clear()
    d.update(merged)


def read_documents(data: Any, limits: ReadLimits, on_object: Callable[[], None] | None = None
                   ) -> Iterator[ReadDocument]:
    """The documents of a YAML stream (bytes, str, or a binary file object), one by one.

    A syntax error is libyaml's MarkedYAMLError; the safe loader's composer and constructor errors are raised as
    it raises them; a structural bound is a StructureError.  After any of them the stream cannot be resumed.
    `on_object` is called where each document, and each element of a top-level `items` sequence, starts."""
    _init_resolvers()
    parser = CParser(data)
    try:
        get = parser.get_event
        get()  # StreamStartEvent
        while True:
            ev = get()
            if type(ev) is _ev.StreamEndEvent:
                return
            if on_object is not None:
                on_object()
            yield _build_document(get, ev, limits, on_object)
    finally:
        parser.dispose()


def _build_document(get: Callable[[], Any], start: Any, limits: ReadLimits,  # noqa: C901
                    on_object: Callable[[], None] | None) -> ReadDocument:
    """The value of the document whose DocumentStartEvent is `start` (the hot loop of reading input)."""
    ScalarEvent, AliasEvent = _ev.ScalarEvent, _ev.AliasEvent
    MappingStartEvent, SequenceStartEvent = _ev.MappingStartEvent, _ev.SequenceStartEvent
    MappingEndEvent, SequenceEndEvent = _ev.MappingEndEvent, _ev.SequenceEndEvent
    special_first = _SPECIAL_FIRST
    max_nesting, budget = limits.max_nesting, limits.run_nodes
    doc = ReadDocument(None, start.start_mark.line, start.start_mark.index, 0, 0)
    failures = _Failures()
    recursive: StructureError | None = None
    stack: list[_Frame] = []
    top: _Frame | None = None
    root: Any = _NOKEY
    anchors: dict[Any, tuple[Any, int, int, Any]] = {}
    written = 0  # nodes as written (containers, keys, scalars)
    extra = 0  # nodes added by aliases (expanded = written + extra)
    maxdepth = 0  # the deepest level reached (aliases included) since the innermost open anchor started
    size = 0
    try:
        while True:
            ev = get()
            t = type(ev)
            if t is ScalarEvent:
                value = ev.value
                tag = ev.ctag
                try:
                    if tag is None:
                        if not ev.style and (not value or value[0] in special_first):
                            value = _plain(value, ev, top is not None and top.is_map and top.key is _NOKEY)
                    elif tag == "!":  # the non-specific tag: resolved as written, plain or quoted
                        if ev.implicit[0]:
                            value = _plain(value, ev, top is not None and top.is_map and top.key is _NOKEY)
                    else:
                        value = _construct_scalar(tag if isinstance(tag, str) else str(tag), value, ev)
                        doc.unsupported = doc.unsupported or isinstance(value, Unsupported)
                except YAMLError as exc:
                    failures.add(len(stack), exc)
                    value = None
                written += 1
                if ev.anchor is not None:
                    _anchor(anchors, ev, (value, 1, 0, ev.start_mark))
            elif t is MappingStartEvent or t is SequenceStartEvent:
                is_map = t is MappingStartEvent
                tag = ev.ctag
                if tag is not None and tag != "!" and tag != (_MAP_TAG if is_map else _SEQ_TAG):
                    try:
                        value = _tagged_collection(ev, is_map)
                        doc.unsupported = doc.unsupported or isinstance(value, Unsupported)
                    except YAMLError as exc:
                        failures.add(len(stack), exc)
                        value = None
                    _skip_node(get, len(stack) + 1, limits, root if root is not _NOKEY else None)
                    written += 1
                    if ev.anchor is not None:
                        _anchor(anchors, ev, (value, 1, 0, ev.start_mark))
                else:
                    depth = len(stack) + 1
                    if depth > max_nesting:
                        raise StructureError(f"YAML nesting deeper than {max_nesting} levels", ev.start_mark.line,
                                             None if root is _NOKEY else root)
                    if written > budget:
                        raise StructureError("", ev.start_mark.line, None if root is _NOKEY else root, budget=True)
                    obj: Any = {} if is_map else []
                    frame = _Frame(obj, is_map, ev)
                    written += 1
                    if top is None:
                        root = obj
                    elif top.is_map:
                        key = top.key
                        if key is _NOKEY:  # a mapping or sequence as a key: becomes the key when it ends
                            _special(frame)
                            frame.as_key = True
                        else:
                            top.key = _NOKEY
                            if key.__class__ is str and key not in top.obj:
                                top.obj[key] = obj
                            else:
                                _insert(top, key, obj, ev, depth - 1, failures)
                            if key == "items" and depth == 2 and not is_map:
                                _special(frame)
                                frame.units = True  # the objects of a List
                    else:
                        if top.special and top.units:
                            _special(frame)
                            frame.unit = len(top.obj)
                            frame.written0, frame.extra0 = written - 1, extra
                            doc.items.append((ev.start_mark.line, ev.start_mark.index))
                            if on_object is not None:
                                on_object()
                        top.obj.append(obj)
                    if ev.anchor is not None:
                        _anchor(anchors, ev, (_OPEN, 0, 0, ev.start_mark))
                        _special(frame)
                        frame.anchor, frame.mark0 = ev.anchor, written + extra - 1
                        frame.depth0, maxdepth = maxdepth, depth
                    elif depth > maxdepth:
                        maxdepth = depth
                    stack.append(frame)
                    top = frame
                    continue
            elif t is MappingEndEvent or t is SequenceEndEvent:
                frame = stack.pop()
                top = stack[-1] if stack else None
                if frame.special:
                    depth = len(stack) + 1
                    if frame.is_map:
                        _finish_mapping(frame, depth, failures)
                    if frame.anchor is not None:
                        height = maxdepth - depth + 1
                        anchors[frame.anchor] = (frame.obj, written + extra - frame.mark0, height, frame.ev.start_mark)
                        maxdepth = max(frame.depth0, maxdepth)
                    if frame.unit >= 0:
                        unit_written = written - frame.written0
                        unit_expanded = unit_written + extra - frame.extra0
                        doc.items_written += unit_written
                        doc.items_expanded += unit_expanded
                        problem = structure_problem(unit_written, unit_expanded, limits, "this object")
                        if problem is not None:
                            doc.refused_items[frame.unit] = (problem, unit_expanded)
                    if frame.units:
                        doc.items_end = (ev.start_mark.line, ev.start_mark.index)
                    if frame.as_key and top is not None:
                        top.key = _mapping_key(frame.obj, top, frame.ev, depth - 1, failures)
                        top.key_ev = frame.ev
                continue
            elif t is AliasEvent:
                found = anchors.get(ev.anchor)
                if found is None:
                    raise ComposerError(None, None, "found undefined alias", ev.start_mark)
                value, size, height, _mark = found
                if value is _OPEN:
                    recursive = recursive or StructureError(
                        "a YAML alias refers to a node that contains it (recursive alias)", ev.start_mark.line, None)
                    value, size, height = None, 1, 0
                if height:
                    deepest = len(stack) + height
                    if deepest > max_nesting:
                        raise StructureError(f"YAML nesting deeper than {max_nesting} levels (through an alias)",
                                             ev.start_mark.line, None if root is _NOKEY else root)
                    if deepest > maxdepth:
                        maxdepth = deepest
                    extra += size
                else:
                    written += 1
            elif t is _ev.DocumentEndEvent:
                root = None if root is _NOKEY else root
                if failures.first is not None:
                    raise failures.first[3]
                if recursive is not None:
                    recursive.root = root
                    raise recursive
                doc.root = root
                doc.written, doc.expanded = written, written + extra
                return doc
            else:  # pragma: no cover - libyaml emits nothing else inside a document
                continue
            # a scalar, an alias or a tagged collection: `value` goes into the open collection
            if top is None:
                root = value
            elif top.is_map:
                key = top.key
                if key is _NOKEY:
                    top.key = value if value.__class__ is str else _mapping_key(value, top, ev, len(stack), failures)
                    top.key_ev = ev
                else:
                    top.key = _NOKEY
                    if key.__class__ is str and key not in top.obj and value is not _MERGE:
                        top.obj[key] = value
                    elif value is _MERGE:  # `<<` as a value: the safe loader has no constructor for it
                        failures.add(len(stack), ConstructorError(
                            None, None, f"could not determine a constructor for the tag {_MERGE_TAG!r}", ev.start_mark))
                    else:
                        _insert(top, key, value, ev, len(stack), failures)
            else:
                if top.special and top.units:
                    doc.items.append((ev.start_mark.line, ev.start_mark.index))
                top.obj.append(value)

    except YAMLError as exc:  # a syntax error: what of a List was read whole is kept (see partial_list)
        exc.partial = _partial_list(root, stack, doc, written, extra,  # type: ignore[attr-defined]
                                    failures.first is None and recursive is None)
        raise


def _partial_list(root: Any, stack: list[_Frame], doc: ReadDocument, written: int, extra: int,
                  clean: bool) -> ReadDocument | None:
    """A document cut by a syntax error, as far as it was read, without the top-level `items` element the error
    is in (the loader keeps what a List read whole: a truncated `kubectl get -o yaml` dump keeps its first
    objects).  None: nothing is kept (not a mapping with `items`, or a construction error came first)."""
    if not clean or not isinstance(root, dict) or not doc.items:
        return None
    items = root.get("items")
    if not isinstance(items, list):
        return None
    in_item = len(stack) > 2 and stack[1].obj is items  # the error is inside an element of `items`
    done = len(items) - (1 if in_item else 0)
    return ReadDocument({**root, "items": items[:done]}, doc.line, doc.offset, written, written + extra,
                        doc.items[:done], None, {i: r for i, r in doc.refused_items.items() if i < done},
                        doc.items_expanded, doc.items_written, doc.unsupported)


def _anchor(anchors: dict[Any, tuple[Any, int, int, Any]], ev: Any, entry: tuple[Any, int, int, Any]) -> None:
    first = anchors.get(ev.anchor)
    if first is not None:
        raise ComposerError("found duplicate anchor; first occurrence", first[3], "second occurrence",
                            ev.start_mark)
    anchors[ev.anchor] = entry
