"""``kizuki alive fit``: the parameters in text and JSON, weeks and days, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kizuki.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def log_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A purchase log of 500 simulated customers as CSV (columns ``customer``, ``date``)."""
    from test_core_alive import purchase_log

    path = tmp_path_factory.mktemp("alive") / "log.csv"
    purchase_log(500, seed=0).to_csv(path, index=False)
    return path


def fit(path: Path, *extra: str) -> list[str]:
    return [
        "alive",
        "fit",
        "--transactions",
        str(path),
        "--customer",
        "customer",
        "--date",
        "date",
        *extra,
    ]


def test_prints_the_parameters_and_the_log_likelihood(log_csv: Path) -> None:
    result = runner.invoke(app, fit(log_csv, "--until", "2026-06-30"))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == [
        "customers",
        "r",
        "alpha",
        "a",
        "b",
        "log_likelihood",
    ]
    assert "customers        500" in result.output and "(per week)" in result.output


def test_json_in_days_has_alpha_seven_times_the_weeks(log_csv: Path) -> None:
    weeks = json.loads(runner.invoke(app, fit(log_csv, "--json")).output)
    days = json.loads(runner.invoke(app, fit(log_csv, "--json", "--unit", "day")).output)
    assert set(weeks) == {"r", "alpha", "a", "b", "log_likelihood", "n_customers", "unit"}
    assert (weeks["unit"], days["unit"], weeks["n_customers"]) == ("week", "day", 500)
    assert days["alpha"] == pytest.approx(7 * weeks["alpha"], rel=1e-5)
    assert days["r"] == pytest.approx(weeks["r"], rel=1e-5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--until", "2026-13-01"], "until '2026-13-01' is not a date"),
        (["--customer", "who"], "no column 'who'"),
    ],
    ids=["bad-until", "missing-column"],
)
def test_bad_input_is_a_one_line_error(log_csv: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, fit(log_csv, *args))
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_a_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, fit(tmp_path / "nope.csv"))
    assert result.exit_code == 1
    assert "does not exist" in result.output
