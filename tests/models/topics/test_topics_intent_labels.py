"""Topics kept as intents: labels a person would write, and `intents discover --out`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from kizuki.cli import app
from kizuki.models.evaluate import read_labelled_csv
from kizuki.models.topics import IntentDiscoverer

BULKY = [
    "大型ゴミの出し方を教えてください",
    "大型ゴミの出し方が分かりません",
    "大型ゴミの出し方について",
    "引っ越しで出た大型ゴミの出し方は？",
    "大型ゴミの出し方と料金を知りたい",
]
PASSWORD = [
    "パスワードを忘れました",
    "パスワードを忘れてログインできません",
    "管理者のパスワードを忘れた",
    "パスワードを忘れたので再設定したい",
    "アプリのパスワードを忘れました",
]
CERTIFICATE = [
    "住民票の写しはどこで取れますか",
    "住民票の写しが欲しい",
    "住民票の写しをコンビニで取りたい",
    "住民票の写しの手数料はいくら",
    "住民票の写しを郵送で請求したい",
]


def test_japanese_topics_are_labelled_with_a_phrase_from_their_texts() -> None:
    model = IntentDiscoverer(n_topics=3, embedding="tfidf").fit(BULKY + PASSWORD + CERTIFICATE)
    labels = {model.intent_labels()[i] for i in (0, 5, 10)}
    assert labels == {"大型ゴミの出し方", "パスワードを忘れる", "住民票の写し"}
    assert len({t.label for t in model.topics_}) == 3


def test_english_topics_keep_their_top_terms_and_labels_are_unique(
    en_sentences: tuple[list[str], np.ndarray],
) -> None:
    texts, _ = en_sentences
    model = IntentDiscoverer(n_topics=4, embedding="tfidf").fit(texts)
    names = model.intent_labels()
    assert names[0] == model.topics_[model.labels_[0]].label
    assert "password" in names[0].split(" / ")
    assert len({t.label for t in model.topics_}) == 4
    assert model.intent_labels(["I forgot my password"]) == [names[0]]


def test_discover_out_writes_text_intent_rows_that_training_reads(tmp_path: Path) -> None:
    data = tmp_path / "texts.csv"
    texts = BULKY + PASSWORD + CERTIFICATE
    with data.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["text"], *[[t] for t in texts]])
    out = tmp_path / "topics.csv"
    args = ["intents", "discover", str(data), "--topics", "3", "--seed", "7", "--json"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    topics = json.loads(result.output)
    frame = read_labelled_csv(out)
    assert frame["text"].tolist() == texts
    assert set(frame["intent"]) == {t["label"] for t in topics}
    assert frame["intent"].value_counts().to_dict() == {t["label"]: t["size"] for t in topics}
    again = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "again.csv")])
    assert json.loads(again.output) == topics
    assert (tmp_path / "again.csv").read_bytes() == out.read_bytes()


def test_discover_help_explains_seed_and_out() -> None:
    result = CliRunner().invoke(app, ["intents", "discover", "--help"])
    assert result.exit_code == 0
    for option in ("--seed", "--out", "--topics"):
        assert option in result.output
