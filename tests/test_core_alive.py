"""``Kizuki.fit_alive`` (issue 23): the BG/NBD model from a purchase log given as a DataFrame,
a CSV or a Parquet file, and clear errors for files it cannot read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kizuki.core_alive import AliveMethods
from kizuki.errors import ConfigError, NotFoundError
from kizuki.models.alive import simulate_bgnbd

END = dt.date(2026, 6, 30)


def purchase_log(n: int, seed: int) -> pd.DataFrame:
    """One row per purchase of ``n`` simulated customers (zero-padded ids, ISO dates, some
    days with two purchases), observed for 60-180 days up to 2026-06-30."""
    rng = np.random.default_rng(seed)
    observed = rng.integers(60, 181, n)
    x, t_x, _ = simulate_bgnbd(n, 0.25, 30.0, 0.8, 2.5, observed, rng)
    rows = []
    for i in range(n):
        first = END - dt.timedelta(days=int(observed[i]))
        last = int(t_x[i])
        between = max(min(int(x[i]) - 1, last - 1), 0)  # days strictly between 0 and last
        middle = rng.choice(np.arange(1, last), between, replace=False) if between else []
        days = {0, *middle, *([last] if x[i] and last else [])}
        rows += [(f"{i:05d}", (first + dt.timedelta(days=int(d))).isoformat()) for d in days]
    rows += rows[: n // 10]  # the same day twice: one purchase day
    return pd.DataFrame(rows, columns=["customer", "date"])


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return purchase_log(500, seed=0)


def test_fits_a_frame_a_csv_and_a_parquet_file_alike(log: pd.DataFrame, tmp_path: Path) -> None:
    methods = AliveMethods()
    by_frame = methods.fit_alive(log, "customer", "date", until="2026-06-30")
    log.to_csv(tmp_path / "log.csv", index=False)
    log.to_parquet(tmp_path / "log.parquet")
    for path in (tmp_path / "log.csv", str(tmp_path / "log.parquet")):
        model = methods.fit_alive(path, "customer", "date", until="2026-06-30")
        assert model.params_ == pytest.approx(by_frame.params_, rel=1e-12)
    assert by_frame.n_customers_ == 500
    assert min(by_frame.params_.values()) > 0


def test_days_and_weeks_give_the_same_model_with_alpha_times_seven(log: pd.DataFrame) -> None:
    weeks = AliveMethods().fit_alive(log, "customer", "date")
    days = AliveMethods().fit_alive(log, "customer", "date", unit="day")
    assert days.alpha_ == pytest.approx(7 * weeks.alpha_, rel=1e-5)
    for name in ("r", "a", "b"):
        assert days.params_[name] == pytest.approx(weeks.params_[name], rel=1e-5)


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("missing.csv", None, NotFoundError, r"transactions file '.*missing.csv' does not exist"),
        ("log.xlsx", "x", ConfigError, r"is neither CSV \(.csv\) nor Parquet"),
        ("log.csv", "customer,day\n1,2026-01-01\n", ConfigError, r"no column 'date'"),
    ],
    ids=["missing", "other-format", "missing-column"],
)
def test_files_it_cannot_use_are_refused_clearly(
    tmp_path: Path, name: str, content: str | None, error: type[Exception], message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(error, match=message):
        AliveMethods().fit_alive(path, "customer", "date")
