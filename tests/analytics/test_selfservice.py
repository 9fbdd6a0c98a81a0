"""Self-resolution per intent and channel: attempts, outcomes, the EM estimate, channel fit."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest

from kizuki.analytics.selfservice import (
    SelfServiceConfig,
    attempt_outcomes,
    channel_fit,
    chatbot_attempts,
    human_rates,
    selfservice_rates,
    web_attempts,
    wilson_interval,
)
from kizuki.analytics.selfservice_em import AttemptArrays, fit_outcomes

T0 = pd.Timestamp("2026-10-01 09:00", tz="UTC")
CONFIG = SelfServiceConfig(bootstrap_draws=20)


def test_wilson_interval_by_hand() -> None:
    lo, hi = wilson_interval(np.array([8.0]), np.array([10.0]))
    # Wilson 95% interval of 8/10: 0.4902 to 0.9433
    assert lo[0] == pytest.approx(0.4902, abs=1e-4)
    assert hi[0] == pytest.approx(0.9433, abs=1e-4)
    lo0, hi0 = wilson_interval(np.array([0.0]), np.array([0.0]))
    assert np.isnan(lo0[0]) and np.isnan(hi0[0])


def _stream() -> ibis.Table:
    """Two sessions of one customer and one of an anonymous visitor."""
    rows = [
        # C1, session a: a search for login that opens the article, then back to the product
        ("C1", "C1", "a", 0, "search", "login", "cannot log in", 3, False),
        ("C1", "C1", "a", 1, "content", "login", None, None, False),
        ("C1", "C1", "a", 2, None, None, None, None, True),
        # C1, session b: a search with no results for billing, then nothing
        ("C1", "C1", "b", 60, "search", None, "請求書 再発行", 0, False),
        # an anonymous visitor reads the login article without searching
        (None, "anon", "c", 5, "content", "login", None, None, False),
        # C2 reads it and comes back to the product in a new session 50 minutes later;
        # C3 only 200 minutes later (past the return window)
        ("C2", "C2", "d", 0, "content", "login", None, None, False),
        ("C2", "C2", "e", 50, None, None, None, None, True),
        ("C3", "C3", "f", 0, "content", "login", None, None, False),
        ("C3", "C3", "g", 200, None, None, None, None, True),
    ]
    cols = [
        "customer_id",
        "visitor_id",
        "session_key",
        "minute",
        "help_kind",
        "intent",
        "query",
        "results_count",
        "is_journey",
    ]
    frame = pd.DataFrame(rows, columns=cols)
    frame["ts"] = T0 + pd.to_timedelta(frame.pop("minute"), unit="min")
    frame["results_count"] = frame["results_count"].astype("Int64")
    return ibis.memtable(frame)


def test_web_attempts_group_sessions_and_take_the_query_intent_from_the_model() -> None:
    queries = ibis.memtable(pd.DataFrame({"query": ["請求書 再発行"], "intent": ["billing"]}))
    web = web_attempts(_stream(), queries).to_pandas().sort_values("session_key")
    assert web["session_key"].tolist() == ["a", "b", "c", "d", "f"]
    assert web.set_index("session_key")["returned"].to_dict() == {
        "a": True,  # a product page later in the session
        "b": False,
        "c": False,
        "d": True,  # a new session 50 minutes later
        "f": False,  # 200 minutes later: past return_minutes
    }
    a, b, c = (web.iloc[i] for i in range(3))
    assert (a["intent"], a["searched"], a["viewed"], a["returned"]) == ("login", True, True, True)
    assert (b["intent"], b["zero_results"], b["returned"]) == ("billing", True, False)
    assert b["query"] == "請求書 再発行"
    assert pd.isna(c["customer_id"]) and c["viewed"] and not c["searched"]


def _contacts(rows: list[tuple[str, str, str, float, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "channel", "intent", "days", "status"])
    frame["opened_at"] = T0 + pd.to_timedelta(frame.pop("days"), unit="D")
    frame["contact_id"] = [f"c{i}" for i in range(len(frame))]
    return frame


def _web(rows: list[tuple[str | None, str, float, bool, bool, bool]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["customer_id", "intent", "days", "searched", "viewed", "returned"]
    )
    frame["ts"] = T0 + pd.to_timedelta(frame.pop("days"), unit="D")
    frame["zero_results"] = False
    frame["session_key"] = [f"s{i}" for i in range(len(frame))]
    frame["visitor_id"] = frame["customer_id"].fillna("anon")
    frame["query"] = "q"
    return frame


def test_outcomes_follow_contacts_and_new_searches_within_the_window() -> None:
    web = _web(
        [
            ("C1", "login", 0, True, True, True),  # contacted on day 3: a failure
            ("C2", "login", 0, True, True, True),  # contacted on day 9: outside the window
            ("C3", "login", 0, True, False, False),  # nothing opened: a seen failure
            ("C4", "login", 0, True, True, False),  # searched again on day 2
            ("C4", "login", 2, True, True, True),
            (None, "login", 0, True, True, True),  # not linked
        ]
    )
    contacts = _contacts(
        [
            ("C1", "email", "login", 3, "solved"),
            ("C2", "email", "login", 9, "solved"),
            ("C5", "chatbot", "login", 1, "solved"),
            ("C6", "chatbot", "login", 1, "escalated"),
            ("C6", "phone", "login", 1.5, "solved"),
        ]
    )
    attempts = attempt_outcomes(web, chatbot_attempts(contacts), contacts, CONFIG)
    assert attempts["contacted"].tolist() == [True, False, False, False, False, False, False, True]
    assert attempts["searched_again"].tolist()[:5] == [False, False, False, True, False]
    seen = [False, False, True, False, False, False, False, True]
    assert attempts["seen_failure"].tolist() == seen
    assert attempts["linked"].tolist() == [True] * 5 + [False, True, True]
    assert attempts["channel"].tolist()[-2:] == ["chatbot", "chatbot"]
    assert attempts["solved"].tolist()[-2:] == [True, False]


def _simulated_attempts(
    rng: np.random.Generator, n: int, rates: list[float]
) -> tuple[AttemptArrays, np.ndarray]:
    """Attempts drawn from the model itself: failures open an article 60% of the time,
    contact 40%, return to the product 30%; successes return 85%."""
    intent = rng.integers(0, len(rates), n)
    channel = np.where(rng.random(n) < 0.3, 2, 0)
    success = rng.random(n) < np.asarray(rates)[intent]
    viewed = np.where(channel == 2, False, success | (rng.random(n) < 0.6))
    contacted = ~success & (rng.random(n) < 0.4)
    returned = np.where(success, rng.random(n) < 0.85, rng.random(n) < 0.3) & (channel != 2)
    return AttemptArrays(
        intent=intent.astype(np.intp),
        channel=channel.astype(np.intp),
        viewed=viewed,
        contacted=contacted,
        returned=returned,
        solved=(channel == 2) & success,
        n_intents=len(rates),
    ), success


def test_em_recovers_the_success_rates_it_was_drawn_from() -> None:
    rates = [0.3, 0.6, 0.9]
    data, success = _simulated_attempts(np.random.default_rng(7), 6000, rates)
    fit = fit_outcomes(data, prior_strength=10.0)
    for i in range(len(rates)):
        mine = data.intent == i
        truth = success[mine].mean()
        assert fit.weight[mine].mean() == pytest.approx(truth, abs=0.03)
    assert fit.r_success == pytest.approx(np.full(3, 0.85), abs=0.05)
    assert fit.r_failure == pytest.approx(np.full(3, 0.3), abs=0.05)
    # the plain definition (no contact) overstates success: silent failures count as successes
    assert (~data.contacted[data.intent == 0]).mean() > rates[0] + 0.2


def test_rates_and_channel_fit_from_attempts() -> None:
    rng = np.random.default_rng(3)
    rows = []
    for intent, rate in (("easy", 0.97), ("hard", 0.2)):
        for j in range(400):
            ok = rng.random() < rate
            viewed = ok or rng.random() < 0.6
            rows.append((f"{intent}{j}", intent, 0.0, True, viewed, ok and rng.random() < 0.9))
    web = _web(rows)
    fails = web[~web["returned"] & (web["intent"] == "hard")]
    contacts = _contacts(
        [(c, "email", "hard", 1.0, "solved") for c in fails["customer_id"][: len(fails) // 2]]
        + [(f"P{i}", "phone", "hard", float(i) / 10, "solved") for i in range(30)]
        + [(f"E{i}", "email", "hard", float(i) / 10, "pending") for i in range(30)]
    )
    attempts = attempt_outcomes(web, chatbot_attempts(contacts), contacts, CONFIG)
    digital = selfservice_rates(attempts, CONFIG)
    pooled = digital[digital["channel"] == "self_service"].set_index("intent")
    assert pooled.loc["easy", "success_rate"] > 0.9
    assert pooled.loc["hard", "success_rate"] < 0.35
    assert pooled.loc["hard", "ci_low"] <= pooled.loc["hard", "success_rate"]
    assert pooled.loc["hard", "success_rate"] <= pooled.loc["hard", "ci_high"]
    fit = channel_fit(digital, human_rates(contacts, CONFIG), CONFIG)
    rec = fit[fit["channel"] == "self_service"].set_index("intent")["recommendation"]
    assert rec["easy"] == "digital_first"
    assert rec["hard"] == "human"
    hard = fit[fit["intent"] == "hard"]
    assert set(hard["best_human_channel"]) == {"phone"}  # solved beats pending
    assert hard.loc[hard["channel"] == "email", "recommendation"].item() == "human"


def test_human_rates_count_a_recontact_as_a_failure() -> None:
    contacts = _contacts(
        [
            ("C1", "email", "login", 0, "solved"),
            ("C1", "phone", "login", 3, "solved"),  # the e-mail did not hold
            ("C2", "email", "login", 0, "solved"),
            ("C3", "email", "login", 0, "open"),
        ]
    )
    rates = human_rates(contacts, CONFIG).set_index("channel")
    assert rates.loc["email", "attempts"] == 3
    assert rates.loc["email", "success_rate"] == pytest.approx(1 / 3)
    assert rates.loc["phone", "success_rate"] == pytest.approx(1.0)


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="target"):
        SelfServiceConfig(target=1.5)
    assert SelfServiceConfig().window_days == 7.0
    assert dt.timedelta(days=SelfServiceConfig().window_days).days == 7
