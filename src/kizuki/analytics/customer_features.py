"""Per-customer features as of a cut-off, for churn risk and outreach (issue 23, docs/outreach.md).

Every feature reads only rows before the cut-off (``ts < cutoff``; a contact counts as
unresolved when it was at the cut-off, a subscription as active when it had not ended), so a
model trained at one cut-off and applied at a later one sees what it would have seen then —
``tests/analytics/test_customer_features.py`` proves it by comparing the features of a store
with those of the same store cut at the cut-off. The exported ``status`` and ``renews_at`` of a
subscription are the state at export time and are never read: the next renewal is the next
anniversary of ``started_at`` every ``renewal_months``.

The customers are those with a subscription that started before the cut-off and had not ended
by it. The label (:func:`churn_labels`) is whether that subscription ended within the window
after the cut-off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

__all__ = [
    "FEATURE_COLUMNS",
    "active_subscriptions",
    "churn_labels",
    "customer_features",
    "friction_signals",
]

Tables = Callable[[str], ir.Table]
#: The model's feature columns (besides ``customer_id``); categorical: segment, plan, language.
FEATURE_COLUMNS = (
    "segment", "plan", "language", "monthly_value", "tenure_days", "days_to_renewal",
    "events_14d", "events_prev_14d", "usage_trend", "active_days_28d", "days_since_last_event",
    "errors_28d", "errors_56d", "help_searches_28d", "zero_result_searches_56d",
    "chatbot_opens_28d", "contacts_28d", "contacts_90d", "unresolved_contacts",
    "last_nps", "csat_mean_90d", "ces_mean_90d", "incident_hits_28d",
    "struggle_sessions_28d", "struggle_sessions_56d", "struggle_kinds_56d",
    "friction_strength_35d",
)  # fmt: skip
_DAY = dt.timedelta(days=1)


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError(f"cut-off {value!r} needs a time zone (e.g. UTC)")
    return value.astimezone(dt.UTC)


def active_subscriptions(t: Tables, cutoff: dt.datetime) -> pd.DataFrame:
    """Per customer, the latest subscription started before ``cutoff`` that had not ended by
    it: ``customer_id, subscription_id, plan, started_at, monthly_value, ended_at``."""
    cut = ibis.literal(_utc(cutoff))
    subs = t("subscriptions")
    live = subs.filter(
        (subs.started_at < cut) & (subs.ended_at.isnull() | (subs.ended_at >= cut))
    ).select("customer_id", "subscription_id", "plan", "started_at", "monthly_value", "ended_at")
    frame: pd.DataFrame = live.to_pyarrow().to_pandas()
    frame = frame.sort_values(["customer_id", "started_at", "subscription_id"])
    return frame.drop_duplicates("customer_id", keep="last").reset_index(drop=True)


def churn_labels(
    t: Tables, active: pd.DataFrame, cutoff: dt.datetime, window_days: int
) -> pd.Series:
    """1 where the customer's active subscription ended within ``window_days`` after
    ``cutoff`` and no other subscription of theirs took over (one starting within a week of
    the end: a plan change is not churn), else 0 (indexed like ``active``)."""
    end = pd.Timestamp(_utc(cutoff)) + pd.Timedelta(days=window_days)
    ended = pd.to_datetime(active["ended_at"], utc=True)
    left = ended.notna() & (ended < end)
    subs: pd.DataFrame = (
        t("subscriptions").select("customer_id", "subscription_id", "started_at").to_pyarrow()
    ).to_pandas()
    mine = active.loc[left, ["customer_id", "subscription_id", "ended_at"]].merge(
        subs, on="customer_id", suffixes=("", "_next")
    )
    gap = pd.to_datetime(mine["started_at"], utc=True) - pd.to_datetime(mine["ended_at"], utc=True)
    took_over = mine[
        (mine["subscription_id_next"] != mine["subscription_id"])
        & (gap >= pd.Timedelta(hours=-1))
        & (gap <= pd.Timedelta(days=7))
    ]["customer_id"]
    return (left & ~active["customer_id"].isin(set(took_over))).astype("int64")


def _months_to_next(started: pd.Series, cutoff: dt.datetime, months: int) -> pd.Series:
    """Days from ``cutoff`` to the next anniversary of ``started`` every ``months``."""
    cut = pd.Timestamp(_utc(cutoff))
    start = pd.to_datetime(started, utc=True)
    elapsed = (cut.year - start.dt.year) * 12 + (cut.month - start.dt.month)
    periods = (elapsed // months).clip(lower=0)
    out = []
    for s, k in zip(start, periods.astype(int), strict=True):
        nxt = s + pd.DateOffset(months=int(k) * months)
        while nxt <= cut:
            nxt = nxt + pd.DateOffset(months=months)
        out.append((nxt - cut) / pd.Timedelta(days=1))
    return pd.Series(out, index=started.index, dtype="float64")


def _count_by_customer(table: ir.Table, since: dt.datetime, cutoff: dt.datetime, name: str,
                       where: ir.BooleanValue | None = None) -> pd.DataFrame:  # fmt: skip
    """Rows of ``table`` (with ``ts`` and ``customer_id``) in [since, cutoff) per customer."""
    cond = (table.ts >= ibis.literal(_utc(since))) & (table.ts < ibis.literal(_utc(cutoff)))
    cond = cond & table.customer_id.notnull()
    if where is not None:
        cond = cond & where
    rows = table.filter(cond)
    frame: pd.DataFrame = (
        rows.group_by("customer_id").aggregate(**{name: rows.count()}).to_pyarrow().to_pandas()
    )
    return frame


def customer_features(
    t: Tables,
    cutoff: dt.datetime,
    *,
    incident_hits: pd.DataFrame | None = None,
    signals: pd.DataFrame | None = None,
    renewal_months: int = 1,
) -> pd.DataFrame:
    """One row per customer active at ``cutoff``: ``customer_id`` and :data:`FEATURE_COLUMNS`.

    ``incident_hits``: ``customer_id, started_at`` of incident exposures
    (:func:`kizuki.analytics.incident_exposure.incident_hits`), counted in the 28 days before;
    ``signals``: ``customer_id, session_key, ts, signal, lift, strong`` of struggle signals at
    friction points (:func:`friction_signals`): the ``strong`` ones counted by the sessions that
    showed one (the friction a customer met, whether or not they told anyone), and
    ``friction_strength_35d`` the strongest point met in 35 days as 1 − 1/lift (the share of
    that point's signals that are more than the background noise: 0 for none).
    """
    cut = _utc(cutoff)
    active = active_subscriptions(t, cut)
    customers = t("customers")
    info: pd.DataFrame = (
        customers.select("customer_id", "created_at", "segment", "language")
        .to_pyarrow()
        .to_pandas()
    )
    f = active.merge(info, on="customer_id", how="left")
    created = pd.to_datetime(f["created_at"], utc=True).fillna(
        pd.to_datetime(f["started_at"], utc=True)
    )
    f["tenure_days"] = (pd.Timestamp(cut) - created) / pd.Timedelta(days=1)
    f["days_to_renewal"] = _months_to_next(f["started_at"], cut, renewal_months)
    events, searches = t("events"), t("searches")
    parts = [
        _count_by_customer(events, cut - 14 * _DAY, cut, "events_14d"),
        _count_by_customer(events, cut - 28 * _DAY, cut - 14 * _DAY, "events_prev_14d"),
        _count_by_customer(
            events, cut - 28 * _DAY, cut, "errors_28d", events.event_name == "error"
        ),
        _count_by_customer(
            events, cut - 56 * _DAY, cut, "errors_56d", events.event_name == "error"
        ),
        _count_by_customer(
            events, cut - 28 * _DAY, cut, "chatbot_opens_28d", events.event_name == "chatbot_open"
        ),
        _count_by_customer(searches, cut - 28 * _DAY, cut, "help_searches_28d"),
        _count_by_customer(
            searches, cut - 56 * _DAY, cut, "zero_result_searches_56d", searches.results_count == 0
        ),
    ]  # fmt: skip
    recent = events.filter(events.customer_id.notnull() & (events.ts < ibis.literal(cut)))
    usage = recent.group_by("customer_id").aggregate(
        last_event=recent.ts.max(),
        active_days_28d=recent.ts.date().nunique(where=recent.ts >= ibis.literal(cut - 28 * _DAY)),
    )
    parts.append(usage.to_pyarrow().to_pandas())
    parts += _contact_features(t, cut)
    parts.append(_survey_features(t, cut))
    for part in parts:
        f = f.merge(part, on="customer_id", how="left")
    counts = ("events_14d", "events_prev_14d", "errors_28d", "errors_56d", "help_searches_28d",
              "zero_result_searches_56d", "chatbot_opens_28d", "contacts_28d", "contacts_90d",
              "unresolved_contacts", "active_days_28d")  # fmt: skip
    for col in counts:
        f[col] = f[col].fillna(0).astype("float64")
    f["usage_trend"] = np.log((f["events_14d"] + 1) / (f["events_prev_14d"] + 1))
    last = pd.to_datetime(f["last_event"], utc=True)
    f["days_since_last_event"] = (pd.Timestamp(cut) - last) / pd.Timedelta(days=1)
    f["incident_hits_28d"] = _incident_counts(f, incident_hits, cut)
    f = _struggle(f, signals, cut)
    f["monthly_value"] = pd.to_numeric(f["monthly_value"], errors="coerce")
    for col in ("segment", "plan", "language"):
        f[col] = f[col].fillna("").astype(str)
    return f.loc[:, ["customer_id", *FEATURE_COLUMNS]].reset_index(drop=True)


def _contact_features(t: Tables, cut: dt.datetime) -> list[pd.DataFrame]:
    contacts = t("contacts")
    c = contacts.filter(contacts.opened_at < ibis.literal(cut)).mutate(ts=contacts.opened_at)
    open_at_cut = c.resolved_at.isnull() | (c.resolved_at >= ibis.literal(cut))
    return [
        _count_by_customer(c, cut - 28 * _DAY, cut, "contacts_28d"),
        _count_by_customer(c, cut - 90 * _DAY, cut, "contacts_90d"),
        _count_by_customer(c, cut - 90 * _DAY, cut, "unresolved_contacts", open_at_cut),
    ]


def _survey_features(t: Tables, cut: dt.datetime) -> pd.DataFrame:
    surveys = t("surveys")
    s = surveys.filter(
        surveys.customer_id.notnull() & (surveys.ts < ibis.literal(cut)) & surveys.score.notnull()
    )
    frame: pd.DataFrame = s.select("customer_id", "ts", "kind", "score").to_pyarrow().to_pandas()
    out = pd.DataFrame({"customer_id": pd.Series(dtype=object)})
    if not len(frame):
        return out.assign(last_nps=np.nan, csat_mean_90d=np.nan, ces_mean_90d=np.nan)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    nps = frame[frame["kind"] == "nps"].sort_values("ts").groupby("customer_id")["score"].last()
    recent = frame[frame["ts"] >= pd.Timestamp(cut - 90 * _DAY)]
    means = recent.groupby(["customer_id", "kind"])["score"].mean().unstack()
    out = pd.DataFrame({"last_nps": nps}).join(
        means.reindex(columns=["csat", "ces"]).rename(
            columns={"csat": "csat_mean_90d", "ces": "ces_mean_90d"}
        ),
        how="outer",
    )
    return out.rename_axis("customer_id").reset_index()


def _incident_counts(f: pd.DataFrame, hits: pd.DataFrame | None, cut: dt.datetime) -> pd.Series:
    if hits is None or not len(hits):
        return pd.Series(0.0, index=f.index)
    when = pd.to_datetime(hits["started_at"], utc=True)
    recent = hits[(when < pd.Timestamp(cut)) & (when >= pd.Timestamp(cut - 28 * _DAY))]
    counts = recent.groupby("customer_id").size()
    return f["customer_id"].map(counts).fillna(0).astype("float64")


def friction_signals(signals: ir.Table, points: ir.Table, lift: float) -> ir.Table:
    """Struggle signals of known customers (``result_signals``) at the friction points
    (``result_friction_points``) of lift above 1, with the point's ``lift`` and ``strong``:
    lift at least ``lift`` (below it, long dwells and reloads everywhere are background)."""
    hot = points.filter(points.lift > 1).select("signal", "page_path", "lift")
    mine = signals.filter(signals.customer_id.notnull())
    joined = mine.join(hot, ["signal", "page_path"])
    return joined.select(
        "customer_id",
        "session_key",
        "ts",
        "signal",
        "page_path",
        "lift",
        strong=joined.lift >= lift,
    )


def _struggle(f: pd.DataFrame, signals: pd.DataFrame | None, cut: dt.datetime) -> pd.DataFrame:
    """Sessions with a strong struggle signal in the 28 and 56 days before ``cut``, their
    kinds, and the strongest friction point met in 35 days."""
    names = ("struggle_sessions_28d", "struggle_sessions_56d", "struggle_kinds_56d",
             "friction_strength_35d")  # fmt: skip
    if signals is None or not len(signals):
        return f.assign(**{n: 0.0 for n in names})
    ts = pd.to_datetime(signals["ts"], utc=True)
    recent = signals[(ts < pd.Timestamp(cut)) & (ts >= pd.Timestamp(cut - 56 * _DAY))]
    recent = recent[recent["customer_id"].notna()]
    when = pd.to_datetime(recent["ts"], utc=True)
    lift = recent["lift"] if "lift" in recent else pd.Series(np.inf, index=recent.index)
    strong = recent[recent["strong"].astype(bool)] if "strong" in recent else recent
    near = strong[pd.to_datetime(strong["ts"], utc=True) >= pd.Timestamp(cut - 28 * _DAY)]
    strength = (1.0 - 1.0 / lift.clip(lower=1.0))[when >= pd.Timestamp(cut - 35 * _DAY)]
    stats = pd.DataFrame(
        {
            names[0]: near.groupby("customer_id")["session_key"].nunique(),
            names[1]: strong.groupby("customer_id")["session_key"].nunique(),
            names[2]: strong.groupby("customer_id")["signal"].nunique(),
            names[3]: strength.groupby(recent["customer_id"]).max(),
        }
    )
    out = f.merge(stats.rename_axis("customer_id").reset_index(), on="customer_id", how="left")
    for n in names:
        out[n] = out[n].fillna(0).astype("float64")
    return out
