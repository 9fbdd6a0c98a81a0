"""IntentClassifier on small Japanese and English support texts (conftest.py): its answers,
probabilities, input handling and the scikit-learn contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from kizuki.errors import ConfigError, NotFittedError
from kizuki.models.intents import IntentClassifier
from kizuki.models.intents.features import sentence_encoder_installed

OOS = "out_of_scope"


def test_new_phrasings_in_both_languages_get_their_intent(
    model: IntentClassifier, x_test: list[str], y_test: np.ndarray
) -> None:
    assert model.predict(x_test).tolist() == y_test.tolist()


def test_texts_about_something_else_are_out_of_scope(
    model: IntentClassifier, out_of_scope: list[str]
) -> None:
    assert model.predict(out_of_scope).tolist() == [OOS] * len(out_of_scope)


def test_oos_score_ranks_every_out_of_scope_text_above_every_in_scope_one(
    model: IntentClassifier, x_test: list[str], out_of_scope: list[str]
) -> None:
    assert model.oos_score(out_of_scope).min() > model.oos_score(x_test).max()


def test_parallel_fits_give_the_same_model(
    x_train: list[str], y_train: np.ndarray, x_test: list[str], out_of_scope: list[str]
) -> None:
    one = IntentClassifier().fit(x_train, y_train)
    two = IntentClassifier(n_jobs=2).fit(x_train, y_train)
    texts = x_test + out_of_scope
    np.testing.assert_array_equal(one.in_scope_proba(texts), two.in_scope_proba(texts))
    assert one.threshold_ == two.threshold_


def test_predict_with_proba_is_predict_and_in_scope_proba(
    model: IntentClassifier, x_test: list[str], out_of_scope: list[str]
) -> None:
    texts = x_test + out_of_scope + [""]
    labels, joint = model.predict_with_proba(texts)
    assert labels.tolist() == model.predict(texts).tolist()
    np.testing.assert_array_equal(joint, model.in_scope_proba(texts))


def test_probabilities_are_calibrated_rows(
    model: IntentClassifier, x_test: list[str], out_of_scope: list[str]
) -> None:
    proba = model.predict_proba(x_test + out_of_scope)
    joint = model.in_scope_proba(x_test + out_of_scope)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all(joint.sum(axis=1) <= 1.0 + 1e-12)
    # in scope, nearly all the mass is on one intent; out of scope, little is on any
    assert joint[: len(x_test)].max(axis=1).min() > 0.8
    assert joint[len(x_test) :].max(axis=1).max() < 0.5
    # float32 sentence vectors differ in the last bits with the batch they are encoded in
    expected = 1.0 - joint[: len(x_test)].max(axis=1)
    np.testing.assert_allclose(model.oos_score(x_test), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("empty", ["", "   ", "。！？", "\n\t"], ids=repr)
def test_empty_text_is_out_of_scope_with_uniform_probabilities(
    model: IntentClassifier, empty: str
) -> None:
    assert model.predict([empty]).tolist() == [OOS]
    np.testing.assert_allclose(model.predict_proba([empty]), [[0.25] * 4])
    assert model.oos_score([empty]).tolist() == [1.0]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        pytest.param("請求書が届かない" * 12_500, "invoice", id="japanese-100k"),
        pytest.param("cancel my plan " * 6_700, "cancel", id="english-100k"),
    ],
)
def test_very_long_text_is_classified(model: IntentClassifier, text: str, intent: str) -> None:
    assert len(text) >= 100_000
    assert model.predict([text]).tolist() == [intent]


def test_mixed_script_text_is_classified(model: IntentClassifier) -> None:
    texts = ["アプリで login できない", "invoice の PDF がダウンロードできない"]
    assert model.predict(texts).tolist() == ["login", "invoice"]


def test_training_examples_labelled_out_of_scope_are_learned_as_a_class(
    x_train: list[str], y_train: np.ndarray, out_of_scope: list[str]
) -> None:
    texts = x_train + out_of_scope * 2
    labels = np.concatenate([y_train, [OOS] * (2 * len(out_of_scope))])
    model = IntentClassifier().fit(texts, labels)
    assert OOS in model.classes_.tolist()
    assert model.predict(["来週の天気を教えて"]).tolist() == [OOS]
    assert model.predict(["請求書が届いていません"]).tolist() == ["invoice"]


def test_integer_labels_keep_their_type_unless_refused(
    x_train: list[str], y_train: np.ndarray, x_test: list[str]
) -> None:
    y = np.searchsorted(np.unique(y_train), y_train)
    model = IntentClassifier(oos_threshold=0.5).fit(x_train, y)
    assert model.predict(x_test[:2]).dtype.kind == "i"
    assert model.predict(["", x_test[0]]).tolist() == [OOS, 2]


def test_use_before_fit_raises_not_fitted(tmp_path: Path) -> None:
    model = IntentClassifier()
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict(["ログインできない"])
    with pytest.raises(NotFittedError):
        model.save(tmp_path / "model.kizuki")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param({"oos_threshold": 1.5}, "oos_threshold", id="threshold"),
        pytest.param({"oos_threshold": "sometimes"}, "oos_threshold", id="threshold-word"),
        pytest.param({"C": 0}, "C must be", id="C"),
        pytest.param({"cv": 1}, "cv must be", id="cv"),
        pytest.param({"encoder_weight": -0.1}, "encoder_weight", id="weight"),
        pytest.param({"validation_size": 1.0}, "validation_size", id="validation"),
    ],
)
def test_bad_hyperparameters_are_refused_naming_the_value(
    params: dict[str, Any], message: str, x_train: list[str], y_train: np.ndarray
) -> None:
    with pytest.raises(ConfigError, match=message):
        IntentClassifier(**params).fit(x_train, y_train)


def test_a_single_intent_is_always_predicted() -> None:
    model = IntentClassifier().fit(["ログインできない", "cannot log in"], ["login", "login"])
    assert model.predict(["ログイン", ""]).tolist() == ["login", OOS]


def _expected_failed_checks(estimator: IntentClassifier) -> dict[str, str]:
    return {
        "check_fit1d": "a 1-D array is a sequence of texts, this estimator's main input",
        "check_estimators_nan_inf": "NaN in X is a missing text, read as an empty one",
        **_SENTENCE_VECTOR_CHECKS,
    }


# The sentence-vector block's float32 vectors differ in the last bits with the batch a text is
# encoded in, so predictions of a permuted or split batch match only to ~1e-7.
_SENTENCE_VECTOR_CHECKS = (
    {
        "check_methods_sample_order_invariance": "float32 sentence vectors depend on the batch",
    }
    if sentence_encoder_installed()
    else {}
)


@parametrize_with_checks([IntentClassifier()], expected_failed_checks=_expected_failed_checks)
def test_scikit_learn_estimator_contract(estimator: IntentClassifier, check: Any) -> None:
    check(estimator)


def test_discoverer_is_reachable_from_the_intents_module() -> None:
    from kizuki.models import intents, topics

    assert intents.IntentDiscoverer is topics.IntentDiscoverer
    assert intents.propose_new_topics is topics.propose_new_topics
