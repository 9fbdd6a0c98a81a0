"""From a purchase log to the per-customer table of the BG/NBD model (:mod:`kizuki.models.alive`),
and that table checked as the model's input (:func:`summary_arrays`).

One row per customer: ``frequency`` (repeat purchase *days*: several purchases on one day count
once, and the first purchase is not a repeat), ``recency`` (time from the first to the last
purchase) and ``T`` (time from the first purchase to the end of the calibration period), in days
or weeks — the protocol of Fader, Hardie & Lee (2005).

Examples
--------
>>> log = pd.DataFrame({"customer": ["a", "a", "a", "b"],
...                     "date": ["2026-01-01", "2026-01-01", "2026-01-15", "2026-01-08"]})
>>> customer_summary(log, "customer", "date", unit="day").to_dict("list")
{'customer_id': ['a', 'b'], 'frequency': [1, 0], 'recency': [14.0, 0.0], 'T': [14.0, 7.0]}
"""

from __future__ import annotations

from datetime import date as Date
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from kizuki.errors import ConfigError

__all__ = ["UNIT_DAYS", "customer_summary", "summary_arrays"]

Floats = NDArray[np.float64]

#: Days in each time unit a summary can be written in.
UNIT_DAYS = {"day": 1, "week": 7}


def customer_summary(
    transactions: pd.DataFrame,
    customer: str,
    date: str,
    until: str | Date | pd.Timestamp | None = None,
    unit: str = "week",
) -> pd.DataFrame:
    """The BG/NBD summary of each customer: ``customer_id``, ``frequency``, ``recency``, ``T``.

    Parameters
    ----------
    transactions
        One row per purchase (more columns are ignored).
    customer, date
        The columns holding the customer and the purchase date (dates, timestamps or text such
        as ``2026-01-31``; a timestamp counts on its own calendar day, in its own time zone).
    until
        The last day of the calibration period (included); default: the last date in the data.
        Purchases after it are left out; customers whose first purchase is after it are
        dropped.
    unit
        ``"week"`` (days / 7) or ``"day"``.

    Raises
    ------
    ConfigError
        A column is missing, a customer is missing, a date or ``until`` is not a date, or
        ``unit`` is unknown.
    """
    unit_days = _unit_days(unit)
    for column in (customer, date):
        if column not in transactions.columns:
            raise ConfigError(
                f"the transactions have no column {column!r}; their columns are "
                f"{', '.join(map(repr, map(str, transactions.columns)))}"
            )
    ids = transactions[customer]
    missing = ids.isna().to_numpy()
    if missing.any():
        row = transactions.index[int(np.argmax(missing))]
        raise ConfigError(
            f"transactions row {row!r}: column {customer!r} has no customer "
            f"({int(missing.sum()):,} rows without one); fill or drop them"
        )
    days = _days(transactions[date], date, transactions.index)
    frame = pd.DataFrame({"customer_id": ids.to_numpy(), "day": days}).drop_duplicates()
    first = frame.groupby("customer_id", sort=True)["day"].min()
    last_day = int(days.max()) if len(days) else 0
    end = last_day if until is None else _until_day(until)
    first = first[first <= end]
    kept = frame[(frame["day"] <= end) & frame["customer_id"].isin(first.index)]
    per = kept.groupby("customer_id", sort=True)["day"].agg(["size", "max"])
    return pd.DataFrame(
        {
            "customer_id": first.index.to_numpy(),
            "frequency": (per["size"].to_numpy() - 1).astype(np.int64),
            "recency": (per["max"].to_numpy() - first.to_numpy()) / unit_days,
            "T": (end - first.to_numpy()) / unit_days,
        }
    ).astype({"recency": np.float64, "T": np.float64})


def summary_arrays(
    X: pd.DataFrame | ArrayLike, recency: ArrayLike | None = None, T: ArrayLike | None = None
) -> tuple[Floats, Floats, Floats]:
    """``(frequency, recency, T)`` as float arrays of one shape (scalars broadcast), from a
    summary frame, an (n, 3) array, or the frequencies with ``recency`` and ``T``.

    Raises
    ------
    ConfigError
        A column is missing, or at the first invalid row: a frequency that is not a whole
        number >= 0, a negative recency, T below recency, or a recency without repeats.
    """
    if (recency is None) != (T is None):
        raise ConfigError("give recency and T together, or neither (with a summary as X)")
    if recency is not None and T is not None:
        columns: tuple[ArrayLike, ArrayLike, ArrayLike] = (X, recency, T)  # type: ignore[assignment]
    elif isinstance(X, pd.DataFrame):
        missing = [c for c in ("frequency", "recency", "T") if c not in X.columns]
        if missing:
            raise ConfigError(
                f"the summary has no column {missing[0]!r}; give one with frequency, recency "
                "and T (customer_summary makes it)"
            )
        columns = (X["frequency"], X["recency"], X["T"])
    else:
        array = np.asarray(X, dtype=np.float64)
        if array.ndim != 2 or array.shape[1] != 3:
            raise ConfigError(
                "give a summary frame, an (n, 3) array of frequency, recency, T, or the three "
                f"arrays; got an array of shape {array.shape}"
            )
        columns = (array[:, 0], array[:, 1], array[:, 2])
    try:
        x, t_x, t = np.broadcast_arrays(
            *(np.atleast_1d(np.asarray(c, dtype=np.float64)) for c in columns)
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"frequency, recency and T must be numbers of one length: {exc}"
        ) from None
    checks = [
        (~np.isfinite(x) | (x < 0) | (x != np.round(x)), "frequency must be a whole number >= 0"),
        (~np.isfinite(t_x) | (t_x < 0), "recency must be >= 0"),
        (~np.isfinite(t) | (t < t_x), "T must be >= recency"),
        ((x == 0) & (t_x != 0), "recency must be 0 when frequency is 0"),
    ]
    for bad, rule in checks:
        if bad.any():
            i = int(np.argmax(bad.ravel()))
            raise ConfigError(
                f"customer row {i}: frequency {x.flat[i]:g}, recency {t_x.flat[i]:g}, "
                f"T {t.flat[i]:g}: {rule} ({int(bad.sum()):,} rows like it)"
            )
    return x, t_x, t


def _unit_days(unit: str) -> int:
    """Days in ``unit``, or ConfigError naming the units there are."""
    if unit not in UNIT_DAYS:
        raise ConfigError(f"unit {unit!r} is not a time unit; give one of: day, week")
    return UNIT_DAYS[unit]


def _days(values: pd.Series[Any], column: str, index: pd.Index) -> np.ndarray[Any, Any]:
    """Each value's calendar day as days since 1970-01-01, or ConfigError at the first that is
    not a date."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        values = values.astype("Int64").astype("string")  # 19970101: a date, not nanoseconds
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        parsed = values.dt.tz_localize(None)  # the day on the customer's own clock
    elif pd.api.types.is_datetime64_dtype(values):
        parsed = values
    else:
        parsed = _parse(values)
    bad = parsed.isna().to_numpy()
    if bad.any():
        at = int(np.argmax(bad))
        value = values.iloc[at]
        what = "is empty" if pd.isna(value) else f"{value!r} is not a date"
        raise ConfigError(
            f"transactions row {index[at]!r}: {column} {what} "
            f"({int(bad.sum()):,} of {len(bad):,} rows are not dates); give dates such as "
            "2026-01-31"
        )
    return np.asarray(parsed.to_numpy().astype("datetime64[D]").astype(np.int64))


def _parse(values: pd.Series[Any]) -> pd.Series[Any]:
    """Text to naive timestamps (NaT where not a date); an aware one keeps its own day."""
    try:
        parsed = pd.to_datetime(values, errors="coerce")
    except ValueError:  # mixed UTC offsets: each value on its own clock
        return pd.to_datetime(values.map(_parse_one))
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    failed = (parsed.isna() & values.notna()).to_numpy()
    if failed.any():  # pandas reads all values in the format of the first: retry the others
        parsed[failed] = pd.to_datetime(values[failed].map(_parse_one))
    return parsed


def _parse_one(value: Any) -> Any:
    """One value as a naive timestamp, or NaT."""
    stamp = pd.to_datetime(value, errors="coerce")
    return stamp.tz_localize(None) if not pd.isna(stamp) and stamp.tzinfo else stamp


def _until_day(until: str | Date | pd.Timestamp) -> int:
    """``until`` as days since 1970-01-01, or ConfigError if it is not a date."""
    try:
        stamp = pd.Timestamp(until)
        valid = not pd.isna(stamp)
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ConfigError(f"until {until!r} is not a date; give one such as 1997-09-30")
    naive = stamp.tz_localize(None) if stamp.tzinfo else stamp
    return int(np.datetime64(naive, "D").astype(np.int64))
