"""Local days and weeks: the calendar of the store's time zone, for timestamps stored in UTC.

Timestamps are stored as UTC instants; a team counts by the days and weeks where it works
(``Settings.store_timezone``, e.g. Asia/Tokyo). An event at 2026-11-02T20:00Z happened on
2026-11-03 in Tokyo. Every analysis that buckets by day or week takes its day or week from
here, so that they all agree, in the engine (:func:`local_date`, :func:`local_week_start`) and
in pandas (:func:`local_dates`, :func:`local_week_starts`). Weeks start on Monday.

A zone whose offset from UTC never changes (UTC, Asia/Tokyo: no daylight saving since 1951)
is a fixed shift, ``ts + offset``, the same expression on every backend and the cheapest: it
needs no calendar (see :mod:`kizuki.duckdb_backend`). A zone with daylight saving needs the
engine's time-zone database, which the engines name differently: DuckDB's
``timezone(zone, timestamptz)`` and Spark's ``from_utc_timestamp(ts, zone)`` (Spark's session
zone is UTC, see :func:`kizuki.store.open_store`); other backends raise StoreError there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.datatypes as dtypes
import ibis.expr.types as ir
import pandas as pd

from kizuki.errors import StoreError

__all__ = [
    "UTC_ZONE",
    "fixed_offset",
    "local_date",
    "local_dates",
    "local_time",
    "local_timestamp",
    "local_week_start",
    "local_week_starts",
    "week_start",
]

#: The zone in which local days are UTC days.
UTC_ZONE = "UTC"


def _builtin(
    name: str, first: dtypes.DataType, second: dtypes.DataType
) -> Callable[..., ir.TimestampValue]:
    """The engine's own two-argument function ``name`` that gives a timestamp."""

    def function(a: Any, b: Any) -> Any: ...

    function.__name__ = name
    udf = ibis.udf.scalar.builtin(
        function, name=name, signature=((first, second), dtypes.timestamp)
    )
    return cast("Callable[..., ir.TimestampValue]", udf)


#: DuckDB: ``timezone(zone, instant)``, the wall-clock time in ``zone`` of the instant.
_duckdb_timezone = _builtin("timezone", dtypes.string, dtypes.Timestamp(timezone="UTC"))
#: Spark: ``from_utc_timestamp(ts, zone)``, the same for a UTC time in a UTC session.
_spark_from_utc = _builtin("from_utc_timestamp", dtypes.timestamp, dtypes.string)


#: Years over which a zone must keep one offset to be treated as a fixed shift.
_FIXED_YEARS = range(1970, 2101)


@cache
def fixed_offset(zone: str) -> dt.timedelta | None:
    """The offset of ``zone`` from UTC if it is the same in every January and July of
    1970-2100 (no daylight saving, no change of standard time), else None.

    >>> fixed_offset("Asia/Tokyo"), fixed_offset("Europe/Berlin")
    (datetime.timedelta(seconds=32400), None)
    """
    info = ZoneInfo(zone)
    offsets = {
        dt.datetime(year, month, 1, 12, tzinfo=dt.UTC).astimezone(info).utcoffset()
        for year in _FIXED_YEARS
        for month in (1, 7)
    }
    return offsets.pop() if len(offsets) == 1 else None


def local_timestamp(ts: ir.TimestampValue, zone: str) -> ir.TimestampValue:
    """The wall-clock time in ``zone`` of the UTC instants ``ts``: its UTC reading is the
    local time, so that ``.date()`` is the local date on every backend.

    Raises StoreError on a backend other than DuckDB and Spark for a zone with daylight saving.
    """
    offset = fixed_offset(zone)
    if offset is not None:
        seconds = int(offset.total_seconds())
        return ts if seconds == 0 else ts + ibis.interval(seconds=seconds)
    backend = ts.get_backend().name
    if backend == "duckdb":
        result: ir.TimestampValue = _duckdb_timezone(zone, ts)
    elif backend == "pyspark":
        result = _spark_from_utc(ts, zone)
    else:
        raise StoreError(
            f"local days in time zone {zone!r} are not implemented on the {backend} backend; "
            "use a DuckDB or Spark store, or a zone without daylight saving"
        )
    return result


def local_date(ts: ir.TimestampValue, zone: str) -> ir.DateValue:
    """The local date in ``zone`` of the UTC instants ``ts``, computed in the engine.

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> t = ibis.memtable({"ts": [dt.datetime(2026, 11, 2, 20, tzinfo=dt.UTC)]})
    >>> local_date(t.ts, "Asia/Tokyo").execute().iloc[0]
    datetime.date(2026, 11, 3)
    >>> local_date(t.ts, "UTC").execute().iloc[0]
    datetime.date(2026, 11, 2)
    """
    return local_timestamp(ts, zone).date()


def local_week_start(ts: ir.TimestampValue, zone: str) -> ir.DateValue:
    """The Monday (a date) of the local week in ``zone`` of the UTC instants ``ts``."""
    return local_date(ts, zone).truncate("W").cast("date")


def local_dates(ts: pd.Series, zone: str) -> pd.Series:
    """The local date in ``zone`` of each timestamp (naive ones are UTC), as ``datetime.date``.

    >>> local_dates(pd.Series(["2026-11-02T20:00:00Z"]), "Asia/Tokyo").tolist()
    [datetime.date(2026, 11, 3)]
    """
    local = pd.to_datetime(ts, utc=True).dt.tz_convert(zone).dt.tz_localize(None)
    return local.dt.normalize().dt.date


def local_week_starts(ts: pd.Series, zone: str) -> pd.Series:
    """The Monday of the local week in ``zone`` of each timestamp, as ``datetime.date``."""
    local = pd.to_datetime(ts, utc=True).dt.tz_convert(zone).dt.tz_localize(None).dt.normalize()
    monday = local - pd.to_timedelta(local.dt.day_of_week, unit="D")
    return monday.dt.date


def local_time(value: dt.datetime, zone: str) -> dt.datetime:
    """``value`` (naive values are UTC) as an aware datetime in ``zone``."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo(zone))


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())
