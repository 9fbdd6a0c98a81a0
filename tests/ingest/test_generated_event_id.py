"""An events file without ``event_id`` gets ids made from each row's content: the same event has
the same id whatever the file, its row order or its layout; different events have different
ids; two identical rows in one file are one event."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kizuki.errors import IngestError
from kizuki.ingest import ingest_files
from kizuki.ingest.inspect import inspect_files
from kizuki.store import Store

Query = Callable[[Store, str], list[tuple[Any, ...]]]

HEADER = "customer_id,ts,event_name,page_path,properties\n"
ROWS = [
    'c1,2026-11-02 09:36:40,page_view,/app/import,"{""step"": 1}"',
    "c1,2026-11-02 09:36:41,error,/app/import,",
    "c2,2026-11-02 09:36:40,page_view,/app/import,",
    "c2,2026/11/02 9:40,page_view,/help,",
    ",2026-11-02 09:36:40,page_view,/app/import,",  # quarantined: no customer or anonymous id
]


def _events(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _ids(store: Store, query: Query) -> dict[tuple[Any, ...], str]:
    got = query(store, "SELECT customer_id, ts::VARCHAR, event_name, event_id FROM events")
    return {tuple(r[:3]): r[3] for r in got}


def test_ids_are_made_from_the_row_and_said_so(store: Store, tmp_path: Path, query: Query) -> None:
    (r,) = ingest_files(store, "csv", [_events(tmp_path / "events.csv", ROWS)])
    assert (r.rows_loaded, r.rows_quarantined) == (4, 1)
    assert r.generated_columns == ("event_id",)
    assert "event_id generated from the row's content" in r.summary()
    ids = list(_ids(store, query).values())
    assert len(set(ids)) == 4  # distinct events, distinct ids
    assert all(i.startswith("h:") and len(i) == 2 + 32 for i in ids)


def test_the_same_events_get_the_same_ids_in_any_order_or_layout(
    store: Store, tmp_path: Path, query: Query
) -> None:
    (first,) = ingest_files(store, "csv", [_events(tmp_path / "events.csv", ROWS)])
    ids = _ids(store, query)
    # the rows reversed, columns in another order, an ignored column, other JSON spacing
    moved = tmp_path / "again" / "events.csv"
    moved.parent.mkdir()
    header = "page_path,event_name,ts,note,customer_id,properties\n"
    rows = []
    for line in reversed(ROWS):
        cells = line.split(",", 4)
        props = cells[4].replace(": ", ":")
        rows.append(f"{cells[3]},{cells[2]},{cells[1]},x,{cells[0]},{props}")
    (again,) = ingest_files(store, "csv", [_events(moved, rows, header)])
    assert again.batch_id != first.batch_id and not again.skipped
    assert (again.rows_loaded, again.rows_duplicate, again.rows_quarantined) == (0, 4, 1)
    # the same events as JSON lines and as Parquet (typed UTC timestamps): duplicates too
    lines = tmp_path / "events.jsonl"
    lines.write_text(
        json.dumps(
            {
                "customer_id": "c2",
                "ts": "2026-11-02 18:40:00",
                "event_name": "page_view",
                "page_path": "/help",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    (as_json,) = ingest_files(store, "jsonl", [lines], timezone="Asia/Tokyo")
    assert (as_json.rows_loaded, as_json.rows_duplicate) == (0, 1)
    parquet = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "customer_id": ["c1"],
                "ts": pa.array([1793612201_000_000], pa.timestamp("us", tz="UTC")),
                "event_name": ["error"],
                "page_path": ["/app/import"],
            }
        ),
        parquet,
    )
    (as_parquet,) = ingest_files(store, "parquet", [parquet])
    assert (as_parquet.rows_loaded, as_parquet.rows_duplicate) == (0, 1)
    assert _ids(store, query) == ids


def test_identical_rows_are_one_event_and_other_zones_other_events(
    store: Store, tmp_path: Path, query: Query
) -> None:
    rows = [ROWS[1], ROWS[1], ROWS[2]]
    (r,) = ingest_files(store, "csv", [_events(tmp_path / "events.csv", rows)])
    assert (r.rows_loaded, r.rows_duplicate) == (2, 1)
    # the same text read in another zone is another time, so another event
    (tmp_path / "later").mkdir()
    later = _events(tmp_path / "later" / "events.csv", rows[::-1])
    (r,) = ingest_files(store, "csv", [later], timezone="Asia/Tokyo")
    assert (r.skipped, r.rows_loaded, r.rows_duplicate) == (False, 2, 1)
    assert query(store, "SELECT count(DISTINCT event_id) FROM events") == [(4,)]


def test_a_file_with_event_id_keeps_its_own_ids(store: Store, tmp_path: Path, query: Query) -> None:
    f = _events(
        tmp_path / "events.csv",
        ["e1,c1,2026-11-02T00:00:00Z,page_view,/"],
        "event_id,customer_id,ts,event_name,page_path\n",
    )
    (r,) = ingest_files(store, "csv", [f])
    assert (r.rows_loaded, r.generated_columns) == (1, ())
    assert "generated" not in r.summary()
    assert query(store, "SELECT event_id FROM events") == [("e1",)]


def test_other_missing_required_columns_still_refuse_the_file(store: Store, tmp_path: Path) -> None:
    f = _events(tmp_path / "events.csv", ["c1,/a"], "customer_id,page_path\n")
    with pytest.raises(IngestError, match=r"needs column\(s\) ts, event_name, not found"):
        ingest_files(store, "csv", [f])
    mapped = _events(
        tmp_path / "e.csv", ["c1,2026-11-02T00:00:00Z,x"], "customer_id,ts,event_name\n"
    )
    with pytest.raises(IngestError, match=r"event_id \(as 'id'\)"):
        ingest_files(store, "csv", [mapped], table="events", mapping={"event_id": "id"})


def test_inspect_says_the_id_is_generated(tmp_path: Path) -> None:
    (i,) = inspect_files("csv", [_events(tmp_path / "events.csv", ROWS)], timezone="Asia/Tokyo")
    assert i.generated == ["event_id"]
    assert i.preview[0]["event_id"].startswith("h:")
    assert i.preview[0]["ts"] == "2026-11-02 09:36:40+09"
