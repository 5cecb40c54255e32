"""The help is plain, complete and cheap: every subcommand's --help works without importing pydantic, YAML,
templating, cluster or conversion code (start-up cost), `-h` works, and the top-level help lists the commands
in the migration's order with their whole one-line summaries (issue #12 item 7).

The small commands stay cheap when they run (issue #14 item 1): `helm-values` and `check` on a Gateway import
no pydantic, templating, cluster client, conversion or verification code, and a run imports only the command
module it runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import GOLDEN, REPO, run_cli

COMMANDS = ["convert", "verify", "helm-values", "check", "scan"]
HEAVY = ("pydantic", "ruamel", "jinja2", "kubernetes", "migrate.convert.pipeline", "migrate.kic", "migrate.kong",
         "migrate.verify.compare", "generators", "migrate.loader", "migrate.yamlio")
# What running helm-values or check needs none of (YAML and the chart model they do need).
HEAVY_FOR_RUNS = ("pydantic", "jinja2", "markupsafe", "kubernetes", "urllib3", "migrate.convert", "migrate.kic",
                  "migrate.kong", "migrate.verify", "migrate.scan", "migrate.model", "migrate.report",
                  "migrate.annotations", "migrate.commands.convert", "migrate.commands.scan",
                  "migrate.commands.verify", "migrate.kongstatus.fixes")  # fixes: only when a listener fails
TEMPLATING = ("jinja2", "markupsafe")


def imported(args: list[str]) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run `python -X importtime -m migrate ARGS`; the modules the run imported."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "migrate", *args], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    modules = [line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines()
               if line.startswith("import time:") and "|" in line]
    return out, modules


@pytest.mark.parametrize("command", COMMANDS)
def test_subcommand_help_imports_nothing_heavy(command: str) -> None:
    out, modules = imported([command, "--help"])
    assert out.returncode == 0, out.stderr
    heavy = [m for m in modules if m.startswith(HEAVY)]
    assert heavy == [], f"`migrate {command} --help` imports {heavy[:5]}"
    assert "<list[str]>" not in out.stdout and "{INPUT" not in out.stdout and "\\[" not in out.stdout
    if command != "scan":  # scan reuses convert's output functions
        others = {f"migrate.commands.{c.replace('-', '_')}" for c in COMMANDS if c != command}
        assert sorted(others & set(modules)) == [], f"`migrate {command} --help` imports other commands"


def test_top_level_help_imports_no_command_module_and_is_the_whole_help() -> None:
    out, modules = imported(["--help"])
    assert out.returncode == 0, out.stderr
    assert [m for m in modules if m.startswith((*HEAVY, "migrate.commands."))] == []
    # the same text as with every command registered (`migrate.cli.app` registers them all)
    full = subprocess.run([sys.executable, "-c", "import sys; sys.argv[1:] = ['--help']; from migrate.cli import app; "
                           "app(prog_name='python -m migrate')"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert full.returncode == 0 and full.stdout == out.stdout, full.stdout


@pytest.mark.parametrize("case", ["helm-values", "helm-values-all", "check"])
def test_small_command_runs_import_only_what_they_need(case: str, tmp_path: Path) -> None:
    src = GOLDEN / "check" / "all-programmed"
    for name in ("gateway.yaml", "values.yaml"):
        shutil.copy(src / name, tmp_path / name)
    gateway, values = str(tmp_path / "gateway.yaml"), str(tmp_path / "values.yaml")
    args = {"helm-values": ["helm-values", gateway],
            "helm-values-all": ["helm-values", gateway, "--values", values, "-o", "all"],
            "check": ["check", gateway, "--values", values]}[case]
    out, modules = imported(args)
    assert out.returncode == 0, out.stderr
    assert "kind: Service" in out.stdout if case == "helm-values-all" else out.stdout
    # helm-values renders its values and Service manifests from jinja2 templates (the project's templating
    # choice); check renders none
    avoid = tuple(h for h in HEAVY_FOR_RUNS if not (case.startswith("helm-values") and h in TEMPLATING))
    heavy = [m for m in modules if m in avoid or m.startswith(tuple(f"{h}." for h in avoid))]
    assert heavy == [], f"`migrate {' '.join(args)}` imports {heavy[:8]}"
    assert "generators.chart" in modules and "migrate.loader" in modules  # the run did the work
    assert [m for m in modules if m.startswith("migrate.commands.") and m != "migrate.commands.common"] == [
        f"migrate.commands.{args[0].replace('-', '_')}"]  # only the command run


def test_top_level_help_lists_commands_in_flow_order_with_whole_summaries() -> None:
    text = run_cli(["-h"]).stdout
    listed = [line.split()[0] for line in text.split("Commands:")[1].splitlines() if line.startswith("  ") and
              not line.startswith("   ")]
    assert listed == COMMANDS
    assert "..." not in text.split("Commands:")[1]


@pytest.mark.parametrize(("args", "needed"), [
    (["helm-values", "gw.yaml"], ["helm-values"]), (["check", "-h"], ["check"]), (["--help"], []),
    ([], []), (["--version"], []), (["bogus"], []), (["-h", "scan"], []),
    (["--version", "check"], ["check"]), (["--", "convert"], ["convert"]),
])
def test_a_run_registers_the_command_it_names(args: list[str], needed: list[str]) -> None:
    from migrate.cli import commands_for

    assert commands_for(args) == needed


def test_help_before_a_command_is_the_whole_top_level_help() -> None:
    out = subprocess.run([sys.executable, "-m", "migrate", "-h", "scan"], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and all(f"  {c} " in out.stdout for c in COMMANDS), out.stdout


def test_an_unknown_command_is_a_usage_error() -> None:
    out = subprocess.run([sys.executable, "-m", "migrate", "bogus"], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2 and "No such command 'bogus'" in out.stderr
