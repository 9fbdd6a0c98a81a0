"""Ingest source files into the canonical tables of a DuckDB store.

Every record read is loaded, updates a stored row (a newer version of an entity that changes),
is counted as a duplicate, or is quarantined with a reason (``rows_in == rows_loaded +
rows_updated + rows_duplicate + rows_quarantined``); personal data in free text is
redacted before it is stored; re-ingesting a file changes nothing; an interrupted ingest resumes.

Sources: ``ga4`` (BigQuery export rows as Parquet or NDJSON → events + searches), ``zendesk``
(Zendesk JSON: tickets → contacts + CSAT surveys + comments + identities; users → identities;
ticket audits or ticket events → comments; the file's content decides) and the canonical
files ``csv``, ``tsv``, ``parquet`` and ``jsonl`` (one canonical table per file, optionally
through a mapping, e.g. the shipped ``fivetran-zendesk-ticket``). See docs/data-formats.md for
the exact mappings.

Examples
--------
>>> from kizuki.store import open_store
>>> store = open_store("duckdb://")
>>> results = ingest_files(store, "csv", ["customers.csv"])  # doctest: +SKIP
>>> print(results[0].summary())  # doctest: +SKIP
customers.csv → customers: 1,000 in, 998 loaded, 1 duplicate, 1 quarantined
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kizuki.errors import IngestError, NotFoundError, StoreError
from kizuki.ingest.connector import Connector
from kizuki.ingest.pipeline import file_checksum, run_ingest
from kizuki.ingest.result import IngestResult
from kizuki.ingest.timestamps import check_timezone
from kizuki.progress import ProgressCallback, no_progress
from kizuki.store import Store

__all__ = ["SOURCES", "IngestResult", "ingest_files"]

SOURCES = ("ga4", "zendesk", "csv", "tsv", "parquet", "jsonl")


def _connector(
    con: Any,
    source: str,
    path: Path,
    *,
    table: str | None,
    mapping: Path | str | Mapping[str, Any] | None,
    encoding: str | None,
    batch_rows: int,
    configured_key: str | None = None,
    timezone: str = "UTC",
) -> Connector:
    def hash_key() -> bytes:
        from kizuki.ingest.email_hash import prepare_email_hash

        return prepare_email_hash(con, configured_key)

    if source == "ga4":
        from kizuki.ingest.ga4 import GA4Connector

        return GA4Connector(path, batch_rows=batch_rows, timezone=timezone)
    from kizuki.ingest.tabular import TabularConnector, load_mapping

    if source == "zendesk":
        from kizuki.ingest.zendesk import ZendeskConnector

        return ZendeskConnector(
            path,
            batch_rows=batch_rows,
            mapping=load_mapping(mapping),
            hash_key=hash_key,
            timezone=timezone,
        )
    return TabularConnector(
        source,
        path,
        table,
        mapping=load_mapping(mapping),
        encoding=encoding,
        batch_rows=batch_rows,
        hash_key=hash_key,
        timezone=timezone,
    )


def ingest_files(
    store: Store,
    source: str,
    files: Sequence[str | Path],
    *,
    table: str | None = None,
    mapping: Path | str | Mapping[str, Any] | None = None,
    encoding: str | None = None,
    batch_rows: int = 250_000,
    hash_key: str | None = None,
    timezone: str = "UTC",
    replace: bool = False,
    progress: ProgressCallback = no_progress,
) -> list[IngestResult]:
    """Ingest ``files`` of format ``source`` into ``store`` (a DuckDB store).

    Parameters
    ----------
    store
        The store; it must be DuckDB (ingest relies on its transactions).
    source
        ``ga4``, ``zendesk``, ``csv``, ``tsv``, ``parquet`` or ``jsonl``.
    files
        The files, ingested in order; each is one batch.
    table
        The canonical table of ``csv``/``tsv``/``parquet``/``jsonl`` files (default: the file
        name's stem, ``customers.csv`` → ``customers``).
    mapping
        ``{canonical_column: file_column}`` (or a YAML file of it, or the name of a shipped
        mapping such as ``fivetran-zendesk-ticket``) for files named otherwise; for ``zendesk``,
        ``{"intent_field": "<custom field id>"}`` (or ``intent_field=<id>``).
    encoding
        Text encoding of csv/tsv files (default: UTF-8, else CP932, decided on a sample).
    batch_rows
        Rows per transaction; an interrupted ingest resumes after the last committed one.
    hash_key
        Key of the keyed e-mail hash (default: ``KIZUKI_HASH_KEY``, else a random key the
        store keeps); stores that must link the same addresses share one.
    timezone
        IANA time zone of timestamps written without a UTC offset (``Asia/Tokyo``).
    replace
        Replace the current batches of the same target table with the same file name or
        checksum (e.g. after fixing the mapping or the file): they are removed in the
        transaction of the new batch's first chunk (see :mod:`kizuki.ingest.batches`).
        Without it a file whose checksum a current batch has is skipped.
    progress
        Called as ``progress("ingest <file name>", rows_done, total_rows_or_None)``.

    Returns
    -------
    list of IngestResult
        One per file, in order (``skipped=True`` for a file ingested before).
    """
    if source not in SOURCES:
        raise IngestError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
    if store.backend != "duckdb":
        raise StoreError(
            f"{store.url} is a {store.backend} store; ingest into a DuckDB store "
            "(duckdb:///path/kizuki.duckdb) and copy the tables to it from there"
        )
    if batch_rows < 1:
        raise IngestError(f"batch_rows must be at least 1, got {batch_rows}")
    con = store.duckdb
    check_timezone(con, timezone)
    fixed = _settings_hash(source, mapping, timezone=timezone, encoding=encoding)
    results = []
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise NotFoundError(f"file {path} does not exist (source {source})")
        checksum = file_checksum(path)
        connector = _connector(
            con,
            source,
            path,
            table=table,
            mapping=mapping,
            encoding=encoding,
            batch_rows=batch_rows,
            configured_key=hash_key,
            timezone=timezone,
        )
        same_name = [] if replace else _same_name(con, connector.target, path, checksum)
        result = run_ingest(
            con,
            connector,
            path,
            checksum=checksum,
            mapping_hash=fixed,
            timezone=timezone,
            replace=replace,
            progress=progress,
        )
        if not result.skipped:
            result.same_name_batches = tuple(same_name)
        results.append(result)
    return results


def _same_name(con: Any, target: str, path: Path, checksum: str) -> list[str]:
    """Current batches of ``target`` from a file named like ``path`` with other content."""
    from kizuki.ingest.batches import replaced_batches

    found = replaced_batches(con, target=target, file=str(path), checksum=checksum, own="")
    ids = [batch for batch, logged in found if logged]
    same = con.execute(
        "SELECT batch_id FROM ingest_log WHERE checksum = ? AND target_table = ?",
        [checksum, target],
    ).fetchall()
    return [b for b in ids if b not in {row[0] for row in same}]


def _settings_hash(
    source: str,
    mapping: Path | str | Mapping[str, Any] | None,
    *,
    timezone: str,
    encoding: str | None,
) -> str:
    """The hash of the settings that decide the stored rows (GA4 files take none but the zone)."""
    from kizuki.ingest.batches import settings_hash
    from kizuki.ingest.tabular import load_mapping

    if source == "ga4":
        return settings_hash(None, timezone=timezone, encoding=None)
    return settings_hash(load_mapping(mapping), timezone=timezone, encoding=encoding)
