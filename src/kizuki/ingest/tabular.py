"""Canonical tables from CSV, TSV, Parquet and JSON-lines files, with an optional column mapping.

A file holds one canonical table (by default the one named like the file's stem). Its columns
are matched by name, or through a mapping ``{canonical_column: file_column}`` (a dict, or a YAML
file). Columns of the file that map to no canonical column are ignored and listed in the
result's ``ignored_columns``. A file without one of the table's required columns is refused as
a whole (:class:`~kizuki.errors.IngestError` naming the missing and the found columns), except
an events file without ``event_id`` and a mentions file without ``mention_id`` (not in the file
and not mapped): the id is then made from the row's content
(:func:`generated_id_sql`).

CSV/TSV values are all read as text and converted by :mod:`kizuki.ingest.validate`. The text
encoding is UTF-8 (a BOM is fine) or Shift_JIS/CP932: when none is given it is decided on the
first megabyte (UTF-8 if that decodes, else CP932); a later part that does not decode stops the
ingest with the row number (rows before it stay committed; pass the right encoding and run
again). Rows with the wrong number of fields are quarantined with their row number. Row
numbers count the header as row 1, as a spreadsheet does. Timestamps without a UTC offset (and
Parquet timestamps without a time zone, and dates) are read in the ingest's time zone.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator, Mapping
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
from kizuki.ingest.email_hash import email_hash_sql
from kizuki.ingest.lines import Reject, iter_line_chunks
from kizuki.ingest.validate import Source, SourceKind, ident, source_kind, sql_literal, stage_sql
from kizuki.schema import TABLES, TableDef

__all__ = [
    "GENERATED_IDS",
    "HASHED_COLUMNS",
    "TabularConnector",
    "detect_encoding",
    "generated_id_sql",
    "load_mapping",
]

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


#: table → (its id column, the natural key the id is made from when a file has no id column)
GENERATED_IDS = {
    "events": (
        "event_id",
        (
            "customer_id",
            "anonymous_id",
            "session_id",
            "ts",
            "event_name",
            "page_path",
            "properties",
        ),
    ),
    "mentions": ("mention_id", ("ts", "source", "url", "text")),
}


#: hashed column → the input column a file gives it in (stored only as its keyed hash,
#: :mod:`kizuki.ingest.email_hash`): customers' e-mail addresses, mention authors' handles
HASHED_COLUMNS = {"email_hash": "email", "author_hash": "author"}


def generated_id_sql(table: str) -> str:
    """SQL over a staged row's typed columns: ``h:`` and the md5 of its natural key.

    The key is the canonical typed values as JSON (``ts`` as UTC epoch microseconds,
    ``properties`` parsed), so the same event gets the same id whatever the file's row order or
    layout, as long as its times are read in the same zone; two identical rows are one event
    (the second is a duplicate). Source ids never start with ``h:`` in practice, so the two
    cannot meet.

    >>> generated_id_sql("events").startswith("'h:' || md5(to_json(struct_pack(")
    True
    """
    _, key = GENERATED_IDS[table]
    parts = {c: ident(c) for c in key}
    if "ts" in parts:
        parts["ts"] = "epoch_us(ts)"
    if "properties" in parts:
        parts["properties"] = "json(properties)"
    packed = ", ".join(f"{ident(c)} := {sql}" for c, sql in parts.items())
    return f"'h:' || md5(to_json(struct_pack({packed}))::VARCHAR)"


#: where the shipped mappings live (``fivetran-zendesk-ticket`` → fivetran_zendesk_ticket.yaml)
MAPPINGS_DIR = Path(__file__).parent / "mappings"
#: the keys of a mapping entry that is not just a column name
_ENTRY_KEYS = ("column", "values", "other", "constant", "prefix")

#: a mapping entry: a file column's name, or ``{column, values, other, prefix}`` / ``{constant}``
MappingEntry = str | dict[str, Any]


def shipped_mappings() -> list[str]:
    """The names of the mappings shipped with Kizuki (``fivetran-zendesk-ticket``, …)."""
    return sorted(p.stem.replace("_", "-") for p in MAPPINGS_DIR.glob("*.yaml"))


def load_mapping(
    mapping: Path | str | Mapping[str, MappingEntry] | None,
) -> dict[str, MappingEntry]:
    """A column mapping ``{canonical: file column or entry}``.

    ``mapping`` is a dict, a YAML file, the name of a shipped mapping (``fivetran-zendesk-ticket``,
    see :func:`shipped_mappings`), or ``key=value`` pairs separated by commas
    (``intent_field=360001234567``). An entry other than a column name is one of
    ``{column: via_channel, values: {web: form, voice: phone}, other: other}`` (values mapped,
    case-insensitively; ``other`` for any value not listed, else the value itself),
    ``{column: id, prefix: "requester_id:"}`` and ``{constant: zendesk}``.
    """
    if mapping is None:
        return {}
    if isinstance(mapping, Mapping):
        data: Any = dict(mapping)
    else:
        path = Path(mapping)
        text = str(mapping)
        shipped = MAPPINGS_DIR / f"{text.replace('-', '_')}.yaml"
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        elif "/" not in text and shipped.exists():
            data = yaml.safe_load(shipped.read_text(encoding="utf-8")) or {}
        elif "=" in text:
            pairs = [p.partition("=") for p in text.split(",") if p.strip()]
            data = {k.strip(): v.strip() for k, _, v in pairs}
        else:
            raise IngestError(
                f"column mapping {text!r} is neither a file, a shipped mapping "
                f"({', '.join(shipped_mappings())}) nor key=value pairs"
            )
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and _valid_entry(v) for k, v in data.items()
    ):
        raise IngestError(
            f"column mapping {mapping!s} must map canonical columns to file columns "
            "{canonical_column: file_column}, e.g. customer_id: 顧客ID; an entry may also be "
            "{column: ..., values: {...}, other: ...}, {column: ..., prefix: ...} or "
            "{constant: ...}"
        )
    return data


def _valid_entry(entry: Any) -> bool:
    if isinstance(entry, str):
        return True
    if not isinstance(entry, dict) or not entry or set(entry) - set(_ENTRY_KEYS):
        return False
    if ("constant" in entry) == ("column" in entry):
        return False
    values = entry.get("values", {})
    return (
        isinstance(values, dict)
        and all(isinstance(v, str) for v in values.values())
        and all(
            isinstance(entry.get(k, ""), str) for k in ("column", "other", "constant", "prefix")
        )
    )


def _entry_column(entry: MappingEntry | None, default: str) -> str | None:
    """The file column an entry reads (None for a constant)."""
    if entry is None:
        return default
    if isinstance(entry, str):
        return entry
    column = entry.get("column")
    return None if column is None else str(column)


def _entry_sql(entry: MappingEntry | None, base: str) -> str:
    """SQL of an entry over ``base`` (the file column's text): values mapped, prefix added."""
    if not isinstance(entry, dict):
        return base
    if "constant" in entry:
        return sql_literal(str(entry["constant"]))
    sql = base
    values: dict[Any, str] = entry.get("values") or {}
    if values or "other" in entry:
        cases = " ".join(
            f"WHEN {sql_literal(str(k).strip().lower())} THEN {sql_literal(v)}"
            for k, v in values.items()
        )
        other = sql_literal(entry["other"]) if "other" in entry else base
        when = f"CASE lower(trim({base})) {cases} ELSE {other} END" if cases else other
        sql = f"CASE WHEN nullif(trim({base}), '') IS NOT NULL THEN {when} END"
    if "prefix" in entry:
        sql = f"{sql_literal(str(entry['prefix']))} || nullif(trim({sql}), '')"
    return sql


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
        mapping: Mapping[str, MappingEntry],
        encoding: str | None,
        batch_rows: int,
        hash_key: Callable[[], bytes] | None = None,
        timezone: str = "UTC",
    ) -> None:
        self.source = source
        self.timezone = timezone
        #: the id column made from the row's content (a file without it: see GENERATED_IDS)
        self.generated: tuple[str, ...] = ()
        self.path = path
        self.target = table or path.stem
        if self.target not in TABLES:
            raise IngestError(
                f"{path.name}: no canonical table {self.target!r} (taken from "
                f"{'--table' if table else 'the file name'}); tables: {', '.join(TABLES)}. "
                "Pass table=... (CLI: --table)"
            )
        self.tdef: TableDef = TABLES[self.target]
        #: personal columns stored only as their keyed hash: input column → hashed column
        self.hashed = {raw: h for h, raw in HASHED_COLUMNS.items() if h in self.tdef.column_names}
        allowed = set(self.tdef.column_names) | set(self.hashed)
        unknown = sorted(set(mapping) - allowed)
        if unknown:
            raise IngestError(
                f"column mapping names {', '.join(unknown)}, which are not columns of "
                f"{self.target}; its columns: {', '.join(self.tdef.column_names)}"
            )
        self.mapping = dict(mapping)
        self.hash_key = hash_key
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
        used = {_entry_column(self.mapping.get(c), c) for c in self.sources}
        used |= set(self.hashed_columns.values())
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

    def _column_sql(self, name: str) -> tuple[str, SourceKind]:
        """SQL for the file column ``name`` and how it is read."""
        if self.source == "jsonl":
            path = sql_literal('$."' + name.replace('"', '\\"') + '"')
            sql = (
                f"CASE WHEN json_type(__j, {path}) IN ('OBJECT', 'ARRAY') "
                f"THEN json_extract(__j, {path})::VARCHAR "
                f"ELSE json_extract_string(__j, {path}) END"
            )
            return sql, "text"
        return ident(name), self.kinds.get(name, "text")

    def _resolve(self) -> dict[str, Source]:
        sources: dict[str, Source] = {}
        missing: list[str] = []
        for col in self.tdef.columns:
            entry = self.mapping.get(col.name)
            name = _entry_column(entry, col.name)
            if name is None:  # a constant
                sources[col.name] = Source(_entry_sql(entry, "NULL"), "text", col.name)
                continue
            if name not in self.found:
                if self._generates(col.name, entry):
                    self.generated = (col.name,)
                elif col.required:
                    missing.append(col.name if name == col.name else f"{col.name} (as {name!r})")
                continue
            label = col.name if name == col.name else f"{col.name} (column '{name}')"
            sql, kind = self._column_sql(name)
            if isinstance(entry, dict):
                text = sql if kind == "text" else f"CAST({sql} AS VARCHAR)"
                sql, kind = _entry_sql(entry, text), "text"
            sources[col.name] = Source(sql, kind, label)
        if missing:
            raise IngestError(
                f"{self.path.name}: the {self.target} table needs column(s) "
                f"{', '.join(missing)}, not found in the file; columns found: "
                f"{', '.join(self.found) or '(none)'}. Rename them or pass a mapping "
                "{canonical_column: file_column}"
            )
        #: the file's columns hashed here: input column → file column
        self.hashed_columns = self._hashed_columns(sources)
        for raw, name in self.hashed_columns.items():
            sql, kind = self._column_sql(name)
            text = sql if kind == "text" else f"CAST({sql} AS VARCHAR)"
            if raw == "author":  # a handle: @Taro_Y and taro_y are one author
                text = f"ltrim(trim({text}), '@＠')"
            sources[self.hashed[raw]] = Source(email_hash_sql(text, self._key()), trusted=True)
        return sources

    def _generates(self, column: str, entry: MappingEntry | None) -> bool:
        """Whether ``column``, absent from the file and not mapped, is made from the row."""
        made = GENERATED_IDS.get(self.target)
        return made is not None and made[0] == column and entry is None

    def _hashed_columns(self, sources: dict[str, Source]) -> dict[str, str]:
        """The file's columns to hash (``email``, ``author``): input column → file column;
        none where the file gives the hash itself."""
        out = {}
        for raw, hashed in self.hashed.items():
            name = _entry_column(self.mapping.get(raw), raw)
            if hashed not in sources and name in self.found:
                out[raw] = name
        return out

    def _key(self) -> bytes:
        if self.hash_key is None:
            raise IngestError(
                f"{self.path.name}: hashing its personal columns needs the store's hash key; "
                "ingest it through ingest_files (or pass hash_key=...)"
            )
        return self.hash_key()

    # -- staging ----------------------------------------------------------------------------
    def stage_sql(self, relation: str, schema: pa.Schema) -> str:
        made = {c: generated_id_sql(self.target) for c in self.generated}
        if self.source == "jsonl":
            from_sql = (
                f"(SELECT _row, _line, CASE WHEN json_valid(_line) AND json_type(_line) = "
                f"'OBJECT' THEN _line END AS __j FROM {relation})"
            )
            pre = (
                "CASE WHEN NOT json_valid(_line) THEN 'line is not valid JSON' "
                "WHEN json_type(_line) <> 'OBJECT' THEN 'line is not a JSON object' END"
            )
            return stage_sql(
                self.tdef,
                self.sources,
                from_sql,
                pre_reason=pre,
                timezone=self.timezone,
                generated=made,
            )
        return stage_sql(self.tdef, self.sources, relation, timezone=self.timezone, generated=made)

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
