"""Whom to contact before they leave: triggers, expected value saved, suppression (issue 23,
docs/outreach.md).

:func:`outreach_queue` turns the customers' features and churn risk at a cut-off into one
ranked queue. Each row names the customer, the triggers that fired (the first of
:data:`CAUSES` among them is the *cause* the message is about), the model's reasons, and the
**expected value saved** = P(churn) × value × P(save | reached), where value is
``value_months`` of the customer's monthly value and P(save | reached) is learned from past
outreach (:mod:`kizuki.outreach.p_save`), else the prior ``p_save`` (0.2). The queue is
ordered by it, or by P(churn) alone (``rank_by``).
Suppression: customers who opted out, who were sent anything within ``cooldown_days``, or who
were already sent this cause (one incident is one cause) stay in the table with the reason
and ``suppressed`` true, below the others.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from kizuki.analytics.incident_exposure import affected_doc
from kizuki.analytics.kpis import NPS_DETRACTOR_MAX
from kizuki.outreach.messages import message

__all__ = ["CAUSES", "QUEUE_COLUMNS", "OutreachConfig", "outreach_queue", "triggers"]

#: Causes in order of precedence: the first that fired is what the message is about.
CAUSES = ("incident", "satisfaction_drop", "silent_struggle", "renewal_falling",
          "alive_falling", "high_risk")  # fmt: skip
QUEUE_COLUMNS = (
    "rank", "customer_id", "cause", "triggers", "incident_id", "p_churn", "value",
    "p_save", "expected_value_saved", "reasons_ja", "reasons_en", "intent", "channel",
    "article", "article_title", "message_ja", "message_en", "idempotency_key", "suppressed",
    "suppressed_reason",
)  # fmt: skip


class OutreachConfig(BaseModel):
    """Settings of proactive outreach (``[analyze.outreach]``, docs/outreach.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_days: Annotated[
        int, Field(ge=7, le=180, description="the churn the model predicts: within these days")
    ] = 30
    training_cutoffs: Annotated[
        int, Field(ge=1, le=12, description="cut-offs, two weeks apart, the model learns from")
    ] = 3
    renewal_days: Annotated[
        int, Field(ge=1, description="renewal ahead: at most this many days away")
    ] = 14
    usage_drop: Annotated[
        float,
        Field(gt=0, lt=1, description="falling engagement: use fell by at least this share"),
    ] = 0.5
    detractor_max: Annotated[
        float, Field(description="satisfaction dropped: last NPS at most this (0-10)")
    ] = float(NPS_DETRACTOR_MAX)
    csat_max: Annotated[
        float, Field(description="…or mean CSAT of the last 90 days at most this (1-5)")
    ] = 2.0
    struggle_sessions: Annotated[
        int,
        Field(
            ge=1, description="struggled silently: sessions with struggle in 28 days, no contact"
        ),
    ] = 2
    friction_lift: Annotated[
        float,
        Field(gt=0, description="struggle counts at friction points of at least this lift"),
    ] = 2.0
    high_risk_share: Annotated[
        float, Field(gt=0, le=1, description="high churn risk: the riskiest share of customers")
    ] = 0.1
    purchase_events: Annotated[
        tuple[str, ...], Field(description="events that are purchases, for P(alive)")
    ] = ("purchase",)
    alive_lookback_days: Annotated[
        int, Field(ge=1, description="P(alive) falling: compared with this many days before")
    ] = 28
    alive_max: Annotated[
        float, Field(gt=0, lt=1, description="P(alive) falling: P(alive) now at most this")
    ] = 0.5
    alive_drop: Annotated[
        float, Field(gt=0, lt=1, description="P(alive) falling: …and fell by at least this")
    ] = 0.2
    alive_min_customers: Annotated[
        int, Field(ge=2, description="customers who bought twice before P(alive) is fitted")
    ] = 30
    p_save: Annotated[
        float, Field(gt=0, le=1, description="prior chance that reaching a customer keeps them")
    ] = 0.2
    p_save_weight: Annotated[
        float,
        Field(
            gt=0,
            description="the prior's weight in expected churners when learning P(save) from "
            "past outreach",
        ),
    ] = 20.0
    rank_by: Annotated[
        Literal["expected_value", "p_churn"],
        Field(description="the queue's order: expected value saved, or churn risk alone"),
    ] = "expected_value"
    value_months: Annotated[
        float, Field(gt=0, description="months of monthly value a kept customer is worth")
    ] = 12.0
    cooldown_days: Annotated[
        int, Field(ge=0, description="no one is contacted again within this many days")
    ] = 30
    opt_out_keys: Annotated[
        tuple[str, ...],
        Field(description="keys of customers.attributes that, when true, mean: do not contact"),
    ] = ("opt_out", "do_not_contact", "marketing_opt_out")


def triggers(
    features: pd.DataFrame, hits: pd.DataFrame, cutoff: dt.datetime, config: OutreachConfig
) -> pd.DataFrame:
    """Per customer of ``features`` (with ``p_churn``): a boolean column per cause and the
    incident that touched them in the 28 days before ``cutoff`` (``incident_id``)."""
    f = features
    share = config.high_risk_share  # read even where no model scored anyone
    out = pd.DataFrame({"customer_id": f["customer_id"]})
    recent = hits
    if len(hits):
        when = pd.to_datetime(hits["started_at"], utc=True)
        cut = pd.Timestamp(cutoff)
        recent = hits[(when < cut) & (when >= cut - pd.Timedelta(days=28))]
    latest = (
        recent.sort_values("started_at").groupby("customer_id")["incident_id"].last()
        if len(recent)
        else pd.Series(dtype=object)
    )
    ids = f["customer_id"].map(latest).astype(object)
    out["incident_id"] = ids.where(ids.notna(), None)
    out["incident"] = out["incident_id"].notna()
    out["satisfaction_drop"] = (f["last_nps"] <= config.detractor_max) | (
        f["csat_mean_90d"] <= config.csat_max
    )
    out["silent_struggle"] = (f["struggle_sessions_28d"] >= config.struggle_sessions) & (
        f["contacts_28d"] == 0
    )
    fell = f["usage_trend"] <= np.log(1 - config.usage_drop)
    out["renewal_falling"] = (f["days_to_renewal"] <= config.renewal_days) & fell
    alive, before = _column(f, "p_alive"), _column(f, "p_alive_before")
    out["alive_falling"] = (alive <= config.alive_max) & (before - alive >= config.alive_drop)
    risk = f["p_churn"]
    if risk.notna().any():
        threshold = risk.quantile(1 - share)
        out["high_risk"] = risk >= threshold
    else:
        out["high_risk"] = False
    for cause in CAUSES:
        out[cause] = out[cause].fillna(False).astype(bool)
    return out


def _column(f: pd.DataFrame, name: str) -> pd.Series:
    """``f[name]`` as numbers, NaN where the column is missing."""
    if name not in f:
        return pd.Series(np.nan, index=f.index)
    return pd.to_numeric(f[name], errors="coerce")


def _idempotency_key(customer_id: str, cause: str) -> str:
    return hashlib.sha256(f"{customer_id}\x1f{cause}".encode()).hexdigest()[:32]


def outreach_queue(
    features: pd.DataFrame,
    hits: pd.DataFrame,
    cutoff: dt.datetime,
    config: OutreachConfig,
    *,
    incidents: pd.DataFrame,
    opted_out: set[str],
    history: pd.DataFrame,
    remedies: pd.DataFrame | None = None,
    base_rate: float | None = None,
    p_save: float | None = None,
) -> pd.DataFrame:
    """The ranked queue (:data:`QUEUE_COLUMNS`): one row per customer with a trigger.

    ``features``: :func:`~kizuki.analytics.churn_risk.churn_risk` rows (features, p_churn,
    reasons); ``incidents``: incident_id, started_at, title; ``history``: past deliveries
    (customer_id, cause, sent_at); ``remedies``: per customer the intent of their problem and
    what resolved it best for others (:func:`kizuki.outreach.remedies.customer_remedies`);
    ``base_rate``: P(churn) where no model could be trained; ``p_save``: P(save | reached)
    learned from past outreach (:func:`kizuki.outreach.p_save.learned_p_save`), else the prior.
    """
    months, cooldown, order = config.value_months, config.cooldown_days, config.rank_by
    p_save = config.p_save if p_save is None else p_save
    fired = triggers(features, hits, cutoff, config)
    any_cause = fired[list(CAUSES)].any(axis=1)
    f = features[any_cause.to_numpy()].reset_index(drop=True)
    fired = fired[any_cause.to_numpy()].reset_index(drop=True)
    if not len(f):
        return pd.DataFrame(columns=list(QUEUE_COLUMNS))
    names = np.array(CAUSES, dtype=object)
    matrix = fired[list(CAUSES)].to_numpy()
    cause = names[matrix.argmax(axis=1)]
    p = f["p_churn"].fillna(base_rate if base_rate is not None else 0.0)
    value = f["monthly_value"].fillna(0.0) * months
    q = pd.DataFrame(
        {
            "customer_id": f["customer_id"],
            "cause": np.where(
                cause == "incident", "incident:" + fired["incident_id"].astype(str), cause
            ),
            "triggers": [json.dumps(list(names[row])) for row in matrix],
            "incident_id": fired["incident_id"],
            "p_churn": p,
            "value": value,
            "p_save": p_save,
            "expected_value_saved": p * value * p_save,
            "reasons_ja": f["reasons_ja"],
            "reasons_en": f["reasons_en"],
        }
    )
    q = q.merge(_remedies(remedies), on="customer_id", how="left")
    q["channel"] = q["channel"].where(q["channel"].notna(), "email")
    titles = _titles(incidents)
    starts = {
        str(k): v for k, v in zip(incidents["incident_id"], incidents["started_at"], strict=True)
    }
    messages = [
        _messages(c, inc, titles, starts, art)
        for c, inc, art in zip(cause, q["incident_id"], q["article_title"], strict=True)
    ]
    q["message_ja"] = [m[0] for m in messages]
    q["message_en"] = [m[1] for m in messages]
    q["idempotency_key"] = [
        _idempotency_key(c, k) for c, k in zip(q["customer_id"], q["cause"], strict=True)
    ]
    reason = _suppression(q, cutoff, cooldown, opted_out, history)
    q["suppressed"] = reason.notna()
    q["suppressed_reason"] = reason
    key = "expected_value_saved" if order == "expected_value" else "p_churn"
    q = q.sort_values(
        ["suppressed", key, "customer_id"],
        ascending=[True, False, True],
        kind="stable",
    ).reset_index(drop=True)
    q["rank"] = np.arange(1, len(q) + 1)
    return q.loc[:, list(QUEUE_COLUMNS)]


def _remedies(remedies: pd.DataFrame | None) -> pd.DataFrame:
    """``customer_id, intent, article, article_title, channel``, one row per customer."""
    cols = ["customer_id", "intent", "article", "article_title", "channel"]
    if remedies is None or not len(remedies):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    return remedies.loc[:, cols].drop_duplicates("customer_id")


def _titles(incidents: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """incident_id → (title, English title: ``affected.title_en`` where given, else title)."""
    out = {}
    for row in incidents.itertuples():
        title = str(row.title or row.incident_id)
        english = affected_doc(getattr(row, "affected", None)).get("title_en")
        out[str(row.incident_id)] = (title, str(english) if english else title)
    return out


def _messages(
    cause: str,
    incident: Any,
    titles: dict[str, tuple[str, str]],
    starts: dict[str, Any],
    article: Any,
) -> tuple[str, str]:
    art = "" if article is None or article != article else str(article)
    ja, en = titles.get(incident, ("", "")) if isinstance(incident, str) else ("", "")
    start = starts.get(incident) if isinstance(incident, str) else None
    date = pd.Timestamp(start).strftime("%Y-%m-%d") if start is not None else ""
    return (
        message(cause, "ja", title=ja, date=date, article=art),
        message(cause, "en", title=en, date=date, article=art),
    )


def _suppression(
    q: pd.DataFrame,
    cutoff: dt.datetime,
    cooldown_days: int,
    opted_out: set[str],
    history: pd.DataFrame,
) -> pd.Series:
    """Why each row must not be sent (None: it may)."""
    reason = pd.Series([None] * len(q), index=q.index, dtype=object)
    cooldown = pd.Timedelta(days=cooldown_days)
    if len(history):
        sent = pd.to_datetime(history["sent_at"], utc=True)
        done = set(zip(history["customer_id"], history["cause"], strict=True))
        same = [(c, k) in done for c, k in zip(q["customer_id"], q["cause"], strict=True)]
        recent = history[sent >= pd.Timestamp(cutoff) - cooldown]
        reason[q["customer_id"].isin(set(recent["customer_id"])).to_numpy()] = "cooldown"
        reason[np.array(same, dtype=bool)] = "already_sent"
    reason[q["customer_id"].isin(opted_out).to_numpy()] = "opted_out"
    return reason
