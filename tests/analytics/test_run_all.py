"""``run_all``: the friction and silent-customer steps on a small simulated store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kizuki
from kizuki.analytics import run_all
from kizuki.analytics.contact_reasons import CONTACT_REASON_TABLES
from kizuki.analytics.friction import FRICTION_COLUMNS
from kizuki.analytics.signals import (
    ACTIVITY_SIGNALS,
    SignalConfig,
    journey_events,
    signals_from_events,
)
from kizuki.analytics.silent import SILENT_COLUMNS, silent_customers
from kizuki.core import Kizuki
from kizuki.errors import NotFoundError
from kizuki.journey import load_journey
from kizuki.store import open_store

NEW_TABLES = [
    "result_signals",
    "result_friction_points",
    "result_friction_weekly",
    "result_friction_paths",
    "result_silent_customers",
    "result_fix_first",
    "result_friction_examples",
]


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Kizuki:
    from kizuki.simulate import load_config, simulate_company

    directory = tmp_path_factory.mktemp("run_all")
    sim = simulate_company(load_config(None, customers=300, days=30, seed=7), directory / "data")
    kz = kizuki.open(f"duckdb://{Path(directory) / 'kizuki.duckdb'}")
    for table, path in sim.canonical_files:
        kz.ingest("csv", [path], table=table)
    kz.ingest("ga4", [sim.ga4_file])
    kz.ingest("zendesk", [sim.zendesk_file])
    return kz


def test_run_all_writes_the_friction_and_silent_tables(small_store: Kizuki) -> None:
    calls: list[tuple[str, float, float | None]] = []
    written = run_all(
        small_store.store,
        journey=load_journey(name="demo"),
        progress=lambda step, done, total: calls.append((step, done, total)),
    )
    assert written[:3] == ["result_overview", "result_events_daily", "result_stage_daily"]
    assert written[3:-7] == NEW_TABLES
    assert written[-7:] == list(CONTACT_REASON_TABLES)
    assert set(NEW_TABLES) <= set(small_store.store.list_tables())
    assert calls[-1] == ("analyze", 6, 6)
    assert small_store.store.table("result_signals").count().execute() > 0

    points = small_store.friction_points()
    assert tuple(points.columns) == FRICTION_COLUMNS
    assert len(points) > 0
    silent = small_store.silent_customers()
    assert tuple(silent.columns) == SILENT_COLUMNS
    assert silent["stage"].iloc[-1] == "total"
    assert (silent["silent"] >= 0).all()


def test_the_estimate_made_beside_the_friction_steps_is_the_direct_one(small_store: Kizuki) -> None:
    # run_all estimates in a worker thread while the engine computes the friction tables; the
    # table must be the one the plain, one-thread call gives
    journey = load_journey(name="demo")
    run_all(small_store.store, journey=journey, contact_reasons=False)
    t = small_store.store.table
    stream = journey_events(t("events"), t("searches"), journey, content=t("content")).cache()
    activity = signals_from_events(stream, journey, SignalConfig(signals=ACTIVITY_SIGNALS))
    direct = silent_customers(
        events=stream,
        signals=t("result_signals").union(activity),
        contacts=t("contacts"),
        customers=t("customers"),
        subscriptions=t("subscriptions"),
        surveys=t("surveys"),
        incidents=t("incidents"),
        rng=np.random.default_rng(0),
    )
    written = small_store.silent_customers()
    assert len(written) > 1
    pd.testing.assert_frame_equal(written, direct, check_dtype=False, check_exact=True)


def test_an_error_in_the_estimator_thread_reaches_the_caller(
    small_store: Kizuki, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> pd.DataFrame:
        raise RuntimeError("estimator failed")

    monkeypatch.setattr("kizuki.analytics.estimate_silent", fail)
    with pytest.raises(RuntimeError, match="estimator failed"):
        run_all(small_store.store, journey=load_journey(name="demo"), contact_reasons=False)


def test_contact_reasons_can_be_left_out(small_store: Kizuki) -> None:
    calls: list[tuple[str, float, float | None]] = []
    written = small_store.analyze(
        journey=load_journey(name="demo"),
        contact_reasons=False,
        progress=lambda step, done, total: calls.append((step, done, total)),
    )
    assert written[3:] == NEW_TABLES
    assert not set(written) & set(CONTACT_REASON_TABLES)
    assert calls[-1] == ("analyze", 5, 5)


def test_run_all_skips_friction_without_events() -> None:
    calls: list[str] = []
    written = run_all(open_store("duckdb://"), progress=lambda step, d, t: calls.append(step))
    assert written == ["result_overview", "result_events_daily", "result_stage_daily"]
    assert any("skipped" in step for step in calls)


def test_results_before_analyze_say_what_to_do() -> None:
    kz = kizuki.open("duckdb://")
    with pytest.raises(NotFoundError, match="kizuki analyze"):
        kz.friction_points()
    with pytest.raises(NotFoundError, match="result_silent_customers"):
        kz.silent_customers()


def test_run_all_skips_silent_customers_without_contacts() -> None:
    store = open_store("duckdb://")
    store.duckdb.execute(
        "INSERT INTO events (event_id, ts, anonymous_id, event_name, page_path) VALUES "
        "('e1', TIMESTAMP '2026-01-01 10:00:00', 'v1', 'page_view', '/pricing'),"
        "('e2', TIMESTAMP '2026-01-01 10:01:00', 'v1', 'error', '/signup')"
    )
    calls: list[str] = []
    written = run_all(store, progress=lambda step, d, t: calls.append(step))
    assert "result_friction_points" in written
    assert "result_silent_customers" not in written
    assert "analyze: skipped silent (no contacts)" in calls
