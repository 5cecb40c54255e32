"""Type checks of a Kong Helm values file at the edge: every key `helm-values`, `check` and the chart model read.

A values file is user data: a list where a mapping is expected, an integer where a list is, `"80x"` as a port or
a listen string Kong cannot parse must be an error naming the key, the file and the line, never a traceback
deeper in (or a string iterated character by character, or a list written back as its Python repr).  Only
types and the shapes the chart template itself needs are checked here; what the values mean is left to the
chart model and the predictor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[Any], str | None]  # None: fine; else what is wrong


def _kind(value: Any) -> str:
    from migrate.loader import _kind_name

    return _kind_name(value)


def _int_port(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"is {_kind(value)} ({value!r}), expected an integer port 1-65535"
    if not 0 <= value <= 65535:  # 0: the chart's "no Service port" (http.servicePort: 0 on stream-only proxies)
        return f"is {value}, expected an integer port 1-65535"
    return None


def _bool(value: Any) -> str | None:
    # Helm reads YAML 1.1: `yes`/`on` are booleans; a quoted string is truthy.  Anything else is a mistake.
    if isinstance(value, bool | str) or value is None:
        return None
    return f"is {_kind(value)}, expected true or false"


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return None
    return f"is {_kind(value)}, expected a string"


def _scalar(value: Any) -> str | None:
    if value is None or isinstance(value, str | int | float | bool):
        return None
    return f"is {_kind(value)}, expected a string"


def _str_list(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, list):
        return f"is {_kind(value)}, expected a list of strings (e.g. [ssl])"
    bad = next((v for v in value if not isinstance(v, str)), _MISSING)
    if bad is not _MISSING:
        return f"holds {_kind(bad)} ({bad!r}), expected a list of strings"
    comma = next((v for v in value if "," in v), None)
    if comma is not None:  # the chart joins the flags into a listen string, where a comma starts another listen
        return f"holds {comma!r}: a comma would split the Kong listen the chart renders (one flag per item)"
    return None


def _listen(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return f"is {_kind(value)}, expected a Kong listen string"
    from migrate.kongstatus.listens import ListenSyntaxError, parse_listen

    try:
        parse_listen(value)
    except ListenSyntaxError as exc:
        return f"is not a Kong listen string: {exc}"
    return None


_MISSING = object()
_PORT_BLOCK: dict[str, Any] = {"enabled": _bool, "servicePort": _int_port, "containerPort": _int_port,
                               "nodePort": _int_port, "hostPort": _int_port, "parameters": _str_list,
                               "overrideServiceTargetPort": _int_port, "appProtocol": _str}
_STREAM_ENTRY: dict[str, Any] = {"containerPort": _int_port, "servicePort": _int_port, "nodePort": _int_port,
                                 "hostPort": _int_port, "protocol": _str, "parameters": _str_list}
_KONG: dict[str, Any] = {
    "proxy": {"enabled": _bool, "type": _str, "nameOverride": _str, "http": _PORT_BLOCK, "tls": _PORT_BLOCK,
              "stream": [_STREAM_ENTRY]},
    "udpProxy": {"enabled": _bool, "type": _str, "nameOverride": _str, "stream": [_STREAM_ENTRY]},
    "env": {"proxy_listen": _listen, "stream_listen": _listen, "admin_listen": _listen, "status_listen": _listen,
            "*": _scalar},
    "nameOverride": _str,
    "fullnameOverride": _str,
}
_CONTROLLER: dict[str, Any] = {
    "ingressController": {"enabled": _bool, "env": {"publish_service": _str, "publish_service_udp": _str,
                                                    "feature_gates": _str, "*": _scalar}},
}


def _walk(value: Any, schema: Any, path: tuple[Any, ...], out: list[tuple[tuple[Any, ...], str]]) -> None:
    if value is None:
        return  # null deletes the key in Helm's coalescing: the chart default applies
    if callable(schema):
        problem = schema(value)
        if problem:
            out.append((path, problem))
        return
    if isinstance(schema, list):
        if not isinstance(value, list):
            out.append((path, f"is {_kind(value)}, expected a list of mappings"))
            return
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                out.append(((*path, i), f"is {_kind(item)}, expected a mapping (containerPort, servicePort, "
                                        "protocol, parameters)"))
                continue
            _walk(item, schema[0], (*path, i), out)
            if schema[0] is _STREAM_ENTRY and item.get("containerPort") is None:
                out.append(((*path, i), "has no containerPort: the chart would render the listen '0.0.0.0:<nil>', "
                                        "which Kong refuses"))
        return
    if not isinstance(value, dict):
        out.append((path, f"is {_kind(value)}, expected a mapping"))
        return
    for key, sub in value.items():
        rule = schema.get(key, schema.get("*"))
        if rule is not None:
            _walk(sub, rule, (*path, key), out)


def values_problems(values: Any, chart: str = "kong") -> list[tuple[tuple[Any, ...], str]]:
    """(key path, problem) for every key of the values whose type the tools (and the chart) cannot use."""
    from migrate.loader import _unsupported_at

    out: list[tuple[tuple[Any, ...], str]] = []
    if not isinstance(values, dict):
        return [((), f"is {_kind(values)}, expected a mapping of values")]
    found = _unsupported_at(values, ())
    if found is not None:
        out.append((found[0], f"is {_kind(found[1])}; Helm values hold plain YAML values"))
    kong_key, controller_key = ("gateway", "controller") if chart == "ingress" else (None, None)
    kong = values.get(kong_key) if kong_key else values
    controller = values.get(controller_key) if controller_key else values
    prefix = (kong_key,) if kong_key else ()
    if kong_key and kong is not None and not isinstance(kong, dict):
        out.append((prefix, f"is {_kind(kong)}, expected a mapping"))
    elif isinstance(kong, dict):
        _walk(kong, _KONG, prefix, out)
    cprefix = (controller_key,) if controller_key else ()
    if controller_key and controller is not None and not isinstance(controller, dict):
        out.append((cprefix, f"is {_kind(controller)}, expected a mapping"))
    elif isinstance(controller, dict):
        _walk(controller, _CONTROLLER, cprefix, out)
    return out


def check_values(values: Any, text: str, file: str, chart: str = "kong") -> list[str]:
    """Messages naming file, line and key for every problem of `values_problems` (empty when fine)."""
    from migrate.loader import _Source, field_path

    problems = values_problems(values, chart)
    if not problems:
        return []
    src = _Source(file, text)
    messages = []
    for path, problem in problems:
        line = src.line_of(0, path)
        where = f"{file} line {line}" if line else file
        messages.append(f"{where}: {field_path(path) or 'the values'} {problem}")
    return messages


def refuse_bad_values(values: Any, text: str, file: str, chart: str = "kong") -> None:
    """Print every type problem of the values file and exit 2 (nothing written), or return."""
    import typer

    messages = check_values(values, text, file, chart)
    for message in messages:
        typer.echo(f"migrate: input error: {message}", err=True)
    if messages:
        typer.echo(f"migrate: error: {file}: {len(messages)} value(s) of the wrong type: nothing written", err=True)
        raise typer.Exit(2)
