"""Write a chunk's rows into a canonical table: new keys, and newer versions of stored rows.

Tables without ``updated_at`` (events, searches, surveys, comments, incidents, mentions) are
append-only: a row whose key is new is inserted; a row whose key is stored, or earlier in the
chunk, is a duplicate. That is two plain anti joins and nothing more (the GA4 events path).

Tables with ``updated_at`` (customers, subscriptions, contacts, content, identities) hold the
newest version of each key. Versions are ordered by ``updated_at``, NULL older than any time;
two versions stamped with the same time are ordered by the md5 of the row's canonical text (its
columns as JSON, timestamps as epoch microseconds, free text after redaction), so the same one
wins whatever order they arrive in, and identical versions are one. An unversioned row (NULL
``updated_at``) never replaces a stored row, and of several for a new key in one chunk the first
by file row is kept: there is nothing else to order them by.

Of each key's rows in a chunk only the newest version can be written; it is *loaded* when the key
is new, *updated* when it replaces an older stored version (DELETE + INSERT in the chunk's
transaction; the row takes this batch's ``batch_id``), and every other row is a *duplicate*. A
version that replaces one an earlier chunk of the same batch wrote is also a duplicate: the key
was counted once already, so a file's counts do not depend on ``batch_rows``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from kizuki.ingest.redact import HANDLE_TABLES
from kizuki.ingest.validate import ident, sql_literal
from kizuki.schema import TABLES, TableDef

__all__ = ["TEMP_TABLES", "VERSION_COLUMN", "RowWriter", "Written", "is_versioned"]

#: the column whose value orders the versions of a row
VERSION_COLUMN = "updated_at"
#: the temporary tables a writer leaves behind (dropped when the ingest ends)
TEMP_TABLES = ("_kz_later", "_kz_win")
_LATER, _WIN = TEMP_TABLES


@dataclass(frozen=True)
class Written:
    """What a write did: rows of new keys, and rows that replaced an older stored version."""

    loaded: int = 0
    updated: int = 0

    @property
    def rows(self) -> int:
        """Keys this write counted (loaded or updated)."""
        return self.loaded + self.updated


def is_versioned(tdef: TableDef) -> bool:
    """Whether ``tdef`` keeps the newest version of each key (it has ``updated_at``)."""
    return VERSION_COLUMN in tdef.column_names


def _redactor() -> Any:
    from kizuki.ingest.redact import redact_array

    return redact_array


def _redact_columns(table: pa.Table, columns: list[str], handles: bool = False) -> pa.Table:
    """``table`` with the free text of ``columns`` redacted (with ``handles``, handles too)."""
    if not columns or table.num_rows == 0:
        return table
    redact = _redactor()
    for name in columns:
        i = table.schema.get_field_index(name)
        clean = redact(table.column(name), handles=handles)
        table = table.set_column(i, name, clean.cast(pa.string()))
    return table


def _canonical_text(tdef: TableDef, alias: str) -> str:
    """SQL for the md5 of a row's canonical text (independent of the session's time zone)."""
    parts = []
    for col in tdef.columns:
        v = f"{alias}.{ident(col.name)}"
        if col.type == "timestamp":
            v = f"epoch_us({v})"
        elif col.type == "date":
            v = f"CAST({v} AS VARCHAR)"
        parts.append(f"{ident(col.name)} := {v}")
    return f"md5(to_json(struct_pack({', '.join(parts)}))::VARCHAR)"


class RowWriter:
    """Writes the rows of a SELECT (``_row`` and a table's columns) as batch ``batch_id``."""

    def __init__(self, con: Any, batch_id: str) -> None:
        self.con = con
        self.batch_id = batch_id

    def write(self, table: str, select: str, where: str) -> Written:
        """Insert new keys, or upsert versions where ``table`` is versioned.

        ``where`` (``AND t.…``) narrows the scan of the stored table ``t`` to where the
        chunk's keys can be.
        """
        tdef = TABLES[table]
        if is_versioned(tdef):
            return self._upsert(tdef, select, where)
        return Written(loaded=self._insert_new(tdef, select, where))

    # -- append-only tables -----------------------------------------------------------------
    def _insert_new(self, tdef: TableDef, select: str, where: str) -> int:
        """Insert the rows of ``select`` whose key is new; return how many were inserted."""
        key = ident(tdef.key)
        cols = [ident(c) for c in tdef.column_names]
        # Of a key repeated within the chunk only its first row (by file row) is new: the few
        # later rows are found by grouping the key column alone (no window over whole rows).
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_LATER} AS SELECT s._row FROM ({select}) s JOIN "
            f"(SELECT {key} AS k, min(_row) AS first FROM ({select}) s WHERE {key} IS NOT NULL "
            f"GROUP BY {key} HAVING count(*) > 1) r ON r.k = s.{key} WHERE s._row <> r.first"
        )
        later = self.con.execute(f"SELECT count(*) FROM {_LATER}").fetchone()[0]
        # Plain anti joins on equality: a correlated NOT EXISTS would be planned as a "delim"
        # join that copies and groups every column of the chunk.
        new = (
            f"SELECT {', '.join(cols)}, {sql_literal(self.batch_id)} AS batch_id "
            f"FROM ({select}) s ANTI JOIN (SELECT t.{key} FROM {ident(tdef.name)} t "
            f"WHERE t.{key} IS NOT NULL{where}) t ON t.{key} = s.{key}"
            f"{f' ANTI JOIN {_LATER} l ON l._row = s._row' if later else ''} "
            f"WHERE s.{key} IS NOT NULL"
        )
        target = f"INSERT INTO {ident(tdef.name)} ({', '.join(cols)}, batch_id) "
        redacted = [c.name for c in tdef.columns if c.redact]
        if not redacted:
            return int(self.con.execute(target + new).fetchone()[0])
        rows = _redact_columns(
            self.con.execute(new).to_arrow_table(), redacted, tdef.name in HANDLE_TABLES
        )
        if rows.num_rows == 0:
            return 0
        self.con.register("_kz_rows", rows)
        try:
            return int(self.con.execute(target + "SELECT * FROM _kz_rows").fetchone()[0])
        finally:
            self.con.unregister("_kz_rows")

    # -- versioned tables -------------------------------------------------------------------
    def _upsert(self, tdef: TableDef, select: str, where: str) -> Written:
        """Write the newest version of each key of ``select`` where it beats the stored one."""
        con, table = self.con, ident(tdef.name)
        key, u = ident(tdef.key), ident(VERSION_COLUMN)
        cols = ", ".join(ident(c) for c in tdef.column_names)
        # Candidates, found on keys and times alone: each key's rows stamped with the chunk's
        # newest time for it, unless the stored version is newer, or the row is unversioned
        # and the key is stored. Only these are redacted, and only ties are hashed: the rows of a
        # key repeated in the chunk, and rows that differ from a stored version of equal time.
        candidates = (
            f"WITH s AS (SELECT _row, {cols} FROM ({select}) s WHERE {key} IS NOT NULL), "
            f"m AS (SELECT {key} AS k, max({u}) AS mu, count(*) > 1 AS multi FROM s "
            f"GROUP BY {key}), "
            f"t AS (SELECT t.{key} AS k, t.{u} AS tu, t.batch_id AS tb FROM {table} t "
            f"WHERE t.{key} IN (SELECT k FROM m){where}) "
            f"SELECT s.*, m.multi AS _multi, t.k IS NOT NULL AS _stored, t.tu AS _tu, "
            f"t.tb AS _tb "
            f"FROM s JOIN m ON m.k = s.{key} LEFT JOIN t ON t.k = s.{key} "
            f"WHERE s.{u} IS NOT DISTINCT FROM m.mu AND (t.k IS NULL OR s.{u} >= t.tu "
            f"OR (t.tu IS NULL AND s.{u} IS NOT NULL))"
        )
        source = f"({candidates})"
        redacted = [c.name for c in tdef.columns if c.redact]
        rows = None
        if redacted:
            # Redacted before comparing: the stored versions were redacted too.
            rows = _redact_columns(
                con.execute(candidates).to_arrow_table(), redacted, tdef.name in HANDLE_TABLES
            )
            con.register("_kz_rows", rows)
            source = "_kz_rows"
        try:
            # The newest version of each key: largest hash among equal times, else first row.
            hashed = f"CASE WHEN _multi THEN {_canonical_text(tdef, 'c')} END"
            differs = " OR ".join(
                f"w.{ident(c)} IS DISTINCT FROM h.{ident(c)}" for c in tdef.column_names
            )
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {_WIN} AS "
                f"WITH c AS (SELECT *, {hashed} AS _h FROM {source} c), "
                f"w AS (SELECT * FROM c WHERE NOT _multi UNION ALL SELECT * FROM (SELECT * "
                f"FROM c WHERE _multi QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY "
                f"CASE WHEN {u} IS NOT NULL THEN _h END DESC NULLS LAST, _row) = 1)), "
                # the stored versions stamped with the same time as the chunk's newest
                f"h AS (SELECT t.* FROM {table} t "
                f"WHERE t.{key} IN (SELECT {key} FROM w WHERE _stored AND {u} = _tu){where}) "
                f"SELECT w.* FROM w LEFT JOIN h ON h.{key} = w.{key} WHERE NOT w._stored "
                f"OR w._tu IS NULL OR w.{u} > w._tu OR (({differs}) AND "
                f"{_canonical_text(tdef, 'w')} > {_canonical_text(tdef, 'h')})"
            )
        finally:
            if rows is not None:
                con.unregister("_kz_rows")
        batch = sql_literal(self.batch_id)
        loaded, updated, replaced = con.execute(
            f"SELECT count(*) FILTER (WHERE NOT _stored), "
            f"count(*) FILTER (WHERE _stored AND _tb IS DISTINCT FROM {batch}), "
            f"count(*) FILTER (WHERE _stored) FROM {_WIN}"
        ).fetchone()
        if replaced:
            con.execute(
                f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {_WIN} WHERE _stored)"
            )
        con.execute(f"INSERT INTO {table} ({cols}, batch_id) SELECT {cols}, {batch} FROM {_WIN}")
        return Written(loaded=int(loaded or 0), updated=int(updated or 0))
