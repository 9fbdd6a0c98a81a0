"""Saving and loading an intent classifier: the file's header, refusals and old models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kizuki.errors import NotFoundError
from kizuki.models.intents import IntentClassifier


def test_save_and_load_give_identical_probabilities(
    model: IntentClassifier, tmp_path: Path, x_test: list[str], out_of_scope: list[str]
) -> None:
    path = model.save(tmp_path / "intents.kizuki")
    header = json.loads(path.read_bytes().split(b"\n", 1)[0])
    assert header["format"] == "kizuki-intent-model"
    assert header["classes"] == ["cancel", "invoice", "login", "password"]
    loaded = IntentClassifier.load(path)
    texts = x_test + out_of_scope + [""]
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


def test_a_model_pickled_before_n_jobs_existed_still_loads(
    model: IntentClassifier, x_test: list[str]
) -> None:
    state = dict(model.__getstate__())
    del state["n_jobs"], state["heldout_refused_"]
    old = IntentClassifier.__new__(IntentClassifier)
    old.__setstate__(state)
    assert old.get_params()["n_jobs"] is None and old.heldout_refused_ is None
    assert old.predict(x_test).tolist() == model.predict(x_test).tolist()
