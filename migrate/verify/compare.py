"""`verify`: build both routing tables, send every probe through both, and collect what differs.  Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from migrate.loader import SourceDoc
from migrate.model.inventory import build_inventory
from migrate.report import Report
from migrate.verify.gateway_model import build_gateway_table
from migrate.verify.kong_model import build_kong_table, resolve_plugin
from migrate.verify.options import VerifyOptions
from migrate.verify.outcome import Outcome, Request
from migrate.verify.probes import generate_probes


@dataclass(frozen=True)
class Difference:
    request: Request
    before: Outcome
    after: Outcome
    reason: str = ""  # set when the difference is accepted

    def as_dict(self) -> dict[str, object]:
        d: dict[str, object] = {"request": self.request.as_dict(), "before": self.before.as_dict(),
                                "after": self.after.as_dict()}
        if self.reason:
            d["acceptedBecause"] = self.reason
        return d


@dataclass
class VerifyResult:
    router_flavor: str
    probes: int = 0
    identical: int = 0
    differences: list[Difference] = field(default_factory=list)  # not accepted
    accepted: list[Difference] = field(default_factory=list)
    stale_accepted: list[str] = field(default_factory=list)  # accepted requests that no longer differ
    notes: list[str] = field(default_factory=list)

    @property
    def different(self) -> int:
        return len(self.differences) + len(self.accepted)

    def exit_code(self) -> int:
        return 1 if self.differences else 0


def parse_accepted(text: str) -> dict[str, str]:
    """`REQUEST -- reason` per line (REQUEST as printed by verify); `#` comments.  A reason is required."""
    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        request, sep, reason = line.partition(" -- ")
        if not sep or not reason.strip() or not request.strip():
            raise ValueError(f"line {n}: expected 'REQUEST -- reason', got {line!r}")
        out[request.strip()] = reason.strip()
    return out


def verify(before_docs: Sequence[SourceDoc], after_objects: Sequence[dict[str, Any]],
           options: VerifyOptions | None = None) -> VerifyResult:
    """Compare how Kong routed `before_docs` (Ingresses and what they reference) with how the Gateway API
    routes `after_objects` (Gateways, HTTPRoutes, GRPCRoutes, ...), on generated probe requests."""
    options = options or VerifyOptions()
    kong = build_kong_table(before_docs, options)
    inventory = build_inventory(before_docs, Report())  # the cluster's KongPlugins, for kept annotations

    def resolver(namespace: str, name: str, explicit: bool) -> str:
        return resolve_plugin(inventory, namespace, name, explicit_namespace=explicit)

    gateway = build_gateway_table(after_objects, resolver, options.router_flavor)
    result = VerifyResult(router_flavor=options.router_flavor.value, notes=kong.notes + gateway.notes)
    probes = generate_probes([*kong.shapes(), *gateway.shapes()])
    result.probes = len(probes)
    seen_accepted: set[str] = set()
    for req in probes:
        before = kong.route(req)
        after = gateway.route(req)
        if before.key() == after.key():
            result.identical += 1
            continue
        text = req.describe()
        if text in options.accepted:
            seen_accepted.add(text)
            result.accepted.append(Difference(req, before, after, options.accepted[text]))
        else:
            result.differences.append(Difference(req, before, after))
    result.stale_accepted = sorted(set(options.accepted) - seen_accepted)
    return result
