"""Topic words: placeholders, numbers, particles and request words never make a topic."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from kizuki.models.topics import IntentDiscoverer, scrub, topic_words
from kizuki.models.topics.words import noun_phrases


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("お急ぎの場合は <PHONE> まで", "お急ぎの場合は まで"),
        ("担当 090-****-5678 です", "担当 です"),
        ("連絡先 <EMAIL>、<PHONE>-1234", "連絡先"),
        ("返信は taro.y@example.co.jp に", "返信は に"),
        ("注文番号 ORD-0098264 の件", "注文番号 の件"),
        ("[電話番号] か ●●●● まで", "か まで"),
        ("ＣＳＶの取込　３日前から", "csvの取込 日前から"),
    ],
    ids=["phone", "masked-phone", "glued-suffix", "email", "order-number", "brackets", "width"],
)
def test_scrub_removes_placeholders_masks_addresses_and_numbers(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("粗大ゴミの出し方を教えてください。", ["粗大塵", "出し方"]),
        ("住民票の発行には何が必要ですか？", ["住民票", "発行"]),
        ("ﾊﾟｽﾜｰﾄﾞを忘れてしまいました", ["パスワード", "忘れる"]),
        ("いつもお世話になっております。至急ご対応お願いします", []),
        ("明日の午前9時に佐藤から電話します", []),
        ("How do I reset my password?", ["reset", "password"]),
    ],
    ids=["request-verb", "necessity", "half-width-kana", "boilerplate", "time-name", "english"],
)
def test_topic_words_keep_what_a_text_is_about(text: str, expected: list[str]) -> None:
    assert topic_words(text) == expected


def test_noun_phrases_are_written_as_in_the_text() -> None:
    assert [p for p, _ in noun_phrases("大型ゴミの出し方を教えて")] == [
        "大型ゴミの出し方",
        "大型ゴミ",
        "出し方",
    ]
    assert noun_phrases("請求書を再発行してください")[0] == ("請求書を再発行", ("請求書", "再発行"))
    assert noun_phrases("reset my password") == []


SUBJECTS = ["粗大ゴミの出し方", "住民票の写しの取り方", "国民健康保険の加入手続き"]
FRAMES = [
    "{}を教えてください。",
    "{}について知りたいのですが、何が必要ですか？",
    "{}が分からなくて困っています。どうすればいいですか",
    "すみません、{}を教えていただけますか",
]


def test_request_words_and_particles_do_not_drive_topics() -> None:
    # Every subject in every frame: grouping by frame would give 4 topics of mixed subjects.
    texts, truth = [], []
    for (label, subject), frame in itertools.product(enumerate(SUBJECTS), FRAMES):
        for prefix in ("", "至急、", "お世話になります。"):
            texts.append(prefix + frame.format(subject))
            truth.append(label)
    model = IntentDiscoverer(embedding="tfidf").fit(texts)
    assert model.n_topics_ == 3
    assert adjusted_rand_score(truth, model.labels_) == 1.0
    terms = {t for topic in model.topics_ for t in topic.terms}
    assert not terms & {"教える", "必要", "分かる", "困る", "知る"}


CSV = ["CSVの取り込みでエラーになります", "CSVの取り込みで文字化けします", "CSVの取り込みが失敗"]
PDF = ["請求書のPDFが崩れます", "請求書のPDFがずれます", "請求書のPDFが開けません"]
CONTACTS = ["<PHONE>-{0}", "<EMAIL> / 090-****-{0}", "[電話番号] {0}"]


def test_redaction_placeholders_and_phone_suffixes_do_not_split_a_topic() -> None:
    # Each problem comes with three kinds of redacted contact, each with its own phone
    # suffix: the topics must be those of the problems written alone.
    rng = np.random.default_rng(0)
    texts, bodies, truth = [], [], []
    for label, problem in enumerate([CSV, PDF]):
        for body, contact in itertools.product(problem, CONTACTS):
            for _ in range(2):
                suffix = str(rng.integers(1000, 9999))
                texts.append(f"{body}\nご連絡は {contact.format(suffix)} まで")
                bodies.append(body)
                truth.append(label)
    model = IntentDiscoverer(embedding="tfidf").fit(texts)
    alone = IntentDiscoverer(embedding="tfidf").fit(bodies)
    assert adjusted_rand_score(alone.labels_, model.labels_) == 1.0
    two = IntentDiscoverer(2, embedding="tfidf").fit(texts)
    assert adjusted_rand_score(truth, two.labels_) == 1.0
    shown = " ".join(t.label + " ".join(t.terms) for t in model.topics_ + two.topics_).lower()
    assert "phone" not in shown and "email" not in shown and "電話" not in shown
