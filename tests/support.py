"""Test helpers: locating ../shared, the gwapi-validate oracle, and running the CLI in-process."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "golden"
SHARED = Path(os.environ.get("MIGRATE_SHARED_DIR", REPO.parent / "shared")).resolve()
SAMPLES = SHARED / "samples"
CHART_RENDERS = SHARED / "kong-chart-renders"
ORACLE_DIR = SHARED / "tools"

SHARED_MISSING = "../shared is absent (set MIGRATE_SHARED_DIR to the shared material to run this test)"


def require_shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{SHARED_MISSING}: {path} not found")
    return path


@cache
def _validator(version: str, channel: str) -> Any:
    require_shared("tools", "gwapi_validate.py")
    try:
        import cel_expr_python  # noqa: F401
        import jsonschema  # noqa: F401
        import yaml  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        pytest.skip(f"the gwapi-validate oracle needs its dependencies: {exc}")
    sys.path.insert(0, str(ORACLE_DIR))
    sys.dont_write_bytecode = True
    try:
        import gwapi_validate
    finally:
        sys.dont_write_bytecode = False
    return gwapi_validate.Validator(gwapi_validate.CRDRegistry.load(gwapi_validate.default_crd_paths(version, channel)))


def oracle_errors(objects: list[dict[str, Any]], version: str = "v1.6.1", channel: str = "experimental") -> list[str]:
    """Every error the oracle (apiserver schema + CEL) finds in `objects`; [] when all are accepted."""
    validator = _validator(version, channel)
    errors: list[str] = []
    for obj in objects:
        rep = validator.validate(obj)
        if rep.status not in ("OK", "SKIPPED"):
            name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('namespace', '-')}/{obj.get('metadata', {}).get('name')}"
            errors.extend(f"{name}: {e.path}: {e.message}" for e in rep.errors)
    return errors


def oracle_targets(gateway_api_version: str, kinds: set[str]) -> list[tuple[str, str]]:
    """The CRD sets an output for `gateway_api_version` must pass: its own bundle and v1.6.1 experimental."""
    l4 = {"TCPRoute", "UDPRoute", "TLSRoute", "BackendTLSPolicy"}
    if gateway_api_version == "v1.3":
        own = ("v1.3.0", "experimental" if kinds & l4 else "standard")
        return [own, ("v1.6.1", "experimental")]
    return [("v1.6.1", "standard"), ("v1.6.1", "experimental")]


def run_cli(args: list[str], stdin: str | None = None) -> Any:
    from typer.testing import CliRunner

    from migrate.cli import app

    return CliRunner().invoke(app, args, input=stdin, catch_exceptions=False)
