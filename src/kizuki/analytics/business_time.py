"""Seconds of business time between two instants: opening hours on working days in the team's
time zone, public holidays off (a Japanese calendar by default, from the ``holidays``
package), vectorised over millions of contacts.

The clock is a cumulative count of business seconds at every local midnight; an instant's
position is that count plus the business seconds of its own day before it, so a difference of
two positions is the business time between them, whatever lies in between (nights, weekends,
holidays, New Year).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kizuki.errors import ConfigError

__all__ = ["BusinessCalendar", "business_seconds"]


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours (``open_hour`` to ``close_hour``, local) on ``weekdays`` (0 = Monday)
    in ``timezone``, closed on the public holidays of ``country`` (ISO code; empty: none)
    and on ``extra_closed`` dates (e.g. a company's New Year break)."""

    timezone: str = "Asia/Tokyo"
    open_hour: float = 9.0
    close_hour: float = 18.0
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    country: str = "JP"
    extra_closed: tuple[dt.date, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not 0 <= self.open_hour < self.close_hour <= 24:
            raise ConfigError(
                f"business hours must satisfy 0 <= open < close <= 24, got "
                f"{self.open_hour}-{self.close_hour}"
            )

    def closed_days(self, years: Iterable[int]) -> set[dt.date]:
        """The public holidays of ``years`` and the extra closed dates."""
        days = set(self.extra_closed)
        if self.country:
            import holidays

            try:
                days |= set(holidays.country_holidays(self.country, years=sorted(set(years))))
            except NotImplementedError:
                raise ConfigError(
                    f"no public-holiday calendar for country {self.country!r}"
                ) from None
        return days


def business_seconds(
    start: pd.Series, end: pd.Series, calendar: BusinessCalendar
) -> NDArray[np.float64]:
    """Business seconds from ``start`` to ``end`` (aware or UTC timestamps), NaN where either
    is missing; 0 where ``end`` is not after ``start``."""
    s = pd.to_datetime(start, utc=True)
    e = pd.to_datetime(end, utc=True)
    out = np.full(len(s), np.nan)
    ok = (s.notna() & e.notna()).to_numpy()
    if not ok.any():
        return out
    sl = s[ok].dt.tz_convert(calendar.timezone)
    el = e[ok].dt.tz_convert(calendar.timezone)
    first = min(sl.min(), el.min()).date()
    last = max(sl.max(), el.max()).date()
    days = pd.date_range(first, last + dt.timedelta(days=1), freq="D")
    closed = calendar.closed_days(range(first.year, last.year + 1))
    working = np.array(
        [d.weekday() in calendar.weekdays and d.date() not in closed for d in days], dtype=bool
    )
    open_s, close_s = calendar.open_hour * 3600.0, calendar.close_hour * 3600.0
    per_day = np.where(working, close_s - open_s, 0.0)
    at_midnight = np.concatenate([[0.0], np.cumsum(per_day)[:-1]])
    origin = np.datetime64(first, "D")

    def position(local: pd.Series) -> NDArray[np.float64]:
        naive = local.dt.tz_localize(None).to_numpy("datetime64[us]")
        day = (naive.astype("datetime64[D]") - origin).astype(np.int64)
        into = (naive - naive.astype("datetime64[D]")).astype("timedelta64[us]").astype(
            np.int64
        ) / 1e6
        inside = np.clip(into, open_s, close_s) - open_s
        result: NDArray[np.float64] = at_midnight[day] + np.where(working[day], inside, 0.0)
        return result

    out[ok] = np.maximum(position(el) - position(sl), 0.0)
    return out
