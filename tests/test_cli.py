"""The CLI: every command explains itself, is documented, and errors are one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kizuki.cli import app
from kizuki.settings import Settings

runner = CliRunner()
DOC = (Path(__file__).parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
COMMANDS = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
COMMANDS += [
    f"{g.name} {c.name or (c.callback.__name__ if c.callback else '')}"
    for g in app.registered_groups
    for c in (g.typer_instance.registered_commands if g.typer_instance else [])
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_documented(command: str) -> None:
    result = runner.invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    assert f"## `kizuki {command}`" in DOC, "run python docs/gen_cli.py"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_has_help_and_is_documented(name: str) -> None:
    assert Settings.model_fields[name].description
    assert f"| `{name}` |" in DOC


def test_store_error_is_one_line_and_exit_code_1() -> None:
    result = runner.invoke(app, ["init", "--store", "postgres://nope"])
    assert result.exit_code == 1
    assert "unknown scheme 'postgres'" in result.output
    assert "Traceback" not in result.output


def test_init_creates_a_store(tmp_path: Path) -> None:
    url = f"duckdb://{tmp_path}/k.duckdb"
    result = runner.invoke(app, ["init", "--store", url])
    assert result.exit_code == 0, result.output
    assert "schema version 1" in result.output
    assert (tmp_path / "k.duckdb").exists()
