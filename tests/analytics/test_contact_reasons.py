"""Contact reasons in the pipeline: labels kept, the rest classified, searches joined in the
engine, weekly counts that add up, a planted new topic proposed and a planted spike flagged."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("sudachipy")

from kizuki.analytics.contact_reasons import (
    CONTACT_REASON_TABLES,
    IntentConfig,
    write_contact_reasons,
)
from kizuki.store import Store

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


def _contacts() -> list[dict[str, object]]:
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


@pytest.fixture
def analyzed(store: Store, build_table: Any) -> Store:
    store.write_table("contacts", build_table("contacts", _contacts()))
    searches = [
        {"search_id": f"s{i}", "ts": START + dt.timedelta(days=i % 50), "query": q}
        for i, q in enumerate(["ログイン できない", "請求書 PDF 崩れ", "ログイン できない"] * 10)
    ]
    store.write_table("searches", build_table("searches", searches))
    config = IntentConfig(min_new_topic_texts=10, min_new_topic_size=4)
    written = write_contact_reasons(store, config=config)
    assert written == list(CONTACT_REASON_TABLES)
    return store


def _frame(store: Store, name: str):  # type: ignore[no-untyped-def]
    return store.to_arrow(store.table(name)).to_pandas()


def test_labels_are_kept_and_the_rest_classified(analyzed: Store) -> None:
    contacts = _frame(analyzed, "result_contact_intents")
    assert len(contacts) == 8 * 18 + 20  # every contact once
    labelled = contacts[contacts["labelled_intent"] != ""]
    assert (labelled["intent"] == labelled["labelled_intent"]).all()
    assert (labelled["source"] == "label").all()
    known = contacts[(contacts["labelled_intent"] == "") & contacts["contact_id"].le("c0144")]
    # unlabelled contacts with a known wording get that intent back
    texts = dict(
        zip(
            _frame(analyzed, "contacts")["contact_id"],
            _frame(analyzed, "contacts")["text"],
            strict=True,
        )
    )
    truth = {p: intent for intent, phrases in PHRASES.items() for p in phrases}
    right = [
        truth[texts[c]] == i for c, i in zip(known["contact_id"], known["intent"], strict=True)
    ]
    assert sum(right) >= 0.9 * len(right)
    new = contacts[contacts["contact_id"] > "c0144"]
    assert (new["source"] == "out_of_scope").mean() >= 0.8
    assert contacts["confidence"].between(0, 1).all()
    assert set(contacts.loc[contacts["source"] != "label", "language"]) <= {"ja", "en"}


def test_searches_get_their_query_intent(analyzed: Store) -> None:
    searches = _frame(analyzed, "result_search_intents")
    assert len(searches) == 30
    login = searches[searches["search_id"].isin([f"s{i}" for i in range(0, 30, 3)])]
    assert (login["intent"] == "login_trouble").all()
    queries = _frame(analyzed, "result_query_intents")
    assert queries["searches"].sum() == 30 and len(queries) == 2


def test_weekly_counts_add_up(analyzed: Store) -> None:
    weekly = _frame(analyzed, "result_intent_weekly")
    contacts = _frame(analyzed, "result_contact_intents")
    assert weekly["contacts"].sum() == (contacts["intent"] != "").sum()
    assert weekly["searches"].sum() == 30
    assert weekly["week"].map(lambda d: d.weekday()).eq(0).all()


def test_new_topic_is_proposed_with_examples(analyzed: Store) -> None:
    topics = _frame(analyzed, "result_new_topics")
    new_ids = {f"c{n:04d}" for n in range(145, 165)}
    assert topics["label"].str.contains("電子|帳簿").any()
    about = topics[topics["label"].str.contains("電子|帳簿|タイムスタンプ|検索|保存")]
    members = {c for ids in topics["contact_ids"] for c in json.loads(ids)}
    assert len(members & new_ids) >= 15  # most of the new topic's contacts are proposed
    assert members <= new_ids
    top = about.sort_values("contacts", ascending=False).iloc[0]
    assert all(e in NEW_TOPIC for e in json.loads(top["examples"]))
    assert f"{top['contacts']:,}" in top["description_en"]
    assert top["first_seen"] >= START + dt.timedelta(weeks=6)


def test_the_burst_is_flagged_as_emerging(analyzed: Store) -> None:
    emerging = _frame(analyzed, "result_emerging_intents")
    flagged = emerging[emerging["flagged"]]
    assert flagged["topic"].str.startswith("new_").any()
    assert not flagged["topic"].isin(list(PHRASES)).any()  # flat weekly volumes


@pytest.mark.spark
def test_same_tables_on_spark(analyzed: Store, spark_store: Store, build_table: Any) -> None:
    spark_store.write_table("contacts", build_table("contacts", _contacts()))
    searches = analyzed.to_arrow(analyzed.table("searches")).to_pylist()
    spark_store.write_table("searches", build_table("searches", searches))
    config = IntentConfig(min_new_topic_texts=10, min_new_topic_size=4)
    write_contact_reasons(spark_store, config=config)
    keys = {
        "result_contact_intents": ["contact_id"],
        "result_search_intents": ["search_id"],
        "result_intent_weekly": ["week", "intent"],
        "result_new_topics": ["topic_id"],
    }
    for name, key in keys.items():
        a = _frame(analyzed, name).sort_values(key).reset_index(drop=True)
        b = _frame(spark_store, name).sort_values(key).reset_index(drop=True)
        for column in a.columns:
            if a[column].dtype.kind == "M":  # Spark keeps timestamps in its session zone
                a[column] = a[column].dt.tz_convert("UTC")
                b[column] = pd.to_datetime(b[column], utc=True)
        pd.testing.assert_frame_equal(a, b[a.columns], check_dtype=False)
