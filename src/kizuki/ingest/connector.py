"""The contract between a source format and the ingest pipeline.

A connector reads its file in chunks of Arrow rows (each with ``_row``, the 1-based row or line
number in the file) and says, as SQL, how a chunk becomes canonical rows: :meth:`stage_sql`
returns ``_row``, the target table's columns, any extra columns and ``_reason`` (see
:mod:`kizuki.ingest.validate`); :meth:`raw_sql` gives a rejected row's raw text. Derived
tables (GA4 searches, Zendesk CSAT surveys) are
SELECTs over the staged chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from kizuki.ingest.lines import Reject, iter_line_chunks
from kizuki.ingest.validate import ident

__all__ = [
    "LINE_RAW",
    "STAGE",
    "Chunk",
    "Connector",
    "Derived",
    "Resume",
    "Scan",
    "line_chunks",
    "packed_raw",
    "split_for_threads",
]

#: the temporary table holding the staged (validated, typed) rows of the current chunk
STAGE = "_kz_stage"


@dataclass(frozen=True)
class Resume:
    """Where a previous, interrupted run of the same batch stopped."""

    last_row: int = 0
    offset: int | None = None


@dataclass(frozen=True)
class Scan:
    """Rows DuckDB reads itself (no Arrow round trip): ``sql`` selects ``_row`` and columns."""

    sql: str
    schema: pa.Schema
    num_rows: int


@dataclass
class Chunk:
    """Rows read from the file: ``data`` has ``_row``; ``rejects`` never became rows."""

    data: pa.Table | Scan
    last_row: int
    offset: int | None = None
    rejects: list[Reject] = field(default_factory=list)


@dataclass(frozen=True)
class Derived:
    """Rows a source also writes to ``table``: ``sql`` selects ``_row`` and its columns."""

    table: str
    sql: str


class Connector(Protocol):
    """What the pipeline needs from a source format."""

    source: str
    target: str
    total_rows: int | None
    ignored_columns: tuple[str, ...]
    #: a target column the key determines; duplicate look-ups scan only its range
    prune_column: str | None
    derived: tuple[Derived, ...]

    def chunks(self, resume: Resume) -> Iterator[Chunk]:
        """Chunks of at most the batch size, after ``resume``."""
        ...

    def stage_sql(self, relation: str, schema: pa.Schema) -> str:
        """The staging SELECT over ``relation`` (a registered chunk with ``schema``)."""
        ...

    def raw_sql(self, schema: pa.Schema) -> str:
        """A SQL expression over a chunk's columns: the raw record as text, for quarantine."""
        ...


def line_chunks(path: Path, batch_rows: int, resume: Resume) -> Iterator[Chunk]:
    """Chunks of ``{_row, _line}`` from a newline-delimited file, resuming at a byte offset."""
    for lc in iter_line_chunks(
        path, max_rows=batch_rows, start_offset=resume.offset or 0, start_line=resume.last_row
    ):
        data = pa.table({"_row": pa.array(lc.rows, pa.int64()), "_line": lc.lines})
        yield Chunk(split_for_threads(data), lc.last_row, lc.end_offset, lc.rejects)


def split_for_threads(table: pa.Table, rows: int = 16_384) -> pa.Table:
    """Re-chunk ``table`` so that DuckDB's Arrow scan can spread it over threads."""
    return pa.Table.from_batches(table.to_batches(max_chunksize=rows), schema=table.schema)


LINE_RAW = "rtrim(_line, chr(13) || chr(10))"


def packed_raw(schema: pa.Schema) -> str:
    """The raw text of a row of columns: a JSON object of every column but ``_row``."""
    cols = [n for n in schema.names if n != "_row"]
    packed = ", ".join(f"{ident(c)} := {ident(c)}" for c in cols)
    return f"to_json(struct_pack({packed}))"
