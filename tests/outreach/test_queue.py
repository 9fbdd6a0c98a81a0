"""The outreach queue on hand-made customers: which triggers fire, the cause a message is
about, expected value saved, suppression (opt-outs, cooldown, one cause once) and messages."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from kizuki.analytics.customer_features import FEATURE_COLUMNS
from kizuki.outreach.queue import CAUSES, QUEUE_COLUMNS, OutreachConfig, outreach_queue, triggers

CUT = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


def _customers() -> pd.DataFrame:
    base = {c: 0.0 for c in FEATURE_COLUMNS}
    base |= {"segment": "smb", "plan": "standard", "language": "ja", "monthly_value": 1000.0,
             "days_to_renewal": 20.0, "last_nps": 9.0, "csat_mean_90d": 5.0}  # fmt: skip
    rows = {
        "inc": {},  # touched by an incident
        "sad": {"last_nps": 3.0},
        "lost": {"struggle_sessions_28d": 3.0},  # struggled, never contacted
        "told": {"struggle_sessions_28d": 3.0, "contacts_28d": 1.0},  # struggled, contacted
        "fading": {"days_to_renewal": 5.0, "usage_trend": np.log(0.3)},
        "steady": {"days_to_renewal": 5.0, "usage_trend": 0.0},
        "fine": {},
        "risky": {},
        "gone": {"p_alive": 0.2, "p_alive_before": 0.7},  # stopped buying
        "slipping": {"p_alive": 0.45, "p_alive_before": 0.55},  # fell too little
    }
    base |= {"p_alive": np.nan, "p_alive_before": np.nan}
    frame = pd.DataFrame([{**base, **extra, "customer_id": cid} for cid, extra in rows.items()])
    frame["p_churn"] = [0.2, 0.3, 0.1, 0.1, 0.4, 0.05, 0.01, 0.9, 0.02, 0.03]
    frame["reasons_ja"], frame["reasons_en"] = "理由", "why"
    return frame


_HITS = pd.DataFrame(
    {
        "incident_id": ["INC-9", "INC-1"],
        "customer_id": ["inc", "inc"],
        "started_at": pd.to_datetime(["2026-09-20T00:00:00Z", "2026-07-01T00:00:00Z"], utc=True),
    }
)
_INCIDENTS = pd.DataFrame(
    {
        "incident_id": ["INC-9"],
        "started_at": pd.to_datetime(["2026-09-20T00:00:00Z"], utc=True),
        "title": ["請求書画面の表示障害"],
        "affected": [json.dumps({"title_en": "Invoices page not loading"})],
    }
)
_NO_HISTORY = pd.DataFrame(columns=["customer_id", "cause", "sent_at"])


def test_each_trigger_fires_for_its_customer_only() -> None:
    fired = triggers(_customers(), _HITS, CUT, OutreachConfig(high_risk_share=0.1))
    on = {c: sorted(fired.loc[fired[c], "customer_id"]) for c in CAUSES}
    assert on == {
        "incident": ["inc"],  # INC-1 was more than 28 days before
        "satisfaction_drop": ["sad"],
        "silent_struggle": ["lost"],
        "renewal_falling": ["fading"],
        "alive_falling": ["gone"],
        "high_risk": ["risky"],
    }
    assert fired.set_index("customer_id").loc["inc", "incident_id"] == "INC-9"


def test_the_queue_ranks_by_expected_value_and_writes_the_message() -> None:
    config = OutreachConfig(high_risk_share=0.1, p_save=0.25, value_months=12)
    q = outreach_queue(
        _customers(), _HITS, CUT, config, incidents=_INCIDENTS, opted_out=set(),
        history=_NO_HISTORY,
    )  # fmt: skip
    assert list(q.columns) == list(QUEUE_COLUMNS)
    assert set(q["customer_id"]) == {"inc", "sad", "lost", "fading", "risky", "gone"}
    assert q["customer_id"].tolist()[0] == "risky"  # 0.9 × 12,000 × 0.25 = 2,700
    row = q.set_index("customer_id").loc["inc"]
    assert row["cause"] == "incident:INC-9" and row["expected_value_saved"] == 0.2 * 12000 * 0.25
    assert "2026-09-20に発生した「請求書画面の表示障害」" in row["message_ja"]
    assert '"Invoices page not loading" on 2026-09-20' in row["message_en"]
    assert q["rank"].tolist() == list(range(1, 7)) and not q["suppressed"].any()
    assert (q["channel"] == "email").all() and q["article"].isna().all()  # nothing measured
    assert q["idempotency_key"].is_unique


def test_suppression_opt_out_cooldown_and_one_cause_once() -> None:
    history = pd.DataFrame(
        {
            "customer_id": ["sad", "inc"],
            "cause": ["renewal_falling", "incident:INC-9"],
            "sent_at": pd.to_datetime(["2026-09-25T00:00:00Z", "2026-05-01T00:00:00Z"], utc=True),
        }
    )
    q = outreach_queue(
        _customers(), _HITS, CUT, OutreachConfig(high_risk_share=0.1),
        incidents=_INCIDENTS, opted_out={"lost"}, history=history,
    )  # fmt: skip
    why = q.set_index("customer_id")["suppressed_reason"].to_dict()
    assert why["lost"] == "opted_out"
    assert why["sad"] == "cooldown"  # sent something 6 days ago
    assert why["inc"] == "already_sent"  # this incident's message went out before
    assert why["fading"] is None and why["risky"] is None
    assert q["suppressed"].tolist() == [False] * 3 + [True] * 3  # suppressed last


def test_without_a_model_the_base_rate_stands_in() -> None:
    customers = _customers().assign(p_churn=np.nan)
    q = outreach_queue(
        customers, _HITS, CUT, OutreachConfig(), incidents=_INCIDENTS, opted_out=set(),
        history=_NO_HISTORY, base_rate=0.05,
    )  # fmt: skip
    assert (q["p_churn"] == 0.05).all()
    assert "high_risk" not in " ".join(q["triggers"])


def test_rank_by_risk_alone_and_a_learned_p_save() -> None:
    config = OutreachConfig(high_risk_share=0.1, rank_by="p_churn")
    customers = _customers()
    customers.loc[customers["customer_id"] == "sad", "monthly_value"] = 100_000.0
    q = outreach_queue(
        customers, _HITS, CUT, config, incidents=_INCIDENTS, opted_out=set(),
        history=_NO_HISTORY, p_save=0.5,
    )  # fmt: skip
    assert q["p_churn"].is_monotonic_decreasing  # the rich "sad" no longer jumps the queue
    assert (q["p_save"] == 0.5).all()
    by_value = outreach_queue(
        customers, _HITS, CUT, OutreachConfig(high_risk_share=0.1), incidents=_INCIDENTS,
        opted_out=set(), history=_NO_HISTORY,
    )  # fmt: skip
    assert by_value["customer_id"].iloc[0] == "sad" and (by_value["p_save"] == 0.2).all()


def test_remedies_name_the_intent_channel_and_article_in_the_message() -> None:
    remedies = pd.DataFrame(
        {
            "customer_id": ["lost", "fading"],
            "intent": ["bank_link", "invoice"],
            "article": ["kb-7", None],
            "article_title": ["銀行口座の連携方法", None],
            "channel": ["chat", "phone"],
        }
    )
    q = outreach_queue(
        _customers(), _HITS, CUT, OutreachConfig(high_risk_share=0.1), incidents=_INCIDENTS,
        opted_out=set(), history=_NO_HISTORY, remedies=remedies,
    )  # fmt: skip
    rows = q.set_index("customer_id")
    assert rows.loc["lost", ["intent", "article", "channel"]].tolist() == [
        "bank_link", "kb-7", "chat"
    ]  # fmt: skip
    assert "「銀行口座の連携方法」" in rows.loc["lost", "message_ja"]
    assert rows.loc["fading", "channel"] == "phone" and rows.loc["risky", "channel"] == "email"
    assert "記事" not in rows.loc["fading", "message_ja"]
