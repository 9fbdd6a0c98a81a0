"""Agents needed in each hour of a typical week, from the store's chat and phone contacts
(Q9, docs/metrics.md "Staffing").

Per live channel and local (weekday, hour): the arrival rate is the contacts opened in that
hour of the week divided by the number of such hours in the data's period; the handle time is
the channel's mean time from first response to resolution over the contacts where it is
plausible (over 0 and at most ``max_handle_seconds``), else ``default_aht_seconds`` when fewer
than :data:`MIN_HANDLED` contacts have one. Each hour gets the fewest agents that meet the
service-level target (Erlang C), and the same with the contacts of the intents recommended
``digital_first`` moved to self-service: the agent hours self-service would save.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from kizuki.analytics.staffing import agents_needed

__all__ = ["MIN_HANDLED", "PLAN_COLUMNS", "handle_seconds", "hourly_plan", "plan_summary"]

MIN_HANDLED = 20
PLAN_COLUMNS = (
    "channel", "weekday", "hour", "arrivals_per_hour", "aht_seconds", "agents",
    "service_level", "asa_seconds", "arrivals_if_self_service", "agents_if_self_service",
)  # fmt: skip


def handle_seconds(
    contacts: pd.DataFrame, channel: str, default: float, max_seconds: float
) -> float:
    """The channel's mean handle time (first response to resolution), or ``default``."""
    mine = contacts[contacts["channel"] == channel]
    spent = (
        pd.to_datetime(mine["resolved_at"], utc=True)
        - pd.to_datetime(mine["first_response_at"], utc=True)
    ).dt.total_seconds()
    ok = spent[(spent > 0) & (spent <= max_seconds)]
    return float(ok.mean()) if len(ok) >= MIN_HANDLED else float(default)


def _agents(rate: float, aht: float, target: float, within: float) -> tuple[int, float, float]:
    if rate <= 0:
        return 0, 1.0, 0.0
    s = agents_needed(rate, aht, target, within)
    return s.agents, s.service_level, s.asa_seconds


def hourly_plan(
    contacts: pd.DataFrame,
    timezone: str,
    *,
    channels: Collection[str] = ("chat", "phone"),
    target: float = 0.8,
    within_seconds: float = 20.0,
    default_aht_seconds: float = 300.0,
    max_handle_seconds: float = 7200.0,
    self_service_intents: Collection[str] = (),
) -> pd.DataFrame:
    """``result_staffing``: one row per live channel and hour of the week with contacts
    (columns :data:`PLAN_COLUMNS`; ``weekday`` 0 = Monday, ``hour`` 0-23 local)."""
    c = contacts[contacts["channel"].isin(list(channels))].copy()
    rows: list[dict[str, object]] = []
    if not len(c):
        return pd.DataFrame(rows, columns=list(PLAN_COLUMNS))
    local = pd.to_datetime(c["opened_at"], utc=True).dt.tz_convert(timezone)
    c["weekday"] = local.dt.day_of_week
    c["hour"] = local.dt.hour
    c["moved"] = c["intent"].fillna("").isin(list(self_service_intents))
    days = pd.date_range(local.min().normalize(), local.max().normalize(), freq="D")
    weeks_of = {d: int(np.sum(days.day_of_week == d)) for d in range(7)}  # such hours in the period
    for channel, part in c.groupby("channel", sort=True):
        aht = handle_seconds(contacts, str(channel), default_aht_seconds, max_handle_seconds)
        counts = part.groupby(["weekday", "hour"]).agg(n=("moved", "size"), moved=("moved", "sum"))
        for weekday, hour, n, moved in zip(
            counts.index.get_level_values(0), counts.index.get_level_values(1),
            counts["n"], counts["moved"], strict=True,
        ):  # fmt: skip
            span = max(weeks_of[int(weekday)], 1)
            rate = float(n) / span
            rest = float(n - moved) / span
            agents, level, asa = _agents(rate, aht, target, within_seconds)
            after, _, _ = _agents(rest, aht, target, within_seconds)
            rows.append(
                {
                    "channel": str(channel), "weekday": int(weekday), "hour": int(hour),
                    "arrivals_per_hour": rate, "aht_seconds": aht, "agents": agents,
                    "service_level": level, "asa_seconds": asa,
                    "arrivals_if_self_service": rest, "agents_if_self_service": after,
                }
            )  # fmt: skip
    return pd.DataFrame(rows, columns=list(PLAN_COLUMNS))


def plan_summary(plan: pd.DataFrame) -> pd.DataFrame:
    """Per channel of a :func:`hourly_plan`: the peak hour (the most agents, then the most
    arrivals) with its agents, arrivals and handle time, the agent hours of a typical week,
    and those saved with the ``digital_first`` intents in self-service."""
    columns = ["channel", "peak_agents", "peak_weekday", "peak_hour", "peak_arrivals_per_hour",
               "aht_seconds", "agent_hours", "agent_hours_saved"]  # fmt: skip
    rows = []
    for channel, part in plan.groupby("channel", sort=True):
        peak = part.sort_values(["agents", "arrivals_per_hour"], ascending=False).iloc[0]
        hours = int(part["agents"].sum())
        rows.append(
            [str(channel), int(peak["agents"]), int(peak["weekday"]), int(peak["hour"]),
             float(peak["arrivals_per_hour"]), float(peak["aht_seconds"]), hours,
             hours - int(part["agents_if_self_service"].sum())]
        )  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
