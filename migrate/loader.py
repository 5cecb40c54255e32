"""Read input files, directories and stdin into Kubernetes object dicts.

Every document keeps its SourceRef.  A malformed file yields an InputError naming file, document,
line and column; the documents before the error are still returned, and other files are unaffected.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate.sources import SourceRef

INPUT_SUFFIXES = (".yaml", ".yml", ".json")
# Inputs are manifests; anything this large is a mistake or an attack, and is refused up front
# (before reading it: parsing 32 MiB of YAML already takes ~10 s and ~1 GB of memory).
MAX_INPUT_BYTES = 32 * 1024 * 1024
# YAML aliases share one parsed node, but everything downstream (validation, str(), output) walks the
# expanded tree, so a "billion laughs" document costs exponential time.  A document whose aliases
# expand it beyond this many times its written size (and beyond a floor small enough to never bother
# a real manifest) is refused.
MAX_ALIAS_EXPANSION = 4
ALIAS_EXPANSION_FLOOR = 10_000
# Deeper documents are refused: the libyaml loader builds them fine, but the code reading them recurses
# (Python's limit is 1000 frames) and no Kubernetes manifest, CRD schemas included, comes close.
MAX_NESTING = 200
# A line indented by this much (spaces or block-sequence dashes) is the only way to nest this deep
# in block style; flow style needs as many brackets.
_DEEP_INDENT = re.compile(r"^[ \-?]{" + str(MAX_NESTING) + "}", re.MULTILINE)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# libyaml's composer recurses in C on flow collections and crashes the interpreter (SIGSEGV) somewhere
# past 25,000 levels, so such text is refused before it is parsed.
MAX_FLOW_NESTING_TEXT = 5_000


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


def _too_large(size: int) -> ValueError:
    return ValueError(f"input is {size} bytes; inputs larger than {MAX_INPUT_BYTES} bytes "
                      f"({MAX_INPUT_BYTES // (1024 * 1024)} MiB) are refused: split it into several files")


_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"),
         (b"\xfe\xff", "UTF-16"))


def decode_input(data: bytes) -> str:
    """UTF-8 (with or without BOM) text; anything else is a ValueError saying what the bytes are."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise ValueError(f"file is {encoding} (it starts with a {encoding} byte order mark): save it as UTF-8")
    if b"\x00" in data:
        raise ValueError("file contains NUL bytes: not a YAML or JSON manifest")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"file is not valid UTF-8 (byte offset {exc.start}): Latin-1 or another legacy "
                         "encoding? save it as UTF-8") from exc


def read_bounded(name: str) -> bytes:
    """The bytes of `name` (a file, FIFO or device), refusing more than MAX_INPUT_BYTES before reading them."""
    import os
    import stat

    with open(name, "rb") as fh:
        st = os.fstat(fh.fileno())
        if stat.S_ISDIR(st.st_mode):
            raise ValueError("is a directory")
        if stat.S_ISREG(st.st_mode) and st.st_size > MAX_INPUT_BYTES:
            raise _too_large(st.st_size)
        data = fh.read(MAX_INPUT_BYTES + 1)  # a pipe or a file being written has no size to check first
    if len(data) > MAX_INPUT_BYTES:
        raise _too_large(len(data))
    return data


def _read_text(name: str, stdin_text: str | None) -> str:
    if name == "-" and stdin_text is None and hasattr(sys.stdin, "buffer"):
        # stdin's bytes, bounded and decoded like a file's: a legacy encoding is a named error (sys.stdin's
        # own decoding raised UnicodeDecodeError, or let surrogates through to the parser, a traceback)
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise _too_large(len(data))
        return decode_input(data)
    if name == "-":
        text = stdin_text if stdin_text is not None else sys.stdin.read()
        if len(text) > MAX_INPUT_BYTES:
            raise _too_large(len(text))
        return text
    return decode_input(read_bounded(name))


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
    """One file being parsed: what error messages need to point into it."""

    display: str
    text: str
    check_tags: bool = False
    _located: list[Any] | None = None

    def line_of(self, index: int, path: tuple[Any, ...]) -> int | None:
        """The line of `path` in document `index`, from a round-trip parse done only when an error needs it."""
        if self._located is None:
            self._located = []
            try:
                from ruamel.yaml import YAML

                self._located = list(YAML(typ="rt").load_all(self.text))
            except Exception:  # noqa: BLE001 - only a better message is lost
                pass
        if index >= len(self._located):
            return None
        node, line = self._located[index], None
        for key in path:
            lc = getattr(node, "lc", None)
            try:
                if lc is not None:
                    line = (lc.item(key) if isinstance(key, int) else lc.key(key))[0] + 1
                node = node[key]
            except (KeyError, IndexError, TypeError, AttributeError):
                break
        return line


def _expand_document(doc: Any, display: str | _Source, index: int, out: LoadResult) -> None:
    src = display if isinstance(display, _Source) else _Source(display, "")
    if doc is None:
        return  # empty documents are legal YAML and carry nothing
    if not isinstance(doc, dict):
        out.errors.append(
            InputError(src.display, f"document is a {type(doc).__name__}, not a Kubernetes object", index)
        )
        return
    _expand_object(doc, src, index, (), out)


def _is_list(obj: dict[str, Any]) -> bool:
    kind = obj.get("kind")
    return kind == "List" or (isinstance(kind, str) and kind.endswith("List") and "items" in obj)


def _expand_object(obj: dict[str, Any], src: _Source, index: int, items: tuple[int, ...], out: LoadResult) -> None:
    """`obj`, or every object of a (nested) List; nothing is dropped without an error naming it."""
    prefix: tuple[Any, ...] = tuple(x for i in items for x in ("items", i))
    if _is_list(obj):
        listed = obj.get("items")
        if not isinstance(listed, list):
            what = "has no 'items' list" if listed is None else f"'items' is {_kind_name(listed)}, not a list"
            out.errors.append(InputError(src.display, f"{_location(items)}{obj.get('kind')} document {what}", index,
                                         src.line_of(index, (*prefix, "items"))))
            return
        for i, item in enumerate(listed):
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


def flow_nesting_bound(text: str) -> int:
    """An upper bound of the flow-collection nesting in `text` (brackets inside strings count too)."""
    if text.count("[") + text.count("{") < MAX_NESTING:
        return 0
    depth = deepest = 0
    for ch in _NOT_BRACKET.sub("", text):
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    return deepest


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n", line + 1)
    return lines[line][column:column + 1] if line < len(lines) else ""


def _object_label(doc: Any) -> str:
    if not isinstance(doc, dict):
        return ""
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    parts = [doc.get("kind"), meta.get("namespace"), meta.get("name")]
    return "/".join(p for p in parts if isinstance(p, str) and p) + ": " if isinstance(parts[0], str) else ""


# A line starting a YAML document: libyaml can resume there after a malformed document (a document marker
# at column 0 ends any block or quoted scalar, so it cannot be content of the broken document).
_DOC_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)


def _nesting_problem(doc: Any) -> str | None:
    try:
        return alias_expansion_problem(doc)
    except RecursionError:
        return "nesting too deep"


def _parse_json(src: _Source, out: LoadResult) -> None:
    import json

    from migrate import yamlio

    depth = flow_nesting_bound(src.text)
    if depth > MAX_FLOW_NESTING_TEXT:
        out.errors.append(InputError(src.display, f"JSON nesting deeper than {MAX_NESTING} levels "
                                     f"({depth} nested brackets): refused before parsing"))
        return
    try:
        doc = yamlio.load_json(src.text)
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
    _expand_document(doc, src, 0, out)


def _yaml_error(exc: Exception, text: str, line0: int) -> tuple[str, int | None, int | None]:
    """(message, 1-based line, column) of a parse error in the chunk starting at line `line0` of `text`."""
    from ruamel.yaml.error import MarkedYAMLError

    if not isinstance(exc, MarkedYAMLError):
        return f"malformed YAML: {exc}", None, None
    mark = exc.problem_mark or exc.context_mark
    problem = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "malformed YAML"
    problem = problem.split("\n")[0] if "duplicate key" not in problem else problem.replace("\n", " ")
    if mark and _char_at(text, mark.line + line0, mark.column) == "\t":
        problem += " (a tab: YAML does not allow tabs for indentation, use spaces)"
    if "could not determine a constructor for the tag" in problem:
        problem += " (custom and language-specific tags are not Kubernetes YAML)"
    return (f"malformed YAML: {problem}", mark.line + line0 + 1 if mark else None,
            mark.column + 1 if mark else None)


def parse_text(text: str, display: str, out: LoadResult) -> None:
    """Parse one file's text (YAML stream or JSON) into `out`.

    A malformed YAML document is reported (file, document, line, column) and parsing resumes at the next
    `---` line after the error, so one broken document of a `kubectl get -A -o yaml` dump never hides the
    documents after it; what could not be resumed is named.
    """
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from migrate import yamlio

    src = _Source(display, text, check_tags="!!" in text)
    if display.lower().endswith(".json"):
        _parse_json(src, out)
        return
    index = 0
    flow_depth = flow_nesting_bound(text)
    if flow_depth > MAX_FLOW_NESTING_TEXT:
        out.errors.append(InputError(display, f"YAML nesting deeper than {MAX_NESTING} levels "
                                     f"({flow_depth} nested brackets): refused before parsing"))
        return
    # Without an anchor there can be no alias, and without nested brackets or a deeply indented line no
    # deep nesting: skip the walk on the common path.
    needs_walk = "&" in text or flow_depth >= MAX_NESTING or _DEEP_INDENT.search(text) is not None
    line0, chunk = 0, text
    while True:
        stream = yamlio.load_yaml_stream(chunk)
        failed: int | None = None  # the absolute (0-based) line a parse error was found on
        while True:
            try:
                doc = next(stream)
            except StopIteration:
                return
            except (YAMLError, RecursionError) as exc:
                if isinstance(exc, RecursionError):
                    message, line, column = "YAML nesting too deep", None, None
                else:
                    message, line, column = _yaml_error(exc, text, line0)
                mark = (exc.problem_mark or exc.context_mark) if isinstance(exc, MarkedYAMLError) else None
                failed = mark.line + line0 if mark is not None else None
                resume = _resume_line(text, failed, line0)
                if resume is None and _DOC_START.search(text, _offset(text, (failed or line0) + 1)):
                    message += "; the documents after it were not read"
                out.errors.append(InputError(display, message, index, line, column))
                break
            if needs_walk:
                bomb = alias_expansion_problem(doc)
                if bomb:
                    out.errors.append(InputError(display, _object_label(doc) + bomb, index))
                    index += 1
                    continue
            _expand_document(doc, src, index, out)
            index += 1
        if resume is None:
            return
        line0, chunk, index = resume, text[_offset(text, resume):], index + 1


def _offset(text: str, line: int) -> int:
    """Character offset of 0-based `line` (len(text) past the end)."""
    pos = 0
    for _ in range(line):
        pos = text.find("\n", pos) + 1
        if pos == 0:
            return len(text)
    return pos


def _resume_line(text: str, failed: int | None, line0: int) -> int | None:
    """The first document-start line at or after the error (and after the chunk's start), or None."""
    if failed is None:
        return None
    start = _offset(text, max(failed, line0 + 1))
    match = _DOC_START.search(text, start)
    return text.count("\n", 0, match.start()) if match else None


def load_inputs(paths: Iterable[str], stdin_text: str | None = None) -> LoadResult:
    """Load every input; never raises for bad input, collects InputErrors instead."""
    result = LoadResult()
    files, errors = expand_paths(paths)
    result.errors.extend(errors)
    for name in files:
        display = "<stdin>" if name == "-" else name
        result.files.append(display)
        try:
            text = _read_text(name, stdin_text)
        except (OSError, ValueError) as exc:
            result.errors.append(InputError(display, getattr(exc, "strerror", None) or str(exc)
                                            if isinstance(exc, OSError) else str(exc)))
            continue
        parse_text(text, display, result)
    return result
