"""Satisfaction drop alerts that are statistically grounded (Q6, docs/metrics.md).

Each local week, CSAT, NPS and CES of every slice (all customers, each segment, channel and
intent) are compared with the same slice over the ``baseline_weeks`` before it by a one-sided
test:

- CSAT: a two-proportion z-test (pooled) that the week's satisfied share is lower;
- NPS: a z-test on the difference of two NPS values, each with the variance of a difference of
  two multinomial shares;
- CES: a z-test on the difference of two means (unpooled variances) that the week's effort
  score is worse: lower where a higher answer means easier (``ces_higher_is_easier``), else
  higher.

A week's tests are corrected together (Bonferroni over the slices tested that week), so the
chance of one or more false alarms in a week with no real change is at most ``alpha``
(``alert_alpha``, 0.01 by default: about one false alarm in two years of weekly checks). A
slice needs ``alert_min_answers`` answers in the week and in the baseline to be tested. The
measured false-alarm rate on the simulator is in docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from kizuki.analytics.kpis import nps_parts

__all__ = ["ALERT_COLUMNS", "satisfaction_alerts"]

ALERT_COLUMNS = (
    "metric", "dimension", "slice", "week", "value", "baseline", "n", "baseline_n",
    "p_value", "threshold",
)  # fmt: skip
_DIMENSIONS = ("all", "segment", "channel", "intent")


def _normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _csat_test(cur: np.ndarray, base: np.ndarray) -> tuple[float, float, float]:
    """(week's share, baseline share, one-sided p-value that the week is lower)."""
    n1, n0 = cur.size, base.size
    p1, p0 = float(cur.mean()), float(base.mean())
    pooled = (cur.sum() + base.sum()) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    if se == 0:
        return p1, p0, 1.0
    return p1, p0, _normal_sf((p0 - p1) / se)


def _nps_test(cur: np.ndarray, base: np.ndarray) -> tuple[float, float, float]:
    v1, var1 = nps_parts(cur)
    v0, var0 = nps_parts(base)
    se = math.sqrt(var1 + var0)
    if se == 0:
        return 100 * v1, 100 * v0, 1.0
    return 100 * v1, 100 * v0, _normal_sf((v0 - v1) / se)


def _ces_test(cur: np.ndarray, base: np.ndarray) -> tuple[float, float, float]:
    """(week's mean, baseline mean, one-sided p-value that the week is lower)."""
    m1, m0 = float(cur.mean()), float(base.mean())
    se = math.sqrt(cur.var(ddof=1) / cur.size + base.var(ddof=1) / base.size)
    if se == 0 or se != se:
        return m1, m0, 1.0
    return m1, m0, _normal_sf((m0 - m1) / se)


def satisfaction_alerts(
    answers: pd.DataFrame,
    *,
    baseline_weeks: int = 4,
    alpha: float = 0.01,
    min_answers: int = 10,
    csat_satisfied_min: float = 4.0,
    ces_higher_is_easier: bool = True,
) -> pd.DataFrame:
    """The weeks and slices whose CSAT, NPS or CES fell significantly below their baseline.

    ``answers``: survey answers with ``kind, score, week`` and the slices ``segment,
    channel, intent`` (:func:`kizuki.analytics.kpis.survey_frame`). One row per alert,
    columns :data:`ALERT_COLUMNS` (``slice`` empty for all customers)."""
    rows: list[dict[str, object]] = []
    a = answers[answers["kind"].isin(("csat", "nps", "ces")) & answers["score"].notna()].copy()
    if not len(a):
        return pd.DataFrame(columns=list(ALERT_COLUMNS))
    a["good"] = a["score"] >= csat_satisfied_min
    # CES oriented so that lower is worse; reported on its own scale
    a["ease"] = a["score"] if ces_higher_is_easier else -a["score"]
    weeks = sorted(set(a["week"]))
    for week in weeks:
        start = week - dt.timedelta(weeks=baseline_weeks)
        now = a[a["week"] == week]
        before = a[(a["week"] >= start) & (a["week"] < week)]
        tests: list[tuple[str, str, str, float, float, int, int, float]] = []
        for metric, column in (("csat", "good"), ("nps", "score"), ("ces", "ease")):
            cur_m, base_m = now[now["kind"] == metric], before[before["kind"] == metric]
            for dim in _DIMENSIONS:
                keys = [""] if dim == "all" else sorted(set(cur_m[dim]) - {""})
                for key in keys:
                    cur = cur_m if dim == "all" else cur_m[cur_m[dim] == key]
                    base = base_m if dim == "all" else base_m[base_m[dim] == key]
                    if len(cur) < min_answers or len(base) < min_answers:
                        continue
                    test = {"csat": _csat_test, "nps": _nps_test, "ces": _ces_test}[metric]
                    value, baseline, p = test(
                        cur[column].to_numpy(float), base[column].to_numpy(float)
                    )
                    if metric == "ces" and not ces_higher_is_easier:
                        value, baseline = -value, -baseline
                    tests.append((metric, dim, key, value, baseline, len(cur), len(base), p))
        if not tests:
            continue
        threshold = alpha / len(tests)  # Bonferroni over the week's tests
        for metric, dim, key, value, baseline, n, n0, p in tests:
            if p < threshold:
                rows.append(
                    {
                        "metric": metric, "dimension": dim, "slice": key, "week": week,
                        "value": value, "baseline": baseline, "n": n, "baseline_n": n0,
                        "p_value": p, "threshold": threshold,
                    }
                )  # fmt: skip
    out = pd.DataFrame(rows, columns=list(ALERT_COLUMNS))
    return out.sort_values(["week", "p_value"], kind="stable").reset_index(drop=True)
