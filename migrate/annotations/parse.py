"""Parse Kong annotation values exactly as Kong's ingress controller does.

Kong/kubernetes-ingress-controller internal/annotations/annotations.go: comma lists are split,
trimmed and empty items dropped; methods are upper-cased and must be alphabetic (one bad method
discards the whole annotation); header values split on `konghq.com/headers-separator` (default ",")
and are trimmed; a value starting with `~*` is a regular expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "konghq.com/"
HEADERS_PREFIX = "konghq.com/headers."
HEADERS_SEPARATOR = "konghq.com/headers-separator"
DEFAULT_REGEX_PREFIX = "/~"
HEADER_REGEX_MARKER = "~*"
_METHOD = re.compile(r"^[A-Za-z]+$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}$")


class AnnotationValueError(ValueError):
    """The annotation's value is invalid; Kong would discard or reject it."""


def split_list(value: str, sep: str = ",") -> list[str]:
    return [item.strip() for item in value.split(sep) if item.strip()]


def parse_methods(value: str) -> list[str]:
    methods = [m.upper() for m in split_list(value)]
    bad = [m for m in methods if not _METHOD.match(m)]
    if bad:
        raise AnnotationValueError(f"invalid method(s) {', '.join(bad)}: Kong discards the whole annotation")
    # Kong keeps duplicates harmlessly; Gateway API matches must be unique, so deduplicate in order.
    return list(dict.fromkeys(methods))


@dataclass(frozen=True)
class HeaderValue:
    value: str
    regex: bool


def parse_header_values(value: str, separator: str = ",") -> list[HeaderValue]:
    out: list[HeaderValue] = []
    for item in split_list(value, separator or ","):
        if item.startswith(HEADER_REGEX_MARKER):
            pattern = item[len(HEADER_REGEX_MARKER):]
            if not pattern:
                raise AnnotationValueError("empty regular expression after '~*'")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise AnnotationValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
            out.append(HeaderValue(pattern, True))
        else:
            out.append(HeaderValue(item, False))
    return list(dict.fromkeys(out))


def header_annotations(annotations: dict[str, str]) -> dict[str, list[HeaderValue]]:
    """Every `konghq.com/headers.<name>` annotation, keyed by lower-cased header name, sorted."""
    sep = annotations.get(HEADERS_SEPARATOR, ",").strip() or ","
    out: dict[str, list[HeaderValue]] = {}
    for key in sorted(annotations):
        if not key.startswith(HEADERS_PREFIX):
            continue
        name = key[len(HEADERS_PREFIX):]
        if not _HEADER_NAME.match(name):
            raise AnnotationValueError(f"{key}: {name!r} is not a valid header name")
        values = parse_header_values(annotations[key], sep)
        if not values:
            raise AnnotationValueError(f"{key}: no values")
        out[name.lower()] = values
    return out


def parse_bool(value: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "1", "yes", "on"):
        return True
    if v in ("false", "0", "no", "off"):
        return False
    raise AnnotationValueError(f"{value!r} is not a boolean")


def parse_int(value: str, low: int | None = None, high: int | None = None) -> int:
    v = value.strip()
    if not re.fullmatch(r"-?[0-9]+", v):
        raise AnnotationValueError(f"{value!r} is not an integer")
    n = int(v)
    if (low is not None and n < low) or (high is not None and n > high):
        raise AnnotationValueError(f"{n} is out of range {low}-{high}")
    return n


KONG_PROTOCOLS = ("http", "https", "grpc", "grpcs", "ws", "wss", "tls", "tcp", "udp", "tls_passthrough")
# Kong/kong routes.lua: protocols from different groups cannot be mixed on one route.
_PROTOCOL_GROUPS = ({"http", "https", "ws", "wss"}, {"tcp", "tls", "udp"}, {"tls_passthrough"}, {"grpc", "grpcs"})


def parse_protocols(value: str) -> list[str]:
    protocols = [p.lower() for p in split_list(value)]
    bad = [p for p in protocols if p not in KONG_PROTOCOLS]
    if bad:
        raise AnnotationValueError(f"unknown protocol(s) {', '.join(bad)}")
    if not protocols:
        raise AnnotationValueError("empty protocol list")
    groups = {i for p in protocols for i, g in enumerate(_PROTOCOL_GROUPS) if p in g}
    if len(groups) > 1:
        raise AnnotationValueError(f"protocols {', '.join(protocols)} mix groups Kong cannot combine on one route")
    return list(dict.fromkeys(protocols))


REDIRECT_CODES = (301, 302, 307, 308, 426)


def parse_redirect_code(value: str) -> int:
    code = parse_int(value)
    if code not in REDIRECT_CODES:
        raise AnnotationValueError(f"{code} is not one of {', '.join(map(str, REDIRECT_CODES))}")
    return code


@dataclass(frozen=True)
class PluginRef:
    name: str
    namespace: str | None  # set for the cross-namespace "ns:name" form


def parse_plugins(value: str) -> list[PluginRef]:
    refs: list[PluginRef] = []
    for item in split_list(value):
        if ":" in item:
            ns, _, name = item.partition(":")
            ns, name = ns.strip(), name.strip()
            if not ns or not name:
                raise AnnotationValueError(f"{item!r} is not 'name' or 'namespace:name'")
            refs.append(PluginRef(name, ns))
        else:
            refs.append(PluginRef(item, None))
    return list(dict.fromkeys(refs))
