"""Parse Kong annotation values exactly as Kong's ingress controller does.

Kong/kubernetes-ingress-controller internal/annotations/annotations.go: comma lists are split,
trimmed and empty items dropped; methods are upper-cased and must be alphabetic (one bad method
discards the whole annotation); header values split on `konghq.com/headers-separator` (default ",")
and are trimmed; a value starting with `~*` is a regular expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrate.report import quote

PREFIX = "konghq.com/"
HEADERS_PREFIX = "konghq.com/headers."
HEADERS_SEPARATOR = "konghq.com/headers-separator"
DEFAULT_REGEX_PREFIX = "/~"
HEADER_REGEX_MARKER = "~*"
_METHOD = re.compile(r"^[A-Za-z]+$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}$")


class AnnotationValueError(ValueError):
    """The annotation's value is invalid; Kong would discard or reject it."""


def valid_header_name(name: str) -> bool:
    return bool(_HEADER_NAME.match(name))


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
                raise AnnotationValueError(f"invalid regular expression {quote(pattern)}: {exc}") from exc
            out.append(HeaderValue(pattern, True))
        else:
            out.append(HeaderValue(item, False))
    return list(dict.fromkeys(out))


def parse_bool(value: str) -> bool:
    """`true`/`false` in any case: what KIC accepts for strip-path and preserve-host (anything else is ignored)."""
    v = value.strip().lower()
    if v == "true":
        return True
    if v == "false":
        return False
    raise AnnotationValueError(f"{value!r} is not 'true' or 'false'; Kong ignores it")


def parse_go_bool(value: str) -> bool:
    """Go's strconv.ParseBool on the lower-cased value: what KIC accepts for the buffering annotations."""
    v = value.strip().lower()
    if v in ("true", "t", "1"):
        return True
    if v in ("false", "f", "0"):
        return False
    raise AnnotationValueError(f"{value!r} is not a boolean (true/false, t/f, 1/0); Kong ignores it")


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
    protocols = split_list(value)
    bad = [p for p in protocols if p not in KONG_PROTOCOLS]
    if bad:
        # KIC compares protocols case-sensitively (internal/util/protocol.go ValidateProtocol)
        hint = " (protocols are lower case)" if any(p.lower() in KONG_PROTOCOLS for p in bad) else ""
        raise AnnotationValueError(f"unknown protocol(s) {', '.join(bad)}{hint}: Kong's controller rejects the "
                                   "annotation and Kong never served these routes as intended")
    if not protocols:
        raise AnnotationValueError("empty protocol list")
    protocols = list(dict.fromkeys(protocols))
    if is_grpc_http_mix(protocols):
        return protocols  # KIC normalises this mix itself (see normalize_protocols)
    groups = {i for p in protocols for i, g in enumerate(_PROTOCOL_GROUPS) if p in g}
    if len(groups) > 1:
        raise AnnotationValueError(f"protocols {', '.join(protocols)} mix groups Kong cannot combine on one route")
    return protocols


def is_grpc_http_mix(protocols: list[str]) -> bool:
    names = set(protocols)
    return bool(names & {"grpc", "grpcs"}) and bool(names & {"http", "https"}) and names <= {
        "grpc", "grpcs", "http", "https"}


def normalize_protocols(protocols: list[str]) -> list[str]:
    """KIC's normalizeProtocols: a gRPC and HTTP mix becomes `http, https` (traditional routers)."""
    return ["http", "https"] if is_grpc_http_mix(protocols) else protocols


REDIRECT_CODES = (301, 302, 307, 308, 426)


def parse_go_int(value: str) -> int:
    """An integer as Go's strconv.Atoi reads it (KIC's annotation parsing): an optional sign and digits, no
    blanks."""
    if not re.fullmatch(r"[+-]?[0-9]+", value):
        hint = " (Kong's controller does not trim blanks)" if re.fullmatch(r"\s*[+-]?[0-9]+\s*", value) else ""
        raise AnnotationValueError(f"{value!r} is not an integer{hint}")
    return int(value)


def parse_redirect_code(value: str) -> int:
    code = parse_go_int(value)
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


# Kong/kubernetes-ingress-controller internal/dataplane/kongstate/route.go: what KIC accepts for
# snis (no wildcards) and host-aliases (a leading `*.` or trailing `.*` wildcard).
_KONG_SNI = re.compile(r"^([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)(\.([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*))*$")
_KONG_HOST = re.compile(r"^(\*\.)?([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)(\.([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*))*?(\.\*)?$")


def parse_snis(value: str) -> list[str]:
    """SNIs; an empty value is valid and means "no SNI restriction".  One bad SNI discards them all."""
    snis = split_list(value)
    bad = [s for s in snis if not _KONG_SNI.match(s)]
    if bad:
        raise AnnotationValueError(f"invalid SNI(s) {', '.join(bad)} (wildcards are not allowed): "
                                   "Kong discards the whole annotation")
    return list(dict.fromkeys(snis))


def parse_host_aliases(value: str) -> list[str]:
    hosts = split_list(value)
    if not hosts:
        raise AnnotationValueError("empty list: Kong ignores it")
    bad = [h for h in hosts if not _KONG_HOST.match(h)]
    if bad:
        raise AnnotationValueError(f"invalid host alias(es) {', '.join(bad)}: Kong discards the whole annotation")
    return list(dict.fromkeys(hosts))


# Gateway API HTTPMethod enum (HTTPRoute match.method).
GATEWAY_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})


@dataclass(frozen=True)
class Rewrite:
    template: str  # request-transformer replace.uri, captures as $(uri_captures[n])
    static: str | None  # the literal path when there are no capture references


def parse_rewrite(value: str) -> Rewrite:
    """KIC's generateRewriteURIConfig: `$n` is capture n (several digits allowed), `\\$` a literal `$`."""
    uri = value.strip() or "/"  # KIC rewrites an empty value to "/"
    out: list[str] = []
    literal: list[str] = []
    captures = False
    i = 0
    while i < len(uri):
        c = uri[i]
        if c == "\\":
            if i + 1 >= len(uri) or uri[i + 1] != "$":
                raise AnnotationValueError(f"'\\' at position {i} must be followed by '$'")
            out.append("$")
            literal.append("$")
            i += 2
        elif c == "$":
            j = i + 1
            while j < len(uri) and uri[j].isdigit():
                j += 1
            if j == i + 1:
                raise AnnotationValueError(f"'$' at position {i} must be followed by a capture group number")
            out.append(f"$(uri_captures[{uri[i + 1:j]}])")
            captures = True
            i = j
        else:
            out.append(c)
            literal.append(c)
            i += 1
    template = "".join(out)
    static = None if captures else "".join(literal)
    if static is not None and not static.startswith("/"):
        raise AnnotationValueError(f"{quote(uri)} does not start with '/': the upstream request would have no valid path")
    return Rewrite(template, static)
