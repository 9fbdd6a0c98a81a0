"""IntentClassifier on small Japanese and English support texts made here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from kizuki.errors import ConfigError, NotFittedError, NotFoundError
from kizuki.models.intents import ENCODER_WEIGHTS, IntentClassifier

TRAIN = {
    "login": [
        "ログインできません",
        "アプリにログインできない",
        "ログイン画面から先に進めません",
        "ログインしようとするとエラーになります",
        "昨日からログイン出来なくなりました",
        "ログインが失敗します",
        "サインインできない状態です",
        "ﾛｸﾞｲﾝできない",
        "I can't log in",
        "login fails on the app",
        "unable to sign in to my account",
        "the login page shows an error",
        "I cannot log into the website",
        "login keeps failing since yesterday",
        "sign in does not work",
        "can not login anymore",
    ],
    "password": [
        "パスワードを忘れました",
        "パスワードを再設定したい",
        "パスワード再設定のメールが届きません",
        "パスワードを変更する方法を教えてください",
        "パスワードがわからなくなった",
        "パスワードリセットができない",
        "パスワードの変更ができません",
        "ﾊﾟｽﾜｰﾄﾞを忘れた",
        "I forgot my password",
        "how do I reset my password",
        "password reset email never arrived",
        "I want to change my password",
        "reset password link does not work",
        "forgotten password help",
        "need a new password",
        "how to change the password",
    ],
    "invoice": [
        "請求書が届きません",
        "請求書をダウンロードしたい",
        "請求書の金額が間違っています",
        "請求書を再発行してください",
        "今月の請求書はどこで見られますか",
        "請求書のPDFが開けない",
        "請求書の宛名を変更したい",
        "請求書を送ってください",
        "I did not receive my invoice",
        "where can I download the invoice",
        "the invoice amount is wrong",
        "please resend the invoice",
        "invoice pdf will not open",
        "I need a copy of my invoice",
        "change the name on the invoice",
        "send me this month's invoice",
    ],
    "cancel": [
        "解約したいです",
        "契約を解約する方法を教えてください",
        "サービスを解約したい",
        "来月で解約をお願いします",
        "解約の手続きはどこからできますか",
        "有料プランを解約したい",
        "退会したいです",
        "解約手続きが完了しているか確認したい",
        "I want to cancel my subscription",
        "how do I cancel my plan",
        "please cancel my account",
        "cancel the service at the end of the month",
        "where is the cancel button",
        "I would like to cancel",
        "stop my subscription please",
        "cancel my paid plan",
    ],
}
TEST = {
    "login": ["ログインができない", "ｱﾌﾟﾘにログインできません", "can't log in to the app"],
    "password": [
        "パスワードを忘れてしまいました",
        "パスワードを再設定できません",
        "RESET MY PASSWORD",
    ],
    "invoice": ["請求書が届いていません", "請求書をダウンロードできない", "invoice not received"],
    "cancel": ["解約をお願いします", "プランを解約したい", "cancel my subscription"],
}
OUT_OF_SCOPE = [
    "明日の天気はどうですか",
    "おすすめのラーメン屋を教えて",
    "野球の試合結果は？",
    "今日は晴れて気持ちがいい",
    "what is the weather like tomorrow",
    "recommend a good pizza place",
    "who won the football game",
    "tell me a joke about cats",
]
OOS = "out_of_scope"


def _flatten(data: dict[str, list[str]]) -> tuple[list[str], np.ndarray]:
    texts = [t for texts in data.values() for t in texts]
    labels = np.array([label for label, texts in data.items() for _ in texts])
    return texts, labels


X_TRAIN, Y_TRAIN = _flatten(TRAIN)
X_TEST, Y_TEST = _flatten(TEST)


@pytest.fixture(scope="module")
def model() -> IntentClassifier:
    return IntentClassifier(oos_threshold=0.5).fit(X_TRAIN, Y_TRAIN)


def test_new_phrasings_in_both_languages_get_their_intent(model: IntentClassifier) -> None:
    assert model.predict(X_TEST).tolist() == Y_TEST.tolist()


def test_texts_about_something_else_are_out_of_scope(model: IntentClassifier) -> None:
    assert model.predict(OUT_OF_SCOPE).tolist() == [OOS] * len(OUT_OF_SCOPE)


def test_oos_score_ranks_every_out_of_scope_text_above_every_in_scope_one(
    model: IntentClassifier,
) -> None:
    assert model.oos_score(OUT_OF_SCOPE).min() > model.oos_score(X_TEST).max()


def test_auto_threshold_refuses_most_out_of_scope_texts_and_keeps_in_scope_ones() -> None:
    model = IntentClassifier(max_accuracy_drop=0.1).fit(X_TRAIN, Y_TRAIN)
    assert 0.0 < model.threshold_ < 1.0
    assert model.predict(X_TEST).tolist() == Y_TEST.tolist()
    assert np.mean(model.predict(OUT_OF_SCOPE) == OOS) >= 0.75


def test_auto_threshold_grows_with_the_accuracy_drop_allowed() -> None:
    strict = IntentClassifier(max_accuracy_drop=0.0).fit(X_TRAIN, Y_TRAIN)
    lenient = IntentClassifier(max_accuracy_drop=0.2).fit(X_TRAIN, Y_TRAIN)
    assert strict.heldout_accuracy_ is not None and strict.heldout_accuracy_ > 0.8
    assert 0.0 < strict.threshold_ < lenient.threshold_ < 1.0


def test_heldout_refused_is_the_share_of_held_out_texts_below_the_threshold() -> None:
    strict = IntentClassifier(max_accuracy_drop=0.0).fit(X_TRAIN, Y_TRAIN)
    lenient = IntentClassifier(max_accuracy_drop=0.2).fit(X_TRAIN, Y_TRAIN)
    none = IntentClassifier(oos_threshold=None).fit(X_TRAIN, Y_TRAIN)
    assert strict.heldout_refused_ is not None and lenient.heldout_refused_ is not None
    assert 0.0 <= strict.heldout_refused_ < lenient.heldout_refused_ <= 1.0
    assert none.heldout_refused_ == 0.0


def test_parallel_fits_give_the_same_model() -> None:
    one = IntentClassifier().fit(X_TRAIN, Y_TRAIN)
    two = IntentClassifier(n_jobs=2).fit(X_TRAIN, Y_TRAIN)
    texts = X_TEST + OUT_OF_SCOPE
    np.testing.assert_array_equal(one.in_scope_proba(texts), two.in_scope_proba(texts))
    assert one.threshold_ == two.threshold_


def test_a_model_pickled_before_n_jobs_existed_still_loads(model: IntentClassifier) -> None:
    state = dict(model.__getstate__())
    del state["n_jobs"], state["heldout_refused_"]
    old = IntentClassifier.__new__(IntentClassifier)
    old.__setstate__(state)
    assert old.get_params()["n_jobs"] is None and old.heldout_refused_ is None
    assert old.predict(X_TEST).tolist() == model.predict(X_TEST).tolist()


def test_predict_with_proba_is_predict_and_in_scope_proba(model: IntentClassifier) -> None:
    texts = X_TEST + OUT_OF_SCOPE + [""]
    labels, joint = model.predict_with_proba(texts)
    assert labels.tolist() == model.predict(texts).tolist()
    np.testing.assert_array_equal(joint, model.in_scope_proba(texts))


def test_without_threshold_every_text_with_known_features_gets_an_intent() -> None:
    model = IntentClassifier(oos_threshold=None).fit(X_TRAIN, Y_TRAIN)
    assert model.threshold_ == 0.0
    assert OOS not in model.predict(OUT_OF_SCOPE).tolist()


def test_probabilities_are_calibrated_rows(model: IntentClassifier) -> None:
    proba = model.predict_proba(X_TEST + OUT_OF_SCOPE)
    joint = model.in_scope_proba(X_TEST + OUT_OF_SCOPE)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all(joint.sum(axis=1) <= 1.0 + 1e-12)
    # in scope, nearly all the mass is on one intent; out of scope, little is on any
    assert joint[: len(X_TEST)].max(axis=1).min() > 0.8
    assert joint[len(X_TEST) :].max(axis=1).max() < 0.5
    np.testing.assert_allclose(model.oos_score(X_TEST), 1.0 - joint[: len(X_TEST)].max(axis=1))


@pytest.mark.parametrize("empty", ["", "   ", "。！？", "\n\t"], ids=repr)
def test_empty_text_is_out_of_scope_with_uniform_probabilities(
    model: IntentClassifier, empty: str
) -> None:
    assert model.predict([empty]).tolist() == [OOS]
    np.testing.assert_allclose(model.predict_proba([empty]), [[0.25] * 4])
    assert model.oos_score([empty]).tolist() == [1.0]


def test_empty_text_is_out_of_scope_even_without_threshold() -> None:
    model = IntentClassifier(oos_threshold=None).fit(X_TRAIN, Y_TRAIN)
    assert model.predict(["", "請求書が届きません"]).tolist() == [OOS, "invoice"]


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


def test_kana_variants_give_the_same_features(model: IntentClassifier) -> None:
    hiragana, katakana = model._features(["ろぐいん"]), model._features(["ログイン"])
    assert hiragana.nnz > 0
    assert (hiragana != katakana).nnz == 0


def test_inputs_other_than_a_list_are_read_as_texts() -> None:
    import pandas as pd

    model = IntentClassifier(oos_threshold=None).fit(np.array(X_TRAIN, dtype=object), Y_TRAIN)
    expected = model.predict(X_TEST)
    assert model.predict(pd.Series(X_TEST)).tolist() == expected.tolist()
    assert model.predict(tuple(X_TEST)).tolist() == expected.tolist()
    assert model.predict([None, float("nan")]).tolist() == [OOS, OOS]
    with pytest.raises(ValueError, match="single str"):
        model.predict("ログインできない")


def test_text_columns_of_a_2d_array_are_joined() -> None:
    subjects = np.array([t.split()[0] if " " in t else t for t in X_TRAIN], dtype=object)
    table = np.column_stack([subjects, np.array(X_TRAIN, dtype=object)])
    model = IntentClassifier(oos_threshold=None).fit(table, Y_TRAIN)
    assert model.n_features_in_ == 2
    assert model.predict(np.array([["お問い合わせ", "請求書が届きません"]])).tolist() == ["invoice"]
    with pytest.raises(ValueError, match="Reshape your data"):
        model.predict(["請求書が届きません"])


def test_training_examples_labelled_out_of_scope_are_learned_as_a_class() -> None:
    texts = X_TRAIN + OUT_OF_SCOPE * 2
    labels = np.concatenate([Y_TRAIN, [OOS] * (2 * len(OUT_OF_SCOPE))])
    model = IntentClassifier().fit(texts, labels)
    assert OOS in model.classes_.tolist()
    assert model.predict(["来週の天気を教えて"]).tolist() == [OOS]
    assert model.predict(["請求書が届いていません"]).tolist() == ["invoice"]


def test_integer_labels_keep_their_type_unless_refused() -> None:
    y = np.searchsorted(np.unique(Y_TRAIN), Y_TRAIN)
    model = IntentClassifier(oos_threshold=0.5).fit(X_TRAIN, y)
    assert model.predict(X_TEST[:2]).dtype.kind == "i"
    assert model.predict(["", X_TEST[0]]).tolist() == [OOS, 2]


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
    params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        IntentClassifier(**params).fit(X_TRAIN, Y_TRAIN)


def test_save_and_load_give_identical_probabilities(
    model: IntentClassifier, tmp_path: Path
) -> None:
    path = model.save(tmp_path / "intents.kizuki")
    header = json.loads(path.read_bytes().split(b"\n", 1)[0])
    assert header["format"] == "kizuki-intent-model"
    assert header["classes"] == ["cancel", "invoice", "login", "password"]
    loaded = IntentClassifier.load(path)
    texts = X_TEST + OUT_OF_SCOPE + [""]
    np.testing.assert_array_equal(loaded.predict_proba(texts), model.predict_proba(texts))
    assert loaded.predict(texts).tolist() == model.predict(texts).tolist()
    assert loaded.threshold_ == model.threshold_


def test_load_refuses_a_file_that_is_not_an_intent_model(tmp_path: Path) -> None:
    import joblib

    other = tmp_path / "other.joblib"
    joblib.dump({"weights": [1, 2, 3]}, other)
    with pytest.raises(NotFoundError, match="not a Kizuki intent model"):
        IntentClassifier.load(other)
    text = tmp_path / "notes.txt"
    text.write_text('{"format": "something-else"}\n', encoding="utf-8")
    with pytest.raises(NotFoundError, match="not a Kizuki intent model"):
        IntentClassifier.load(text)
    with pytest.raises(NotFoundError, match="does not exist"):
        IntentClassifier.load(tmp_path / "missing.kizuki")


def test_load_warns_when_saved_by_another_kizuki_version(
    model: IntentClassifier, tmp_path: Path
) -> None:
    path = model.save(tmp_path / "intents.kizuki")
    header, payload = path.read_bytes().split(b"\n", 1)
    old = json.loads(header) | {"kizuki_version": "0.0.1"}
    path.write_bytes(json.dumps(old).encode() + b"\n" + payload)
    with pytest.warns(UserWarning, match="saved by Kizuki 0.0.1"):
        IntentClassifier.load(path)


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


def test_encoder_probabilities_are_averaged_in_with_their_weight() -> None:
    encoder = KeywordClassifier({"ログイン": "login"})
    alone = IntentClassifier(oos_threshold=None).fit(X_TRAIN, Y_TRAIN)
    mixed = IntentClassifier(oos_threshold=None, encoder=encoder, encoder_weight=0.25)
    mixed.fit(X_TRAIN, Y_TRAIN)
    texts = ["ログインの請求書", "請求書が届かない"]
    expected = 0.75 * alone.in_scope_proba(texts) + 0.25 * encoder.fit(
        X_TRAIN, Y_TRAIN
    ).predict_proba(texts)
    np.testing.assert_allclose(mixed.in_scope_proba(texts), expected)
    assert mixed.encoder_ is not encoder  # cloned, as scikit-learn does
    assert mixed.encoder_.n_fits_ == 1  # refitted on everything after validation


def test_encoder_with_other_class_order_is_aligned() -> None:
    class Reversed(KeywordClassifier):
        def fit(self, X: list[str], y: Any) -> Reversed:
            super().fit(X, y)
            self.classes_ = self.classes_[::-1]
            return self

    mixed = IntentClassifier(
        oos_threshold=None, encoder=Reversed({"zzz": "cancel"}), encoder_weight=1.0
    ).fit(X_TRAIN, Y_TRAIN)
    assert mixed.predict(["zzz 請求書"]).tolist() == ["cancel"]


def test_encoder_held_out_probabilities_choose_the_auto_threshold() -> None:
    # With all the weight on an encoder that knows nothing (uniform probabilities), every
    # held-out confidence is 1/4, so the threshold that keeps every right answer is 1/4.
    model = IntentClassifier(encoder=KeywordClassifier(), encoder_weight=1.0, max_accuracy_drop=0)
    model.fit(X_TRAIN, Y_TRAIN)
    assert model.threshold_ == pytest.approx(0.25)


def test_auto_encoder_weight_is_chosen_on_held_out_texts() -> None:
    # an encoder that knows nothing gets the smallest weight; one that is always right (its
    # keyword is every training text's intent label) gets the largest
    clueless = IntentClassifier(oos_threshold=None, encoder=KeywordClassifier())
    clueless.fit(X_TRAIN, Y_TRAIN)
    assert clueless.encoder_weight_ == min(ENCODER_WEIGHTS)

    class Oracle(KeywordClassifier):
        def predict_proba(self, X: list[str]) -> np.ndarray:
            truth = dict(zip(X_TRAIN, Y_TRAIN, strict=True))
            return np.array([self.classes_ == truth.get(t) for t in X], dtype=float)

    oracle = IntentClassifier(oos_threshold=None, encoder=Oracle()).fit(X_TRAIN, Y_TRAIN)
    assert oracle.encoder_weight_ >= clueless.encoder_weight_
    assert oracle.encoder_weight_ in ENCODER_WEIGHTS


def test_a_single_intent_is_always_predicted() -> None:
    model = IntentClassifier().fit(["ログインできない", "cannot log in"], ["login", "login"])
    assert model.predict(["ログイン", ""]).tolist() == ["login", OOS]


def test_clone_keeps_parameters() -> None:
    model = IntentClassifier(C=0.3, oos_threshold=0.4, encoder=KeywordClassifier())
    params = clone(model).get_params()
    assert params["C"] == 0.3 and params["oos_threshold"] == 0.4


def _expected_failed_checks(estimator: IntentClassifier) -> dict[str, str]:
    return {
        "check_fit1d": "a 1-D array is a sequence of texts, this estimator's main input",
        "check_estimators_nan_inf": "NaN in X is a missing text, read as an empty one",
    }


@parametrize_with_checks([IntentClassifier()], expected_failed_checks=_expected_failed_checks)
def test_scikit_learn_estimator_contract(estimator: IntentClassifier, check: Any) -> None:
    check(estimator)


def test_discoverer_is_reachable_from_the_intents_module() -> None:
    from kizuki.models import intents, topics

    assert intents.IntentDiscoverer is topics.IntentDiscoverer
    assert intents.propose_new_topics is topics.propose_new_topics
