"""hit@k, MRR and nDCG@10 against hand-computed values."""

from __future__ import annotations

import math

import pytest

from kizuki.errors import ConfigError
from kizuki.search import score_rankings


def test_metrics_match_hand_computed_values() -> None:
    rankings = {
        "a": ["x", "r1", "y", "r2"],  # first relevant at 2
        "b": ["r", "x"],  # at 1
        "c": ["x", "y", "z", "w", "v", "u"],  # none retrieved
    }
    qrels = {"a": {"r1": 1, "r2": 2}, "b": {"r": 2}, "c": {"q": 1}}
    scores = score_rankings(rankings, qrels)
    assert scores["hit@1"] == pytest.approx(1 / 3)
    assert scores["hit@5"] == pytest.approx(2 / 3)
    assert scores["mrr"] == pytest.approx((1 / 2 + 1 + 0) / 3)
    # a: DCG = 1/log2(3) + 2/log2(5); ideal = 2/log2(2) + 1/log2(3)
    ndcg_a = (1 / math.log2(3) + 2 / math.log2(5)) / (2 + 1 / math.log2(3))
    assert scores["ndcg@10"] == pytest.approx((ndcg_a + 1 + 0) / 3)
    assert scores["n"] == 3
    assert scores["n_without_relevant"] == 0


def test_hit_at_5_counts_rank_five_but_not_six() -> None:
    qrels = {"q": {"r": 1}}
    assert score_rankings({"q": ["a", "b", "c", "d", "r"]}, qrels)["hit@5"] == 1.0
    assert score_rankings({"q": ["a", "b", "c", "d", "e", "r"]}, qrels)["hit@5"] == 0.0


def test_grade_zero_is_not_relevant() -> None:
    scores = score_rankings({"q": ["z", "r"]}, {"q": {"z": 0, "r": 1}})
    assert scores["hit@1"] == 0.0
    assert scores["mrr"] == 0.5


def test_queries_without_a_relevant_document_count_as_misses() -> None:
    scores = score_rankings(
        {"q": ["r"], "none": ["r"], "zero": ["r"]}, {"q": {"r": 1}, "zero": {"r": 0}}
    )
    assert scores["n"] == 3
    assert scores["n_without_relevant"] == 2
    assert scores["hit@1"] == pytest.approx(1 / 3)
    assert scores["ndcg@10"] == pytest.approx(1 / 3)


def test_no_queries_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no queries"):
        score_rankings({}, {})
