"""``kizuki journey check``, ``kizuki analyze --journey`` and ``kizuki export friction``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from kizuki.analytics.export import EXPORT_COLUMNS, friction_export_table
from kizuki.cli import app
from kizuki.store import open_store

runner = CliRunner()
REQUIRED = [
    "rank",
    "stage",
    "page_path",
    "signal",
    "intent",
    "affected",
    "contacted",
    "silent",
    "silent_ci_low",
    "silent_ci_high",
    "contact_rate",
    "revenue_at_risk",
]


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small simulated store, ingested and analyzed by ``kizuki demo``."""
    directory = tmp_path_factory.mktemp("cli_friction")
    result = runner.invoke(
        app, ["demo", "--dir", str(directory), "--customers", "300", "--days", "30"]
    )
    assert result.exit_code == 0, result.output
    return f"duckdb://{directory / 'kizuki.duckdb'}"


def test_export_friction_csv_has_the_contract_columns_and_ranks(
    analyzed: str, tmp_path: Path
) -> None:
    out = tmp_path / "friction.csv"
    result = runner.invoke(app, ["export", "friction", "--store", analyzed, "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns[: len(REQUIRED)]) == REQUIRED
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    assert "total" not in set(table["stage"])
    assert table["revenue_at_risk"].is_monotonic_decreasing


def test_export_friction_json(analyzed: str, tmp_path: Path) -> None:
    out = tmp_path / "friction.json"
    args = ["export", "friction", "--store", analyzed, "--format", "json", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text(encoding="utf-8"))
    assert records and set(REQUIRED) <= set(records[0])
    assert records[0]["rank"] == 1


def test_export_before_analyze_is_one_line_error(tmp_path: Path) -> None:
    store = f"duckdb://{tmp_path / 'empty.duckdb'}"
    result = runner.invoke(
        app, ["export", "friction", "--store", store, "--out", str(tmp_path / "f.csv")]
    )
    assert result.exit_code == 1
    assert "kizuki analyze" in result.output


def test_export_table_ranks_by_revenue_then_silent() -> None:
    rows = {c: [0.0, 0.0, 0.0, 0.0] for c in EXPORT_COLUMNS[1:]}
    silent = pd.DataFrame(rows)
    silent["stage"] = ["use", "billing", "setup", "total"]
    silent["revenue_at_risk"] = [10.0, 50.0, 10.0, 70.0]
    silent["silent"] = [1.0, 5.0, 3.0, 9.0]
    ranked = friction_export_table(silent)
    assert ranked["stage"].tolist() == ["billing", "setup", "use"]
    assert ranked["rank"].tolist() == [1, 2, 3]


def test_journey_check_lists_unmatched_pages(tmp_path: Path) -> None:
    url = f"duckdb://{tmp_path / 'k.duckdb'}"
    store = open_store(url)
    store.duckdb.execute(
        "INSERT INTO events (event_id, ts, anonymous_id, event_name, page_path) VALUES "
        "('e1', TIMESTAMP '2026-01-01 10:00:00', 'v1', 'page_view', '/zz/unknown-page'),"
        "('e2', TIMESTAMP '2026-01-01 10:01:00', 'v1', 'page_view', '/zz/unknown-page')"
    )
    store.close()
    result = runner.invoke(app, ["journey", "check", "--store", url, "--journey", "demo"])
    assert result.exit_code == 0, result.output
    assert "/zz/unknown-page" in result.output
    assert "1 unmatched" in result.output


def test_journey_check_on_the_demo_store_with_its_own_map(analyzed: str) -> None:
    result = runner.invoke(app, ["journey", "check", "--store", analyzed, "--journey", "demo"])
    assert result.exit_code == 0, result.output
    assert "every page and event" in result.output


def test_analyze_takes_a_journey_and_rejects_a_missing_file(analyzed: str) -> None:
    result = runner.invoke(app, ["analyze", "--store", analyzed, "--journey", "demo"])
    assert result.exit_code == 0, result.output
    assert "result_silent_customers" in result.output
    result = runner.invoke(app, ["analyze", "--store", analyzed, "--journey", "/no/such.yaml"])
    assert result.exit_code == 1
    assert "such.yaml" in result.output
