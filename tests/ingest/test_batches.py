"""Batches: ``--replace`` after a corrected mapping or file, deleting a batch, a replace that
crashes and resumes, the accounting that holds after each, and stale results."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from kizuki.core import Kizuki
from kizuki.errors import NotFoundError
from kizuki.ingest import ingest_files
from kizuki.ingest.batches import DELETED, delete_batch, find_batch, list_batches
from kizuki.schema import RUNS_TABLE, TABLES, result_arrow
from kizuki.settings import Settings
from kizuki.store import Store, open_store

Query = Callable[[Store, str], list[tuple[Any, ...]]]
HEADER = "イベントID,日時,ユーザー,イベント,ページ\n"
#: the first mapping takes the page from the wrong column; the second is the corrected one
WRONG = {
    "event_id": "イベントID",
    "ts": "日時",
    "anonymous_id": "ユーザー",
    "event_name": "イベント",
    "page_path": "イベント",
}
RIGHT = {**WRONG, "page_path": "ページ"}


def _events(path: Path, n: int, *, bad: int = 0, hour: int = 9) -> Path:
    """``n`` good event rows (e0 …) and ``bad`` rows whose time is not a date."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"e{i},2026-11-02T{hour:02d}:{i:02d}:00+09:00,a{i % 3},page_view,/app/import"
        for i in range(n)
    ]
    lines += [f"x{i},2026/13/0{i + 1} 9:05,a1,page_view,/app" for i in range(bad)]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _count(store: Store, table: str) -> int:
    return int(store.duckdb.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])


def assert_accounting(store: Store) -> None:
    """Every current batch balances, and the tables hold what the current batches loaded."""
    current = [b for b in list_batches(store) if b["status"] == "current"]
    for b in current:
        assert b["rows_in"] == (
            b["rows_loaded"] + b["rows_updated"] + b["rows_duplicate"] + b["rows_quarantined"]
        ), b
    for table in ("events", "quarantine"):
        column = "rows_quarantined" if table == "quarantine" else "rows_loaded"
        want = sum(
            b[column] for b in current if table == "quarantine" or b["target_table"] == table
        )
        assert _count(store, table) == want, table
    removed = [b["batch_id"] for b in list_batches(store, include_removed=True)]
    removed = [i for i in removed if i not in {b["batch_id"] for b in current}]
    for table in [*TABLES, "quarantine"]:
        left = store.duckdb.execute(
            f'SELECT count(*) FROM "{table}" WHERE batch_id IN (SELECT unnest(?::VARCHAR[]))',
            [removed],
        ).fetchone()[0]
        assert left == 0, f"{table} keeps rows of removed batches"


def test_a_file_ingested_again_with_another_mapping_is_skipped_and_says_replace(
    store: Store, tmp_path: Path
) -> None:
    f = _events(tmp_path / "events.csv", 10)
    (first,) = ingest_files(store, "csv", [f], mapping=WRONG)
    (again,) = ingest_files(store, "csv", [f], mapping=RIGHT)
    assert again.skipped and again.batch_id == first.batch_id
    assert "already ingested" in again.summary()
    assert "pass --replace to load it again (e.g. after fixing the mapping)" in again.summary()


def test_replace_after_a_corrected_mapping(store: Store, tmp_path: Path, query: Query) -> None:
    f = _events(tmp_path / "events.csv", 10)
    (first,) = ingest_files(store, "csv", [f], mapping=WRONG)
    assert query(store, "SELECT DISTINCT page_path FROM events") == [("page_view",)]
    (fixed,) = ingest_files(store, "csv", [f], mapping=RIGHT, replace=True)
    # same bytes, another mapping: another batch id (the settings hash is part of it)
    assert fixed.batch_id != first.batch_id and fixed.batch_id.startswith(first.batch_id[:-9])
    assert fixed.replaced_batches == (first.batch_id,)
    assert f"replaced {first.batch_id}" in fixed.summary()
    assert (fixed.rows_in, fixed.rows_loaded, fixed.rows_duplicate) == (10, 10, 0)
    assert query(store, "SELECT DISTINCT page_path, batch_id FROM events") == [
        ("/app/import", fixed.batch_id)
    ]
    (old,) = [b for b in list_batches(store, include_removed=True) if b["status"] == "removed"]
    assert (old["batch_id"], old["removed_by"]) == (first.batch_id, fixed.batch_id)
    assert old["removed_at"] is not None
    assert [b["batch_id"] for b in list_batches(store)] == [fixed.batch_id]
    assert_accounting(store)


def test_replace_after_a_corrected_file_keeps_the_accounting(
    store: Store, tmp_path: Path, query: Query
) -> None:
    a = _events(tmp_path / "in" / "events.csv", 10, hour=0)  # the times were an hour off
    (first,) = ingest_files(store, "csv", [a], mapping=RIGHT)
    corrected = _events(tmp_path / "fixed" / "events.csv", 10, bad=2)  # same name, 12 rows
    (second,) = ingest_files(store, "csv", [corrected], mapping=RIGHT, replace=True)
    assert second.replaced_batches == (first.batch_id,)
    assert (second.rows_in, second.rows_loaded, second.rows_duplicate) == (12, 10, 0)
    assert second.rows_quarantined == 2
    assert _count(store, "events") == 10 and _count(store, "quarantine") == 2
    assert query(store, "SELECT min(ts)::VARCHAR, count(DISTINCT batch_id) FROM events") == [
        ("2026-11-02 00:00:00+00", 1)
    ]
    (log,) = list_batches(store)
    assert (log["batch_id"], log["rows_in"], log["rows_loaded"], log["rows_quarantined"]) == (
        second.batch_id,
        12,
        10,
        2,
    )
    assert_accounting(store)


def test_replace_touches_only_the_same_file_name_or_checksum(store: Store, tmp_path: Path) -> None:
    october = _events(tmp_path / "events-10.csv", 5)
    november = _events(tmp_path / "events-11.csv", 8)
    (oct_batch,) = ingest_files(store, "csv", [october], table="events", mapping=RIGHT)
    (nov_batch,) = ingest_files(store, "csv", [november], table="events", mapping=RIGHT)
    assert nov_batch.rows_loaded == 3  # e0 … e4 came with October
    renamed = tmp_path / "copy" / "other-name.csv"
    renamed.parent.mkdir()
    renamed.write_bytes(october.read_bytes())
    (again,) = ingest_files(store, "csv", [renamed], table="events", mapping=RIGHT, replace=True)
    assert again.replaced_batches == (oct_batch.batch_id,)  # matched by checksum
    current = {b["batch_id"] for b in list_batches(store)}
    assert current == {nov_batch.batch_id, again.batch_id}
    # e0 … e4 were October's: they went with it and are loaded by the copy again
    assert again.rows_loaded == 5 and _count(store, "events") == 8


def test_the_same_file_and_settings_replaced_twice_gets_fresh_batch_ids(
    store: Store, tmp_path: Path
) -> None:
    f = _events(tmp_path / "events.csv", 4)
    (a,) = ingest_files(store, "csv", [f], mapping=RIGHT)
    (b,) = ingest_files(store, "csv", [f], mapping=RIGHT, replace=True)
    (c,) = ingest_files(store, "csv", [f], mapping=RIGHT, replace=True)
    assert (b.batch_id, c.batch_id) == (f"{a.batch_id}-2", f"{a.batch_id}-3")
    assert c.replaced_batches == (b.batch_id,) and _count(store, "events") == 4
    assert [r["batch_id"] for r in list_batches(store, include_removed=True)] == [
        a.batch_id,
        b.batch_id,
        c.batch_id,
    ]
    assert_accounting(store)


class Crash(Exception):
    """Stands for the process dying between two chunks."""


def _crash_after(chunks: int) -> Callable[[str, float, float | None], None]:
    calls = []

    def progress(step: str, done: float, total: float | None) -> None:
        calls.append(done)
        if len(calls) > chunks:  # the first call comes before any chunk
            raise Crash

    return progress


def _log_view(store: Store) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in store.duckdb.execute(
            "SELECT batch_id, rows_in, rows_loaded, rows_duplicate, rows_quarantined, "
            "removed_by, removed_at IS NULL FROM ingest_log ORDER BY started_at"
        ).fetchall()
    ]


@pytest.mark.parametrize("again_with_replace", [True, False], ids=["replace", "plain"])
def test_a_replace_that_crashes_midway_resumes_to_what_an_uninterrupted_one_writes(
    tmp_path: Path, checksums: Callable[[Store], dict[str, Any]], again_with_replace: bool
) -> None:
    a = _events(tmp_path / "in" / "events.csv", 10, hour=0)
    corrected = _events(tmp_path / "fixed" / "events.csv", 10, bad=2)

    reference = open_store("duckdb://")
    ingest_files(reference, "csv", [a], mapping=RIGHT, batch_rows=4)
    ingest_files(reference, "csv", [corrected], mapping=RIGHT, batch_rows=4, replace=True)

    store = open_store("duckdb://")
    (first,) = ingest_files(store, "csv", [a], mapping=RIGHT, batch_rows=4)
    with pytest.raises(Crash):  # before the first chunk: nothing changed
        ingest_files(
            store, "csv", [corrected], mapping=RIGHT, batch_rows=4, replace=True,
            progress=_crash_after(0),
        )  # fmt: skip
    assert [b["batch_id"] for b in list_batches(store)] == [first.batch_id]
    assert _count(store, "events") == 10
    with pytest.raises(Crash):  # after the first of three chunks
        ingest_files(
            store, "csv", [corrected], mapping=RIGHT, batch_rows=4, replace=True,
            progress=_crash_after(1),
        )  # fmt: skip
    # the old batch went in the first chunk's transaction; the new one waits to resume
    (interrupted,) = list_batches(store)
    assert interrupted["status"] == "interrupted" and interrupted["rows_in"] == 4
    assert _count(store, "events") == 4
    assert {
        b["batch_id"]: b.get("removed_by") for b in list_batches(store, include_removed=True)
    } == {
        first.batch_id: interrupted["batch_id"],
        interrupted["batch_id"]: None,
    }
    (resumed,) = ingest_files(
        store, "csv", [corrected], mapping=RIGHT, batch_rows=4, replace=again_with_replace
    )
    assert resumed.batch_id == interrupted["batch_id"] and not resumed.skipped
    assert resumed.replaced_batches == (first.batch_id,)
    assert (resumed.rows_in, resumed.rows_loaded, resumed.rows_quarantined) == (12, 10, 2)
    want, got = checksums(reference), checksums(store)
    for table in [*TABLES, "quarantine", "ingest_progress"]:
        assert got[table] == want[table], table
    assert _log_view(store) == _log_view(reference)
    assert_accounting(store)


ZENDESK_TICKETS = [
    {
        "id": 201,
        "created_at": "2026-11-02T00:05:00Z",
        "via": {"channel": "email"},
        "status": "solved",
        "subject": "CSVのインポートができません",
        "requester_id": 555,
        "requester": {"external_id": "cust-1"},
        "satisfaction_rating": {"id": 77, "score": "bad", "comment": "困っています"},
        "comments": [
            {
                "id": 1,
                "author_id": 555,
                "public": True,
                "body": "エラー",
                "created_at": "2026-11-02T00:05:00Z",
            },
        ],
    },
    {"id": 202, "created_at": "2026-11-02T01:00:00Z", "via": {"channel": "voice"}},
]


def test_deleting_a_batch_removes_its_rows_everywhere_and_marks_the_log(
    store: Store, tmp_path: Path
) -> None:
    tickets = tmp_path / "tickets.jsonl"
    lines = [json.dumps(t, ensure_ascii=False) for t in ZENDESK_TICKETS] + ["{truncated"]
    tickets.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (zd,) = ingest_files(store, "zendesk", [tickets])
    (ev,) = ingest_files(store, "csv", [_events(tmp_path / "events.csv", 3, bad=1)], mapping=RIGHT)
    written = {t: _count(store, t) for t in ("contacts", "surveys", "comments", "identities")}
    assert min(written.values()) > 0 and _count(store, "quarantine") == 2

    removed = delete_batch(store, zd.batch_id[:12])  # a unique prefix is enough
    assert removed == {**written, "quarantine": 1}
    for table in [*written, "quarantine"]:
        left = store.duckdb.execute(
            f'SELECT count(*) FROM "{table}" WHERE batch_id = ?', [zd.batch_id]
        ).fetchone()
        assert left == (0,), table
    assert _count(store, "events") == 3 and _count(store, "quarantine") == 1  # the other batch
    (gone,) = [b for b in list_batches(store, include_removed=True) if b["status"] == "removed"]
    assert (gone["batch_id"], gone["removed_by"]) == (zd.batch_id, DELETED)
    assert [b["batch_id"] for b in list_batches(store)] == [ev.batch_id]
    with pytest.raises(NotFoundError, match=r"was removed at .* \(by deleted\)"):
        delete_batch(store, zd.batch_id)
    # a deleted file is no longer "already ingested"
    (back,) = ingest_files(store, "zendesk", [tickets])
    assert not back.skipped and back.batch_id == f"{zd.batch_id}-2"
    assert back.replaced_batches == ()
    assert_accounting(store)


def test_batch_prefixes_must_name_one_batch(store: Store, tmp_path: Path) -> None:
    ingest_files(store, "csv", [_events(tmp_path / "events.csv", 2)], mapping=RIGHT)
    ingest_files(store, "csv", [_events(tmp_path / "b" / "events.csv", 3)], mapping=RIGHT)
    with pytest.raises(NotFoundError, match=r"matches 2 batches.*give more of the id"):
        find_batch(store, "csv-events-")
    with pytest.raises(NotFoundError, match=r"no batch 'nope'.*kizuki batches list"):
        find_batch(store, "nope")


def test_a_deleted_batch_takes_the_versions_it_brought_and_older_ones_do_not_come_back(
    store: Store, tmp_path: Path, query: Query
) -> None:
    v1, v2 = tmp_path / "customers-1.csv", tmp_path / "customers-2.csv"
    v1.write_text(
        "customer_id,created_at,plan,updated_at\n"
        "c1,2026-01-01,free,2026-02-01\nc2,2026-01-01,free,2026-02-01\n"
    )
    v2.write_text("customer_id,created_at,plan,updated_at\nc1,2026-01-01,pro,2026-03-01\n")
    ingest_files(store, "csv", [v1], table="customers")
    (newer,) = ingest_files(store, "csv", [v2], table="customers")
    assert newer.rows_updated == 1
    delete_batch(store, newer.batch_id)
    assert query(store, "SELECT customer_id, plan FROM customers") == [("c2", "free")]


def _record_run(kz: Kizuki, started: dt.datetime) -> None:
    """A completed run in ``result_runs``, as ``kizuki analyze`` appends it."""
    row = {
        "run_id": started.isoformat(),
        "kizuki_version": "test",
        "status": "completed",
        "started_at": started,
        "finished_at": started + dt.timedelta(seconds=1),
        "config": "{}",
        "journey": "{}",
        "inputs": "{}",
        "steps": "[]",
        "tables_written": "[]",
        "error": None,
    }
    kz.store.append_table(RUNS_TABLE, result_arrow(RUNS_TABLE, pd.DataFrame([row])))


def test_results_are_stale_after_a_replace_or_delete_until_the_next_analyze(
    store: Store, tmp_path: Path
) -> None:
    kz = Kizuki(store, Settings())
    f = _events(tmp_path / "events.csv", 4)
    ingest_files(store, "csv", [f], mapping=WRONG)
    assert kz.results_stale() is None  # no results yet
    _record_run(kz, dt.datetime.now(dt.UTC))
    assert kz.results_stale() is None
    (fixed,) = ingest_files(store, "csv", [f], mapping=RIGHT, replace=True)
    reason = kz.results_stale()
    assert reason is not None and reason.startswith("1 batch ingested, 1 batch removed since")
    _record_run(kz, dt.datetime.now(dt.UTC))
    assert kz.results_stale() is None
    kz.delete_batch(fixed.batch_id)
    assert str(kz.results_stale()).startswith("1 batch removed since the last analyze run")
