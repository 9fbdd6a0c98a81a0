"""The contract between a source format and the ingest pipeline.

A connector reads its file in chunks of Arrow rows (each with ``_row``, the 1-based row or line
number in the file) and says, as SQL, how a chunk becomes canonical rows: :meth:`stage_sql`
returns ``_row``, the target table's columns, any extra columns, ``_reason`` and ``_naive``
(the row's timestamps read without a UTC offset, in :attr:`Connector.timezone`; see
:mod:`kizuki.ingest.validate`); :meth:`raw_sql` gives a rejected row's raw text. Derived
tables (GA4 searches, Zendesk CSAT surveys) are
SELECTs over the staged chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa

from kizuki.ingest.lines import LineChunk, Reject, iter_line_chunks
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
    """Rows ``start <= file_row_number < end`` of ``relation``, which DuckDB reads itself.

    ``relation`` is a table function call with a ``file_row_number`` column (e.g.
    ``read_parquet(..., file_row_number = true)``); the rows carry ``_row = file_row_number + 1``.
    No Arrow round trip, and a row-number filter lets the reader skip whole row groups.
    """

    relation: str
    schema: pa.Schema
    start: int
    end: int

    @property
    def num_rows(self) -> int:
        return self.end - self.start

    @property
    def sql(self) -> str:
        """The chunk's rows."""
        return self._select(f"file_row_number >= {self.start} AND file_row_number < {self.end}")

    def rows_sql(self, rows: list[int]) -> str:
        """The chunk's rows numbered ``rows`` (``_row`` values): a filter the reader applies."""
        listed = ", ".join(str(int(r) - 1) for r in rows) or "NULL"
        return self._select(f"file_row_number IN ({listed})")

    def _select(self, where: str) -> str:
        return (
            f"SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _row "
            f"FROM {self.relation} WHERE {where}"
        )


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
    #: the IANA time zone that timestamps without a UTC offset are read in
    timezone: str
    #: target columns made from the row's content, not read from the file (``event_id``)
    generated: tuple[str, ...]
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


#: a chunk of lines holds at most about this many bytes of text (besides ``batch_rows``)
LINE_CHUNK_BYTES = 128 << 20


def line_chunks(path: Path, batch_rows: int, resume: Resume) -> Iterator[Chunk]:
    """Chunks of ``{_row, _line}`` from a newline-delimited file, resuming at a byte offset.

    The reader's blocks are joined up to ``batch_rows`` lines or about ``LINE_CHUNK_BYTES``
    of text, whichever comes first: a chunk per 16 MiB block would mean many small
    transactions, each scanned by a single thread.
    """
    pending: list[LineChunk] = []
    rows = size = 0
    for lc in iter_line_chunks(
        path, max_rows=batch_rows, start_offset=resume.offset or 0, start_line=resume.last_row
    ):
        if pending and (rows + len(lc.rows) > batch_rows or size >= LINE_CHUNK_BYTES):
            yield _line_chunk(pending)
            pending, rows, size = [], 0, 0
        pending.append(lc)
        rows += len(lc.rows)
        size += lc.lines.nbytes
    if pending:
        yield _line_chunk(pending)


def _line_chunk(parts: list[LineChunk]) -> Chunk:
    lines = pa.concat_arrays([p.lines for p in parts]) if len(parts) > 1 else parts[0].lines
    rows = np.concatenate([p.rows for p in parts])
    data = pa.table({"_row": pa.array(rows, pa.int64()), "_line": lines})
    rejects = [r for p in parts for r in p.rejects]
    return Chunk(split_for_threads(data), parts[-1].last_row, parts[-1].end_offset, rejects)


def split_for_threads(table: pa.Table, rows: int = 16_384) -> pa.Table:
    """Re-chunk ``table`` so that DuckDB's Arrow scan can spread it over threads."""
    return pa.Table.from_batches(table.to_batches(max_chunksize=rows), schema=table.schema)


LINE_RAW = "rtrim(_line, chr(13) || chr(10))"


def packed_raw(schema: pa.Schema) -> str:
    """The raw text of a row of columns: a JSON object of every column but ``_row``."""
    cols = [n for n in schema.names if n != "_row"]
    packed = ", ".join(f"{ident(c)} := {ident(c)}" for c in cols)
    return f"to_json(struct_pack({packed}))"
