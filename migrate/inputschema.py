"""Type checks at the edge for the Kubernetes objects whose fields the tools read as typed data: Gateway API
routes and Gateways (the `--after` side of verify, the input of helm-values/check), Services, and the Ingress side
that convert reads (Ingress, TCPIngress, UDPIngress, KongIngress, KongPlugin, KongClusterPlugin, IngressClass,
Secret; metadata is the loader's own object_problem).

Only JSON types (and the integer ranges the API server's schema enforces) are checked: an object the API
server would refuse outright (`matches: "abc"`, a path value of 5, a weight of -5 or 1e400, `filters` as a
mapping, a port of "80x", Ingress `rules` as a string or `tls[0].hosts` as a mapping) is reported with its field
path and line and is not read, instead of being half-understood further in.  What the values mean (a port out of
1-65535, a host that is no DNS name) is left to the models, which report it per path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Rule = Any  # a check function, a {field: Rule} mapping ("*": any other field), or [Rule] for a list of it


def _kind(value: Any) -> str:
    from migrate.loader import _kind_name

    return _kind_name(value)


def _str(value: Any) -> str | None:
    return None if isinstance(value, str) else f"is {_kind(value)}, expected a string"


def _int(low: int, high: int, what: str = "") -> Callable[[Any], str | None]:
    """An integer in low-high; `what` names a Go integer type whose range it is (no range is shown then)."""
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            shown = f" ({value!r})" if isinstance(value, str | float) else ""
            return f"is {_kind(value)}{shown}, expected an integer" + ("" if what else f" {low}-{high}")
        if not low <= value <= high:
            return f"is {value}, out of range {low}-{high}" if not what else f"is {value}, too large for an {what}"
        return None
    return check


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"is {_kind(value)}, expected true or false"


def _number(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return None
    return f"is {_kind(value)}, expected a number"


def _int_or_str(value: Any) -> str | None:
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return None
    return f"is {_kind(value)}, expected a port number or name"


def _map(value: Any) -> str | None:
    return None if isinstance(value, dict) else f"is {_kind(value)}, expected a mapping"


PORT = _int(1, 65535)
# Service and listener ports: only the type here; the range is each command's own, named error.
ANY_INT = _int(-(2**63), 2**63 - 1, "int64")
INT32 = _int(-(2**31), 2**31 - 1, "int32")
_REF = {"group": _str, "kind": _str, "name": _str, "namespace": _str, "sectionName": _str, "port": PORT}
_BACKEND = {**_REF, "weight": _int(0, 1_000_000), "filters": [{"type": _str}]}
_NAME_VALUE = [{"name": _str, "value": _str, "type": _str}]
_HTTP_MATCH = {"path": {"type": _str, "value": _str}, "headers": _NAME_VALUE, "queryParams": _NAME_VALUE,
               "method": _str}
_GRPC_MATCH = {"method": {"type": _str, "service": _str, "method": _str}, "headers": _NAME_VALUE}
_FILTER = [{"type": _str, "requestHeaderModifier": _map, "responseHeaderModifier": _map, "requestRedirect": _map,
            "urlRewrite": _map, "requestMirror": _map, "extensionRef": _map}]
_COMMON = {"parentRefs": [_REF], "hostnames": [_str]}
_SCHEMAS: dict[str, Rule] = {
    "HTTPRoute": {"spec": {**_COMMON, "rules": [{"name": _str, "matches": [_HTTP_MATCH], "filters": _FILTER,
                                                 "backendRefs": [_BACKEND], "timeouts": {"request": _str,
                                                                                        "backendRequest": _str}}]}},
    "GRPCRoute": {"spec": {**_COMMON, "rules": [{"name": _str, "matches": [_GRPC_MATCH], "filters": _FILTER,
                                                 "backendRefs": [_BACKEND]}]}},
    "TCPRoute": {"spec": {**_COMMON, "rules": [{"name": _str, "backendRefs": [_BACKEND]}]}},
    "UDPRoute": {"spec": {**_COMMON, "rules": [{"name": _str, "backendRefs": [_BACKEND]}]}},
    "TLSRoute": {"spec": {**_COMMON, "rules": [{"name": _str, "backendRefs": [_BACKEND]}]}},
    "GatewayClass": {"spec": {"controllerName": _str}},
    "Gateway": {"spec": {"gatewayClassName": _str, "listeners": [{"name": _str, "port": ANY_INT, "protocol": _str,
                                                                  "hostname": _str, "tls": _map,
                                                                  "allowedRoutes": _map}]}},
}
_SERVICE = {"spec": {"type": _str, "externalName": _str,
                     "ports": [{"name": _str, "port": ANY_INT, "targetPort": _int_or_str, "protocol": _str,
                                "nodePort": ANY_INT}]}}
GATEWAY_GROUP = "gateway.networking.k8s.io/"

# The Ingress side (issue 13): networking.k8s.io/v1 and its v1beta1 predecessors (their backend form); a v1
# Ingress's v1beta1-only fields are pruned by the API server, so they are the converter's warning, not typed here.
_INGRESS_TLS = [{"hosts": [_str], "secretName": _str}]
_RESOURCE = {"apiGroup": _str, "kind": _str, "name": _str}
_V1_BACKEND = {"service": {"name": _str, "port": {"name": _str, "number": INT32}}, "resource": _RESOURCE}
_V1BETA1_BACKEND = {"serviceName": _str, "servicePort": _int_or_str, "resource": _RESOURCE}


def _ingress(backend: Rule, *default_keys: str) -> Rule:
    rules = [{"host": _str, "http": {"paths": [{"path": _str, "pathType": _str, "backend": backend}]}}]
    return {"spec": {"ingressClassName": _str, **dict.fromkeys(default_keys, backend), "rules": rules,
                     "tls": _INGRESS_TLS}}


_HEADERS = {"*": [_str]}
_STATUSES = [ANY_INT]
_HEALTH = {"http_statuses": _STATUSES, "interval": ANY_INT, "successes": ANY_INT, "http_failures": ANY_INT,
           "tcp_failures": ANY_INT, "timeouts": ANY_INT}
_SECRET_KEY_REF = {"secretKeyRef": {"name": _str, "key": _str, "namespace": _str}}
_KONG_PLUGIN = {"plugin": _str, "config": _map, "configFrom": _SECRET_KEY_REF,
                "configPatches": [{"path": _str, "valueFrom": _SECRET_KEY_REF}], "consumerRef": _str,
                "disabled": _bool, "instance_name": _str, "ordering": {"before": _HEADERS, "after": _HEADERS},
                "protocols": [_str], "run_on": _str}
_L4_RULE = {"host": _str, "port": INT32, "backend": {"serviceName": _str, "servicePort": _int_or_str}}
# (API version, kind) -> rule; the configuration.konghq.com CRDs' types (servicePort may name a port, as the
# converter resolves it)
_INGRESS_SIDE: dict[tuple[str, str], Rule] = {
    ("networking.k8s.io/v1", "Ingress"): _ingress(_V1_BACKEND, "defaultBackend"),
    ("networking.k8s.io/v1beta1", "Ingress"): _ingress(_V1BETA1_BACKEND, "backend", "defaultBackend"),
    ("extensions/v1beta1", "Ingress"): _ingress(_V1BETA1_BACKEND, "backend", "defaultBackend"),
    ("networking.k8s.io/v1", "IngressClass"): {"spec": {"controller": _str, "parameters": _map}},
    ("configuration.konghq.com/v1beta1", "TCPIngress"): {"spec": {"rules": [_L4_RULE], "tls": _INGRESS_TLS}},
    ("configuration.konghq.com/v1beta1", "UDPIngress"): {"spec": {"rules": [_L4_RULE]}},
    ("configuration.konghq.com/v1", "KongPlugin"): _KONG_PLUGIN,
    ("configuration.konghq.com/v1", "KongClusterPlugin"): _KONG_PLUGIN,
    ("configuration.konghq.com/v1", "KongIngress"): {
        "route": {"methods": [_str], "headers": _HEADERS, "protocols": [_str], "regex_priority": ANY_INT,
                  "strip_path": _bool, "preserve_host": _bool, "https_redirect_status_code": ANY_INT,
                  "path_handling": _str, "request_buffering": _bool, "response_buffering": _bool, "snis": [_str]},
        "proxy": {"protocol": _str, "path": _str, "retries": ANY_INT, "connect_timeout": ANY_INT,
                  "read_timeout": ANY_INT, "write_timeout": ANY_INT},
        "upstream": {"algorithm": _str, "host_header": _str, "slots": ANY_INT, "hash_on": _str, "hash_fallback": _str,
                     **dict.fromkeys(("hash_on_header", "hash_on_cookie", "hash_on_cookie_path", "hash_on_query_arg",
                                      "hash_on_uri_capture", "hash_fallback_header", "hash_fallback_query_arg",
                                      "hash_fallback_uri_capture"), _str),
                     "healthchecks": {"threshold": _number,
                                      "active": {"concurrency": ANY_INT, "headers": _HEADERS, "http_path": _str,
                                                 "https_sni": _str, "https_verify_certificate": _bool,
                                                 "timeout": ANY_INT, "type": _str, "healthy": _HEALTH,
                                                 "unhealthy": _HEALTH},
                                      "passive": {"type": _str, "healthy": _HEALTH, "unhealthy": _HEALTH}}}},
    ("v1", "Secret"): {"type": _str},
}


def _walk(value: Any, rule: Rule, path: tuple[Any, ...]) -> tuple[tuple[Any, ...], str] | None:
    if value is None:
        return None  # an absent field, as the API server reads a JSON null
    if callable(rule):
        problem = rule(value)
        return (path, problem) if problem else None
    if isinstance(rule, list):
        if not isinstance(value, list):
            return path, f"is {_kind(value)}, expected a list"
        for i, item in enumerate(value):
            found = _walk(item, rule[0], (*path, i))
            if found:
                return found
        return None
    if not isinstance(value, dict):
        return path, f"is {_kind(value)}, expected a mapping"
    if "*" in rule:  # a mapping of any keys, each value of this rule
        for key, item in value.items():
            found = _walk(item, rule["*"], (*path, key))
            if found:
                return found
        return None
    for key, sub in rule.items():
        if key in value:
            found = _walk(value[key], sub, (*path, key))
            if found:
                return found
    return None


def schema_problem(obj: dict[str, Any]) -> tuple[tuple[Any, ...], str] | None:
    """The first field of `obj` whose JSON type the API server's schema refuses (path, problem), or None."""
    kind = obj.get("kind")
    api = obj.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api, str):
        return None
    if kind == "Service" and api == "v1":
        return _walk(obj, _SERVICE, ())
    rule = _INGRESS_SIDE.get((api, kind))
    if rule is not None:
        return _walk(obj, rule, ())
    rule = _SCHEMAS.get(kind)
    if rule is None or not api.startswith(GATEWAY_GROUP):
        return None
    return _walk(obj, rule, ())
