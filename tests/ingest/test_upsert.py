"""Updates are data: the newest version of a row wins, whatever order its versions arrive in.

Tables with ``updated_at`` keep the newest version of each key (NULL older than any time, equal
times ordered by the row's hash); tables without it stay append-only. Every file balances:
``rows_in == loaded + updated + duplicate + quarantined``.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from kizuki.ingest import IngestResult, ingest_files
from kizuki.ingest import pipeline as pipeline_module
from kizuki.schema import TABLES
from kizuki.store import Store, open_store

Query = Callable[[Store, str], list[tuple[Any, ...]]]

T1, T2, T3 = "2026-03-01T09:00:00Z", "2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z"


def _write(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows([["" if v is None else v for v in row] for row in rows])
    return path


CUSTOMERS = ["customer_id", "created_at", "plan", "monthly_value", "updated_at"]


def _ingest(store: Store, path: Path, table: str, batch_rows: int = 250_000) -> IngestResult:
    (r,) = ingest_files(store, "csv", [path], table=table, batch_rows=batch_rows)
    assert r.rows_in == r.rows_loaded + r.rows_updated + r.rows_duplicate + r.rows_quarantined
    return r


def _counts(r: IngestResult) -> tuple[int, int, int, int]:
    return (r.rows_loaded, r.rows_updated, r.rows_duplicate, r.rows_quarantined)


def _rows(store: Store, table: str) -> list[tuple[Any, ...]]:
    """The table's rows, sorted, without ``batch_id`` (timestamps as text)."""
    cols = ", ".join(
        f'"{c.name}"::VARCHAR' if c.type == "timestamp" else f'"{c.name}"'
        for c in TABLES[table].columns
    )
    return [tuple(r) for r in store.duckdb.execute(f"SELECT {cols} FROM {table}").fetchall()]


def _plans(store: Store) -> dict[str, tuple[str, str | None, str]]:
    got = store.duckdb.execute(
        "SELECT customer_id, plan, updated_at::VARCHAR, batch_id FROM customers"
    ).fetchall()
    return {k: (plan, at, batch) for k, plan, at, batch in got}


# -- the rule, one case at a time -------------------------------------------------------------
def test_a_newer_version_replaces_the_row_and_an_older_one_changes_nothing(
    store: Store, tmp_path: Path
) -> None:
    first = _write(
        tmp_path / "c1.csv",
        CUSTOMERS,
        [("c1", "2026-01-01", "free", 0, T1), ("c2", "2026-01-01", "free", 0, T1)],
    )
    newer = _write(tmp_path / "c2.csv", CUSTOMERS, [("c1", "2026-01-01", "pro", 30, T2)])
    older = _write(tmp_path / "c3.csv", CUSTOMERS, [("c1", "2026-01-01", "team", 90, T1)])
    a = _ingest(store, first, "customers")
    b = _ingest(store, newer, "customers")
    assert (_counts(a), _counts(b)) == ((2, 0, 0, 0), (0, 1, 0, 0))
    assert "0 loaded, 1 updated, 0 duplicate" in b.summary()
    assert _plans(store)["c1"] == ("pro", "2026-03-02 09:00:00+00", b.batch_id)
    assert _plans(store)["c2"][2] == a.batch_id  # untouched rows keep their batch
    c = _ingest(store, older, "customers")
    assert _counts(c) == (0, 0, 1, 0)
    assert _plans(store)["c1"] == ("pro", "2026-03-02 09:00:00+00", b.batch_id)
    logged = store.duckdb.execute(
        "SELECT rows_loaded, rows_updated, rows_duplicate FROM ingest_log ORDER BY started_at"
    ).fetchall()
    assert logged == [(2, 0, 0), (0, 1, 0), (0, 0, 1)]


def test_an_identical_version_is_a_duplicate(store: Store, tmp_path: Path) -> None:
    row = ("c1", "2026-01-01", "free", 0, T1)
    a = _ingest(store, _write(tmp_path / "a.csv", CUSTOMERS, [row]), "customers")
    # another file (another checksum) with the same version of the row
    b = _ingest(store, _write(tmp_path / "b.csv", CUSTOMERS, [row, row]), "customers")
    assert (_counts(a), _counts(b)) == ((1, 0, 0, 0), (0, 0, 2, 0))
    assert _plans(store)["c1"][2] == a.batch_id


@pytest.mark.parametrize(
    "stored, incoming, plan, counts",
    [
        (None, T1, "new", (0, 1, 0, 0)),  # a versioned row replaces an unversioned one
        (T1, None, "old", (0, 0, 1, 0)),  # an unversioned row never replaces a stored one
        (None, None, "old", (0, 0, 1, 0)),
    ],
    ids=["versioned-replaces-null", "null-never-replaces", "null-after-null"],
)
def test_null_updated_at_is_older_than_any_time(
    store: Store,
    tmp_path: Path,
    stored: str | None,
    incoming: str | None,
    plan: str,
    counts: tuple[int, int, int, int],
) -> None:
    _ingest(
        store,
        _write(tmp_path / "a.csv", CUSTOMERS, [("c1", "2026-01-01", "old", 0, stored)]),
        "customers",
    )
    r = _ingest(
        store,
        _write(tmp_path / "b.csv", CUSTOMERS, [("c1", "2026-01-01", "new", 0, incoming)]),
        "customers",
    )
    assert _counts(r) == counts
    assert _plans(store)["c1"][0] == plan


def test_versions_stamped_with_the_same_time_give_the_same_row_in_either_order(
    tmp_path: Path,
) -> None:
    a = _write(tmp_path / "a.csv", CUSTOMERS, [("c1", "2026-01-01", "free", 0, T1)])
    b = _write(tmp_path / "b.csv", CUSTOMERS, [("c1", "2026-01-01", "pro", 30, T1)])
    tables, counts = [], []
    for files in ([a, b], [b, a]):
        store = open_store("duckdb://")
        results = [_ingest(store, f, "customers") for f in files]
        tables.append(_rows(store, "customers"))
        counts.append(sum(r.rows_updated for r in results))
        store.close()
    assert tables[0] == tables[1] and len(tables[0]) == 1
    assert sorted(counts) == [0, 1]  # the winner replaced the loser in one order only


@pytest.mark.parametrize("batch_rows", [1, 2, 100])
def test_of_versions_within_one_file_the_newest_wins_and_the_rest_are_duplicates(
    store: Store, tmp_path: Path, batch_rows: int
) -> None:
    rows = [
        ("c1", "2026-01-01", "b", 0, T2),
        ("c1", "2026-01-01", "c", 0, T3),
        ("c1", "2026-01-01", "a", 0, T1),
        ("c1", "2026-01-01", "z", 0, None),
        ("c2", "2026-01-01", "first", 0, None),
        ("c2", "2026-01-01", "second", 0, None),
    ]
    r = _ingest(store, _write(tmp_path / "c.csv", CUSTOMERS, rows), "customers", batch_rows)
    # the counts do not depend on how the file is cut into chunks
    assert _counts(r) == (2, 0, 4, 0)
    assert {k: v[0] for k, v in _plans(store).items()} == {"c1": "c", "c2": "first"}
    stored = _write(tmp_path / "d.csv", CUSTOMERS, [("c1", "2026-01-01", "x", 0, T1)])
    store.duckdb.execute("DELETE FROM customers; DELETE FROM ingest_log")
    _ingest(store, stored, "customers")
    again = _ingest(store, _write(tmp_path / "c.csv", CUSTOMERS, rows), "customers", batch_rows)
    assert _counts(again) == (1, 1, 4, 0)  # c1 updated once, c2 loaded once
    assert {k: v[0] for k, v in _plans(store).items()} == {"c1": "c", "c2": "first"}


CONTACTS = ["contact_id", "channel", "opened_at", "status", "text", "updated_at"]


def test_updated_contacts_are_redacted_and_compared_after_redaction(
    store: Store, tmp_path: Path
) -> None:
    v1 = ("t1", "email", "2026-03-01T08:00:00Z", "new", "call me on 090-1234-5678", T1)
    v2 = ("t1", "email", "2026-03-01T08:00:00Z", "solved", "mail taro@example.com", T2)
    # the same version, but for the address, which redaction removes: nothing changed
    v2_again = (*v2[:4], "mail hanako@example.jp", T2)
    _ingest(store, _write(tmp_path / "a.csv", CONTACTS, [v1]), "contacts")
    r = _ingest(store, _write(tmp_path / "b.csv", CONTACTS, [v2]), "contacts")
    again = _ingest(store, _write(tmp_path / "c.csv", CONTACTS, [v2_again]), "contacts")
    assert (_counts(r), _counts(again)) == ((0, 1, 0, 0), (0, 0, 1, 0))
    got = store.duckdb.execute("SELECT status, text FROM contacts").fetchall()
    assert got == [("solved", "mail <EMAIL>")]


EVENTS = ["event_id", "ts", "anonymous_id", "event_name", "page_path"]


def test_events_stay_append_only(store: Store, tmp_path: Path, query: Query) -> None:
    a = _write(tmp_path / "a.csv", EVENTS, [("e1", T1, "a1", "page_view", "/a")])
    b = _write(
        tmp_path / "b.csv",
        EVENTS,
        [("e1", T2, "a1", "page_view", "/changed"), ("e2", T2, "a1", "click", "/b")],
    )
    _ingest(store, a, "events")
    r = _ingest(store, b, "events")
    assert _counts(r) == (1, 0, 1, 0)
    assert query(store, "SELECT event_id, page_path FROM events ORDER BY 1") == [
        ("e1", "/a"),
        ("e2", "/b"),
    ]


def test_a_zendesk_ticket_ingested_again_after_it_changed_is_updated(
    store: Store, tmp_path: Path, query: Query
) -> None:
    opened: dict[str, Any] = {
        "id": 201,
        "created_at": "2026-11-22T00:05:00Z",
        "updated_at": "2026-11-22T00:05:00Z",
        "via": {"channel": "web"},
        "status": "new",
        "subject": "ログインできない",
        "requester_id": 555,
    }
    solved = {
        **opened,
        "updated_at": "2026-11-22T03:00:00Z",
        "status": "solved",
        "satisfaction_rating": {"id": 90, "score": "good", "comment": "助かりました"},
    }
    files = []
    for i, ticket in enumerate([opened, solved, opened]):
        f = tmp_path / f"tickets-{i}.jsonl"
        f.write_text(json.dumps(ticket, ensure_ascii=False) + "\n" * (i + 1), encoding="utf-8")
        files.append(f)
    results = ingest_files(store, "zendesk", files)
    assert [_counts(r) for r in results] == [(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0)]
    assert results[1].derived["surveys"] == 1
    assert query(store, "SELECT contact_id, status FROM contacts") == [("201", "solved")]
    assert query(store, "SELECT response_id FROM surveys") == [("zd-csat-90",)]


# -- order independence -----------------------------------------------------------------------
N_KEYS = 20
#: per key pattern: the ``updated_at`` of its three versions (None: unversioned)
PATTERNS: tuple[tuple[str | None, str | None, str | None], ...] = (
    (T1, T2, T3),  # distinct times
    (T3, T3, T1),  # two versions share the newest time
    (None, T2, T1),  # one unversioned
    (None, T2, T2),  # unversioned, and two sharing a time
    (T2, T2, T2),  # all three share a time
    (None, None, None),  # unversioned only: identical versions (else first one wins)
)


def _versions(table: str, i: int) -> list[tuple[Any, ...]]:
    """The three versions of key ``i`` of ``table``."""
    times = PATTERNS[i % len(PATTERNS)]
    same = times == (None, None, None)
    out: list[tuple[Any, ...]] = []
    for v, at in enumerate(times):
        tag = "same" if same else f"v{v}"
        if table == "customers":
            out.append((f"c{i}", "2026-01-01", f"plan-{tag}", 0 if same else 10 * v, at))
        elif table == "subscriptions":
            status = "active" if same else ("trial", "active", "cancelled")[v]
            out.append((f"s{i}", f"c{i}", "2026-01-01", status, at))
        else:
            text = f"{tag}: call 090-1234-{5000 + v if not same else 5000}"
            out.append((f"t{i}", "email", "2026-02-01T10:00:00Z", tag, text, at))
    return out


HEADERS = {
    "customers": CUSTOMERS,
    "subscriptions": ["subscription_id", "customer_id", "started_at", "status", "updated_at"],
    "contacts": CONTACTS,
}


def _version_files(table: str, folder: Path) -> list[Path]:
    """Three files; file ``j`` holds version ``(i + j) % 3`` of key ``i``."""
    folder.mkdir(exist_ok=True)
    files = []
    for j in range(3):
        rows = [_versions(table, i)[(i + j) % 3] for i in range(N_KEYS)]
        files.append(_write(folder / f"{table}-{j}.csv", HEADERS[table], rows))
    return files


@pytest.mark.parametrize("table", sorted(HEADERS))
def test_versions_ingested_in_any_order_give_the_same_table(tmp_path: Path, table: str) -> None:
    files = _version_files(table, tmp_path / table)
    tables = []
    for n, order in enumerate(itertools.permutations(files)):
        store = open_store("duckdb://")
        results = [_ingest(store, f, table, batch_rows=(4, 7, 100)[n % 3]) for f in order]
        assert sum(r.rows_loaded for r in results) == N_KEYS
        assert sum(r.rows_in for r in results) == 3 * N_KEYS
        assert all(r.rows_quarantined == 0 for r in results)
        tables.append(sorted(_rows(store, table)))
        store.close()
    assert all(t == tables[0] for t in tables[1:])
    # each key holds a version stamped with its newest time
    key, at = 0, TABLES[table].column_names.index("updated_at")
    newest = {}
    for i in range(N_KEYS):
        times = [t for t in PATTERNS[i % len(PATTERNS)] if t is not None]
        newest[_versions(table, i)[0][0]] = max(times) if times else None
    got = {row[key]: row[at] for row in tables[0]}
    assert {k: v and v.replace(" ", "T").replace("+00", "Z") for k, v in got.items()} == newest


def test_all_versions_in_one_file_give_the_same_table_as_one_file_each(tmp_path: Path) -> None:
    files = _version_files("customers", tmp_path / "parts")
    whole = tmp_path / "whole.csv"
    whole.write_text(
        files[2].read_text(encoding="utf-8")
        + "".join(f.read_text(encoding="utf-8").split("\n", 1)[1] for f in files[:2]),
        encoding="utf-8",
    )
    one, parts = open_store("duckdb://"), open_store("duckdb://")
    r = _ingest(one, whole, "customers", batch_rows=9)
    assert _counts(r) == (N_KEYS, 0, 2 * N_KEYS, 0)
    for f in files:
        _ingest(parts, f, "customers")
    assert sorted(_rows(one, "customers")) == sorted(_rows(parts, "customers"))


# -- re-ingest and resume ---------------------------------------------------------------------
def test_the_same_file_again_is_skipped_and_a_corrected_file_updates(
    store: Store, tmp_path: Path, checksums: Callable[[Store], dict[str, tuple[int, str]]]
) -> None:
    rows = [(f"c{i}", "2026-01-01", "free", 0, T1) for i in range(5)]
    f = _write(tmp_path / "customers.csv", CUSTOMERS, rows)
    first = _ingest(store, f, "customers")
    before = checksums(store)
    again = _ingest(store, f, "customers")
    assert again.skipped and checksums(store) == before
    corrected = _write(
        tmp_path / "customers.csv",
        CUSTOMERS,
        [*rows[:3], ("c3", "2026-01-01", "pro", 30, T2), ("c4", "2026-01-01", "pro", 30, T2)],
    )
    fixed = _ingest(store, corrected, "customers")
    assert fixed.batch_id != first.batch_id and not fixed.skipped
    assert _counts(fixed) == (0, 2, 3, 0)
    assert {k: v[0] for k, v in _plans(store).items()} == {
        "c0": "free",
        "c1": "free",
        "c2": "free",
        "c3": "pro",
        "c4": "pro",
    }


class _Interrupted(Exception):
    pass


def _updates_file(folder: Path) -> tuple[Path, Path]:
    """Customers, and a later file that updates some, adds some and repeats some of them."""
    base = [(f"c{i}", "2026-01-01", "free", 0, T1) for i in range(30)]
    later = []
    for i in range(45):
        if i < 30 and i % 3 == 0:
            later.append((f"c{i}", "2026-01-01", "pro", 30, T2))  # newer
        elif i < 30 and i % 3 == 1:
            later.append((f"c{i}", "2026-01-01", "team", 90, None))  # unversioned: no change
        else:
            later.append((f"c{i}", "2026-01-01", "free", 0, T1))  # same, or new
        if i % 10 == 0:
            later.append((f"c{i}", "2026-01-01", "pro", 40, T3))  # newest, later in the file
    return (
        _write(folder / "base.csv", CUSTOMERS, base),
        _write(folder / "later.csv", CUSTOMERS, later),
    )


def test_an_interrupted_ingest_of_updates_resumes_to_the_same_tables(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    checksums: Callable[[Store], dict[str, tuple[int, str]]],
) -> None:
    base, later = _updates_file(tmp_path)
    reference = open_store("duckdb://")
    _ingest(reference, base, "customers")
    expected = _ingest(reference, later, "customers", batch_rows=6)
    assert expected.rows_updated > 0 and expected.rows_loaded > 0

    store = open_store("duckdb://")
    _ingest(store, base, "customers")
    commit = pipeline_module._Run.commit
    calls = []

    def failing(self: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 4:
            raise _Interrupted
        commit(self, *args, **kwargs)

    monkeypatch.setattr(pipeline_module._Run, "commit", failing)
    with pytest.raises(_Interrupted):
        ingest_files(store, "csv", [later], table="customers", batch_rows=6)
    monkeypatch.undo()
    progress = store.duckdb.execute(
        "SELECT rows_in, rows_loaded, rows_updated, rows_duplicate FROM ingest_progress"
    ).fetchall()
    assert len(progress) == 1 and progress[0][0] == 18 and progress[0][2] > 0
    resumed = _ingest(store, later, "customers", batch_rows=6)
    assert resumed == expected
    assert checksums(store) == checksums(reference)


def test_a_progress_table_of_an_older_kizuki_gains_rows_updated(tmp_path: Path) -> None:
    rows = [(f"c{i}", "2026-01-01", "free", 0, T1) for i in range(12)]
    f = _write(tmp_path / "customers.csv", CUSTOMERS, rows)
    store = open_store("duckdb://")
    commit = pipeline_module._Run.commit
    calls = []

    def failing(self: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise _Interrupted
        commit(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline_module._Run, "commit", failing)
        with pytest.raises(_Interrupted):
            ingest_files(store, "csv", [f], table="customers", batch_rows=5)
    # the progress row as an older Kizuki left it: no rows_updated column
    store.duckdb.execute("ALTER TABLE ingest_progress DROP COLUMN rows_updated")
    r = _ingest(store, f, "customers", batch_rows=5)
    assert _counts(r) == (12, 0, 0, 0)
    assert store.duckdb.execute("SELECT rows_updated FROM ingest_log").fetchall() == [(0,)]
    assert store.duckdb.execute("SELECT count(*) FROM ingest_progress").fetchone() == (0,)
    store.close()
