"""What the store's own search log teaches the index: the queries that led to each article.

Past queries are *document expansion* learned from clicks: every article gets a field made of
the queries whose searcher clicked it (the same query once per click), indexed like its text.
A new query then meets an article through the words earlier searchers used for it, which are
often not the article's own (粗大ごみ → "大型ゴミ", 転入届 → "引っ越し"); several queries that
led to the same article act as learned synonyms of each other. Three signals come from it:

- ``clicks_words`` / ``clicks_chars``: BM25 over those queries (words; character n-grams);
- ``clicks_dense``: the highest cosine between the query and a past query of the article
  (with the sentence encoder);
- ``popularity``: ``log(1 + clicks)``, a prior for the articles people actually need.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kizuki.search.fields import Bm25Field, FloatArray
from kizuki.search.tokens import char_keys, word_terms

__all__ = ["CLICK_SIGNALS", "ClickModel"]

CLICK_SIGNALS = ("clicks_words", "clicks_chars", "clicks_dense", "popularity")


class ClickModel:
    """Click signals of ``n_docs`` articles from ``queries`` and the row of the article each
    led to (``rows``); ``vectors``: the queries' sentence vectors, or None without dense."""

    def __init__(
        self,
        queries: Sequence[str],
        rows: NDArray[np.int64],
        n_docs: int,
        *,
        k1: float,
        b: float,
        vectors: FloatArray | None,
    ) -> None:
        words: list[list[str]] = [[] for _ in range(n_docs)]
        for query, row in zip(queries, rows, strict=True):
            words[row].extend(word_terms(query))
        self.words = Bm25Field.from_terms(words, k1=k1, b=b)
        char_rows, keys = char_keys(queries)
        codes, uniques = pd.factorize(keys)
        vocab = {int(key): i for i, key in enumerate(uniques.tolist())}
        self.chars = Bm25Field(rows[char_rows], codes.astype(np.int64), n_docs, vocab, k1=k1, b=b)
        self.popularity = np.log1p(np.bincount(rows, minlength=n_docs)).astype(np.float32)
        self.rows = rows
        self.vectors = vectors
        self.n_docs = n_docs

    def dense(self, vector: FloatArray) -> FloatArray:
        """Per article, the highest cosine of ``vector`` to one of its past queries (0 if none)."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        if self.vectors is None or not len(self.rows):
            return out
        np.maximum.at(out, self.rows, np.clip(self.vectors @ vector, 0.0, None))
        return out
