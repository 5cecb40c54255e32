"""Comparing the KIC model's output with KIC's own goldens (../shared/kic-goldens), field by field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from migrate.convert.choices import RouterFlavor
from migrate.kic.settings import KICSettings
from tests.support import SHARED

KIC_GOLDENS = SHARED / "kic-goldens" / "v3.5.13"
IGNORED_KEYS = frozenset({"id", "tags"})


def normalize(value: Any) -> Any:
    """Drop ids and tags (REFERENCE: kic-goldens README), keep everything else as is."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items() if k not in IGNORED_KEYS}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def differences(got: Any, want: Any, path: str = "") -> list[str]:
    """Every field where `got` and `want` part, as `path: got != want` lines (empty: equal)."""
    if isinstance(got, dict) and isinstance(want, dict):
        out: list[str] = []
        for key in sorted(set(got) | set(want)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in got:
                out.append(f"{sub}: missing (want {want[key]!r})")
            elif key not in want:
                out.append(f"{sub}: unexpected {got[key]!r}")
            else:
                out.extend(differences(got[key], want[key], sub))
        return out
    if isinstance(got, list) and isinstance(want, list):
        if len(got) != len(want):
            return [f"{path}: {len(got)} items != {len(want)}: got {got!r} want {want!r}"]
        out = []
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            out.extend(differences(g, w, f"{path}[{i}]"))
        return out
    return [] if got == want else [f"{path}: {got!r} != {want!r}"]


def settings_for(case: Path, settings_file: str | None) -> KICSettings:
    """`<name>_settings.yaml` holds `feature_flags`; ExpressionRoutes means the expressions flavor."""
    from ruamel.yaml import YAML

    flags: dict[str, Any] = {}
    if settings_file:
        data = YAML(typ="safe").load((case / settings_file).read_text()) or {}
        flags = data.get("feature_flags") or {}
    flavor = RouterFlavor.EXPRESSIONS if flags.get("ExpressionRoutes") else RouterFlavor.TRADITIONAL
    return KICSettings(router_flavor=flavor, kong_service_facade=bool(flags.get("KongServiceFacade")))


def golden_variants(case: Path) -> list[tuple[str, str | None]]:
    """(golden file, settings file or None) for every variant of a case."""
    out: list[tuple[str, str | None]] = [("default_golden.yaml", None)]
    for settings in sorted(case.glob("*_settings.yaml")):
        stem = settings.name[: -len("_settings.yaml")]
        out.append((f"{stem}_golden.yaml", settings.name))
    return out
