"""Type checks at the edge for the Kubernetes objects whose fields the tools read as typed data: Gateway API
routes and Gateways (the `--after` side of verify, the input of helm-values/check) and Services.

Only JSON types (and the integer ranges the API server's schema enforces) are checked: an object the API
server would refuse outright (`matches: "abc"`, a path value of 5, a weight of -5 or 1e400, `filters` as a
mapping, a port of "80x") is reported with its field path and is not read, instead of being half-understood
further in.  What the values mean is left to the models.
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


def _int(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            shown = f" ({value!r})" if isinstance(value, str | float) else ""
            return f"is {_kind(value)}{shown}, expected an integer {low}-{high}"
        if not low <= value <= high:
            return f"is {value}, out of range {low}-{high}"
        return None
    return check


def _int_or_str(value: Any) -> str | None:
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return None
    return f"is {_kind(value)}, expected a port number or name"


def _map(value: Any) -> str | None:
    return None if isinstance(value, dict) else f"is {_kind(value)}, expected a mapping"


PORT = _int(1, 65535)
# Service and listener ports: only the type here; the range is each command's own, named error.
ANY_INT = _int(-(2**63), 2**63 - 1)
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
_SERVICE = {"spec": {"type": _str, "ports": [{"name": _str, "port": ANY_INT, "targetPort": _int_or_str,
                                              "protocol": _str, "nodePort": ANY_INT}]}}
GATEWAY_GROUP = "gateway.networking.k8s.io/"


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
    rule = _SCHEMAS.get(kind)
    if rule is None or not api.startswith(GATEWAY_GROUP):
        return None
    return _walk(obj, rule, ())
