"""Help content and help search: articles, weekly search hit rate, failed queries."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from kizuki.analytics.content_step import (
    ContentConfig,
    article_table,
    failed_queries,
    group_failed_queries,
    search_weekly,
)
from kizuki.store import open_store

T0 = pd.Timestamp("2026-10-05 09:00", tz="UTC")  # a Monday


def test_failed_queries_are_normalised_grouped_and_ranked() -> None:
    rows = [
        # session a: a zero-result search (full-width and upper case variants)
        ("a", "search", "ＣＳＶ 読み込めない", 0, None),
        ("b", "search", "csv  読み込めない", 0, None),
        # session c: results but nothing opened
        ("c", "search", "請求書 再発行", 4, "billing"),
        # session d: results and an article opened: not failed
        ("d", "search", "請求書 再発行", 4, "billing"),
        ("d", "content", None, None, "billing"),
    ]
    frame = pd.DataFrame(
        rows, columns=["session_key", "help_kind", "query", "results_count", "intent"]
    )
    frame["ts"] = [T0 + pd.Timedelta(minutes=i) for i in range(len(frame))]
    frame["results_count"] = frame["results_count"].astype("Int64")
    queries = ibis.memtable(
        pd.DataFrame({"query": ["ＣＳＶ 読み込めない"], "intent": ["csv_import"]})
    )
    store = open_store("duckdb://")
    out = failed_queries(ibis.memtable(frame), queries, limit=10)(store)
    got = {(r.intent, r.query): (r.searches, r.zero_results) for r in out.itertuples()}
    assert got == {
        ("csv_import", "csv 読み込めない"): (1, 1),
        ("", "csv 読み込めない"): (1, 1),
        ("billing", "請求書 再発行"): (1, 0),
    }


def test_search_weekly_hit_zero_and_reformulation_rates() -> None:
    web = pd.DataFrame(
        {
            "intent": ["login"] * 4 + ["billing"],
            "ts": [T0, T0, T0 + pd.Timedelta(days=1), T0 + pd.Timedelta(days=8), T0],
            "searched": [True, True, True, True, False],
            "viewed": [True, True, False, True, True],
            "zero_results": [False, False, True, False, False],
            "queries": [1, 2, 1, 1, 0],
        }
    )
    contacted = pd.Series([False, True, False, False, False])
    weekly = search_weekly(web, contacted, "Asia/Tokyo").set_index(["intent"])
    first = weekly[weekly["week"] == weekly["week"].min()].loc["login"]
    assert first["searches"] == 3
    assert first["hit_rate"] == pytest.approx(1 / 3)  # opened and no contact
    assert first["zero_result_rate"] == pytest.approx(1 / 3)
    assert first["reformulation_rate"] == pytest.approx(1 / 3)
    assert "billing" not in weekly.index  # an article view without a search is no search


def test_article_table_marks_articles_not_found_and_not_resolving() -> None:
    n = 12
    views = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(2 * n)],
            "session_key": [f"s{i}" for i in range(2 * n)],
            "customer_id": [f"C{i}" for i in range(2 * n)],
            "ts": [T0] * (2 * n),
            "content_id": ["a1"] * n + ["a2"] * n,
            "seconds": [30] * (2 * n),
            "is_exit": [False] * (2 * n),
            "from_search": [True] * n + [False] * n,
            "entry": [False] * n + [True] * n,
        }
    )
    # half of a1's viewers contacted about login within the week
    contacts = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(0, n, 2)],
            "channel": "email",
            "opened_at": T0 + pd.Timedelta(days=1),
            "intent": "login",
        }
    )
    engagement = pd.DataFrame(
        {
            "content_id": ["a1", "a2"],
            "title": ["Login help", "Export"],
            "views": [n, n],
            "median_seconds": [30.0, 30.0],
            "exit_share": [0.0, 0.0],
        }
    )
    readability = pd.DataFrame(
        {
            "content_id": ["a1", "a2", "a3"],
            "title": ["Login help", "Export", "Unread"],
            "language": ["en"] * 3,
            "score": [70.0, 40.0, 80.0],
            "level": ["standard", "difficult", "easy"],
            "grade": [6.0, 12.0, 4.0],
            "flags": ["", "too_hard", ""],
        }
    )
    changes = pd.DataFrame({"content_id": ["a2"], "score_change": [-5.0]})
    table = article_table(
        views,
        engagement,
        readability,
        changes,
        contacts,
        {"a1": ["login"], "a2": ["export"]},
        7.0,
        ContentConfig(),
    ).set_index("content_id")
    assert table.loc["a1", "gap"] == "does_not_resolve"
    assert table.loc["a1", "contact_after_share"] == pytest.approx(0.5)
    assert table.loc["a2", "gap"] == "not_found"  # only ever reached by a link
    assert table.loc["a2", "entry_share"] == pytest.approx(1.0)
    assert table.loc["a2", "score_change"] == pytest.approx(-5.0)
    assert table.loc["a3", "views"] == 0 and table.loc["a3", "gap"] == ""
    assert np.isnan(table.loc["a1", "score_change"])


def test_failed_queries_without_an_intent_are_grouped_into_topics() -> None:
    """Two subjects no intent covers become two topics; a query with an intent keeps none; the
    same input and seed give the same topics; too few queries are left ungrouped."""
    garbage = [f"粗大ゴミ 出し方 {w}" for w in ("冷蔵庫", "ソファ", "自転車", "タンス", "机")]
    pension = [f"年金 手続き {w}" for w in ("書類", "期限", "窓口", "変更", "必要")]
    english = ["export invoice pdf", "invoice pdf download"]
    queries = garbage * 2 + pension * 2 + english
    intents = ["out_of_scope"] * 10 + [""] * 10 + ["invoice_download"] * 2
    failed = pd.DataFrame(
        {"intent": intents, "query": queries, "searches": np.arange(len(queries)) + 1}
    )
    grouped = group_failed_queries(failed, min_queries=10, seed=0)
    assert (grouped["topic"].iloc[-2:] == "").all()
    topics = grouped["topic"].iloc[:-2]
    assert (topics != "").all()
    assert topics.iloc[:10].nunique() == 1 and topics.iloc[10:20].nunique() == 1
    assert topics.iloc[0] != topics.iloc[10]
    assert "ゴミ" in topics.iloc[0] or "粗大" in topics.iloc[0]
    again = group_failed_queries(failed, min_queries=10, seed=0)
    pd.testing.assert_frame_equal(grouped, again)
    assert (group_failed_queries(failed, min_queries=21, seed=0)["topic"] == "").all()
