"""The P(alive)-falling trigger: customers without a contract whose purchases have stopped
for longer than their own rhythm explains (issue 23, docs/outreach.md).

Purchases are the events named in ``[analyze.outreach] purchase_events`` (GA4's ``purchase``
by default) of known customers. A BG/NBD model (:class:`kizuki.models.alive.BGNBD`) is fitted
on every customer's purchases before the cut-off, in weeks; each customer's P(alive) is then
read at the cut-off and ``alive_lookback_days`` before it with the same parameters. The
trigger fires where P(alive) is at most ``alive_max`` now and fell by at least ``alive_drop``.
With fewer than ``alive_min_customers`` customers who bought twice, nothing is fitted.

Customers with a subscription keep their churn model's P(churn) and gain ``p_alive``; those
without one (a shop, a pay-as-you-go service) join the queue's candidates with P(churn) =
1 − P(alive) and a monthly value of their last 365 days of purchases / 12 (:func:`with_alive`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ALIVE_COLUMNS", "alive_scores", "with_alive"]

#: A light L2 pull on the parameters: purchase logs of a few hundred customers can leave the
#: likelihood flat in one direction (rates nearly alike), where the plain fit wanders off.
PENALIZER = 0.001
ALIVE_COLUMNS = ("customer_id", "p_alive", "p_alive_before", "purchases", "purchase_value_365d")


def alive_scores(
    purchases: pd.DataFrame,
    cutoff: dt.datetime,
    *,
    lookback_days: int = 28,
    min_customers: int = 30,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per customer with a purchase before ``cutoff`` (``purchases``: ``customer_id, ts`` and
    optionally ``value``): :data:`ALIVE_COLUMNS`; and what was fitted (``alive_status``:
    fitted, no_purchases or too_few_repeaters; the parameters)."""
    from kizuki.models.alive import BGNBD
    from kizuki.models.alive_data import customer_summary

    empty = pd.DataFrame({c: pd.Series(dtype=object if c == "customer_id" else "float64")
                          for c in ALIVE_COLUMNS})  # fmt: skip
    cut = pd.Timestamp(cutoff).tz_convert("UTC")
    known = purchases[purchases["customer_id"].notna()].copy()
    known["ts"] = pd.to_datetime(known["ts"], utc=True)
    known = known[known["ts"] < cut]
    info: dict[str, Any] = {"alive_status": "no_purchases", "alive_customers": 0}
    if not len(known):
        return empty, info
    # purchase days in UTC; the calibration period ends the day before the cut-off
    known["day"] = known["ts"].dt.tz_localize(None).dt.normalize()
    until = (cut - pd.Timedelta(days=1)).tz_localize(None).normalize()
    now = customer_summary(known, "customer_id", "day", until=until, unit="week")
    info["alive_customers"] = len(now)
    repeaters = int((now["frequency"] > 0).sum())
    info["alive_repeaters"] = repeaters
    if repeaters < min_customers:
        info["alive_status"] = "too_few_repeaters"
        return empty, info
    model = BGNBD(penalizer=PENALIZER).fit(now)
    info.update({"alive_status": "fitted", **{f"alive_{k}": v for k, v in model.params_.items()}})
    before_until = until - pd.Timedelta(days=lookback_days)
    earlier = known[known["day"] <= before_until]
    out = now.assign(p_alive=model.p_alive(now))
    if len(earlier):
        then = customer_summary(earlier, "customer_id", "day", until=before_until, unit="week")
        past = pd.Series(model.p_alive(then), index=then["customer_id"])
        out["p_alive_before"] = out["customer_id"].map(past)
    else:
        out["p_alive_before"] = np.nan
    counts = known.groupby("customer_id").size()
    out["purchases"] = out["customer_id"].map(counts).astype("float64")
    year = known[known["ts"] >= cut - pd.Timedelta(days=365)]
    value = pd.to_numeric(year.get("value", pd.Series(np.nan, index=year.index)), errors="coerce")
    spent = value.groupby(year["customer_id"]).sum(min_count=1)
    out["purchase_value_365d"] = out["customer_id"].map(spent).astype("float64")
    return out.loc[:, list(ALIVE_COLUMNS)].reset_index(drop=True), info


def with_alive(scores: pd.DataFrame, alive: pd.DataFrame) -> pd.DataFrame:
    """``scores`` (churn risk per subscriber) with ``p_alive`` and ``p_alive_before``, and a
    row for each customer with purchases but no subscription (module docstring)."""
    if not len(alive):
        return scores.assign(p_alive=np.nan, p_alive_before=np.nan)
    extra = alive.set_index("customer_id")
    out = scores.assign(
        p_alive=scores["customer_id"].map(extra["p_alive"]),
        p_alive_before=scores["customer_id"].map(extra["p_alive_before"]),
    )
    others = alive[~alive["customer_id"].isin(set(scores["customer_id"]))]
    if not len(others):
        return out
    before, now = others["p_alive_before"], others["p_alive"]
    rows = pd.DataFrame(
        {
            "customer_id": others["customer_id"].to_numpy(),
            "p_churn": (1.0 - now).to_numpy(),
            "monthly_value": (others["purchase_value_365d"].fillna(0.0) / 12.0).to_numpy(),
            "p_alive": now.to_numpy(),
            "p_alive_before": before.to_numpy(),
            "reasons_ja": [_reason("ja", b, a) for b, a in zip(before, now, strict=True)],
            "reasons_en": [_reason("en", b, a) for b, a in zip(before, now, strict=True)],
        }
    )
    return pd.concat([out, rows], ignore_index=True)


def _reason(lang: str, before: float, now: float) -> str:
    if lang == "ja":
        if before == before:
            return f"購入の間隔から見た継続の可能性が{before:.0%}から{now:.0%}に低下"
        return f"購入の間隔から見た継続の可能性は{now:.0%}"
    said = "chance they are still a customer, from their purchases,"
    if before == before:
        return f"{said} fell from {before:.0%} to {now:.0%}"
    return f"{said} {now:.0%}"
