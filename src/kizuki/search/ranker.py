"""The learned combination of the search signals: a weighted sum of per-query normalised
scores, its weights fitted by coordinate ascent on a ranking metric.

For each query the index scores a few hundred *candidates* (the best of its first-stage BM25 and
dense scores) on every signal; each signal is min-max normalised over the candidates (so a
signal's scale, which varies from query to query, does not matter), and the final score is
``sum(weight * normalised signal)`` with weights that sum to 1. A learned ranking also gives
each signal's z-score over the candidates (:func:`standardise`) a weight: min-max lets one
outlier squeeze every other candidate towards 0, the z-score does not (on localgovFAQ this adds
about +0.02 hit@1, within the noise of 375 queries but in every signal set tried).

:func:`fit_weights` is coordinate ascent (Metzler & Croft, "Linear feature-based models for
information retrieval", 2007): starting from the given weights, try each weight in turn at each
value of a small grid, keep a change only when it raises the metric (MRR by default) over the
training queries, and stop after a pass without a gain. It optimises the metric itself, needs no
learning rate, and with a handful of signals takes well under a second for 300 queries. Ties
between candidates keep their first-stage order, so a degenerate weight vector (all ties) cannot
look good.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from kizuki.errors import ConfigError

__all__ = ["METRICS", "fit_weights", "normalise", "standardise"]

METRICS = ("mrr", "hit@1", "ndcg@10")
GRID = (0.0, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0)
_EPS = 1e-7


def normalise(features: NDArray[np.float64]) -> NDArray[np.float64]:
    """Min-max normalise each column of ``features`` (candidates × signals) to [0, 1]."""
    low = features.min(axis=0, keepdims=True)
    span = features.max(axis=0, keepdims=True) - low
    out: NDArray[np.float64] = np.divide(
        features - low, span, out=np.zeros_like(features), where=span > 0
    )
    return out


def standardise(features: NDArray[np.float64]) -> NDArray[np.float64]:
    """Z-score each column of ``features`` (candidates × signals) over the candidates (0 for a
    constant column): unlike min-max, a lone outlier does not squeeze the other candidates."""
    spread = features.std(axis=0, keepdims=True)
    out: NDArray[np.float64] = np.divide(
        features - features.mean(axis=0, keepdims=True),
        spread,
        out=np.zeros_like(features),
        where=spread > 0,
    )
    return out


def fit_weights(
    groups: Sequence[tuple[NDArray[np.float64], NDArray[np.float64]]],
    start: NDArray[np.float64],
    *,
    metric: str = "mrr",
    n_passes: int = 5,
) -> tuple[NDArray[np.float64], float]:
    """Weights (summing to 1) that maximise ``metric`` over ``groups`` — one
    ``(normalised features, grades)`` pair per training query, candidates in first-stage order —
    and the metric they reach. Queries without a relevant candidate cannot change the order of
    any weights and are left out."""
    if metric not in METRICS:
        raise ConfigError(f"unknown ranking metric {metric!r}; use one of {list(METRICS)}")
    useful = [(x, g) for x, g in groups if len(g) and (g >= 1).any()]
    if not useful:
        raise ConfigError(
            "none of the judged queries has a relevant document among its candidates; "
            "check that the judgements use the index's content ids"
        )
    width = max(len(g) for _, g in useful)
    n_signals = start.shape[0]
    features = np.zeros((len(useful), width, n_signals))
    grades = np.zeros((len(useful), width))
    valid = np.zeros((len(useful), width), dtype=bool)
    for i, (x, g) in enumerate(useful):
        features[i, : len(g)] = x
        grades[i, : len(g)] = g
        valid[i, : len(g)] = True
    order_penalty = _EPS * np.arange(width)[None, :]

    def objective(weights: NDArray[np.float64]) -> float:
        scores = np.where(valid, features @ weights - order_penalty, -np.inf)
        return _metric(scores, grades, metric)

    weights = np.asarray(start, dtype=np.float64).copy()
    best = objective(weights)
    for _ in range(n_passes):
        improved = False
        for j in range(n_signals):
            for value in GRID:
                if value == weights[j]:
                    continue
                trial = weights.copy()
                trial[j] = value
                if not trial.any():
                    continue
                score = objective(trial)
                if score > best + 1e-12:
                    best, weights, improved = score, trial, True
        if not improved:
            break
    return weights / weights.sum(), best


def _metric(scores: NDArray[np.float64], grades: NDArray[np.float64], metric: str) -> float:
    """Mean ``metric`` of score rows against grade rows (padding scores are -inf)."""
    relevant = grades >= 1
    best_relevant = np.where(relevant, scores, -np.inf).max(axis=1, keepdims=True)
    rank = 1 + (scores > best_relevant).sum(axis=1)
    if metric == "mrr":
        return float(np.mean(1.0 / rank))
    if metric == "hit@1":
        return float(np.mean(rank == 1))
    top = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    gains = np.take_along_axis(grades, top, axis=1)
    discount = 1.0 / np.log2(np.arange(2, top.shape[1] + 2))
    ideal = -np.sort(-grades, axis=1)[:, : top.shape[1]]
    return float(np.mean((gains @ discount) / np.maximum(ideal @ discount, 1e-12)))
