"""Days and weeks are the store time zone's: the same local date on DuckDB and Spark, in every
analysis that buckets by day or week."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import kizuki
from kizuki.analytics.contact_reasons import IntentConfig, emerging_intents, intent_weekly
from kizuki.analytics.friction import friction_weekly
from kizuki.analytics.local_time import (
    fixed_offset,
    local_date,
    local_dates,
    local_week_start,
    local_week_starts,
)
from kizuki.analytics.sessions import daily_counts, stage_daily_counts
from kizuki.settings import Settings
from kizuki.store import Store, open_store

UTC = dt.UTC
BACKENDS = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]

#: 2026-11-02T20:00Z is 2026-11-03 05:00 in Tokyo and 15:00 on 2026-11-02 in New York.
EVENING = dt.datetime(2026, 11, 2, 20, 0, tzinfo=UTC)
#: Sunday 2026-11-08 16:00Z is Monday 2026-11-09 01:00 in Tokyo: a new local week.
SUNDAY = dt.datetime(2026, 11, 8, 16, 0, tzinfo=UTC)
#: 2026-03-08 06:30Z is 01:30 EST on 03-08 in New York; 04:30Z is 23:30 EST on 03-07 (daylight
#: saving starts at 07:00Z that day, so an offset of -4 h there would give the wrong date).
DST_MORNING = dt.datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
DST_NIGHT = dt.datetime(2026, 3, 8, 4, 30, tzinfo=UTC)
#: 2026-07-01 03:30Z is 23:30 EDT on 06-30: the summer offset (-4 h) applies.
SUMMER = dt.datetime(2026, 7, 1, 3, 30, tzinfo=UTC)

TIMES = [EVENING, SUNDAY, DST_MORNING, DST_NIGHT, SUMMER]
EXPECTED_DATES = {
    "UTC": ["2026-11-02", "2026-11-08", "2026-03-08", "2026-03-08", "2026-07-01"],
    "Asia/Tokyo": ["2026-11-03", "2026-11-09", "2026-03-08", "2026-03-08", "2026-07-01"],
    "America/New_York": ["2026-11-02", "2026-11-08", "2026-03-08", "2026-03-07", "2026-06-30"],
}
EXPECTED_WEEKS = {
    "UTC": ["2026-11-02", "2026-11-02", "2026-03-02", "2026-03-02", "2026-06-29"],
    "Asia/Tokyo": ["2026-11-02", "2026-11-09", "2026-03-02", "2026-03-02", "2026-06-29"],
    "America/New_York": ["2026-11-02", "2026-11-02", "2026-03-02", "2026-03-02", "2026-06-29"],
}


@pytest.fixture(params=BACKENDS)
def backend_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "spark":
        yield request.getfixturevalue("spark_store")
    else:
        s = open_store("duckdb://")
        yield s
        s.close()


def _times_table(store: Store) -> Any:
    store.write_table(
        "local_times",
        pa.table(
            {
                "n": pa.array(range(len(TIMES)), pa.int64()),
                "ts": pa.array(TIMES, pa.timestamp("us", tz="UTC")),
            }
        ),
    )
    return store.table("local_times")


@pytest.mark.parametrize("zone", sorted(EXPECTED_DATES))
def test_local_date_and_week_in_the_engine(backend_store: Store, zone: str) -> None:
    t = _times_table(backend_store)
    expr = t.select(t.n, day=local_date(t.ts, zone), week=local_week_start(t.ts, zone))
    rows = sorted(backend_store.to_arrow(expr).to_pylist(), key=lambda r: r["n"])
    days = [r["day"].isoformat() for r in rows]
    weeks = [(r["week"].date() if isinstance(r["week"], dt.datetime) else r["week"]).isoformat()
             for r in rows]  # fmt: skip
    assert days == EXPECTED_DATES[zone]
    assert weeks == EXPECTED_WEEKS[zone]


@pytest.mark.parametrize("zone", sorted(EXPECTED_DATES))
def test_local_dates_in_pandas_match_the_engine(zone: str) -> None:
    series = pd.Series(TIMES)
    assert [d.isoformat() for d in local_dates(series, zone)] == EXPECTED_DATES[zone]
    assert [d.isoformat() for d in local_week_starts(series, zone)] == EXPECTED_WEEKS[zone]


def test_a_zone_without_daylight_saving_is_a_fixed_shift() -> None:
    assert fixed_offset("Asia/Tokyo") == dt.timedelta(hours=9)
    assert fixed_offset("UTC") == dt.timedelta(0)
    assert fixed_offset("America/New_York") is None


def _events(store: Store, build_table: Any) -> Any:
    rows = [
        {"event_id": f"e{i}", "ts": ts, "customer_id": "c1", "event_name": "page_view",
         "page_path": "/app"}
        for i, ts in enumerate([EVENING, SUNDAY])
    ]  # fmt: skip
    store.write_table("events", build_table("events", rows))
    return store.table("events")


@pytest.mark.parametrize(
    "zone, days",
    [("UTC", ["2026-11-02", "2026-11-08"]), ("Asia/Tokyo", ["2026-11-03", "2026-11-09"])],
)
def test_an_evening_event_counts_on_the_local_day(
    backend_store: Store, build_table: Any, zone: str, days: list[str]
) -> None:
    events = _events(backend_store, build_table)
    daily = backend_store.to_arrow(daily_counts(events, timezone=zone)).to_pylist()
    assert sorted(r["day"].isoformat() for r in daily) == days
    staged = backend_store.to_arrow(stage_daily_counts(events, timezone=zone)).to_pylist()
    assert sorted(r["day"].isoformat() for r in staged) == days


@pytest.mark.parametrize(
    "zone, weeks", [("UTC", {"2026-11-02": 2}), ("Asia/Tokyo", {"2026-11-02": 1, "2026-11-09": 1})]
)
def test_friction_weeks_are_local_weeks(
    backend_store: Store, zone: str, weeks: dict[str, int]
) -> None:
    backend_store.write_table(
        "signals",
        pa.table(
            {
                "stage": ["use", "use"],
                "signal": ["error", "error"],
                "page_path": ["/app/import", "/app/import"],
                "intent": pa.array([None, None], pa.string()),
                "ts": pa.array([EVENING, SUNDAY], pa.timestamp("us", tz="UTC")),
                "session_key": ["s1", "s2"],
                "customer_id": ["c1", "c2"],
            }
        ),
    )
    rows = backend_store.to_arrow(friction_weekly(backend_store.table("signals"), zone)).to_pylist()
    got = {}
    for r in rows:
        week = r["week_start"]
        week = week.date() if isinstance(week, dt.datetime) else week
        got[week.isoformat()] = r["sessions"]
    assert got == weeks


@pytest.mark.parametrize(
    "zone, weeks",
    [("UTC", ["2026-11-02"]), ("Asia/Tokyo", ["2026-11-02", "2026-11-09"])],
)
def test_contact_and_search_weeks_are_local_weeks(zone: str, weeks: list[str]) -> None:
    store = open_store("duckdb://")
    contacts = pd.DataFrame({"opened_at": [EVENING, SUNDAY], "topic": ["billing", "billing"]})
    store.write_table(
        "s", pa.table({"ts": pa.array([SUNDAY], pa.timestamp("us", tz="UTC")), "query": ["請求"]})
    )
    store.write_table("q", pa.table({"query": ["請求"], "intent": ["billing"]}))
    weekly = intent_weekly(contacts, store.table("s"), store.table("q"), zone)
    assert [w.isoformat() for w in weekly["week"]] == weeks
    assert int(weekly["contacts"].sum()) == 2 and int(weekly["searches"].sum()) == 1
    # the search on Sunday 16:00Z is in the Tokyo week of Monday the 9th
    last = weekly[weekly["week"] == dt.date.fromisoformat(weeks[-1])]
    assert int(last["searches"].iloc[0]) == 1


def test_emerging_weeks_are_local_weeks() -> None:
    # 4 quiet weeks of 1 contact, then 6 contacts on Sunday evenings UTC: Monday in Tokyo
    quiet = [dt.datetime(2026, 10, 5, 3, tzinfo=UTC) + dt.timedelta(weeks=i) for i in range(4)]
    burst = [SUNDAY] * 6
    contacts = pd.DataFrame(
        {"opened_at": quiet + burst, "topic": "import", "body": "CSV を取り込めません"}
    )
    config = IntentConfig(recent_weeks=1, baseline_weeks=4)
    tokyo = emerging_intents(contacts, config, "Asia/Tokyo")
    utc = emerging_intents(contacts, config, "UTC")
    assert tokyo["week"].tolist() == [dt.date(2026, 11, 9)]
    assert utc["week"].tolist() == [dt.date(2026, 11, 2)]


def test_analyze_counts_days_in_the_store_time_zone(build_table: Any) -> None:
    for zone, first in [("Asia/Tokyo", "2026-11-03"), ("UTC", "2026-11-02")]:
        kz = kizuki.open("duckdb://", settings=Settings(timezone=zone))
        _events(kz.store, build_table)
        kz.analyze()
        days = sorted(d.isoformat() for d in kz.events_daily()["day"])
        assert days[0] == first, zone
        kz.close()
