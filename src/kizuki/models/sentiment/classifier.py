"""The sentiment classifier: the intent model's text features, the lexicon's, and a logistic
regression.

Unfitted it cannot predict; fitted on labelled texts (a team's own labels, or survey comments
labelled by their scores: docs/voice.md) it learns the words of that team's customers, with the
dictionaries' six numbers (:func:`~kizuki.models.sentiment.lexicon.lexicon_features`) as one
more feature block so that what the labels never showed is still read. Where there are no
labels at all, :func:`~kizuki.models.sentiment.lexicon.lexicon_labels` is the zero-shot answer.

Examples
--------
>>> texts = ["great, thanks", "terrible, still broken", "where is my order", "love it",
...          "awful service", "what are your hours"] * 5
>>> labels = ["positive", "negative", "neutral", "positive", "negative", "neutral"] * 5
>>> SentimentClassifier().fit(texts, labels).predict(["thanks, great help"]).tolist()
['positive']
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin

from kizuki.models.base import check_fitted, refuse_single_text
from kizuki.models.intents.features import (
    RECIPES,
    fit_features,
    recipe_vectorizers,
    texts_from,
    transform_features,
)
from kizuki.models.sentiment.lexicon import lexicon_features
from kizuki.models.text import detect_language

__all__ = ["SentimentClassifier"]

#: Feature recipes by language (:data:`kizuki.models.intents.features.RECIPES`); measured on
#: the airline tweets and chABSA in docs/benchmarks.md, "Sentiment".
_RECIPE = {"ja": "ja-char", "en": "en-many"}


class SentimentClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Negative, neutral or positive (or whatever labels ``fit`` is given) for short texts.

    Parameters
    ----------
    recipe
        ``auto`` (by the share of Japanese in the training texts) or a name of
        :data:`~kizuki.models.intents.features.RECIPES` (``use`` recipes need
        ``kizuki[multilingual]``).
    lexicon_weight
        Weight of the dictionaries' feature block (0 leaves it out).
    C
        Inverse regularisation of the logistic regression.
    """

    def __init__(self, recipe: str = "auto", lexicon_weight: float = 1.0, C: float = 4.0) -> None:
        self.recipe = recipe
        self.lexicon_weight = lexicon_weight
        self.C = C

    def _features(self, texts: list[str], fit: bool) -> Any:
        import scipy.sparse as sp

        text_block = (
            fit_features(self.blocks_, texts) if fit else transform_features(self.blocks_, texts)
        )
        if self.lexicon_weight == 0:
            return text_block
        lexicon = lexicon_features(texts) * self.lexicon_weight
        return sp.hstack([text_block, sp.csr_matrix(lexicon)], format="csr")

    def fit(self, X: Any, y: Any) -> SentimentClassifier:
        """Learn from texts ``X`` and their labels ``y`` (at least two distinct labels)."""
        from sklearn.linear_model import LogisticRegression

        refuse_single_text(X, "SentimentClassifier", ValueError)
        texts, _ = texts_from(X)
        labels = np.asarray(y, dtype=object).astype(str)
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        if len(set(labels.tolist())) < 2:
            raise ValueError("SentimentClassifier needs at least two distinct labels to learn")
        recipe = self.recipe if self.recipe != "auto" else _recipe_for(texts)
        if recipe not in RECIPES:
            raise ValueError(f"unknown recipe {recipe!r}; choose from auto, {sorted(RECIPES)}")
        self.recipe_ = recipe
        self.blocks_ = recipe_vectorizers(recipe)
        features = self._features(texts, fit=True)
        self.model_ = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000)
        self.model_.fit(features, labels)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Probabilities per text and label (columns in the order of ``classes_``)."""
        check_fitted(self, "model_", "SentimentClassifier.fit(texts, labels)")
        refuse_single_text(X, "SentimentClassifier", ValueError)
        texts, _ = texts_from(X)
        if not texts:
            return np.zeros((0, len(self.classes_)))
        proba: NDArray[np.float64] = self.model_.predict_proba(self._features(texts, fit=False))
        return proba

    def predict(self, X: Any) -> NDArray[Any]:
        """The most probable label per text."""
        proba = self.predict_proba(X)
        out: NDArray[Any] = self.classes_[proba.argmax(axis=1)] if len(proba) else self.classes_[:0]
        return out


def _recipe_for(texts: list[str]) -> str:
    """``ja-char`` when at least half of a sample of the texts is Japanese, else ``en-many``."""
    sample = texts if len(texts) <= 2000 else texts[:: len(texts) // 2000]
    nonblank = [t for t in sample if t.strip()]
    japanese = sum(detect_language(t) == "ja" for t in nonblank)
    return _RECIPE["ja" if nonblank and 2 * japanese >= len(nonblank) else "en"]
