"""A small simulated store made by ``kizuki demo`` through the CLI, shared by the CLI tests."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kizuki.cli import app


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a small simulated store, ingested and analyzed by ``kizuki demo``."""
    directory = tmp_path_factory.mktemp("cli_demo")
    result = CliRunner().invoke(
        app, ["demo", "--dir", str(directory), "--customers", "300", "--days", "30"]
    )
    assert result.exit_code == 0, result.output
    return f"duckdb://{directory / 'kizuki.duckdb'}"
