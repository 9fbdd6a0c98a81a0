"""The ``selfservice`` step of ``kizuki analyze``: self-resolution per intent and channel, the
channel fit, the mismatch ranking and the content gaps (docs/selfservice.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from kizuki.analytics.channel_flows import channel_flows
from kizuki.analytics.selfservice import (
    attempt_outcomes,
    chatbot_attempts,
    selfservice_table,
    success_probability,
    web_attempts,
)
from kizuki.analytics.selfservice_gaps import (
    articles_by_intent,
    content_gaps,
    selfservice_mismatch,
)

if TYPE_CHECKING:
    from kizuki.analytics.pipeline import RunContext

__all__ = ["SELFSERVICE_TABLES", "selfservice_step"]

SELFSERVICE_TABLES = (
    "result_selfservice",
    "result_selfservice_mismatch",
    "result_content_gaps",
    "result_channel_flows",
)
#: The intent model's answer for a contact that fits no intent (IntentClassifier's default).
OOS_LABEL = "out_of_scope"
_CONTACT_COLUMNS = ["contact_id", "customer_id", "channel", "opened_at", "status", "intent"]


def selfservice_step(ctx: RunContext) -> dict[str, pd.DataFrame]:
    """The tables of :data:`SELFSERVICE_TABLES`."""
    config = ctx.settings.selfservice
    queries = ctx.result_if_any("result_query_intents", earlier_runs=True)
    web = ctx.store.to_arrow(web_attempts(ctx.stream(), queries, config.return_minutes)).to_pandas()
    contacts_expr = ctx.contacts_with_model_intents()
    contacts = ctx.store.to_arrow(contacts_expr.select(*_CONTACT_COLUMNS)).to_pandas()
    attempts = attempt_outcomes(web, chatbot_attempts(contacts), contacts, config)
    ctx.cache["selfservice_inputs"] = (web, contacts, attempts)  # the content step's too
    fit = selfservice_table(attempts, contacts, config, ctx.settings.seed)
    content = ctx.store.to_arrow(ctx.table("content").select("content_id", "intents")).to_pandas()
    articles = articles_by_intent(content)
    fix = ctx.result_if_any("result_fix_first", earlier_runs=True)
    revenue = (
        ctx.store.to_arrow(fix.select("intent", "revenue_at_risk")).to_pandas()
        if fix is not None
        else None
    )
    topics_table = ctx.result_if_any("result_new_topics", earlier_runs=True)
    topics = (
        ctx.store.to_arrow(topics_table.select("topic_id", "contacts", "label")).to_pandas()
        if topics_table is not None
        else None
    )
    subs = ctx.table("subscriptions")
    ended = ctx.store.to_arrow(
        subs.filter(subs.ended_at.notnull()).select("customer_id", "ended_at")
    ).to_pandas()
    attempts["success_probability"] = success_probability(attempts, config)
    flows = channel_flows(
        attempts, contacts, ended, window_days=config.window_days, config=ctx.settings.flows
    )
    return {
        "result_selfservice": fit,
        "result_selfservice_mismatch": selfservice_mismatch(
            fit, attempts, articles, revenue, config
        ),
        "result_content_gaps": content_gaps(
            fit, attempts, contacts, articles, topics, config, oos_label=OOS_LABEL
        ),
        "result_channel_flows": flows,
    }
