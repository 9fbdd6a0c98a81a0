"""The same session analytics give the same numbers on DuckDB and on Spark.

Spark starts once per test session (``spark_store`` in tests/conftest.py); these tests are
marked ``spark`` and skip where PySpark or Java is missing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from kizuki.analytics import run_all
from kizuki.analytics.sessions import daily_counts, sessionize, stage_daily_counts
from kizuki.store import Store

pytestmark = pytest.mark.spark

START = dt.datetime(2026, 3, 1, 22, 0, tzinfo=dt.UTC)
PATHS = ["/app", "/app/export", "/billing", "/account/billing", "/help/faq-1", "/pricing",
         "/signup", "/setup/step-2", "/zzz", None]  # fmt: skip
# gaps between a visitor's events: just under, at and just over 30 minutes, short, and long
GAPS_SECONDS = [1, 20, 300, 1799, 1800, 1801, 1800.000001, 1799.999999, 7200, 86_400]


def simulated_events(seed: int = 7, visitors: int = 15, per_visitor: int = 24) -> pa.Table:
    """A few hundred events over several days, with gaps around the 30-minute boundary."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for v in range(visitors):
        ts = START + dt.timedelta(minutes=int(rng.integers(0, 600)))
        logged_in = v % 3 != 0
        for i in range(per_visitor):
            ts += dt.timedelta(seconds=float(rng.choice(GAPS_SECONDS)))
            rows.append(
                {
                    "event_id": f"v{v:02d}-{i:03d}",
                    "ts": ts,
                    "customer_id": f"c{v}" if logged_in and i % 5 != 4 else None,
                    "anonymous_id": f"a{v}",
                    "event_name": "page_view",
                    "page_path": PATHS[int(rng.integers(0, len(PATHS)))],
                }
            )
    return pa.Table.from_pylist(rows).cast(
        pa.schema(
            [
                ("event_id", pa.string()),
                ("ts", pa.timestamp("us", tz="UTC")),
                ("customer_id", pa.string()),
                ("anonymous_id", pa.string()),
                ("event_name", pa.string()),
                ("page_path", pa.string()),
            ]
        )
    )


STAGES = {
    "billing": ["/billing", "/account/billing"],
    "signup": ["/signup"],
    "setup": ["/setup"],
    "help": ["/help"],
    "use": ["/app", "/account"],
    "visit": ["/pricing"],
}


def normalised(table: pa.Table, sort_by: list[str]) -> list[dict[str, Any]]:
    """Rows sorted, with timestamps as aware UTC datetimes and integers as int."""
    rows = table.to_pylist()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, dt.datetime):
                # Spark returns naive UTC, DuckDB aware UTC; both are microseconds here
                row[key] = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
            elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                row[key] = int(value)
    return sorted(rows, key=lambda r: tuple(str(r[k]) for k in sort_by))


@pytest.fixture(scope="module")
def events() -> pa.Table:
    return simulated_events()


@pytest.fixture(scope="module")
def both(spark_store: Store, events: pa.Table) -> tuple[Store, Store]:
    from kizuki.store import open_store

    duck = open_store("duckdb://")
    for s in (duck, spark_store):
        s.write_table("eq_events", events)
    return duck, spark_store


def test_the_test_data_straddles_the_gap_and_midnight(events: pa.Table) -> None:
    ts = events.column("ts").to_pylist()
    assert len(events) >= 300
    assert len({t.date() for t in ts}) >= 3


def test_stage_daily_counts_identical_on_duckdb_and_spark(both: tuple[Store, Store]) -> None:
    duck = both[0]
    results = [
        normalised(s.to_arrow(stage_daily_counts(s.table("eq_events"), STAGES)), ["day", "stage"])
        for s in both
    ]
    assert results[0] == results[1]
    assert len(results[0]) > 20
    assert sum(r["events"] for r in results[0]) == duck.table("eq_events").count().execute()


def test_session_keys_identical_on_duckdb_and_spark(both: tuple[Store, Store]) -> None:
    results = []
    for s in both:
        keyed = sessionize(s.table("eq_events")).select("event_id", "ts", "session_key")
        results.append(normalised(s.to_arrow(keyed), ["event_id"]))
    assert results[0] == results[1]
    # the boundary gaps really do split sessions somewhere
    assert len({r["session_key"] for r in results[0]}) > 15


def test_daily_counts_identical_on_duckdb_and_spark(both: tuple[Store, Store]) -> None:
    results = [normalised(s.to_arrow(daily_counts(s.table("eq_events"))), ["day"]) for s in both]
    assert results[0] == results[1]


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, minute, second, tzinfo=dt.UTC)


# (event_id, ts, customer, anonymous, page): a 29:59 gap, a 30:01 gap, a midnight crossing
HAND = [
    ("e1", at(1, 10), "c1", "x1", "/app"),
    ("e2", at(1, 10, 29, 59), "c1", None, "/app/list"),
    ("e3", at(1, 11, 0, 0), "c1", None, "/billing"),
    ("e4", at(1, 23, 50), None, "a1", "/pricing"),
    ("e5", at(2, 0, 10), None, "a1", "/pricing/plans"),
    ("e6", at(2, 0, 15), None, "a1", None),
]
HAND_EXPECTED = [  # (day, stage, sessions, visitors, events), computed by hand
    ("2026-01-01", "billing", 1, 1, 1),
    ("2026-01-01", "use", 1, 1, 2),
    ("2026-01-01", "visit", 1, 1, 1),
    ("2026-01-02", "other", 1, 1, 1),
    ("2026-01-02", "visit", 1, 1, 1),
]


@pytest.mark.parametrize("backend", ["duckdb", "spark"])
def test_stage_daily_counts_match_hand_computed_on_each_backend(
    backend: str, both: tuple[Store, Store], build_table: Any
) -> None:
    s = both[0] if backend == "duckdb" else both[1]
    rows = [
        {
            "event_id": e,
            "ts": ts,
            "customer_id": c,
            "anonymous_id": a,
            "page_path": p,
            "event_name": "page_view",
        }
        for e, ts, c, a, p in HAND
    ]
    s.write_table("hand_events", build_table("events", rows))
    got = s.to_arrow(stage_daily_counts(s.table("hand_events"), STAGES)).to_pylist()
    assert (
        sorted(
            (r["day"].isoformat(), r["stage"], r["sessions"], r["visitors"], r["events"])
            for r in got
        )
        == HAND_EXPECTED
    )


def test_run_all_writes_the_same_result_tables_on_spark(
    both: tuple[Store, Store], events: pa.Table, build_table: Any
) -> None:
    for s in both:
        s.write_table("events", build_table("events", events.to_pylist()))
        assert run_all(s)[:3] == ["result_overview", "result_events_daily", "result_stage_daily"]
    for name, keys in [("result_stage_daily", ["day", "stage"]), ("result_events_daily", ["day"]),
                       ("result_overview", ["table_name"])]:  # fmt: skip
        a, b = (normalised(s.to_arrow(s.table(name)), keys) for s in both)
        assert a == b, name
