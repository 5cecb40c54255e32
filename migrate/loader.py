"""Read input files, directories and stdin into Kubernetes object dicts.

Every document keeps its SourceRef.  A malformed file yields an InputError naming file, document,
line and column; the documents before the error are still returned, and other files are unaffected.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate.sources import SourceRef

INPUT_SUFFIXES = (".yaml", ".yml", ".json")
# Inputs are manifests; anything this large is a mistake or an attack, and is refused up front.
MAX_INPUT_BYTES = 64 * 1024 * 1024


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


def _read_text(name: str, stdin_text: str | None) -> str:
    if name == "-":
        return stdin_text if stdin_text is not None else sys.stdin.read()
    data = Path(name).read_bytes()
    if len(data) > MAX_INPUT_BYTES:
        raise ValueError(f"file is {len(data)} bytes; inputs larger than {MAX_INPUT_BYTES} bytes are refused")
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
