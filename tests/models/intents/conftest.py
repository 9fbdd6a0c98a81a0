"""Small Japanese and English support texts made here, shared by the intent-classifier tests.

Four intents (login, password, invoice, cancel) in both languages, new phrasings of them, and
texts about something else (out of scope).
"""

from __future__ import annotations

import numpy as np
import pytest

from kizuki.models.intents import IntentClassifier

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


def _flatten(data: dict[str, list[str]]) -> tuple[list[str], np.ndarray]:
    texts = [t for texts in data.values() for t in texts]
    labels = np.array([label for label, texts in data.items() for _ in texts])
    return texts, labels


@pytest.fixture(scope="session")
def x_train() -> list[str]:
    """Training texts, 16 per intent."""
    return _flatten(TRAIN)[0]


@pytest.fixture(scope="session")
def y_train() -> np.ndarray:
    """The intent of each training text."""
    return _flatten(TRAIN)[1]


@pytest.fixture(scope="session")
def x_test() -> list[str]:
    """New phrasings, 3 per intent."""
    return _flatten(TEST)[0]


@pytest.fixture(scope="session")
def y_test() -> np.ndarray:
    """The intent of each new phrasing."""
    return _flatten(TEST)[1]


@pytest.fixture(scope="session")
def out_of_scope() -> list[str]:
    """Texts about something else (weather, food, sports, jokes)."""
    return list(OUT_OF_SCOPE)


@pytest.fixture(scope="module")
def model(x_train: list[str], y_train: np.ndarray) -> IntentClassifier:
    """A classifier fitted on the training texts, with a fixed out-of-scope threshold 0.5."""
    return IntentClassifier(oos_threshold=0.5).fit(x_train, y_train)
