"""The CLI as a whole: every command explains itself and is documented, errors are one line
(``--debug``: the traceback), and the commands only talk to the core object."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kizuki.cli import app
from kizuki.errors import StoreError
from kizuki.schema import SCHEMA_VERSION

runner = CliRunner()
ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
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


def test_store_error_is_one_line_and_exit_code_1() -> None:
    result = runner.invoke(app, ["init", "--store", "postgres://nope"])
    assert result.exit_code == 1
    assert "unknown scheme 'postgres'" in result.output
    assert "Traceback" not in result.output


def test_init_creates_a_store(tmp_path: Path) -> None:
    url = f"duckdb://{tmp_path}/k.duckdb"
    result = runner.invoke(app, ["init", "--store", url])
    assert result.exit_code == 0, result.output
    assert f"schema version {SCHEMA_VERSION}" in result.output
    assert (tmp_path / "k.duckdb").exists()


def test_debug_shows_the_traceback_instead_of_one_line() -> None:
    result = runner.invoke(app, ["--debug", "init", "--store", "postgres://nope"])
    assert isinstance(result.exception, StoreError)


def test_a_store_in_use_by_another_process_says_which_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = runner.invoke(app, ["init", "--store", f"duckdb://{path}"])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1
    assert f"is in use by process {holder.pid}" in result.output
    assert "wait for it to finish" in result.output
    assert "Traceback" not in result.output and "IOException" not in result.output


#: A store or a query in an interface module: ``.store``, Ibis verbs, SQL.
BYPASS = re.compile(
    r"\.store\b|\.to_arrow\(|\.group_by\(|\.aggregate\(|\.execute\(|\.sql\(|"
    r"\bSELECT\b|\bFROM\s+\w|open_store|import ibis"
)


@pytest.mark.parametrize(
    "path",
    sorted([*(ROOT / "src/kizuki/cli").glob("*.py"), *(ROOT / "src/kizuki/report").glob("*.py")]),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_interfaces_reach_data_only_through_the_core_object(path: Path) -> None:
    found = [
        f"{path.name}:{i}: {line.strip()}"
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BYPASS.search(line)
    ]
    assert not found, "ask kizuki.Kizuki instead:\n" + "\n".join(found)
