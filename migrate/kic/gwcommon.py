"""Shared pieces of the Gateway API translators: KIC-version eras, backendRefs, ReferenceGrants, ATC expressions.

Facts from Kong/kubernetes-ingress-controller (tags cited per helper; `v3.5.13` unless stated):

* backendRefs (internal/dataplane/translator/subtranslator/backendref.go `backendRefsToKongStateBackends`): a ref
  without `kind` is skipped (KIC's objects are not CRD-defaulted in its store of raw test objects, and the model
  reads what it is given); kind other than `Service`, a missing Service, a group other than core, or a
  cross-namespace ref without a ReferenceGrant are skipped; no port = -1 (the later port lookup fails).
* ReferenceGrants (internal/gatewayapi/references.go `GetPermittedForReferenceGrantFrom`, `isRefAllowedByGrant`):
  the grant's `from` must equal {group, kind, namespace} of the route exactly; `to` matches group and kind, and
  name when set.
* ATC (internal/dataplane/translator/atc/*.go): an And/Or of one non-empty sub-matcher is that sub-matcher; of
  several, each parenthesised and joined by ` && ` / ` || `; empty sub-matchers are dropped.  String literals
  escape backslash, quote, newline, CR and tab.

KIC-version eras (checked tag by tag, `git grep` over v3.4.0..v3.5.13):

* listener-derived route protocols (`protocolsFromHTTPRoutesGatewayListeners`, `getProtocolsForKongRoute`):
  v3.4.14-v3.4.20 (backport) and v3.5.7+.
* HTTPRoute/GRPCRoute expression routes with explicit `protocols: [http, https]`: v3.4.12-v3.4.13 and
  v3.5.5-v3.5.6; before that (v3.4.0-v3.4.11, v3.5.0-v3.5.4) no protocols.  Traditional HTTPRoute routes have
  explicit `[http, https]` wherever listener protocols are not derived.
* the "no existing backendRef provided" request-termination on GRPC/L4 services only for http/grpc protocols:
  v3.4.9-v3.4.20 and v3.5.2+ (before: on every service, tcp/udp included).
* unsupported HTTPRoute filters: v3.4.0-v3.4.4 only RequestMirror fails; v3.4.5-v3.4.20 RequestMirror and
  CORS; v3.5.0+ every type not translated (others are silently ignored before).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from migrate.kic.settings import KICSettings, Version
from migrate.kic.store import Obj, Store

GATEWAY_GROUP = "gateway.networking.k8s.io"
DEFAULT_TIMEOUT_MS = 60000
UNSET_WEIGHT = 100  # KIC leaves the targets of a backend without weight at Kong's default target weight


# --- versions ---------------------------------------------------------------------------------------------

def _between(v: Version, lo: Version, hi: Version) -> bool:
    return lo <= v <= hi


def listener_protocols(settings: KICSettings) -> bool:
    """Route protocols come from the parent listeners (v3.4.14-v3.4.20 backport, v3.5.7+)."""
    return settings.listener_protocols


def expression_http_protocols(settings: KICSettings) -> bool:
    """Expression routes of HTTPRoutes/GRPCRoutes carry an explicit [http, https] (v3.4.12-13, v3.5.5-6)."""
    v = settings.kic_version
    return _between(v, (3, 4, 12), (3, 4, 13)) or _between(v, (3, 5, 5), (3, 5, 6))


def alternative_protocols(settings: KICSettings, protocols: list[str] | None,
                          protocols_for: Callable[[KICSettings], list[str] | None]) -> tuple[list[str] | None, ...]:
    """`Route.alternative_protocols`: what KICSettings.alternative_version starts a route with
    (`protocols_for` that version's settings), when it differs from `protocols`."""
    if settings.alternative_version is None:
        return ()
    other = protocols_for(replace(settings, kic_version=settings.alternative_version))
    return () if other == protocols else (other,)


def termination_only_http(settings: KICSettings) -> bool:
    """The missing-backend request-termination only on http/grpc services (v3.4.9-v3.4.20, v3.5.2+)."""
    v = settings.kic_version
    return _between(v, (3, 4, 9), (3, 4, 999)) or v >= (3, 5, 2)


def unsupported_filter(settings: KICSettings, filter_type: str) -> bool:
    """Whether an HTTPRoute filter type outside KIC's translated set fails the rule group."""
    v = settings.kic_version
    if v >= (3, 5, 0):
        return True
    if v >= (3, 4, 5):
        return filter_type in ("RequestMirror", "CORS")
    return filter_type == "RequestMirror"


def redirect_plugin(settings: KICSettings) -> bool:
    """Kong >= 3.9: KIC translates RequestRedirect into Kong's `redirect` plugin (translator.go SupportRedirectPlugin)."""
    return settings.kong_version >= (3, 9, 0)


# --- raw field access -------------------------------------------------------------------------------------

def json_copy(value: Any) -> Any:
    """A copy of parsed YAML/JSON data (dicts, lists, immutable scalars), several times cheaper than deepcopy;
    scalars are shared (they cannot change)."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def opt_str(value: Any) -> str | None:
    """A Go `*string`: None when absent; scalars as text."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def opt_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def group_of(obj: Obj) -> str:
    api = str(obj.raw.get("apiVersion") or "")
    return api.split("/", 1)[0] if "/" in api else ""


# --- ReferenceGrants and backendRefs ----------------------------------------------------------------------

def permitted_tos(store: Store, group: str, kind: str, namespace: str) -> dict[str, list[dict[str, Any]]]:
    """Namespace -> ReferenceGrant `to` entries whose grant has a `from` equal to (group, kind, namespace)."""
    return _grants_by_from(store).get((group, kind, namespace), {})


def _grants_by_from(store: Store) -> dict[tuple[str, str, str], dict[str, list[dict[str, Any]]]]:
    """Every ReferenceGrant indexed by its `from` entries, built once per store (one scan, not one per route)."""
    index = store.memo.get("grants-by-from")
    if index is None:
        index = {}
        for grant in store.list("ReferenceGrant"):
            tos = [as_dict(t) for t in as_list(grant.spec.get("to"))]
            for frm in as_list(grant.spec.get("from")):
                f = as_dict(frm)
                key = (str(f.get("group") or ""), str(f.get("kind") or ""), str(f.get("namespace") or ""))
                index.setdefault(key, {}).setdefault(grant.namespace, []).extend(tos)
        store.memo["grants-by-from"] = index
    return index


def ref_allowed(allowed: dict[str, list[dict[str, Any]]], namespace: str, name: str, group: str, kind: str) -> bool:
    for to in allowed.get(namespace, []):
        if str(to.get("group") or "") == group and str(to.get("kind") or "") == kind:
            to_name = opt_str(to.get("name"))
            if to_name is None or to_name == name:
                return True
    return False


@dataclass(frozen=True)
class Backend:
    namespace: str
    name: str
    port: int  # -1: no port given
    weight: int | None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}:{self.port}"


def resolve_backends(store: Store, route: Obj, refs: list[dict[str, Any]]) -> list[Backend]:
    """KIC's backendRefsToKongStateBackends: the refs that become Kong targets, in order."""
    allowed = permitted_tos(store, group_of(route), route.kind, route.namespace)
    out: list[Backend] = []
    for ref in refs:
        name = str(ref.get("name") or "")
        ns_given = opt_str(ref.get("namespace"))
        namespace = ns_given if ns_given is not None else route.namespace
        kind = opt_str(ref.get("kind"))
        if kind is None or kind != "Service":
            continue
        if store.get("Service", namespace, name) is None:
            continue
        group = opt_str(ref.get("group"))
        if (group or "core") != "core":
            continue
        if (ns_given is not None and ns_given != route.namespace
                and not ref_allowed(allowed, namespace, name, group or "", kind)):
            continue
        port = opt_int(ref.get("port"))
        weight = opt_int(ref.get("weight")) if "weight" in ref else None
        out.append(Backend(namespace, name, -1 if port is None else port, weight))
    return out


def backend_tuples(backends: list[Backend]) -> tuple[tuple[str, int], ...]:
    return tuple((b.key, UNSET_WEIGHT if b.weight is None else b.weight) for b in backends)


TERMINATION_CONFIG = {"status_code": 500, "message": "no existing backendRef provided"}


# --- Go durations -----------------------------------------------------------------------------------------

_DURATION_UNITS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "μs": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0,
                   "h": 3600000.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def go_duration_ms(text: str) -> int | None:
    """Go's time.ParseDuration(text).Milliseconds(); None when Go would return an error."""
    s = text.strip()
    sign = 1
    if s[:1] in "+-" and s:
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        return None
    pos = 0
    total = 0.0
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if not m:
            return None
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    return sign * int(total)


# --- ATC expressions --------------------------------------------------------------------------------------

def atc_literal(value: str) -> str:
    v = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
         .replace("\t", "\\t"))
    return f'"{v}"'


def atc_pred(field: str, op: str, value: str | int) -> str:
    return f"{field} {op} {value if isinstance(value, int) else atc_literal(value)}"


def atc_join(op: str, parts: list[str]) -> str:
    live = [p for p in parts if p]
    if len(live) == 1:
        return live[0]
    return f" {op} ".join(f"({p})" for p in live)


def atc_and(*parts: str) -> str:
    return atc_join("&&", list(parts))


def atc_or(*parts: str) -> str:
    return atc_join("||", list(parts))


# RE2 patterns from subtranslator/ingress_atc.go; `(x+(-x+)*)+` rewritten to the same language without the
# nested repetition (Python's backtracking engine would be exponential on it).
_LABEL = r"[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*"
VALID_HOST = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*(?:\.\*)?")
VALID_SNI = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
VALID_METHOD = re.compile(r"[A-Z]+")

CATCH_ALL_HTTP_EXPRESSION = '(net.protocol == "http") || (net.protocol == "https")'
KIND_BITS_SHIFT = 44
KIND_BITS_HTTPROUTE = 2
KIND_BITS_GRPCROUTE = 1


def host_matcher(hosts: list[str]) -> str:
    parts = []
    for host in hosts:
        if not VALID_HOST.fullmatch(host):
            continue
        if host.startswith("*"):
            parts.append(atc_pred("http.host", "=^", host[1:]))
        else:
            parts.append(atc_pred("http.host", "==", host))
    return atc_or(*parts)


def sni_matcher(snis: list[str]) -> str:
    return atc_or(*[atc_pred("tls.sni", "==", s) for s in snis if VALID_SNI.fullmatch(s)])


def method_matcher(methods: list[str]) -> str:
    return atc_or(*[atc_pred("http.method", "==", m) for m in methods if VALID_METHOD.fullmatch(m)])


def header_field(name: str) -> str:
    return "http.headers." + name.replace("-", "_").lower()


def comma_list(value: str) -> list[str]:
    """annotations.go extractCommaDelimitedStrings."""
    return [v.strip() for v in value.split(",") if v.strip()]


def annotation_snis(obj: Obj) -> list[str]:
    raw = obj.annotations.get("konghq.com/snis")
    return comma_list(raw) if raw is not None else []


def age_sort_key(obj: Obj) -> tuple[str, str, str]:
    """KIC's relative order of routes: creation timestamp (absent = zero time, first), namespace, name."""
    return obj.age_key()
