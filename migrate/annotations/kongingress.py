"""A KongIngress referenced from an Ingress (`konghq.com/override`): its route section → route traits.

Kong's controller 2.x applies only the `route` section of an Ingress's KongIngress, field by field, before
the route annotations (which therefore win); 3.x ignores the section altogether (REFERENCE §5.5a), so it is
converted only for a KIC 2.x source (`--source-kic-version 2`).  Each field equals one route annotation,
so it runs through that annotation's handler: one meaning per setting, whatever its origin.  With the
expressions router KIC 2.x skips the route section too (kongstate/route.go `overrideByKongIngress`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrate.annotations import parse as p
from migrate.annotations.route import AnnotationContext, handler_for, literal_regexes_dropped
from migrate.convert.choices import RouterFlavor
from migrate.model.objects import KongIngress
from migrate.report import Status

OVERRIDE = "konghq.com/override"
# KongIngress route field -> the route annotation with the same effect
ROUTE_FIELDS = {
    "methods": "konghq.com/methods",
    "protocols": "konghq.com/protocols",
    "strip_path": "konghq.com/strip-path",
    "preserve_host": "konghq.com/preserve-host",
    "regex_priority": "konghq.com/regex-priority",
    "https_redirect_status_code": "konghq.com/https-redirect-status-code",
    "path_handling": "konghq.com/path-handling",
    "snis": "konghq.com/snis",
    "request_buffering": "konghq.com/request-buffering",
    "response_buffering": "konghq.com/response-buffering",
}
# the route fields that mean something for TCPIngress/UDPIngress routes
STREAM_FIELDS = frozenset({"protocols", "snis"})


@dataclass
class _FieldContext(AnnotationContext):
    """Reports under the override annotation, naming the KongIngress field and the annotation it acts as."""

    origin: str = ""

    def note(self, key: str, status: Status, message: str, action: str = "") -> None:
        self.report.add(self.meta.source, status, f"annotation {OVERRIDE}",
                        f"KongIngress {self.origin} (as {key}): {message}", action)


def _as_annotation_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _headers(ki: KongIngress, raw: Any, fctx: _FieldContext) -> None:
    if not isinstance(raw, dict):
        fctx.invalid("konghq.com/headers.*", p.AnnotationValueError("route.headers must map names to value lists"))
        return
    for name, values in sorted(raw.items()):
        key = f"{p.HEADERS_PREFIX}{str(name).lower()}"
        fctx.origin = f"{ki.meta.namespace}/{ki.meta.name} route.headers.{name}"
        if key in fctx.meta.annotations:
            fctx.note(key, Status.IGNORED, "the Ingress annotation takes precedence (Kong applies it last)")
            continue
        items = values if isinstance(values, list) else [values]
        parsed: list[p.HeaderValue] = []
        try:
            for item in items:
                # one value per list item: commas inside a KongIngress value are not separators
                parsed.extend(p.parse_header_values(str(item), "\n"))
        except p.AnnotationValueError as exc:
            fctx.invalid(key, exc)
            continue
        try:
            parsed = literal_regexes_dropped(key, parsed, fctx)
        except p.AnnotationValueError as exc:
            fctx.invalid(key, exc)
            continue
        if not parsed:
            continue
        fctx.traits.headers[str(name).lower()] = parsed
        shown = ", ".join(("~*" + v.value if v.regex else v.value) for v in parsed)
        fctx.note(key, Status.CONVERTED, f"-> header match {str(name).lower()} in ({shown}), one match per value")


def apply_kongingress_route(ki: KongIngress, ctx: AnnotationContext) -> None:
    """Turn the KongIngress's route section into traits; report its other sections."""
    where = f"{ki.meta.namespace}/{ki.meta.name}"
    fctx = _FieldContext(ctx.meta, ctx.kind, ctx.inventory, ctx.options, ctx.report, traits=ctx.traits)
    for section in ("upstream", "proxy"):
        if getattr(ki, section):
            ctx.note(OVERRIDE, Status.IGNORED,
                     f"KongIngress {where} {section} section: Kong applies it only from a Service's "
                     f"konghq.com/override, never from this {ctx.kind}'s",
                     "if it was meant for the Services, reference the KongIngress from the Service (it then "
                     "converts to a KongUpstreamPolicy)")
    route = ki.route or {}
    if route and ctx.options.source_kic_major >= 3:
        # KIC 3.0 removed the route section (REFERENCE §5.5a; the CRD's CEL rejects new ones): Kong never saw it.
        ctx.note(OVERRIDE, Status.IGNORED, f"KongIngress {where} route section ({', '.join(sorted(route))}): Kong's "
                 "controller 3.x ignores it, so Kong never applied these settings; not carried over",
                 "if the Ingresses run on KIC 2.x, convert with --source-kic-version 2")
        route = {}
    if route and ctx.options.router_flavor == RouterFlavor.EXPRESSIONS:
        # KIC 2.x skips the route section when it builds expression routes (kongstate/route.go
        # overrideByKongIngress: "disable overriding routes by KongIngress if expression routes is enabled").
        ctx.note(OVERRIDE, Status.IGNORED, f"KongIngress {where} route section ({', '.join(sorted(route))}): Kong's "
                 "controller 2.x does not apply it with the expressions router, so Kong never applied these "
                 "settings; not carried over")
        route = {}
    for fld in sorted(route):
        value = route[fld]
        fctx.origin = f"{where} route.{fld}"
        if ctx.kind != "Ingress" and fld not in STREAM_FIELDS:
            ctx.note(OVERRIDE, Status.IGNORED, f"KongIngress {where} route.{fld}: an HTTP route setting, which Kong "
                     f"cannot apply to a {ctx.kind} route; not carried over")
            continue
        if fld == "headers":
            _headers(ki, value, fctx)
            continue
        key = ROUTE_FIELDS.get(fld)
        handler = handler_for(key) if key else None
        if key is None or handler is None:
            ctx.note(OVERRIDE, Status.UNCONVERTED, f"KongIngress {where} route.{fld}: no route annotation or "
                     "Gateway API field has its effect", "set it on the generated route by hand, or drop it")
            continue
        if key in ctx.meta.annotations:
            fctx.note(key, Status.IGNORED, "the Ingress annotation takes precedence (Kong applies it last)")
            continue
        if value is None:
            continue
        before = len(ctx.report.entries)
        try:
            handler(key, _as_annotation_value(value), fctx)
        except p.AnnotationValueError as exc:
            fctx.invalid(key, exc)
        if len(ctx.report.entries) == before:
            # handlers whose effect the translator reports (strip-path, redirects) stay silent here
            fctx.note(key, Status.CONVERTED, f"applied as the annotation; see the {key} entry for what it became")
    if not route and not ki.upstream and not ki.proxy:
        ctx.note(OVERRIDE, Status.IGNORED, f"KongIngress {where} is empty: nothing to convert")
