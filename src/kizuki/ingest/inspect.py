"""What a connector sees in a file, before anything is written: :func:`inspect_files`.

Each file is read by the same connector and staging SQL as ``ingest`` would use, in an
in-memory DuckDB, and nothing is written anywhere. The answer says how many rows there are and
how many would be quarantined (and why), which fields were recognised and which were not, and,
per source: for ``ga4`` the schema generation, the time range, the share of events with a
``user_id`` and the most frequent event names; for ``zendesk`` the ``via.channel`` values and
the channel each maps to; for canonical files the column mapping. It also says which time zone
times without a UTC offset are read in and how many there are, which columns are made from the
row's content (``event_id`` of an events file without one), and shows the first rows as they
would be stored (times in that zone). Duplicates are not counted: they depend on the store.

Examples
--------
>>> [i.to_dict()["rows"] for i in inspect_files("ga4", ["events.parquet"])]  # doctest: +SKIP
[626224]
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from kizuki.errors import IngestError, NotFoundError
from kizuki.ingest.connector import STAGE, Connector, Resume, Scan
from kizuki.ingest.lines import Reject
from kizuki.ingest.timestamps import check_timezone
from kizuki.ingest.validate import ident, sql_literal
from kizuki.schema import TABLES

__all__ = ["Inspection", "inspect_files"]

#: how many event names, reasons and channel values an inspection lists
TOP = 20
#: how many of the first rows an inspection shows as they would be stored
PREVIEW_ROWS = 5


@dataclass
class Inspection:
    """What the connector of ``source`` sees in one file (see :func:`inspect_files`)."""

    file: str
    source: str
    target: str
    rows: int = 0
    rows_valid: int = 0
    rows_quarantined: int = 0
    #: the most frequent quarantine reasons, with counts
    reasons: dict[str, int] = field(default_factory=dict)
    #: field → type, as the file has them (top-level)
    fields: dict[str, str] = field(default_factory=dict)
    #: recognised field → what it becomes
    recognised: dict[str, str] = field(default_factory=dict)
    unrecognised: list[str] = field(default_factory=list)
    #: fields the connector would skip (a type it cannot read, or an unmapped column)
    ignored: list[str] = field(default_factory=list)
    #: what only this source has (GA4: generation, time range, user-id share, event names; …)
    details: dict[str, Any] = field(default_factory=dict)
    #: the IANA time zone that times without a UTC offset are read in
    timezone: str = "UTC"
    #: how many times have no UTC offset (and are read in ``timezone``)
    naive_times: int = 0
    #: target columns made from the row's content, not read from the file (``event_id``)
    generated: list[str] = field(default_factory=list)
    #: the first rows as they would be stored (``row``, the target's columns as text, times in
    #: ``timezone``; ``reason`` when the row would be quarantined)
    preview: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return asdict(self)


def inspect_files(
    source: str,
    files: Sequence[str | Path],
    *,
    table: str | None = None,
    mapping: Path | Mapping[str, str] | None = None,
    encoding: str | None = None,
    batch_rows: int = 250_000,
    timezone: str = "UTC",
) -> list[Inspection]:
    """Inspect ``files`` of format ``source`` as :func:`kizuki.ingest.ingest_files` would read
    them, without writing anything.

    Parameters are those of :func:`~kizuki.ingest.ingest_files`; returns one
    :class:`Inspection` per file, in order.
    """
    from kizuki.ingest import SOURCES, _connector

    if source not in SOURCES:
        raise IngestError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
    out = []
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise NotFoundError(f"file {path} does not exist (source {source})")
        con = duckdb.connect()  # in memory: what the connector computes stays here
        con.execute("SET enable_progress_bar = false")
        try:
            # Times are shown in the zone they are read in (parsing does not depend on it).
            con.execute(f"SET TimeZone = {sql_literal(check_timezone(con, timezone))}")
            connector = _connector(
                con,
                source,
                path,
                table=table,
                mapping=mapping,
                encoding=encoding,
                batch_rows=batch_rows,
                timezone=timezone,
            )
            out.append(_inspect(con, connector, path))
        finally:
            con.close()
    return out


class _Tally:
    """Counts gathered chunk by chunk."""

    def __init__(self) -> None:
        self.reasons: Counter[str] = Counter()
        self.values: Counter[str] = Counter()
        self.rows = self.valid = self.with_user = self.naive = 0
        self.preview: list[dict[str, Any]] = []
        self.first: Any = None
        self.last: Any = None


def _inspect(con: Any, c: Connector, path: Path) -> Inspection:
    tally = _Tally()
    sample: pa.Table | None = None
    for chunk in c.chunks(Resume()):
        data = chunk.data
        if isinstance(data, Scan):
            con.execute(f"CREATE OR REPLACE TEMP VIEW _kz_src AS {data.sql}")
        else:
            con.register("_kz_src", data)
            if sample is None:
                sample = data.slice(0, 10_000)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {STAGE} AS {c.stage_sql('_kz_src', data.schema)}"
        )
        _count(con, c, tally)
        if not tally.preview:
            tally.preview = _preview(con, c, chunk.rejects)
        tally.rows += len(chunk.rejects)
        tally.reasons.update(r.reason for r in chunk.rejects)
        if not isinstance(data, Scan):
            con.unregister("_kz_src")
    result = Inspection(
        path.name,
        c.source,
        c.target,
        rows=tally.rows,
        rows_valid=tally.valid,
        rows_quarantined=tally.rows - tally.valid,
        reasons=dict(tally.reasons.most_common(TOP)),
        ignored=list(c.ignored_columns),
        timezone=c.timezone,
        naive_times=tally.naive,
        generated=list(c.generated),
        preview=tally.preview,
    )
    if c.source == "ga4":
        _ga4(result, c, path, con, sample, tally)
    elif c.source == "zendesk":
        _zendesk(result, con, sample, tally)
    else:
        _tabular(result, c)
    return result


def _count(con: Any, c: Connector, tally: _Tally) -> None:
    """Add the staged chunk's counts to ``tally``."""
    n, valid, naive = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE _reason IS NULL), sum(_naive) FROM {STAGE}"
    ).fetchone()
    tally.rows += int(n)
    tally.valid += int(valid)
    tally.naive += int(naive or 0)
    for reason, k in con.execute(
        f"SELECT _reason, count(*) FROM {STAGE} WHERE _reason IS NOT NULL GROUP BY 1"
    ).fetchall():
        tally.reasons[reason] += int(k)
    if c.source == "ga4":
        first, last, users = con.execute(
            f"SELECT min(ts)::VARCHAR, max(ts)::VARCHAR, count(customer_id) FROM {STAGE} "
            "WHERE _reason IS NULL"
        ).fetchone()
        tally.with_user += int(users)
        if first is not None:
            tally.first = first if tally.first is None else min(tally.first, first)
            tally.last = last if tally.last is None else max(tally.last, last)
        names = f"SELECT event_name, count(*) FROM {STAGE} WHERE _reason IS NULL GROUP BY 1"
        tally.values.update({str(k): int(v) for k, v in con.execute(names).fetchall()})
    elif c.source == "zendesk":
        channels = (
            "SELECT coalesce(json_extract_string(_line, '$.via.channel'), '(none)'), count(*) "
            "FROM _kz_src WHERE json_valid(_line) GROUP BY 1"
        )
        tally.values.update({str(k): int(v) for k, v in con.execute(channels).fetchall()})


def _preview(con: Any, c: Connector, rejects: Sequence[Reject]) -> list[dict[str, Any]]:
    """The chunk's first rows as they would be stored, as text (times in the session zone)."""
    columns = TABLES[c.target].column_names
    listed = ", ".join(f"CAST({ident(col)} AS VARCHAR) AS {ident(col)}" for col in columns)
    rows = con.execute(
        f"SELECT _row, {listed}, _reason FROM {STAGE} ORDER BY _row LIMIT {PREVIEW_ROWS}"
    ).fetchall()
    shown = [
        {"row": int(r[0]), **dict(zip(columns, r[1:-1], strict=True)), "reason": r[-1]}
        for r in rows
    ]
    shown += [{"row": r.row, "reason": r.reason} for r in rejects[:PREVIEW_ROWS]]
    return sorted(shown, key=lambda r: int(r["row"]))[:PREVIEW_ROWS]


def _json_fields(con: Any, sample: pa.Table | None) -> dict[str, str]:
    """Top-level keys of the sample's JSON lines, with the types DuckDB finds in them."""
    if sample is None or "_line" not in sample.column_names:
        return {}
    con.register("_kz_sample", sample)
    try:
        (structure,) = con.execute(
            "SELECT json_group_structure(_line::JSON) FROM _kz_sample "
            "WHERE json_valid(_line) AND json_type(_line) = 'OBJECT'"
        ).fetchone()
    finally:
        con.unregister("_kz_sample")
    parsed = json.loads(structure) if structure else {}

    def name(v: Any) -> str:
        if isinstance(v, dict):
            return "struct<…>"
        if isinstance(v, list):
            return f"list<{name(v[0]) if v else 'null'}>"
        return str(v).lower()

    return {k: name(v) for k, v in parsed.items()} if isinstance(parsed, dict) else {}


def _ga4(
    result: Inspection, c: Any, path: Path, con: Any, sample: pa.Table | None, tally: _Tally
) -> None:
    from kizuki.ingest.ga4 import parquet_columns
    from kizuki.ingest.ga4_shape import ADDED, KNOWN_FIELDS, type_name

    if c.parquet:
        result.fields = {f.name: type_name(f.type) for f in parquet_columns(path)}
    else:
        result.fields = _json_fields(con, sample)
    result.recognised = {k: KNOWN_FIELDS[k] for k in result.fields if k in KNOWN_FIELDS}
    result.unrecognised = [k for k in result.fields if k not in KNOWN_FIELDS]
    later = {k: y for k, y in ADDED.items() if k in result.fields}
    result.details = {
        "schema_generation": str(max(later.values(), default=2020)),
        "optional_fields": {k: k in result.fields for k in ADDED},
        "first_event_at": tally.first,
        "last_event_at": tally.last,
        "share_with_user_id": round(tally.with_user / tally.valid, 4) if tally.valid else None,
        "distinct_event_names": len(tally.values),
        "event_names": dict(tally.values.most_common(TOP)),
    }


#: the ticket fields the Zendesk connector reads (docs/data-formats.md)
_ZENDESK_FIELDS = {
    "id": "contacts.contact_id",
    "created_at": "contacts.opened_at",
    "updated_at": "contacts.updated_at",
    "via": "contacts.channel (via.channel)",
    "status": "contacts.status",
    "subject": "contacts.subject",
    "description": "contacts.text",
    "requester_id": "contacts.customer_id",
    "requester": "contacts.customer_id (requester.external_id)",
    "assignee_id": "contacts.agent_id",
    "tags": "contacts.intent",
    "metric_set": "contacts.first_response_at, resolved_at",
    "satisfaction_rating": "surveys (csat)",
    "comments": "kept for later analyses",
}


def _zendesk(result: Inspection, con: Any, sample: pa.Table | None, tally: _Tally) -> None:
    from kizuki.ingest.zendesk import CHANNELS

    result.fields = _json_fields(con, sample)
    result.recognised = {k: _ZENDESK_FIELDS[k] for k in result.fields if k in _ZENDESK_FIELDS}
    result.unrecognised = [k for k in result.fields if k not in _ZENDESK_FIELDS]
    result.details = {
        "tickets": result.rows,
        "channels": {
            value: {"tickets": n, "channel": CHANNELS.get(value.lower(), "other")}
            for value, n in tally.values.most_common(TOP)
        },
    }


def _tabular(result: Inspection, c: Any) -> None:
    found = list(getattr(c, "found", []))
    result.fields = {name: c.kinds.get(name, "text") for name in found}
    mapping = getattr(c, "mapping", {})
    result.recognised = {mapping.get(col, col): f"{c.target}.{col}" for col in c.sources}
    result.unrecognised = [n for n in found if n not in result.recognised]
