"""Simulated time: the window, the weekly and daily rhythm (JST), and business hours.

All times are int64 microseconds since the Unix epoch, UTC. The company lives in Japan, so
rhythm and business hours are computed in JST (UTC+9, no daylight saving).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["DAY_US", "HOUR_US", "JST_US", "MINUTE_US", "Clock", "iso_jst", "iso_utc"]

MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US
JST_US = 9 * HOUR_US

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

# Share of a weekday's visits by JST hour: quiet nights, a morning ramp, a lunch dip,
# afternoon peak, and a smaller evening peak when freelancers do their books.
_HOUR_PROFILE = np.array(
    [
        0.6,
        0.35,
        0.2,
        0.15,
        0.15,
        0.25,
        0.6,
        1.4,
        3.0,
        5.6,
        7.4,
        7.2,
        5.2,
        6.8,
        7.2,
        6.9,
        6.3,
        5.4,
        4.2,
        3.4,
        3.6,
        3.9,
        3.0,
        1.6,
    ],
    dtype=np.float64,
)
_WEEKDAY_FACTOR = np.array([1.0, 1.02, 1.0, 0.98, 0.92, 0.38, 0.3])  # Monday .. Sunday
_BUSINESS_START_MIN = 9 * 60
_BUSINESS_END_MIN = 18 * 60


@dataclass(frozen=True)
class Clock:
    """The simulated window ``[start_us, end_us)`` and time helpers over it.

    Parameters
    ----------
    start_date, end_date
        First and last simulated day in JST (both included).
    """

    start_date: dt.date
    end_date: dt.date

    @property
    def start_us(self) -> int:
        """Midnight JST of the first day, in UTC microseconds."""
        return _date_us(self.start_date) - JST_US

    @property
    def end_us(self) -> int:
        """Midnight JST after the last day (exclusive), in UTC microseconds."""
        return _date_us(self.end_date + dt.timedelta(days=1)) - JST_US

    @property
    def n_days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def _hour_cdf(self) -> F64:
        weekday0 = self.start_date.weekday()
        days = (weekday0 + np.arange(self.n_days)) % 7
        weights = (_WEEKDAY_FACTOR[days][:, None] * _HOUR_PROFILE[None, :]).ravel()
        cdf = np.concatenate([[0.0], np.cumsum(weights)])
        return np.asarray(cdf / cdf[-1], dtype=np.float64)

    def sample_times(self, rng: np.random.Generator, lo_us: I64, hi_us: I64) -> I64:
        """One time per pair in ``[lo, hi)`` (clipped to the window), following the rhythm.

        Sampling inverts the cumulative hourly weight, so busy hours get more times
        and no sample is rejected.
        """
        cdf = self._hour_cdf()
        n_hours = cdf.size - 1
        lo = np.clip((lo_us - self.start_us) / HOUR_US, 0.0, n_hours)
        hi = np.clip((hi_us - self.start_us) / HOUR_US, 0.0, n_hours)
        hi = np.maximum(hi, lo)
        grid = np.arange(n_hours + 1, dtype=np.float64)
        c_lo = np.interp(lo, grid, cdf)
        c_hi = np.interp(hi, grid, cdf)
        u = c_lo + rng.random(lo.size) * (c_hi - c_lo)
        hours = np.interp(u, cdf, grid)
        hours = np.clip(hours, lo, np.maximum(hi - 1e-9, lo))
        return self.start_us + (hours * HOUR_US).astype(np.int64)

    def next_business_us(self, t_us: I64) -> I64:
        """The first business moment (9:00-18:00 JST, Monday to Friday) at or after each time."""
        local = t_us + JST_US
        day = local // DAY_US
        minute = (local % DAY_US) // MINUTE_US
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
        out = local.copy()
        before = minute < _BUSINESS_START_MIN
        after = minute >= _BUSINESS_END_MIN
        out = np.where(before, day * DAY_US + _BUSINESS_START_MIN * MINUTE_US, out)
        out = np.where(after, (day + 1) * DAY_US + _BUSINESS_START_MIN * MINUTE_US, out)
        weekday = np.where(after, (weekday + 1) % 7, weekday)
        shift = np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))
        start_of_day = (out // DAY_US) * DAY_US + _BUSINESS_START_MIN * MINUTE_US
        out = np.where(shift > 0, start_of_day + shift * DAY_US, out)
        return out - JST_US

    def business_minutes(self, t0_us: I64, t1_us: I64) -> I64:
        """Business minutes (9:00-18:00 JST, weekdays) between each pair of times."""
        diff = _business_minutes_since_epoch(t1_us) - _business_minutes_since_epoch(t0_us)
        return np.asarray(np.maximum(diff, 0), dtype=np.int64)


def _business_minutes_since_epoch(t_us: I64) -> I64:
    local = t_us + JST_US
    day = local // DAY_US
    minute = (local % DAY_US) // MINUTE_US
    weekday = (day + 3) % 7
    # full weekdays before `day`: 5 per week plus the weekdays of the partial week
    weeks, rem = np.divmod(day + 3, 7)  # counting from the Monday before the epoch
    full_days = weeks * 5 + np.minimum(rem, 5) - 3
    per_day = _BUSINESS_END_MIN - _BUSINESS_START_MIN
    today = np.where(weekday < 5, np.clip(minute - _BUSINESS_START_MIN, 0, per_day), 0)
    return (full_days * per_day + today).astype(np.int64)


def _date_us(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days * DAY_US


def iso_utc(t_us: I64) -> list[str]:
    """ISO 8601 UTC strings with a ``Z``, to the second (``2026-08-03T01:02:03Z``)."""
    text = np.datetime_as_string(t_us.astype("datetime64[us]"), unit="s")
    return [f"{s}Z" for s in text.tolist()]


def iso_jst(t_us: I64) -> list[str]:
    """ISO 8601 strings in JST with their offset (``2026-08-03T10:02:03+09:00``)."""
    text = np.datetime_as_string((t_us + JST_US).astype("datetime64[us]"), unit="s")
    return [f"{s}+09:00" for s in text.tolist()]
