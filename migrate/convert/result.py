"""What a conversion produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrate.report import Report


@dataclass
class ConvertResult:
    # Gateway API objects and Kong CRDs to apply, in output order.
    objects: list[dict[str, Any]] = field(default_factory=list)
    # Strategic-merge patches for existing objects (e.g. Services gaining konghq.com/upstream-policy):
    # emitted apart from `objects` because they modify objects the user owns.
    patches: list[dict[str, Any]] = field(default_factory=list)
    report: Report = field(default_factory=Report)
