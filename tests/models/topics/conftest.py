"""Planted topics in Japanese and English, shared by the topic-discovery tests.

Each fixture gives ``(texts, truth)``: the texts and the planted topic number of each.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

EN_TOPICS = {
    "password": [
        "I forgot my password",
        "the password reset email never arrived",
        "how do I reset my password",
        "my password is not accepted",
    ],
    "refund": [
        "I want a refund for my order",
        "my refund has not arrived yet",
        "please refund the duplicate order",
        "when will the refund for the order come",
    ],
    "invoice": [
        "the invoice pdf is broken",
        "please resend the invoice",
        "the company name on the invoice is wrong",
        "I cannot download the invoice pdf",
    ],
    "cancel": [
        "I would like to cancel my subscription",
        "how do I cancel the subscription",
        "cancel my plan at the end of the month",
        "please cancel the subscription renewal",
    ],
}
EN_FRAMES = ["{}", "hello, {} thanks", "hi team: {} regards"]

JA_TOPICS = {
    "password": [
        "パスワードを忘れました",
        "パスワード再設定のメールが届きません",
        "パスワードを変更したいです",
        "パスワードが違うと表示されます",
    ],
    "invoice": [
        "請求書のPDFが崩れています",
        "請求書を再発行してください",
        "請求書の宛名が間違っています",
        "請求書をダウンロードできません",
    ],
    "cancel": [
        "解約したいです",
        "解約の手続きを教えてください",
        "来月末で解約をお願いします",
        "解約の締め日はいつですか",
    ],
}
JA_FRAMES = [
    "{}",
    "いつもお世話になっております。{}",
    "お世話になります。{}よろしくお願いいたします。",
]


def planted(topics: dict[str, list[str]], frames: list[str]) -> tuple[list[str], np.ndarray]:
    """Every core sentence in every frame; labels are the planted topic numbers."""
    texts, labels = [], []
    for label, (_, cores) in enumerate(topics.items()):
        for core, frame in itertools.product(cores, frames):
            texts.append(frame.format(core))
            labels.append(label)
    return texts, np.array(labels)


KEYWORDS_EN = {
    "password": ["password", "reset", "forgot", "login", "email"],
    "refund": ["refund", "order", "money", "returned", "back"],
    "invoice": ["invoice", "pdf", "download", "billing", "address"],
    "cancel": ["cancel", "subscription", "plan", "renewal", "end"],
}
KEYWORDS_JA = {
    "password": ["パスワード", "再設定", "忘れる", "ログイン", "メール"],
    "invoice": ["請求書", "PDF", "再発行", "宛名", "ダウンロード"],
    "cancel": ["解約", "手続き", "締め日", "プラン", "退会"],
}
FILLERS_EN = ["hello", "today", "urgent", "again", "team", "thanks"]
FILLERS_JA = ["至急", "昨日から", "今日", "すみません", "教えて", "困っています"]


def keyword_texts(
    topics: dict[str, list[str]], fillers: list[str], japanese: bool, per_topic: int = 10
) -> tuple[list[str], np.ndarray]:
    """Clean planted topics: each text has 3 of its topic's 5 keywords and 1 shared filler."""
    rng = np.random.default_rng(0)
    texts, labels = [], []
    for label, words in enumerate(topics.values()):
        combos = list(itertools.combinations(words, 3))
        for i in rng.permutation(len(combos))[:per_topic]:
            filler = fillers[rng.integers(len(fillers))]
            picked = list(combos[i])
            texts.append(
                "の".join(picked) + "、" + filler if japanese else " ".join([*picked, filler])
            )
            labels.append(label)
    return texts, np.array(labels)


@pytest.fixture(scope="session")
def en_sentences() -> tuple[list[str], np.ndarray]:
    """EN_TOPICS in every frame: password 0, refund 1, invoice 2, cancel 3 (12 texts each)."""
    return planted(EN_TOPICS, EN_FRAMES)


@pytest.fixture(scope="session")
def ja_sentences() -> tuple[list[str], np.ndarray]:
    """JA_TOPICS in every frame: password 0, invoice 1, cancel 2 (12 texts each)."""
    return planted(JA_TOPICS, JA_FRAMES)


@pytest.fixture(scope="session")
def ja_keyword_texts() -> tuple[list[str], np.ndarray]:
    """Clean Japanese keyword texts: password 0, invoice 1, cancel 2 (10 texts each)."""
    return keyword_texts(KEYWORDS_JA, FILLERS_JA, japanese=True)


@pytest.fixture(scope="session", params=["en", "ja"])
def clean_keyword_texts(request: pytest.FixtureRequest) -> tuple[list[str], np.ndarray]:
    """Clean keyword texts in English (4 topics) and in Japanese (3 topics)."""
    if request.param == "en":
        return keyword_texts(KEYWORDS_EN, FILLERS_EN, japanese=False)
    return keyword_texts(KEYWORDS_JA, FILLERS_JA, japanese=True)


@pytest.fixture(scope="session", params=["en", "ja"])
def sentences(request: pytest.FixtureRequest) -> tuple[list[str], np.ndarray]:
    """The planted sentences in English, then in Japanese."""
    return planted(*((EN_TOPICS, EN_FRAMES) if request.param == "en" else (JA_TOPICS, JA_FRAMES)))
