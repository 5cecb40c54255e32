"""Merge a plan's values into a user's values file, keeping every other key, comment and the order.

Round-trip ruamel: only the keys the plan owns change (proxy http/tls ports and switches, the stream
lists, udpProxy's switch, the controller's feature gate and UDP publish Service, env listen overrides).
User-set stream parameters survive unless they contradict the listener (`ssl` on TCP, TCP-only flags on
UDP).  Every change that removes something the user wrote is returned as a note.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from generators.chart import KONG_DEFAULTS
from generators.plan import PortPlan, StreamPort
from generators.values import Target, plan_values, with_gate

# nginx's stream `listen` rejects these together with `udp` (REFERENCE §7).
UDP_INCOMPATIBLE = ("ssl", "backlog", "so_keepalive", "proxy_protocol")


class MergeError(ValueError):
    pass


def _deep_last(node: Any) -> tuple[Any, Any] | None:
    """(container, key) of the last scalar in a subtree: where ruamel hangs the comments that follow it."""
    while True:
        if isinstance(node, dict) and node:
            key: Any = list(node)[-1]
        elif isinstance(node, list) and node:
            key = len(node) - 1
        else:
            return None
        child = node[key]
        if isinstance(child, (dict, list)) and child:
            node = child
            continue
        return node, key


def _slot(container: Any) -> int:
    return 2 if isinstance(container, dict) else 0


def detach_tail(node: Any) -> str:
    """Cut the comment lines that follow a subtree (they belong before the next key) off its last scalar."""
    pos = _deep_last(node)
    if pos is None or not hasattr(pos[0], "ca"):
        return ""
    container, key = pos
    item = container.ca.items.get(key)
    tok = item[_slot(container)] if item else None
    if tok is None or "\n" not in tok.value:
        return ""
    head, _, tail = tok.value.partition("\n")
    tok.value = head + "\n"
    return tail


def attach_tail(node: Any, tail: str) -> None:
    if not tail:
        return
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    pos = _deep_last(node)
    if pos is None or not hasattr(pos[0], "ca"):
        return
    container, key = pos
    item = container.ca.items.setdefault(key, [None, None, None, None])
    slot = _slot(container)
    if item[slot] is None:
        item[slot] = CommentToken("\n" + tail, CommentMark(0), None)
    else:
        item[slot].value = item[slot].value.rstrip("\n") + "\n" + tail


@dataclass
class MergeResult:
    text: str
    values: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _rt() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _map(parent: Any, key: str, path: str) -> Any:
    from ruamel.yaml.comments import CommentedMap

    if key not in parent or parent[key] is None:
        parent[key] = CommentedMap()
    node = parent[key]
    if not isinstance(node, dict):
        raise MergeError(f"{path}{key} is a {type(node).__name__}, not a mapping")
    return node


def _set(node: Any, key: str, value: Any, default: Any) -> None:
    """Set `key` only where it changes the effective value: absent keys at the wanted default stay absent."""
    if key in node:
        if node[key] != value or type(node[key]) is not type(value):
            node[key] = value
    elif value != default:
        node[key] = value


def _set_path(root: Any, path: tuple[str, ...], value: Any, default: Any) -> None:
    """`_set` at a nested path, creating the parent mappings only when something must be written."""
    node = root
    for i, key in enumerate(path[:-1]):
        child = node.get(key)
        if not isinstance(child, dict):
            if value == default and key not in node:
                return
            child = _map(node, key, ".".join(path[:i]) + ("." if i else ""))
        node = child
    _set(node, path[-1], value, default)


def guess_indent(text: str) -> tuple[int, int]:
    """(mapping indent, sequence dash offset) the file uses, so untouched lines keep their bytes."""
    import re

    mapping, offset = 0, -1
    prev_key_indent: int | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if line.lstrip().startswith("- "):
            if prev_key_indent is not None and offset < 0:
                offset = indent - prev_key_indent
            prev_key_indent = None
            continue
        if re.match(r"^\s*[^\s#'\"][^:]*:\s*(#.*)?$", line):
            if prev_key_indent is not None and mapping == 0 and indent > prev_key_indent:
                mapping = indent - prev_key_indent
            prev_key_indent = indent
        else:
            prev_key_indent = None
    return mapping or 2, max(offset, 0)


def _protocol_class(entry: Any, default: str) -> str:
    proto = entry.get("protocol") if isinstance(entry, dict) else None
    return "UDP" if (proto or default) == "UDP" else "TCP"


def _stream_params(old: list[str], s: StreamPort, path: str, notes: list[str], reset: bool) -> list[str]:
    if reset:
        return ["ssl"] if s.ssl else []
    params = [str(p) for p in old]
    if s.ssl and "ssl" not in params:
        params.insert(0, "ssl")
    if not s.ssl and "ssl" in params:
        params.remove("ssl")
        notes.append(f"{path}: removed `ssl` (a {s.gateway_protocol} listener must not terminate TLS)")
    if s.protocol == "UDP":
        dropped = [p for p in params if p.split("=")[0] in UDP_INCOMPATIBLE]
        if dropped:
            params = [p for p in params if p not in dropped]
            notes.append(f"{path}: removed {', '.join(dropped)} (incompatible with `udp` in nginx's stream listen)")
    return params


def _match(pool: list[tuple[str, Any]], s: StreamPort) -> int | None:
    return next((i for i, (where, e) in enumerate(pool)
                 if isinstance(e, dict) and s.port in (e.get("containerPort"), e.get("servicePort"))
                 and _protocol_class(e, "UDP" if where == "udpProxy.stream" else "TCP") == s.protocol), None)


def _apply_stream(entry: Any, s: StreamPort, path: str, notes: list[str], reset: bool) -> None:
    entry["containerPort"] = s.port
    entry["servicePort"] = s.port
    entry["protocol"] = s.protocol
    params = _stream_params(list(entry.get("parameters") or []), s, f"{path} entry {s.port}/{s.protocol}",
                            notes, reset)
    if (params or "parameters" in entry) and list(entry.get("parameters") or []) != params:
        entry["parameters"] = params


def _merge_streams(owner: Any, key: str, plan_ports: list[StreamPort], pool: list[tuple[str, Any]], path: str,
                   notes: list[str], reset: bool) -> None:
    """--prune: the list becomes exactly the plan's entries (matching user entries reused, with their keys)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    old = owner.get(key)
    seq = CommentedSeq()
    for s in plan_ports:
        match = _match(pool, s)
        entry = pool.pop(match)[1] if match is not None else CommentedMap()
        _apply_stream(entry, s, f"{path}{key}", notes, reset)
        seq.append(entry)
    if old is None and not seq:
        return
    if isinstance(old, list) and len(old) == len(seq) and all(a is b for a, b in zip(old, seq, strict=True)):
        return  # unchanged: keep the user's sequence and its comments
    if not seq and hasattr(owner, "ca"):
        owner.ca.items.pop(key, None)  # the comments of the removed entries go with them
    owner[key] = seq


def _add_streams(proxy: Any, kong: Any, plan: PortPlan, kong_path: str, notes: list[str], reset: bool) -> bool:
    """Additive: every plan entry is updated where the file has it, else appended to the plan's list; every
    other entry stays where it is.  Returns whether a UDP listener's entry lives in udpProxy.stream."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    udp_node = kong.get("udpProxy") if isinstance(kong.get("udpProxy"), dict) else None
    pool: list[tuple[str, Any]] = [("proxy.stream", e) for e in (proxy.get("stream") or [])]
    pool += [("udpProxy.stream", e) for e in ((udp_node or {}).get("stream") or [])]
    in_udp_proxy = False
    separate = plan.separate_udp
    taken: dict[int, str] = {}
    for hp, kind in ((plan.http, "HTTP"), (plan.https, "HTTPS")):
        if hp is not None:
            taken.setdefault(hp.service_port, f"the {kind} listeners (Service port {hp.service_port})")
            taken.setdefault(hp.container_port, f"the {kind} listen (container port {hp.container_port})")
    for s in plan.streams:
        taken.setdefault(s.port, f"the {s.gateway_protocol} listener on {s.port}")
    for s in plan.streams:
        match = _match(pool, s)
        if match is not None:
            where, entry = pool.pop(match)
            _apply_stream(entry, s, f"{kong_path}{where}", notes, reset)
            in_udp_proxy |= where == "udpProxy.stream"
            continue
        if s in separate:
            owner = _map(kong, "udpProxy", kong_path)
            if not _enabled(owner, False):
                owner["enabled"] = True
        else:
            owner = proxy
        if not isinstance(owner.get("stream"), list):
            owner["stream"] = CommentedSeq()
        entry = CommentedMap()
        _apply_stream(entry, s, f"{kong_path}{'udpProxy' if s in separate else 'proxy'}.stream", notes, reset)
        owner["stream"].append(entry)
        in_udp_proxy |= s in separate
    # An entry kept for today's traffic must not sit on a port number the Gateways now need for another kind:
    # one Service cannot carry a port twice, Kong cannot bind one twice, and KIC maps ports by number only.
    ssl_ports = {s.port for s in plan.streams if s.ssl}
    for where, e in pool:
        if not isinstance(e, dict):
            continue
        udp = _protocol_class(e, "UDP" if where == "udpProxy.stream" else "TCP") == "UDP"
        for key in ("servicePort", "containerPort"):
            port = e.get(key)
            if port not in taken:
                continue
            if udp and where == "udpProxy.stream" and port not in ssl_ports:
                continue  # its own Service, and Kong binds UDP apart from TCP
            raise MergeError(f"{kong_path}{where} entry {e.get('servicePort')}->{e.get('containerPort')}/"
                             f"{'UDP' if udp else 'TCP'} is served today, but port {port} is needed by {taken[port]}: "
                             "both cannot be served (one Service port and one listen per number; Kong's controller "
                             "maps ports by number only). Move the Gateway listener to another port, or pass --prune "
                             "to replace the entry")
    return in_udp_proxy


def _refuse_aliases(root: Any, target: Target) -> None:
    """An anchored, aliased or merge-key (`<<: *x`) node the merge would edit is shared with other keys:
    editing it would change them too (another Service's port, say).  Refuse, naming the node."""
    def check(node: Any, path: str) -> None:
        if not isinstance(node, (dict, list)):
            return
        anchor = getattr(getattr(node, "anchor", None), "value", None)
        if anchor:
            raise MergeError(f"{path} is the YAML anchor &{anchor}: the merge would edit every place that uses "
                             f"*{anchor} as well. Write {path} out in full (no anchor) and run again")
        merged = getattr(node, "merge", None)
        if merged:
            raise MergeError(f"{path} takes keys from a YAML merge key (<<: *...): editing them would change the "
                             f"anchored mapping and every other user of it. Write {path} out in full and run again")

    kong_path = "".join(f"{p}." for p in target.kong_prefix)
    kong = root
    for p in target.kong_prefix:
        check(kong.get(p) if isinstance(kong, dict) else None, p)
        kong = kong.get(p) if isinstance(kong, dict) else None
    if not isinstance(kong, dict):
        return
    check(kong, kong_path.rstrip(".") or "(the file)")
    proxy = kong.get("proxy")
    check(proxy, f"{kong_path}proxy")
    if isinstance(proxy, dict):
        for k in ("http", "tls", "stream"):
            check(proxy.get(k), f"{kong_path}proxy.{k}")
        for i, e in enumerate(proxy.get("stream") or []):
            check(e, f"{kong_path}proxy.stream[{i}]")
    udp = kong.get("udpProxy")
    check(udp, f"{kong_path}udpProxy")
    if isinstance(udp, dict):
        check(udp.get("stream"), f"{kong_path}udpProxy.stream")
        for i, e in enumerate(udp.get("stream") or []):
            check(e, f"{kong_path}udpProxy.stream[{i}]")
    check(kong.get("env"), f"{kong_path}env")
    ctrl = root
    cpath = ""
    for p in target.controller_prefix:
        ctrl = ctrl.get(p) if isinstance(ctrl, dict) else None
        cpath += f"{p}."
        check(ctrl, cpath.rstrip("."))
    if isinstance(ctrl, dict):
        ic = ctrl.get("ingressController")
        check(ic, f"{cpath}ingressController")
        if isinstance(ic, dict):
            check(ic.get("env"), f"{cpath}ingressController.env")


def _enabled(block: Any, default: bool) -> bool:
    from generators.valuesfile import helm_bool

    if not isinstance(block, dict) or "enabled" not in block or block["enabled"] is None:
        return default
    return helm_bool(block["enabled"])


def _refuse_kept_block_clash(proxy: Any, plan: PortPlan, kong_path: str) -> None:
    """proxy.http / proxy.tls kept for today's traffic (no listener of that kind) must not share a port number
    with what the Gateways now need: the Service would carry it twice and KIC maps it by number only."""
    needs: dict[int, str] = {}
    for hp, kind in ((plan.http, "HTTP"), (plan.https, "HTTPS")):
        if hp is not None:
            needs.setdefault(hp.service_port, f"the {kind} listeners (Service port {hp.service_port})")
            needs.setdefault(hp.container_port, f"the {kind} listen (container port {hp.container_port})")
    for st in plan.streams:
        if st.protocol == "TCP":
            needs.setdefault(st.port, f"the {st.gateway_protocol} listener on {st.port}")
    defaults = KONG_DEFAULTS["proxy"]
    for block, planned in (("http", plan.http), ("tls", plan.https)):
        node = proxy.get(block) if isinstance(proxy.get(block), dict) else {}
        if planned is not None or not _enabled(node, True):
            continue
        for key in ("servicePort", "containerPort"):
            port = node.get(key, defaults[block][key])
            if key == "servicePort" and port == 0:
                continue
            if port in needs:
                raise MergeError(f"{kong_path}proxy.{block} ({key} {port}) is served today, but port {port} is "
                                 f"needed by {needs[port]}: both cannot be served (one Service port and one listen "
                                 "per number; Kong's controller maps ports by number only). Move the Gateway "
                                 f"listener to another port, or pass --prune to replace proxy.{block}")


def merge_values(text: str, plan: PortPlan, target: Target, *, reset_parameters: bool = False,
                 prune: bool = False) -> MergeResult:
    """`text` (a values file) with the plan's keys applied; raises MergeError for a file it cannot edit.

    Additive unless `prune`: listens and Service ports the file serves today stay (the same Kong serves the
    Ingress-era objects); with `prune` the owned keys become exactly the plan's.
    """
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    from generators.valuesfile import ValuesError, load_values

    try:
        load_values(text)  # Helm's reading (YAML 1.1), with the key and line of a duplicate
    except ValuesError as exc:
        raise MergeError(str(exc)) from None
    yaml = _rt()
    try:
        root = yaml.load(text) if text.strip() else None
    except YAMLError as exc:
        raise MergeError(f"malformed YAML: {str(exc).splitlines()[0]}") from None
    root = CommentedMap() if root is None else root
    if not isinstance(root, dict):
        raise MergeError("the values file is not a mapping")
    _refuse_aliases(root, target)
    indent, offset = guess_indent(text)
    yaml.indent(mapping=indent, sequence=offset + 2, offset=offset)

    # Comments between top-level keys hang off the previous subtree's last scalar: keep them in place.
    tails = {k: detach_tail(v) for k, v in root.items()}
    notes: list[str] = []
    wanted = plan_values(plan, target)
    kong_path = "".join(f"{p}." for p in target.kong_prefix)
    kong = root
    for p in target.kong_prefix:
        kong = _map(kong, p, "")
    want_kong = wanted.get("gateway", wanted) if target.kong_prefix else wanted
    proxy = _map(kong, "proxy", kong_path)
    defaults = KONG_DEFAULTS["proxy"]
    _set(proxy, "enabled", True, True)
    for block, port in (("http", plan.http), ("tls", plan.https)):
        if port is None and not prune:
            continue  # additive: whatever the file serves on this block stays
        for k, v in want_kong["proxy"][block].items():
            if k != "parameters":
                _set_path(proxy, (block, k), v, defaults[block].get(k))
    if not prune and plan.http is None and plan.https is None and not _enabled(proxy.get("http"), True) \
            and not _enabled(proxy.get("tls"), True):
        # Stream ports ride on the proxy Service, which the chart renders only with http or tls enabled.
        for k, v in want_kong["proxy"]["http"].items():
            _set_path(proxy, ("http", k), v, defaults["http"].get(k))
    if not prune:
        _refuse_kept_block_clash(proxy, plan, kong_path)
    tls = proxy.get("tls") if isinstance(proxy.get("tls"), dict) else {}
    if "parameters" in tls and tls["parameters"] is None:
        tls["parameters"] = list(defaults["tls"]["parameters"])
        notes.append(f"{kong_path}proxy.tls.parameters: was null (the chart fails to render); set to [http2]")
    if "overrideServiceTargetPort" in tls and (plan.https is not None or prune):
        del tls["overrideServiceTargetPort"]
        notes.append(f"{kong_path}proxy.tls.overrideServiceTargetPort: removed (KIC reads HTTPS from the listen the "
                     "Service targets; an override can turn the HTTPS listener into HTTP)")

    udp_node = kong.get("udpProxy") if isinstance(kong.get("udpProxy"), dict) else None
    if prune:
        pool: list[tuple[str, Any]] = [("proxy.stream", e) for e in (proxy.get("stream") or [])]
        pool += [("udpProxy.stream", e) for e in ((udp_node or {}).get("stream") or [])]
        _merge_streams(proxy, "stream", plan.proxy_streams, pool, f"{kong_path}proxy.", notes, reset_parameters)
        udp_in_udp_proxy = bool(plan.separate_udp)
        if plan.separate_udp:
            udp = _map(kong, "udpProxy", kong_path)
            _merge_streams(udp, "stream", plan.separate_udp, pool, f"{kong_path}udpProxy.", notes, reset_parameters)
        elif udp_node is not None:
            if udp_node.get("stream"):
                udp_node["stream"] = []
            _set(udp_node, "enabled", False, False)
    else:
        udp_in_udp_proxy = _add_streams(proxy, kong, plan, kong_path, notes, reset_parameters)
    if udp_in_udp_proxy:
        udp = _map(kong, "udpProxy", kong_path)
        if not _enabled(udp, False):
            udp["enabled"] = True

    env = kong.get("env")
    if isinstance(env, dict):
        for key in ("proxy_listen", "stream_listen"):
            if key in env:
                del env[key]
                notes.append(f"{kong_path}env.{key}: removed (it overrides the listens the chart derives from "
                             "proxy.*, so Kong would not listen where the Service sends traffic)")

    _merge_controller(root, plan, target, notes, udp_in_udp_proxy, prune)
    for k, tail in tails.items():
        if k in root:
            attach_tail(root[k], tail)
    out = io.StringIO()
    yaml.dump(root, out)
    merged_text = out.getvalue()
    return MergeResult(merged_text, load_values(merged_text), notes)


def _merge_controller(root: Any, plan: PortPlan, target: Target, notes: list[str], publish_udp: bool,
                      prune: bool) -> None:
    prefix = "".join(f"{p}." for p in target.controller_prefix)
    node = root
    for p in target.controller_prefix:
        if not plan.has_l4 and p not in node:
            return
        node = _map(node, p, "")
    ic = node.get("ingressController")
    if not plan.has_l4 and not (isinstance(ic, dict) and isinstance(ic.get("env"), dict)):
        return
    env = _map(_map(node, "ingressController", prefix), "env", f"{prefix}ingressController.")
    if plan.has_l4:
        gates = env.get("feature_gates")
        _set(env, "feature_gates", with_gate(str(gates or "")), None)
    if publish_udp:
        _set(env, "publish_service_udp", target.udp_service(), None)
    elif "publish_service_udp" in env and prune:
        del env["publish_service_udp"]
        notes.append(f"{prefix}ingressController.env.publish_service_udp: removed (--prune: no separate UDP Service)")
