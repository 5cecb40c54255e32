"""Expression ("ATC") routes for the `expressions` router flavor, as KIC builds them from Ingresses.

Re-expressed from Kong/kubernetes-ingress-controller v3.5.13:
`internal/dataplane/translator/atc/{matcher,predicate,field,route}.go` (the expression builder),
`internal/dataplane/translator/subtranslator/ingress_atc.go` (Ingress routes: expression and `priority`),
`internal/dataplane/translator/subtranslator/atc_utils.go` (host matcher, resource-kind priority bits) and
`internal/dataplane/translator/subtranslator/l4route_atc.go` (TCPIngress/UDPIngress routes).

The builder is generic (And/Or/Predicate) so the Gateway API translator can reuse it.  Expression strings and
priorities must equal KIC's byte for byte (KIC's goldens `*/expression-routes-on_golden.yaml`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from migrate.kic.kongstate import comma_list, extract_headers

# --- the expression builder (atc/matcher.go, atc/predicate.go) ---------------------------------------------

OP_EQUAL = "=="
OP_REGEX = "~"
OP_PREFIX = "^="
OP_SUFFIX = "=^"

FIELD_HTTP_PATH = "http.path"
FIELD_HTTP_HOST = "http.host"
FIELD_HTTP_METHOD = "http.method"
FIELD_TLS_SNI = "tls.sni"
FIELD_NET_DST_PORT = "net.dst.port"
FIELD_NET_PROTOCOL = "net.protocol"


def header_field(name: str) -> str:
    """atc/field.go HTTPHeaderField: lower-cased, `-` becomes `_`."""
    return "http.headers." + name.replace("-", "_").lower()


def string_literal(value: str) -> str:
    """atc/predicate.go StringLiteral.String: backslash, quote, \\n, \\r, \\t escaped, then double-quoted."""
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + out.replace("\t", "\\t") + '"'


class Matcher:
    def expression(self) -> str:
        raise NotImplementedError

    def is_empty(self) -> bool:
        raise NotImplementedError


@dataclass
class Predicate(Matcher):
    lhs: str
    op: str
    value: str | int

    def expression(self) -> str:
        rhs = str(self.value) if isinstance(self.value, int) else string_literal(self.value)
        return f"{self.lhs} {self.op} {rhs}"

    def is_empty(self) -> bool:
        return False


@dataclass
class _Group(Matcher):
    joiner: str
    subs: list[Matcher] = field(default_factory=list)

    def add(self, m: Matcher | None) -> _Group:
        if m is not None and not m.is_empty():
            self.subs.append(m)
        return self

    def is_empty(self) -> bool:
        return not self.subs

    def expression(self) -> str:
        if not self.subs:
            return ""
        if len(self.subs) == 1:
            return self.subs[0].expression()
        return f" {self.joiner} ".join(f"({m.expression()})" for m in self.subs)


def and_(*matchers: Matcher | None) -> _Group:
    g = _Group("&&")
    for m in matchers:
        g.add(m)
    return g


def or_(*matchers: Matcher | None) -> _Group:
    g = _Group("||")
    for m in matchers:
        g.add(m)
    return g


# --- priority bits (atc_utils.go, ingress_atc.go) ----------------------------------------------------------

FROM_RESOURCE_KIND_SHIFT = 44
RESOURCE_KIND_INGRESS = 3
RESOURCE_KIND_HTTPROUTE = 2
RESOURCE_KIND_GRPCROUTE = 1
INGRESS_DEFAULT_BACKEND_PRIORITY = 0
L4_ROUTE_PRIORITY = 1

# Kong host and SNI validity as KIC checks them (ingress_atc.go validHosts / validSNIs)
VALID_HOST = re.compile(r"^(\*\.)?([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)(\.([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*))*?(\.\*)?$")
VALID_SNI = re.compile(r"^([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)(\.([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*))*$")
VALID_METHOD = re.compile(r"^[A-Z]+$")
HEADER_REGEX_PREFIX = "~*"
CONTROLLER_REGEX_PREFIX = "/~"
CATCH_ALL_HTTP_EXPRESSION = '(net.protocol == "http") || (net.protocol == "https")'


def host_matcher(hosts: list[str]) -> _Group:
    """atc_utils.go hostMatcherFromHosts: invalid hosts dropped; `*.x` is a suffix match on `.x`."""
    out = or_()
    for host in hosts:
        if not VALID_HOST.match(host):
            continue
        if host.startswith("*"):
            out.add(Predicate(FIELD_HTTP_HOST, OP_SUFFIX, host[1:]))
        else:
            out.add(Predicate(FIELD_HTTP_HOST, OP_EQUAL, host))
    return out


def sni_matcher(snis: list[str]) -> _Group:
    return or_(*(Predicate(FIELD_TLS_SNI, OP_EQUAL, s) for s in snis if VALID_SNI.match(s)))


def method_matcher(methods: list[str]) -> _Group:
    return or_(*(Predicate(FIELD_HTTP_METHOD, OP_EQUAL, m) for m in methods if VALID_METHOD.match(m)))


def header_matcher(headers: dict[str, list[str]]) -> _Group:
    """ingress_atc.go headerMatcherFromHeaders: names sorted, values ORed, names ANDed, `Host` skipped."""
    out = and_()
    for name in sorted(headers):
        values = headers[name]
        if not values:
            continue
        key = name.lower().replace("-", "_")
        if key == "host":
            continue
        one = or_()
        for v in values:
            if v.startswith(HEADER_REGEX_PREFIX):
                one.add(Predicate(header_field(key), OP_REGEX, v[len(HEADER_REGEX_PREFIX):]))
            else:
                one.add(Predicate(header_field(key), OP_EQUAL, v))
        out.add(one)
    return out


# --- Ingress routes (ingress_atc.go) ------------------------------------------------------------------------

@dataclass(frozen=True)
class IngressPath:
    """One HTTPIngressPath after KIC's pre-processing (slashes collapsed, empty path "/", default type)."""

    path: str
    path_type: str  # Exact | Prefix | ImplementationSpecific (anything else: no matcher)


def path_matcher(p: IngressPath, regex_prefix: str) -> Matcher | None:
    if p.path_type == "Prefix":
        base = p.path.strip("/")
        if not base:
            return Predicate(FIELD_HTTP_PATH, OP_PREFIX, "/")
        return or_(Predicate(FIELD_HTTP_PATH, OP_EQUAL, "/" + base), Predicate(FIELD_HTTP_PATH, OP_PREFIX, "/" + base + "/"))
    if p.path_type == "Exact":
        return Predicate(FIELD_HTTP_PATH, OP_EQUAL, "/" + p.path.lstrip("/"))
    if p.path_type == "ImplementationSpecific":
        if p.path == "":
            return Predicate(FIELD_HTTP_PATH, OP_PREFIX, "/")
        if regex_prefix and p.path.startswith(regex_prefix):
            regex = p.path[len(regex_prefix):] or "^/"
            if not regex.startswith("^"):
                regex = "^" + regex
            return Predicate(FIELD_HTTP_PATH, OP_REGEX, regex)
        return Predicate(FIELD_HTTP_PATH, OP_PREFIX, p.path)
    return None


def host_aliases(annotations: dict[str, str]) -> list[str]:
    """annotations.go ExtractHostAliases (an empty value counts as absent)."""
    value = annotations.get("konghq.com/host-aliases", "")
    return comma_list(value) if value else []


def ingress_expression(host: str, paths: list[IngressPath], annotations: dict[str, str]) -> tuple[str, int]:
    """The `expression` and `priority` of the Kong route KIC builds for one (Ingress, host, backend) group."""
    hosts = ([host] if host else []) + host_aliases(annotations)
    matcher = and_()
    if hosts:
        matcher.add(host_matcher(hosts))
    regex_prefix = annotations.get("konghq.com/regex-prefix", "") or CONTROLLER_REGEX_PREFIX
    matcher.add(or_(*(path_matcher(p, regex_prefix) for p in paths)))
    headers, exists = extract_headers(annotations)
    if headers and exists:
        matcher.add(header_matcher(headers))
    methods = comma_list(annotations.get("konghq.com/methods", ""), upper=True)
    if methods:
        matcher.add(method_matcher(methods))
    snis = comma_list(annotations.get("konghq.com/snis", ""))
    if "konghq.com/snis" in annotations and snis:
        matcher.add(sni_matcher(snis))
    return matcher.expression(), ingress_priority(host, paths, regex_prefix, annotations)


def ingress_priority(host: str, paths: list[IngressPath], regex_prefix: str, annotations: dict[str, str]) -> int:
    """ingress_atc.go calculateIngressRoutePriorityTraits + EncodeToPriority."""
    match_fields = 1 if paths else 0
    has_regex = False
    max_len = 0
    for p in paths:
        length = 0
        if p.path_type == "Exact":
            has_regex = True
            length = 1 + len(p.path.lstrip("/").encode())
        elif p.path_type == "Prefix":
            has_regex = True
            base = p.path.strip("/")
            length = 1 if not base else 2 + len(base.encode())
        elif p.path_type == "ImplementationSpecific":
            if regex_prefix and p.path.startswith(regex_prefix):
                has_regex = True
                length = len(p.path[len(regex_prefix):].encode())
            else:
                length = len(p.path.encode())
        else:
            continue
        max_len = max(max_len, length)
    hosts = ([host] if host else []) + host_aliases(annotations)
    plain_host = False
    if hosts:
        match_fields += 1
        plain_host = not any(h.startswith("*") for h in hosts)
    headers, exists = extract_headers(annotations)
    header_count = 0
    if exists:
        match_fields += 1
        header_count = len(headers)
    if comma_list(annotations.get("konghq.com/methods", ""), upper=True):
        match_fields += 1
    if "konghq.com/snis" in annotations and comma_list(annotations["konghq.com/snis"]):
        match_fields += 1
    priority = min(max_len, (1 << 16) - 1)
    if has_regex:
        priority += 1 << 16
    if plain_host:
        priority += 1 << 32
    priority += min(header_count, 255) << 33
    priority += match_fields << 41
    priority += RESOURCE_KIND_INGRESS << FROM_RESOURCE_KIND_SHIFT
    return priority


def default_backend_expression() -> tuple[str, int]:
    """translate_ingress.go translateIngressDefaultBackendRoute: a catch-all prefix `/` route, priority 0."""
    return and_(Predicate(FIELD_HTTP_PATH, OP_PREFIX, "/")).expression(), INGRESS_DEFAULT_BACKEND_PRIORITY


def l4_expression(snis: list[str], ports: list[int]) -> tuple[str, int]:
    """l4route_atc.go ApplyExpressionToL4KongRoute: SNIs ORed, AND destination ports ORed; priority 1."""
    ports_m = or_(*(Predicate(FIELD_NET_DST_PORT, OP_EQUAL, p) for p in ports))
    return and_(sni_matcher(snis), ports_m).expression(), L4_ROUTE_PRIORITY
