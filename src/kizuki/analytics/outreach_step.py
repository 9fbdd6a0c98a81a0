"""The ``outreach`` step of ``kizuki analyze``: churn risk at the end of the data and the
outreach queue (issue 23, docs/outreach.md)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import pandas as pd

from kizuki.analytics.churn_risk import churn_risk
from kizuki.analytics.incident_exposure import incident_hits
from kizuki.outreach.queue import outreach_queue
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
        history=_history(ctx),
        base_rate=info.get("base_rate"),
    )
    return {"result_churn_model": pd.DataFrame([info]), "result_outreach_queue": queue}


def _friction_signals(ctx: RunContext, lift: float) -> pd.DataFrame | None:
    """Struggle signals of known customers at friction points (``lift`` or more; the
    background noise of long dwells and reloads everywhere is left out)."""
    signals = ctx.result_if_any("result_signals")
    points = ctx.result_if_any("result_friction_points")
    if signals is None or points is None:
        return None
    hot = points.filter(points.lift >= lift).select("signal", "page_path")
    mine = signals.filter(signals.customer_id.notnull())
    joined = mine.join(hot, ["signal", "page_path"])
    frame: pd.DataFrame = ctx.store.to_arrow(
        joined.select("customer_id", "session_key", "ts", "signal")
    ).to_pandas()
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
    """Past deliveries that were sent (empty before the first)."""
    if DELIVERIES_TABLE not in ctx.store.list_tables():
        return pd.DataFrame(columns=["customer_id", "cause", "sent_at"])
    table = ctx.store.table(DELIVERIES_TABLE)
    sent = table.filter(table.status == "sent").select("customer_id", "cause", "sent_at")
    frame: pd.DataFrame = ctx.store.to_arrow(sent).to_pandas()
    return frame
