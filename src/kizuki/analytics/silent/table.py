"""The silent-customer table: one row per modelled page, ranked, and a total row.

:func:`estimate_silent` runs the per-page model (:func:`~kizuki.analytics.silent.page_fit.
fit_page`, :func:`~kizuki.analytics.silent.page_estimate.page_row`) over every page with enough
units and a signal, in a fixed order and with one generator, so the table is the same to the
last bit for the same inputs and seed whatever order the engine returned them in;
:func:`silent_customers` reads the inputs from the engine first.
"""

from __future__ import annotations

import zlib
from dataclasses import replace
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kizuki.analytics.silent.bootstrap import CustomerWeights, ci
from kizuki.analytics.silent.config import SilentConfig
from kizuki.analytics.silent.inputs import SilentInputs, load_silent_inputs
from kizuki.analytics.silent.page_estimate import page_row
from kizuki.analytics.silent.page_fit import fit_page
from kizuki.analytics.silent.signal_excess import Background

__all__ = ["SILENT_COLUMNS", "estimate_silent", "silent_customers"]

F64 = NDArray[np.float64]

#: Columns of :func:`silent_customers`, in order.
SILENT_COLUMNS = (
    "stage",
    "page_path",
    "signal",
    "error_kind",
    "intent",
    "detected",
    "method",
    "p_value",
    "units",
    "customers",
    "affected",
    "affected_ci_low",
    "affected_ci_high",
    "contacted",
    "contacted_ci_low",
    "contacted_ci_high",
    "silent",
    "silent_ci_low",
    "silent_ci_high",
    "contact_rate",
    "contact_rate_ci_low",
    "contact_rate_ci_high",
    "churn_silent",
    "churn_resolved",
    "churn_unaffected",
    "excess_churn",
    "excess_churn_ci_low",
    "excess_churn_ci_high",
    "monthly_value",
    "revenue_at_risk",
    "revenue_at_risk_ci_low",
    "revenue_at_risk_ci_high",
    "goodman_silent",
    "goodman_silent_low",
    "goodman_silent_high",
    "survey_silent",
    "survey_silent_ci_low",
    "survey_silent_ci_high",
    "survey_responses",
    "best_estimate",
    "affected_identified",
    "silent_identified",
    "silent_identified_ci_low",
    "silent_identified_ci_high",
    "coverage",
    "linked_share",
    "diagnostic",
)


def _in_canonical_order(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` sorted by all its columns. Engines return rows in no set order, and float sums
    over them would otherwise differ in the last bits from one query plan (or engine) to
    another."""
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)


def estimate_silent(
    inputs: SilentInputs,
    config: SilentConfig | None = None,
    *,
    rng: np.random.Generator | int | None = 0,
) -> pd.DataFrame:
    """The silent-customer table from :class:`~kizuki.analytics.silent.inputs.SilentInputs`
    (pure; seeded).

    One row per modelled page, ranked by revenue at risk then silent customers (pages whose
    problem class is not significant come last with zero affected), and a last ``total`` row
    (``stage = "total"``, ``page_path`` null) summing the detected pages.

    Examples
    --------
    >>> inputs = load_silent_inputs(events=..., signals=..., contacts=..., customers=...,
    ...                             subscriptions=...)  # doctest: +SKIP
    >>> estimate_silent(inputs, rng=0).iloc[-1]["stage"]  # doctest: +SKIP
    'total'
    """
    cfg = config or SilentConfig()
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    inputs = replace(
        inputs,
        patterns=_in_canonical_order(inputs.patterns),
        contacts_after=_in_canonical_order(inputs.contacts_after),
        customers=_in_canonical_order(inputs.customers),
    )
    pats = inputs.patterns
    known = set(inputs.contacts_after["intent"].dropna().astype(str))
    rows: list[dict[str, Any]] = []
    totals: dict[str, F64] = {}
    weights = CustomerWeights.draw(pats["customer_id"], cfg.n_boot, gen)
    # each page draws from its own stream (the seed and the page's name): a page's intervals
    # do not depend on which other pages were modelled
    base = int(gen.integers(2**63))
    # the signal-excess test's background: every page's units (:mod:`.signal_excess`)
    background = Background.of(pats[pats["page_path"].notna()])
    modelled = [
        (page, grp)
        for page in sorted(pats["page_path"].dropna().unique())
        if _is_modelled(grp := pats[pats["page_path"] == page], cfg)
    ]
    for page, grp in modelled:
        page_gen = np.random.default_rng([base, zlib.crc32(str(page).encode("utf-8"))])
        pf = fit_page(str(page), grp, cfg, page_gen, n_pages=len(modelled), background=background)
        row, draws = page_row(pf, inputs, cfg, page_gen, known, weights)
        rows.append(row)
        if row["detected"]:
            for key, d in draws.items():
                totals[key] = totals.get(key, 0.0) + d
    out = pd.DataFrame(rows, columns=list(SILENT_COLUMNS))
    if len(out):
        out = (
            out.assign(_sig=out["p_value"].where(~out["detected"], 0.0))
            .sort_values(
                ["detected", "_sig", "revenue_at_risk", "silent"],
                ascending=[False, True, False, False],
            )
            .drop(columns="_sig")
            .reset_index(drop=True)
        )
    total = _total_row(out, totals)
    return pd.concat([out, pd.DataFrame([total], columns=list(SILENT_COLUMNS))], ignore_index=True)


def _is_modelled(grp: pd.DataFrame, cfg: SilentConfig) -> bool:
    """Whether a page's units (its rows of the patterns) are enough to model, and signal."""
    if float(grp["units"].sum()) < cfg.min_units:
        return False
    has_signal = (grp["error_kind"] != "") | grp["loop"].astype(bool) | (grp["help_kind"] != "")
    return bool(has_signal.any())


def _total_row(out: pd.DataFrame, totals: dict[str, F64]) -> dict[str, Any]:
    """The ``total`` row: sums over the detected pages of ``out``, and intervals of the sums
    of their draws ``totals`` (the pages' customers resampled alike)."""
    det = out[out["detected"]] if len(out) else out
    total: dict[str, Any] = dict.fromkeys(SILENT_COLUMNS)
    total.update(stage="total", detected=bool(len(det)), best_estimate="measured")
    total["method"] = ",".join(sorted(set(det["method"]))) if len(det) else None
    for col in ("units", "affected", "contacted", "silent", "revenue_at_risk"):
        total[col] = float(det[col].sum()) if len(det) else 0.0
    for col in ("goodman_silent", "goodman_silent_low", "goodman_silent_high", "survey_silent"):
        total[col] = float(det[col].sum()) if len(det) else 0.0
    for col in ("affected_identified", "silent_identified"):
        total[col] = float(det[col].sum()) if len(det) else 0.0
    if total["affected"]:
        total["coverage"] = total["affected_identified"] / total["affected"]
    for key, col in (
        ("affected", "affected"),
        ("contacted", "contacted"),
        ("silent", "silent"),
        ("revenue", "revenue_at_risk"),
        ("silent_identified", "silent_identified"),
    ):
        if key in totals:
            total[f"{col}_ci_low"], total[f"{col}_ci_high"] = ci(totals[key])
    if total["affected"]:
        total["contact_rate"] = total["contacted"] / total["affected"]
    return total


def silent_customers(
    *,
    events: ir.Table,
    signals: ir.Table,
    contacts: ir.Table,
    customers: ir.Table,
    subscriptions: ir.Table,
    surveys: ir.Table | None = None,
    incidents: ir.Table | None = None,
    config: SilentConfig | None = None,
    rng: np.random.Generator | int | None = 0,
    gap_minutes: int = 30,
    use_session_id: bool = False,
) -> pd.DataFrame:
    """Silent customers and money at risk per friction page, and in total.

    :func:`~kizuki.analytics.silent.inputs.load_silent_inputs`, then :func:`estimate_silent`.
    ``signals`` need ``session_key, signal, page_path, intent`` (and may have ``detail``); see
    :func:`~kizuki.analytics.silent.units.session_units` for how they and ``events`` are read.

    Examples
    --------
    >>> from kizuki.store import open_store                       # doctest: +SKIP
    >>> st = open_store("duckdb:///kizuki.duckdb")                  # doctest: +SKIP
    >>> from kizuki.analytics.signals import find_struggle_signals  # doctest: +SKIP
    >>> silent_customers(events=st.table("events"), signals=..., contacts=st.table("contacts"),
    ...                  customers=st.table("customers"),
    ...                  subscriptions=st.table("subscriptions"))   # doctest: +SKIP
    """
    cfg = config or SilentConfig()
    inputs = load_silent_inputs(
        events=events,
        signals=signals,
        contacts=contacts,
        customers=customers,
        subscriptions=subscriptions,
        surveys=surveys,
        incidents=incidents,
        config=cfg,
        gap_minutes=gap_minutes,
        use_session_id=use_session_id,
    )
    return estimate_silent(inputs, cfg, rng=rng)
