"""The ingest loop: checksum, skip or resume, and one DuckDB transaction per chunk.

For each chunk of at most ``batch_rows`` rows, one transaction writes the chunk's quarantine
rows, its rows (see :mod:`kizuki.ingest.upsert`: new keys are loaded, newer versions of rows
of tables with ``updated_at`` replace the stored ones, the rest are duplicates), rows of
derived tables, and the batch's running totals in ``ingest_progress``. The last one also
writes the ``ingest_log`` row and clears the progress row. A run killed in the middle and
started again resumes after the last committed chunk (its progress row is found by source,
target table, file checksum and settings hash) and ends with exactly the tables an
uninterrupted run would have written. A file whose checksum a current batch of its target
table has in ``ingest_log`` is skipped without writing anything, unless it replaces the earlier
batches of the file: then the first transaction also removes them (see
:mod:`kizuki.ingest.batches`).

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
from kizuki.ingest.batches import PROGRESS_TABLE, new_batch_id, remove_batches, replaced_batches
from kizuki.ingest.connector import STAGE, Chunk, Connector, Resume, Scan
from kizuki.ingest.lines import Reject
from kizuki.ingest.redact import HANDLE_TABLES
from kizuki.ingest.result import IngestResult
from kizuki.ingest.upsert import TEMP_TABLES, RowWriter, Written
from kizuki.ingest.validate import ident, sql_literal
from kizuki.progress import ProgressCallback, no_progress
from kizuki.schema import TABLES

__all__ = ["PROGRESS_TABLE", "file_checksum", "run_ingest"]

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
    started_at TIMESTAMPTZ, updated_at TIMESTAMPTZ, rows_updated BIGINT, mapping_hash VARCHAR,
    naive_times BIGINT
)"""
#: stores whose progress table predates ``rows_updated`` (NULL, read as 0) or ``mapping_hash``
#: (NULL: a batch id without the settings hash) gain them
_PROGRESS_MIGRATE = tuple(
    f"ALTER TABLE {PROGRESS_TABLE} ADD COLUMN IF NOT EXISTS {column}"
    for column in ("rows_updated BIGINT", "mapping_hash VARCHAR", "naive_times BIGINT")
)
_PROGRESS_COLUMNS = (
    "batch_id, source, file, checksum, target_table, last_row, resume_offset, rows_in, "
    "rows_loaded, rows_duplicate, rows_quarantined, derived, started_at, updated_at, rows_updated, "
    "mapping_hash, naive_times"
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
        *,
        mapping_hash: str = "",
        timezone: str = "UTC",
        replace: bool = False,
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
        self.mapping_hash = mapping_hash
        self.timezone = timezone
        #: whether the earlier batches of the file are still to be removed (``--replace``)
        self.replace = replace
        #: the batches this run removed
        self.replaced: list[str] = []
        #: timestamps read without a UTC offset (in ``connector.timezone``) by this run
        self.naive_times = 0

    # -- state ------------------------------------------------------------------------------
    def progress_state(self) -> tuple[Resume, _Totals, str | None]:
        row = self.con.execute(
            f"SELECT last_row, resume_offset, rows_in, rows_loaded, rows_duplicate, "
            f"rows_quarantined, derived, started_at::VARCHAR, coalesce(rows_updated, 0), "
            f"coalesce(naive_times, 0) FROM {PROGRESS_TABLE} WHERE batch_id = ?",
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
        self.naive_times = int(row[9])  # counted by the chunks committed before
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
            (naive,) = self.con.execute(f"SELECT sum(_naive) FROM {STAGE}").fetchone()
            self.naive_times += int(naive or 0)
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
            # The earlier batches go in the transaction that writes the first of this one's
            # rows: a crash leaves the old rows, or the new batch's committed chunks to resume.
            removed = self._remove_earlier() if self.replace else []
            if chunk is not None and bad is not None:
                self._write_chunk(chunk, bad, totals)
            if last:
                totals.check(f"{self.path.name}")
                con.execute(
                    "INSERT INTO ingest_log (batch_id, source, file, checksum, target_table, "
                    "rows_in, rows_loaded, rows_duplicate, rows_quarantined, derived, started_at, "
                    "finished_at, rows_updated, timezone, naive_times, mapping_hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMPTZ, now(), ?, ?, ?, ?)",
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
                        self.timezone,
                        self.naive_times,
                        self.mapping_hash,
                    ],
                )
                con.execute(f"DELETE FROM {PROGRESS_TABLE} WHERE batch_id = ?", [self.batch_id])
            elif chunk is not None:
                con.execute(f"DELETE FROM {PROGRESS_TABLE} WHERE batch_id = ?", [self.batch_id])
                con.execute(
                    f"INSERT INTO {PROGRESS_TABLE} ({_PROGRESS_COLUMNS}) VALUES (?, ?, ?, ?, ?, "
                    "?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMPTZ, now(), ?, ?, ?)",
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
                        self.mapping_hash,
                        self.naive_times,
                    ],
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        if self.replace:
            self.replace = False
            self.replaced += removed

    def _remove_earlier(self) -> list[str]:
        """Remove the current (and interrupted) earlier batches of this file; return their ids."""
        earlier = replaced_batches(
            self.con,
            target=self.c.target,
            file=self.file,
            checksum=self.checksum,
            own=self.batch_id,
        )
        remove_batches(self.con, earlier, self.batch_id)
        return [batch_id for batch_id, _ in earlier]

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
                "raw": _redactor()(raw, handles=self.c.target in HANDLE_TABLES),
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


def _logged(con: Any, connector: Connector, path: Path, checksum: str) -> IngestResult | None:
    """The skipped result of the file when a current batch of its target has its checksum."""
    row = con.execute(
        "SELECT rows_in, rows_loaded, rows_duplicate, rows_quarantined, derived, "
        "coalesce(rows_updated, 0), batch_id FROM ingest_log WHERE removed_at IS NULL "
        "AND target_table = ? AND checksum = ? ORDER BY finished_at DESC, batch_id LIMIT 1",
        [connector.target, checksum],
    ).fetchone()
    if row is None:
        return None
    return IngestResult(
        row[6],
        connector.source,
        str(path),
        connector.target,
        int(row[0]),
        int(row[1]),
        int(row[2]),
        int(row[3]),
        json.loads(row[4] or "{}"),
        True,
        connector.ignored_columns,
        rows_updated=int(row[5]),
    )


def _resumable(con: Any, connector: Connector, checksum: str, mapping_hash: str) -> str | None:
    """The id of an interrupted batch of the same file and settings, to resume."""
    # progress rows written before the settings hash existed have the id without it
    before = f"{connector.source}-{connector.target}-{checksum[:16]}"
    row = con.execute(
        f"SELECT batch_id FROM {PROGRESS_TABLE} WHERE source = ? AND target_table = ? "
        "AND checksum = ? AND (mapping_hash = ? OR (mapping_hash IS NULL AND batch_id = ?)) "
        "ORDER BY updated_at DESC LIMIT 1",
        [connector.source, connector.target, checksum, mapping_hash, before],
    ).fetchone()
    return None if row is None else str(row[0])


def run_ingest(
    con: Any,
    connector: Connector,
    path: Path,
    *,
    checksum: str,
    mapping_hash: str = "",
    timezone: str = "UTC",
    replace: bool = False,
    progress: ProgressCallback = no_progress,
) -> IngestResult:
    """Ingest one file through ``connector`` into the DuckDB connection ``con``.

    ``mapping_hash`` (:func:`~kizuki.ingest.batches.settings_hash`) is part of a new batch's
    id; an interrupted batch of the same file and settings is resumed. A file whose checksum
    a current batch of the target table has is skipped unless ``replace``, which removes the
    earlier batches of the file (:func:`~kizuki.ingest.batches.replaced_batches`) in the
    transaction of the new batch's first chunk. ``timezone`` is logged with the batch.
    """
    con.execute(_PROGRESS_DDL)
    for statement in _PROGRESS_MIGRATE:
        con.execute(statement)
    batch_id = _resumable(con, connector, checksum, mapping_hash)
    if batch_id is None:
        done = None if replace else _logged(con, connector, path, checksum)
        if done is not None:
            return done
        batch_id = new_batch_id(con, connector.source, connector.target, checksum, mapping_hash)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kizuki-redact") as pool:
        run = _Run(
            con,
            connector,
            path,
            checksum,
            batch_id,
            pool,
            mapping_hash=mapping_hash,
            timezone=timezone,
            replace=replace,
        )
        result = _run_ingest(run, progress)
    earlier = con.execute(
        "SELECT batch_id FROM ingest_log WHERE removed_by = ? ORDER BY started_at, batch_id",
        [batch_id],
    ).fetchall()
    # a resumed replace removed the logged batches in its first run; interrupted ones count here
    result.replaced_batches = tuple(dict.fromkeys([r[0] for r in earlier] + run.replaced))
    return result


def _run_ingest(run: _Run, progress: ProgressCallback) -> IngestResult:
    con, connector, path, batch_id = run.con, run.c, run.path, run.batch_id
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
        timezone=connector.timezone,
        naive_times=run.naive_times,
        generated_columns=connector.generated,
        first_reasons=_first_reasons(con, batch_id, totals),
    )


def _first_reasons(con: Any, batch_id: str, totals: _Totals) -> tuple[str, ...]:
    """Up to five distinct quarantine reasons of the batch, in row order, when it kept no row."""
    if totals.rows_in == 0 or totals.loaded + totals.updated + totals.duplicate > 0:
        return ()
    found = con.execute(
        "SELECT reason FROM quarantine WHERE batch_id = ? GROUP BY reason "
        "ORDER BY min(source_row), reason LIMIT 5",
        [batch_id],
    ).fetchall()
    return tuple(str(r) for (r,) in found)
