"""Content gaps and the self-service mismatch ranking."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from kizuki.analytics.selfservice import SelfServiceConfig
from kizuki.analytics.selfservice_gaps import (
    articles_by_intent,
    content_gaps,
    selfservice_mismatch,
)

CONFIG = SelfServiceConfig()


def _fit(rows: list[tuple[str, int, float, float, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["intent", "attempts", "success_rate", "ci_high", "recommendation"]
    )
    frame["channel"] = "self_service"
    frame["best_human_channel"] = "phone"
    return frame


def test_articles_by_intent_reads_json_lists_and_plain_lists() -> None:
    content = pd.DataFrame(
        {
            "content_id": ["a1", "a2", "a3", "a4"],
            "intents": ['["login"]', "billing; login", None, '["tax", "billing"]'],
        }
    )
    assert articles_by_intent(content) == {
        "login": ["a1", "a2"],
        "billing": ["a2", "a4"],
        "tax": ["a4"],
    }


def test_gaps_list_intents_without_articles_and_articles_that_do_not_resolve() -> None:
    fit = _fit(
        [
            ("login", 300, 0.9, 0.95, "digital_first"),
            ("csv", 200, 0.05, 0.1, "human"),
            ("bank", 400, 0.3, 0.4, "human"),
        ]
    )
    attempts = pd.DataFrame(
        {
            "channel": ["help_search"] * 4,
            "intent": ["csv", "csv", "bank", "login"],
            "seen_failure": [True, True, True, False],
            "query": ["CSV 文字化け", "CSV 文字化け", "銀行 連携", "login"],
            "linked": True,
            "customer_id": ["C1", "C2", "C3", "C4"],
        }
    )
    contacts = pd.DataFrame(
        {
            "channel": ["email", "email", "chatbot", "phone", "email"],
            "intent": ["csv", "bank", "login", "out_of_scope", "tax"],
        }
    )
    articles = {"login": ["a1"], "bank": ["b1", "b2"]}
    topics = pd.DataFrame({"topic_id": ["new_0"], "contacts": [40], "label": ["電帳法"]})
    gaps = content_gaps(fit, attempts, contacts, articles, topics, CONFIG).set_index("intent")
    assert gaps.loc["csv", "gap"] == "missing"
    assert json.loads(gaps.loc["csv", "example_queries"]) == ["CSV 文字化け"]
    assert gaps.loc["tax", "gap"] == "missing"  # contacts, no article, no searches
    assert gaps.loc["new_0", "gap"] == "missing" and gaps.loc["new_0", "label"] == "電帳法"
    assert gaps.loc["bank", "gap"] == "not_resolving" and gaps.loc["bank", "articles"] == 2
    assert "login" not in gaps.index  # good content is no gap
    assert "out_of_scope" not in gaps.index
    # missing first
    assert list(gaps["gap"]).index("not_resolving") > list(gaps["gap"]).index("missing")


def test_mismatch_ranks_by_revenue_then_failed_attempts() -> None:
    fit = _fit(
        [
            ("login", 300, 0.9, 0.95, "digital_first"),
            ("bank", 400, 0.3, 0.4, "human"),
            ("card", 100, 0.2, 0.3, "human"),
            ("plan", 300, 0.7, 0.8, "improve_content"),
            ("tiny", 5, 0.1, 0.5, "human"),
        ]
    )
    attempts = pd.DataFrame(
        {"intent": ["bank", "bank", "card"], "customer_id": ["C1", "C2", "C1"], "linked": True}
    )
    revenue = pd.DataFrame({"intent": ["card", "card", "bank"], "revenue_at_risk": [5.0, 6.0, 2.0]})
    ranked = selfservice_mismatch(fit, attempts, {"plan": ["p1"]}, revenue, CONFIG)
    assert ranked["intent"].tolist() == ["card", "bank", "plan"]  # login fits, tiny too few
    assert ranked["rank"].tolist() == [1, 2, 3]
    assert ranked["revenue_at_risk"].tolist() == [11.0, 2.0, 0.0]
    assert ranked.loc[ranked["intent"] == "bank", "customers"].item() == 2
    assert np.isclose(ranked.loc[ranked["intent"] == "plan", "failed_attempts"].item(), 90.0)
    assert json.loads(ranked.loc[ranked["intent"] == "plan", "articles"].item()) == ["p1"]
