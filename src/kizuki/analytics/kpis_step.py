"""The ``kpis`` step of ``kizuki analyze``: ``result_kpis`` from the contacts (with the intent
model's intents where a contact has none), the survey answers and the customers' segments."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from kizuki.analytics.kpi_alerts import satisfaction_alerts
from kizuki.analytics.kpis import (
    contact_frame,
    contacts_per_active_rows,
    deflection_rows,
    kpi_table,
    survey_frame,
    with_first_replies,
)
from kizuki.analytics.local_time import local_week_start
from kizuki.analytics.staffing_plan import hourly_plan

if TYPE_CHECKING:
    from kizuki.analytics.pipeline import RunContext

__all__ = ["KPI_TABLES", "kpis_step"]

KPI_TABLES = ("result_kpis", "result_kpi_alerts", "result_staffing")
_CONTACT_COLUMNS = (
    "contact_id", "customer_id", "channel", "opened_at", "first_response_at", "resolved_at",
    "status", "intent", "agent_id",
)  # fmt: skip


def kpis_step(ctx: RunContext) -> dict[str, pd.DataFrame]:
    """The tables of :data:`KPI_TABLES`."""
    config = ctx.settings.kpis
    store = ctx.store
    contacts = store.to_arrow(
        ctx.contacts_with_model_intents().select(*_CONTACT_COLUMNS)
    ).to_pandas()
    customers = store.to_arrow(ctx.table("customers").select("customer_id", "segment")).to_pandas()
    surveys = store.to_arrow(
        ctx.table("surveys").select("customer_id", "ts", "kind", "score", "contact_id")
    ).to_pandas()
    comments = ctx.table("comments")
    agent = comments.filter((comments.author_role == "agent") & comments.public.fill_null(False))
    replies = store.to_arrow(agent.group_by("contact_id").aggregate(ts=agent.ts.min())).to_pandas()
    frame = contact_frame(with_first_replies(contacts, replies), customers, config, ctx.timezone)
    answers = survey_frame(surveys, frame, customers, ctx.timezone)
    alerts = satisfaction_alerts(
        answers,
        baseline_weeks=config.alert_baseline_weeks,
        alpha=config.alert_alpha,
        min_answers=config.alert_min_answers,
        csat_satisfied_min=config.csat_satisfied_min,
        ces_higher_is_easier=config.ces_higher_is_easier,
    )
    fit = _selfservice(ctx)  # read once: deflection and the staffing plan's moved intents
    plan = hourly_plan(
        frame,
        ctx.timezone,
        channels=config.live_channels,
        target=config.service_level_target,
        within_seconds=config.service_level_seconds,
        default_aht_seconds=config.default_aht_seconds,
        max_handle_seconds=config.max_handle_seconds,
        self_service_intents=_digital_first(fit),
    )
    kpis = kpi_table(frame, answers, config)
    extra = [contacts_per_active_rows(frame, _active_weeks(ctx, customers))]
    if fit is not None and len(fit):
        extra.append(deflection_rows(fit, frame))
    kpis = pd.concat([kpis, *extra], ignore_index=True)
    return {
        "result_kpis": kpis,
        "result_kpi_alerts": alerts,
        "result_staffing": plan,
    }


def _active_weeks(ctx: RunContext, customers: pd.DataFrame) -> pd.DataFrame:
    """Each customer with an event in a local week, with their segment (computed in the
    engine: one row per customer and week)."""
    events = ctx.table("events")
    known = events.filter(events.customer_id.notnull())
    weeks = known.select(
        customer_id=known.customer_id, week=local_week_start(known.ts, ctx.timezone)
    ).distinct()
    frame: pd.DataFrame = ctx.store.to_arrow(weeks).to_pandas()
    segment = customers.drop_duplicates("customer_id").set_index("customer_id")["segment"]
    frame["segment"] = frame["customer_id"].map(segment)
    return frame


def _selfservice(ctx: RunContext) -> pd.DataFrame | None:
    """This run's ``result_selfservice`` (None when the step did not run)."""
    table = ctx.result_if_any("result_selfservice")
    if table is None:
        return None
    columns = ("intent", "channel", "successes", "recommendation")
    frame: pd.DataFrame = ctx.store.to_arrow(table.select(*columns)).to_pandas()
    return frame


def _digital_first(fit: pd.DataFrame | None) -> list[str]:
    """Intents the self-service step recommends ``digital_first`` (none before it ran)."""
    if fit is None:
        return []
    mine = fit[(fit["channel"] == "self_service") & (fit["recommendation"] == "digital_first")]
    return sorted(mine["intent"].astype(str))
