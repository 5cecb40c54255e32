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
from ruamel.yaml.constructor import SafeConstructor
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
