"""``kizuki churn evaluate``: ROC-AUC and Brier beside the peer in text and JSON, and one-line
errors for a missing file or a target that is not churn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from churn_fixture import simulate_customers
from kizuki.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def customers_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """800 simulated customers as a CSV file, Yes/No in ``churned``."""
    path = tmp_path_factory.mktemp("churn") / "customers.csv"
    frame, _ = simulate_customers(800, seed=11)
    frame.to_csv(path, index=False)
    return path


def _args(path: Path, *more: str) -> list[str]:
    return ["churn", "evaluate", "--csv", str(path), "--target", "churned", "--folds", "3", *more]


def test_prints_auc_and_brier_beside_the_peer(customers_csv: Path) -> None:
    result = runner.invoke(app, _args(customers_csv, "--id", "customer_id"))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["kizuki", "peer", "ratio"]
    assert lines[1].startswith("roc_auc") and lines[2].startswith("brier")
    assert lines[1].count("±") == 2
    assert "800 (" in result.output and "3 folds" in result.output


def test_json_has_both_models_and_the_ratios(customers_csv: Path) -> None:
    result = runner.invoke(app, _args(customers_csv, "--id", "customer_id", "--json"))
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["roc_auc"]["mean"] > 0.75 and record["roc_auc"]["sd"] >= 0
    assert 0 < record["brier"]["mean"] < 0.25
    assert record["n"] == 800 and record["folds"] == 3
    assert set(record["peer"]) >= {"roc_auc", "brier", "seconds"}
    assert set(record["ratios"]) == {"roc_auc", "brier"}


def test_without_the_peer_and_the_id_column_is_ignored_with_the_reason(
    customers_csv: Path,
) -> None:
    result = runner.invoke(app, _args(customers_csv, "--no-peer", "--json"))
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert "peer" not in record
    assert "customer_id" in record["ignored"]


def test_a_target_that_is_not_churn_is_one_line_error(customers_csv: Path) -> None:
    args = ["churn", "evaluate", "--csv", str(customers_csv), "--target", "contract"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "target column 'contract' must hold exactly two values" in result.output
    assert "Traceback" not in result.output


def test_a_missing_file_is_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, _args(tmp_path / "nope.csv"))
    assert result.exit_code == 1
    assert "does not exist" in result.output
