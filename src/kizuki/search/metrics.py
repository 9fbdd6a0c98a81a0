"""Retrieval metrics over judged queries: hit@1, hit@5, MRR and nDCG@10.

- A document of grade ≥ 1 is *relevant* for hit@k and MRR; nDCG uses the grades themselves as
  gains (linear gain, ``log2(rank + 1)`` discount, as trec_eval's ``ndcg_cut_10``), against the
  ideal ordering of every judged document of the query.
- MRR is the reciprocal rank of the first relevant document within the ranking returned (the
  index returns up to ``depth`` = 100 documents); 0 when none is returned.
- A query without any relevant document (not in the judgements, or only grade-0 ones) *counts*,
  with 0 on every metric, as the published figures on localgovFAQ count such queries: leaving
  them out would flatter a system. ``n_without_relevant`` says how many there were.

Examples
--------
>>> scores = score_rankings({"q1": ["a", "b"], "q2": ["c", "d"]}, {"q1": {"b": 2}, "q2": {"c": 1}})
>>> scores["hit@1"], scores["hit@5"], scores["mrr"], scores["n"]
(0.5, 1.0, 0.75, 2)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kizuki.errors import ConfigError

if TYPE_CHECKING:
    from kizuki.search.index import SearchIndex

__all__ = ["evaluate", "score_rankings"]

Qrels = Mapping[str, Mapping[str, int]]


def score_rankings(rankings: Mapping[str, Sequence[str]], qrels: Qrels) -> dict[str, Any]:
    """hit@1, hit@5, MRR and nDCG@10 of ``rankings`` (query id → document ids, best first),
    averaged over every query of ``rankings`` (see the module docstring)."""
    if not rankings:
        raise ConfigError("no queries to score; pass at least one judged query")
    totals = {"hit@1": 0.0, "hit@5": 0.0, "mrr": 0.0, "ndcg@10": 0.0}
    without = 0
    for qid, ranking in rankings.items():
        grades = {str(d): int(g) for d, g in (qrels.get(qid) or {}).items()}
        if not any(g >= 1 for g in grades.values()):
            without += 1
            continue
        ranks = [i for i, doc in enumerate(ranking, start=1) if grades.get(doc, 0) >= 1]
        first = ranks[0] if ranks else 0
        totals["hit@1"] += first == 1
        totals["hit@5"] += 0 < first <= 5
        totals["mrr"] += 1.0 / first if first else 0.0
        totals["ndcg@10"] += _ndcg(ranking, grades, 10)
    n = len(rankings)
    scores: dict[str, Any] = {key: value / n for key, value in totals.items()}
    scores["n"] = n
    scores["n_without_relevant"] = without
    return scores


def _ndcg(ranking: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """nDCG@k with linear gains; 0 when no judged document has a positive grade."""
    dcg = sum(
        max(grades.get(doc, 0), 0) / math.log2(i + 1) for i, doc in enumerate(ranking[:k], start=1)
    )
    ideal = sorted((g for g in grades.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 1) for i, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def evaluate(
    index: SearchIndex, queries: Mapping[str, str], qrels: Qrels, *, depth: int = 100
) -> dict[str, Any]:
    """Search ``index`` for each of ``queries`` (id → text) and score the rankings against
    ``qrels`` (id → {content_id: grade}): ``{"hit@1", "hit@5", "mrr", "ndcg@10", "n",
    "n_without_relevant"}``.

    >>> import pandas as pd
    >>> from kizuki.search import SearchIndex
    >>> docs = pd.DataFrame({"content_id": ["1", "2"], "title": ["請求書の再発行", "解約の方法"]})
    >>> evaluate(SearchIndex.build(docs), {"q": "解約したい"}, {"q": {"2": 1}})["hit@1"]
    1.0
    """
    if not queries:
        raise ConfigError("no queries to evaluate; pass at least one {query_id: text}")
    rankings = index.rank(list(queries.values()), depth)
    return score_rankings(dict(zip(queries, rankings, strict=True)), qrels)
