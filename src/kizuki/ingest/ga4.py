"""GA4 BigQuery export rows (Parquet or NDJSON, plain or gzipped) → ``events`` and ``searches``.

The mapping follows docs/data-formats.md: ``event_id`` is the first 20 hex digits (80 bits) of
``md5(user_pseudo_id|event_timestamp|event_name|event_bundle_sequence_id|batch_event_index)``
(missing parts as empty text; numbers as integers, whatever type the file gives them, so a row
of an ``events_intraday_*`` file and its copy in the daily ``events_*`` file have the same id);
``session_id`` is ``user_pseudo_id.ga_session_id``; ``page_path`` is the path of
``page_location`` (no host, query or fragment); parameters other than ``ga_session_id``,
``page_location``, ``page_title``, ``page_referrer`` and ``search_term`` are kept in
``properties`` as a JSON object. Each ``view_search_results`` event with a ``search_term`` also
becomes a ``searches`` row (``search_id`` = its ``event_id``, the query redacted). Rows are
quarantined when ``event_timestamp`` is missing or not microseconds between 2000 and 2100, when
``user_pseudo_id`` or ``event_name`` is missing, or when an NDJSON line is not a JSON object.
An ``event_timestamp`` given as ISO text without a UTC offset (or as a TIMESTAMP without a time
zone) is read in the ingest's time zone; GA4's own microseconds are UTC.

Files as real tools write them are read (:mod:`kizuki.ingest.ga4_shape`): any column type is
read as the type the field needs, optional fields of any schema generation may be absent, and a
field of a type that cannot be read is skipped and listed in ``ignored_columns``. All of it runs
as DuckDB SQL over Parquet scans or Arrow chunks of lines (:mod:`kizuki.ingest.ga4_sql`).

Since ``event_id`` includes the timestamp, duplicate look-ups only scan the stored events in
the chunk's time range.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from kizuki.errors import IngestError
from kizuki.ingest.connector import LINE_RAW, Chunk, Derived, Resume, Scan, line_chunks, packed_raw
from kizuki.ingest.ga4_shape import JSON_SCHEMA, Shape, file_shape
from kizuki.ingest.ga4_sql import SEARCHES, stage_sql
from kizuki.ingest.tabular import _parquet_chunks
from kizuki.ingest.validate import sql_literal

__all__ = ["GA4Connector", "is_parquet", "parquet_columns"]

_REQUIRED = ("event_timestamp", "event_name", "user_pseudo_id")


def is_parquet(path: Path) -> bool:
    """True when the file starts with Parquet's magic bytes (or, if empty, is named .parquet)."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head:
        return head == b"PAR1"
    return path.suffix.lower() in (".parquet", ".pq")


def parquet_relation(path: Path) -> str:
    """The DuckDB scan of a Parquet file (bytes without a text annotation read as text)."""
    return f"read_parquet({sql_literal(str(path))}, binary_as_string = true)"


def parquet_columns(path: Path) -> pa.Schema:
    """The columns of a Parquet file as DuckDB reads them (Arrow's view of DuckDB's types)."""
    import duckdb

    con = duckdb.connect()
    try:
        return (
            con.execute(f"SELECT * FROM {parquet_relation(path)} LIMIT 0").to_arrow_table().schema
        )
    except duckdb.Error as exc:
        raise IngestError(f"{path.name}: cannot read it as Parquet: {exc}") from exc
    finally:
        con.close()


class GA4Connector:
    """GA4 export rows as Parquet or newline-delimited JSON (``.gz`` too)."""

    source = "ga4"
    target = "events"
    prune_column: str | None = "ts"
    generated: tuple[str, ...] = ()

    def __init__(self, path: Path, *, batch_rows: int, timezone: str = "UTC") -> None:
        self.path = path
        self.batch_rows = batch_rows
        self.timezone = timezone
        self.parquet = is_parquet(path)
        self.total_rows: int | None = None
        self.shape: Shape = file_shape(JSON_SCHEMA, timezone=timezone)
        if self.parquet:
            self.total_rows = pq.ParquetFile(path).metadata.num_rows
            schema = parquet_columns(path)
            missing = [c for c in _REQUIRED if c not in schema.names]
            if missing:
                raise IngestError(
                    f"{path.name} is not a GA4 export: columns {', '.join(missing)} are missing; "
                    f"columns found: {', '.join(schema.names)}"
                )
            nulls = frozenset(f.name for f in pq.read_schema(path) if pa.types.is_null(f.type))
            self.shape = file_shape(schema, nulls, timezone)
        self.ignored_columns: tuple[str, ...] = self.shape.ignored
        self.derived: tuple[Derived, ...] = (Derived("searches", SEARCHES),)

    def chunks(self, resume: Resume) -> Iterator[Chunk]:
        if self.parquet:
            return self._parquet_chunks(resume)
        return line_chunks(self.path, self.batch_rows, resume)

    def _parquet_chunks(self, resume: Resume) -> Iterator[Chunk]:
        relation = parquet_relation(self.path).removesuffix(")") + ", file_row_number = true)"
        for chunk in _parquet_chunks(self.path, self.batch_rows, resume):
            if isinstance(chunk.data, Scan):
                chunk.data = dataclasses.replace(chunk.data, relation=relation)
            yield chunk

    def raw_sql(self, schema: pa.Schema) -> str:
        return packed_raw(schema) if self.parquet else LINE_RAW

    def stage_sql(self, relation: str, schema: pa.Schema) -> str:
        return stage_sql(self.shape, relation, json_lines=not self.parquet)
