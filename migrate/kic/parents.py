"""Parent Gateways of Gateway API routes as KIC's translator reads them.

Two different things, kept apart:

* What the *translator* reads from parents (used for every route): listener protocols and ports, listener
  hostnames, TLS passthrough.  The translator looks Gateways up by parentRef namespace/name only; it never checks
  the GatewayClass, `allowedRoutes` or the parentRef's group/kind (except where noted), and a missing Gateway is
  skipped.  Sources (Kong/kubernetes-ingress-controller v3.5.13): subtranslator/httproute.go
  `protocolsFromHTTPRoutesGatewayListeners`; translate_routes_helpers.go `getGatewayListeningPorts`;
  subtranslator/grpcroute.go `getGRPCRouteHostnamesAsSliceOfStringPointers`; translate_tlsroute.go
  `isTLSRoutePassthrough` (reads `status.parents`, not `spec.parentRefs`).
* Which routes reach the translator at all (`accepted_by_kic`): KIC's route controllers only put into the
  translator's cache routes with a parentRef to a Gateway whose GatewayClass has controllerName
  `konghq.com/kic-gateway-controller` (internal/controllers/gateway/route_utils.go; REFERENCE §5.4).  KIC's own
  golden tests bypass the controllers (routes without any Gateway are translated), so `translate_gateway_api`
  applies this filter only when asked to.
"""

from __future__ import annotations

from typing import Any

from migrate.kic.gwcommon import GATEWAY_GROUP, as_dict, as_list, opt_int, opt_str
from migrate.kic.store import Obj, Store

KIC_CONTROLLER = "konghq.com/kic-gateway-controller"

# the route kinds a listener protocol admits when `allowedRoutes.kinds` is empty (gateway_utils.go)
DEFAULT_KINDS = {"HTTP": ("HTTPRoute", "GRPCRoute"), "HTTPS": ("HTTPRoute", "GRPCRoute"), "TCP": ("TCPRoute",),
                 "UDP": ("UDPRoute",), "TLS": ("TLSRoute",)}


def parent_refs(route: Obj) -> list[dict[str, Any]]:
    return [as_dict(p) for p in as_list(route.spec.get("parentRefs"))]


def listeners(gateway: Obj) -> list[dict[str, Any]]:
    return _listener_index(gateway)[0]


def _listener_index(gateway: Obj) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """The Gateway's listeners, and the same by name (a list: names are unique only in a valid Gateway).
    Kept on the object: every route of a Gateway with 64 listeners would otherwise read them all again."""
    found: tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]] | None = \
        gateway.__dict__.get("_listener_index")
    if found is None:
        all_listeners = [as_dict(ln) for ln in as_list(gateway.spec.get("listeners"))]
        by_name: dict[str, list[dict[str, Any]]] = {}
        for ln in all_listeners:
            by_name.setdefault(str(ln.get("name") or ""), []).append(ln)
        found = (all_listeners, by_name)
        gateway.__dict__["_listener_index"] = found  # Obj is frozen; its raw fields never change
    return found


def selected_listeners(gateway: Obj, ref: dict[str, Any]) -> list[dict[str, Any]]:
    """The listeners of `gateway` that `ref` selects by sectionName (all of them without one), in order."""
    all_listeners, by_name = _listener_index(gateway)
    section = opt_str(ref.get("sectionName"))
    return all_listeners if section is None else by_name.get(section, [])


def _gateway_for(store: Store, route: Obj, ref: dict[str, Any], *, empty_ns_is_route: bool = True) -> Obj | None:
    ns = opt_str(ref.get("namespace"))
    if ns is None or (empty_ns_is_route and ns == ""):
        ns = route.namespace
    return store.get("Gateway", ns, str(ref.get("name") or ""))


def http_listener_protocols(store: Store, routes: list[Obj]) -> list[str]:
    """Sorted unique `http`/`https` of the listeners the routes' parentRefs select (empty: none found)."""
    found: set[str] = set()
    for route in routes:
        for ref in parent_refs(route):
            gw = _gateway_for(store, route, ref)
            if gw is None:
                continue
            for ln in selected_listeners(gw, ref):
                proto = str(ln.get("protocol") or "")
                if proto == "HTTP":
                    found.add("http")
                elif proto == "HTTPS":
                    found.add("https")
    return sorted(found)


def listening_ports(store: Store, route: Obj, protocol: str) -> list[int]:
    """getGatewayListeningPorts: ports of the selected listeners of `protocol`, parentRef order, duplicates kept."""
    ports: list[int] = []
    for ref in parent_refs(route):
        gw = _gateway_for(store, route, ref)
        if gw is None:
            continue
        for ln in selected_listeners(gw, ref):
            if str(ln.get("protocol") or "") == protocol:
                port = opt_int(ln.get("port"))
                ports.append(port if port is not None else 0)
    return ports


def grpc_listener_hostnames(store: Store, route: Obj) -> list[str] | None:
    """getGRPCRouteHostnamesAsSliceOfStringPointers for a GRPCRoute without hostnames.

    None: no parentRefs, or a parent Gateway is missing (KIC then returns nil for all of them)."""
    refs = route.spec.get("parentRefs")
    if refs is None:
        return None
    hostnames: list[str] = []
    namespace = route.namespace
    for ref in parent_refs(route):
        kind = opt_str(ref.get("kind"))
        if kind is not None and kind != "Gateway":
            continue
        ns = opt_str(ref.get("namespace"))
        if ns is not None:
            namespace = ns  # sticky across later parentRefs, as in KIC
        gw = store.get("Gateway", namespace, str(ref.get("name") or ""))
        if gw is None:
            return None
        for ln in selected_listeners(gw, ref):
            host = opt_str(ln.get("hostname"))
            if host is not None:
                hostnames.append(host)
    return hostnames


def tls_passthrough(store: Store, route: Obj) -> bool:
    """isTLSRoutePassthrough: a Gateway in the route's `status.parents` has a selected Passthrough listener."""
    status = as_dict(route.raw.get("status"))
    for parent in as_list(status.get("parents")):
        ref = as_dict(as_dict(parent).get("parentRef"))
        group = opt_str(ref.get("group"))
        if group is not None and group != GATEWAY_GROUP:
            continue
        kind = opt_str(ref.get("kind"))
        if kind is not None and kind != "Gateway":
            continue
        gw = _gateway_for(store, route, ref, empty_ns_is_route=False)
        if gw is None:
            continue
        for ln in selected_listeners(gw, ref):
            if opt_str(as_dict(ln.get("tls")).get("mode")) == "Passthrough":
                return True
    return False


# --- controller-level acceptance ----------------------------------------------------------------------------

def kic_gateway(store: Store, gateway: Obj) -> bool:
    cls = store.get("GatewayClass", "", str(gateway.spec.get("gatewayClassName") or ""))
    return cls is not None and cls.spec.get("controllerName") == KIC_CONTROLLER


def _namespace_admitted(store: Store, listener: dict[str, Any], gateway: Obj, route: Obj) -> bool:
    # per listener and namespace, once: a converted estate's listeners select every route namespace by name,
    # so one check reads a list as long as the estate has namespaces
    memo: dict[tuple[int, str], bool] = store.memo.setdefault("namespace_admitted", {})
    key = (id(listener), route.namespace)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _namespace_admits(store, listener, gateway, route.namespace)
    return found


def _namespace_admits(store: Store, listener: dict[str, Any], gateway: Obj, namespace: str) -> bool:
    ns_spec = as_dict(as_dict(listener.get("allowedRoutes")).get("namespaces"))
    frm = str(ns_spec.get("from") or "Same")
    if frm == "All":
        return True
    if frm == "Same":
        return namespace == gateway.namespace
    if frm == "Selector":
        selector = as_dict(ns_spec.get("selector"))
        labels = {"kubernetes.io/metadata.name": namespace}
        ns_obj = store.get("Namespace", "", namespace)
        if ns_obj is not None:
            labels.update(ns_obj.labels)
        for key, value in as_dict(selector.get("matchLabels")).items():
            if labels.get(str(key)) != str(value):
                return False
        for expr in as_list(selector.get("matchExpressions")):
            e = as_dict(expr)
            key, op = str(e.get("key") or ""), str(e.get("operator") or "")
            values = {str(v) for v in as_list(e.get("values"))}
            has = key in labels
            if (op == "In" and (not has or labels[key] not in values)) or (
                    op == "NotIn" and has and labels[key] in values) or (
                    op == "Exists" and not has) or (op == "DoesNotExist" and has):
                return False
        return True
    return False


def _kind_admitted(listener: dict[str, Any], kind: str) -> bool:
    kinds = as_list(as_dict(listener.get("allowedRoutes")).get("kinds"))
    if not kinds:
        return kind in DEFAULT_KINDS.get(str(listener.get("protocol") or ""), ())
    return any(str(as_dict(k).get("kind") or "") == kind
               and str(as_dict(k).get("group") or GATEWAY_GROUP) == GATEWAY_GROUP for k in kinds)


def accepted_by_kic(store: Store, route: Obj) -> bool:
    """Whether KIC's route controller hands the route to the translator: some parentRef names a Gateway of
    KIC's GatewayClass with a listener that the ref selects (sectionName, port) and that admits the route's
    kind and namespace.  Hostname intersection is not required here (it only narrows status)."""
    return bool(_accepting_parents(store, route))


def hostnames_match(mask: str, hostname: str) -> bool:
    """util.HostnamesMatch: `hostname` matches `mask`, where a `*` label of the mask stands for one or more
    labels (internal/util/hostname.go)."""
    a_labels, b_labels = mask.split("."), hostname.split(".")
    a = b = 0
    wildcard = False
    while a < len(a_labels) and b < len(b_labels):
        if wildcard:
            found = False
            while b < len(b_labels):
                if a_labels[a] == b_labels[b]:
                    found = True
                    break
                b += 1
            if not found:
                return False
        if a_labels[a] == "*":
            wildcard = True
        else:
            wildcard = False
            if a_labels[a] != b_labels[b]:
                return False
        a += 1
        b += 1
    return len(b_labels) - b == len(a_labels) - a


def _accepting_parents(store: Store, route: Obj) -> list[tuple[Obj, str]]:
    """(Gateway, sectionName or "") of every parentRef through which KIC accepts the route."""
    out: list[tuple[Obj, str]] = []
    for ref in parent_refs(route):
        group = opt_str(ref.get("group"))
        kind = opt_str(ref.get("kind"))
        if (group is not None and group != GATEWAY_GROUP) or (kind is not None and kind != "Gateway"):
            continue
        gw = _gateway_for(store, route, ref)
        if gw is None or not kic_gateway(store, gw):
            continue
        port = opt_int(ref.get("port"))
        if any((port is None or opt_int(ln.get("port")) == port)
               and _kind_admitted(ln, route.kind) and _namespace_admitted(store, ln, gw, route)
               for ln in selected_listeners(gw, ref)):
            out.append((gw, opt_str(ref.get("sectionName")) or ""))
    return out


def filter_hostnames(store: Store, route: Obj) -> Obj | None:
    """What KIC's HTTPRoute controller hands the translator (httproute_controller.go, route_utils.go
    `filterHostnames`): a copy of the route whose hostnames are narrowed to the accepting listeners' (without
    hostnames: the union of the listener hostnames, unless a listener has none); None when no hostname
    intersects (the route is not Accepted and never reaches Kong)."""
    parents = _accepting_parents(store, route)
    raw_hostnames = [str(h) for h in as_list(route.spec.get("hostnames"))]
    filtered: list[str] = []
    if not raw_hostnames:
        for gw, section in parents:
            for ln in selected_listeners(gw, {"sectionName": section} if section else {}):
                if not section and str(ln.get("protocol") or "") not in ("HTTP", "HTTPS", "TLS"):
                    continue
                host = opt_str(ln.get("hostname"))
                if not host:
                    return route  # a listener without hostname: the route keeps matching any host
                filtered.append(host)
    else:
        for hostname in raw_hostnames:
            match = _minimum_intersection(parents, hostname)
            if match:
                filtered.append(match)
        if not filtered:
            return None
    if filtered == raw_hostnames:
        return route
    raw = dict(route.raw)
    raw["spec"] = {**route.spec, "hostnames": filtered}
    return Obj(raw, route.ref)


def _minimum_intersection(parents: list[tuple[Obj, str]], hostname: str) -> str:
    for gw, section in parents:
        for ln in selected_listeners(gw, {"sectionName": section} if section else {}):
            host = opt_str(ln.get("hostname"))
            if not host:
                return hostname
            if hostnames_match(host, hostname):
                return hostname
            if hostnames_match(hostname, host):
                return host
    return ""
