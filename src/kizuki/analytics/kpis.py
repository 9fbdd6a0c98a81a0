"""Support KPIs, each defined once (docs/metrics.md), sliced by channel, intent, segment, agent
and local week (Q6).

:func:`contact_frame` derives one row per contact (response and resolution times, answered,
abandoned, re-contacted); :func:`kpi_table` turns it and the survey answers into the long table
``result_kpis``: one row per metric and slice, with a 95% interval and the count behind it.
A slice column is empty when the row covers all of that dimension; the row with every slice
empty is the whole period for all customers.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from kizuki.analytics.business_time import BusinessCalendar, business_seconds
from kizuki.analytics.local_time import local_week_starts
from kizuki.analytics.selfservice import followed_within, wilson_interval

__all__ = [
    "KPI_COLUMNS",
    "NPS_DETRACTOR_MAX",
    "NPS_PROMOTER_MIN",
    "SLICES",
    "KPIConfig",
    "contact_frame",
    "contacts_per_active_rows",
    "deflection_rows",
    "kpi_table",
    "nps_parts",
    "survey_frame",
    "with_first_replies",
]

#: Columns of ``result_kpis`` and ``kizuki export kpis``.
KPI_COLUMNS = (
    "metric", "channel", "intent", "segment", "agent", "week",
    "value", "ci_low", "ci_high", "n",
)  # fmt: skip
#: The slices every metric is cut by (one dimension at a time, and channel per week).
SLICES: tuple[tuple[str, ...], ...] = (
    (),
    ("channel",),
    ("intent",),
    ("segment",),
    ("agent",),
    ("week",),
    ("week", "channel"),
)
_SOLVED = ("solved", "closed")
_OPEN = ("new", "open", "pending", "hold")
Z = 1.96
#: NPS answers (0-10): detractors at most this, promoters at least that.
NPS_DETRACTOR_MAX, NPS_PROMOTER_MIN = 6, 9


class KPIConfig(BaseModel):
    """Settings of the support KPIs (``[analyze.kpis]``, docs/metrics.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    business_hours: Annotated[
        bool,
        Field(description="count e-mail response and resolution times in business hours"),
    ] = True
    open_hour: Annotated[float, Field(ge=0, le=24, description="opening hour, local")] = 9.0
    close_hour: Annotated[float, Field(ge=0, le=24, description="closing hour, local")] = 18.0
    weekdays: Annotated[tuple[int, ...], Field(description="working weekdays, 0 = Monday")] = (
        0,
        1,
        2,
        3,
        4,
    )
    holiday_country: Annotated[
        str, Field(description="public holidays of this country are closed (ISO code; '': none)")
    ] = "JP"
    closed_dates: Annotated[
        tuple[dt.date, ...], Field(description="more closed dates, e.g. a New Year break")
    ] = ()
    email_channels: Annotated[
        tuple[str, ...], Field(description="channels answered in writing (first-response time)")
    ] = ("email", "form", "social")
    live_channels: Annotated[
        tuple[str, ...], Field(description="channels answered live (service level)")
    ] = ("chat", "phone")
    email_within_hours: Annotated[
        float, Field(gt=0, description="e-mail answered within this many (business) hours")
    ] = 24.0
    service_level_seconds: Annotated[
        float, Field(ge=0, description="chat/phone answered within this many seconds")
    ] = 20.0
    service_level_target: Annotated[
        float, Field(gt=0, lt=1, description="staffing: the service level to plan for (80/20)")
    ] = 0.8
    default_aht_seconds: Annotated[
        float, Field(gt=0, description="staffing: handle time where the data has none")
    ] = 300.0
    max_handle_seconds: Annotated[
        float,
        Field(
            gt=0,
            description="staffing: longer first-response-to-resolution times are "
            "not handle times (the contact waited)",
        ),
    ] = 7200.0
    recontact_days: Annotated[
        float, Field(gt=0, description="days in which a contact on the same intent is a re-contact")
    ] = 7.0
    alert_baseline_weeks: Annotated[
        int, Field(ge=1, description="weeks before a week that form its alert baseline")
    ] = 4
    alert_alpha: Annotated[
        float,
        Field(gt=0, lt=1, description="chance of a false satisfaction alert in a week"),
    ] = 0.01
    alert_min_answers: Annotated[
        int, Field(ge=1, description="answers a slice needs in the week and the baseline")
    ] = 10
    csat_satisfied_min: Annotated[
        float, Field(description="CSAT scores from this value count as satisfied (1-5 scale)")
    ] = 4.0
    ces_higher_is_easier: Annotated[
        bool,
        Field(description="a higher CES answer means less effort (false: more effort)"),
    ] = True

    def calendar(self, timezone: str) -> BusinessCalendar:
        return BusinessCalendar(
            timezone=timezone,
            open_hour=self.open_hour,
            close_hour=self.close_hour,
            weekdays=self.weekdays,
            country=self.holiday_country,
            extra_closed=self.closed_dates,
        )


def with_first_replies(contacts: pd.DataFrame, replies: pd.DataFrame) -> pd.DataFrame:
    """``contacts`` whose ``first_response_at`` is the first public agent comment at or after
    opening where the conversation has one (``replies``: ``contact_id, ts`` of public agent
    comments). Helpdesk metrics often give the reply time in whole minutes (Zendesk's
    ``reply_time_in_minutes``): too coarse for a 20-second service level; the comment's own
    time is exact."""
    if not len(replies):
        return contacts
    r = replies.copy()
    r["ts"] = pd.to_datetime(r["ts"], utc=True)
    opened = contacts.set_index("contact_id")["opened_at"]
    r = r[r["contact_id"].isin(opened.index)]
    r = r[r["ts"] >= pd.to_datetime(r["contact_id"].map(opened), utc=True)]
    first = r.groupby("contact_id")["ts"].min()
    out = contacts.copy()
    exact = out["contact_id"].map(first)
    out["first_response_at"] = exact.where(
        exact.notna(), pd.to_datetime(out["first_response_at"], utc=True)
    )
    return out


def contact_frame(
    contacts: pd.DataFrame,
    segments: pd.DataFrame | None,
    config: KPIConfig,
    timezone: str,
) -> pd.DataFrame:
    """One row per contact of a human channel (chatbot conversations are self-service).

    ``contacts``: ``contact_id, customer_id, channel, opened_at, first_response_at,
    resolved_at, status, intent, agent_id``; ``segments``: ``customer_id, segment``.
    Adds ``week`` (local Monday), ``first_response_s`` and ``resolution_s`` (business seconds
    for e-mail channels when ``business_hours``, else clock seconds), ``answered`` (a first
    response exists), ``abandoned`` (a live contact that ended with no answer), ``solved``,
    ``recontact`` (the same customer contacted again about the same intent within
    ``recontact_days``, on any channel) and ``fcr`` (solved, and no re-contact)."""
    c = contacts[contacts["channel"].fillna("") != "chatbot"].copy()
    for col in ("opened_at", "first_response_at", "resolved_at"):
        c[col] = pd.to_datetime(c[col], utc=True)
    c["channel"] = c["channel"].fillna("").astype(str)
    c["intent"] = c["intent"].fillna("").astype(str)
    c["agent"] = c["agent_id"].fillna("").astype(str)
    status = c["status"].fillna("").str.lower()
    c["week"] = local_week_starts(c["opened_at"], timezone)
    written = c["channel"].isin(config.email_channels).to_numpy()
    clock_fr = (c["first_response_at"] - c["opened_at"]).dt.total_seconds().to_numpy()
    clock_res = (c["resolved_at"] - c["opened_at"]).dt.total_seconds().to_numpy()
    if config.business_hours and written.any():
        cal = config.calendar(timezone)
        c["first_response_s"] = np.where(
            written, business_seconds(c["opened_at"], c["first_response_at"], cal), clock_fr
        )
        c["resolution_s"] = np.where(
            written, business_seconds(c["opened_at"], c["resolved_at"], cal), clock_res
        )
    else:
        c["first_response_s"] = clock_fr
        c["resolution_s"] = clock_res
    c["answered"] = c["first_response_at"].notna().to_numpy()
    live = c["channel"].isin(config.live_channels).to_numpy()
    c["abandoned"] = live & ~c["answered"].to_numpy() & ~status.isin(_OPEN).to_numpy()
    c["solved"] = status.isin(_SOLVED).to_numpy()
    c["recontact"] = _recontacted(c, pd.Timedelta(days=config.recontact_days))
    c["fcr"] = c["solved"] & ~c["recontact"]
    if segments is not None and len(segments):
        seg = segments.drop_duplicates("customer_id").set_index("customer_id")["segment"]
        c["segment"] = c["customer_id"].map(seg).fillna("").astype(str)
    else:
        c["segment"] = ""
    return c.reset_index(drop=True)


def _recontacted(c: pd.DataFrame, window: pd.Timedelta) -> np.ndarray:
    """Whether the same customer opened another contact about the same (known) intent after
    this one, within ``window`` (:func:`~kizuki.analytics.selfservice.followed_within`, as the
    human channels' success of the self-service step)."""
    known = (c["customer_id"].fillna("") != "") & (c["intent"] != "")
    out = np.zeros(len(c), dtype=bool)
    k = c[known].rename(columns={"opened_at": "ts"})
    out[np.flatnonzero(known.to_numpy())] = followed_within(
        k, k.rename(columns={"ts": "opened_at"}), "opened_at", window
    )
    return out


def _share(flag: pd.Series) -> tuple[float, float, float, int]:
    n = int(flag.size)
    k = float(flag.sum())
    lo, hi = wilson_interval(k, n)
    return (k / n if n else np.nan), float(lo), float(hi), n


def _quantile(values: pd.Series, q: float) -> tuple[float, float, float, int]:
    """The ``q`` quantile and its distribution-free 95% interval (order statistics around
    ``n·q``, normal approximation to the binomial)."""
    v = np.sort(values.dropna().to_numpy(float))
    n = v.size
    if not n:
        return np.nan, np.nan, np.nan, 0
    half = Z * np.sqrt(n * q * (1 - q))
    lo = int(np.clip(np.floor(n * q - half), 0, n - 1))
    hi = int(np.clip(np.ceil(n * q + half), 0, n - 1))
    return float(np.quantile(v, q)), float(v[lo]), float(v[hi]), n


def _mean(values: pd.Series) -> tuple[float, float, float, int]:
    v = values.dropna().to_numpy(float)
    n = v.size
    if not n:
        return np.nan, np.nan, np.nan, 0
    mean = float(v.mean())
    half = Z * float(v.std(ddof=1)) / np.sqrt(n) if n > 1 else np.nan
    return mean, mean - half, mean + half, n


def nps_parts(scores: np.ndarray) -> tuple[float, float]:
    """Promoters (9-10) minus detractors (0-6) as a share (-1 to 1) of non-empty ``scores``,
    and its variance (that of a difference of two multinomial shares)."""
    pro = float((scores >= NPS_PROMOTER_MIN).mean())
    det = float((scores <= NPS_DETRACTOR_MAX).mean())
    value = pro - det
    return value, max(pro + det - value**2, 0.0) / scores.size


def _nps(scores: pd.Series) -> tuple[float, float, float, int]:
    """NPS in points with its 95% interval (:func:`nps_parts`)."""
    s = scores.dropna().to_numpy(float)
    n = s.size
    if not n:
        return np.nan, np.nan, np.nan, 0
    value, variance = nps_parts(s)
    half = Z * np.sqrt(variance)
    return 100 * value, 100 * max(value - half, -1.0), 100 * min(value + half, 1.0), n


Measure = Callable[[pd.DataFrame], tuple[float, float, float, int]]


def _contact_metrics(config: KPIConfig) -> dict[str, Measure]:
    within_email = config.email_within_hours * 3600.0
    sl = config.service_level_seconds

    def written(f: pd.DataFrame) -> pd.DataFrame:
        return f[f["channel"].isin(config.email_channels)]

    def live(f: pd.DataFrame, channel: str) -> pd.DataFrame:
        g = f[f["channel"] == channel]
        return g[g["answered"] | g["abandoned"]]  # offered and ended

    def level(f: pd.DataFrame) -> tuple[float, float, float, int]:
        return _share(f["answered"] & (f["first_response_s"] <= sl))

    return {
        "contacts": lambda f: (float(len(f)), np.nan, np.nan, len(f)),
        "first_response_p50_seconds": lambda f: _quantile(written(f)["first_response_s"], 0.5),
        "first_response_p90_seconds": lambda f: _quantile(written(f)["first_response_s"], 0.9),
        "email_answered_within_share": lambda f: _share(
            written(f)["first_response_s"].fillna(np.inf) <= within_email
        ),
        "resolution_p50_seconds": lambda f: _quantile(f.loc[f["solved"], "resolution_s"], 0.5),
        "chat_service_level": lambda f: level(live(f, "chat")),
        "phone_service_level": lambda f: level(live(f, "phone")),
        "chat_abandonment_rate": lambda f: _share(live(f, "chat")["abandoned"]),
        "phone_abandonment_rate": lambda f: _share(live(f, "phone")["abandoned"]),
        "recontact_rate": lambda f: _share(f.loc[f["intent"] != "", "recontact"]),
        "first_contact_resolution": lambda f: _share(f.loc[f["intent"] != "", "fcr"]),
    }


def _survey_metrics(config: KPIConfig) -> dict[str, Measure]:
    return {
        "nps": lambda f: _nps(f.loc[f["kind"] == "nps", "score"]),
        "csat": lambda f: _share(
            f.loc[f["kind"] == "csat", "score"].dropna() >= config.csat_satisfied_min
        ),
        "ces": lambda f: _mean(f.loc[f["kind"] == "ces", "score"]),
    }


def survey_frame(
    surveys: pd.DataFrame, contacts: pd.DataFrame, segments: pd.DataFrame | None, timezone: str
) -> pd.DataFrame:
    """Survey answers with the slices of the contact they rate (channel, intent, agent) and of
    the customer (segment), and their local week."""
    s = surveys.copy()
    s["kind"] = s["kind"].fillna("").str.lower()
    s["week"] = local_week_starts(s["ts"], timezone)
    cols = ["contact_id", "channel", "intent", "agent"]
    by_contact = contacts[cols].drop_duplicates("contact_id")
    s = s.merge(by_contact, on="contact_id", how="left")
    for col in ("channel", "intent", "agent"):
        s[col] = s[col].fillna("").astype(str)
    if segments is not None and len(segments):
        seg = segments.drop_duplicates("customer_id").set_index("customer_id")["segment"]
        s["segment"] = s["customer_id"].map(seg).fillna("").astype(str)
    else:
        s["segment"] = ""
    return s


def kpi_table(
    contacts: pd.DataFrame, surveys: pd.DataFrame, config: KPIConfig,
    slices: Sequence[tuple[str, ...]] = SLICES,
) -> pd.DataFrame:  # fmt: skip
    """``result_kpis`` from :func:`contact_frame` and :func:`survey_frame` rows: every metric
    for every slice value with data (a slice value of empty text is left out: unknown)."""
    rows: list[dict[str, object]] = []
    for frame, metrics in (
        (contacts, _contact_metrics(config)),
        (surveys, _survey_metrics(config)),
    ):
        if not len(frame):
            continue
        for dims in slices:
            groups = [((), frame)] if not dims else _groups(frame, dims)
            for key, part in groups:
                where = dict(zip(dims, key, strict=True))
                for name, measure in metrics.items():
                    value, lo, hi, n = measure(part)
                    if n == 0:
                        continue
                    rows.append(
                        {
                            "metric": name,
                            **{d: where.get(d) for d in ("channel", "intent", "segment",
                                                          "agent", "week")},
                            "value": value,
                            "ci_low": lo,
                            "ci_high": hi,
                            "n": n,
                        }
                    )  # fmt: skip
    out = pd.DataFrame(rows, columns=list(KPI_COLUMNS))
    for d in ("channel", "intent", "segment", "agent"):
        out[d] = out[d].astype(object).where(out[d].notna(), None)
    return out


def deflection_rows(fit: pd.DataFrame, contacts: pd.DataFrame) -> pd.DataFrame:
    """``deflection``: estimated self-service successes (``result_selfservice``, channel
    ``self_service``) per human contact, over all intents and per intent with both; ``n`` is
    the human contacts. No interval (the successes' own is in ``result_selfservice``)."""
    pooled = fit[fit["channel"] == "self_service"]
    per_intent = pooled.groupby("intent")["successes"].sum()
    human = contacts[contacts["intent"] != ""].groupby("intent").size()
    rows = []
    both = sorted(set(per_intent.index) & set(human.index))
    total_s, total_c = float(per_intent[both].sum()), int(human[both].sum())
    if total_c:
        rows.append({"metric": "deflection", "intent": None, "value": total_s / total_c,
                     "n": total_c})  # fmt: skip
    for intent in both:
        rows.append({"metric": "deflection", "intent": intent,
                     "value": float(per_intent[intent]) / int(human[intent]),
                     "n": int(human[intent])})  # fmt: skip
    out = pd.DataFrame(rows, columns=["metric", "intent", "value", "n"])
    for col in KPI_COLUMNS:
        if col not in out:
            out[col] = None if col != "ci_low" and col != "ci_high" else np.nan
    return out.loc[:, list(KPI_COLUMNS)]


def contacts_per_active_rows(contacts: pd.DataFrame, active: pd.DataFrame) -> pd.DataFrame:
    """``contacts_per_active_customer``: contacts of known customers per customer active in
    the same span (an event of theirs, or a contact), over the period, per local week and per
    segment; ``n`` is the active customers, the interval Poisson on the contacts.

    ``contacts``: :func:`contact_frame` rows (``customer_id, week, segment``); ``active``:
    ``customer_id, week, segment``, one row per customer and week with an event."""
    known = contacts[contacts["customer_id"].notna() & (contacts["customer_id"] != "")]
    seen = pd.concat(
        [
            active.loc[:, ["customer_id", "week", "segment"]],
            known[["customer_id", "week", "segment"]],
        ]
    )
    seen = seen.assign(segment=seen["segment"].fillna("").astype(str))
    rows: list[dict[str, object]] = []

    def add(n_contacts: int, customers: int, **where: object) -> None:
        if customers == 0:
            return
        value, half = n_contacts / customers, Z * math.sqrt(n_contacts) / customers
        rows.append({"metric": "contacts_per_active_customer", **where, "value": value,
                     "ci_low": max(0.0, value - half), "ci_high": value + half,
                     "n": customers})  # fmt: skip

    add(len(known), seen["customer_id"].nunique())
    for week, part in seen.groupby("week"):
        add(int((known["week"] == week).sum()), part["customer_id"].nunique(), week=week)
    for segment, part in seen[seen["segment"] != ""].groupby("segment"):
        add(
            int((known["segment"] == segment).sum()), part["customer_id"].nunique(), segment=segment
        )
    out = pd.DataFrame(rows).reindex(columns=list(KPI_COLUMNS))
    for col in ("channel", "intent", "segment", "agent", "week"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _groups(
    frame: pd.DataFrame, dims: tuple[str, ...]
) -> list[tuple[tuple[object, ...], pd.DataFrame]]:
    known = frame
    for d in dims:
        known = known[known[d].notna() & (known[d].astype(str) != "")]
    return [
        (key if isinstance(key, tuple) else (key,), part)
        for key, part in known.groupby(list(dims), sort=True)
    ]
