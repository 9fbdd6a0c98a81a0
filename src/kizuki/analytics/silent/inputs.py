"""The silent-customer estimate's inputs: the engine-side queries and the small tables they return.

:func:`load_silent_inputs` runs everything event-heavy inside the store's engine (the units of
:mod:`kizuki.analytics.silent.units`, the contact and churn flags) and brings back only the
per-customer tables :class:`SilentInputs` holds, from which
:func:`~kizuki.analytics.silent.table.estimate_silent` computes in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis.expr.types as ir
import pandas as pd

from kizuki.analytics.sessions import DEFAULT_STAGES, OTHER_STAGE
from kizuki.analytics.silent.config import SilentConfig
from kizuki.analytics.silent.units import (
    incident_windows,
    session_units,
    unit_contacts,
    unit_patterns,
)

__all__ = ["SilentInputs", "load_silent_inputs"]


@dataclass(frozen=True)
class SilentInputs:
    """The small tables the estimator needs, already out of the engine (pandas).

    Attributes
    ----------
    patterns
        Units per ``customer_id, page_path, error_kind, loop, help_kind``: column ``units``
        (:func:`~kizuki.analytics.silent.units.unit_patterns`).
    contacts_after
        ``customer_id, page_path, intent`` and the indicators of the unit a labelled human
        contact followed (:func:`~kizuki.analytics.silent.units.unit_contacts`).
    customers
        ``customer_id, monthly_value`` and the flags ``churned, resolved_any, responded,
        dissatisfied``.
    labelled_share
        The share of human contacts that carry an intent label.
    linked_share
        The share of human contacts linked to a customer (1 when there are none).
    human_contacts
        Human (not chatbot) contacts in all.
    stages
        Page -> its journey stage.
    """

    patterns: pd.DataFrame
    contacts_after: pd.DataFrame
    customers: pd.DataFrame
    labelled_share: float
    human_contacts: int
    stages: dict[str, str]
    linked_share: float = 1.0


def load_silent_inputs(
    *,
    events: ir.Table,
    signals: ir.Table,
    contacts: ir.Table,
    customers: ir.Table,
    subscriptions: ir.Table,
    surveys: ir.Table | None = None,
    incidents: ir.Table | None = None,
    config: SilentConfig | None = None,
    gap_minutes: int = 30,
    use_session_id: bool = False,
) -> SilentInputs:
    """Run the engine-side queries and bring back the small tables the estimate reads.

    ``events`` that carry ``session_key`` (the journey stream the signals came from) keep
    their sessions; other events are sessionised here with ``gap_minutes`` and
    ``use_session_id``, which must be the signals' own.

    The arguments are those of :func:`~kizuki.analytics.silent.table.silent_customers`, which
    calls this and then :func:`~kizuki.analytics.silent.table.estimate_silent`; calling the two
    apart lets the estimate run without the engine (e.g. in a worker thread).

    Examples
    --------
    >>> inputs = load_silent_inputs(events=..., signals=..., contacts=..., customers=...,
    ...                             subscriptions=...)  # doctest: +SKIP
    >>> estimate_silent(inputs, rng=0)  # doctest: +SKIP
    """
    cfg = config or SilentConfig()
    windows = incident_windows(incidents) if incidents is not None else []
    units = session_units(
        events,
        signals,
        incidents=windows,
        help_prefixes=cfg.help_prefixes,
        page_events=cfg.page_events,
        gap_minutes=gap_minutes,
        use_session_id=use_session_id,
        incident_margin_minutes=cfg.incident_margin_minutes,
        loop_anchors=cfg.loop_anchors,
    ).cache()  # read by the patterns and by the contacts: computed once
    patterns = unit_patterns(units).to_pandas()
    after = unit_contacts(units, contacts, window_days=cfg.window_days).to_pandas()
    human = contacts.filter(contacts.channel != "chatbot")
    counts = human.aggregate(
        n=human.count(),
        labelled=human.intent.notnull().sum(),
        linked=human.customer_id.notnull().sum(),
    ).to_pandas()
    n_human = int(counts["n"].iloc[0])
    labelled, linked = counts["labelled"].iloc[0], counts["linked"].iloc[0]
    n_lab = 0 if pd.isna(labelled) else int(labelled)  # SUM over no rows: NULL (NaN on Spark)
    n_linked = 0 if pd.isna(linked) else int(linked)
    resolved = (
        human.filter(human.customer_id.notnull() & human.resolved_at.notnull())
        .select("customer_id")
        .distinct()
        .to_pandas()
    )
    cust = customers.select("customer_id", "monthly_value").to_pandas()
    ended = subscriptions.filter(
        subscriptions.status.isin(["churned", "cancelled"]) & subscriptions.ended_at.notnull()
    )
    churned = ended.select("customer_id").distinct().to_pandas()
    cust["churned"] = cust["customer_id"].isin(churned["customer_id"])
    cust["resolved_any"] = cust["customer_id"].isin(resolved["customer_id"])
    cust["responded"] = False
    cust["dissatisfied"] = False
    if surveys is not None:
        low = (
            ((surveys.kind == "nps") & (surveys.score <= cfg.nps_detractor_max))
            | ((surveys.kind == "csat") & (surveys.score <= cfg.csat_low_max))
            | ((surveys.kind == "ces") & (surveys.score <= cfg.ces_low_max))
        )
        sv = (
            surveys.filter(surveys.customer_id.notnull())
            .group_by("customer_id")
            .aggregate(dissatisfied=low.any())
            .to_pandas()
        )
        cust["responded"] = cust["customer_id"].isin(sv["customer_id"])
        bad = sv.loc[sv["dissatisfied"].astype(bool), "customer_id"]
        cust["dissatisfied"] = cust["customer_id"].isin(bad)
    stage_rows = signals.group_by(["page_path", "stage"]).aggregate(n=signals.count()).to_pandas()
    stages: dict[str, str] = {}
    if len(stage_rows):
        top = stage_rows.sort_values(["page_path", "n"], ascending=[True, False])
        top = top[top["stage"].notna()]
        stages = dict(top.drop_duplicates("page_path")[["page_path", "stage"]].itertuples(False))
    for page in patterns["page_path"].dropna().unique():
        if stages.get(page) is None:
            stages[page] = _default_stage(str(page))
    return SilentInputs(
        patterns=patterns,
        contacts_after=after,
        customers=cust,
        labelled_share=(n_lab / n_human) if n_human else 1.0,
        linked_share=(n_linked / n_human) if n_human else 1.0,
        human_contacts=n_human,
        stages={str(k): str(v) for k, v in stages.items()},
    )


def _default_stage(page: str) -> str:
    """The stage of ``page`` by the default prefixes (when the signals carry none)."""
    for stage, prefixes in DEFAULT_STAGES.items():
        for prefix in prefixes:
            if page == prefix[:-1] if prefix.endswith("$") else page.startswith(prefix):
                return stage
    return OTHER_STAGE
