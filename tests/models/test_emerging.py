"""emerging_topics: planted spikes are flagged, flat series and small wobbles are not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from kizuki.errors import ConfigError, SchemaError
from kizuki.models.emerging import emerging_topics


def weekly(counts: dict[str, list[int]]) -> pd.DataFrame:
    """One row per contact: weeks 1.. with the given counts per topic."""
    rows = [
        {"topic": topic, "week": week, "text": f"{topic} contact {week}-{i}"}
        for topic, series in counts.items()
        for week, n in enumerate(series, start=1)
        for i in range(n)
    ]
    return pd.DataFrame(rows)


def test_planted_spike_is_flagged_and_flat_series_is_not() -> None:
    df = weekly({"bookkeeping": [0, 1, 0, 1, 12], "login": [20, 22, 19, 21, 20]})
    out = emerging_topics(df).set_index("topic")
    assert bool(out.loc["bookkeeping", "flagged"]) is True
    assert bool(out.loc["login", "flagged"]) is False
    assert out.loc["bookkeeping", "count"] == 12
    assert out.loc["bookkeeping", "baseline"] == pytest.approx(0.5)
    assert out.loc["bookkeeping", "ratio"] == pytest.approx(24.0)
    assert out.loc["bookkeeping", "week"] == 5
    assert list(out.loc["bookkeeping", "examples"]) == [
        f"bookkeeping contact 5-{i}" for i in range(3)
    ]


def test_p_value_is_the_conditional_binomial_tail() -> None:
    df = weekly({"a": [2, 3, 1, 2, 9]})
    row = emerging_topics(df).iloc[0]
    # 9 recent vs 8 in 4 baseline weeks: P(X >= 9), X ~ Binomial(17, 1/5)
    assert row["p_value"] == pytest.approx(binom.sf(8, 17, 0.2))
    assert row["q_value"] == pytest.approx(row["p_value"])  # one topic: BH changes nothing


def test_benjamini_hochberg_adjusts_over_topics() -> None:
    df = weekly({"a": [2, 3, 1, 2, 9], "b": [5, 5, 5, 5, 5], "c": [1, 1, 1, 1, 6]})
    out = emerging_topics(df).set_index("topic")
    p = out["p_value"].sort_values()
    expected = np.minimum.accumulate((p * 3 / np.arange(1, 4)).to_numpy()[::-1])[::-1]
    assert out.loc[p.index, "q_value"].to_numpy() == pytest.approx(np.minimum(expected, 1))


@pytest.mark.parametrize(
    ("recent", "min_count", "flagged"),
    [(5, 5, True), (4, 5, False), (5, 6, False)],
    ids=["at-min-count", "one-below", "threshold-raised"],
)
def test_min_count_threshold_edge(recent: int, min_count: int, flagged: bool) -> None:
    df = weekly({"new": [0, 0, 0, 0, recent], "steady": [3, 3, 3, 3, 3]})
    out = emerging_topics(df, min_count=min_count).set_index("topic").loc[["new"]].reset_index()
    assert bool(out.loc[0, "flagged"]) is flagged
    assert out.loc[0, "ratio"] == np.inf


def test_min_ratio_keeps_significant_but_small_rises_out() -> None:
    df = weekly({"big": [100, 100, 100, 100, 150]})
    out = emerging_topics(df)
    assert out.loc[0, "q_value"] < 0.001
    assert not out.loc[0, "flagged"]
    assert emerging_topics(df, min_ratio=1.4).loc[0, "flagged"]


def test_recent_window_pools_weeks_and_as_of_moves_it() -> None:
    df = weekly({"a": [1, 1, 1, 1, 6, 6, 1]})
    latest = emerging_topics(df).iloc[0]
    assert latest["week"] == 7 and not latest["flagged"]
    pooled = emerging_topics(df, as_of=6, recent_weeks=2, baseline_weeks=4).iloc[0]
    assert pooled["count"] == 12 and pooled["baseline"] == 1.0 and pooled["flagged"]
    with pytest.raises(ConfigError, match="outside the weeks"):
        emerging_topics(df, as_of=99)


def test_timestamps_are_bucketed_into_monday_weeks_with_empty_weeks_counted() -> None:
    days = [f"2026-03-{d:02d}" for d in (2, 4, 9)] + ["2026-03-30"] * 6  # weeks of 3/2, 3/9, 3/30
    df = pd.DataFrame(
        {"intent": "refund", "ts": pd.to_datetime(days).tz_localize("Asia/Tokyo"), "text": "x"}
    )
    out = emerging_topics(df, topic_col="intent", time_col="ts")
    row = out.iloc[0]
    assert str(row["week"]) == "2026-03-30"
    assert row["count"] == 6
    assert row["baseline"] == pytest.approx(3 / 4)  # weeks 3/2, 3/9, 3/16, 3/23
    assert row["examples"] == ["x"]


def test_topic_without_baseline_weeks_is_listed_untested() -> None:
    out = emerging_topics(weekly({"a": [7]}))
    assert np.isnan(out.loc[0, "p_value"]) and not out.loc[0, "flagged"]


def test_empty_frame_gives_empty_result_and_missing_columns_are_named() -> None:
    empty = emerging_topics(pd.DataFrame({"topic": [], "week": [], "text": []}))
    assert list(empty.columns)[:3] == ["topic", "week", "count"] and empty.empty
    with pytest.raises(SchemaError, match="missing \\['text'\\]"):
        emerging_topics(pd.DataFrame({"topic": ["a"], "week": [1]}))
    assert (
        emerging_topics(pd.DataFrame({"topic": ["a"], "week": [1]}), text_col=None).loc[
            0, "examples"
        ]
        == []
    )


@pytest.mark.parametrize(
    "params",
    [{"recent_weeks": 0}, {"baseline_weeks": 0}, {"alpha": 0.0}, {"min_ratio": -1.0}],
    ids=["recent", "baseline", "alpha", "ratio"],
)
def test_bad_parameters_are_refused(params: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        emerging_topics(weekly({"a": [1, 2]}), **params)  # type: ignore[arg-type]
