"""The change that makes a failing listener Programmed: in the Helm values, the Service, or the Gateway."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrate.kongstatus.listens import KongListen
from migrate.kongstatus.predict import ListenerStatus


@dataclass(frozen=True)
class FixContext:
    """What the fix text may refer to: Helm values (with key prefixes for the umbrella) or raw Services."""

    helm: bool = True
    kong_prefix: str = ""  # "gateway." for the umbrella chart
    controller_prefix: str = ""  # "controller." for the umbrella chart
    unpublished_udp: str = ""  # ns/name of a rendered UDP Service the controller does not publish


def _gateway_fix(reason: str) -> str:
    return {
        "InvalidRouteKinds": "Gateway: list only HTTPRoute, TCPRoute, UDPRoute or TLSRoute (group "
                             "gateway.networking.k8s.io) in allowedRoutes.kinds, or drop kinds",
        "ProtocolConflict": "Gateway: move this listener or the other one on its port to a port of its own "
                            "(TCP/UDP never share; HTTP shares only with HTTP, HTTPS/TLS only with HTTPS/TLS)",
        "HostnameConflict": "Gateway: give the listeners on this port distinct hostnames",
    }[reason]


def _values_fix(status: ListenerStatus, listens: list[KongListen], ctx: FixContext) -> str:
    lst, k = status.listener, ctx.kong_prefix
    same_port = {kl.protocol for kl in listens if kl.port == lst.port}
    entry = f"{{containerPort: {lst.port}, servicePort: {lst.port}, protocol: %s%s}}"
    if lst.protocol == "HTTP":
        return f"set {k}proxy.http.enabled: true and {k}proxy.http.servicePort: {lst.port}"
    if lst.protocol == "HTTPS":
        return (f"set {k}proxy.tls.enabled: true and {k}proxy.tls.servicePort: {lst.port} (and no "
                f"{k}proxy.tls.overrideServiceTargetPort)")
    if lst.protocol == "TLS":
        if "TCP" in same_port:
            return f"add ssl to the parameters of the {k}proxy.stream entry for port {lst.port}"
        return f"add {entry % ('TCP', ', parameters: [ssl]')} to {k}proxy.stream"
    if lst.protocol == "TCP":
        if "TLS" in same_port:
            return f"remove ssl from the parameters of the {k}proxy.stream entry for port {lst.port}"
        return f"add {entry % ('TCP', '')} to {k}proxy.stream"
    if lst.protocol == "UDP":
        if ctx.unpublished_udp:
            return (f"set {ctx.controller_prefix}ingressController.env.publish_service_udp: {ctx.unpublished_udp} "
                    "(the chart does not publish the UDP Service)")
        return (f"add {entry % ('UDP', '')} to {k}udpProxy.stream with {k}udpProxy.enabled: true and "
                f"{ctx.controller_prefix}ingressController.env.publish_service_udp (or to {k}proxy.stream)")
    return "Gateway: use protocol HTTP, HTTPS, TCP, TLS or UDP; Kong has no other listens"


def _service_fix(status: ListenerStatus, listens: list[KongListen]) -> str:
    lst = status.listener
    need = {"HTTP": "a KONG_PROXY_LISTEN entry without ssl", "HTTPS": "a KONG_PROXY_LISTEN entry with ssl",
            "TLS": "a KONG_STREAM_LISTEN entry with ssl", "TCP": "a KONG_STREAM_LISTEN entry without ssl",
            "UDP": "a KONG_STREAM_LISTEN entry with udp"}.get(lst.protocol)
    if need is None:
        return "Gateway: use protocol HTTP, HTTPS, TCP, TLS or UDP; Kong has no other listens"
    l4 = lst.protocol in ("TCP", "UDP", "TLS")
    proto = "UDP" if lst.protocol == "UDP" else "TCP"
    existing = next((kl for kl in listens if kl.port == lst.port), None)
    if existing is not None and existing.target_port == 0:
        return (f"publish Service {existing.service}: port {existing.port_name!r} has a named targetPort, which "
                f"Kong's controller never matches; use an integer targetPort with {need}")
    if existing is not None:
        return f"Kong needs {need} on port {existing.target_port} (targetPort of {existing.service} port {existing.port_name!r})"
    target = f"targetPort {lst.port} (L4: containerPort == listener port)" if l4 else "a targetPort"
    return f"publish Service: add port {lst.port}/{proto} with {target}, and {need} on it"


def fix_for(status: ListenerStatus, listens: list[KongListen], ctx: FixContext) -> list[str]:
    """One line per change needed, Gateway problems first (values cannot fix those)."""
    fixes: list[str] = []
    for reason in status.reasons:
        if reason in ("InvalidRouteKinds", "ProtocolConflict", "HostnameConflict"):
            fixes.append(_gateway_fix(reason))
        elif reason in ("UnsupportedProtocol", "PortUnavailable"):
            fixes.append(_values_fix(status, listens, ctx) if ctx.helm else _service_fix(status, listens))
    return fixes


DELETE = object()


@dataclass(frozen=True)
class Change:
    """One values change: `path` under the values root (prefixes applied), a value or DELETE."""

    text: str
    path: tuple[str, ...]
    value: object


def _apply(values: dict[str, Any], changes: list[Change]) -> dict[str, Any]:
    import copy

    out = copy.deepcopy(values)
    for ch in changes:
        node = out
        for key in ch.path[:-1]:
            if not isinstance(node.get(key), dict):
                if ch.value is DELETE:
                    break
                node[key] = {}
            node = node[key]
        else:
            if ch.value is DELETE:
                node.pop(ch.path[-1], None)
            elif ch.path[-1] == "stream" and isinstance(ch.value, dict):
                stream: list[Any] = node["stream"] if isinstance(node.get("stream"), list) else []
                node["stream"] = [e for e in stream if not (isinstance(e, dict) and ch.value.get("containerPort")
                                                            in (e.get("containerPort"), e.get("servicePort")))]
                node["stream"].append(ch.value)
            else:
                node[ch.path[-1]] = ch.value
    return out


def _get(values: Any, path: tuple[str, ...]) -> object:
    node: object = values
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def candidate_changes(status: ListenerStatus, values: dict[str, Any], chart: str, release: str,
                      namespace: str) -> list[Change]:
    """The values changes that should make `status`'s listener Programmed: the listen itself, plus whatever
    in the values keeps the chart or Kong's controller from seeing it."""
    from generators.chart import Chart, kong_values, proxy_service_name, udp_service_name

    c = Chart(chart)
    kp: tuple[str, ...] = ("gateway",) if c == Chart.INGRESS else ()
    cp: tuple[str, ...] = ("controller",) if c == Chart.INGRESS else ()
    k = "".join(f"{p}." for p in kp)
    ctl = "".join(f"{p}." for p in cp)
    kv = kong_values(values, c)
    lst = status.listener
    proxy = kv.get("proxy") or {}
    http, tls = proxy.get("http") or {}, proxy.get("tls") or {}
    changes: list[Change] = []
    if not ((kv.get("deployment") or {}).get("kong") or {}).get("enabled", True):
        changes.append(Change(f"set {k}deployment.kong.enabled: true (the release renders no Kong proxy)",
                              (*kp, "deployment", "kong", "enabled"), True))
    if c == Chart.INGRESS and isinstance(values.get("gateway"), dict) and values["gateway"].get("enabled") is False:
        changes.append(Change("set gateway.enabled: true", ("gateway", "enabled"), True))
    if not proxy.get("enabled"):
        changes.append(Change(f"set {k}proxy.enabled: true (false drops the proxy Service and its stream listens)",
                              (*kp, "proxy", "enabled"), True))
    env = kv.get("env") or {}
    l4 = lst.protocol in ("TCP", "UDP", "TLS")
    override = "stream_listen" if l4 else "proxy_listen"
    if isinstance(env, dict) and env.get(override) is not None:
        changes.append(Change(f"remove {k}env.{override} (it replaces the listens the chart derives from {k}proxy.*)",
                              (*kp, "env", override), DELETE))
    root = values.get(cp[0]) if cp else values
    ic_env = _get(root, ("ingressController", "env")) if isinstance(root, dict) else None
    svc = proxy_service_name(kv, release, c)
    if isinstance(ic_env, dict) and ic_env.get("publish_service") and \
            str(ic_env["publish_service"]) != f"{namespace}/{svc}":
        changes.append(Change(f"remove {ctl}ingressController.env.publish_service (it points Kong's controller at "
                              f"{ic_env['publish_service']}, not the proxy Service {namespace}/{svc})",
                              (*cp, "ingressController", "env", "publish_service"), DELETE))
    P = lst.port
    stream_now = [e for e in proxy.get("stream") or [] if isinstance(e, dict)]
    hiding = [e for e in stream_now if e.get("servicePort") == P and e.get("protocol") == "UDP"]
    if lst.protocol in ("HTTP", "HTTPS") and hiding:
        # KIC maps the proxy Service's ports to targetPorts by number only: the UDP port hides this one.
        udp_proxy_now = kv.get("udpProxy") or {}
        udp_svc = f"{namespace}/{udp_service_name(kv, release, c)}"
        changes.append(Change(f"move the UDP entry for port {P} from {k}proxy.stream to {k}udpProxy.stream with "
                              f"{k}udpProxy.enabled: true and {ctl}ingressController.env.publish_service_udp: "
                              f"{udp_svc} (Kong's controller maps a Service's ports to targetPorts by number only, "
                              f"so UDP {P} on the proxy Service hides {lst.protocol} {P})",
                              (*kp, "proxy", "stream"), [e for e in stream_now if e not in hiding]))
        changes.append(Change("", (*kp, "udpProxy", "stream"),
                              [*(udp_proxy_now.get("stream") or []), *hiding]))
        changes.append(Change("", (*kp, "udpProxy", "enabled"), True))
        changes.append(Change("", (*cp, "ingressController", "env", "publish_service_udp"), udp_svc))
    if lst.protocol == "HTTP":
        changes.append(Change(f"set {k}proxy.http.enabled: true and {k}proxy.http.servicePort: {P}",
                              (*kp, "proxy", "http", "enabled"), True))
        changes.append(Change("", (*kp, "proxy", "http", "servicePort"), P))
    elif lst.protocol == "HTTPS":
        changes.append(Change(f"set {k}proxy.tls.enabled: true and {k}proxy.tls.servicePort: {P}",
                              (*kp, "proxy", "tls", "enabled"), True))
        changes.append(Change("", (*kp, "proxy", "tls", "servicePort"), P))
        if tls.get("overrideServiceTargetPort"):
            changes.append(Change(f"remove {k}proxy.tls.overrideServiceTargetPort",
                                  (*kp, "proxy", "tls", "overrideServiceTargetPort"), DELETE))
        if not isinstance(tls.get("parameters", []), list):
            changes.append(Change(f"set {k}proxy.tls.parameters: [http2]", (*kp, "proxy", "tls", "parameters"),
                                  ["http2"]))
    elif l4:
        udp_proxy = kv.get("udpProxy") or {}
        entry: dict[str, object] = {"containerPort": P, "servicePort": P, "protocol": "UDP" if lst.protocol == "UDP"
                                    else "TCP"}
        if lst.protocol == "TLS":
            entry["parameters"] = ["ssl"]
        published = ic_env.get("publish_service_udp") if isinstance(ic_env, dict) else None
        udp_svc = f"{namespace}/{udp_service_name(kv, release, c)}"
        in_udp_proxy = lst.protocol == "UDP" and any(
            isinstance(e, dict) and P in (e.get("containerPort"), e.get("servicePort"))
            for e in udp_proxy.get("stream") or []) and udp_proxy.get("enabled")
        if in_udp_proxy and published != udp_svc:
            changes.append(Change(f"set {ctl}ingressController.env.publish_service_udp: {udp_svc} (the chart does "
                                  "not publish the UDP Service)",
                                  (*cp, "ingressController", "env", "publish_service_udp"), udp_svc))
        else:
            flow = ", ".join(f"{key}: {'[ssl]' if key == 'parameters' else v}" for key, v in entry.items())
            changes.append(Change(f"add {{{flow}}} to {k}proxy.stream (replacing any entry for port {P})",
                                  (*kp, "proxy", "stream"), entry))
        if not http.get("enabled") and not tls.get("enabled"):
            changes.append(Change(f"set {k}proxy.http.enabled: true with {k}proxy.http.servicePort: 0 (the chart "
                                  "renders the proxy Service, and so its stream ports, only with http or tls enabled)",
                                  (*kp, "proxy", "http", "enabled"), True))
            if http.get("servicePort") not in (None, 0):
                pass
            else:
                changes.append(Change("", (*kp, "proxy", "http", "servicePort"), 0))
    return changes


def verified_fix(status: ListenerStatus, gateways: list[Any], values: dict[str, Any], chart: str,
                 release: str, namespace: str) -> tuple[list[str], str]:
    """(fix lines, problem): the values change that makes the listener Programmed, checked by running the
    predictor on the changed values; no lines when no such change exists (or it would unprogram another
    listener), with the reason."""
    from generators.chart import ChartRenderError
    from migrate.kongstatus.listens import kong_listens_from_values
    from migrate.kongstatus.predict import predict_listener_status

    changes = candidate_changes(status, values, chart, release, namespace)
    try:
        before = predict_listener_status(gateways, kong_listens_from_values(
            values, release=release, namespace=namespace, chart=chart))
        after = predict_listener_status(gateways, kong_listens_from_values(
            _apply(values, changes), release=release, namespace=namespace, chart=chart))
    except ChartRenderError:
        return [], "the changed values would not render"
    fixed = next((s for s in after if s.gateway == status.gateway and s.listener == status.listener), None)
    if fixed is None or any(r in ("UnsupportedProtocol", "PortUnavailable") for r in fixed.reasons):
        why = ", ".join(fixed.reasons) if fixed is not None else "?"
        return [], (f"no values change found that programs it (after the obvious ones it is still {why}); "
                    "run `migrate helm-values` on the Gateways with --values to derive the values")
    broken = [a for b, a in zip(before, after, strict=True) if b.programmed and not a.programmed]
    if broken:
        names = ", ".join(f"{s.gateway} {s.listener.describe()}" for s in broken)
        return [], (f"the values change that programs it would unprogram {names}: the Kong chart has one HTTP and "
                    "one HTTPS port; put the listeners on the same port, or run a second Kong release")
    # Keep only the changes that matter: a group (a described change and its silent companions) goes when the
    # listener is still fixed without it.
    groups: list[list[Change]] = []
    for ch in changes:
        if ch.text or not groups:
            groups.append([ch])
        else:
            groups[-1].append(ch)

    def works(chosen: list[list[Change]]) -> bool:
        flat = [ch for g in chosen for ch in g]
        try:
            res = predict_listener_status(gateways, kong_listens_from_values(
                _apply(values, flat), release=release, namespace=namespace, chart=chart))
        except ChartRenderError:
            return False
        me = next(s for s in res if s.gateway == status.gateway and s.listener == status.listener)
        return not any(r in ("UnsupportedProtocol", "PortUnavailable") for r in me.reasons) and not any(
            b.programmed and not a.programmed for b, a in zip(before, res, strict=True))

    for g in list(groups):
        if len(groups) > 1 and works([x for x in groups if x is not g]):
            groups.remove(g)
    return [ch.text for g in groups for ch in g if ch.text], ""


def verified_service_fix(status: ListenerStatus, gateways: list[Any], services: list[dict[str, Any]],
                         proxy_listen: str, stream_listen: str) -> tuple[list[str], str]:
    """`check --service` mode: (fix lines, problem) as `verified_fix` for values: the Service/listen change is
    applied to the Service manifests and KONG_PROXY_LISTEN / KONG_STREAM_LISTEN and re-run through the
    predictor; it is shown only when it programs the listener without unprogramming another (issue 11 item 5)."""
    import copy

    from migrate.kongstatus.listens import ListenSyntaxError, kong_listens_from_services, parse_listen
    from migrate.kongstatus.predict import predict_listener_status

    lst = status.listener
    if lst.protocol not in ("HTTP", "HTTPS", "TLS", "TCP", "UDP"):
        return [], "Kong has no listen for this protocol"
    l4 = lst.protocol in ("TCP", "UDP", "TLS")
    proto = "UDP" if lst.protocol == "UDP" else "TCP"
    ssl = lst.protocol in ("HTTPS", "TLS")
    try:
        proxy = {e.port: e.ssl for e in parse_listen(proxy_listen)}
    except ListenSyntaxError as exc:
        return [], str(exc)
    new = copy.deepcopy(services)
    lines: list[str] = []
    owner, entry = next(((s, p) for s in new for p in (s.get("spec") or {}).get("ports") or []
                         if isinstance(p, dict) and p.get("port") == lst.port), (None, None))
    # the container port: L4 listens are keyed by the listener port; HTTP(S) reuse a proxy listen of the kind
    target = lst.port if l4 else next((port for port, on in proxy.items() if on == ssl), lst.port)
    if owner is not None and entry is not None:
        meta = owner.get("metadata") or {}
        name = f"{meta.get('namespace') or 'default'}/{meta.get('name') or ''}"
        raw = entry.get("targetPort", entry.get("port"))
        if isinstance(raw, int) and not isinstance(raw, bool):
            target = raw
        else:
            entry["targetPort"] = target
            lines.append(f"publish Service {name}: set the targetPort of port {entry.get('name') or lst.port!r} "
                         f"to the integer {target} (Kong's controller never matches a named targetPort)")
    else:
        if not new:
            return [], "no publish Service given"
        meta = new[0].get("metadata") or {}
        name = f"{meta.get('namespace') or 'default'}/{meta.get('name') or ''}"
        new[0].setdefault("spec", {}).setdefault("ports", []).append(
            {"name": f"{lst.protocol.lower()}-{lst.port}", "port": lst.port, "targetPort": target, "protocol": proto})
        lines.append(f"publish Service {name}: add port {lst.port}/{proto} with targetPort {target}")
    flag = " udp" if lst.protocol == "UDP" else (" ssl" if ssl else "")
    new_proxy, new_stream = proxy_listen, stream_listen
    if l4:
        stream = {e.port: e.ssl for e in parse_listen(stream_listen)}
        if stream.get(target) != ssl or target not in stream:
            new_stream = _add_listen(stream_listen, f"0.0.0.0:{target}{flag}")
            lines.append(f"add 0.0.0.0:{target}{flag} to KONG_STREAM_LISTEN")
    elif proxy.get(target) != ssl or target not in proxy:
        new_proxy = _add_listen(proxy_listen, f"0.0.0.0:{target}{' http2 ssl' if ssl else ''}")
        lines.append(f"add 0.0.0.0:{target}{' http2 ssl' if ssl else ''} to KONG_PROXY_LISTEN")
    before = predict_listener_status(gateways, kong_listens_from_services(services, proxy_listen, stream_listen))
    after = predict_listener_status(gateways, kong_listens_from_services(new, new_proxy, new_stream))
    me = next((s for s in after if s.gateway == status.gateway and s.listener == status.listener), None)
    if me is None or any(r in ("UnsupportedProtocol", "PortUnavailable") for r in me.reasons):
        why = ", ".join(me.reasons) if me is not None else "?"
        tried = "; ".join(lines) or "the obvious changes"
        return [], (f"no Service or listen change found that programs it (after: {tried}, it is still {why}); "
                    "Kong's controller maps Service ports to listens by targetPort, and a KONG_PROXY_LISTEN entry "
                    "wins over a KONG_STREAM_LISTEN one on the same port")
    broken = [a for b, a in zip(before, after, strict=True) if b.programmed and not a.programmed]
    if broken:
        names = ", ".join(f"{s.gateway} {s.listener.describe()}" for s in broken)
        return [], f"the change that programs it ({'; '.join(lines)}) would unprogram {names}"
    return lines, ""


def _add_listen(listen: str, entry: str) -> str:
    return entry if listen.strip() in ("", "off") else f"{listen}, {entry}"
