"""Read input files, directories and stdin into Kubernetes object dicts.

Every document keeps its SourceRef.  A malformed file yields an InputError naming file, document,
line and column; the documents before the error are still returned, and other files are unaffected.

Inputs are bounded by their structure, not their size (issue 14).  A 100 MB `kubectl get -A -o yaml` of a
large estate is one `kind: List` document of about nine million YAML nodes, and it is read: libyaml's events
become values as they arrive (yamlio.read_documents), so memory holds the input's bytes and the values read
from it, no node tree and no decoded copy.  What no Kubernetes estate holds is refused, each bound with its own
error naming the file, the document (and the List item) and the bound:

- MAX_NESTING levels of nesting (aliases included); MAX_ALIAS_EXPANSION / ALIAS_EXPANSION_FLOOR for aliases;
- MAX_OBJECT_NODES nodes and MAX_OBJECT_BYTES of text for one object (a document, or one item of a List);
- MAX_INPUT_NODES nodes and MAX_INPUT_OBJECTS objects (documents and List items) for a whole run.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migrate.sources import SourceRef

if TYPE_CHECKING:
    from migrate.yamlio import ReadDocument, ReadLimits

INPUT_SUFFIXES = (".yaml", ".yml", ".json")
# YAML aliases share one parsed node, but everything downstream (validation, str(), output) walks the
# expanded tree, so a "billion laughs" document costs exponential time.  An object whose aliases
# expand it beyond this many times its written size (and beyond a floor small enough to never bother
# a real manifest) is refused.
MAX_ALIAS_EXPANSION = 4
ALIAS_EXPANSION_FLOOR = 10_000
# Deeper documents are refused: the code reading them recurses (Python's limit is 1000 frames) and no
# Kubernetes manifest, CRD schemas included, comes close.  The reader stops at the first level too deep:
# libyaml's own cost grows with the square of the depth (20,000 nested brackets take seconds).
MAX_NESTING = 200
# One object: the API server stores objects of at most 1.5 MiB (etcd's request limit), far fewer values than
# this many nodes (aliases expanded) ...
MAX_OBJECT_NODES = 1_000_000
# ... and far less text than this (the whole-file cap before issue 14): past it reading stops, so an endless
# pipe or one giant scalar ends here, not at the end of memory.
MAX_OBJECT_BYTES = 32 * 1024 * 1024
# A whole run: a 100 MB dump holds ~9 million nodes, and the values read take ~85 bytes a node (this bound is
# about 2 GB of them, 270 MB of manifests) ...
MAX_INPUT_NODES = 25_000_000
# ... and ~160,000 objects (documents, empty ones included, and List items).
MAX_INPUT_OBJECTS = 1_000_000
# JSON is parsed whole by the json module (C, recursive): text with more nested brackets than this is refused
# before it is parsed.
MAX_FLOW_NESTING_TEXT = 5_000
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class InputError:
    file: str
    message: str
    index: int | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.index is not None:
            where += f" (document {self.index})"
        if self.line is not None:
            where += f" line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class SourceDoc:
    """One Kubernetes object read from the input."""

    obj: dict[str, Any]
    ref: SourceRef


@dataclass
class LoadResult:
    docs: list[SourceDoc] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _walk(root: str, errors: list[InputError]) -> list[str]:
    """Input files under `root`, sorted; every sub-directory that cannot be read is an error, never a gap."""
    import os
    import stat

    found: list[Path] = []

    def unreadable(exc: OSError) -> None:
        errors.append(InputError(str(exc.filename or root), f"cannot read directory: {exc.strerror or exc}"))

    for dirpath, _dirs, names in os.walk(root, onerror=unreadable):
        for name in names:
            if not name.lower().endswith(INPUT_SUFFIXES):
                continue
            path = Path(dirpath, name)
            try:
                mode = path.stat().st_mode
            except OSError as exc:
                if not path.is_symlink():
                    errors.append(InputError(str(path), f"cannot read: {exc.strerror or exc}"))
                continue  # a dangling symlink is not an input (as before)
            if stat.S_ISREG(mode):
                found.append(path)
            elif not stat.S_ISDIR(mode):
                # A FIFO or device inside a tree could block the run forever: only a path given by name is read.
                errors.append(InputError(str(path), "not a regular file: skipped (give it by name to read it)"))
    return [str(p) for p in sorted(found)]


def expand_paths(paths: Iterable[str]) -> tuple[list[str], list[InputError]]:
    """Files as given, directories walked recursively in sorted order, `-` kept for stdin.

    A path given by name is read whatever it is (a FIFO, `<(kubectl get ...)`, /dev/stdin); inside a
    directory only regular files are, and every unreadable sub-directory or special file is reported.
    """
    found: list[str] = []
    errors: list[InputError] = []
    for raw in paths:
        if raw == "-":
            found.append("-")
            continue
        p = Path(raw)
        if p.is_dir():
            before = len(errors)
            children = _walk(raw, errors)
            if not children and len(errors) == before:
                errors.append(InputError(raw, "directory contains no *.yaml, *.yml or *.json files"))
            found.extend(children)
        elif p.exists():
            found.append(raw)
        else:
            errors.append(InputError(raw, "no such file or directory"))
    return found, errors


class EncodingProblem(ValueError):
    """The input is not UTF-8 text (a byte order mark of another encoding, NUL bytes, invalid UTF-8)."""


class TooLarge(Exception):
    """One object's text is longer than MAX_OBJECT_BYTES."""


class TooMany(Exception):
    """The run's MAX_INPUT_OBJECTS are read."""


_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"),
         (b"\xfe\xff", "UTF-16"))


class _Stream:
    """The bytes of one input, read as the parser asks for them and kept (to resume after a malformed document
    and to find the line of a field).  Checked as they arrive: another encoding's byte order mark, a NUL byte or
    invalid UTF-8 is an EncodingProblem naming it; more than `limit` bytes since the last object started is
    TooLarge."""

    def __init__(self, fh: Any, data: bytes = b"") -> None:
        import codecs

        self.fh = fh
        self.buf = bytearray()
        self.eof = False
        self.checkpoint = 0
        self.limit: int | None = MAX_OBJECT_BYTES
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._anchor = (0, 0)  # a known (line, offset), to find others from
        if fh is None:
            self._append(data)
            self._finish()

    def mark(self) -> None:
        """An object starts: its bytes are counted from here."""
        self.checkpoint = len(self.buf)

    def fill(self) -> bool:
        """Read more of the input; False at its end."""
        if self.eof:
            return False
        assert self.fh is not None
        chunk = self.fh.read(_READ_CHUNK)
        if not chunk:
            self._finish()
            return False
        self._append(chunk)
        if self.limit is not None and len(self.buf) - self.checkpoint > self.limit:
            raise TooLarge(len(self.buf) - self.checkpoint)
        return True

    def read_all(self) -> bytearray:
        while self.fill():
            pass
        return self.buf

    def _append(self, chunk: bytes) -> None:
        offset = len(self.buf)
        if offset < 4:
            head = bytes(self.buf[:4]) + chunk[:4]
            for bom, encoding in _BOMS:
                if head.startswith(bom):
                    raise EncodingProblem(f"file is {encoding} (it starts with a {encoding} byte order mark): save it "
                                          "as UTF-8")
        if b"\x00" in chunk:
            raise EncodingProblem("file contains NUL bytes: not a YAML or JSON manifest")
        pending = len(self._decoder.getstate()[0])
        try:
            self._decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise _not_utf8(offset - pending + exc.start) from None
        self.buf += chunk

    def _finish(self) -> None:
        self.eof = True
        try:
            self._decoder.decode(b"", True)
        except UnicodeDecodeError as exc:
            raise _not_utf8(len(self.buf) - len(self._decoder.getstate()[0]) + exc.start) from None

    def offset_of(self, line: int) -> int:
        """The offset where 0-based `line` starts (the end of what is read, past the last line)."""
        buf = self.buf
        known, pos = self._anchor if self._anchor[0] <= line else (0, 0)
        while known < line:
            end = pos + _READ_CHUNK
            if end < len(buf):  # whole blocks before the line's: counted, not walked
                block = buf.count(b"\n", pos, end)
                if known + block < line:
                    known, pos = known + block, end
                    continue
            while known < line:  # the line starts in this block, or past what is read
                newline = buf.find(b"\n", pos)
                if newline < 0:
                    if self.fill():
                        continue
                    return len(buf)
                known, pos = known + 1, newline + 1
        self._anchor = (known, pos)
        return pos

    def line_text(self, line: int) -> str:
        start = self.offset_of(line)
        end = self.buf.find(b"\n", start)
        return bytes(self.buf[start:end if end >= 0 else len(self.buf)]).decode("utf-8", "replace")


class _Cursor:
    """A binary file over a _Stream from `pos` on (what libyaml reads), reading more of the input as needed."""

    def __init__(self, stream: _Stream, pos: int, end: int | None = None) -> None:
        self.stream, self.pos, self.end = stream, pos, end

    def read(self, size: int) -> bytes:
        stream = self.stream
        while self.pos >= len(stream.buf) and self.end is None:
            if not stream.fill():
                return b""
        end = min(len(stream.buf), self.pos + max(size, 1 << 16))
        if self.end is not None:
            end = min(end, self.end)
        with memoryview(stream.buf) as view:
            chunk = bytes(view[self.pos:end])
        self.pos = end
        return chunk


def _not_utf8(offset: int) -> EncodingProblem:
    return EncodingProblem(f"file is not valid UTF-8 (byte offset {offset}): Latin-1 or another legacy encoding? "
                           "save it as UTF-8")


def _open_input(name: str) -> Any:
    """`name` opened for reading as bytes (a file, FIFO or device; `-` is stdin): nothing is read here."""
    import os
    import stat

    if name == "-":
        # stdin's bytes, decoded like a file's: a legacy encoding is a named error (sys.stdin's own decoding
        # raised UnicodeDecodeError, or let surrogates through to the parser)
        return sys.stdin.buffer if hasattr(sys.stdin, "buffer") else _TextAsBytes(sys.stdin)
    fh = open(name, "rb")  # noqa: SIM115 - closed by the caller
    if stat.S_ISDIR(os.fstat(fh.fileno()).st_mode):
        fh.close()
        raise IsADirectoryError(21, "is a directory", name)
    return fh


class _TextAsBytes:
    """A text stdin without a binary buffer (a test's StringIO) read as UTF-8 bytes."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh

    def read(self, size: int = -1) -> bytes:
        return str(self.fh.read(size)).encode("utf-8", "surrogateescape")


def _kind_name(value: Any) -> str:
    from migrate.yamlio import Unsupported

    if isinstance(value, Unsupported):
        return f"a {value.tag} value"
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number", list: "a list",
             dict: "a mapping", type(None): "null"}
    return next((n for t, n in names.items() if isinstance(value, t)), f"a {type(value).__name__}")


def field_path(path: Iterable[Any]) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        elif isinstance(p, str) and (not p or any(c in p for c in "./[]") or not p.isprintable()):
            out += f"[{p!r}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def _unsupported_at(node: Any, path: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any] | None:
    """The first `!!binary`/`!!set`/`!!omap`/`!!pairs` value under `node` (iteratively: no recursion limit)."""
    from migrate.yamlio import Unsupported

    stack: list[tuple[Any, tuple[Any, ...]]] = [(node, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, Unsupported):
            return where, value
        if isinstance(value, dict):
            stack.extend((v, (*where, k)) for k, v in reversed(list(value.items())))
            if any(isinstance(k, Unsupported) for k in value):
                return where, next(k for k in value if isinstance(k, Unsupported))
        elif isinstance(value, list):
            stack.extend((v, (*where, i)) for i, v in reversed(list(enumerate(value))))
    return None


# apimachinery ValidateAnnotationsSize (TotalAnnotationSizeLimitB): keys plus values of one object, in bytes.  It
# also bounds what one annotation can ask of the conversion (a 1 MB konghq.com/plugins list, issue 13).
MAX_ANNOTATIONS_BYTES = 256 * 1024


def object_problem(obj: dict[str, Any], check_tags: bool = True) -> tuple[tuple[Any, ...], str] | None:
    """Why the API server would refuse `obj` at the JSON level (field path, message), or None.

    Annotation and label values must be strings: Kubernetes rejects anything else, and a list or a set
    turned into text would change meaning (or, for a set, change with PYTHONHASHSEED)."""
    meta = obj.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        return ("metadata",), f"is {_kind_name(meta)}, not a mapping"
    for where in (("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace")):
        value = (meta or {}).get(where[1]) if len(where) == 2 else obj.get(where[0])
        if value is not None and not isinstance(value, str):
            return where, f"is {_kind_name(value)}, expected a string"
    for key in ("annotations", "labels"):
        values = meta.get(key) if isinstance(meta, dict) else None
        if values is None:
            continue
        if not isinstance(values, dict):
            return ("metadata", key), f"is {_kind_name(values)}, not a mapping of strings"
        # a merge patch (a `kind: Service` document without spec, as convert writes them) removes an annotation
        # with null: the only place a null value is meaningful
        patch = key == "annotations" and obj.get("kind") == "Service" and "spec" not in obj
        for name, value in values.items():
            if value is None and patch:
                continue
            if not isinstance(value, str):
                return (("metadata", key, str(name)),
                        f"is {_kind_name(value)}; Kubernetes accepts only strings here (quote it)")
            if not isinstance(name, str):
                return ("metadata", key, str(name)), f"key is {_kind_name(name)}; Kubernetes accepts only strings"
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if isinstance(annotations, dict):
        size = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items() if isinstance(v, str))
        if size > MAX_ANNOTATIONS_BYTES:
            return (("metadata", "annotations"),
                    f"total {size:,} bytes, over Kubernetes' {MAX_ANNOTATIONS_BYTES // 1024} KiB limit (the API "
                    "server rejects this object)")
    from migrate.inputschema import schema_problem

    typed = schema_problem(obj)
    if typed is not None:
        return typed
    if check_tags:
        found = _unsupported_at(obj, ())
        if found is not None:
            where, value = found
            return where, (f"is {_kind_name(value)} (line {value.line}); a Kubernetes manifest holds JSON values "
                           "only (write a string)")
    return None


@dataclass
class _Source:
    """One input being parsed: what error messages need to point into it."""

    display: str
    text: str | bytes = b""  # the whole text, when there is no stream
    check_tags: bool = False
    stream: _Stream | None = None
    docs: dict[int, int] = field(default_factory=dict)  # document index -> the line it starts on
    # document index -> the lines its top-level `items` elements start on, and the line that sequence ends on
    items: dict[int, tuple[list[int], int | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.stream is None:
            self.stream = _Stream(None, self.text.encode("utf-8") if isinstance(self.text, str) else self.text)

    def line_of(self, index: int, path: tuple[Any, ...]) -> int | None:
        """The 1-based line of `path` in document `index` (of its key in a mapping, of its start in a sequence;
        of the deepest part of the path that exists), from libyaml's events: only when an error needs it.

        An element of a List is looked for in its own lines first, so a 100 MB List costs no more than its
        element."""
        stream = self.stream
        assert stream is not None
        start = self.docs.get(index, 0 if index == 0 else None)
        if start is None:
            return None
        listed = self.items.get(index)
        if listed and len(path) >= 2 and path[0] == "items" and isinstance(path[1], int) \
                and 0 <= path[1] < len(listed[0]):
            lines, end = listed
            first = lines[path[1]]
            last = lines[path[1] + 1] if path[1] + 1 < len(lines) else end
            if last is not None and last > first:
                found = _locate(_Cursor(stream, stream.offset_of(first), stream.offset_of(last)), (0, *path[2:]))
                if found is not None:
                    return found + first + 1
        found = _locate(_Cursor(stream, stream.offset_of(start)), path, lenient=True)
        return None if found is None else found + start + 1


def _locate(reader: Any, path: tuple[Any, ...], lenient: bool = False) -> int | None:
    """The 0-based line, in the first document `reader` holds, of the deepest part of `path` found (None when
    not even the first is, unless `lenient`: then whatever was found, or None)."""
    from migrate import yamlio

    events = yamlio.CParser(reader)
    get = events.get_event
    line: int | None = None
    try:
        get(), get()  # stream and document start
        ev = get()
        for depth, key in enumerate(path):
            t = type(ev)
            if t is yamlio._ev.MappingStartEvent and not isinstance(key, int):
                while True:
                    k = get()
                    if type(k) is yamlio._ev.MappingEndEvent:
                        return line if lenient or depth else None
                    matches = type(k) is yamlio._ev.ScalarEvent and k.value == str(key)
                    _skip_events(get, k)
                    v = get()
                    if matches:
                        line, ev = k.start_mark.line, v
                        break
                    _skip_events(get, v)
            elif t is yamlio._ev.SequenceStartEvent and isinstance(key, int):
                for _ in range(key):
                    item = get()
                    if type(item) is yamlio._ev.SequenceEndEvent:
                        return line if lenient or depth else None
                    _skip_events(get, item)
                ev = get()
                if type(ev) is yamlio._ev.SequenceEndEvent:
                    return line if lenient or depth else None
                line = ev.start_mark.line
            else:
                return line if lenient or depth else None
    except yamlio.YAMLError:
        pass
    finally:
        events.dispose()
    return line


def _skip_events(get: Any, ev: Any) -> None:
    """Consume the rest of the node `ev` starts."""
    from migrate import yamlio

    starts = (yamlio._ev.MappingStartEvent, yamlio._ev.SequenceStartEvent)
    ends = (yamlio._ev.MappingEndEvent, yamlio._ev.SequenceEndEvent)
    level = 1 if type(ev) in starts else 0
    while level:
        t = type(get())
        level += 1 if t in starts else -1 if t in ends else 0


def _expand_document(doc: Any, display: str | _Source, index: int, out: LoadResult,
                     refused: dict[int, tuple[str, int]] | None = None) -> None:
    src = display if isinstance(display, _Source) else _Source(display, "")
    if doc is None:
        return  # empty documents are legal YAML and carry nothing
    if not isinstance(doc, dict):
        out.errors.append(
            InputError(src.display, f"document is a {type(doc).__name__}, not a Kubernetes object", index)
        )
        return
    _expand_object(doc, src, index, (), out, refused)


def _is_list(obj: dict[str, Any]) -> bool:
    kind = obj.get("kind")
    return kind == "List" or (isinstance(kind, str) and kind.endswith("List") and "items" in obj)


def _expand_object(obj: dict[str, Any], src: _Source, index: int, items: tuple[int, ...], out: LoadResult,
                   refused: dict[int, tuple[str, int]] | None = None) -> None:
    """`obj`, or every object of a (nested) List; nothing is dropped without an error naming it.  `refused`:
    the elements of this List the reader refused for their structure, and why."""
    prefix: tuple[Any, ...] = tuple(x for i in items for x in ("items", i))
    if _is_list(obj):
        listed = obj.get("items")
        if not isinstance(listed, list):
            what = "has no 'items' list" if listed is None else f"'items' is {_kind_name(listed)}, not a list"
            out.errors.append(InputError(src.display, f"{_location(items)}{obj.get('kind')} document {what}", index,
                                         src.line_of(index, (*prefix, "items"))))
            return
        for i, item in enumerate(listed):
            if refused and i in refused:
                out.errors.append(InputError(src.display, f"{_location((*items, i))}{_object_label(item)}"
                                             f"{refused[i][0]}", index, src.line_of(index, (*prefix, "items", i))))
                continue
            if not isinstance(item, dict):
                out.errors.append(InputError(src.display, f"{_location((*items, i))}is not a Kubernetes object",
                                             index, src.line_of(index, (*prefix, "items", i))))
                continue
            _expand_object(item, src, index, (*items, i), out)
        return
    problem = object_problem(obj, src.check_tags)
    if problem is not None:
        where, message = problem
        ref = _ref(obj, src.display, index, items)
        out.errors.append(InputError(src.display, f"{ref.object_id}: {field_path(where)} {message}; the object "
                                     "was not read", index, src.line_of(index, (*prefix, *where))))
        return
    out.docs.append(SourceDoc(obj, _ref(obj, src.display, index, items)))


def _location(items: tuple[int, ...]) -> str:
    return "".join(f"items[{i}]" if n == 0 else f".items[{i}]" for n, i in enumerate(items)) + (" " if items else "")


def _ref(obj: dict[str, Any], display: str, index: int, items: tuple[int, ...] | int | None) -> SourceRef:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    if isinstance(items, int):
        items = (items,)
    items = items or ()
    return SourceRef(
        kind=str(obj.get("kind") or ""),
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        file=display,
        index=index,
        item=items[0] if items else None,
        subitems=tuple(items[1:]),
    )


class _AliasBomb(Exception):
    pass


def alias_expansion_problem(doc: Any) -> str | None:
    """Why the aliases or the nesting of `doc` make it too costly to process, or None.

    Sizes are memoized per shared node, so this costs one pass over the written nodes whatever the
    expansion; a recursive alias (a node containing itself) is refused as well.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    written = 0

    def size(node: Any, depth: int = 1) -> int:
        nonlocal written
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _AliasBomb("a YAML alias refers to a node that contains it (recursive alias)")
        if depth > MAX_NESTING:
            raise _AliasBomb(f"YAML nesting deeper than {MAX_NESTING} levels")
        active.add(key)
        total = 1 + (len(node) if isinstance(node, dict) else 0)  # the node and its keys
        written += total
        for child in children:
            if isinstance(child, dict | list):
                total += size(child, depth + 1)
            else:
                total += 1
                written += 1
        active.discard(key)
        sizes[key] = total
        return total

    try:
        expanded = size(doc)
    except _AliasBomb as exc:
        return str(exc)
    except RecursionError:
        return "YAML nesting too deep"
    if expanded > max(ALIAS_EXPANSION_FLOOR, MAX_ALIAS_EXPANSION * written):
        return (f"YAML aliases expand this document to {expanded} nodes from {written} written ones; "
                "refused as a possible alias bomb (write the repeated parts out instead of using aliases)")
    return None


def flow_nesting_bound(text: str | bytes | bytearray) -> int:
    """An upper bound of the flow-collection nesting in `text` (brackets inside strings count too)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") < MAX_NESTING:
        return 0
    depth = deepest = 0
    for ch in _NOT_BRACKET.sub(b"", data):
        if ch in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    return deepest


def _object_label(doc: Any) -> str:
    if not isinstance(doc, dict):
        return ""
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    parts = [doc.get("kind"), meta.get("namespace"), meta.get("name")]
    return "/".join(p for p in parts if isinstance(p, str) and p) + ": " if isinstance(parts[0], str) else ""


# A line starting a YAML document: libyaml can resume there after a malformed document (a document marker
# at column 0 ends any block or quoted scalar, so it cannot be content of the broken document).
_DOC_START = re.compile(rb"^---(?=[ \t\r\n]|$)", re.MULTILINE)


def _nesting_problem(doc: Any) -> str | None:
    try:
        return alias_expansion_problem(doc)
    except RecursionError:
        return "nesting too deep"


@dataclass
class _Budget:
    """What a run may still read (MAX_INPUT_NODES, MAX_INPUT_OBJECTS), and whether reading stopped."""

    limits: ReadLimits
    objects: int = MAX_INPUT_OBJECTS
    stopped: bool = False


def _new_budget() -> _Budget:
    from migrate.yamlio import ReadLimits

    return _Budget(ReadLimits(MAX_NESTING, MAX_ALIAS_EXPANSION, ALIAS_EXPANSION_FLOOR, MAX_OBJECT_NODES,
                              MAX_INPUT_NODES), MAX_INPUT_OBJECTS)


def _spend_objects(budget: _Budget, n: int = 1) -> None:
    budget.objects -= n
    if budget.objects < 0:
        raise TooMany()


def _input_full(what: str) -> str:
    return (f"the input holds more than {what}, more than one run reads: this document and the rest of the input "
            "were not read (convert it in parts, a few namespaces at a time)")


def _json_nodes(value: Any) -> int:
    """Nodes of a JSON value as the YAML reader counts them (containers, keys, scalars), iteratively."""
    count, stack = 0, [value]
    while stack:
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            count += len(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def _parse_json(src: _Source, out: LoadResult, budget: _Budget) -> None:
    import json

    from migrate import yamlio

    stream = src.stream
    assert stream is not None
    stream.limit = None  # json.loads needs the whole text: a JSON List is read as a whole
    data = stream.read_all()
    text = bytes(data[3:]) if data.startswith(b"\xef\xbb\xbf") else data
    depth = flow_nesting_bound(text)
    if depth > MAX_FLOW_NESTING_TEXT:
        out.errors.append(InputError(src.display, f"JSON nesting deeper than {MAX_NESTING} levels "
                                     f"({depth} nested brackets): refused before parsing"))
        return
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        out.errors.append(InputError(src.display, f"malformed JSON: {exc.msg}", 0, exc.lineno, exc.colno))
        return
    except RecursionError:
        out.errors.append(InputError(src.display, f"JSON nesting deeper than {MAX_NESTING} levels", 0))
        return
    if depth >= MAX_NESTING:
        problem = _nesting_problem(doc)
        if problem:
            out.errors.append(InputError(src.display, _object_label(doc) + problem.replace("YAML ", "JSON "), 0))
            return
    limits = budget.limits
    listed = doc.get("items") if isinstance(doc, dict) and _is_list(doc) else None
    # every node takes a comma, a colon or an opening bracket (or is the first): count them exactly only when
    # that bound says an object could be too big
    nodes = 1 + sum(text.count(c) for c in (b",", b":", b"[", b"{"))
    refused: dict[int, tuple[str, int]] = {}
    if nodes > min(limits.object_nodes, limits.run_nodes):
        nodes = _json_nodes(doc)
        if isinstance(listed, list):
            for i, item in enumerate(listed):
                problem = yamlio.structure_problem(n := _json_nodes(item), n, limits, "this object")
                if problem:
                    refused[i] = (problem, n)
        else:
            problem = yamlio.structure_problem(nodes, nodes, limits, "this document")
            if problem:
                out.errors.append(InputError(src.display, _object_label(doc) + problem, 0))
                return
    if nodes > limits.run_nodes:
        out.errors.append(InputError(src.display, _input_full(f"{MAX_INPUT_NODES:,} JSON values"), 0))
        budget.stopped = True
        return
    try:
        _spend_objects(budget, 1 + (len(listed) if isinstance(listed, list) else 0))
    except TooMany:
        out.errors.append(InputError(src.display, _input_full(f"{MAX_INPUT_OBJECTS:,} objects (documents and "
                                                              "List items)"), 0))
        budget.stopped = True
        return
    limits.run_nodes -= nodes - sum(n for _, n in refused.values())
    _expand_document(doc, src, 0, out, refused)


def _yaml_error(exc: Exception, stream: _Stream, line0: int) -> tuple[str, int | None, int | None]:
    """(message, 1-based line, column) of a parse error in the text parsed from line `line0` of `stream`."""
    from ruamel.yaml.error import MarkedYAMLError

    if not isinstance(exc, MarkedYAMLError):
        return f"malformed YAML: {exc}", None, None
    mark = exc.problem_mark or exc.context_mark
    problem = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "malformed YAML"
    problem = problem.split("\n")[0] if "duplicate key" not in problem else problem.replace("\n", " ")
    if mark and stream.line_text(mark.line + line0)[mark.column:mark.column + 1] == "\t":
        problem += " (a tab: YAML does not allow tabs for indentation, use spaces)"
    if "could not determine a constructor for the tag" in problem:
        problem += " (custom and language-specific tags are not Kubernetes YAML)"
    return (f"malformed YAML: {problem}", mark.line + line0 + 1 if mark else None,
            mark.column + 1 if mark else None)


def parse_text(text: str | bytes, display: str, out: LoadResult, budget: _Budget | None = None) -> None:
    """Parse one file's text (YAML stream or JSON) into `out`."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        stream = _Stream(None, data)
    except EncodingProblem as exc:
        out.errors.append(InputError(display, str(exc)))
        return
    parse_stream(stream, display, out, budget or _new_budget())


def parse_stream(stream: _Stream, display: str, out: LoadResult, budget: _Budget) -> None:
    """Parse one input (YAML stream or JSON) into `out`, reading it as the parser goes.

    A malformed YAML document is reported (file, document, line, column) and parsing resumes at the next
    `---` line after the error, so one broken document of a `kubectl get -A -o yaml` dump never hides the
    documents after it; what could not be resumed is named.  A bound of the run (MAX_INPUT_NODES,
    MAX_INPUT_OBJECTS) stops reading: `budget.stopped`.
    """
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from migrate import yamlio

    src = _Source(display, stream=stream)
    if display.lower().endswith(".json"):
        try:
            _parse_json(src, out, budget)
        except EncodingProblem as exc:
            out.errors.append(InputError(display, str(exc)))
        return

    def on_object() -> None:
        stream.mark()
        _spend_objects(budget)

    index, line0 = 0, 0
    while True:
        failed: int | None = None  # the absolute (0-based) line an error was found on
        try:
            for doc in yamlio.read_documents(_Cursor(stream, stream.offset_of(line0)), budget.limits, on_object):
                _take_document(doc, src, index, line0, out, budget)
                index += 1
            return
        except EncodingProblem as exc:
            out.errors.append(InputError(display, str(exc)))
            return
        except TooLarge:
            out.errors.append(InputError(display, f"one object takes more than {MAX_OBJECT_BYTES // (1024 * 1024)} "
                                         "MiB of text (the API server stores objects up to 1.5 MiB): refused; the "
                                         "rest of the file was not read", index))
            return
        except TooMany:
            out.errors.append(InputError(display, _input_full(f"{MAX_INPUT_OBJECTS:,} objects (documents and "
                                                              "List items)"), index))
            budget.stopped = True
            return
        except yamlio.StructureError as exc:
            if exc.budget:
                out.errors.append(InputError(display, _input_full(f"{MAX_INPUT_NODES:,} YAML nodes"), index))
                budget.stopped = True
                return
            out.errors.append(InputError(display, _object_label(exc.root) + exc.message, index))
            failed = exc.line + line0
            message = None
        except (YAMLError, RecursionError) as exc:
            if isinstance(exc, RecursionError):
                message, line, column = "YAML nesting too deep", None, None
            else:
                message, line, column = _yaml_error(exc, stream, line0)
                message += _keep_cut_list(getattr(exc, "partial", None), src, index, line0, out, budget)
            mark = (exc.problem_mark or exc.context_mark) if isinstance(exc, MarkedYAMLError) else None
            failed = mark.line + line0 if mark is not None else None
        resume = _resume_line(stream, failed, line0)
        if message is not None:
            if resume is None and _doc_start_after(stream, (failed or line0) + 1):
                message += "; the documents after it were not read"
            out.errors.append(InputError(display, message, index, line, column))
        if resume is None:
            return
        line0, index = resume, index + 1


def _keep_cut_list(cut: ReadDocument | None, src: _Source, index: int, line0: int, out: LoadResult,
                   budget: _Budget) -> str:
    """A List document cut by a syntax error keeps the objects it read whole (a truncated `kubectl get -o yaml`
    dump); what the error message then adds."""
    if cut is None or not cut.root["items"]:
        return ""
    if "kind" not in cut.root:  # kubectl prints `kind: List` after the items: a dump cut in them has none yet
        cut.root["kind"] = "List"
    if not _is_list(cut.root):
        return ""
    from migrate import yamlio

    kept = len(cut.root["items"])
    try:
        _take_document(cut, src, index, line0, out, budget)
    except yamlio.StructureError:  # the run's node bound: the objects are not kept
        return ""
    return f"; the {kept} List item(s) before it were read and kept, the rest of the List was not"


def _take_document(doc: ReadDocument, src: _Source, index: int, line0: int, out: LoadResult,
                   budget: _Budget) -> None:
    """One document read: its objects into `out.docs`, its problems into `out.errors`, its nodes charged."""
    from migrate import yamlio
    from migrate.yamlio import structure_problem

    limits = budget.limits
    src.docs[index] = doc.line + line0
    root = doc.root
    src.check_tags = doc.unsupported
    if doc.items:
        src.items[index] = ([line + line0 for line, _ in doc.items],
                            doc.items_end[0] + line0 if doc.items_end is not None else None)
    listed = isinstance(root, dict) and _is_list(root) and bool(doc.items)
    if listed:
        # a List: each item is an object of its own, bounded on its own; the envelope is bounded as one
        problem = structure_problem(doc.written - doc.items_written, doc.expanded - doc.items_expanded, limits,
                                    "this document")
        charge = doc.expanded - sum(n for _, n in doc.refused_items.values())
    else:
        problem = structure_problem(doc.written, doc.expanded, limits, "this document")
        charge = doc.expanded
    if problem is not None:
        out.errors.append(InputError(src.display, _object_label(root) + problem, index))
        limits.run_nodes -= doc.written
        return
    if charge > limits.run_nodes:  # the written nodes were bounded as they were read; these are expanded
        raise yamlio.StructureError("", 0, root, budget=True)
    limits.run_nodes -= charge
    _expand_document(root, src, index, out, doc.refused_items if listed else None)


def _doc_start_after(stream: _Stream, line: int) -> bool:
    """Whether a document starts after `line` (reading on, no further than one object's bound)."""
    start = stream.offset_of(line)
    stream.checkpoint = start
    try:
        while _DOC_START.search(stream.buf, start) is None:
            start = max(start, len(stream.buf) - 4)
            if not stream.fill():
                return False
    except (TooLarge, EncodingProblem):
        return False
    return True


def _resume_line(stream: _Stream, failed: int | None, line0: int) -> int | None:
    """The first document-start line at or after the error (and after the chunk's start), or None.

    Searching reads on through the input, but no further than one object's bound past the error."""
    if failed is None:
        return None
    first = max(failed, line0 + 1)
    start = stream.offset_of(first)
    stream.checkpoint = start
    pos = start
    while True:
        match = _DOC_START.search(stream.buf, pos)
        if match is not None:
            return first + stream.buf.count(b"\n", start, match.start())
        pos = max(start, len(stream.buf) - 4)
        try:
            if not stream.fill():
                return None
        except (TooLarge, EncodingProblem):
            return None


def load_inputs(paths: Iterable[str], stdin_text: str | None = None) -> LoadResult:
    """Load every input; never raises for bad input, collects InputErrors instead."""
    result = LoadResult()
    files, errors = expand_paths(paths)
    result.errors.extend(errors)
    budget = _new_budget()
    for name in files:
        display = "<stdin>" if name == "-" else name
        if budget.stopped:
            result.errors.append(InputError(display, "not read: the run's input bound was reached before it"))
            continue
        result.files.append(display)
        try:
            if name == "-" and stdin_text is not None:
                stream = _Stream(None, stdin_text.encode("utf-8", "surrogateescape"))
                parse_stream(stream, display, result, budget)
                continue
            fh = _open_input(name)
        except (OSError, EncodingProblem) as exc:
            result.errors.append(InputError(display, getattr(exc, "strerror", None) or str(exc)
                                            if isinstance(exc, OSError) else str(exc)))
            continue
        try:
            parse_stream(_Stream(fh), display, result, budget)
        except OSError as exc:  # a read error part-way (EIO, a file truncated under us)
            result.errors.append(InputError(display, f"cannot read: {exc.strerror or exc}"))
        finally:
            if name != "-":
                fh.close()
    return result
