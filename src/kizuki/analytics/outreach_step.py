"""The ``outreach`` step of ``kizuki analyze``: churn risk at the end of the data and the
outreach queue (issue 23, docs/outreach.md)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd

from kizuki.analytics.churn_risk import churn_risk
from kizuki.analytics.customer_features import friction_signals
from kizuki.analytics.incident_exposure import incident_hits
from kizuki.outreach.alive_trigger import alive_scores, with_alive
from kizuki.outreach.p_save import learned_p_save
from kizuki.outreach.queue import outreach_queue
from kizuki.outreach.remedies import best_remedies, customer_intents, customer_remedies
from kizuki.outreach.webhook import DELIVERIES_TABLE

if TYPE_CHECKING:
    from kizuki.analytics.pipeline import RunContext

__all__ = ["DELIVERIES_TABLE", "OUTREACH_TABLES", "data_end", "outreach_step"]

OUTREACH_TABLES = ("result_churn_model", "result_outreach_queue")


def data_end(ctx: RunContext) -> dt.datetime:
    """The end of the data (the overview's ``date_range``): the queue's cut-off."""
    end = ctx.overview["date_range"][1]
    if end is None:
        return dt.datetime.now(dt.UTC)
    utc: dt.datetime = pd.Timestamp(end).tz_convert("UTC").to_pydatetime()
    return utc


def outreach_step(ctx: RunContext) -> dict[str, pd.DataFrame]:
    """The tables of :data:`OUTREACH_TABLES`."""
    config, t = ctx.settings.outreach, ctx.store.table
    cutoff = data_end(ctx)
    hits = incident_hits(t, before=cutoff)
    frame = _friction_signals(ctx, config.friction_lift)
    scores, info = churn_risk(
        t,
        cutoff,
        config.window_days,
        hits=hits,
        signals=frame,
        seed=ctx.settings.seed,
        stack=config.training_cutoffs,
    )
    alive, alive_info = alive_scores(
        _purchases(ctx, config.purchase_events, cutoff),
        cutoff,
        lookback_days=config.alive_lookback_days,
        min_customers=config.alive_min_customers,
    )
    scores = with_alive(scores, alive)
    sent = _history(ctx)
    p_save, save_info = learned_p_save(
        sent,
        _churned_at(ctx),
        cutoff,
        config.window_days,
        prior=config.p_save,
        weight=config.p_save_weight,
    )
    incidents = ctx.store.to_arrow(
        t("incidents").select("incident_id", "started_at", "title", "affected")
    ).to_pandas()
    queue = outreach_queue(
        scores,
        hits,
        cutoff,
        config,
        incidents=incidents,
        opted_out=_opted_out(ctx, config.opt_out_keys),
        history=sent,
        remedies=_remedies(ctx, frame),
        base_rate=info.get("base_rate"),
        p_save=p_save,
    )
    model = pd.DataFrame([info | save_info | _alive_row(alive_info)])
    return {"result_churn_model": model, "result_outreach_queue": queue}


def _alive_row(info: dict[str, object]) -> dict[str, object]:
    return {"alive_status": info["alive_status"], "alive_customers": info["alive_customers"]}


def _purchases(ctx: RunContext, names: tuple[str, ...], cutoff: dt.datetime) -> pd.DataFrame:
    """``customer_id, ts, value`` of known customers' purchase events before ``cutoff`` (the
    value: ``properties.value`` where the event has one, as GA4's purchase does)."""
    events = ctx.table("events")
    rows = events.filter(
        events.customer_id.notnull()
        & events.event_name.isin(list(names))
        & (events.ts < ibis.literal(cutoff))
    )
    frame: pd.DataFrame = ctx.store.to_arrow(
        rows.select("customer_id", "ts", "properties")
    ).to_pandas()
    # parsed here, not in the engine: JSON functions differ between DuckDB and Spark
    frame["value"] = [_value(raw) for raw in frame.pop("properties")]
    return frame


def _value(raw: object) -> float:
    """``value`` of an event's properties JSON (a number, or a number written as text)."""
    try:
        props = raw if isinstance(raw, dict) else json.loads(str(raw)) if raw else {}
        found = props.get("value")
        return float(found) if found is not None else float("nan")
    except (TypeError, ValueError, AttributeError):
        return float("nan")


def _churned_at(ctx: RunContext) -> pd.Series:
    """customer_id → when their last subscription ended (customers with none running)."""
    subs = ctx.table("subscriptions")
    per = subs.group_by("customer_id").aggregate(
        ended=subs.ended_at.max(), running=subs.ended_at.isnull().sum()
    )
    frame = ctx.store.to_arrow(per.filter(per.running == 0)).to_pandas()
    return pd.Series(frame["ended"].to_numpy(), index=frame["customer_id"].astype(str))


def _remedies(ctx: RunContext, struggles: pd.DataFrame | None) -> pd.DataFrame | None:
    """What resolved each queued customer's problem best for others (remedies module)."""
    selfservice = ctx.result_if_any("result_selfservice")
    articles = ctx.result_if_any("result_content_articles")
    points = ctx.result_if_any("result_friction_points")
    contacts = ctx.result_if_any("result_contact_intents")
    best = best_remedies(
        _frame(ctx, selfservice, "intent", "channel", "attempts", "success_rate"),
        _frame(ctx, articles, "content_id", "intent", "title", "views", "contact_after_share"),
    )
    mine = None
    intents = _frame(ctx, points, "signal", "page_path", "likely_intent")
    if struggles is not None and intents is not None and len(struggles):
        mine = struggles.merge(intents, on=["signal", "page_path"], how="inner").rename(
            columns={"likely_intent": "intent"}
        )
    said = _frame(ctx, contacts, "customer_id", "opened_at", "intent")
    return customer_remedies(customer_intents(mine, said), best)


def _frame(ctx: RunContext, table: ir.Table | None, *columns: str) -> pd.DataFrame | None:
    if table is None:
        return None
    frame: pd.DataFrame = ctx.store.to_arrow(table.select(*columns)).to_pandas()
    return frame


def _friction_signals(ctx: RunContext, lift: float) -> pd.DataFrame | None:
    """Struggle signals of known customers at friction points
    (:func:`~kizuki.analytics.customer_features.friction_signals`)."""
    signals = ctx.result_if_any("result_signals")
    points = ctx.result_if_any("result_friction_points")
    if signals is None or points is None:
        return None
    frame: pd.DataFrame = ctx.store.to_arrow(friction_signals(signals, points, lift)).to_pandas()
    return frame


def _opted_out(ctx: RunContext, keys: tuple[str, ...]) -> set[str]:
    """Customers whose ``attributes`` say one of ``keys`` is true."""
    customers = ctx.store.to_arrow(ctx.table("customers").select("customer_id", "attributes"))
    out = set()
    for cid, raw in zip(*customers.to_pydict().values(), strict=True):
        try:
            attrs = json.loads(raw) if raw else {}
        except (TypeError, json.JSONDecodeError):
            continue
        if isinstance(attrs, dict) and any(attrs.get(k) in (True, "true", 1, "1") for k in keys):
            out.add(str(cid))
    return out


def _history(ctx: RunContext) -> pd.DataFrame:
    """Past deliveries that were sent (empty before the first), with the P(churn) they were
    sent at."""
    columns = ["customer_id", "cause", "sent_at", "p_churn"]
    if DELIVERIES_TABLE not in ctx.store.list_tables():
        return pd.DataFrame(columns=columns)
    table = ctx.store.table(DELIVERIES_TABLE)
    if "p_churn" not in table.columns:
        table = table.mutate(p_churn=ibis.null().cast("float64"))
    sent = table.filter(table.status == "sent").select(*columns)
    frame: pd.DataFrame = ctx.store.to_arrow(sent).to_pandas()
    return frame
