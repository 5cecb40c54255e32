"""Reading a Helm values file the way Helm does: YAML 1.1 (`no`/`off`/`yes`/`on` are booleans), with
clear errors for duplicate keys, and the file's byte conventions (BOM, CRLF) kept for writing back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BOM = "\ufeff"
# Plain scalars YAML 1.1 (Helm's parser) reads as booleans; ruamel's round-trip mode (YAML 1.2) keeps them
# as strings, so the merge reads switches through `helm_bool`.
YAML11_TRUE = frozenset(["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"])
YAML11_FALSE = frozenset(["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"])


class ValuesError(ValueError):
    pass


@dataclass(frozen=True)
class TextStyle:
    """How the file spells its bytes: kept when it is written back."""

    bom: bool = False
    crlf: bool = False

    @classmethod
    def of(cls, raw: str) -> TextStyle:
        body = raw.removeprefix(BOM)
        return cls(raw.startswith(BOM), "\r\n" in body and body.count("\r\n") == body.count("\n"))

    def decode(self, raw: str) -> str:
        """The text with the BOM and CRLF line ends removed (what the YAML tools work on)."""
        body = raw.removeprefix(BOM)
        return body.replace("\r\n", "\n") if self.crlf else body

    def encode(self, text: str) -> str:
        return (BOM if self.bom else "") + (text.replace("\n", "\r\n") if self.crlf else text)


def helm_bool(value: Any) -> bool:
    """Truthiness as Helm sees a value read from YAML: YAML 1.1 booleans spelled as plain strings count.

    Quoted strings (ruamel keeps them as ScalarString subclasses) are strings for Helm too: non-empty, so true.
    """
    if isinstance(value, str) and type(value) is str:
        if value in YAML11_FALSE:
            return False
        if value in YAML11_TRUE:
            return True
    return bool(value)


def _duplicate_message(exc: Any) -> str:
    problem = str(getattr(exc, "problem", "") or "")
    key = problem.split('"')[1] if problem.count('"') >= 2 else "?"
    mark = getattr(exc, "problem_mark", None)
    ctx = getattr(exc, "context_mark", None)
    line = f" on line {mark.line + 1}" if mark is not None else ""
    where = f" (in the mapping that starts on line {ctx.line + 1})" if ctx is not None else ""
    return (f"duplicate key {key!r}{line}{where}: YAML forbids it and Helm would keep only one of the values; "
            "delete or merge the duplicate")


def load_values(text: str) -> dict[str, Any]:
    """The values as Helm reads them (YAML 1.1); ValuesError with the key and line for what it cannot read."""
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    # libyaml's parser (the pure-Python one took 13 s per MB: issue 13); the resolver still reads YAML 1.1
    yaml = YAML(typ="safe", pure=False)
    yaml.version = (1, 1)
    try:
        docs = [d for d in yaml.load_all(text) if d is not None]
    except DuplicateKeyError as exc:
        raise ValuesError(_duplicate_message(exc)) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ValuesError(f"malformed YAML{where}: {exc.problem or exc.context}") from None
    except YAMLError as exc:
        raise ValuesError(f"malformed YAML: {str(exc).splitlines()[0]}") from None
    if len(docs) > 1:
        raise ValuesError("a values file holds one YAML document; this one holds several")
    root = docs[0] if docs else {}
    if not isinstance(root, dict):
        raise ValuesError("the values file is not a mapping")
    return root
