"""Bm25Field: Lucene BM25 scores against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kizuki.search.fields import Bm25Field


def test_scores_match_lucene_bm25_by_hand() -> None:
    docs = [["a", "b", "a"], ["b"], ["c", "c"]]
    field = Bm25Field.from_terms(docs, k1=1.2, b=0.75)
    mean_length = 2.0

    def score(tf: int, length: int, df: int) -> float:
        idf = math.log(1 + (3 - df + 0.5) / (df + 0.5))
        return idf * tf / (tf + 1.2 * (0.25 + 0.75 * length / mean_length))

    expected = [score(2, 3, 1) + score(1, 3, 2), score(1, 1, 2), 0.0]
    np.testing.assert_allclose(field.scores(["a", "b"]), expected, rtol=1e-6)


def test_a_repeated_query_term_counts_twice_and_unknown_terms_nothing() -> None:
    field = Bm25Field.from_terms([["a"], ["b"]], k1=1.2, b=0.75)
    assert field.scores(["a", "a"])[0] == pytest.approx(2 * field.scores(["a"])[0])
    assert not field.scores(["zzz"]).any()


def test_a_field_without_terms_scores_zero() -> None:
    field = Bm25Field.from_terms([[], []], k1=1.2, b=0.75)
    assert field.scores(["a"]).tolist() == [0.0, 0.0]
