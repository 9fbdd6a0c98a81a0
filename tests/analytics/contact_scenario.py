"""Contacts and searches for the contact-reason steps: three labelled intents in Japanese and
English, every fourth contact unlabelled, and a new, never-labelled topic that bursts in the
last two weeks.

Imported by the tests beside it (``from contact_scenario import ...``); not a test module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

START = dt.datetime(2026, 9, 7, 9, 0, tzinfo=dt.UTC)  # a Monday

PHRASES = {
    "login_trouble": [
        "ログインできません",
        "パスワードを入れてもログイン画面に戻されます",
        "I cannot log in to my account",
        "Login fails with an error every time",
        "昨日からログインできなくなりました",
        "The login page keeps sending me back",
    ],
    "invoice_pdf": [
        "請求書のPDFのレイアウトが崩れます",
        "請求書を印刷すると表が切れます",
        "The invoice PDF layout is broken",
        "Printing an invoice cuts off the table",
        "請求書PDFの文字がはみ出します",
        "My invoice PDF looks wrong when printed",
    ],
    "plan_change": [
        "プランを変更したいです",
        "上位プランへの変更方法を教えてください",
        "How do I change my plan?",
        "I want to upgrade to the business plan",
        "プラン変更の料金は日割りですか",
        "Can I downgrade my plan next month?",
    ],
}
NEW_TOPIC = [
    "電子帳簿保存法の改正に対応していますか",
    "電子帳簿保存法の検索要件を満たす設定はありますか",
    "電子帳簿保存法で紙の保存は不要になりますか",
    "電子帳簿保存法に対応したタイムスタンプはありますか",
]


def contacts() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    n = 0
    for week in range(8):
        for intent, phrases in PHRASES.items():
            for i, phrase in enumerate(phrases):
                n += 1
                labelled = (n % 4) != 0  # every fourth contact is unlabelled
                rows.append(
                    {
                        "contact_id": f"c{n:04d}",
                        "customer_id": f"C{n % 50:03d}",
                        "channel": "chatbot" if i % 3 == 0 else "email",
                        "opened_at": START + dt.timedelta(weeks=week, hours=i),
                        "subject": "",
                        "text": phrase,
                        "intent": intent if labelled else None,
                    }
                )
    # the new topic: none in the first six weeks, then a burst, never labelled
    for week, count in ((6, 6), (7, 14)):
        for i in range(count):
            n += 1
            rows.append(
                {
                    "contact_id": f"c{n:04d}",
                    "customer_id": f"C{n % 50:03d}",
                    "channel": "email",
                    "opened_at": START + dt.timedelta(weeks=week, hours=i),
                    "subject": "",
                    "text": NEW_TOPIC[i % len(NEW_TOPIC)],
                    "intent": None,
                }
            )
    return rows


def searches() -> list[dict[str, Any]]:
    """Thirty help searches of two queries, one of them twice as often."""
    return [
        {"search_id": f"s{i}", "ts": START + dt.timedelta(days=i % 50), "query": q}
        for i, q in enumerate(["ログイン できない", "請求書 PDF 崩れ", "ログイン できない"] * 10)
    ]
