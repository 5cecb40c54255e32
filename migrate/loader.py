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


def expand_paths(paths: Iterable[str]) -> tuple[list[str], list[InputError]]:
    """Files as given, directories walked recursively in sorted order, `-` kept for stdin."""
    found: list[str] = []
    errors: list[InputError] = []
    for raw in paths:
        if raw == "-":
            found.append("-")
            continue
        p = Path(raw)
        if p.is_dir():
            children = sorted(
                c for c in p.rglob("*") if c.is_file() and c.suffix.lower() in INPUT_SUFFIXES
            )
            if not children:
                errors.append(InputError(raw, "directory contains no *.yaml, *.yml or *.json files"))
            found.extend(str(c) for c in children)
        elif p.is_file():
            found.append(raw)
        else:
            errors.append(InputError(raw, "no such file or directory"))
    return found, errors


def _too_large(size: int) -> ValueError:
    return ValueError(f"input is {size} bytes; inputs larger than {MAX_INPUT_BYTES} bytes "
                      f"({MAX_INPUT_BYTES // (1024 * 1024)} MiB) are refused: split it into several files")


def _read_text(name: str, stdin_text: str | None) -> str:
    if name == "-":
        text = stdin_text if stdin_text is not None else sys.stdin.read()
        if len(text) > MAX_INPUT_BYTES:
            raise _too_large(len(text))
        return text
    path = Path(name)
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise _too_large(size)
    data = path.read_bytes()
    if len(data) > MAX_INPUT_BYTES:  # grew since stat (a pipe or a file being written)
        raise _too_large(len(data))
    if b"\x00" in data:
        raise ValueError("file contains NUL bytes: not a YAML or JSON manifest")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"file is not valid UTF-8 (byte offset {exc.start})") from exc


def _expand_document(
    doc: Any, display: str, index: int, out: LoadResult
) -> None:
    if doc is None:
        return  # empty documents are legal YAML and carry nothing
    if not isinstance(doc, dict):
        out.errors.append(
            InputError(display, f"document is a {type(doc).__name__}, not a Kubernetes object", index)
        )
        return
    kind = doc.get("kind")
    if kind == "List" or (isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list)):
        items = doc.get("items")
        if not isinstance(items, list):
            out.errors.append(InputError(display, "List document has no 'items' list", index))
            return
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                out.errors.append(InputError(display, f"items[{i}] is not a Kubernetes object", index))
                continue
            out.docs.append(SourceDoc(item, _ref(item, display, index, i)))
        return
    out.docs.append(SourceDoc(doc, _ref(doc, display, index, None)))


def _ref(obj: dict[str, Any], display: str, index: int, item: int | None) -> SourceRef:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    return SourceRef(
        kind=str(obj.get("kind") or ""),
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        file=display,
        index=index,
        item=item,
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


def parse_text(text: str, display: str, out: LoadResult) -> None:
    """Parse one file's text (YAML stream or JSON) into `out`."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from migrate import yamlio

    if display.lower().endswith(".json"):
        import json

        try:
            doc = yamlio.load_json(text)
        except json.JSONDecodeError as exc:
            out.errors.append(InputError(display, f"malformed JSON: {exc.msg}", 0, exc.lineno, exc.colno))
            return
        _expand_document(doc, display, 0, out)
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
    stream = yamlio.load_yaml_stream(text)
    while True:
        try:
            doc = next(stream)
        except StopIteration:
            break
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "malformed YAML"
            problem = problem.split("\n")[0] if "duplicate key" not in problem else problem.replace("\n", " ")
            if mark and _char_at(text, mark.line, mark.column) == "\t":
                problem += " (a tab: YAML does not allow tabs for indentation, use spaces)"
            out.errors.append(
                InputError(
                    display,
                    f"malformed YAML: {problem}",
                    index,
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                )
            )
            return
        except YAMLError as exc:
            out.errors.append(InputError(display, f"malformed YAML: {exc}", index))
            return
        except RecursionError:
            out.errors.append(InputError(display, "YAML nesting too deep", index))
            return
        if needs_walk:
            bomb = alias_expansion_problem(doc)
            if bomb:
                out.errors.append(InputError(display, _object_label(doc) + bomb, index))
                index += 1
                continue
        _expand_document(doc, display, index, out)
        index += 1


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
            result.errors.append(InputError(display, str(exc)))
            continue
        parse_text(text, display, result)
    return result
