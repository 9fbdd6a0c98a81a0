"""Small hand-made help content, Japanese and English, and a store holding it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("scipy")
pytest.importorskip("sudachipy")

ARTICLES = [
    (
        "pw",
        "パスワードを忘れた場合",
        "ログイン画面の「パスワードを忘れた方」から再設定メールを送ります。",
        "ja",
    ),
    ("bill", "請求書の再発行", "マイページの契約情報から請求書をダウンロードできます。", "ja"),
    (
        "cancel",
        "解約の手続き",
        "解約はマイページの契約情報から申し込みできます。月末で終了します。",
        "ja",
    ),
    ("apply", "サービスの申込方法", "お申込みはウェブのフォームから受け付けています。", "ja"),
    ("garbage", "ゴミの出し方", "燃えるゴミは月曜日と木曜日に出してください。", "ja"),
    ("login-en", "Cannot log in to the app", "Reset your password from the sign-in page.", "en"),
    ("invoice-en", "Download an invoice", "Invoices are under Billing in your account.", "en"),
]


@pytest.fixture
def docs() -> pd.DataFrame:
    return pd.DataFrame(ARTICLES, columns=["content_id", "title", "body", "language"]).assign(
        url=lambda d: "https://help.example.com/" + d["content_id"]
    )


@pytest.fixture
def content_csv(tmp_path: Path, docs: pd.DataFrame) -> Path:
    path = tmp_path / "content.csv"
    frame = docs.assign(kind="faq", intents="[]", updated_at="2026-01-01T00:00:00Z")
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def store_url(tmp_path: Path, content_csv: Path) -> str:
    import kizuki

    url = f"duckdb://{tmp_path / 'search.duckdb'}"
    with kizuki.open(url) as kz:
        results = kz.ingest("csv", [content_csv], table="content")
        assert results[0].rows_loaded == len(ARTICLES)
    return url


@pytest.fixture
def judged_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    import json

    corpus = {cid: f"Question: {title}\nAnswer: {body}" for cid, title, body, _ in ARTICLES}
    queries = {"0": "パスワード忘れた", "1": "請求書をもう一度ほしい", "2": "how to get my invoice"}
    qrels = {"0": {"pw": 2}, "1": {"bill": 2, "cancel": 0}, "2": {"invoice-en": 1}}
    paths = []
    for name, data in (("corpus", corpus), ("queries", queries), ("qrels", qrels)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1], paths[2]
