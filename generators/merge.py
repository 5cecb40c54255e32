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
from generators.plan import HttpPort, PortPlan, StreamPort, UdpService, Use
from generators.values import Target, plan_values, with_gate

# nginx's stream `listen` rejects these together with `udp` (REFERENCE §7).
UDP_INCOMPATIBLE = ("ssl", "backlog", "so_keepalive", "proxy_protocol")


class MergeError(ValueError):
    pass


class MergeConflict(MergeError):
    """The file is readable, but what it serves today and what the Gateways need cannot both be served (or a
    listener would not be Programmed): a refusal that needs a human, not an input error."""


@dataclass(frozen=True)
class _Services:
    """The proxy Services as the file names them, and the UDP ports the proxy Service serves today."""

    proxy: str
    udp: str
    proxy_udp_today: frozenset[int]


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


def _match(pool: list[tuple[str, Any]], s: StreamPort, prefer: str = "proxy.stream") -> int | None:
    """The pool entry a plan port reuses: same port and protocol class, one in `prefer` (where the layout
    puts it) first."""
    found = [i for i, (where, e) in enumerate(pool)
             if isinstance(e, dict) and s.port in (e.get("containerPort"), e.get("servicePort"))
             and _protocol_class(e, "UDP" if where == "udpProxy.stream" else "TCP") == s.protocol]
    return next((i for i in found if pool[i][0] == prefer), found[0] if found else None)


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


def _web_ports(plan: PortPlan) -> dict[int, tuple[str, HttpPort]]:
    """The proxy Service ports the HTTP/HTTPS listeners need: KIC must map them to the proxy listens."""
    out: dict[int, tuple[str, HttpPort]] = {}
    for hp, kind in ((plan.http, "HTTP"), (plan.https, "HTTPS")):
        if hp is not None:
            out.setdefault(hp.service_port, (kind, hp))
    return out


def _web_port_owners(plan: PortPlan) -> dict[int, str]:
    """Every port number the HTTP/HTTPS listeners take (Service and container ports), with what takes it."""
    owners: dict[int, str] = {}
    for hp, kind in ((plan.http, "HTTP"), (plan.https, "HTTPS")):
        if hp is not None:
            owners.setdefault(hp.service_port, f"the {kind} listeners (Service port {hp.service_port})")
            owners.setdefault(hp.container_port, f"the {kind} listen (container port {hp.container_port})")
    return owners


def _uses(uses: tuple[Use, ...]) -> str:
    return "; ".join(str(u) for u in uses)


def _move_entry(src: Any, dst: Any, entry: Any) -> None:
    """Move `entry` from src["stream"] to the end of dst["stream"] with the comment lines above it; the ones
    below it (they belong to what follows) stay in place."""
    from ruamel.yaml.comments import CommentedSeq
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    seq = src["stream"]
    i = next(n for n, e in enumerate(seq) if e is entry)
    tail = detach_tail(entry)
    lead: list[Any] | None
    if i == 0:
        # Comments above a sequence's first item hang off the sequence and the key holding it.
        lead = None
        if hasattr(seq, "ca") and seq.ca.comment and len(seq.ca.comment) > 1 and seq.ca.comment[1]:
            lead, seq.ca.comment[1] = seq.ca.comment[1], None
        key_ca = src.ca.items.get("stream") if hasattr(src, "ca") else None
        if key_ca and len(key_ca) > 3 and key_ca[3]:
            lead, key_ca[3] = lead or key_ca[3], None
        item = seq.ca.items.get(0) if hasattr(seq, "ca") else None
        if item and item[1]:
            lead, item[1] = (lead or []) + item[1], None
    else:
        text = detach_tail(seq[i - 1])
        lead = [CommentToken(text, CommentMark(0), None)] if text else None
    del seq[i]
    if tail and seq and i == 0:
        seq.ca.items.setdefault(0, [None, None, None, None])[1] = [CommentToken(tail, CommentMark(0), None)]
    elif tail and seq:
        attach_tail(seq[i - 1], tail)
    if not seq:
        src["stream"] = CommentedSeq()  # a bare `[]` (the emptied one keeps block-comment state)
    if tail and not seq and hasattr(src, "ca"):
        # `stream: []` has no scalar to hang them on: they follow the key.
        item = src.ca.items.setdefault("stream", [None, None, None, None])
        if item[2] is None:
            item[2] = CommentToken("\n" + tail, CommentMark(0), None)
        else:
            item[2].value = item[2].value.rstrip("\n") + "\n" + tail
    if not isinstance(dst.get("stream"), list):
        dst["stream"] = CommentedSeq()
    out = dst["stream"]
    below = detach_tail(out[-1]) if out else ""
    out.append(entry)
    if lead:
        out.ca.items.setdefault(len(out) - 1, [None, None, None, None])[1] = lead
    attach_tail(entry, below)


def _leave_proxy_service(kong: Any, proxy: Any, entry: Any, web: tuple[str, HttpPort], claimed: StreamPort | None,
                         plan: PortPlan, svcs: _Services, kong_path: str, notes: list[str]) -> None:
    """`entry`, a UDP entry of proxy.stream whose Service port is the one the HTTP/HTTPS listeners need on the
    proxy Service, cannot stay there: KIC maps a Service's ports to targetPorts by number only, so the UDP port
    would hide the HTTP/HTTPS one (UnsupportedProtocol).  Move it to udpProxy.stream (its own Service) when
    the layout puts UDP there and the proxy Service does not serve that port today; else refuse."""
    kind, hp = web
    port = hp.service_port  # the entry's Service port once it serves the plan (or already)
    today = entry.get("servicePort")
    what = f"{kong_path}proxy.stream entry {today}->{entry.get('containerPort')}/UDP"
    users = f"it serves {_uses(claimed.uses)}" if claimed is not None else "no Gateway listener uses it"
    udp_node = kong.get("udpProxy") if isinstance(kong.get("udpProxy"), dict) else {}
    udp_entries = udp_node.get("stream")
    duplicate = isinstance(udp_entries, list) and any(
        isinstance(e, dict) and e.get("servicePort") == port and _protocol_class(e, "UDP") == "UDP"
        for e in udp_entries)
    separate = plan.options.udp_service == UdpService.SEPARATE
    served = today in svcs.proxy_udp_today
    if separate and not served and not duplicate:
        owner = _map(kong, "udpProxy", kong_path)
        if not _enabled(owner, False):
            owner["enabled"] = True
        _move_entry(proxy, owner, entry)
        notes.append(f"{what}: moved to {kong_path}udpProxy.stream (Service {svcs.udp}, as --udp-service separate "
                     f"asks): on Service {svcs.proxy}, which does not serve it today, its port {port} would hide the "
                     f"{kind} port {port} from Kong's controller")
        return
    clash = (f"{_uses(hp.uses)} needs port {port} of that Service for {kind}: Kong's controller maps a Service's "
             f"ports to targetPorts by number only, so the UDP port {port} would hide the {kind} one and the {kind} "
             "listener would not be Programmed (UnsupportedProtocol)")
    if served:
        head = f"{what} ({users}) is served today on Service {svcs.proxy} ({today}/UDP), and {clash}"
    else:
        head = (f"{what} ({users}) would go on Service {svcs.proxy} (not rendered today) with the {kind} "
                f"listeners' port, and {clash}")
    if not separate:
        why = ""
        fix = (f"move the {kind} listener to another port, or pass --prune to remove the entry" if served else
               f"pass --udp-service separate (the entry then moves to {kong_path}udpProxy.stream, Service "
               f"{svcs.udp}), move the {kind} listener to another port, or pass --prune to remove the entry")
    elif duplicate:
        why = (f". It cannot move to {kong_path}udpProxy.stream (Service {svcs.udp}, where --udp-service separate "
               f"puts UDP): that already has a UDP entry on Service port {port}")
        fix = f"move the {kind} listener to another port, or pass --prune to replace the entries"
    else:
        why = (f". --udp-service separate puts UDP on Service {svcs.udp}, but moving the entry there would stop "
               f"serving {today}/UDP on Service {svcs.proxy}")
        fix = (f"move the {kind} listener to another port, or pass --prune to "
               + (f"move the entry to {kong_path}udpProxy.stream (clients of {svcs.proxy} {today}/UDP must then use "
                  f"{svcs.udp})" if claimed is not None else "remove the entry"))
    raise MergeConflict(f"{head}{why}\n  fix: {fix}")


def _add_streams(proxy: Any, kong: Any, plan: PortPlan, kong_path: str, notes: list[str], reset: bool,
                 svcs: _Services) -> bool:
    """Additive: every plan entry is updated where the file has it, else appended to the plan's list; every
    other entry stays where it is, except a UDP entry of the proxy Service on the HTTP/HTTPS listeners' Service
    port, which moves to udpProxy.stream when that keeps what is served (else an error).  Returns whether a
    UDP entry lives in udpProxy.stream."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    udp_node = kong.get("udpProxy") if isinstance(kong.get("udpProxy"), dict) else None
    pool: list[tuple[str, Any]] = [("proxy.stream", e) for e in (proxy.get("stream") or [])]
    pool += [("udpProxy.stream", e) for e in ((udp_node or {}).get("stream") or [])]
    in_udp_proxy = False
    separate = plan.separate_udp
    web = _web_ports(plan)
    taken = _web_port_owners(plan)
    for s in plan.streams:
        taken.setdefault(s.port, f"the {s.gateway_protocol} listener on {s.port}")
    for s in plan.streams:
        match = _match(pool, s, "udpProxy.stream" if s in separate else "proxy.stream")
        if match is not None:
            where, entry = pool.pop(match)
            if where == "proxy.stream" and s.protocol == "UDP" and s.port in web:
                # Only with --udp-service separate (the plan refuses UDP and HTTP/HTTPS on one proxy Service).
                _leave_proxy_service(kong, proxy, entry, web[s.port], s, plan, svcs, kong_path, notes)
                where = "udpProxy.stream"
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
        cport = e.get("containerPort")
        if udp and where == "proxy.stream" and e.get("servicePort") in web \
                and (cport == e.get("servicePort") or cport not in taken):
            # Its only clash is the HTTP/HTTPS Service port on the proxy Service: its own Service would do.
            _leave_proxy_service(kong, proxy, e, web[e["servicePort"]], None, plan, svcs, kong_path, notes)
            where, in_udp_proxy = "udpProxy.stream", True
        for key in ("servicePort", "containerPort"):
            port = e.get(key)
            if port not in taken:
                continue
            if udp and where == "udpProxy.stream" and port not in ssl_ports:
                continue  # its own Service, and Kong binds UDP apart from TCP
            raise MergeConflict(f"{kong_path}{where} entry {e.get('servicePort')}->{e.get('containerPort')}/"
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
    needs = _web_port_owners(plan)
    for st in plan.streams:
        if st.protocol == "TCP":
            needs.setdefault(st.port, f"the {st.gateway_protocol} listener on {st.port}")
    # A UDP listener's Service port targets the listener port: a proxy listen there makes KIC read it as HTTP(S).
    udp_needs = {st.port: st for st in plan.streams if st.protocol == "UDP"}
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
                raise MergeConflict(f"{kong_path}proxy.{block} ({key} {port}) is served today, but port {port} is "
                                    f"needed by {needs[port]}: both cannot be served (one Service port and one "
                                    "listen per number; Kong's controller maps ports by number only). Move the "
                                    f"Gateway listener to another port, or pass --prune to replace proxy.{block}")
            udp = udp_needs.get(port) if key == "containerPort" else None
            if udp is not None:
                kind = "HTTPS" if block == "tls" else "HTTP"
                raise MergeConflict(f"{kong_path}proxy.{block} (containerPort {port}) is served today, but "
                                    f"{_uses(udp.uses)} needs a UDP Service port {port} targeting Kong's UDP listen "
                                    f"{port}: Kong's controller reads a Service port whose targetPort is a proxy "
                                    f"listen as {kind}, so the listener would not be Programmed (UnsupportedProtocol)"
                                    f"\n  fix: move the Gateway listener to another port, or pass --prune to replace "
                                    f"proxy.{block}")


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
        old = load_values(text)  # Helm's reading (YAML 1.1), with the key and line of a duplicate
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
    svcs = _services(old, target)
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
        udp_in_udp_proxy = _add_streams(proxy, kong, plan, kong_path, notes, reset_parameters, svcs)
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
    merged = load_values(merged_text)
    _refuse_unprogrammed(merged, plan, target)
    return MergeResult(merged_text, merged, notes)


def _services(old: dict[str, Any], target: Target) -> _Services:
    from generators.chart import kong_values, proxy_service_name, udp_service_name
    from generators.served import served_from_values

    kv = kong_values(old, target.chart)
    proxy = proxy_service_name(kv, target.release, target.chart)
    served = served_from_values(old, release=target.release, namespace=target.namespace, chart=target.chart)
    return _Services(proxy, udp_service_name(kv, target.release, target.chart),
                     frozenset(s.port for s in served if (s.kind, s.where, s.protocol) == ("service", proxy, "UDP")))


def _refuse_unprogrammed(values: dict[str, Any], plan: PortPlan, target: Target) -> None:
    """Never hand out merged values under which a listener the plan serves would not be Programmed (a kept
    key the checks above do not foresee): the predictor's availability test, per listener, with its reason."""
    from generators.chart import ChartRenderError
    from migrate.kongstatus import kong_listens_from_values

    try:
        listens = kong_listens_from_values(values, release=target.release, namespace=target.namespace,
                                           chart=target.chart.value)
    except ChartRenderError:
        return  # the command reports a result the chart cannot render
    available = {(kl.protocol, kl.port) for kl in listens}
    uses = [u for hp in (plan.http, plan.https) if hp is not None for u in hp.uses]
    uses += [u for s in plan.streams for u in s.uses]
    for use in uses:
        lst = use.listener
        if (lst.protocol, lst.port) in available:
            continue
        reason = "PortUnavailable" if any(kl.protocol == lst.protocol for kl in listens) else "UnsupportedProtocol"
        seen = "; ".join(f"Service {kl.service} port {kl.port} (targetPort {kl.target_port}) reads as {kl.protocol}"
                         for kl in listens if kl.port == lst.port) or f"no published Service has port {lst.port}"
        raise MergeConflict(f"{use} would not be Programmed with the merged values ({reason}): {seen}, as Kong's "
                            "controller maps a publish Service's ports to Kong's listens by number (`migrate check` "
                            "on the merged values shows the same)\n  fix: move the listener to another port, or "
                            "pass --prune (the owned keys then become exactly the Gateways')")


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
