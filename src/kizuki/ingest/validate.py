"""Per-row validation of a canonical table as one DuckDB query over an Arrow chunk.

:func:`stage_sql` turns a source relation into the canonical columns, typed, plus ``_reason``:
NULL for a good row, else everything wrong with it in words a person can act on, joined with
``; `` (``channel 'fax' is not one of phone, email, …; customer_id is missing``,
``ts '2026/13/01 9:05' is not a date (month 13)``), checked column by column in schema order
and then the table's :class:`~kizuki.schema.Check` rules; and ``_naive``, how many of the
row's timestamps had no UTC offset and were read in the ingest's time zone. The raw text of
rejected rows is taken by the pipeline from the chunk itself (see ``Connector.raw_sql``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from kizuki.ingest import timestamps
from kizuki.schema import Column, TableDef

__all__ = ["Source", "SourceKind", "source_kind", "sql_literal", "stage_sql"]

SourceKind = Literal["text", "int", "float", "bool", "timestamptz", "timestamp", "date", "nested"]


@dataclass(frozen=True)
class Source:
    """Where a canonical column comes from: a SQL expression over the source relation.

    ``trusted`` marks an expression a connector already produces in the canonical type and
    form (GA4's computed columns): it is checked only for required/enum/table rules.
    """

    sql: str
    kind: SourceKind = "text"
    label: str = ""
    trusted: bool = False


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def source_kind(t: pa.DataType) -> SourceKind:
    """How an Arrow column is read into a canonical column."""
    if pa.types.is_timestamp(t):
        return "timestamptz" if t.tz is not None else "timestamp"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "float"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_nested(t):
        return "nested"
    return "text"


def _typed(col: Column, src: Source, v: str, zone: str) -> str:
    """The canonical typed value of source value ``v`` (NULL where it does not convert)."""
    k = src.kind
    if src.trusted:
        return v
    if col.type in ("string", "json") and k == "nested":
        return f"to_json({v})::VARCHAR"
    if col.type == "string":
        text = v if k == "text" else f"CAST({v} AS VARCHAR)"
        return f"lower(trim({text}))" if col.enum else text
    if col.type == "json":
        return (
            f"CASE WHEN json_valid({v}) THEN {v} END" if k == "text" else f"to_json({v})::VARCHAR"
        )
    if col.type == "int64":
        if k == "text":
            whole = f"regexp_full_match({v}, '\\s*[+-]?[0-9]+\\s*')"
            return f"CASE WHEN {whole} THEN TRY_CAST({v} AS BIGINT) END"
        if k == "float":
            return f"CASE WHEN {v} = round({v}) THEN TRY_CAST({v} AS BIGINT) END"
        return f"TRY_CAST({v} AS BIGINT)" if k in ("int", "bool") else "NULL::BIGINT"
    if col.type == "float64":
        if k in ("text", "float", "int"):
            d = f"TRY_CAST({v} AS DOUBLE)"
            return f"CASE WHEN isfinite({d}) THEN {d} END"
        return "NULL::DOUBLE"
    if col.type == "bool":
        if k == "text":
            return (
                f"CASE lower(trim({v})) WHEN 'true' THEN true WHEN 't' THEN true "
                f"WHEN '1' THEN true WHEN 'yes' THEN true WHEN 'false' THEN false "
                f"WHEN 'f' THEN false WHEN '0' THEN false WHEN 'no' THEN false END"
            )
        if k == "int":
            return f"CASE {v} WHEN 1 THEN true WHEN 0 THEN false END"
        return v if k == "bool" else "NULL::BOOLEAN"
    # timestamp
    if k == "text":
        f, r = ident(f"__f_{col.name}"), ident(f"__r_{col.name}")
        return timestamps.value_sql(v, f, r, zone)
    if k == "timestamptz":
        return v
    if k in ("timestamp", "date"):
        return f"timezone({sql_literal(zone)}, {v}::TIMESTAMP)"
    if k == "int":
        return timestamps.epoch_sql(f"{v}::BIGINT")
    return "NULL::TIMESTAMPTZ"


def _problem(col: Column, src: Source) -> str:
    """SQL text for why a present value did not convert (follows ``label 'value' ``)."""
    if col.type == "timestamp":
        if src.kind == "text":
            return timestamps.problem_sql(ident(f"__r_{col.name}"))
        if src.kind == "int":
            return "'is not an epoch timestamp (seconds, milliseconds or microseconds)'"
        return "'is not a timestamp'"
    return sql_literal(
        {
            "int64": "is not an integer",
            "float64": "is not a number",
            "bool": "is not true or false",
            "json": "is not valid JSON",
            "string": "is not text",
        }[col.type]
    )


def _naive(col: Column, src: Source) -> str | None:
    """SQL: 1 where the row's value of ``col`` was read without a UTC offset, else 0."""
    if col.type != "timestamp" or src.trusted or src.kind not in ("text", "timestamp", "date"):
        return None
    c = ident(col.name)
    if src.kind != "text":
        return f"({c} IS NOT NULL)::INTEGER"
    z, f, r = (ident(f"__{p}_{col.name}") for p in ("z", "f", "r"))
    return f"({c} IS NOT NULL AND coalesce({timestamps.naive_sql(z, f, r)}, false))::INTEGER"


def _checks(col: Column, src: Source | None, label: str) -> list[str]:
    """The ``WHEN … THEN reason`` arms of one column's checks (at most one applies)."""
    v, c = ident(f"__v_{col.name}"), ident(col.name)
    checks = []
    if col.required:
        checks.append(f"WHEN {v} IS NULL THEN {sql_literal(label + ' is missing')}")
    shown = f"left(CAST({v} AS VARCHAR), 80)"
    quoted = f"{sql_literal(label + ' ')} || '''' || {shown} || '''"
    if src is not None and not src.trusted:
        checks.append(
            f"WHEN {v} IS NOT NULL AND {c} IS NULL THEN {quoted} ' || {_problem(col, src)}"
        )
    if src is not None and col.enum:
        allowed = ", ".join(sql_literal(e) for e in col.enum)
        checks.append(
            f"WHEN {c} IS NOT NULL AND {c} NOT IN ({allowed}) THEN {quoted} is not one of ' || "
            f"{sql_literal(', '.join(col.enum))}"
        )
    return checks


def stage_sql(
    tdef: TableDef,
    sources: Mapping[str, Source | None],
    from_sql: str,
    *,
    pre_reason: str | None = None,
    extras: Mapping[str, str] | None = None,
    timezone: str = "UTC",
    generated: Mapping[str, str] | None = None,
) -> str:
    """A SELECT giving ``_row``, the canonical columns, ``extras``, ``_reason`` and ``_naive``.

    ``_reason`` is NULL for a good row, else every problem of the row joined with ``; ``:
    the column checks in schema order, then the table's checks (a connector's ``pre_reason``
    stands alone: nothing else of such a row can be read). ``_naive`` counts the row's
    timestamps that were read without a UTC offset, i.e. in ``timezone``.

    Parameters
    ----------
    tdef
        The canonical table.
    sources
        Canonical column → :class:`Source` (None or absent: the column is not in the file).
    from_sql
        The source relation (must have ``_row``).
    pre_reason
        A connector's own reason checked first (e.g. malformed JSON), NULL when fine.
    extras
        Extra output columns (names starting with ``_``) for derived tables.
    timezone
        IANA time zone of timestamps without a UTC offset (checked by the caller).
    generated
        Canonical column → SQL over the typed canonical columns (e.g. an id hashed from the
        row's content); such a column is not read from the file and not checked.
    """
    extras = dict(extras or {})
    generated = dict(generated or {})
    s0 = ["_row", f"{pre_reason or 'NULL::VARCHAR'} AS __pre"]
    s0 += [f"{expr} AS {ident(name)}" for name, expr in extras.items()]
    zs, s1, s2, problems, naive = ["*"], ["*"], ["*"], [], []
    for col in tdef.columns:
        src = None if col.name in generated else sources.get(col.name)
        v = ident(f"__v_{col.name}")
        if src is None:
            s0.append(f"NULL AS {v}")
            s2.append(f"NULL::{_DUCK[col.type]} AS {ident(col.name)}")
        else:
            if src.kind == "text" and not src.trusted:
                blank = f"trim({src.sql}) = ''"
                s0.append(f"CASE WHEN {blank} THEN NULL ELSE {src.sql} END AS {v}")
            else:
                s0.append(f"{src.sql} AS {v}")
            if col.type == "timestamp" and src.kind == "text" and not src.trusted:
                z, f = ident(f"__z_{col.name}"), ident(f"__f_{col.name}")
                zs.append(f"{timestamps.iso_zoned_sql(v)} AS {z}")
                s1.append(f"{timestamps.fast_sql(v, z, timezone)} AS {f}")
                s1.append(f"{timestamps.parts_sql(v, f)} AS {ident(f'__r_{col.name}')}")
            s2.append(f"{_typed(col, src, v, timezone)}::{_DUCK[col.type]} AS {ident(col.name)}")
            counted = _naive(col, src)
            if counted is not None:
                naive.append(counted)
        checks = (
            []
            if col.name in generated
            else _checks(col, src, (src.label if src else "") or col.name)
        )
        if checks:
            problems.append(f"CASE {' '.join(checks)} END")
    for check in tdef.checks:
        problems.append(
            f"CASE WHEN NOT coalesce(({check.sql}), true) THEN {sql_literal(check.reason)} END"
        )
    listed = f"nullif(concat_ws('; ', {', '.join(problems)}), '')" if problems else "NULL"
    made = ", ".join(f"({sql}) AS {ident(name)}" for name, sql in generated.items())
    s3 = f"SELECT * REPLACE ({made}) FROM s2" if made else "SELECT * FROM s2"
    out = ["_row", *(ident(c) for c in tdef.column_names), *(ident(e) for e in extras)]
    return (
        f"WITH s0 AS (SELECT {', '.join(s0)} FROM {from_sql}), "
        f"sz AS (SELECT {', '.join(zs)} FROM s0), "
        f"s1 AS (SELECT {', '.join(s1)} FROM sz), "
        f"s2 AS (SELECT {', '.join(s2)} FROM s1), "
        f"s3 AS ({s3}), "
        f"s4 AS (SELECT *, coalesce(__pre, {listed}) AS _reason, "
        f"({' + '.join(naive) or '0'})::INTEGER AS _naive FROM s3) "
        f"SELECT {', '.join(out)}, _reason, _naive FROM s4"
    )


_DUCK = {
    "string": "VARCHAR",
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMPTZ",
    "json": "VARCHAR",
}
