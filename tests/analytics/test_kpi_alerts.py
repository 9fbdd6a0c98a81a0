"""Satisfaction drop alerts: a planted drop in one segment is found and named; steady
satisfaction raises nothing over many weeks; too few answers are not tested."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kizuki.analytics.kpi_alerts import satisfaction_alerts

MONDAY = dt.date(2026, 8, 3)


def answers(rng: np.random.Generator, weeks: int, per_week: int,
            p_good: dict[tuple[int, str], float] | None = None) -> pd.DataFrame:  # fmt: skip
    """CSAT answers (5 satisfied, 1 not) for two segments, 85% satisfied unless ``p_good``
    says otherwise for a (week, segment)."""
    rows = []
    for w in range(weeks):
        for segment in ("smb", "enterprise"):
            p = (p_good or {}).get((w, segment), 0.85)
            for _ in range(per_week):
                rows.append(
                    {"kind": "csat", "score": 5.0 if rng.random() < p else 1.0,
                     "week": MONDAY + dt.timedelta(weeks=w), "segment": segment,
                     "channel": "email", "intent": ""}
                )  # fmt: skip
    return pd.DataFrame(rows)


def test_a_drop_in_one_segment_is_found_and_named() -> None:
    rng = np.random.default_rng(0)
    data = answers(rng, 8, 40, {(6, "smb"): 0.45})
    alerts = satisfaction_alerts(data)
    assert len(alerts) >= 1
    top = alerts.iloc[0]
    assert top["week"] == MONDAY + dt.timedelta(weeks=6)
    assert (top["dimension"], top["slice"]) in {("segment", "smb"), ("all", "")}
    assert ("segment", "smb") in set(zip(alerts["dimension"], alerts["slice"], strict=True))
    assert "enterprise" not in set(alerts["slice"])
    assert (alerts["p_value"] < alerts["threshold"]).all()


def test_steady_satisfaction_raises_no_alert_over_many_weeks() -> None:
    rng = np.random.default_rng(1)
    found = sum(len(satisfaction_alerts(answers(rng, 20, 30))) for _ in range(5))
    # 5 × 16 tested weeks at 1% per week: about 0.8 expected by chance
    assert found <= 3


def test_slices_with_too_few_answers_are_not_tested() -> None:
    rng = np.random.default_rng(2)
    data = answers(rng, 6, 5, {(5, "smb"): 0.0})  # 5 answers a week per segment
    alerts = satisfaction_alerts(data, min_answers=10)
    # a segment's 5 a week are not tested; all customers (and the one channel) have 10
    assert len(alerts) and "segment" not in set(alerts["dimension"])
    assert satisfaction_alerts(data.iloc[0:0]).empty


def _ces(rng: np.random.Generator, weeks: int, drop_week: int | None, shift: float) -> pd.DataFrame:
    """CES answers on 1-7 (higher easier), mean 5.2; ``shift`` lower in ``drop_week``."""
    rows = []
    for w in range(weeks):
        mean = 5.2 - (shift if w == drop_week else 0.0)
        for _ in range(40):
            score = float(np.clip(round(rng.normal(mean, 1.2)), 1, 7))
            rows.append({"kind": "ces", "score": score, "week": MONDAY + dt.timedelta(weeks=w),
                         "segment": "smb", "channel": "chat", "intent": "login"})  # fmt: skip
    return pd.DataFrame(rows)


def test_a_ces_drop_is_found_on_its_scale_and_either_direction() -> None:
    rng = np.random.default_rng(3)
    data = _ces(rng, 8, drop_week=6, shift=1.5)
    alerts = satisfaction_alerts(data)
    assert set(alerts["metric"]) == {"ces"}
    assert set(alerts["week"]) == {MONDAY + dt.timedelta(weeks=6)}
    top = alerts.iloc[0]
    assert top["value"] < top["baseline"] - 1.0  # reported on the survey's own scale
    # the same answers on an effort scale (higher = more effort): a rise is the drop
    effort = data.assign(score=8 - data["score"])
    flipped = satisfaction_alerts(effort, ces_higher_is_easier=False)
    assert set(flipped["week"]) == {MONDAY + dt.timedelta(weeks=6)}
    assert (flipped["value"] > flipped["baseline"]).all()
    steady = sum(len(satisfaction_alerts(_ces(rng, 12, None, 0.0))) for _ in range(5))
    assert steady <= 2
