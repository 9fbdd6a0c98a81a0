"""What helped others (remedies), the P(alive)-falling trigger and P(save) learned from past
outreach, on hand-made data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kizuki
from kizuki.outreach.alive_trigger import alive_scores, with_alive
from kizuki.outreach.p_save import learned_p_save
from kizuki.outreach.remedies import best_remedies, customer_intents, customer_remedies

CUT = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


def test_best_remedies_pick_the_most_resolving_channel_and_article() -> None:
    selfservice = pd.DataFrame(
        {
            "intent": ["bank", "bank", "bank", "bank", "pdf"],
            "channel": ["self_service", "help_search", "chat", "phone", "email"],
            "attempts": [500, 400, 100, 5, 50],
            "success_rate": [0.99, 0.6, 0.9, 1.0, 0.7],  # phone: too few attempts to trust
        }
    )
    articles = pd.DataFrame(
        {
            "content_id": ["kb-1", "kb-2", "kb-3", "kb-4"],
            "intent": ["bank", "bank", "bank", "pdf"],
            "title": ["A", "B", "C", "D"],
            "views": [100, 80, 3, 50],
            "contact_after_share": [0.3, 0.1, 0.0, np.nan],  # kb-3: read too rarely
        }
    )
    best = best_remedies(selfservice, articles).set_index("intent")
    assert best.loc["bank", ["channel", "article", "article_title"]].tolist() == [
        "chat",
        "kb-2",
        "B",
    ]
    assert best.loc["pdf", "channel"] == "email" and pd.isna(best.loc["pdf", "article"])
    assert best_remedies(None, None).empty


def test_a_customer_s_intent_is_their_latest_struggle_else_their_latest_contact() -> None:
    struggles = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "ts": pd.to_datetime(["2026-09-01", "2026-09-05", "2026-09-02"], utc=True),
            "intent": ["bank", "pdf", None],
        }
    )
    contacts = pd.DataFrame(
        {
            "customer_id": ["a", "b", "b", "c"],
            "opened_at": pd.to_datetime(
                ["2026-09-09", "2026-09-01", "2026-09-03", "2026-09-04"], utc=True
            ),
            "intent": ["login", "login", "invoice", ""],
        }
    )
    intents = customer_intents(struggles, contacts)
    assert intents.to_dict() == {"a": "pdf", "b": "invoice"}  # c's contact had no intent
    remedies = pd.DataFrame(
        {"intent": ["pdf"], "article": ["kb-4"], "article_title": ["D"], "channel": ["chat"]}
    )
    rows = customer_remedies(intents, remedies).set_index("customer_id")
    assert rows.loc["a", "article"] == "kb-4" and pd.isna(rows.loc["b", "channel"])


def _purchases() -> pd.DataFrame:
    """60 customers who buy every few days (each at their own pace) up to the cut-off, and 20
    who did so until seven weeks before it and then stopped."""
    rng = np.random.default_rng(3)
    rows = []
    for i in range(80):
        stop = CUT - dt.timedelta(days=49 if i >= 60 else 0)
        at = CUT - dt.timedelta(days=150 + int(rng.integers(0, 10)))
        pace = rng.uniform(2.0, 8.0)
        while at < stop:
            rows.append((f"c{i:02d}", at, 1000.0))
            at += dt.timedelta(days=1 + rng.exponential(pace))
    return pd.DataFrame(rows, columns=["customer_id", "ts", "value"])


def test_p_alive_falls_for_customers_who_stopped_buying_and_not_for_the_others() -> None:
    scores, info = alive_scores(_purchases(), CUT, lookback_days=28, min_customers=30)
    assert info["alive_status"] == "fitted" and info["alive_customers"] == 80
    s = scores.set_index("customer_id")
    gone, regular = s.index >= "c60", s.index < "c60"
    fires = (s["p_alive"] <= 0.5) & (s["p_alive_before"] - s["p_alive"] >= 0.2)
    assert fires[gone].mean() >= 0.8 and fires[regular].mean() <= 0.05
    assert s.loc[regular, "p_alive"].min() > s.loc[gone, "p_alive"].median()
    assert (s["purchase_value_365d"] == 1000.0 * s["purchases"]).all()  # all within a year
    # purchases at or after the cut-off are never read
    later = pd.DataFrame({"customer_id": ["c61"], "ts": [CUT], "value": [1.0]})
    again, _ = alive_scores(pd.concat([_purchases(), later]), CUT)
    assert np.allclose(again["p_alive"], scores["p_alive"])


def test_too_few_repeat_buyers_fit_nothing_and_non_subscribers_join_the_candidates() -> None:
    few = _purchases()
    few = few[few["customer_id"] < "c10"]
    scores, info = alive_scores(few, CUT, min_customers=30)
    assert info["alive_status"] == "too_few_repeaters" and scores.empty
    assert alive_scores(few.iloc[:0], CUT)[1]["alive_status"] == "no_purchases"
    alive, _ = alive_scores(_purchases(), CUT, min_customers=30)
    subscribers = pd.DataFrame(
        {"customer_id": ["c00", "s1"], "p_churn": [0.1, 0.2], "monthly_value": [5.0, 6.0]}
    )
    both = with_alive(subscribers, alive).set_index("customer_id")
    assert len(both) == 81 and both.loc["c00", "p_churn"] == 0.1  # keeps its churn model
    assert np.isnan(both.loc["s1", "p_alive"])
    gone = both.loc["c79"]
    assert gone["p_churn"] == pytest.approx(1 - gone["p_alive"])
    assert "に低下" in gone["reasons_ja"] and "fell from" in gone["reasons_en"]


def test_p_save_is_learned_from_outreach_whose_window_has_passed() -> None:
    sent = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(100)] + ["late"],
            "sent_at": pd.to_datetime(["2026-08-01"] * 100 + ["2026-09-20"], utc=True),
            "p_churn": [0.4] * 100 + [0.9],
        }
    )
    # 40 churners were expected; 20 left within 30 days of the message, 5 more long after
    left = {f"c{i}": pd.Timestamp("2026-08-15", tz="UTC") for i in range(20)}
    left |= {f"c{i}": pd.Timestamp("2026-09-20", tz="UTC") for i in range(20, 25)}
    p, info = learned_p_save(sent, pd.Series(left), CUT, 30, prior=0.2, weight=20.0)
    assert info == {"p_save": p, "p_save_from": "outreach", "outreach_reached": 100}
    assert p == pytest.approx((20 * 0.2 + 40 - 20) / (20 + 40))  # "late" is still in its window
    none, info = learned_p_save(sent.iloc[100:], pd.Series(left), CUT, 30, prior=0.2, weight=20)
    assert none == 0.2 and info["p_save_from"] == "prior"


def test_a_shop_without_subscriptions_gets_its_queue_from_p_alive(tmp_path: Path) -> None:
    purchases = _purchases()
    customers = pd.DataFrame({"customer_id": sorted(set(purchases["customer_id"]))})
    customers["created_at"] = "2026-01-01T00:00:00Z"
    customers.to_csv(tmp_path / "customers.csv", index=False)
    events = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(len(purchases))],
            "ts": purchases["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "customer_id": purchases["customer_id"],
            "event_name": "purchase",
            "properties": [json.dumps({"value": v}) for v in purchases["value"]],
        }
    )
    events.loc[len(events)] = ["end", "2026-09-30T23:59:00Z", "c00", "page_view", "{}"]
    events.to_csv(tmp_path / "events.csv", index=False)
    kz = kizuki.open("duckdb://")
    kz.ingest("csv", [tmp_path / "customers.csv"], table="customers")
    kz.ingest("csv", [tmp_path / "events.csv"], table="events")
    kz.analyze()
    model = kz.churn_model().iloc[0]
    assert model["alive_status"] == "fitted" and model["alive_customers"] == 80
    queue = kz.outreach_queue()
    gone = queue[queue["cause"] == "alive_falling"]
    assert (gone["customer_id"] >= "c60").sum() >= 16  # of the 20 who stopped
    assert (gone["customer_id"] < "c60").sum() <= 3  # of the 60 who did not
    row = gone.iloc[0]
    bought = (purchases["customer_id"] == row["customer_id"]).sum()
    assert row["value"] == pytest.approx(1000.0 * bought)  # 12 months of (a year's spend / 12)
    assert "しばらくご利用がない" in row["message_ja"]
