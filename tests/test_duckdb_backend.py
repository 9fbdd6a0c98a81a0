"""Kizuki's DuckDB compiler gives Ibis's own values for epoch seconds and dates, without ICU."""

from __future__ import annotations

import ibis
import pandas as pd

from kizuki.duckdb_backend import Backend, UtcDuckDBCompiler
from kizuki.store import open_store

#: Before 1970, fractions of a second, both sides of midnight, a leap day and a year's end.
INSTANTS = [
    "1969-12-31 23:59:59.5",
    "1900-03-01 00:00:00",
    "1970-01-01 00:00:00",
    "2024-02-29 23:59:59.999999",
    "2024-03-01 00:00:00",
    "2026-12-31 23:59:59.000001",
    "2027-01-01 00:00:00.000001",
]


def _zoned() -> ibis.Table:
    ts = pd.to_datetime(pd.Series(INSTANTS), utc=True, format="ISO8601")
    ts = ts.astype("datetime64[us, UTC]")
    return ibis.memtable(pd.DataFrame({"ts": ts, "n": range(len(INSTANTS))}))


def _times(t: ibis.Table) -> ibis.Table:
    return t.select(
        "n",
        day=t.ts.date(),
        week=t.ts.date().truncate("W"),
        seconds=t.ts.epoch_seconds().cast("float64").floor().cast("int64"),
        later=t.ts + ibis.interval(minutes=30),
        earlier=t.ts - ibis.interval(seconds=5),
        ms_later=t.ts + ibis.interval(milliseconds=250),
        hours_earlier=t.ts - ibis.interval(hours=2),
        days_later=t.ts + ibis.interval(days=14),  # calendar arithmetic: ICU, as before
    ).order_by("n")


def test_zoned_epochs_dates_and_shifts_equal_ibis_own() -> None:
    ours = Backend().connect().execute(_times(_zoned()))
    theirs = ibis.duckdb.connect().execute(_times(_zoned()))  # Ibis's compiler, UTC session
    pd.testing.assert_frame_equal(ours, theirs)
    assert str(ours["day"].iloc[0])[:10] == "1969-12-31"  # floored, not truncated towards 1970
    assert ours["seconds"].iloc[0] == -1


def test_zoned_times_compile_without_a_time_zone_conversion() -> None:
    sql = str(Backend().connect().compile(_times(_zoned())))
    assert "EPOCH_US" in sql
    assert "AS TIMESTAMP)" not in sql.split("FROM")[0]  # no CAST(ts AS TIMESTAMP) in the select
    assert 'CAST("t0"."ts" AS DATE)' not in sql
    assert sql.count("MAKE_TIMESTAMPTZ") == 4  # the fixed shifts; the days keep their INTERVAL
    assert sql.count("INTERVAL") == 1


def test_dates_are_utc_days_whatever_the_session_time_zone() -> None:
    con = Backend().connect()
    con.raw_sql("SET TimeZone = 'Asia/Tokyo'")
    t = _zoned()
    days = con.execute(t.select("n", day=t.ts.date()).order_by("n"))["day"].astype(str)
    assert list(days) == [s[:10] for s in INSTANTS]


def test_naive_timestamps_compile_as_ibis_does() -> None:
    t = ibis.table({"ts": "timestamp"}, name="t")
    expr = t.select(day=t.ts.date(), s=t.ts.epoch_seconds(), later=t.ts + ibis.interval(minutes=1))
    assert str(Backend().connect().compile(expr)) == str(ibis.duckdb.connect().compile(expr))


def test_stores_compile_with_kizuki_compiler() -> None:
    store = open_store("duckdb://")
    assert isinstance(store.con.compiler, UtcDuckDBCompiler)
