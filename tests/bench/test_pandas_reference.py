"""``bench/pandas_reference.py``: the plain-pandas peer gives Kizuki's numbers, or says not."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import ibis
import pandas as pd
import pytest

import kizuki
from kizuki.journey import load_journey, match_pages

Results = dict[str, pd.DataFrame]


def _load_bench() -> ModuleType:
    path = Path(__file__).parents[2] / "bench" / "pandas_reference.py"
    spec = importlib.util.spec_from_file_location("pandas_reference", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bench = _load_bench()


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Results]:
    """A small simulated company, analyzed by Kizuki and computed by the pandas peer."""
    from kizuki.simulate import load_config, simulate_company

    directory = tmp_path_factory.mktemp("pandas_reference")
    sim = simulate_company(load_config(None, customers=300, days=30, seed=7), directory / "data")
    store_path = directory / "kizuki.duckdb"
    kz = kizuki.open(f"duckdb://{store_path}")
    for table, path in sim.canonical_files:
        kz.ingest("csv", [path], table=table)
    kz.ingest("ga4", [sim.ga4_file])
    kz.ingest("zendesk", [sim.zendesk_file])
    kz.analyze(journey=load_journey(name="demo"))
    kz.close()
    results = bench.compute(bench.load_tables(store_path), load_journey(name="demo"))
    return store_path, results


def test_pandas_reference_gives_kizukis_numbers(analyzed: tuple[Path, Results]) -> None:
    store_path, results = analyzed
    signals = results["result_signals"]
    # a comparison of near-empty tables would prove nothing
    assert signals["signal"].nunique() >= 4
    assert len(results["result_friction_points"]) > 50
    assert results["result_silent_customers"]["stage"].iloc[-1] == "total"
    assert bench.compare_results(results, store_path) == []


def _scale(table: str, column: str, factor: float) -> Callable[[Results], Results]:
    def change(r: Results) -> Results:
        frame = r[table].copy()
        frame.loc[0, column] = frame.loc[0, column] * factor
        return {**r, table: frame}

    return change


def _add(table: str, column: str, amount: int) -> Callable[[Results], Results]:
    def change(r: Results) -> Results:
        frame = r[table].copy()
        frame.loc[1, column] = frame.loc[1, column] + amount
        return {**r, table: frame}

    return change


def _drop_signal_row(r: Results) -> Results:
    return {**r, "result_signals": r["result_signals"].iloc[1:]}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            _scale("result_friction_points", "page_rate", 1 + 1e-7),
            "result_friction_points.page_rate",
            id="friction-float-1e-7",
        ),
        pytest.param(
            _add("result_friction_points", "contacted_customers", 1),
            "result_friction_points.contacted_customers",
            id="friction-count",
        ),
        pytest.param(
            _add("result_signals", "occurrences", 1),
            "result_signals.occurrences",
            id="signal-occurrences",
        ),
        pytest.param(
            _scale("result_silent_customers", "units", 1.001),
            "result_silent_customers.units",
            id="silent-float",
        ),
        pytest.param(_drop_signal_row, "rows per signal differ", id="signal-row-missing"),
    ],
)
def test_comparison_reports_a_perturbed_value(
    analyzed: tuple[Path, Results], change: Callable[[Results], Results], expected: str
) -> None:
    store_path, results = analyzed
    problems = bench.compare_results(change(results), store_path)
    assert problems
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    "pattern",
    ["/app", "/pricing$", "/$", "/help/*/articles/*", "/help/**", "/a?c", "/setup/"],
)
def test_page_patterns_match_like_the_engine(pattern: str) -> None:
    paths = [
        "/",
        "/app",
        "/apple",
        "/app/x",
        "/pricing",
        "/pricing/x",
        "/help/ja/articles/f-1",
        "/help/ja/articles/f-1/x",
        "/help",
        "/help/x/y",
        "/abc",
        "/abbc",
        "/setup",
        None,
    ]
    table = ibis.memtable({"path": pd.Series(paths, dtype="str")})
    engine = table.select(hit=match_pages(table.path, [pattern])).to_pandas()["hit"]
    mine = bench.match_pages(pd.Series(paths, dtype="str"), [pattern])
    assert mine.tolist() == engine.astype(bool).tolist()
