"""The classifier's features: texts read from any sequence or from text columns, kana folded."""

from __future__ import annotations

import numpy as np
import pytest

from kizuki.models.intents import IntentClassifier

OOS = "out_of_scope"


def test_kana_variants_give_the_same_features(model: IntentClassifier) -> None:
    # the TF-IDF blocks (a sentence-vector block, where used, has its own view of kana)
    width = sum(len(v.vocabulary_) for v, _ in model.vectorizers_ if hasattr(v, "vocabulary_"))
    hiragana = model.featurize(["ろぐいん"])[:, :width]
    katakana = model.featurize(["ログイン"])[:, :width]
    assert hiragana.nnz > 0
    assert (hiragana != katakana).nnz == 0


def test_inputs_other_than_a_list_are_read_as_texts(
    x_train: list[str], y_train: np.ndarray, x_test: list[str]
) -> None:
    import pandas as pd

    model = IntentClassifier(oos_threshold=None).fit(np.array(x_train, dtype=object), y_train)
    expected = model.predict(x_test)
    assert model.predict(pd.Series(x_test)).tolist() == expected.tolist()
    assert model.predict(tuple(x_test)).tolist() == expected.tolist()
    assert model.predict([None, float("nan")]).tolist() == [OOS, OOS]
    with pytest.raises(ValueError, match="single str"):
        model.predict("ログインできない")


def test_text_columns_of_a_2d_array_are_joined(x_train: list[str], y_train: np.ndarray) -> None:
    subjects = np.array([t.split()[0] if " " in t else t for t in x_train], dtype=object)
    table = np.column_stack([subjects, np.array(x_train, dtype=object)])
    model = IntentClassifier(oos_threshold=None).fit(table, y_train)
    assert model.n_features_in_ == 2
    assert model.predict(np.array([["お問い合わせ", "請求書が届きません"]])).tolist() == ["invoice"]
    with pytest.raises(ValueError, match="Reshape your data"):
        model.predict(["請求書が届きません"])
