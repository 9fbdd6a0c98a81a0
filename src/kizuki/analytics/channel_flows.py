"""Channel order as customers live it: per intent, the paths from one channel to the next and
where they end (Q4).

An **episode** is one customer's steps about one intent — self-service attempts (help search,
FAQ article, chatbot) and human contacts (e-mail, form, chat, phone, social) — each within
``window_days`` of the one before. Its **path** lists the channels in order (a channel repeated
in a row once, at most :data:`MAX_STEPS`); its **outcome**:

- ``churned``: the customer's subscription ended within ``churn_days`` after the last step;
- ``resolved``: the last step is a contact solved, or a self-service attempt that more
  likely than not succeeded (``success_probability`` of
  :func:`~kizuki.analytics.selfservice.success_probability`; a chatbot's status);
- ``escalated``: the last step is a human contact not (yet) solved;
- ``abandoned``: the last step is a self-service attempt that more likely failed, and
  nothing followed: the customer gave up in silence.

Each step costs ``channel_costs[channel]`` (the report's currency), so a team sees where the
ladder breaks and what each rung costs.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["OUTCOMES", "FlowConfig", "channel_flows", "flow_summary"]

OUTCOMES = ("resolved", "escalated", "abandoned", "churned")
#: Steps shown per path; longer paths end in "…".
MAX_STEPS = 4
_SOLVED = ("solved", "closed", "resolved")
_DIGITAL = ("help_search", "faq", "chatbot")


class FlowConfig(BaseModel):
    """Settings of the channel flows (``[analyze.flows]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    churn_days: Annotated[
        float, Field(gt=0, description="days after the last step in which an ended "
                     "subscription counts as churn")
    ] = 30.0  # fmt: skip
    channel_costs: Annotated[
        dict[str, float],
        Field(description="cost of one step per channel (the customers' monthly_value unit)"),
    ] = {
        "help_search": 0.0,
        "faq": 0.0,
        "chatbot": 100.0,
        "chat": 800.0,
        "email": 1000.0,
        "form": 1000.0,
        "social": 1000.0,
        "phone": 1500.0,
    }


def channel_flows(
    attempts: pd.DataFrame,
    contacts: pd.DataFrame,
    ended: pd.DataFrame,
    *,
    window_days: float,
    config: FlowConfig,
) -> pd.DataFrame:
    """``result_channel_flows``: per intent, path and outcome, the episodes and their cost.

    ``attempts``: linked self-service attempts (``customer_id, intent, ts, channel,
    seen_failure, contacted``…, :func:`~kizuki.analytics.selfservice.attempt_outcomes`);
    ``contacts``: all contacts (``customer_id, channel, opened_at, status, intent``);
    ``ended``: ``customer_id, ended_at`` of ended subscriptions.
    """
    a = attempts[attempts["linked"]]
    steps_a = pd.DataFrame(
        {
            "customer_id": a["customer_id"].astype(str),
            "intent": a["intent"].astype(str),
            "ts": pd.to_datetime(a["ts"], utc=True),
            "channel": a["channel"].astype(str),
            # the estimated outcome where there is one, else the failure seen
            "failed": (
                (a["success_probability"] < 0.5).to_numpy()
                if "success_probability" in a
                else a["seen_failure"].astype(bool).to_numpy()
            ),
        }
    )
    human = contacts[
        (contacts["channel"] != "chatbot")
        & contacts["customer_id"].notna()
        & (contacts["intent"].fillna("") != "")
    ]
    steps_h = pd.DataFrame(
        {
            "customer_id": human["customer_id"].astype(str),
            "intent": human["intent"].astype(str),
            "ts": pd.to_datetime(human["opened_at"], utc=True),
            "channel": human["channel"].astype(str),
            "failed": ~human["status"].fillna("").str.lower().isin(_SOLVED).to_numpy(),
        }
    )
    steps = pd.concat([steps_a, steps_h], ignore_index=True)
    columns = ["intent", "path", "outcome", "episodes", "cost_per_episode", "total_cost"]
    if not len(steps):
        return pd.DataFrame(columns=columns)
    steps = steps.sort_values(["customer_id", "intent", "ts"], kind="stable").reset_index(drop=True)
    same = (steps["customer_id"] == steps["customer_id"].shift()) & (
        steps["intent"] == steps["intent"].shift()
    )
    close = (steps["ts"] - steps["ts"].shift()) <= pd.Timedelta(days=window_days)
    steps["episode"] = np.cumsum(~(same & close).to_numpy())
    costs = config.channel_costs
    steps["cost"] = steps["channel"].map(lambda c: float(costs.get(c, 0.0)))
    episodes = steps.groupby("episode").agg(
        customer_id=("customer_id", "first"),
        intent=("intent", "first"),
        end=("ts", "last"),
        last_channel=("channel", "last"),
        last_failed=("failed", "last"),
        cost=("cost", "sum"),
        path=("channel", _path),
    )
    episodes["outcome"] = _outcomes(episodes, ended, config.churn_days)
    grouped = episodes.groupby(["intent", "path", "outcome"]).agg(
        episodes=("cost", "size"), total_cost=("cost", "sum")
    )
    grouped["cost_per_episode"] = grouped["total_cost"] / grouped["episodes"]
    out = grouped.reset_index().sort_values(
        ["intent", "episodes", "path", "outcome"], ascending=[True, False, True, True]
    )
    out["episodes"] = out["episodes"].astype("int64")
    return out[columns].reset_index(drop=True)


def _path(channels: pd.Series) -> str:
    seq: list[str] = []
    for channel in channels:
        if not seq or seq[-1] != channel:
            seq.append(str(channel))
    shown = seq[:MAX_STEPS]
    return " → ".join(shown) + (" → …" if len(seq) > MAX_STEPS else "")


def _outcomes(episodes: pd.DataFrame, ended: pd.DataFrame, churn_days: float) -> np.ndarray:
    digital = episodes["last_channel"].isin(_DIGITAL).to_numpy()
    failed = episodes["last_failed"].to_numpy(bool)
    outcome = np.where(
        digital,
        np.where(failed, "abandoned", "resolved"),
        np.where(failed, "escalated", "resolved"),
    ).astype(object)
    if len(ended):
        e = ended.assign(
            customer_id=ended["customer_id"].astype(str),
            ended_at=pd.to_datetime(ended["ended_at"], utc=True),
        )
        pairs = episodes.reset_index()[["episode", "customer_id", "end"]].merge(e, on="customer_id")
        gap = pairs["ended_at"] - pairs["end"]
        churned = set(
            pairs.loc[(gap >= pd.Timedelta(0)) & (gap <= pd.Timedelta(days=churn_days)), "episode"]
        )
        outcome = np.where(episodes.index.isin(list(churned)), "churned", outcome)
    return np.asarray(outcome)


def flow_summary(flows: pd.DataFrame) -> pd.DataFrame:
    """Per intent of ``result_channel_flows``: episodes, the share ending in each of
    :data:`OUTCOMES`, the mean cost, the most travelled path (``common_path``) and the path
    that loses the most customers — abandoned or churned — (``losing_path``, ``lost``;
    empty and 0 when none is lost). Most episodes first; ties by path name."""
    columns = ["intent", "episodes", *OUTCOMES, "cost_per_episode", "common_path",
               "losing_path", "lost"]  # fmt: skip
    f = flows[flows["episodes"].fillna(0) > 0]
    rows = []
    for intent, part in f.groupby("intent", sort=True):
        episodes = int(part["episodes"].sum())
        by_outcome = part.groupby("outcome")["episodes"].sum()
        per_path = part.groupby("path")["episodes"].sum()
        losing = part[part["outcome"].isin(("abandoned", "churned"))]
        lost = losing.groupby("path")["episodes"].sum()
        common = min(per_path.index, key=lambda p: (-per_path[p], p))
        worst = min(lost.index, key=lambda p: (-lost[p], p)) if len(lost) else ""
        rows.append(
            [str(intent), episodes,
             *(float(by_outcome.get(o, 0)) / episodes for o in OUTCOMES),
             float(part["total_cost"].fillna(0.0).sum()) / episodes, str(common), str(worst),
             int(lost[worst]) if worst else 0]
        )  # fmt: skip
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["episodes", "intent"], ascending=[False, True]).reset_index(drop=True)
