"""A second opinion averaged into the classifier: weights, class order, held-out choices."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from kizuki.models.intents import ENCODER_WEIGHTS, IntentClassifier


class KeywordClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A dummy second opinion: all its probability on the intent whose keyword a text has."""

    def __init__(self, keywords: dict[str, str] | None = None) -> None:
        self.keywords = keywords

    def fit(self, X: list[str], y: Any) -> KeywordClassifier:
        self.classes_ = np.unique(y)
        self.n_fits_ = getattr(self, "n_fits_", 0) + 1
        return self

    def predict_proba(self, X: list[str]) -> np.ndarray:
        keywords = self.keywords or {}
        proba = np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))
        for i, text in enumerate(X):
            for word, label in keywords.items():
                if word in text:
                    proba[i] = np.asarray(self.classes_ == label, dtype=float)
        return proba


def test_encoder_probabilities_are_averaged_in_with_their_weight(
    x_train: list[str], y_train: np.ndarray
) -> None:
    encoder = KeywordClassifier({"ログイン": "login"})
    alone = IntentClassifier(oos_threshold=None).fit(x_train, y_train)
    mixed = IntentClassifier(oos_threshold=None, encoder=encoder, encoder_weight=0.25)
    mixed.fit(x_train, y_train)
    texts = ["ログインの請求書", "請求書が届かない"]
    expected = 0.75 * alone.in_scope_proba(texts) + 0.25 * encoder.fit(
        x_train, y_train
    ).predict_proba(texts)
    np.testing.assert_allclose(mixed.in_scope_proba(texts), expected)
    assert mixed.encoder_ is not encoder  # cloned, as scikit-learn does
    assert mixed.encoder_.n_fits_ == 1  # refitted on everything after validation


def test_encoder_with_other_class_order_is_aligned(x_train: list[str], y_train: np.ndarray) -> None:
    class Reversed(KeywordClassifier):
        def fit(self, X: list[str], y: Any) -> Reversed:
            super().fit(X, y)
            self.classes_ = self.classes_[::-1]
            return self

    mixed = IntentClassifier(
        oos_threshold=None, encoder=Reversed({"zzz": "cancel"}), encoder_weight=1.0
    ).fit(x_train, y_train)
    assert mixed.predict(["zzz 請求書"]).tolist() == ["cancel"]


def test_encoder_held_out_probabilities_choose_the_auto_threshold(
    x_train: list[str], y_train: np.ndarray
) -> None:
    # With all the weight on an encoder that knows nothing (uniform probabilities), every
    # held-out confidence is 1/4, so the threshold that keeps every right answer is 1/4.
    model = IntentClassifier(encoder=KeywordClassifier(), encoder_weight=1.0, max_accuracy_drop=0)
    model.fit(x_train, y_train)
    assert model.threshold_ == pytest.approx(0.25)


def test_auto_encoder_weight_is_chosen_on_held_out_texts(
    x_train: list[str], y_train: np.ndarray
) -> None:
    # an encoder that knows nothing gets the smallest weight; one that is always right (its
    # keyword is every training text's intent label) gets the largest
    clueless = IntentClassifier(oos_threshold=None, encoder=KeywordClassifier())
    clueless.fit(x_train, y_train)
    assert clueless.encoder_weight_ == min(ENCODER_WEIGHTS)

    class Oracle(KeywordClassifier):
        def predict_proba(self, X: list[str]) -> np.ndarray:
            truth = dict(zip(x_train, y_train, strict=True))
            return np.array([self.classes_ == truth.get(t) for t in X], dtype=float)

    oracle = IntentClassifier(oos_threshold=None, encoder=Oracle()).fit(x_train, y_train)
    assert oracle.encoder_weight_ >= clueless.encoder_weight_
    assert oracle.encoder_weight_ in ENCODER_WEIGHTS


def test_clone_keeps_parameters() -> None:
    model = IntentClassifier(C=0.3, oos_threshold=0.4, encoder=KeywordClassifier())
    params = clone(model).get_params()
    assert params["C"] == 0.3 and params["oos_threshold"] == 0.4
