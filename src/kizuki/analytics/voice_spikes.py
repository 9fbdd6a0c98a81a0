"""Spikes in what customers say: days with far more texts, or far more negative ones, than the
days before (docs/voice.md, "Spikes").

Per source (survey, contact, mention) and local day, against the ``baseline_days`` before it:

- ``volume`` (contacts and mentions: survey volume follows the team's own sends): texts that
  day against the baseline's days, and texts in each window of ``window_hours`` (starting on
  every hour) against the same hours of the baseline's days (a burst of a few hours, such as
  the posts during a three-hour outage, stands out in its window long before in its day),
  each by the exact conditional test of two Poisson rates;
- ``negativity``: negative texts among that day's against the baseline's share, by Fisher's
  exact test.

A day is tested once its baseline holds ``min_baseline_days`` days, and flagged when its
one-sided p-value is below ``alpha`` divided by the tests made for that source and kind (days
and windows; Bonferroni: the chance of any false alarm for a source and kind over the whole
period is at most ``alpha``) and it has at least ``min_spike_texts`` (negative) texts.
Neighbouring flagged days are one spike. Each spike names its most common intent, its most
negative (distinct) example texts, the incidents that overlap it and the friction point of its
intent seen in those days.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd

from kizuki.analytics.local_time import local_dates
from kizuki.analytics.voice import VoiceConfig

__all__ = ["SPIKE_COLUMNS", "voice_spikes"]

SPIKE_COLUMNS = (
    "source", "kind", "start_day", "end_day", "window", "days", "texts", "expected", "negative",
    "negative_share", "baseline_share", "p_value", "threshold", "intent", "examples",
    "incident_ids", "point_id",
)  # fmt: skip
_EXAMPLE_CHARS = 200


def _window_counts(
    scored: pd.DataFrame, source: str, days: np.ndarray, hours: int, timezone: str
) -> np.ndarray:
    """Texts of ``source`` per local day (rows, ``days``) in each window of ``hours`` that
    starts on the hour and ends within the day (columns: the window's first hour)."""
    mine = scored[scored["source"] == source]
    local = pd.to_datetime(mine["ts"], utc=True).dt.tz_convert(timezone).dt.tz_localize(None)
    index = {day: i for i, day in enumerate(days)}
    rows = np.array([index.get(d, -1) for d in local.dt.date], dtype=np.int64)
    hour = local.dt.hour.to_numpy(dtype=np.int64)
    per_hour = np.zeros((len(days), 24))
    keep = rows >= 0
    np.add.at(per_hour, (rows[keep], hour[keep]), 1.0)
    cumulative = np.concatenate([np.zeros((len(days), 1)), per_hour.cumsum(axis=1)], axis=1)
    windows: np.ndarray = cumulative[:, hours:] - cumulative[:, : 25 - hours]
    return windows


def _tests(
    daily: pd.DataFrame, scored: pd.DataFrame, config: VoiceConfig, timezone: str
) -> pd.DataFrame:
    """One row per source, day and kind tested: observed, expected, p-value, window."""
    from scipy import stats

    rows: list[dict[str, Any]] = []
    hours = config.window_hours
    for source, mine in daily.groupby("source", sort=True):
        series = mine.set_index("day").sort_index()
        days = pd.date_range(series.index.min(), series.index.max(), freq="D").date
        full = series[["texts", "negative"]].reindex(days, fill_value=0)
        texts = full["texts"].to_numpy(dtype=np.float64)
        negative = full["negative"].to_numpy(dtype=np.float64)
        blocks = _window_counts(scored, str(source), days, hours, timezone)
        for i in range(len(days)):
            lo = max(0, i - config.baseline_days)
            if i - lo < config.min_baseline_days:
                continue
            base_texts, base_neg = texts[lo:i], negative[lo:i]
            n_base, rate = i - lo, base_texts.mean()
            common = dict(source=source, day=days[i], texts=texts[i], negative=negative[i])
            if source in config.volume_sources:
                # the whole day, and each window of hours against the same hours before: a
                # burst of a few hours stands out in its window long before in its day.
                # Exact conditional test of two Poisson rates: given the day's and the
                # baseline's counts together, the day's share is Binomial(1 / (days + 1))
                # under no change (so a short, noisy baseline is not taken as the truth).
                share = 1.0 / (n_base + 1)
                base_blocks = blocks[lo:i].sum(axis=0)
                p_blocks = stats.binom.sf(blocks[i] - 1, blocks[i] + base_blocks, share)
                best = int(np.argmin(p_blocks))
                p_day = float(stats.binom.sf(texts[i] - 1, texts[i] + base_texts.sum(), share))
                window = (
                    "day" if p_day <= p_blocks[best] else (f"{best:02d}:00-{best + hours:02d}:00")
                )
                rows.append(
                    dict(common, kind="volume", observed=texts[i], expected=rate,
                         p_value=min(p_day, float(p_blocks[best])), tests=1 + len(p_blocks),
                         window=window, baseline_share=None)
                )  # fmt: skip
            share = base_neg.sum() / base_texts.sum() if base_texts.sum() else np.nan
            if texts[i] and share == share:
                # Fisher's exact test (one-sided): the day's negatives among all negatives
                total, negatives = base_texts.sum() + texts[i], base_neg.sum() + negative[i]
                p_neg = float(stats.hypergeom.sf(negative[i] - 1, total, negatives, texts[i]))
                rows.append(
                    dict(common, kind="negativity", observed=negative[i],
                         expected=share * texts[i], p_value=p_neg, tests=1, window="day",
                         baseline_share=share)
                )  # fmt: skip
    return pd.DataFrame(rows)


def voice_spikes(
    daily: pd.DataFrame,
    scored: pd.DataFrame,
    incidents: pd.DataFrame,
    friction: pd.DataFrame,
    config: VoiceConfig,
    timezone: str,
) -> pd.DataFrame:
    """The spikes of :data:`SPIKE_COLUMNS` (module docstring), largest first.

    ``daily`` is :func:`~kizuki.analytics.voice.voice_daily`; ``scored`` the texts with their
    sentiment; ``incidents`` incident_id, started_at, ended_at; ``friction`` point_id,
    likely_intent, first_seen, last_seen, excess_sessions (may be empty).
    """
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in SPIKE_COLUMNS})
    alpha, min_texts, n_examples = config.alpha, config.min_spike_texts, config.examples
    if not len(daily):
        return empty
    tests = _tests(daily, scored, config, timezone)
    if not len(tests):
        return empty
    n_tests = tests.groupby(["source", "kind"])["tests"].transform("sum")
    tests["threshold"] = alpha / n_tests
    flagged = tests[(tests["p_value"] < tests["threshold"]) & (tests["observed"] >= min_texts)]
    if not len(flagged):
        return empty
    texts = scored.assign(day=local_dates(scored["ts"], timezone))
    rows = [
        _spike(run, texts, incidents, friction, n_examples, timezone)
        for _, group in flagged.groupby(["source", "kind"], sort=True)
        for run in _runs(group.sort_values("day"))
    ]
    out = pd.DataFrame(rows, columns=list(SPIKE_COLUMNS))
    out["_excess"] = np.where(
        out["kind"] == "volume", out["texts"] - out["expected"], out["negative"] - out["expected"]
    )
    out = out.sort_values(["_excess", "start_day"], ascending=[False, True], kind="stable")
    return out.drop(columns="_excess").reset_index(drop=True)


def _runs(group: pd.DataFrame) -> list[pd.DataFrame]:
    """Consecutive days of ``group`` as separate frames."""
    days = pd.to_datetime(pd.Series(group["day"].to_list()))
    breaks = (days.diff().dt.days.fillna(1) != 1).cumsum().to_numpy()
    return [group.iloc[np.flatnonzero(breaks == b)] for b in np.unique(breaks)]


def _spike(
    run: pd.DataFrame,
    texts: pd.DataFrame,
    incidents: pd.DataFrame,
    friction: pd.DataFrame,
    n_examples: int,
    timezone: str,
) -> dict[str, Any]:
    source, kind = str(run["source"].iloc[0]), str(run["kind"].iloc[0])
    start, end = run["day"].min(), run["day"].max()
    mine = texts[(texts["source"] == source) & (texts["day"] >= start) & (texts["day"] <= end)]
    about = mine[mine["sentiment"] == "negative"] if kind == "negativity" else mine
    intents = about["intent"].dropna()
    intents = intents[intents.astype(str).str.len() > 0]
    intent = str(intents.value_counts().index[0]) if len(intents) else None
    examples = about.sort_values(["negative", "ts"], ascending=[False, True], kind="stable")
    n_texts, n_negative = float(run["texts"].sum()), float(run["negative"].sum())
    baseline = run["baseline_share"].dropna()
    return {
        "source": source,
        "kind": kind,
        "start_day": start,
        "end_day": end,
        "days": len(run),
        "texts": int(n_texts),
        "expected": float(run["expected"].sum()),
        "negative": int(n_negative),
        "negative_share": n_negative / n_texts if n_texts else None,
        "baseline_share": float(baseline.mean()) if len(baseline) else None,
        "p_value": float(run["p_value"].min()),
        "window": str(run.sort_values("p_value")["window"].iloc[0]),
        "threshold": float(run["threshold"].iloc[0]),
        "intent": intent,
        "examples": json.dumps(
            [
                t[:_EXAMPLE_CHARS]
                for t in examples["text"].astype(str).drop_duplicates().head(n_examples)
            ],
            ensure_ascii=False,
        ),
        "incident_ids": json.dumps(_overlapping(incidents, start, end, timezone)),
        "point_id": _friction_point(friction, intent, start, end, timezone),
    }


def _bounds(start: dt.date, end: dt.date, timezone: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The UTC instants of the local start of ``start`` and the end of ``end``."""
    lo = pd.Timestamp(start).tz_localize(timezone).tz_convert("UTC")
    hi = (pd.Timestamp(end) + pd.Timedelta(days=1)).tz_localize(timezone).tz_convert("UTC")
    return lo, hi


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True)


def _overlapping(incidents: pd.DataFrame, start: dt.date, end: dt.date, timezone: str) -> list[str]:
    """Incidents that were open at some time of the local days ``start`` … ``end`` (one
    without an end counts as open for a day)."""
    if not len(incidents):
        return []
    lo, hi = _bounds(start, end, timezone)
    began = _utc(incidents["started_at"])
    ended = _utc(incidents["ended_at"]).fillna(began + pd.Timedelta(days=1))
    hit = (began < hi) & (ended >= lo)
    return sorted(incidents.loc[hit, "incident_id"].astype(str))


def _friction_point(
    friction: pd.DataFrame, intent: str | None, start: dt.date, end: dt.date, timezone: str
) -> str | None:
    """The friction point about ``intent`` seen during the spike with most excess sessions."""
    if intent is None or not len(friction):
        return None
    lo, hi = _bounds(start, end, timezone)
    mine = friction[
        (friction["likely_intent"] == intent)
        & (_utc(friction["first_seen"]) < hi)
        & (_utc(friction["last_seen"]) >= lo)
    ]
    if not len(mine):
        return None
    return str(mine.sort_values("excess_sessions", ascending=False)["point_id"].iloc[0])
