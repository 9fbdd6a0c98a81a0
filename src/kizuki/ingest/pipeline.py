"""The ingest loop: checksum, skip or resume, and one DuckDB transaction per chunk.

For each chunk of at most ``batch_rows`` rows, one transaction writes the chunk's quarantine
rows, its rows (see :mod:`kizuki.ingest.upsert`: new keys are loaded, newer versions of rows
of tables with ``updated_at`` replace the stored ones, the rest are duplicates), rows of
derived tables, and the batch's running totals in ``ingest_progress``. The last one also
writes the ``ingest_log`` row and clears the progress row. A run killed in the middle and
started again resumes after the last committed chunk (the batch id is derived from the source,
target table and file checksum, so it is the same batch) and ends with exactly the tables an
uninterrupted run would have written. A file whose batch is already in ``ingest_log`` is
skipped without writing anything.

Each chunk is validated once into a temporary stage table. In append-only tables duplicates
are found with plain anti joins on the key: against the target table (DuckDB builds its hash
table on the chunk and scans the table's key column, within the chunk's ``prune_column``
range), and against the few later rows of keys repeated within the chunk (found by grouping the
key column alone).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from kizuki.errors import IngestError
from kizuki.ingest.connector import STAGE, Chunk, Connector, Resume, Scan
from kizuki.ingest.lines import Reject
from kizuki.ingest.result import IngestResult
from kizuki.ingest.upsert import TEMP_TABLES, RowWriter, Written
from kizuki.ingest.validate import ident, sql_literal
from kizuki.progress import ProgressCallback, no_progress
from kizuki.schema import TABLES

__all__ = ["PROGRESS_TABLE", "file_checksum", "run_ingest"]

PROGRESS_TABLE = "ingest_progress"
#: rejected rows of a scanned chunk up to this many are read back by a listed row filter
_LISTED_ROWS = 20_000
#: DuckDB's memory limit while ingesting (restored afterwards)
INGEST_MEMORY_LIMIT = "1GiB"
#: compression DuckDB skips while ingesting (restored afterwards). In stores of storage version
#: 1.0 (the default of DuckDB files) FSST costs a quarter of the INSERT's CPU and saves a third
#: of the events table's size; stores of a later storage version compress text with DICT_FSST,
#: which this leaves on.
INGEST_DISABLED_COMPRESSION = "fsst"

_PROGRESS_DDL = f"""
CREATE TABLE IF NOT EXISTS {PROGRESS_TABLE} (
    batch_id VARCHAR, source VARCHAR, file VARCHAR, checksum VARCHAR, target_table VARCHAR,
    last_row BIGINT, resume_offset BIGINT, rows_in BIGINT, rows_loaded BIGINT,
    rows_duplicate BIGINT, rows_quarantined BIGINT, derived VARCHAR,
    started_at TIMESTAMPTZ, updated_at TIMESTAMPTZ, rows_updated BIGINT
)"""
#: stores whose progress table predates ``rows_updated`` gain it (NULL, read as 0)
_PROGRESS_MIGRATE = f"ALTER TABLE {PROGRESS_TABLE} ADD COLUMN IF NOT EXISTS rows_updated BIGINT"
_PROGRESS_COLUMNS = (
    "batch_id, source, file, checksum, target_table, last_row, resume_offset, rows_in, "
    "rows_loaded, rows_duplicate, rows_quarantined, derived, started_at, updated_at, rows_updated"
)


def file_checksum(path: Path) -> str:
    """The sha256 of the file's bytes, read in 8 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(8 << 20):
            h.update(block)
    return h.hexdigest()


@dataclass
class _Totals:
    rows_in: int = 0
    loaded: int = 0
    duplicate: int = 0
    quarantined: int = 0
    updated: int = 0
    derived: dict[str, int] = field(default_factory=dict)

    def check(self, where: str) -> None:
        if self.rows_in != self.loaded + self.updated + self.duplicate + self.quarantined:
            raise IngestError(
                f"{where}: rows_in {self.rows_in} != loaded {self.loaded} + updated "
                f"{self.updated} + duplicate {self.duplicate} + quarantined {self.quarantined}; "
                "this is a bug in Kizuki, please report it (nothing of this chunk was committed)"
            )

    def add(self, part: _Totals) -> None:
        self.rows_in += part.rows_in
        self.loaded += part.loaded
        self.updated += part.updated
        self.duplicate += part.duplicate
        self.quarantined += part.quarantined
        for table, n in part.derived.items():
            self.derived[table] = self.derived.get(table, 0) + n


def _redactor() -> Any:
    from kizuki.ingest.redact import redact_array

    return redact_array


class _Run:
    """One file's ingest into one DuckDB connection."""

    def __init__(
        self,
        con: Any,
        connector: Connector,
        path: Path,
        checksum: str,
        batch_id: str,
        pool: ThreadPoolExecutor,
    ) -> None:
        self.con = con
        self.pool = pool
        self.c = connector
        self.path = path
        self.file = str(path)
        self.checksum = checksum
        self.batch_id = batch_id
        self.tdef = TABLES[connector.target]
        self.writer = RowWriter(con, batch_id)

    # -- state ------------------------------------------------------------------------------
    def logged(self) -> IngestResult | None:
        row = self.con.execute(
            "SELECT rows_in, rows_loaded, rows_duplicate, rows_quarantined, derived, "
            "coalesce(rows_updated, 0) FROM ingest_log WHERE batch_id = ?",
            [self.batch_id],
        ).fetchone()
        if row is None:
            return None
        return IngestResult(
            self.batch_id,
            self.c.source,
            self.file,
            self.c.target,
            int(row[0]),
            int(row[1]),
            int(row[2]),
            int(row[3]),
            json.loads(row[4] or "{}"),
            True,
            self.c.ignored_columns,
            rows_updated=int(row[5]),
        )

    def progress_state(self) -> tuple[Resume, _Totals, str | None]:
        row = self.con.execute(
            f"SELECT last_row, resume_offset, rows_in, rows_loaded, rows_duplicate, "
            f"rows_quarantined, derived, started_at::VARCHAR, coalesce(rows_updated, 0) "
            f"FROM {PROGRESS_TABLE} WHERE batch_id = ?",
            [self.batch_id],
        ).fetchone()
        if row is None:
            return Resume(), _Totals(), None
        totals = _Totals(
            rows_in=int(row[2]),
            loaded=int(row[3]),
            duplicate=int(row[4]),
            quarantined=int(row[5]),
            updated=int(row[8]),
            derived=json.loads(row[6]),
        )
        return Resume(int(row[0]), None if row[1] is None else int(row[1])), totals, row[7]

    # -- one chunk ----------------------------------------------------------------------------
    def stage(self, chunk: Chunk) -> pa.Table:
        """Validate ``chunk`` into the stage table; return its rejected rows (row, raw, reason)."""
        data = chunk.data
        if isinstance(data, Scan):
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW _kz_src AS {data.sql}")
        else:
            self.con.register("_kz_src", data)
        try:
            sql = self.c.stage_sql("_kz_src", data.schema)
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} AS {sql}")
            bad = self.con.execute(
                f"SELECT _row, _reason FROM {STAGE} WHERE _reason IS NOT NULL ORDER BY _row"
            ).to_arrow_table()
            if bad.num_rows == 0:
                return bad.append_column("_raw", pa.array([], pa.string()))
            # Only rejected rows need their raw text: take them from the chunk, then render.
            raw = self.c.raw_sql(data.schema)
            rows = bad.column("_row").to_pylist()
            if isinstance(data, Scan) and len(rows) <= _LISTED_ROWS:
                picked = data.rows_sql(rows)  # the reader skips every other row
            else:
                picked = (
                    f"SELECT * FROM _kz_src WHERE _row IN "
                    f"(SELECT _row FROM {STAGE} WHERE _reason IS NOT NULL)"
                )
            texts = (
                self.con.execute(f"SELECT ({raw})::VARCHAR FROM ({picked}) ORDER BY _row")
                .to_arrow_table()
                .column(0)
            )
        finally:
            if isinstance(data, Scan):
                self.con.execute("DROP VIEW IF EXISTS _kz_src")
            else:
                self.con.unregister("_kz_src")
        return bad.append_column("_raw", texts)

    def commit(
        self,
        chunk: Chunk | None,
        bad: pa.Table | None,
        totals: _Totals,
        started_at: str,
        *,
        last: bool,
    ) -> None:
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            if chunk is not None and bad is not None:
                self._write_chunk(chunk, bad, totals)
            if last:
                totals.check(f"{self.path.name}")
                con.execute(
                    "INSERT INTO ingest_log (batch_id, source, file, checksum, target_table, "
                    "rows_in, rows_loaded, rows_duplicate, rows_quarantined, derived, started_at, "
                    "finished_at, rows_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?::TIMESTAMPTZ, now(), ?)",
                    [
                        self.batch_id,
                        self.c.source,
                        self.file,
                        self.checksum,
                        self.c.target,
                        totals.rows_in,
                        totals.loaded,
                        totals.duplicate,
                        totals.quarantined,
                        json.dumps(totals.derived, sort_keys=True),
                        started_at,
                        totals.updated,
                    ],
                )
                con.execute(f"DELETE FROM {PROGRESS_TABLE} WHERE batch_id = ?", [self.batch_id])
            elif chunk is not None:
                con.execute(f"DELETE FROM {PROGRESS_TABLE} WHERE batch_id = ?", [self.batch_id])
                con.execute(
                    f"INSERT INTO {PROGRESS_TABLE} ({_PROGRESS_COLUMNS}) VALUES (?, ?, ?, ?, ?, "
                    "?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMPTZ, now(), ?)",
                    [
                        self.batch_id,
                        self.c.source,
                        self.file,
                        self.checksum,
                        self.c.target,
                        chunk.last_row,
                        chunk.offset,
                        totals.rows_in,
                        totals.loaded,
                        totals.duplicate,
                        totals.quarantined,
                        json.dumps(totals.derived, sort_keys=True),
                        started_at,
                        totals.updated,
                    ],
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _write_chunk(self, chunk: Chunk, bad: pa.Table, totals: _Totals) -> None:
        con = self.con
        n_rows = chunk.data.num_rows
        prune = self.c.prune_column
        bounds = f", min({ident(prune)})::VARCHAR, max({ident(prune)})::VARCHAR" if prune else ""
        stats = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE _reason IS NULL){bounds} FROM {STAGE}"
        ).fetchone()
        if int(stats[0]) != n_rows:
            raise IngestError(
                f"{self.path.name}: staged {stats[0]} of {n_rows} rows; this is a bug in Kizuki"
            )
        valid = int(stats[1])
        if valid + bad.num_rows != n_rows:
            raise IngestError(f"{self.path.name}: lost rejected rows; this is a bug in Kizuki")
        # Redacting the rejected rows' raw text is Python work (≈0.2 ms a row of GA4 JSON): it
        # runs in a thread while DuckDB, which releases the GIL, inserts the good rows.
        quarantine = self.pool.submit(self._quarantine_rows, bad, chunk.rejects)
        where = ""
        if prune and stats[2] is not None:
            where = (
                f" AND t.{ident(prune)} BETWEEN {sql_literal(stats[2])}::TIMESTAMPTZ "
                f"AND {sql_literal(stats[3])}::TIMESTAMPTZ"
            )
        cols = self.tdef.column_names
        base = (
            f"SELECT _row, {', '.join(ident(c) for c in cols)} FROM {STAGE} WHERE _reason IS NULL"
        )
        wrote = self.writer.write(self.c.target, base, where)
        derived: dict[str, Written] = {
            d.table: self.writer.write(d.table, d.sql, "") for d in self.c.derived
        }
        quarantined = self._write_quarantine(quarantine.result())
        part = _Totals(
            rows_in=n_rows + len(chunk.rejects),
            loaded=wrote.loaded,
            updated=wrote.updated,
            duplicate=valid - wrote.rows,
            quarantined=quarantined,
            derived={table: w.rows for table, w in derived.items()},
        )
        part.check(f"{self.path.name} rows up to {chunk.last_row}")
        totals.add(part)

    def _quarantine_rows(self, bad: pa.Table, rejects: list[Reject]) -> pa.Table | None:
        """The chunk's ``quarantine`` rows, raw text redacted (pure Python: runs in a thread)."""
        rows = bad.column("_row").to_pylist() + [r.row for r in rejects]
        if not rows:
            return None
        raw = pa.concat_arrays(
            [
                bad.column("_raw").combine_chunks().cast(pa.string()),
                pa.array([r.raw for r in rejects], pa.string()),
            ]
        )
        reasons = bad.column("_reason").to_pylist() + [r.reason for r in rejects]
        return pa.table(
            {
                "batch_id": pa.array([self.batch_id] * len(rows), pa.string()),
                "source_row": pa.array(rows, pa.int64()),
                "source": pa.array([self.c.source] * len(rows), pa.string()),
                "file": pa.array([self.file] * len(rows), pa.string()),
                "target_table": pa.array([self.c.target] * len(rows), pa.string()),
                "raw": _redactor()(raw),
                "reason": pa.array(reasons, pa.string()),
            }
        )

    def _write_quarantine(self, table: pa.Table | None) -> int:
        if table is None:
            return 0
        self.con.register("_kz_bad", table)
        try:
            self.con.execute(
                "INSERT INTO quarantine (batch_id, source_row, source, file, target_table, raw, "
                "reason, quarantined_at) SELECT *, now() FROM _kz_bad ORDER BY source_row"
            )
        finally:
            self.con.unregister("_kz_bad")
        return int(table.num_rows)


def _restore_memory_limit(con: Any, limit: str) -> None:
    """Put DuckDB's memory limit back (RESET when it was the default: the text is rounded)."""
    con.execute("RESET memory_limit")
    if con.execute("SELECT current_setting('memory_limit')").fetchone()[0] != limit:
        con.execute(f"SET memory_limit = {sql_literal(limit)}")


def _with_last(chunks: Iterator[Chunk]) -> Iterator[tuple[Chunk, bool]]:
    """Each chunk and whether it is the last (reads one chunk ahead)."""
    current = next(chunks, None)
    while current is not None:
        following = next(chunks, None)
        yield current, following is None
        current = following


def run_ingest(
    con: Any,
    connector: Connector,
    path: Path,
    *,
    checksum: str,
    progress: ProgressCallback = no_progress,
) -> IngestResult:
    """Ingest one file through ``connector`` into the DuckDB connection ``con``."""
    batch_id = f"{connector.source}-{connector.target}-{checksum[:16]}"
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kizuki-redact") as pool:
        return _run_ingest(_Run(con, connector, path, checksum, batch_id, pool), progress)


def _run_ingest(run: _Run, progress: ProgressCallback) -> IngestResult:
    con, connector, path, batch_id = run.con, run.c, run.path, run.batch_id
    con.execute(_PROGRESS_DDL)
    con.execute(_PROGRESS_MIGRATE)
    done = run.logged()
    if done is not None:
        return done
    resume, totals, started_at = run.progress_state()
    if started_at is None:
        started_at = dt.datetime.now(dt.UTC).isoformat()
    step = f"ingest {path.name}"
    progress(step, totals.rows_in, connector.total_rows)
    # Row order within a chunk does not matter (rows carry their file row number), and letting
    # DuckDB insert out of order lets it use every thread; the setting is restored afterwards.
    order, limit, bar, disabled = con.execute(
        "SELECT current_setting('preserve_insertion_order'), current_setting('memory_limit'), "
        "current_setting('enable_progress_bar'), current_setting('disabled_compression_methods')"
    ).fetchone()
    con.execute("SET preserve_insertion_order = false")
    # Progress goes to ``progress``; DuckDB's own bar would print to stdout for long chunks.
    con.execute("SET enable_progress_bar = false")
    # DuckDB otherwise keeps the blocks it wrote cached up to 80% of RAM, so the process would
    # grow with the file; a chunk needs far less than this (larger work spills to disk).
    con.execute(f"SET memory_limit = '{INGEST_MEMORY_LIMIT}'")
    skip = ",".join(m for m in (disabled, INGEST_DISABLED_COMPRESSION) if m)
    con.execute(f"SET disabled_compression_methods = {sql_literal(skip)}")
    try:
        wrote_last = False
        for chunk, last in _with_last(connector.chunks(resume)):
            bad = run.stage(chunk)
            run.commit(chunk, bad, totals, started_at, last=last)
            wrote_last = last
            progress(step, totals.rows_in, connector.total_rows)
        if not wrote_last:
            run.commit(None, None, totals, started_at, last=True)
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if order else 'false'}")
        con.execute(f"SET enable_progress_bar = {'true' if bar else 'false'}")
        _restore_memory_limit(con, limit)
        con.execute(f"SET disabled_compression_methods = {sql_literal(disabled or '')}")
        for temp in (STAGE, *TEMP_TABLES):
            con.execute(f"DROP TABLE IF EXISTS {temp}")
    return IngestResult(
        batch_id,
        connector.source,
        str(path),
        connector.target,
        totals.rows_in,
        totals.loaded,
        totals.duplicate,
        totals.quarantined,
        dict(totals.derived),
        False,
        connector.ignored_columns,
        rows_updated=totals.updated,
    )
