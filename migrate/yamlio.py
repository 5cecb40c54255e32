"""YAML/JSON parsing and emission.

Bulk load/dump uses ruamel.yaml's C-accelerated safe mode.  Output must read back identically under
YAML 1.1 (what kubectl's parser implements), so strings a 1.1 reader would turn into booleans,
nulls or numbers are always quoted.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.representer import SafeRepresenter

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


def _safe_yaml() -> YAML:
    yaml = YAML(typ="safe", pure=False)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 4096
    yaml.allow_unicode = True
    yaml.representer.add_representer(str, _represent_str)
    # Manifests are read by tools that handle anchors poorly, and shared dicts are an implementation detail.
    yaml.representer.ignore_aliases = lambda data: True
    return yaml


_LOADER = YAML(typ="safe", pure=False)
_DUMPER = _safe_yaml()


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
