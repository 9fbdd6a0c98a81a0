"""Times without a UTC offset are read in the ingest's time zone, the same way in every source;
times with an offset and epoch numbers are not; the naive ones are counted and warned about."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from kizuki.cli import app
from kizuki.errors import IngestError
from kizuki.ingest import ingest_files
from kizuki.ingest.inspect import inspect_files
from kizuki.store import Store, open_store

Query = Callable[[Store, str], list[tuple[Any, ...]]]

# (text, zone, UTC) — worked out by hand: Tokyo is UTC+9 all year; New York is UTC-4 from
# 2026-03-08 03:00 to 2026-11-01 02:00 local time (EDT), UTC-5 otherwise (EST).
CASES = [
    ("2026-11-02 09:36:40", "Asia/Tokyo", "2026-11-02 00:36:40+00"),
    ("2026-11-02T09:36:40", "Asia/Tokyo", "2026-11-02 00:36:40+00"),
    ("2026-11-02", "Asia/Tokyo", "2026-11-01 15:00:00+00"),
    ("2026/11/02 9:05", "Asia/Tokyo", "2026-11-02 00:05:00+00"),
    ("2026年11月2日 9時5分", "Asia/Tokyo", "2026-11-02 00:05:00+00"),
    ("2026-11-02 09:36:40", "UTC", "2026-11-02 09:36:40+00"),
    ("2026/11/02 9:05", "UTC", "2026-11-02 09:05:00+00"),
    ("2026-07-01 12:00:00", "America/New_York", "2026-07-01 16:00:00+00"),
    ("2026-12-01 12:00:00", "America/New_York", "2026-12-01 17:00:00+00"),
    ("2026-03-08 01:30:00", "America/New_York", "2026-03-08 06:30:00+00"),  # before DST
    ("2026-03-08 03:30:00", "America/New_York", "2026-03-08 07:30:00+00"),  # after DST
    ("2026/3/8 3:30", "America/New_York", "2026-03-08 07:30:00+00"),
    ("2026年3月8日 1時30分", "America/New_York", "2026-03-08 06:30:00+00"),
]
#: times that do not depend on the zone
ZONED = [
    ("2026-11-02T09:36:40+09:00", "2026-11-02 00:36:40+00"),
    ("2026-11-02T00:36:40Z", "2026-11-02 00:36:40+00"),
    ("2026-11-02 00:36:40-05", "2026-11-02 05:36:40+00"),
    ("2026/11/02 9:05+00:00", "2026-11-02 09:05:00+00"),
    ("2026年11月2日 9:05+09:00", "2026-11-02 00:05:00+00"),
    ("1795305900", "2026-11-22 00:05:00+00"),
    ("1795305900000", "2026-11-22 00:05:00+00"),
]


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _customers(tmp_path: Path, *times: str) -> Path:
    rows = "".join(f"c{i},{t}\n" for i, t in enumerate(times))
    return _csv(tmp_path / "customers.csv", "customer_id,created_at\n" + rows)


@pytest.mark.parametrize(("text", "zone", "utc"), CASES, ids=[f"{t} {z}" for t, z, _ in CASES])
def test_naive_text_is_read_in_the_zone(
    store: Store, tmp_path: Path, query: Query, text: str, zone: str, utc: str
) -> None:
    (r,) = ingest_files(store, "csv", [_customers(tmp_path, text)], timezone=zone)
    assert (r.rows_loaded, r.naive_times, r.timezone) == (1, 1, zone)
    assert query(store, "SELECT created_at::VARCHAR FROM customers") == [(utc,)]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "America/New_York"])
def test_offsets_and_epochs_do_not_depend_on_the_zone(
    store: Store, tmp_path: Path, query: Query, zone: str
) -> None:
    f = _customers(tmp_path, *(t for t, _ in ZONED))
    (r,) = ingest_files(store, "csv", [f], timezone=zone)
    assert (r.rows_loaded, r.naive_times, r.warnings()) == (len(ZONED), 0, [])
    got = query(store, "SELECT created_at::VARCHAR FROM customers ORDER BY customer_id")
    assert got == [(utc,) for _, utc in ZONED]


def _unambiguous(local: dt.datetime, zone: str) -> bool:
    """The wall time occurs exactly once in ``zone`` (not skipped nor repeated by DST)."""
    z = ZoneInfo(zone)
    first, second = local.replace(tzinfo=z, fold=0), local.replace(tzinfo=z, fold=1)
    back = first.astimezone(dt.UTC).astimezone(z).replace(tzinfo=None)
    return first.utcoffset() == second.utcoffset() and back == local


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    zone=st.sampled_from(["Asia/Tokyo", "America/New_York", "Europe/London", "UTC"]),
    times=st.lists(
        st.datetimes(min_value=dt.datetime(2001, 1, 1), max_value=dt.datetime(2037, 12, 31)),
        min_size=1,
        max_size=20,
    ),
    japanese=st.booleans(),
)
def test_naive_times_match_zoneinfo(
    tmp_path: Path, zone: str, times: list[dt.datetime], japanese: bool
) -> None:
    times = [t.replace(microsecond=0) for t in times if _unambiguous(t, zone)]
    if not times:
        return
    fmt = "%Y年%m月%d日 %H時%M分%S秒" if japanese else "%Y-%m-%d %H:%M:%S"
    f = _customers(tmp_path, *(t.strftime(fmt) for t in times))
    store = open_store("duckdb://")
    try:
        (r,) = ingest_files(store, "csv", [f], timezone=zone)
        got = store.duckdb.execute(
            "SELECT epoch_us(created_at) FROM customers ORDER BY customer_id"
        ).fetchall()
    finally:
        store.close()
    want = [t.replace(tzinfo=ZoneInfo(zone)).timestamp() * 1_000_000 for t in times]
    assert r.naive_times == len(times)
    # c0…c9, c10… sort as text
    order = sorted(range(len(times)), key=lambda i: f"c{i}")
    assert [int(g) for (g,) in got] == [int(want[i]) for i in order]


def test_parquet_naive_timestamps_and_dates_follow_the_zone(
    store: Store, tmp_path: Path, query: Query
) -> None:
    table = pa.table(
        {
            "customer_id": ["c1", "c2", "c3"],
            "created_at": pa.array(
                [dt.datetime(2026, 11, 2, 9, 0), dt.datetime(2026, 7, 1, 12, 0), None],
                pa.timestamp("us"),
            ),
            "updated_at": pa.array(
                [dt.datetime(2026, 11, 2, 0, 0, tzinfo=dt.UTC)] * 3, pa.timestamp("us", tz="UTC")
            ),
        }
    )
    f = tmp_path / "customers.parquet"
    pq.write_table(table, f)
    (r,) = ingest_files(store, "parquet", [f], timezone="America/New_York")
    # c3 has no created_at (required): quarantined, and not counted as a naive time
    assert (r.rows_loaded, r.rows_quarantined, r.naive_times) == (2, 1, 2)
    assert query(
        store,
        "SELECT customer_id, created_at::VARCHAR, updated_at::VARCHAR FROM customers ORDER BY 1",
    ) == [
        ("c1", "2026-11-02 14:00:00+00", "2026-11-02 00:00:00+00"),
        ("c2", "2026-07-01 16:00:00+00", "2026-11-02 00:00:00+00"),
    ]
    dates = tmp_path / "d" / "customers.parquet"
    dates.parent.mkdir()
    pq.write_table(
        pa.table({"customer_id": ["d1"], "created_at": pa.array([dt.date(2026, 11, 2)])}), dates
    )
    (r,) = ingest_files(store, "parquet", [dates], timezone="Asia/Tokyo")
    assert (r.rows_loaded, r.naive_times) == (1, 1)
    assert query(store, "SELECT created_at::VARCHAR FROM customers WHERE customer_id = 'd1'") == [
        ("2026-11-01 15:00:00+00",)
    ]


def test_jsonl_zendesk_and_ga4_naive_times_follow_the_zone(
    store: Store,
    tmp_path: Path,
    query: Query,
    ga4_row: Callable[..., dict[str, Any]],
    write_ga4_ndjson: Callable[..., None],
) -> None:
    lines = tmp_path / "customers.jsonl"
    lines.write_text(
        json.dumps({"customer_id": "j1", "created_at": "2026/11/02 9:05"}) + "\n", encoding="utf-8"
    )
    (r,) = ingest_files(store, "jsonl", [lines], timezone="Asia/Tokyo")
    assert (r.rows_loaded, r.naive_times) == (1, 1)

    tickets = tmp_path / "tickets.json"
    ticket = {
        "id": 1,
        "created_at": "2026-11-02 09:00:00",
        "updated_at": "2026-11-02T01:00:00Z",
        "via": {"channel": "email"},
        "requester": {"external_id": "j1"},
    }
    tickets.write_text(json.dumps(ticket) + "\n", encoding="utf-8")
    (r,) = ingest_files(store, "zendesk", [tickets], timezone="Asia/Tokyo")
    assert (r.rows_loaded, r.naive_times) == (1, 1)

    ga4 = tmp_path / "events.json"
    write_ga4_ndjson(
        ga4, [ga4_row("2026-11-02 09:00:00", "page_view"), ga4_row(1795305900000000, "x")]
    )
    (r,) = ingest_files(store, "ga4", [ga4], timezone="Asia/Tokyo")
    assert (r.rows_loaded, r.naive_times) == (2, 1)

    assert query(
        store,
        "SELECT (SELECT created_at FROM customers)::VARCHAR, "
        "(SELECT opened_at FROM contacts)::VARCHAR, "
        "(SELECT min(ts) FROM events)::VARCHAR",
    ) == [("2026-11-02 00:05:00+00", "2026-11-02 00:00:00+00", "2026-11-02 00:00:00+00")]


def test_the_warning_counts_every_naive_time_of_the_file(store: Store, tmp_path: Path) -> None:
    f = _csv(
        tmp_path / "customers.csv",
        "customer_id,created_at,updated_at\n"
        "c1,2026-11-02 09:00,2026-11-02T09:00:00+09:00\n"
        "c2,2026/11/02 9:00,2026/11/03 9:00\n"
        "c3,1795305900,\n"
        "c4,not a date,2026-11-02\n",  # quarantined, but its naive updated_at was still read
    )
    (r,) = ingest_files(store, "csv", [f], timezone="Asia/Tokyo")
    assert (r.rows_loaded, r.rows_quarantined, r.naive_times) == (3, 1, 4)
    assert r.warnings() == [
        "customers.csv: 4 times without a UTC offset read as Asia/Tokyo (pass --timezone to change)"
    ]
    assert r.summary().endswith("; 4 times without a UTC offset read as Asia/Tokyo")


def test_an_unknown_zone_is_an_error_naming_it(store: Store, tmp_path: Path) -> None:
    f = _customers(tmp_path, "2026-11-02 09:00")
    with pytest.raises(IngestError, match=r"unknown time zone 'Asia/Tokio'.*Asia/Tokyo"):
        ingest_files(store, "csv", [f], timezone="Asia/Tokio")
    with pytest.raises(IngestError, match=r"unknown time zone '\+09:00x'"):
        inspect_files("csv", [f], timezone="+09:00x")
    assert store.duckdb.execute("SELECT count(*) FROM ingest_log").fetchone() == (0,)


def test_inspect_names_the_zone_and_shows_rows_as_stored(tmp_path: Path) -> None:
    f = _customers(tmp_path, "2026-11-02 09:00", "2026-11-02T09:00:00Z", "bad")
    (i,) = inspect_files("csv", [f], timezone="Asia/Tokyo")
    assert (i.timezone, i.naive_times, i.generated) == ("Asia/Tokyo", 1, [])
    assert [(p["row"], p["customer_id"], p["created_at"]) for p in i.preview] == [
        (2, "c0", "2026-11-02 09:00:00+09"),
        (3, "c1", "2026-11-02 18:00:00+09"),
        (4, "c2", None),
    ]
    assert i.preview[2]["reason"] == (
        "created_at 'bad' is not a timestamp (expected ISO 8601 like 2026-11-22T09:05:00+09:00, "
        "2026/11/22 9:05, 2026年11月22日 9:05 or epoch seconds/milliseconds/microseconds)"
    )


def test_cli_ingest_warns_about_naive_times_and_dry_run_names_the_zone(tmp_path: Path) -> None:
    f = _customers(tmp_path, "2026-11-02 09:00", "2026/11/02 10:00")
    url = f"duckdb://{tmp_path / 'k.duckdb'}"
    runner = CliRunner()
    dry = runner.invoke(
        app, ["ingest", "csv", str(f), "--store", url, "--dry-run", "--timezone", "Asia/Tokyo"]
    )
    assert dry.exit_code == 0, dry.output
    assert "read as Asia/Tokyo" in dry.output and "2026-11-02 09:00:00+09" in dry.output
    done = runner.invoke(app, ["ingest", "csv", str(f), "--store", url, "--timezone", "UTC"])
    assert done.exit_code == 0, done.output
    assert "warning: customers.csv: 2 times without a UTC offset read as UTC" in done.output
