"""Batches: each ingested file is one batch, which can be listed, replaced and deleted.

Every row a file loads carries the file's ``batch_id`` in every table it writes (the target
table and derived ones, e.g. Zendesk comments and identities), and so do its quarantine rows;
``ingest_log`` holds one row per finished batch. A batch is **current** while its log row's
``removed_at`` is NULL. Removing a batch (``kizuki ingest --replace``, ``kizuki batches
delete``) deletes its rows from every canonical table and from ``quarantine`` by ``batch_id``
and stamps its log row with ``removed_at`` and ``removed_by`` (the replacing batch's id, or
``deleted``), in one transaction. The log row stays, so the history of a store can be read.

Tables that keep the newest version of a key (customers, contacts, …) hold one row per key,
stamped with the batch that brought the stored version: removing that batch removes the key's
row, and an older version another batch brought does not come back (ingest that file again
with ``--replace`` to restore it).

Batch ids are ``<source>-<table>-<16 hex digits of the file's sha256>-<8 hex digits of the
settings hash>`` (:func:`settings_hash`: the column mapping, time zone and encoding, which
decide the stored rows), with ``-2``, ``-3`` … appended when the store has held that id
before (the same file loaded again with the same settings after a replace or delete). So a
corrected mapping makes a new batch id, and the id of a removed batch is never reused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from kizuki.analytics.overview import as_utc
from kizuki.errors import NotFoundError
from kizuki.schema import TABLES
from kizuki.store import Store

__all__ = [
    "DELETED",
    "PROGRESS_TABLE",
    "batch_file_name",
    "delete_batch",
    "find_batch",
    "list_batches",
    "new_batch_id",
    "remove_batches",
    "replaced_batches",
    "results_stale",
    "settings_hash",
]

#: the private table holding the running totals of batches being ingested
PROGRESS_TABLE = "ingest_progress"
#: ``ingest_log.removed_by`` of a batch removed by ``kizuki batches delete``
DELETED = "deleted"

_LOG_COLUMNS = (
    "batch_id",
    "source",
    "file",
    "checksum",
    "target_table",
    "rows_in",
    "rows_loaded",
    "rows_updated",
    "rows_duplicate",
    "rows_quarantined",
    "derived",
    "timezone",
    "naive_times",
    "mapping_hash",
    "started_at",
    "finished_at",
    "removed_at",
    "removed_by",
)


def settings_hash(mapping: Mapping[str, Any] | None, *, timezone: str, encoding: str | None) -> str:
    """The sha256 (hex) of what decides a file's stored rows besides its bytes.

    Examples
    --------
    >>> a = settings_hash({"channel": "チャネル"}, timezone="Asia/Tokyo", encoding=None)
    >>> a == settings_hash({"channel": "チャネル"}, timezone="UTC", encoding=None)
    False
    """
    text = json.dumps(
        {"mapping": dict(mapping or {}), "timezone": timezone, "encoding": encoding},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def batch_file_name(file: str) -> str:
    """The file name of a logged path (``/in/2026-11/events.csv`` → ``events.csv``)."""
    return file.replace("\\", "/").rsplit("/", 1)[-1]


def _has_progress(con: Any) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
        [PROGRESS_TABLE],
    ).fetchone()
    return bool(found[0])


def new_batch_id(con: Any, source: str, target: str, checksum: str, mapping_hash: str) -> str:
    """A batch id for the file that no batch of the store has had (see the module docstring)."""
    base = f"{source}-{target}-{checksum[:16]}-{mapping_hash[:8]}"
    taken = {
        row[0]
        for row in con.execute(
            "SELECT batch_id FROM ingest_log WHERE batch_id = ? OR batch_id LIKE ?",
            [base, f"{base}-%"],
        ).fetchall()
    }
    if _has_progress(con):
        taken |= {
            row[0]
            for row in con.execute(
                f"SELECT batch_id FROM {PROGRESS_TABLE} WHERE batch_id = ? OR batch_id LIKE ?",
                [base, f"{base}-%"],
            ).fetchall()
        }
    batch_id, n = base, 1
    while batch_id in taken:
        n += 1
        batch_id = f"{base}-{n}"
    return batch_id


def replaced_batches(
    con: Any, *, target: str, file: str, checksum: str, own: str
) -> list[tuple[str, bool]]:
    """The batches a replacing ingest of ``file`` removes: ``(batch_id, logged)`` of every
    current or interrupted batch of ``target`` with the same file name or checksum, other than
    ``own`` (so a resumed replace never removes its own rows)."""
    name = batch_file_name(file)
    found = [
        (row[0], True)
        for row in con.execute(
            "SELECT batch_id, file, checksum FROM ingest_log WHERE removed_at IS NULL "
            "AND target_table = ? AND batch_id <> ? ORDER BY started_at, batch_id",
            [target, own],
        ).fetchall()
        if batch_file_name(row[1]) == name or row[2] == checksum
    ]
    if _has_progress(con):
        found += [
            (row[0], False)
            for row in con.execute(
                f"SELECT batch_id, file, checksum FROM {PROGRESS_TABLE} "
                "WHERE target_table = ? AND batch_id <> ? ORDER BY started_at, batch_id",
                [target, own],
            ).fetchall()
            if batch_file_name(row[1]) == name or row[2] == checksum
        ]
    return found


def remove_batches(con: Any, batches: list[tuple[str, bool]], removed_by: str) -> dict[str, int]:
    """Delete the rows of ``batches`` (``(batch_id, logged)``) from every canonical table and
    ``quarantine``, and mark their log rows removed; return the rows deleted per table.

    Runs inside the caller's transaction (the replacing chunk's, or :func:`delete_batch`'s).
    """
    if not batches:
        return {}
    ids = [batch_id for batch_id, _ in batches]
    marks = ", ".join("?" for _ in ids)
    removed: dict[str, int] = {}
    for table in [*TABLES, "quarantine"]:
        n = int(
            con.execute(f'DELETE FROM "{table}" WHERE batch_id IN ({marks})', ids).fetchone()[0]
        )
        if n:
            removed[table] = n
    logged = [batch_id for batch_id, is_logged in batches if is_logged]
    if logged:
        con.execute(
            f"UPDATE ingest_log SET removed_at = now(), removed_by = ? "
            f"WHERE batch_id IN ({', '.join('?' for _ in logged)}) AND removed_at IS NULL",
            [removed_by, *logged],
        )
    interrupted = [batch_id for batch_id, is_logged in batches if not is_logged]
    if interrupted:
        con.execute(
            f"DELETE FROM {PROGRESS_TABLE} "
            f"WHERE batch_id IN ({', '.join('?' for _ in interrupted)})",
            interrupted,
        )
    return removed


def _log_rows(store: Store) -> list[dict[str, Any]]:
    log = store.table("ingest_log")
    have = set(log.columns)
    rows: list[dict[str, Any]] = store.to_arrow(
        log.select([c for c in _LOG_COLUMNS if c in have])
    ).to_pylist()
    for row in rows:
        row["status"] = "current" if row.get("removed_at") is None else "removed"
    return rows


def _interrupted_rows(store: Store) -> list[dict[str, Any]]:
    if store.backend != "duckdb" or not _has_progress(store.duckdb):
        return []
    rows: list[dict[str, Any]] = (
        store.duckdb.execute(
            f"SELECT batch_id, source, file, checksum, target_table, rows_in, rows_loaded, "
            f"rows_updated, rows_duplicate, rows_quarantined, derived, started_at, "
            f"updated_at AS last_commit_at, 'interrupted' AS status FROM {PROGRESS_TABLE}"
        )
        .to_arrow_table()
        .to_pylist()
    )
    return rows


def list_batches(store: Store, *, include_removed: bool = False) -> list[dict[str, Any]]:
    """The store's batches in the order they were ingested.

    Each is a dict with the ``ingest_log`` columns (``derived`` read from JSON, row counts
    as int, NULL counts of older rows as 0, times as aware UTC datetimes) and ``status``:
    ``current``, ``interrupted`` (an ingest that stopped mid-file; run it again to resume)
    or, with ``include_removed``, ``removed``.

    Examples
    --------
    >>> from kizuki.store import open_store
    >>> list_batches(open_store("duckdb://"))
    []
    """
    rows = _log_rows(store) + _interrupted_rows(store)
    if not include_removed:
        rows = [r for r in rows if r["status"] != "removed"]
    for row in rows:
        row["derived"] = json.loads(row.get("derived") or "{}")
        for key in ("rows_in", "rows_loaded", "rows_updated", "rows_duplicate"):
            row[key] = int(row.get(key) or 0)
        row["rows_quarantined"] = int(row.get("rows_quarantined") or 0)
        row["naive_times"] = int(row.get("naive_times") or 0)
        for key in ("started_at", "finished_at", "removed_at", "last_commit_at"):
            if key in row:
                row[key] = as_utc(row[key])
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: (r["started_at"] or far, r["batch_id"]))
    return rows


def find_batch(store: Store, batch: str, *, include_removed: bool = False) -> dict[str, Any]:
    """The batch whose id is ``batch`` or starts with it (as :func:`list_batches` gives it).

    Raises NotFoundError when no batch, or more than one, matches.
    """
    batches = list_batches(store, include_removed=True)
    matches = [b for b in batches if b["batch_id"] == batch] or [
        b for b in batches if b["batch_id"].startswith(batch)
    ]
    usable = [b for b in matches if include_removed or b["status"] != "removed"]
    if len(usable) == 1:
        return usable[0]
    if len(usable) > 1:
        shown = ", ".join(b["batch_id"] for b in usable[:5])
        raise NotFoundError(
            f"batch {batch!r} matches {len(usable)} batches ({shown}); give more of the id "
            "(`kizuki batches list`)"
        )
    if matches:
        b = matches[0]
        raise NotFoundError(
            f"batch {b['batch_id']} was removed at {b['removed_at']:%Y-%m-%d %H:%M:%S} UTC "
            f"(by {b['removed_by']}); its rows are gone already"
        )
    raise NotFoundError(
        f"no batch {batch!r} in store {store.url}; `kizuki batches list` shows the batch ids"
    )


def delete_batch(store: Store, batch: str) -> dict[str, int]:
    """Delete batch ``batch`` (its id or a unique prefix) in one transaction: its rows in every
    canonical table and in quarantine; its log row is marked removed by ``deleted``. Returns
    the rows deleted per table (tables it had no rows in left out)."""
    found = find_batch(store, batch)
    con = store.duckdb
    con.execute("BEGIN TRANSACTION")
    try:
        removed = remove_batches(con, [(found["batch_id"], found["status"] == "current")], DELETED)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return removed


def results_stale(store: Store, since: dt.datetime | None) -> str | None:
    """Why results computed by a run started at ``since`` no longer match the data (batches
    ingested, interrupted or removed after it started), or None (also when ``since`` is None)."""
    start = as_utc(since)
    if start is None:
        return None
    batches = list_batches(store, include_removed=True)
    ingested = sum(1 for b in batches if (b.get("finished_at") or start) > start)
    removed = sum(1 for b in batches if (b.get("removed_at") or start) > start)
    interrupted = sum(1 for b in batches if (b.get("last_commit_at") or start) > start)
    parts = [
        f"{n} batch{'es' if n != 1 else ''} {what}"
        for n, what in (
            (ingested, "ingested"),
            (interrupted, "partly ingested"),
            (removed, "removed"),
        )
        if n
    ]
    if not parts:
        return None
    return f"{', '.join(parts)} since the last analyze run started ({start:%Y-%m-%d %H:%M} UTC)"
