"""Timestamp parsing as DuckDB SQL, vectorised over whole columns.

Accepted text (everything ends up as a UTC ``TIMESTAMPTZ``):

- ISO 8601 with an offset or ``Z``: ``2026-11-22T09:05:00+09:00``, ``2026-11-22T00:05Z``;
- naive ISO 8601, taken as UTC: ``2026-11-22 09:05:00``, ``2026-11-22``;
- Japanese style, taken as JST (+09:00) unless an offset is given: ``2026/11/22 9:05``,
  ``2026年11月22日 9:05``, ``2026年11月22日 9時5分``;
- epoch numbers, told apart by size: seconds (9–11 digits, 1973–5138), milliseconds
  (12–14 digits), microseconds (15–17 digits) and nanoseconds (18–19 digits). A number with
  fewer than 9 digits is rejected rather than read as a date in 1970.

The parser is split in three steps so that each regular expression runs once per value:
:func:`fast_sql` (DuckDB's own ISO cast), :func:`parts_sql` (one regular expression that
captures the date and time fields of the other text forms) and :func:`value_sql`. Rows that
fail get a reason from :func:`problem_sql`, e.g. ``is not a date (month 13)``.
"""

from __future__ import annotations

__all__ = ["epoch_sql", "fast_sql", "parts_sql", "problem_sql", "value_sql"]

#: year, separator, month, day, hour, minute, second, fraction, offset
_PATTERN = (
    r"^\s*(\d{4})([-/年])(\d{1,2})[-/月](\d{1,2})日?"
    r"(?:(?:T|\s+)(\d{1,2})[:時](\d{1,2})(?:(?::|分)(\d{1,2})(?:[.,](\d{1,9}))?秒?|分)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$"
)
_PARTS = "['y', 'sep', 'mo', 'd', 'h', 'mi', 's', 'frac', 'off']"

EXPECTED = (
    "expected ISO 8601 like 2026-11-22T09:05:00+09:00, 2026/11/22 9:05, "
    "2026年11月22日 9:05 or epoch seconds/milliseconds/microseconds"
)


def fast_sql(v: str) -> str:
    """DuckDB's ISO cast for ``YYYY-…`` text (naive values are UTC: the store's time zone)."""
    return (
        f"CASE WHEN substr({v}, 5, 1) = '-' AND isfinite(TRY_CAST({v} AS TIMESTAMPTZ)) "
        f"THEN TRY_CAST({v} AS TIMESTAMPTZ) END"
    )


def parts_sql(v: str, fast: str) -> str:
    """The regular-expression fields of ``v``, only where the fast ISO cast failed."""
    return (
        f"CASE WHEN {fast} IS NULL AND {v} IS NOT NULL "
        f"THEN regexp_extract({v}, '{_PATTERN}', {_PARTS}) END"
    )


def _offset_minutes(r: str) -> str:
    return (
        f"CASE WHEN {r}.off = 'Z' THEN 0 "
        f"WHEN {r}.off <> '' THEN (CASE WHEN {r}.off[1] = '-' THEN -1 ELSE 1 END) * "
        f"(({r}.off[2:3])::INTEGER * 60 + "
        f"coalesce(nullif(replace({r}.off[4:], ':', ''), '')::INTEGER, 0)) "
        f"WHEN {r}.sep = '-' THEN 0 ELSE 540 END"
    )


def _int(field: str) -> str:
    return f"coalesce(TRY_CAST(nullif({field}, '') AS BIGINT), 0)"


def epoch_sql(n: str) -> str:
    """An integer epoch (seconds, millis, micros or nanos, told apart by size) as TIMESTAMPTZ."""
    micros = (
        f"CASE WHEN {n} >= 100000000 AND {n} < 100000000000 THEN {n} * 1000000 "
        f"WHEN {n} >= 100000000000 AND {n} < 100000000000000 THEN {n} * 1000 "
        f"WHEN {n} >= 100000000000000 AND {n} < 100000000000000000 THEN {n} "
        f"WHEN {n} >= 100000000000000000 THEN {n} // 1000 END"
    )
    return f"timezone('UTC', TRY(make_timestamp(({micros})::BIGINT)))"


def value_sql(v: str, fast: str, r: str) -> str:
    """The parsed UTC timestamp, or NULL where ``v`` is not a timestamp."""
    frac_micros = f"coalesce(TRY_CAST(rpad(left(nullif({r}.frac, ''), 6), 6, '0') AS BIGINT), 0)"
    from_parts = (
        f"timezone('UTC', TRY(make_timestamp({_int(r + '.y')}, {_int(r + '.mo')}, "
        f"{_int(r + '.d')}, {_int(r + '.h')}, {_int(r + '.mi')}, {_int(r + '.s')}::DOUBLE)) "
        f"+ to_microseconds({frac_micros}) - to_minutes(({_offset_minutes(r)})::BIGINT))"
    )
    as_epoch = epoch_sql(f"TRY_CAST({v} AS BIGINT)")
    epoch = f"CASE WHEN regexp_full_match({v}, '\\s*[0-9]{{9,19}}\\s*') THEN {as_epoch} END"
    return (
        f"coalesce({fast}, CASE WHEN {r}.y <> '' AND abs({_offset_minutes(r)}) <= 14 * 60 "
        f"THEN {from_parts} END, {epoch})"
    )


def problem_sql(r: str) -> str:
    """Why a value that did not parse is not a timestamp (text after the quoted value)."""
    y, mo, d = _int(f"{r}.y"), _int(f"{r}.mo"), _int(f"{r}.d")
    h, mi, s = _int(f"{r}.h"), _int(f"{r}.mi"), _int(f"{r}.s")
    return (
        f"CASE WHEN {r}.y IS NULL OR {r}.y = '' THEN 'is not a timestamp ({EXPECTED})' "
        f"WHEN {mo} NOT BETWEEN 1 AND 12 THEN 'is not a date (month ' || {mo} || ')' "
        f"WHEN {d} < 1 OR {d} > day(last_day(make_date({y}, {mo}, 1))) "
        f"THEN 'is not a date (day ' || {d} || ' of ' || {y} || '-' || lpad({mo}::VARCHAR, 2, '0') "
        f"|| ')' "
        f"WHEN {h} > 23 THEN 'is not a time (hour ' || {h} || ')' "
        f"WHEN {mi} > 59 THEN 'is not a time (minute ' || {mi} || ')' "
        f"WHEN {s} > 59 THEN 'is not a time (second ' || {s} || ')' "
        f"WHEN abs({_offset_minutes(r)}) > 14 * 60 THEN 'has a UTC offset beyond ±14:00' "
        f"ELSE 'is not a timestamp ({EXPECTED})' END"
    )
