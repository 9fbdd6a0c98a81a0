"""Emerging topics: intents or topics whose latest weekly volume rises above their baseline.

Rule (defaults in brackets). Counts are per topic and week (weeks start on Monday; a topic with
no contacts in a week counts 0 there, including the weeks before its first contact). For each
topic, ``c`` = contacts in the latest ``recent_weeks`` [1] weeks up to ``as_of`` [the last week
in the data], ``b`` = contacts in the ``baseline_weeks`` [4] weeks before them. If both windows
hold the same weekly Poisson rate, then given ``c + b``, ``c`` is Binomial(c + b, m / (m + k))
with ``m`` = recent weeks and ``k`` = baseline weeks observed; the one-sided p-value is
``P(X >= c)`` (this exact conditional test accounts for the baseline being an estimate itself and
copes with a baseline of zero). p-values are adjusted over all topics tested with
Benjamini–Hochberg. A topic is **flagged** when ``q <= alpha`` [0.05], ``c >= min_count`` [5]
and ``ratio >= min_ratio`` [2.0], where ratio = recent weekly mean / baseline weekly mean (inf
when the baseline is 0). Real ticket counts are over-dispersed (more variable than Poisson);
``min_count`` and ``min_ratio`` keep that from flagging small wobbles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kizuki.errors import ConfigError, SchemaError

__all__ = ["emerging_topics"]

_COLUMNS = [
    "topic",
    "week",
    "count",
    "baseline",
    "ratio",
    "p_value",
    "q_value",
    "flagged",
    "examples",
]


def emerging_topics(
    df: pd.DataFrame,
    *,
    topic_col: str = "topic",
    time_col: str = "week",
    text_col: str | None = "text",
    as_of: Any = None,
    recent_weeks: int = 1,
    baseline_weeks: int = 4,
    min_count: int = 5,
    min_ratio: float = 2.0,
    alpha: float = 0.05,
    n_examples: int = 3,
) -> pd.DataFrame:
    """Test each topic's latest weekly volume against its own recent baseline.

    Parameters
    ----------
    df : DataFrame
        One row per contact: ``topic_col``, ``time_col`` (timestamps or week start dates, floored
        to Monday in their own time zone, so convert UTC timestamps to local time first; or
        integer week numbers) and optionally ``text_col``. Rows without a topic are ignored.
    topic_col, time_col, text_col : str
        Column names; ``text_col=None`` gives no examples.
    as_of : timestamp, date or int, optional
        The last week of the recent window; default the last week in ``df``.
    recent_weeks, baseline_weeks : int
        Lengths of the recent window and of the baseline before it.
    min_count, min_ratio, alpha : int, float, float
        Flag only with at least ``min_count`` recent contacts, a ratio of at least ``min_ratio``
        and a Benjamini–Hochberg q-value of at most ``alpha``.
    n_examples : int
        Distinct texts from the recent window per topic, most recent first.

    Returns
    -------
    DataFrame
        One row per topic: ``topic, week`` (the last week of the recent window), ``count``
        (recent contacts), ``baseline`` (mean contacts per baseline week), ``ratio`` (recent weekly
        mean / baseline), ``p_value, q_value, flagged, examples``; flagged first, then by p-value.
        Topics with no baseline week in the data are listed untested (p-value NaN).

    Raises
    ------
    SchemaError
        A named column is missing.
    ConfigError
        A parameter is out of range.

    Examples
    --------
    >>> weeks = [1, 2, 3, 4] * 2 + [5] * 12
    >>> df = pd.DataFrame({"topic": ["refund"] * len(weeks), "week": weeks, "text": "refund?"})
    >>> bool(emerging_topics(df, min_count=5).loc[0, "flagged"])
    True
    """
    _check_params(recent_weeks, baseline_weeks, min_count, min_ratio, alpha, n_examples)
    columns = [topic_col, time_col] + ([text_col] if text_col is not None else [])
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"emerging_topics needs columns {columns}; missing {missing} "
            f"(the frame has {list(df.columns)})"
        )
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _COLUMNS})
    weeks, grid = _week_index(df[time_col])
    last = len(grid) - 1 if as_of is None else _position(grid, as_of, time_col)
    table = pd.crosstab(df[topic_col].to_numpy(), weeks)
    counts = table.reindex(columns=range(len(grid)), fill_value=0).to_numpy()
    topics = table.index
    start = max(last - recent_weeks + 1, 0)
    m = last - start + 1
    base_start = max(start - baseline_weeks, 0)
    k = start - base_start
    recent = counts[:, start : last + 1].sum(axis=1)
    base = counts[:, base_start:start].sum(axis=1)
    baseline = base / k if k else np.full(len(topics), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(base > 0, (recent / m) / baseline, np.where(recent > 0, np.inf, np.nan))
    p_value = _conditional_binomial_p(recent, base, m, k)
    q_value = _benjamini_hochberg(p_value)
    flagged = (q_value <= alpha) & (recent >= min_count) & (ratio >= min_ratio)
    out = pd.DataFrame(
        {
            "topic": topics,
            "week": grid[last],
            "count": recent.astype(np.int64),
            "baseline": baseline,
            "ratio": ratio,
            "p_value": p_value,
            "q_value": q_value,
            "flagged": flagged,
        }
    )
    if text_col is None:
        out["examples"] = [[] for _ in range(len(out))]
    else:
        found = _examples(df, weeks, topic_col, time_col, text_col, start, last, topics)
        out["examples"] = [ex[:n_examples] for ex in found]
    out = out.sort_values(["flagged", "p_value", "topic"], ascending=[False, True, True])
    return out.reset_index(drop=True)[_COLUMNS]


def _check_params(
    recent_weeks: int,
    baseline_weeks: int,
    min_count: int,
    min_ratio: float,
    alpha: float,
    n_examples: int,
) -> None:
    for name, value in (
        ("recent_weeks", recent_weeks),
        ("baseline_weeks", baseline_weeks),
    ):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1, got {value}")
    if min_count < 0 or n_examples < 0:
        raise ConfigError(
            f"min_count and n_examples must be 0 or more, got {min_count} and {n_examples}"
        )
    if min_ratio < 0:
        raise ConfigError(f"min_ratio must be 0 or more, got {min_ratio}")
    if not 0 < alpha <= 1:
        raise ConfigError(f"alpha must be in (0, 1], got {alpha}")


def _week_index(values: pd.Series) -> tuple[np.ndarray[Any, Any], list[Any]]:
    """Position of each row's week in the full grid of weeks, and the grid (week labels)."""
    if pd.api.types.is_integer_dtype(values):
        ints = values.to_numpy(dtype=np.int64)
        low = int(ints.min())
        return ints - low, list(range(low, int(ints.max()) + 1))
    try:
        stamps = pd.to_datetime(values)
    except (ValueError, TypeError) as exc:
        raise SchemaError(
            f"week/time values must be timestamps, dates or integers, e.g. {values.iloc[0]!r}: "
            f"{exc}"
        ) from None
    if stamps.isna().any():
        row = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        raise SchemaError(f"row {row} has no week/time; drop or fill it first")
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_localize(None)
    day = stamps.dt.normalize()
    monday = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    first = monday.min()
    index = ((monday - first).dt.days // 7).to_numpy(dtype=np.int64)
    grid = [(first + pd.Timedelta(weeks=i)).date() for i in range(int(index.max()) + 1)]
    return index, grid


def _position(grid: list[Any], as_of: Any, time_col: str) -> int:
    if isinstance(grid[0], int):
        key: Any = int(as_of)
    else:
        day = pd.Timestamp(as_of)
        if day.tzinfo is not None:
            day = day.tz_localize(None)
        key = (day.normalize() - pd.Timedelta(days=day.day_of_week)).date()
    if key not in grid:
        raise ConfigError(
            f"as_of {as_of!r} is outside the weeks in {time_col!r} ({grid[0]} to {grid[-1]})"
        )
    return grid.index(key)


def _conditional_binomial_p(
    recent: np.ndarray[Any, Any], base: np.ndarray[Any, Any], m: int, k: int
) -> np.ndarray[Any, Any]:
    """P(X >= recent), X ~ Binomial(recent + base, m / (m + k)); NaN without a baseline."""
    if k == 0:
        return np.full(len(recent), np.nan)
    from scipy.stats import binom

    p = binom.sf(recent - 1, recent + base, m / (m + k))
    return np.where(recent > 0, p, 1.0)


def _benjamini_hochberg(p: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Benjamini–Hochberg adjusted p-values; NaN stays NaN and is not counted."""
    q = np.full(len(p), np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    if len(tested) == 0:
        return q
    order = tested[np.argsort(p[tested], kind="stable")]
    ranked = p[order] * len(order) / np.arange(1, len(order) + 1)
    q[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    return q


def _examples(
    df: pd.DataFrame,
    weeks: np.ndarray[Any, Any],
    topic_col: str,
    time_col: str,
    text_col: str,
    start: int,
    last: int,
    topics: pd.Index,
) -> list[list[str]]:
    """Distinct texts of each topic in the recent window, most recent first."""
    window = df.loc[(weeks >= start) & (weeks <= last), [topic_col, time_col, text_col]]
    window = window.sort_values(time_col, ascending=False, kind="stable")
    by_topic: dict[Any, list[str]] = {}
    for topic, text in zip(window[topic_col], window[text_col], strict=True):
        if isinstance(text, str) and text and text not in by_topic.setdefault(topic, []):
            by_topic[topic].append(text)
    return [by_topic.get(t, []) for t in topics]
