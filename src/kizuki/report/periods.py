"""The report's calendar: the store's time zone as the report names it, and which days and
weeks of a chart the data covers only in part.

Days and weeks are the store time zone's (``Settings.store_timezone``; the analyses count in
it, :mod:`kizuki.analytics.local_time`). The first and last day or week of the data usually
hold only part of their time: a week that ends on Wednesday has about half the contacts of a
full one and, drawn as the others, looks like a collapse. A period is *partial* when the data,
from its first to its last timestamp, covers less than :data:`PARTIAL_BELOW` of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = ["PARTIAL_BELOW", "PartialPeriod", "partial_periods", "zone_label"]

#: A day or week the data covers less than this share of is partial.
PARTIAL_BELOW = 0.9


def _offset_text(offset: dt.timedelta | None) -> str:
    minutes = int((offset or dt.timedelta(0)).total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_label(zone: str, instants: Iterable[dt.datetime | None] = ()) -> str:
    """``zone`` with its offset from UTC at ``instants`` (default: now), e.g.
    ``Asia/Tokyo (UTC+09:00)``; both offsets where daylight saving changes it.

    >>> zone_label("Asia/Tokyo")
    'Asia/Tokyo (UTC+09:00)'
    >>> zone_label("America/New_York", [dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    ...                                 dt.datetime(2026, 7, 5, tzinfo=dt.UTC)])
    'America/New_York (UTC-05:00 / UTC-04:00)'
    """
    info = ZoneInfo(zone)
    when = [t for t in instants if t is not None] or [dt.datetime.now(dt.UTC)]
    offsets = sorted({_aware(t).astimezone(info).utcoffset() or dt.timedelta(0) for t in when})
    if zone == "UTC" and offsets == [dt.timedelta(0)]:
        return "UTC"
    return f"{zone} ({' / '.join(_offset_text(o) for o in offsets)})"


def _aware(value: dt.datetime) -> dt.datetime:
    """``value`` as an aware datetime (naive values, as Spark returns them, are UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class PartialPeriod:
    """A day or week the data covers only in part: at its ``start`` (the data begins in it)
    or its ``end`` (the data stops in it), the ``share`` covered, and the local time ``when``
    the data begins or stops."""

    side: Literal["start", "end"]
    share: float
    when: dt.datetime


def partial_periods(
    starts: Iterable[dt.date],
    days: int,
    first: dt.datetime | None,
    last: dt.datetime | None,
    zone: str,
) -> dict[dt.date, PartialPeriod]:
    """The periods among ``starts`` (local dates a period of ``days`` days begins on) that the
    data, from ``first`` to ``last`` (UTC instants), covers less than :data:`PARTIAL_BELOW` of.

    >>> utc = dt.UTC
    >>> got = partial_periods([dt.date(2026, 11, 16), dt.date(2026, 11, 23)], 7,
    ...     dt.datetime(2026, 11, 16, 0, 30, tzinfo=utc), dt.datetime(2026, 11, 25, 12, tzinfo=utc),
    ...     "UTC")
    >>> list(got), got[dt.date(2026, 11, 23)].side, round(got[dt.date(2026, 11, 23)].share, 2)
    ([datetime.date(2026, 11, 23)], 'end', 0.36)
    """
    if first is None or last is None:
        return {}
    info = ZoneInfo(zone)
    begin, stop = _aware(first), _aware(last)
    out: dict[dt.date, PartialPeriod] = {}
    for day in starts:
        # instants, not wall times: a day of a daylight-saving change has 23 or 25 hours
        start = dt.datetime.combine(day, dt.time(0), tzinfo=info).astimezone(dt.UTC)
        end = dt.datetime.combine(day + dt.timedelta(days=days), dt.time(0), tzinfo=info)
        end = end.astimezone(dt.UTC)
        covered = min(end, stop) - max(start, begin)
        share = max(covered.total_seconds(), 0.0) / (end - start).total_seconds()
        if share >= PARTIAL_BELOW:
            continue
        # a period the data both begins and stops in is described by where it stops
        if start <= stop < end:
            out[day] = PartialPeriod("end", share, stop.astimezone(info))
        else:
            out[day] = PartialPeriod("start", share, begin.astimezone(info))
    return out
