"""The features of the intent classifier: texts read from X, word and character TF-IDF.

:func:`texts_from` reads a 1-D sequence of texts, or a 2-D array of text columns joined with a
space per row (missing cells are empty texts). Word TF-IDF over
:func:`kizuki.models.text.tokenize` (SudachiPy words for Japanese, lower-case words for
English) next to character n-gram TF-IDF (inside word boundaries) over
``fold_kana(normalize(text))``, both with sublinear term frequency. Characters carry Japanese,
where words have no spaces, and spelling variants and typos.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from kizuki.models.base import as_text, refuse_single_text
from kizuki.models.text import fold_kana, normalize, tokenize

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["char_text", "fit_features", "texts_from", "transform_features", "vectorizers"]


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


def vectorizers(
    word_ngram_range: tuple[int, int], char_ngram_range: tuple[int, int]
) -> tuple[Any, Any]:
    """Unfitted word and character TF-IDF vectorizers."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    word = TfidfVectorizer(
        tokenizer=tokenize,
        token_pattern=None,
        lowercase=False,
        ngram_range=tuple(word_ngram_range),
        sublinear_tf=True,
        dtype=np.float32,
    )
    char = TfidfVectorizer(
        analyzer="char_wb",
        preprocessor=char_text,
        lowercase=False,
        ngram_range=tuple(char_ngram_range),
        sublinear_tf=True,
        dtype=np.float32,
    )
    return word, char


def fit_features(word: Any, char: Any, texts: list[str]) -> sp.csr_matrix:
    """Fit both vectorizers; the hstacked TF-IDF matrix of ``texts``."""
    import scipy.sparse as sp

    # A vocabulary can be empty (texts of punctuation only): sklearn then raises.
    blocks = []
    for vectorizer in (word, char):
        try:
            blocks.append(vectorizer.fit_transform(texts))
        except ValueError as err:
            if "empty vocabulary" not in str(err):
                raise
            vectorizer.set_params(vocabulary={" ": 0}).fit(texts)
            blocks.append(vectorizer.transform(texts))
    return sp.hstack(blocks, format="csr")


def transform_features(word: Any, char: Any, texts: list[str]) -> sp.csr_matrix:
    """The TF-IDF matrix of ``texts`` for fitted vectorizers."""
    import scipy.sparse as sp

    return sp.hstack([word.transform(texts), char.transform(texts)], format="csr")
