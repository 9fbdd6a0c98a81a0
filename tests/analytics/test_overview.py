"""The data overview and the pipeline's first tables, on small stores built in code."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kizuki.analytics.overview import ACTIVITY_TABLES, data_overview, table_time_column
from kizuki.analytics.pipeline import STEPS, run_pipeline
from kizuki.journey import load_journey
from kizuki.schema import TABLES
from kizuki.settings import AnalyzeSettings
from kizuki.store import Store

UTC = dt.UTC


def at(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, 2, day, hour, tzinfo=UTC)


@pytest.fixture
def filled(store: Store, build_table: Any) -> Store:
    store.write_table(
        "customers",
        build_table("customers", [
            {"customer_id": "c1", "created_at": dt.datetime(2024, 5, 1, tzinfo=UTC)},
            {"customer_id": "c2", "created_at": dt.datetime(2025, 1, 1, tzinfo=UTC)},
        ]),
    )  # fmt: skip
    store.write_table(
        "events",
        build_table("events", [
            {"event_id": "e1", "ts": at(3, 9), "customer_id": "c1", "event_name": "page_view"},
            {"event_id": "e2", "ts": at(3, 10), "customer_id": "c1", "event_name": "page_view"},
            {"event_id": "e3", "ts": at(5, 8), "anonymous_id": "a1", "event_name": "page_view"},
        ]),
    )  # fmt: skip
    store.write_table(
        "contacts",
        build_table("contacts", [
            {"contact_id": "t1", "channel": "email", "opened_at": at(1, 12)},
            {"contact_id": "t2", "channel": "chat", "opened_at": at(4, 12)},
        ]),
    )  # fmt: skip
    quarantined = [
        ("contacts.csv", "contacts", "opened_at '2026/13/01 9:05' is not a date (month 13)"),
        ("contacts.csv", "contacts", "opened_at '2026/14/01' is not a date (month 14)"),
        ("contacts.csv", "contacts", "channel 'fax' is not one of phone, email, chat"),
        ("events.parquet", "events", "neither customer_id nor anonymous_id is set"),
    ]
    store.write_table(
        "quarantine",
        build_table("quarantine", [
            {"batch_id": "b1", "source_row": i, "file": f, "target_table": t, "reason": r}
            for i, (f, t, r) in enumerate(quarantined)
        ]),
    )  # fmt: skip
    store.write_table(
        "ingest_log",
        build_table("ingest_log", [
            {"batch_id": "b2", "file": "events.parquet", "rows_in": 4, "rows_loaded": 3,
             "rows_duplicate": 0, "rows_quarantined": 1, "started_at": at(6, 1)},
            {"batch_id": "b1", "file": "contacts.csv", "rows_in": 5, "rows_loaded": 2,
             "rows_duplicate": 0, "rows_quarantined": 3, "started_at": at(6, 0)},
        ]),
    )  # fmt: skip
    return store


def test_time_column_is_the_first_timestamp_of_each_table() -> None:
    got = {name: table_time_column(tdef) for name, tdef in TABLES.items()}
    assert got == {
        "customers": "created_at",
        "subscriptions": "started_at",
        "events": "ts",
        "searches": "ts",
        "content": "updated_at",
        "contacts": "opened_at",
        "comments": "ts",
        "identities": "updated_at",
        "surveys": "ts",
        "incidents": "started_at",
        "mentions": "ts",
    }


def test_empty_store_has_zero_rows_and_no_dates(store: Store) -> None:
    overview = data_overview(store)
    assert set(overview["tables"]) == set(TABLES)
    assert all(
        t == {"rows": 0, "min_ts": None, "max_ts": None} for t in overview["tables"].values()
    )
    assert overview["date_range"] == (None, None)
    assert overview["quarantine"] == [] and overview["ingest_log"] == []


def test_rows_and_time_span_per_table(filled: Store) -> None:
    tables = data_overview(filled)["tables"]
    assert tables["events"] == {"rows": 3, "min_ts": at(3, 9), "max_ts": at(5, 8)}
    assert tables["contacts"] == {"rows": 2, "min_ts": at(1, 12), "max_ts": at(4, 12)}
    assert tables["customers"]["rows"] == 2
    assert tables["surveys"]["rows"] == 0


def test_date_range_spans_activity_tables_not_customer_sign_ups(filled: Store) -> None:
    assert "customers" not in ACTIVITY_TABLES
    # contacts start Feb 1, events end Feb 5; customers created in 2024 do not count
    assert data_overview(filled)["date_range"] == (at(1, 12), at(5, 8))


def test_quarantine_groups_reasons_by_kind_per_file(filled: Store) -> None:
    overview = data_overview(filled)
    assert overview["quarantined_rows"] == 4
    assert overview["quarantine"] == [
        {
            "file": "contacts.csv",
            "target_table": "contacts",
            "reason_kind": "opened_at '…' is not a date (month N)",
            "rows": 2,
            "example_reason": "opened_at '2026/13/01 9:05' is not a date (month 13)",
        },
        {
            "file": "contacts.csv",
            "target_table": "contacts",
            "reason_kind": "channel '…' is not one of phone, email, chat",
            "rows": 1,
            "example_reason": "channel 'fax' is not one of phone, email, chat",
        },
        {
            "file": "events.parquet",
            "target_table": "events",
            "reason_kind": "neither customer_id nor anonymous_id is set",
            "rows": 1,
            "example_reason": "neither customer_id nor anonymous_id is set",
        },
    ]


def test_ingest_log_is_oldest_first(filled: Store) -> None:
    log = data_overview(filled)["ingest_log"]
    assert [r["file"] for r in log] == ["contacts.csv", "events.parquet"]
    assert log[0]["rows_quarantined"] == 3 and log[0]["started_at"] == at(6, 0)


def run_all(store: Store, **kwargs: Any) -> list[str]:
    return run_pipeline(store, AnalyzeSettings(), load_journey(), **kwargs)


def test_the_pipeline_writes_the_overview_and_daily_tables(filled: Store) -> None:
    progress: list[tuple[str, float, float | None]] = []
    written = run_all(filled, progress=lambda *a: progress.append(a))
    assert written[:3] == ["result_overview", "result_events_daily", "result_stage_daily"]
    assert set(written) <= set(filled.list_tables())
    steps = len(STEPS)
    assert progress[0] == ("analyze", 0, steps) and progress[-1] == ("analyze", steps, steps)
    daily = filled.to_arrow(filled.table("result_events_daily").order_by("day")).to_pylist()
    # 9:00 and 10:00 on Feb 3 are 60 minutes apart: two sessions
    got = [(r["day"].isoformat(), r["events"], r["sessions"]) for r in daily]
    assert got == [("2026-02-03", 2, 2), ("2026-02-05", 1, 1)]
    counts = filled.to_arrow(filled.table("result_overview")).to_pylist()
    overview = {r["table_name"]: r["rows"] for r in counts}
    assert overview["events"] == 3 and overview["contacts"] == 2


def test_the_pipeline_is_repeatable(filled: Store) -> None:
    run_all(filled)
    first = filled.to_arrow(filled.table("result_stage_daily").order_by(["day", "stage"]))
    run_all(filled)
    assert filled.to_arrow(filled.table("result_stage_daily").order_by(["day", "stage"])) == first
