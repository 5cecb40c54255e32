"""KongIngress (Service `konghq.com/override`) → KongUpstreamPolicy + Service annotations (REFERENCE §3.4).

Kong's controller ignores KongIngress for upstreams built from Gateway API routes, so the `upstream`
section becomes a KongUpstreamPolicy (field by field, within its CEL rules) and the `proxy` section
becomes the equivalent Service annotations.  Both reach the Service through a patch: the user owns it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrate.convert.naming import bounded
from migrate.model.objects import KongIngress, Service
from migrate.report import Report, Status

OVERRIDE = "konghq.com/override"
UPSTREAM_POLICY = "konghq.com/upstream-policy"
POLICY_API = "configuration.konghq.com/v1beta1"
ALGORITHMS = ("round-robin", "consistent-hashing", "least-connections", "latency", "sticky-sessions")
HASH_INPUTS = ("ip", "consumer", "path")
# Kong upstream hash_on value -> (KongUpstreamPolicy hashOn key, KongIngress field holding the value)
HASH_FIELDS = {"header": ("header", "header"), "cookie": ("cookie", "cookie"), "query_arg": ("queryArg", "query_arg"),
               "uri_capture": ("uriCapture", "uri_capture")}
PROXY_ANNOTATIONS = {
    "connect_timeout": "konghq.com/connect-timeout",
    "read_timeout": "konghq.com/read-timeout",
    "write_timeout": "konghq.com/write-timeout",
    "retries": "konghq.com/retries",
    "path": "konghq.com/path",
    "protocol": "konghq.com/protocol",
}
ROUTE_ANNOTATIONS = {
    "methods": "konghq.com/methods", "headers": "konghq.com/headers.<name>", "protocols": "konghq.com/protocols",
    "regex_priority": "konghq.com/regex-priority", "strip_path": "konghq.com/strip-path",
    "preserve_host": "konghq.com/preserve-host", "https_redirect_status_code": "konghq.com/https-redirect-status-code",
    "path_handling": "konghq.com/path-handling", "snis": "konghq.com/snis",
    "request_buffering": "konghq.com/request-buffering", "response_buffering": "konghq.com/response-buffering",
}
# healthchecks: Kong snake_case -> KongUpstreamPolicy camelCase, per level
_HC_COUNTERS = {"http_failures": "httpFailures", "tcp_failures": "tcpFailures", "timeouts": "timeouts",
                "successes": "successes", "interval": "interval", "http_statuses": "httpStatuses"}
_HC_ACTIVE = {"concurrency": "concurrency", "http_path": "httpPath", "https_sni": "httpsSni",
              "https_verify_certificate": "httpsVerifyCertificate", "timeout": "timeout", "type": "type",
              "headers": "headers"}
_HC_TYPES = ("http", "https", "tcp", "grpc", "grpcs")


class _Bad(ValueError):
    pass


@dataclass
class UpstreamConversion:
    policy: dict[str, Any] | None = None
    annotations: dict[str, str | None] = field(default_factory=dict)  # Service patch (None removes)
    complete: bool = True  # everything in upstream/proxy was expressed


@dataclass
class _Ctx:
    ki: KongIngress
    report: Report
    complete: bool = True

    def note(self, status: Status, fld: str, message: str, action: str = "") -> None:
        if status in (Status.UNCONVERTED, Status.ERROR):
            self.complete = False
        self.report.add(self.ki.meta.source, status, fld, message, action)


def _int(value: Any, fld: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise _Bad(f"{fld}: {value!r} is not an integer")
    n = int(value)
    if (low is not None and n < low) or (high is not None and n > high):
        raise _Bad(f"{fld}: {n} is out of range {low}-{'' if high is None else high}")
    return n


def _counters(raw: Any, fld: str, passive: bool, ctx: _Ctx) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _Bad(f"{fld}: must be a mapping")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        sub = f"{fld}.{key}"
        if key not in _HC_COUNTERS:
            ctx.note(Status.UNCONVERTED, sub, "no KongUpstreamPolicy field for it", "set it by hand or drop it")
            continue
        if key == "interval" and passive:
            ctx.note(Status.IGNORED, sub, "passive health checks have no interval in Kong; the KongUpstreamPolicy "
                     "forbids it, so it is dropped")
            continue
        if key == "http_statuses":
            if not isinstance(value, list):
                raise _Bad(f"{sub}: must be a list")
            out["httpStatuses"] = [_int(s, sub, 100, 599) for s in value]
        else:
            out[_HC_COUNTERS[key]] = _int(value, sub, 0)
    return out


def _healthchecks(raw: Any, ctx: _Ctx) -> dict[str, Any]:
    fld = "upstream.healthchecks"
    if not isinstance(raw, dict):
        raise _Bad(f"{fld}: must be a mapping")
    out: dict[str, Any] = {}
    for section in ("active", "passive"):
        if section not in raw or raw[section] is None:
            continue
        src = raw[section]
        if not isinstance(src, dict):
            raise _Bad(f"{fld}.{section}: must be a mapping")
        dst: dict[str, Any] = {}
        for key, value in src.items():
            sub = f"{fld}.{section}.{key}"
            if key in ("healthy", "unhealthy"):
                dst[key] = _counters(value, sub, section == "passive", ctx)
            elif key == "type":
                if value not in _HC_TYPES:
                    raise _Bad(f"{sub}: {value!r} is not one of {', '.join(_HC_TYPES)}")
                dst["type"] = value
            elif section == "active" and key in _HC_ACTIVE:
                if key == "concurrency":
                    dst[_HC_ACTIVE[key]] = _int(value, sub, 1)
                elif key == "timeout":
                    dst[_HC_ACTIVE[key]] = _int(value, sub, 0)
                elif key == "http_path":
                    if not isinstance(value, str) or not value.startswith("/"):
                        raise _Bad(f"{sub}: {value!r} must start with '/'")
                    dst[_HC_ACTIVE[key]] = value
                elif key == "https_verify_certificate":
                    if not isinstance(value, bool):
                        raise _Bad(f"{sub}: {value!r} is not a boolean")
                    dst[_HC_ACTIVE[key]] = value
                elif key == "headers":
                    if not isinstance(value, dict):
                        raise _Bad(f"{sub}: must be a mapping of header name to values")
                    dst["headers"] = {str(k): [str(x) for x in (v if isinstance(v, list) else [v])]
                                      for k, v in sorted(value.items())}
                else:
                    dst[_HC_ACTIVE[key]] = str(value)
            else:
                ctx.note(Status.UNCONVERTED, sub, "no KongUpstreamPolicy field for it", "set it by hand or drop it")
        out[section] = dst
    if raw.get("threshold") is not None:
        out["threshold"] = _int(raw["threshold"], f"{fld}.threshold", 0)
    for key in sorted(set(raw) - {"active", "passive", "threshold"}):
        ctx.note(Status.UNCONVERTED, f"{fld}.{key}", "no KongUpstreamPolicy field for it", "set it by hand")
    return out


def _hash(up: dict[str, Any], prefix: str, ctx: _Ctx) -> dict[str, str] | None:
    """hashOn / hashOnFallback from hash_on* / hash_fallback* fields; None for `none` (Kong's default)."""
    kind = up.get(prefix)
    if kind is None or kind == "none":
        return None
    if kind in HASH_INPUTS:
        return {"input": str(kind)}
    if kind in HASH_FIELDS:
        key, suffix = HASH_FIELDS[kind]
        value = up.get(f"{prefix}_{suffix}")
        if not isinstance(value, str) or not value:
            raise _Bad(f"upstream.{prefix}: {kind} needs upstream.{prefix}_{suffix}")
        out = {key: value}
        if kind == "cookie":
            out["cookiePath"] = str(up.get(f"{prefix}_cookie_path") or "/")  # Kong's default path
        return out
    raise _Bad(f"upstream.{prefix}: {kind!r} is not one of none, ip, consumer, path, header, cookie, query_arg, "
               "uri_capture")


def _unused_hash_fields(up: dict[str, Any], ctx: _Ctx) -> None:
    """hash_on_* / hash_fallback_* values the chosen hash_on / hash_fallback does not read (Kong ignores them)."""
    for prefix in ("hash_on", "hash_fallback"):
        used = up.get(prefix)
        for kind, (_, suffix) in HASH_FIELDS.items():
            fld = f"{prefix}_{suffix}"
            if up.get(fld) is not None and used != kind:
                ctx.note(Status.IGNORED, f"upstream.{fld}", f"used only when {prefix} is {kind}: Kong ignored it, "
                         "so does the conversion")
        fld = f"{prefix}_cookie_path"
        if prefix == "hash_on" and used != "cookie" and up.get(fld) not in (None, "/"):
            ctx.note(Status.IGNORED, f"upstream.{fld}", "used only when hash_on is cookie: Kong ignored it, so does "
                     "the conversion")


# KongIngress upstream fields read by _policy_spec (everything else is reported as unconverted)
_HANDLED = {"algorithm", "slots", "hash_on", "hash_on_header", "hash_on_cookie", "hash_on_cookie_path",
            "hash_on_query_arg", "hash_on_uri_capture", "hash_fallback", "hash_fallback_header",
            "hash_fallback_query_arg", "hash_fallback_uri_capture", "healthchecks", "host_header",
            "sticky_sessions_cookie", "sticky_sessions_cookie_path"}


def _policy_spec(up: dict[str, Any], ctx: _Ctx) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    algorithm = up.get("algorithm")
    if algorithm is not None:
        if algorithm not in ALGORITHMS:
            raise _Bad(f"upstream.algorithm: {algorithm!r} is not one of {', '.join(ALGORITHMS)}")
        spec["algorithm"] = algorithm
    if up.get("slots") is not None:
        spec["slots"] = _int(up["slots"], "upstream.slots", 10, 65536)
    hash_on = _hash(up, "hash_on", ctx)
    fallback = _hash(up, "hash_fallback", ctx)
    if fallback and ("cookie" in fallback):
        raise _Bad("upstream.hash_fallback: cookie cannot be a fallback")
    _unused_hash_fields(up, ctx)
    if hash_on is not None:
        if algorithm is None:
            spec["algorithm"] = "consistent-hashing"
            ctx.note(Status.WARNING, "upstream.hash_on",
                     f"hash_on {up['hash_on']} without algorithm (Kong's default is round-robin): a KongUpstreamPolicy "
                     "cannot hold hashOn without a hashing algorithm (CEL), so algorithm consistent-hashing was set, "
                     "assuming hashing was meant", "check the load balancing of this Service after the migration")
        elif algorithm not in ("consistent-hashing", "sticky-sessions"):
            ctx.note(Status.IGNORED, "upstream.hash_on",
                     f"algorithm {algorithm} does not hash, so Kong ignored hash_on; dropped (the "
                     "KongUpstreamPolicy rejects hashOn without a hashing algorithm)")
            hash_on = None
    if hash_on is not None:
        spec["hashOn"] = hash_on
    if fallback is not None:
        if spec.get("algorithm") != "consistent-hashing":
            ctx.note(Status.IGNORED, "upstream.hash_fallback",
                     "a fallback only applies with algorithm consistent-hashing; dropped (the KongUpstreamPolicy "
                     "rejects it otherwise)")
        elif hash_on is not None and "cookie" in hash_on:
            ctx.note(Status.IGNORED, "upstream.hash_fallback",
                     "Kong never falls back from cookie hashing (it sets the cookie); dropped (rejected with "
                     "hashOn.cookie)")
        else:
            spec["hashOnFallback"] = fallback
    if spec.get("algorithm") == "sticky-sessions" or up.get("sticky_sessions_cookie") is not None:
        cookie = up.get("sticky_sessions_cookie")
        if spec.get("algorithm") != "sticky-sessions" or not isinstance(cookie, str) or not cookie:
            raise _Bad("upstream: sticky sessions need algorithm sticky-sessions and sticky_sessions_cookie")
        if spec.get("hashOn", {"input": "none"}) != {"input": "none"}:
            raise _Bad("upstream: sticky sessions cannot be combined with hash_on")
        spec["hashOn"] = {"input": "none"}
        spec["stickySessions"] = {"cookie": cookie,
                                  "cookiePath": str(up.get("sticky_sessions_cookie_path") or "/")}
        ctx.note(Status.WARNING, "upstream.algorithm", "sticky-sessions needs Kong Gateway 3.11 or later")
    if up.get("healthchecks") is not None:
        spec["healthchecks"] = _healthchecks(up["healthchecks"], ctx)
    return spec


def policy_name(ki: KongIngress, taken: set[tuple[str, str]]) -> str:
    """The KongIngress name, unless an input KongUpstreamPolicy already uses it."""
    name = ki.meta.name
    if (ki.meta.namespace, name) in taken:
        name = bounded(f"{name}-from-kongingress", f"{ki.meta.namespace}/{name}")
    return name


def convert_kong_ingress(ki: KongIngress, svc: Service, name: str, report: Report, *,
                         source_kic_major: int = 3) -> UpstreamConversion:
    """The policy and Service annotations replacing one KongIngress on one Service (reports on the KongIngress)."""
    ctx = _Ctx(ki, report)
    out = UpstreamConversion()
    up = ki.upstream or {}
    if up:
        try:
            spec = _policy_spec(up, ctx)
        except _Bad as exc:
            ctx.note(Status.ERROR, "upstream", f"invalid: {exc}; no KongUpstreamPolicy was generated",
                     "fix the KongIngress and convert again")
            spec = {}
        else:
            for key in sorted(set(up) - _HANDLED):
                ctx.note(Status.UNCONVERTED, f"upstream.{key}", "no KongUpstreamPolicy field or Service annotation "
                         "for it", "configure it by hand")
            if spec:
                out.policy = {"apiVersion": POLICY_API, "kind": "KongUpstreamPolicy",
                              "metadata": {"name": name, "namespace": ki.meta.namespace,
                                           "labels": {"app.kubernetes.io/managed-by": "kong-gateway-migrate"}},
                              "spec": spec}
                ctx.note(Status.CONVERTED, "upstream",
                         f"-> KongUpstreamPolicy {ki.meta.namespace}/{name} ({', '.join(sorted(spec))})")
        host_header = up.get("host_header")
        if host_header is not None:
            _to_annotation(ctx, svc, out, "upstream.host_header", "konghq.com/host-header", host_header)
    if ki.proxy and source_kic_major >= 3:
        # KIC 3.0 removed the proxy section (REFERENCE §5.5a): Kong never saw these settings.
        report.add(ki.meta.source, Status.IGNORED, "proxy",
                   f"referenced from Service {svc.meta.namespace}/{svc.meta.name}: Kong's controller 3.x ignores "
                   f"KongIngress proxy settings ({', '.join(sorted(ki.proxy))}), so Kong never applied them; not "
                   "carried over", "if the Ingresses run on KIC 2.x, convert with --source-kic-version 2")
    for key, value in sorted((ki.proxy or {}).items() if source_kic_major < 3 else ()):
        if key in PROXY_ANNOTATIONS:
            _to_annotation(ctx, svc, out, f"proxy.{key}", PROXY_ANNOTATIONS[key], value)
        else:
            ctx.note(Status.UNCONVERTED, f"proxy.{key}", "no Service annotation for it", "configure it by hand")
    if ki.route:
        names = [f"{k} -> {ROUTE_ANNOTATIONS[k]}" for k in sorted(ki.route) if k in ROUTE_ANNOTATIONS]
        others = sorted(k for k in ki.route if k not in ROUTE_ANNOTATIONS)
        report.add(ki.meta.source, Status.IGNORED, "route",
                   f"referenced from Service {svc.meta.namespace}/{svc.meta.name}: Kong applies a KongIngress "
                   "route section only from an Ingress's konghq.com/override, so it had no effect here",
                   "if it was meant for the routes, put the route annotations on the Ingress instead: "
                   + "; ".join(names + [f"{k}: no annotation" for k in others]))
    if out.policy is not None:
        out.annotations[UPSTREAM_POLICY] = name
    out.complete = ctx.complete
    if out.complete and (out.policy is not None or out.annotations or not up):
        out.annotations[OVERRIDE] = None
    return out


def _to_annotation(ctx: _Ctx, svc: Service, out: UpstreamConversion, fld: str, key: str, value: Any) -> None:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    existing = svc.meta.annotations.get(key)
    if existing is not None and existing.strip() != text:
        ctx.note(Status.WARNING, fld, f"the Service already has {key}: {existing!r}, which Kong applies over the "
                 f"KongIngress value {text!r}; the annotation is left as it is")
        return
    if existing is None:
        out.annotations[key] = text
    ctx.note(Status.CONVERTED, fld, f"-> Service annotation {key}: {text!r} "
             f"(Service {svc.meta.namespace}/{svc.meta.name})")
