"""Scoring an intent model on labelled files: the metrics, the CSV reader's errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("sklearn")

from kizuki.errors import ConfigError, NotFoundError
from kizuki.models.evaluate import (
    evaluate_intents,
    read_labelled_csv,
    score_predictions,
)


def test_scores_by_hand() -> None:
    truth = ["a", "a", "b", "oos", "oos"]
    pred = ["a", "b", "b", "oos", "a"]
    s = score_predictions(truth, pred, [0.1, 0.5, 0.3, 0.9, 0.4], oos_label="oos")
    assert s["accuracy"] == pytest.approx(3 / 5)
    assert s["in_scope_accuracy"] == pytest.approx(2 / 3)
    assert s["oos_recall"] == pytest.approx(1 / 2)
    assert s["oos_precision"] == pytest.approx(1.0)
    # oos scores 0.9 and 0.4 against in-scope 0.1, 0.5, 0.3: 5 of 6 pairs ordered right
    assert s["auroc"] == pytest.approx(5 / 6)
    # macro-F1 over a, b, oos: F1(a)=2/3, F1(b)=2/3, F1(oos)=2/3
    assert s["macro_f1"] == pytest.approx((1 / 2 + 2 / 3 + 2 / 3) / 3)


def test_without_oos_label_only_accuracy_and_f1() -> None:
    s = score_predictions(["a", "b"], ["a", "a"])
    assert set(s) == {"n", "accuracy", "macro_f1"}


def test_reader_names_file_and_problem(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"missing\.csv"):
        read_labelled_csv(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("body,label\nhello,greet\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.csv.*missing column\(s\) text, intent"):
        read_labelled_csv(bad)
    sjis = tmp_path / "sjis.csv"
    sjis.write_bytes("text,intent\nログインできない,login\n".encode("cp932"))
    with pytest.raises(ConfigError, match="--encoding cp932"):
        read_labelled_csv(sjis)
    frame = read_labelled_csv(sjis, encoding="cp932")
    assert frame.to_dict("records") == [{"text": "ログインできない", "intent": "login"}]


def test_reader_drops_rows_without_text_or_intent(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text("text,intent\nhello,greet\n,greet\nbye,\n", encoding="utf-8")
    frame = read_labelled_csv(path)
    assert len(frame) == 1 and frame.attrs["dropped_rows"] == 2


def test_evaluate_trains_on_one_and_scores_the_other() -> None:
    phrases = {
        "login": [
            "cannot log in",
            "login fails",
            "ログインできない",
            "log in error",
            "ログイン失敗",
        ],
        "invoice": [
            "invoice pdf broken",
            "請求書が崩れる",
            "invoice layout",
            "請求書PDF",
            "pdf cut",
        ],
        "cancel": [
            "cancel my plan",
            "解約したい",
            "stop subscription",
            "退会方法",
            "cancel account",
        ],
    }
    rows = [(t, i) for i, ts in phrases.items() for t in ts]
    train = pd.DataFrame(rows * 3, columns=["text", "intent"])
    test = pd.DataFrame(
        [*rows, ("what is the weather tomorrow", "none"), ("好きな映画は何ですか", "none")],
        columns=["text", "intent"],
    )
    result = evaluate_intents(train, test, oos_label="none", model_kind="tfidf")
    assert result["in_scope_accuracy"] == pytest.approx(1.0)
    assert result["oos_recall"] == pytest.approx(1.0)
    assert result["intents"] == 3 and result["unseen_intents"] == []
    assert result["predict_texts_per_second"] > 0
    # closed accuracy leaves the threshold out: the two "none" texts get a known intent, wrong
    assert result["accuracy"] == pytest.approx(1.0)
    assert result["closed_accuracy"] == pytest.approx(15 / 17)
