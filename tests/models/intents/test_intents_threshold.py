"""The out-of-scope threshold: chosen on held-out predictions within the accuracy budget."""

from __future__ import annotations

import numpy as np

from kizuki.models.intents import IntentClassifier
from kizuki.models.intents.threshold import choose_threshold

OOS = "out_of_scope"


def test_threshold_by_hand_keeps_all_but_the_allowed_right_answers() -> None:
    # four held-out in-scope texts, all right, confidences 0.9, 0.6, 0.4, 0.3: a drop of 0.25
    # (one of four) may refuse the least confident one, so the threshold is the second lowest
    heldout = np.array([[0.9, 0.05], [0.6, 0.1], [0.4, 0.2], [0.3, 0.1]])
    y_idx = np.array([0, 0, 0, 0])
    classes = np.array(["a", "b"])
    common = {"classes": classes, "oos_label": OOS, "oos_threshold": "auto"}
    choice = choose_threshold(heldout, y_idx, **common, max_accuracy_drop=0.25)
    assert choice.threshold == 0.4
    assert choice.accuracy == 1.0 and choice.refused == 0.25
    assert choose_threshold(heldout, y_idx, **common, max_accuracy_drop=0.0).threshold == 0.3
    fixed = choose_threshold(
        heldout, y_idx, classes=classes, oos_label=OOS, oos_threshold=0.5, max_accuracy_drop=0
    )
    assert fixed.threshold == 0.5 and fixed.refused == 0.5


def test_without_held_out_texts_the_threshold_is_the_given_one() -> None:
    common = {"classes": np.array(["a"]), "oos_label": OOS, "max_accuracy_drop": 0.01}
    assert choose_threshold(None, np.array([0]), **common, oos_threshold="auto").threshold == 0.0
    assert choose_threshold(None, np.array([0]), **common, oos_threshold=0.7).threshold == 0.7
    assert choose_threshold(None, np.array([0]), **common, oos_threshold=None).accuracy is None


def test_auto_threshold_refuses_most_out_of_scope_texts_and_keeps_in_scope_ones(
    x_train: list[str],
    y_train: np.ndarray,
    x_test: list[str],
    y_test: np.ndarray,
    out_of_scope: list[str],
) -> None:
    model = IntentClassifier(max_accuracy_drop=0.1).fit(x_train, y_train)
    assert 0.0 < model.threshold_ < 1.0
    assert model.predict(x_test).tolist() == y_test.tolist()
    assert np.mean(model.predict(out_of_scope) == OOS) >= 0.75


def test_auto_threshold_grows_with_the_accuracy_drop_allowed(
    x_train: list[str], y_train: np.ndarray
) -> None:
    strict = IntentClassifier(max_accuracy_drop=0.0).fit(x_train, y_train)
    lenient = IntentClassifier(max_accuracy_drop=0.2).fit(x_train, y_train)
    assert strict.heldout_accuracy_ is not None and strict.heldout_accuracy_ > 0.8
    assert 0.0 < strict.threshold_ < lenient.threshold_ < 1.0


def test_heldout_refused_is_the_share_of_held_out_texts_below_the_threshold(
    x_train: list[str], y_train: np.ndarray
) -> None:
    strict = IntentClassifier(max_accuracy_drop=0.0).fit(x_train, y_train)
    lenient = IntentClassifier(max_accuracy_drop=0.2).fit(x_train, y_train)
    none = IntentClassifier(oos_threshold=None).fit(x_train, y_train)
    assert strict.heldout_refused_ is not None and lenient.heldout_refused_ is not None
    assert 0.0 <= strict.heldout_refused_ < lenient.heldout_refused_ <= 1.0
    assert none.heldout_refused_ == 0.0


def test_without_threshold_every_text_with_known_features_gets_an_intent(
    x_train: list[str], y_train: np.ndarray, out_of_scope: list[str]
) -> None:
    model = IntentClassifier(oos_threshold=None).fit(x_train, y_train)
    assert model.threshold_ == 0.0
    assert OOS not in model.predict(out_of_scope).tolist()


def test_empty_text_is_out_of_scope_even_without_threshold(
    x_train: list[str], y_train: np.ndarray
) -> None:
    model = IntentClassifier(oos_threshold=None).fit(x_train, y_train)
    assert model.predict(["", "請求書が届きません"]).tolist() == [OOS, "invoice"]
