"""``kizuki export`` and ``kizuki report``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from kizuki.cli import app

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


def test_export_friction_csv_has_the_contract_columns_and_ranks(
    demo_store: str, tmp_path: Path
) -> None:
    out = tmp_path / "friction.csv"
    result = runner.invoke(app, ["export", "friction", "--store", demo_store, "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns[: len(REQUIRED)]) == REQUIRED
    assert table["rank"].tolist() == list(range(1, len(table) + 1))
    assert "total" not in set(table["stage"])
    # detected problems first, by revenue at risk; the pages not significant after them (by
    # their p-value, whatever revenue a weak signal puts on them)
    detected = table["detected"].fillna(False).astype(bool)
    assert detected.any() and not detected.iloc[: int(detected.sum())].eq(False).any()
    assert table.loc[detected, "revenue_at_risk"].is_monotonic_decreasing
    assert table.loc[~detected, "p_value"].is_monotonic_increasing


def test_export_friction_json(demo_store: str, tmp_path: Path) -> None:
    out = tmp_path / "friction.json"
    args = ["export", "friction", "--store", demo_store, "--format", "json", "--out", str(out)]
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


def test_report_writes_the_page_in_the_settings_language(
    demo_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIZUKI_LANG", "en")
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "--store", demo_store, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert '<html lang="en"' in out.read_text(encoding="utf-8")
    result = runner.invoke(
        app, ["report", "--store", demo_store, "--out", str(out), "--lang", "ja"]
    )
    assert result.exit_code == 0, result.output
    assert '<html lang="ja"' in out.read_text(encoding="utf-8")
