"""The bulk commands (convert, verify, scan) run without the cyclic GC and restore it when they end
(migrate/commands/common.py bulk_run): what they build holds no cycles and lives until the end."""

from __future__ import annotations

import gc

import pytest

from migrate.commands import common
from tests.support import REPO, run_cli


def test_convert_runs_without_cyclic_collection_and_restores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import migrate.commands.convert as convert_command

    during: list[bool] = []
    real = convert_command.read_inputs

    def watched(*args: object, **kwargs: object) -> object:
        during.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(convert_command, "read_inputs", watched)
    assert gc.isenabled()
    result = run_cli(["convert", "--no-verify", str(REPO / "examples" / "ingress.yaml")])
    assert result.exit_code == 0, result.output
    assert during == [False]
    assert gc.isenabled()


def test_a_failing_command_restores_cyclic_collection_too() -> None:
    @common.bulk_run
    def fails() -> None:
        assert not gc.isenabled()
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fails()
    assert gc.isenabled()


def test_collection_stays_off_when_it_was_off() -> None:
    @common.bulk_run
    def command() -> bool:
        return gc.isenabled()

    gc.disable()
    try:
        assert command() is False
        assert not gc.isenabled()
    finally:
        gc.enable()
