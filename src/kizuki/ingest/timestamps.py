"""Timestamp parsing as DuckDB SQL, vectorised over whole columns.

Accepted text (everything ends up as a UTC ``TIMESTAMPTZ``):

- ISO 8601 with an offset or ``Z``: ``2026-11-22T09:05:00+09:00``, ``2026-11-22T00:05Z``;
- naive ISO 8601: ``2026-11-22 09:05:00``, ``2026-11-22``;
- Japanese style: ``2026/11/22 9:05``, ``2026年11月22日 9:05``, ``2026年11月22日 9時5分``
  (an offset may follow);
- epoch numbers, told apart by size: seconds (9–11 digits, 1973–5138), milliseconds
  (12–14 digits), microseconds (15–17 digits) and nanoseconds (18–19 digits). A number with
  fewer than 9 digits is rejected rather than read as a date in 1970.

Text without a UTC offset, ISO or Japanese alike, is a wall-clock time in the ingest's time zone
(an IANA name: ``Asia/Tokyo``, ``America/New_York``), converted by DuckDB's own
``timezone(zone, timestamp)``, so daylight saving time is followed day by day. Text with an
offset and epoch numbers do not depend on the zone; :func:`naive_sql` tells which values did.

The parser is split in steps so that each regular expression runs once per value:
:func:`iso_zoned_sql` (does ISO text name its zone), :func:`fast_sql` (DuckDB's own ISO
cast), :func:`parts_sql` (one regular expression that captures the date and time fields of the
other text forms) and :func:`value_sql`. Rows that fail get a reason from :func:`problem_sql`,
e.g. ``is not a date (month 13)``.
"""

from __future__ import annotations

from typing import Any

from kizuki.errors import IngestError

__all__ = [
    "cast_sql",
    "check_timezone",
    "epoch_sql",
    "fast_sql",
    "iso_zoned_sql",
    "naive_sql",
    "parts_sql",
    "problem_sql",
    "value_sql",
    "zoned_sql",
]

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

#: a character after the date that a naive ISO timestamp does not have (RE2)
_ZONE_CHAR = "[^0-9:.,T\\s]"


def _zone(zone: str) -> str:
    return "'" + zone.replace("'", "''") + "'"


def check_timezone(con: Any, zone: str) -> str:
    """``zone`` if DuckDB knows it as a time zone, else an IngestError naming it."""
    import duckdb

    try:
        con.execute(f"SELECT timezone({_zone(zone)}, TIMESTAMP '2000-01-01')::VARCHAR").fetchone()
    except duckdb.Error as exc:
        near = str(exc).partition("Candidate time zones:")[2].strip()
        raise IngestError(
            f"unknown time zone {zone!r}; use an IANA name such as Asia/Tokyo, "
            "America/New_York or UTC (CLI: --timezone)" + (f"; close names: {near}" if near else "")
        ) from exc
    return zone


def zoned_sql(v: str) -> str:
    """Whether ISO text ``v`` names its zone (``Z``, ``+09:00``, ``-05``, ``UTC``, …).

    Naive ISO text has only digits, time separators, ``T`` and white space after its date
    (the first 10 characters), so any other character there is a zone.
    """
    return f"regexp_matches(substr({v}, 11), '{_ZONE_CHAR}')"


def cast_sql(v: str, zone: str) -> str:
    """ISO text ``v`` as TIMESTAMPTZ (NULL if it is not), naive text read in ``zone``."""
    return (
        f"CASE WHEN {zoned_sql(v)} THEN TRY_CAST({v} AS TIMESTAMPTZ) "
        f"ELSE timezone({_zone(zone)}, TRY_CAST({v} AS TIMESTAMP)) END"
    )


def iso_zoned_sql(v: str) -> str:
    """For ``YYYY-…`` text: whether it names its zone (NULL for other text: not ISO)."""
    return f"CASE WHEN substr({v}, 5, 1) = '-' THEN {zoned_sql(v)} END"


def fast_sql(v: str, zoned: str, zone: str = "UTC") -> str:
    """DuckDB's ISO cast for ``YYYY-…`` text, naive values read in ``zone``.

    ``zoned`` is :func:`iso_zoned_sql` of ``v``, computed in an earlier step so that it runs
    once per value. (Such text never casts to ``infinity``.)
    """
    return (
        f"CASE WHEN {zoned} THEN TRY_CAST({v} AS TIMESTAMPTZ) "
        f"WHEN NOT {zoned} THEN timezone({_zone(zone)}, TRY_CAST({v} AS TIMESTAMP)) END"
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
        f"coalesce(nullif(replace({r}.off[4:], ':', ''), '')::INTEGER, 0)) ELSE 0 END"
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


def value_sql(v: str, fast: str, r: str, zone: str = "UTC") -> str:
    """The parsed UTC timestamp, or NULL where ``v`` is not a timestamp (naive: in ``zone``)."""
    frac_micros = f"coalesce(TRY_CAST(rpad(left(nullif({r}.frac, ''), 6), 6, '0') AS BIGINT), 0)"
    wall = (
        f"TRY(make_timestamp({_int(r + '.y')}, {_int(r + '.mo')}, {_int(r + '.d')}, "
        f"{_int(r + '.h')}, {_int(r + '.mi')}, {_int(r + '.s')}::DOUBLE)) "
        f"+ to_microseconds({frac_micros})"
    )
    from_parts = (
        f"CASE WHEN {r}.off = '' THEN timezone({_zone(zone)}, {wall}) "
        f"ELSE timezone('UTC', {wall} - to_minutes(({_offset_minutes(r)})::BIGINT)) END"
    )
    as_epoch = epoch_sql(f"TRY_CAST({v} AS BIGINT)")
    epoch = f"CASE WHEN regexp_full_match({v}, '\\s*[0-9]{{9,19}}\\s*') THEN {as_epoch} END"
    return (
        f"coalesce({fast}, CASE WHEN {r}.y <> '' AND abs({_offset_minutes(r)}) <= 14 * 60 "
        f"THEN {from_parts} END, {epoch})"
    )


def naive_sql(zoned: str, fast: str, r: str) -> str:
    """Whether a value, where it parses, was read without a UTC offset (in the zone)."""
    return f"CASE WHEN {fast} IS NOT NULL THEN NOT {zoned} ELSE {r}.y <> '' AND {r}.off = '' END"


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
