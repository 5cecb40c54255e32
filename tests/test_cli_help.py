"""The help is plain, complete and cheap: every subcommand's --help works without importing pydantic, YAML,
templating, cluster or conversion code (start-up cost), `-h` works, and the top-level help lists the commands
in the migration's order with their whole one-line summaries (issue #12 item 7)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support import REPO, run_cli

COMMANDS = ["convert", "verify", "helm-values", "check", "scan"]
HEAVY = ("pydantic", "ruamel", "jinja2", "kubernetes", "migrate.convert.pipeline", "migrate.kic", "migrate.kong",
         "migrate.verify.compare", "generators")


@pytest.mark.parametrize("command", COMMANDS)
def test_subcommand_help_imports_nothing_heavy(command: str) -> None:
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "migrate", command, "--help"], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    modules = [line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if "|" in line]
    heavy = [m for m in modules if m.startswith(HEAVY)]
    assert heavy == [], f"`migrate {command} --help` imports {heavy[:5]}"
    assert "<list[str]>" not in out.stdout and "{INPUT" not in out.stdout and "\\[" not in out.stdout


def test_top_level_help_lists_commands_in_flow_order_with_whole_summaries() -> None:
    text = run_cli(["-h"]).stdout
    listed = [line.split()[0] for line in text.split("Commands:")[1].splitlines() if line.startswith("  ") and
              not line.startswith("   ")]
    assert listed == COMMANDS
    assert "..." not in text.split("Commands:")[1]
