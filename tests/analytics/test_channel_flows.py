"""Channel flows: episodes, paths, outcomes and costs."""

from __future__ import annotations

import pandas as pd
import pytest

from kizuki.analytics.channel_flows import FlowConfig, channel_flows

T0 = pd.Timestamp("2026-10-01 09:00", tz="UTC")


def _at(days: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=days)


def test_paths_outcomes_and_costs() -> None:
    attempts = pd.DataFrame(
        [
            # C1: search, then the bot, then e-mail solved: one episode
            ("C1", "login", _at(0), "help_search", True, 0.1),
            ("C1", "login", _at(0.1), "chatbot", True, 0.0),
            # C2: a search that worked
            ("C2", "login", _at(0), "help_search", False, 0.9),
            # C3: a search that failed, nothing after: abandoned; 20 days later a new episode
            ("C3", "login", _at(0), "help_search", True, 0.2),
            ("C3", "login", _at(20), "help_search", False, 0.8),
            # C4: failed search, then churn 10 days later
            ("C4", "login", _at(0), "help_search", True, 0.1),
            # an unlinked visitor: not in any episode
            (None, "login", _at(0), "help_search", True, 0.1),
        ],
        columns=["customer_id", "intent", "ts", "channel", "seen_failure", "success_probability"],
    )
    attempts["linked"] = attempts["customer_id"].notna()
    contacts = pd.DataFrame(
        [
            ("C1", "email", _at(1), "solved", "login"),
            ("C5", "phone", _at(0), "open", "login"),
            ("C6", "chatbot", _at(0), "solved", "login"),  # the bot is in attempts, not here
        ],
        columns=["customer_id", "channel", "opened_at", "status", "intent"],
    )
    ended = pd.DataFrame({"customer_id": ["C4"], "ended_at": [_at(10)]})
    costs = {"help_search": 0.0, "chatbot": 100.0, "email": 1000.0, "phone": 1500.0}
    flows = channel_flows(
        attempts, contacts, ended, window_days=7, config=FlowConfig(channel_costs=costs)
    )
    got = {(r.path, r.outcome): (r.episodes, r.total_cost) for r in flows.itertuples()}
    assert got[("help_search → chatbot → email", "resolved")] == (1, 1100.0)
    assert got[("help_search", "resolved")] == (2, 0.0)  # C2, and C3's second episode
    assert got[("help_search", "abandoned")] == (1, 0.0)  # C3's first
    assert got[("help_search", "churned")] == (1, 0.0)  # C4
    assert got[("phone", "escalated")] == (1, 1500.0)  # C5, still open
    assert sum(flows["episodes"]) == 6
    row = flows[flows["path"] == "help_search → chatbot → email"].iloc[0]
    assert row["cost_per_episode"] == pytest.approx(1100.0)


def test_no_steps_give_an_empty_table() -> None:
    empty_attempts = pd.DataFrame(
        columns=["customer_id", "intent", "ts", "channel", "seen_failure", "linked"]
    )
    empty_contacts = pd.DataFrame(
        columns=["customer_id", "channel", "opened_at", "status", "intent"]
    )
    flows = channel_flows(
        empty_attempts.astype({"linked": bool}),
        empty_contacts,
        pd.DataFrame(columns=["customer_id", "ended_at"]),
        window_days=7,
        config=FlowConfig(),
    )
    assert flows.empty and "path" in flows.columns
