"""Canonical tables from CSV, TSV, Parquet and JSON-lines files, with an optional column mapping.

A file holds one canonical table (by default the one named like the file's stem). Its columns
are matched by name, or through a mapping ``{canonical_column: file_column}`` (a dict, or a YAML
file). Columns of the file that map to no canonical column are ignored and listed in the
result's ``ignored_columns``. A file without one of the table's required columns is refused as
a whole (:class:`~kizuki.errors.IngestError` naming the missing and the found columns).

CSV/TSV values are all read as text and converted by :mod:`kizuki.ingest.validate`. The text
encoding is UTF-8 (a BOM is fine) or Shift_JIS/CP932: when none is given it is decided on the
first megabyte (UTF-8 if that decodes, else CP932); a later part that does not decode stops the
ingest with the row number (rows before it stay committed; pass the right encoding and run
again). Rows with the wrong number of fields are quarantined with their row number. Row
numbers count the header as row 1, as a spreadsheet does.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from kizuki.errors import IngestError
from kizuki.ingest.connector import (
    LINE_RAW,
    Chunk,
    Derived,
    Resume,
    Scan,
    line_chunks,
    packed_raw,
    split_for_threads,
)
from kizuki.ingest.lines import Reject, iter_line_chunks
from kizuki.ingest.validate import Source, SourceKind, ident, source_kind, sql_literal, stage_sql
from kizuki.schema import TABLES, TableDef

__all__ = ["TabularConnector", "detect_encoding", "load_mapping"]

SAMPLE_BYTES = 1 << 20
_ALIASES = {
    "utf8": "utf8",
    "utf-8": "utf8",
    "utf-8-sig": "utf8",
    "utf_8": "utf8",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "cp932": "cp932",
    "ms932": "cp932",
    "windows-31j": "cp932",
}


def load_mapping(mapping: Path | str | Mapping[str, str] | None) -> dict[str, str]:
    """A column mapping ``{canonical: file column}`` from a dict or a YAML file."""
    if mapping is None:
        return {}
    if isinstance(mapping, Mapping):
        data: Any = dict(mapping)
    else:
        path = Path(mapping)
        if not path.exists():
            raise IngestError(f"column mapping file {path} does not exist")
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise IngestError(
            f"column mapping {mapping!s} must be a flat mapping "
            "{canonical_column: file_column} of names, e.g. customer_id: 顧客ID"
        )
    return data


def detect_encoding(path: Path) -> str:
    """``utf8`` if the first megabyte decodes as UTF-8, else ``cp932``; IngestError if neither."""
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    complete = len(sample) < SAMPLE_BYTES
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return "utf8"
    except UnicodeDecodeError:
        pass
    if not complete:
        sample = sample[: sample.rfind(b"\n") + 1]
    try:
        sample.decode("cp932")
        return "cp932"
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{path.name}: the text is neither UTF-8 nor Shift_JIS/CP932 (byte {exc.start} "
            "of the first megabyte); pass its encoding, e.g. encoding='euc_jp'"
        ) from exc


def _normalise_encoding(encoding: str) -> str:
    name = _ALIASES.get(encoding.lower())
    if name:
        return name
    try:
        return codecs.lookup(encoding).name
    except LookupError as exc:
        raise IngestError(f"unknown text encoding {encoding!r}; use utf-8 or cp932") from exc


class TabularConnector:
    """A canonical table from a ``csv``, ``tsv``, ``parquet`` or ``jsonl`` file."""

    prune_column: str | None = None
    derived: tuple[Derived, ...] = ()

    def __init__(
        self,
        source: str,
        path: Path,
        table: str | None,
        *,
        mapping: Mapping[str, str],
        encoding: str | None,
        batch_rows: int,
    ) -> None:
        self.source = source
        self.path = path
        self.target = table or path.stem
        if self.target not in TABLES:
            raise IngestError(
                f"{path.name}: no canonical table {self.target!r} (taken from "
                f"{'--table' if table else 'the file name'}); tables: {', '.join(TABLES)}. "
                "Pass table=... (CLI: --table)"
            )
        self.tdef: TableDef = TABLES[self.target]
        unknown = sorted(set(mapping) - set(self.tdef.column_names))
        if unknown:
            raise IngestError(
                f"column mapping names {', '.join(unknown)}, which are not columns of "
                f"{self.target}; its columns: {', '.join(self.tdef.column_names)}"
            )
        self.mapping = dict(mapping)
        self.batch_rows = batch_rows
        self.total_rows: int | None = None
        self.encoding = "utf8"
        self.delimiter = "\t" if source == "tsv" else ","
        self.kinds: dict[str, SourceKind] = {}
        if source in ("csv", "tsv"):
            self.encoding = _normalise_encoding(encoding) if encoding else detect_encoding(path)
            self.found = self._csv_header()
        elif source == "parquet":
            pf = pq.ParquetFile(path)
            self.total_rows = pf.metadata.num_rows
            schema = pf.schema_arrow
            self.found = list(schema.names)
            self.kinds = {f.name: source_kind(f.type) for f in schema}
        else:
            self.found = self._jsonl_keys()
        self.sources = self._resolve()
        used = {self.mapping.get(c, c) for c in self.sources}
        self.ignored_columns = tuple(c for c in self.found if c not in used and c != "batch_id")

    # -- columns ----------------------------------------------------------------------------
    def _csv_header(self) -> list[str]:
        try:
            reader = pacsv.open_csv(
                self.path,
                read_options=pacsv.ReadOptions(
                    use_threads=False, block_size=1 << 16, encoding=self.encoding
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter,
                    newlines_in_values=True,
                    invalid_row_handler=lambda row: "skip",
                ),
                convert_options=pacsv.ConvertOptions(strings_can_be_null=False),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if "Empty CSV file" in str(exc):
                raise IngestError(f"{self.path.name} is empty; it needs a header row") from exc
            return self._csv_header_text()
        names = list(reader.schema.names)
        return names

    def _csv_header_text(self) -> list[str]:
        """The header read without type inference (when the first block does not convert)."""
        with self.path.open("rb") as fh:
            first = fh.readline()
        text = first.decode("cp932" if self.encoding == "cp932" else "utf-8", errors="replace")
        return [
            c.strip().strip('"') for c in text.lstrip("\ufeff").rstrip("\r\n").split(self.delimiter)
        ]

    def _jsonl_keys(self) -> list[str]:
        """The keys found in the first chunk of a JSON-lines file (first seen order)."""
        import duckdb

        first = next(iter_line_chunks(self.path, max_rows=10_000), None)
        if first is None or len(first.lines) == 0:
            return []
        con = duckdb.connect()
        try:
            lines = pa.table({"_line": first.lines})  # noqa: F841 - read by DuckDB below
            rows = con.execute(
                "SELECT k FROM (SELECT unnest(json_keys(_line)) AS k, row_number() OVER () AS i "
                "FROM lines WHERE json_valid(_line) AND json_type(_line) = 'OBJECT') "
                "GROUP BY k ORDER BY min(i)"
            ).fetchall()
        finally:
            con.close()
        return [r[0] for r in rows]

    def _resolve(self) -> dict[str, Source]:
        sources: dict[str, Source] = {}
        missing: list[str] = []
        for col in self.tdef.columns:
            name = self.mapping.get(col.name, col.name)
            if name not in self.found:
                if col.required:
                    missing.append(col.name if name == col.name else f"{col.name} (as {name!r})")
                continue
            label = col.name if name == col.name else f"{col.name} (column '{name}')"
            if self.source == "jsonl":
                path = sql_literal('$."' + name.replace('"', '\\"') + '"')
                sql = (
                    f"CASE WHEN json_type(__j, {path}) IN ('OBJECT', 'ARRAY') "
                    f"THEN json_extract(__j, {path})::VARCHAR "
                    f"ELSE json_extract_string(__j, {path}) END"
                )
                sources[col.name] = Source(sql, "text", label)
            else:
                sources[col.name] = Source(ident(name), self.kinds.get(name, "text"), label)
        if missing:
            raise IngestError(
                f"{self.path.name}: the {self.target} table needs column(s) "
                f"{', '.join(missing)}, not found in the file; columns found: "
                f"{', '.join(self.found) or '(none)'}. Rename them or pass a mapping "
                "{canonical_column: file_column}"
            )
        return sources

    # -- staging ----------------------------------------------------------------------------
    def stage_sql(self, relation: str, schema: pa.Schema) -> str:
        if self.source == "jsonl":
            from_sql = (
                f"(SELECT _row, _line, CASE WHEN json_valid(_line) AND json_type(_line) = "
                f"'OBJECT' THEN _line END AS __j FROM {relation})"
            )
            pre = (
                "CASE WHEN NOT json_valid(_line) THEN 'line is not valid JSON' "
                "WHEN json_type(_line) <> 'OBJECT' THEN 'line is not a JSON object' END"
            )
            return stage_sql(self.tdef, self.sources, from_sql, pre_reason=pre)
        return stage_sql(self.tdef, self.sources, relation)

    def raw_sql(self, schema: pa.Schema) -> str:
        return LINE_RAW if self.source == "jsonl" else packed_raw(schema)

    # -- reading ----------------------------------------------------------------------------
    def chunks(self, resume: Resume) -> Iterator[Chunk]:
        if self.source == "jsonl":
            yield from line_chunks(self.path, self.batch_rows, resume)
        elif self.source == "parquet":
            yield from _parquet_chunks(self.path, self.batch_rows, resume)
        else:
            yield from self._csv_chunks(resume)

    def _csv_chunks(self, resume: Resume) -> Iterator[Chunk]:
        rejects: list[Reject] = []

        def on_invalid(row: Any) -> str:
            rejects.append(
                Reject(
                    int(row.number) if row.number is not None else -1,
                    str(row.text),
                    f"row has {row.actual_columns} fields, expected {row.expected_columns}",
                )
            )
            return "skip"

        def open_reader() -> Any:
            return pacsv.open_csv(
                self.path,
                read_options=pacsv.ReadOptions(
                    use_threads=False, block_size=4 << 20, encoding=self.encoding
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter,
                    newlines_in_values=True,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(self.found, pa.string()),
                    strings_can_be_null=False,
                ),
            )

        valid_before = 0
        pending: list[pa.Table] = []
        pending_rows = 0
        done = resume.last_row
        batches = _guarded(open_reader, self.path, self.encoding)
        for batch in batches:
            m = batch.num_rows
            numbers = np.array(sorted(r.row for r in rejects), dtype=np.int64)
            shifted = numbers - 2 - np.arange(len(numbers))
            idx = np.arange(valid_before, valid_before + m, dtype=np.int64)
            rows = idx + 2 + np.searchsorted(shifted, idx, side="right")
            valid_before += m
            table = pa.Table.from_batches([batch]).append_column("_row", pa.array(rows))
            keep = rows > done
            if not keep.all():
                table = table.filter(pa.array(keep))
            if table.num_rows:
                pending.append(table)
                pending_rows += table.num_rows
            while pending_rows >= self.batch_rows:
                data = pa.concat_tables(pending)
                head, rest = data.slice(0, self.batch_rows), data.slice(self.batch_rows)
                last = int(head.column("_row")[-1].as_py())
                mine = [r for r in rejects if done < r.row <= last]
                yield Chunk(split_for_threads(head), last, None, mine)
                done = last
                pending, pending_rows = ([rest], rest.num_rows) if rest.num_rows else ([], 0)
        data = pa.concat_tables(pending) if pending else None
        mine = [r for r in rejects if r.row > done or r.row < 0]
        if data is not None or mine:
            last = max([done] + [r.row for r in mine])
            if data is not None and data.num_rows:
                last = max(last, int(data.column("_row")[-1].as_py()))
            else:
                data = pa.table(
                    {
                        **{c: pa.array([], pa.string()) for c in self.found},
                        "_row": pa.array([], pa.int64()),
                    }
                )
            yield Chunk(split_for_threads(data), last, None, mine)


def _guarded(open_reader: Any, path: Path, encoding: str) -> Iterator[pa.RecordBatch]:
    """The reader's batches, with decoding errors turned into an IngestError."""
    reader = None
    while True:
        try:
            if reader is None:
                reader = open_reader()
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise IngestError(
                f"{path.name}: cannot read the text as {encoding}: {exc}. Rows before it are "
                "kept; pass the file's encoding (e.g. encoding='cp932', CLI --encoding cp932) "
                "and run the same command again to continue"
            ) from exc
        yield batch


#: Parquet files are read in whole row groups of at least this many rows per chunk (if the
#: batch size is smaller): DuckDB reads a Parquet file in parallel by row group, and fewer, larger
#: transactions leave fewer partly filled row groups for DuckDB to merge at checkpoint.
PARQUET_CHUNK_ROWS = 1_000_000


def _parquet_chunks(path: Path, batch_rows: int, resume: Resume) -> Iterator[Chunk]:
    """Chunks of a Parquet file as DuckDB scans of whole row groups, after ``resume``.

    DuckDB reads Parquet (nested GA4 arrays included) faster than a pyarrow read plus an Arrow
    hand-over (docs/benchmarks.md, GA4 ingest), and a ``file_row_number`` range that follows
    row-group boundaries lets it skip the other row groups. A chunk is as many row groups as fit in
    ``max(batch_rows, PARQUET_CHUNK_ROWS)`` rows (at least one), so memory stays bounded by
    the chunk, not the file.
    """
    meta = pq.ParquetFile(path).metadata
    schema = pq.read_schema(path).append(pa.field("_row", pa.int64()))
    relation = f"read_parquet({sql_literal(str(path))}, file_row_number = true)"
    limit = max(batch_rows, PARQUET_CHUNK_ROWS)
    edges = [0]
    for i in range(meta.num_row_groups):
        edges.append(edges[-1] + meta.row_group(i).num_rows)
    start = resume.last_row
    while start < edges[-1]:
        following = [e for e in edges if e > start]
        end = following[0]
        for e in following[1:]:
            if e - start > limit:
                break
            end = e
        yield Chunk(Scan(relation, schema, start, end), end)
        start = end
