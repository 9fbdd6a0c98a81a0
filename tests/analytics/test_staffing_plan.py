"""The hourly staffing plan from contacts: arrival rates per hour of the week, handle time from
the data or the default, and the agents saved when an intent moves to self-service."""

from __future__ import annotations

import pandas as pd
import pytest

from kizuki.analytics.staffing import agents_needed
from kizuki.analytics.staffing_plan import handle_seconds, hourly_plan

TZ = "Asia/Tokyo"


def chats(day: str, hour: int, n: int, intent: str, handle_s: float = 240.0) -> list[dict]:
    opened = pd.Timestamp(f"{day} {hour:02d}:10", tz=TZ).tz_convert("UTC")
    return [
        {"channel": "chat", "intent": intent, "opened_at": opened,
         "first_response_at": opened + pd.Timedelta(seconds=10),
         "resolved_at": opened + pd.Timedelta(seconds=10 + handle_s)}
        for _ in range(n)
    ]  # fmt: skip


# two Mondays (and the Sunday after) of chats at 10:00 JST: 300 + 100 a Monday
ROWS = (
    chats("2026-05-04", 10, 300, "password_reset")
    + chats("2026-05-04", 10, 100, "billing")
    + chats("2026-05-11", 10, 300, "password_reset")
    + chats("2026-05-11", 10, 100, "billing")
    + chats("2026-05-17", 15, 20, "billing")
)
CONTACTS = pd.DataFrame(ROWS)


def test_rates_per_hour_of_the_week_and_the_agents_for_them() -> None:
    plan = hourly_plan(CONTACTS, TZ, self_service_intents=["password_reset"])
    monday = plan[(plan["weekday"] == 0) & (plan["hour"] == 10)].iloc[0]
    assert monday["arrivals_per_hour"] == 400  # 800 over the period's two Mondays
    assert monday["aht_seconds"] == pytest.approx(240)
    want = agents_needed(400, 240, 0.8, 20)
    assert monday["agents"] == want.agents
    assert monday["service_level"] == pytest.approx(want.service_level)
    # moving password resets to self-service leaves 100 an hour
    assert monday["arrivals_if_self_service"] == 100
    assert monday["agents_if_self_service"] == agents_needed(100, 240, 0.8, 20).agents
    sunday = plan[(plan["weekday"] == 6) & (plan["hour"] == 15)].iloc[0]
    assert sunday["arrivals_per_hour"] == 10  # 20 on the period's two Sundays
    assert len(plan) == 2


def test_handle_time_falls_back_to_the_default_where_the_data_has_none() -> None:
    waited = pd.DataFrame(chats("2026-05-04", 10, 30, "billing", handle_s=20_000))
    assert handle_seconds(waited, "chat", 300.0, 7200.0) == 300.0
    few = pd.DataFrame(chats("2026-05-04", 10, 5, "billing"))
    assert handle_seconds(few, "chat", 300.0, 7200.0) == 300.0
    assert hourly_plan(CONTACTS.iloc[0:0], TZ).empty
