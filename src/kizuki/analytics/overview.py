"""What is in the store: rows and time span per table, the quarantine, and the ingest log.

Every count is computed by the store's engine; only the small summaries come back to Python.
The numbers are defined in docs/metrics.md ("Data overview").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from kizuki.schema import TABLES, TableDef
from kizuki.store import Store

__all__ = [
    "ACTIVITY_TABLES",
    "CUSTOMER_ID_TABLES",
    "as_utc",
    "customer_ids",
    "data_overview",
    "quarantine_summary",
    "reason_kind",
    "table_time_column",
]

#: Tables whose time column spans the period the data covers (``date_range``). Customers,
#: subscriptions and content are left out: their dates reach back before the period.
ACTIVITY_TABLES: tuple[str, ...] = ("events", "searches", "contacts", "surveys", "mentions")

#: Tables whose ``customer_id`` names the customers the data is about (:func:`customer_ids`).
CUSTOMER_ID_TABLES: tuple[str, ...] = ("customers", "events", "contacts")

# Quoted values and numbers vary from row to row; replacing them groups reasons by their kind.
_QUOTED = (r"'[^']*'", "'…'"), (r'"[^"]*"', '"…"')
_NUMBER = (r"[0-9]+", "N")


def table_time_column(tdef: TableDef) -> str | None:
    """The time column of a canonical table: its first timestamp column (None if it has none)."""
    return next((c.name for c in tdef.columns if c.type == "timestamp"), None)


def reason_kind(reason: ir.StringValue) -> ir.StringValue:
    """A quarantine reason with quoted values and numbers replaced (``'…'``, ``N``).

    ``ts '2026/13/01' is not a date (month 13)`` becomes ``ts '…' is not a date (month N)``.
    """
    kind = reason
    for pattern, replacement in (*_QUOTED, _NUMBER):
        kind = kind.re_replace(pattern, replacement)
    return kind


def as_utc(value: Any) -> dt.datetime | None:
    """A timestamp from a backend as an aware UTC datetime (Spark returns naive UTC)."""
    if value is None:
        return None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        value = value.to_pydatetime()
    if not isinstance(value, dt.datetime):
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _table_stats(store: Store, name: str, tdef: TableDef) -> dict[str, Any]:
    table = store.table(name)
    column = table_time_column(tdef)
    if column is None:
        return {"rows": int(table.count().execute()), "min_ts": None, "max_ts": None}
    ts = table[column]
    row = store.to_arrow(
        table.aggregate(rows=table.count(), min_ts=ts.min(), max_ts=ts.max())
    ).to_pylist()[0]
    return {
        "rows": int(row["rows"]),
        "min_ts": as_utc(row["min_ts"]),
        "max_ts": as_utc(row["max_ts"]),
    }


def customer_ids(store: Store) -> dict[str, Any]:
    """Distinct customer ids in :data:`CUSTOMER_ID_TABLES`: over all of them (``distinct``)
    and per table (``by_table``), so that a store without a customers table still counts the
    customers its events and contacts name.

    >>> from kizuki.store import open_store
    >>> customer_ids(open_store("duckdb://"))
    {'distinct': 0, 'by_table': {'customers': 0, 'events': 0, 'contacts': 0}}
    """
    parts = []
    by_table = {}
    for name in CUSTOMER_ID_TABLES:
        table = store.table(name)
        ids = table.select(customer_id=table.customer_id).filter(table.customer_id.notnull())
        counted = store.to_arrow(ids.aggregate(n=ids.customer_id.nunique())).to_pylist()
        by_table[name] = int(counted[0]["n"] or 0)
        parts.append(ids)
    union = ibis.union(*parts, distinct=True)
    total = store.to_arrow(union.aggregate(n=union.count())).to_pylist()
    return {"distinct": int(total[0]["n"] or 0), "by_table": by_table}


def quarantine_summary(store: Store) -> list[dict[str, Any]]:
    """Quarantined rows grouped by file, target table and kind of reason, largest group first.

    Each item has ``file``, ``target_table``, ``reason_kind``, ``rows`` and
    ``example_reason`` (the alphabetically first full reason of the group).
    """
    q = store.table("quarantine")
    kinds = q.mutate(reason_kind=reason_kind(q.reason.fill_null("")))
    grouped = kinds.group_by(["file", "target_table", "reason_kind"]).aggregate(
        rows=kinds.count(), example_reason=kinds.reason.min()
    )
    rows: list[dict[str, Any]] = store.to_arrow(grouped).to_pylist()
    for row in rows:
        row["rows"] = int(row["rows"])
    rows.sort(
        key=lambda r: (-r["rows"], r["file"] or "", r["target_table"] or "", r["reason_kind"])
    )
    return rows


def _ingest_log(store: Store) -> list[dict[str, Any]]:
    log = store.table("ingest_log")
    log = log.filter(log.removed_at.isnull())  # replaced and deleted batches left no rows
    rows: list[dict[str, Any]] = store.to_arrow(
        log.order_by([log.started_at, log.batch_id])
    ).to_pylist()
    for row in rows:
        row["started_at"] = as_utc(row["started_at"])
        row["finished_at"] = as_utc(row["finished_at"])
        row["rows_updated"] = row.get("rows_updated") or 0  # NULL in rows logged before upserts
    return rows


def _date_range(
    tables: Mapping[str, Mapping[str, Any]],
) -> tuple[dt.datetime | None, dt.datetime | None]:
    starts = [tables[t]["min_ts"] for t in ACTIVITY_TABLES if tables[t]["min_ts"] is not None]
    ends = [tables[t]["max_ts"] for t in ACTIVITY_TABLES if tables[t]["max_ts"] is not None]
    return (min(starts) if starts else None, max(ends) if ends else None)


def data_overview(store: Store) -> dict[str, Any]:
    """Rows and time span of every canonical table, the quarantine and the ingest log.

    Returns
    -------
    ``{"tables": {name: {"rows", "min_ts", "max_ts"}}`` for every canonical table (its time
    column is its first timestamp column, e.g. ``events.ts``, ``contacts.opened_at``),
    ``"quarantine"`` (see :func:`quarantine_summary`), ``"quarantined_rows"``,
    ``"ingest_log"`` (one dict per current batch, i.e. ingested file not replaced or deleted,
    oldest first), ``"date_range"``
    (earliest and latest time over :data:`ACTIVITY_TABLES`; ``(None, None)`` when empty) and
    ``"customer_ids"`` (see :func:`customer_ids`).
    Timestamps are aware UTC datetimes.

    Examples
    --------
    >>> from kizuki.store import open_store
    >>> data_overview(open_store("duckdb://"))["tables"]["contacts"]["rows"]
    0
    """
    tables = {name: _table_stats(store, name, tdef) for name, tdef in TABLES.items()}
    quarantine = quarantine_summary(store)
    return {
        "tables": tables,
        "quarantine": quarantine,
        "quarantined_rows": sum(r["rows"] for r in quarantine),
        "ingest_log": _ingest_log(store),
        "date_range": _date_range(tables),
        "customer_ids": customer_ids(store),
    }
