"""Kizuki's friction and silent-customer figures, written in plain pandas as an analyst would.

The peer of ``bench/analyze.py``. It reads the canonical tables of a store into pandas (timed
apart, as "load"), then computes with ordinary pandas (sort, ``groupby``/``shift``/``cumsum``,
``merge``; no numba, no SQL) what ``kizuki analyze`` computes inside the engine:

- sessions (30-minute gap) and journey stages from the journey map (``--journey``);
- the nine struggle signals (``result_signals``);
- the friction-point table (``result_friction_points``);
- the silent-customer inputs: the per-session units, their signal patterns and the contacts
  that follow them (what ``kizuki.analytics.silent.units`` builds), plus the per-customer
  churn, resolution and survey flags.

The statistical step on those small aggregated inputs (latent class model, bootstrap) is
Kizuki's own numpy estimator, :func:`kizuki.analytics.silent.estimate_silent`, called with the
inputs built here: the comparison is about the data work, not about re-deriving the model.
Definitions: docs/journey.md, docs/silent.md, docs/metrics.md.

With ``--check`` the results are compared with the store's result tables (run ``kizuki analyze
--journey demo`` first): every column of ``result_friction_points`` and
``result_silent_customers`` and every row of ``result_signals`` (plus rows per signal): counts
exactly, floats to 1e-9 relative (1e-12 absolute near zero). Any difference prints the first
differing rows and exits 1.

    .venv/bin/python bench/pandas_reference.py --store demo/kizuki.duckdb --journey demo --check
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from kizuki.analytics.friction import FRICTION_COLUMNS, POINT_KEYS, FrictionConfig
from kizuki.analytics.sessions import DEFAULT_STAGES
from kizuki.analytics.signals import ACTIVITY_SIGNALS, SignalConfig
from kizuki.analytics.silent import SilentConfig, SilentInputs, estimate_silent
from kizuki.analytics.silent.units import ERROR_SIGNALS, HELP_SIGNALS, LOOP_SIGNALS
from kizuki.journey import HELP_STAGE, OTHER_STAGE, Journey, load_journey

__all__ = [
    "compare_results",
    "compute",
    "friction_points",
    "journey_events",
    "load_tables",
    "main",
    "silent_customers",
    "silent_inputs",
    "struggle_signals",
]

#: The columns read from each canonical table.
COLUMNS = {
    "events": (
        "event_id",
        "ts",
        "customer_id",
        "anonymous_id",
        "event_name",
        "page_path",
        "properties",
    ),
    "searches": (
        "search_id",
        "ts",
        "customer_id",
        "anonymous_id",
        "query",
        "results_count",
        "clicked_content_id",
    ),
    "content": ("content_id", "url", "intents"),
    "contacts": (
        "customer_id",
        "channel",
        "opened_at",
        "resolved_at",
        "intent",
        "status",
        "requester_id",
        "requester_email_hash",
    ),
    "customers": ("customer_id", "monthly_value", "email_hash"),
    "identities": ("kind", "value", "customer_id", "email_hash"),
    "subscriptions": ("customer_id", "status", "ended_at"),
    "surveys": ("customer_id", "kind", "score"),
    "incidents": ("started_at", "ended_at", "affected"),
}
SIGNAL_KEYS = ["visitor_id", "customer_id", "session_key", "stage", "signal", "page_path", "intent"]
ERROR_MESSAGE = r'"error_message"\s*:\s*"((?:[^"\\]|\\.)*)"'
TRIM = " \t\n\r\x0b\x0c"  # what Ibis' strip() trims on DuckDB
SECOND = pd.Timedelta(seconds=1)
EPOCH = pd.Timestamp(0, tz="UTC")


def load_tables(path: str | Path) -> dict[str, pd.DataFrame]:
    """The canonical tables of a DuckDB store file, as pandas frames (needed columns only)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            name: con.sql(f"SELECT {', '.join(cols)} FROM {name}").to_arrow_table().to_pandas()
            for name, cols in COLUMNS.items()
        }
    finally:
        con.close()


# -- the journey map, on pandas columns --------------------------------------------------------


def _glob_regex(pattern: str) -> str:
    out = "^"
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return out + "$"


def _match_one(path: pd.Series, pattern: str) -> pd.Series:
    if "*" in pattern or "?" in pattern:
        hit = path.str.contains(_glob_regex(pattern), regex=True)
    elif pattern.endswith("$"):
        hit = path == pattern[:-1]
    else:
        hit = path.str.startswith(pattern)
    return hit.fillna(False).astype(bool)


def match_pages(path: pd.Series, patterns: Sequence[str]) -> pd.Series:
    """True where ``path`` matches one of the journey-map page patterns (docs/journey.md)."""
    hit = pd.Series(False, index=path.index)
    for pattern in patterns:
        hit |= _match_one(path, pattern)
    return hit & path.notna()


def stage_of(journey: Journey, path: pd.Series, name: pd.Series) -> pd.Series:
    """Stage by event name, else help pages/events, else the most specific page pattern."""
    conditions, choices = [], []
    for st in journey.stages:
        names = [*st.events, *st.start_events, *st.goal_events]
        if names:
            conditions.append(name.isin(names))
            choices.append(st.name)
    help_events = [*journey.help.search_events, *journey.help.chatbot_events]
    conditions.append(match_pages(path, journey.help_pages()) | name.isin(help_events))
    conditions.append(name.isin(journey.contact.events))
    choices += [HELP_STAGE, HELP_STAGE]

    def specificity(p: str) -> int:
        return len(p.rstrip("$").replace("*", "").replace("?", ""))

    rules = [(specificity(p), -i, p, s.name) for i, s in enumerate(journey.stages) for p in s.pages]
    for _, _, pattern, stage in sorted(rules, key=lambda r: (r[0], r[1]), reverse=True):
        conditions.append(_match_one(path, pattern))
        choices.append(stage)
    return pd.Series(np.select(conditions, choices, OTHER_STAGE), index=path.index, dtype="str")


def _content_intents(content: pd.DataFrame) -> pd.DataFrame:
    """content_id, path (of the URL) and the first intent of every help-content row."""
    path = content["url"].str.replace(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*", "", regex=True)
    path = path.str.replace(r"[?#].*$", "", regex=True)
    intent = content["intents"].str.extract(r'"([^"]+)"', expand=False)
    return pd.DataFrame(
        {
            "content_id": content["content_id"],
            "path": path.where(path != ""),
            "intent": intent.where(intent != ""),
        }
    )


def _keyword_intent(journey: Journey, query: pd.Series) -> pd.Series:
    low = query.str.lower()
    conditions, choices = [], []
    for intent, words in journey.intents.items():
        for word in words:
            conditions.append(low.str.contains(word.lower(), regex=False).fillna(False))
            choices.append(intent)
    if not conditions:
        return pd.Series(None, index=query.index, dtype="str")
    picked = np.select(conditions, choices, "")
    return pd.Series(picked, index=query.index, dtype="str").replace("", None)


def journey_events(
    tables: dict[str, pd.DataFrame], journey: Journey, gap_minutes: int = 30
) -> pd.DataFrame:
    """The event stream in sessions with stage, help kind, intent and the context page.

    Rows are sorted by visitor, ``ts``, ``event_id``. ``page_no`` counts the session's page
    views so far; ``ctx_page``/``ctx_stage`` are the session's last journey page at or before
    the row (where a help, error or contact signal is counted).
    """
    events = tables["events"]
    is_error = events["event_name"].isin(journey.errors.events)
    detail = events.loc[is_error, "properties"].str.extract(ERROR_MESSAGE, expand=False)
    ev = events.drop(columns="properties").assign(detail=detail.where(detail != ""))

    ci = _content_intents(tables["content"])
    searches = tables["searches"].merge(
        ci[["content_id", "intent"]].rename(columns={"content_id": "clicked_content_id"}),
        on="clicked_content_id",
        how="left",
    )
    searches["search_intent"] = searches["intent"].fillna(
        _keyword_intent(journey, searches["query"])
    )
    search_cols = ["query", "results_count", "search_intent"]
    stream = ev.merge(
        searches[["search_id", *search_cols]].rename(columns={"search_id": "event_id"}),
        on="event_id",
        how="left",
        indicator=True,
    )
    stream["searched"] = stream.pop("_merge") == "both"
    alone = searches[~searches["search_id"].isin(events["event_id"])]
    if len(alone):
        extra = alone[["search_id", "ts", "customer_id", "anonymous_id", *search_cols]].rename(
            columns={"search_id": "event_id"}
        )
        name = journey.help.search_events[0] if journey.help.search_events else "search"
        extra = extra.assign(event_name=name, page_path=None, detail=None, searched=True)
        stream = pd.concat([stream, extra[stream.columns]], ignore_index=True)

    path, name = stream["page_path"], stream["event_name"]
    stream["stage"] = stage_of(journey, path, name)
    stream["is_page"] = name.isin(journey.page_view_events)
    stream["is_journey"] = ~stream["stage"].isin([HELP_STAGE, OTHER_STAGE]) & path.notna()

    # identities: a browser seen with one customer is theirs from window_days before its first
    # login; sessions are built per resolved person
    stream["customer_id"] = resolved_customers(stream, tables["identities"])
    # sessions: a new one at a visitor's first event and after more than gap_minutes idle
    stream["visitor_id"] = stream["customer_id"].fillna(stream["anonymous_id"])
    stream = stream.sort_values(["visitor_id", "ts", "event_id"], ignore_index=True)
    previous = stream.groupby("visitor_id", dropna=False)["ts"].shift()
    starts = previous.isna() | (stream["ts"] > previous + pd.Timedelta(minutes=gap_minutes))
    session_no = starts.astype("int64").groupby(stream["visitor_id"], dropna=False).cumsum()
    stream["session_key"] = stream["visitor_id"] + ":" + session_no.astype(str)
    by_session = stream.groupby("session_key", dropna=False)
    stream["page_no"] = by_session["is_page"].cumsum()
    stream["ctx_page"] = stream["page_path"].where(stream["is_journey"])
    stream["ctx_stage"] = stream["stage"].where(stream["is_journey"])
    stream[["ctx_page", "ctx_stage"]] = stream.groupby("session_key", dropna=False)[
        ["ctx_page", "ctx_stage"]
    ].ffill()

    path, name, h = stream["page_path"], stream["event_name"], journey.help
    help_kind = np.select(
        [
            stream["searched"] | name.isin(h.search_events) | match_pages(path, h.search_pages),
            match_pages(path, h.content_pages),
            name.isin(h.chatbot_events) | match_pages(path, h.chatbot_pages),
            name.isin(journey.contact.events) | match_pages(path, journey.contact.pages),
        ],
        ["search", "content", "chatbot", "contact"],
        "",
    )
    stream["help_kind"] = pd.Series(help_kind, index=stream.index, dtype="str").replace("", None)
    stream["is_goal"] = name.isin(journey.goal_events)
    by_path = ci.dropna(subset=["path"]).groupby("path")["intent"].min()
    content_intent = stream["page_path"].map(by_path)
    stream["intent"] = content_intent.where(stream["help_kind"] == "content").fillna(
        stream["search_intent"].where(stream["help_kind"] == "search")
    )
    stream["detail"] = stream["query"].where(stream["help_kind"] == "search", stream["detail"])
    return stream.drop(columns=["anonymous_id", "search_intent", "searched"])


# -- struggle signals ----------------------------------------------------------------------


def _rows(t: pd.DataFrame, signal: str, *, intent: bool = False) -> pd.DataFrame:
    cols = ["visitor_id", "customer_id", "session_key", "ts", "stage", "page_path", "page_no"]
    out = t[[*cols, "detail", "ctx_page", "ctx_stage"]].copy()
    out["signal"] = signal
    out["intent"] = t["intent"] if intent else None
    return out


def _unfinished_flows(s: pd.DataFrame, journey: Journey) -> list[pd.DataFrame]:
    out = []
    for stage in journey.stages:
        if not stage.is_flow:
            continue
        start = s["event_name"].isin(stage.start_events) | (
            s["is_page"] & match_pages(s["page_path"], stage.start_pages)
        )
        first = (
            s[start]
            .groupby("session_key")
            .agg(
                visitor_id=("visitor_id", "min"),
                customer_id=("customer_id", "min"),
                ts=("ts", "min"),
                start_page=("page_path", "min"),
                start_no=("page_no", "min"),
            )
        )
        goal = s[s["event_name"].isin(stage.goal_events)].groupby("session_key")["ts"].max()
        in_flow = (
            match_pages(s["page_path"], stage.drop_off_pages)
            if stage.drop_off_pages
            else s["stage"] == stage.name
        )
        last = s[s["is_page"] & in_flow].drop_duplicates("session_key", keep="last")
        last = last.set_index("session_key")
        first["goal"] = goal.reindex(first.index)
        first = first[first["goal"].isna() | (first["goal"] < first["ts"])]
        rows = first.reset_index()
        rows["page_path"] = rows["session_key"].map(last["page_path"]).fillna(rows["start_page"])
        rows["page_no"] = rows["session_key"].map(last["page_no"]).fillna(rows["start_no"])
        rows = rows.assign(
            stage=stage.name,
            signal="unfinished_flow",
            intent=None,
            detail=None,
            ctx_page=None,
            ctx_stage=None,
        )
        out.append(rows)
    return out


def _long_dwells(s: pd.DataFrame, config: SignalConfig) -> pd.DataFrame:
    pages = s[s["is_page"]].copy()
    pages["next_ts"] = pages.groupby("session_key")["ts"].shift(-1)
    timed = pages[pages["page_path"].notna() & pages["next_ts"].notna()].copy()
    seconds = (timed["next_ts"] - EPOCH) // SECOND - (timed["ts"] - EPOCH) // SECOND
    timed["dwell"] = seconds
    by_page = timed.groupby("page_path")["dwell"]
    n = by_page.transform("size")
    rank = by_page.rank(method="min")
    timed["pct_rank"] = ((rank - 1) / (n - 1)).where(n > 1, 0.0)
    hit = (
        (n >= config.dwell_min_views)
        & (timed["pct_rank"] > config.dwell_quantile)
        & (timed["dwell"] >= config.dwell_min_seconds)
    )
    return _rows(timed[hit], "long_dwell")


def struggle_signals(
    s: pd.DataFrame, journey: Journey, config: SignalConfig | None = None
) -> pd.DataFrame:
    """One row per (session, signal, stage, page, intent), as ``result_signals``."""
    config = config or SignalConfig()
    wanted = set(config.signals)
    name, path, kind = s["event_name"], s["page_path"], s["help_kind"]
    parts: list[pd.DataFrame] = []
    if "error" in wanted:
        err = journey.errors
        hit = name.isin(err.events) | (s["is_page"] & match_pages(path, err.pages))
        parts.append(_rows(s[hit], "error"))
    if "rage_click" in wanted:
        parts.append(_rows(s[name.isin(journey.rage_click_events)], "rage_click"))
    if "loop" in wanted:
        pages = s[s["is_page"] & kind.isna() & path.notna()]
        by_page = pages.groupby(["session_key", "page_path"])
        earlier = by_page["ts"].shift(config.loop_min_views - 1)
        window = pd.Timedelta(seconds=config.loop_window_seconds)
        looped = earlier.notna() & (pages["ts"] <= earlier + window)
        if config.loop_consecutive:  # no other page view of the session in between
            gap = pages["page_no"] - by_page["page_no"].shift(config.loop_min_views - 1)
            looped &= gap == config.loop_min_views - 1
        parts.append(_rows(pages[looped], "loop"))
    if "zero_result_search" in wanted:
        zero = s[(kind == "search") & (s["results_count"] == 0)]
        parts.append(_rows(zero, "zero_result_search", intent=True))
    if "search_reformulation" in wanted:
        q = s[(kind == "search") & s["query"].notna()]
        by_session = q.groupby("session_key")
        prev_ts, prev_query = by_session["ts"].shift(), by_session["query"].shift()
        norm = q["query"].str.strip(TRIM).str.lower()
        changed = norm != prev_query.str.strip(TRIM).str.lower()
        within = q["ts"] <= prev_ts + pd.Timedelta(seconds=config.reformulation_seconds)
        parts.append(
            _rows(q[prev_ts.notna() & within & changed], "search_reformulation", intent=True)
        )
    if "repeated_help_views" in wanted:
        views = s[s["is_page"] & (kind == "content")]
        nth = views.groupby("session_key").cumcount() + 1
        parts.append(_rows(views[nth == config.help_views_min], "repeated_help_views", intent=True))
    if "help_exit" in wanted:
        last_page = s.groupby("session_key")["page_no"].max()
        last_goal = s[s["is_goal"]].groupby("session_key")["ts"].max()
        helped = s[s["is_page"] & kind.isin(["content", "search"])]
        goal = helped["session_key"].map(last_goal)
        hit = (helped["page_no"] == helped["session_key"].map(last_page)) & (
            goal.isna() | (goal < helped["ts"])
        )
        parts.append(_rows(helped[hit], "help_exit", intent=True))
    if "unfinished_flow" in wanted:
        parts += _unfinished_flows(s, journey)
    if "help_search" in wanted:
        parts.append(_rows(s[kind == "search"], "help_search", intent=True))
    if "chatbot" in wanted:
        parts.append(_rows(s[kind == "chatbot"], "chatbot"))
    if "long_dwell" in wanted:
        parts.append(_long_dwells(s, config))

    cols = [*SIGNAL_KEYS, "ts", "page_no", "detail", "ctx_page", "ctx_stage"]
    every = pd.concat([p[cols] for p in parts], ignore_index=True)
    # signals on help, error and contact pages count at the session's last journey page
    in_context = every["ctx_page"].notna()
    every["page_path"] = every["ctx_page"].where(in_context, every["page_path"])
    every["stage"] = every["ctx_stage"].where(in_context, every["stage"])
    out = (
        every.groupby(SIGNAL_KEYS, dropna=False)
        .agg(
            ts=("ts", "min"),
            page_no=("page_no", "min"),
            occurrences=("ts", "size"),
            detail=("detail", "min"),
        )
        .reset_index()
    )
    out["page_no"] = out["page_no"].astype("int64")
    return out


# -- friction points -------------------------------------------------------------------------


def _point_id(t: pd.DataFrame) -> pd.Series:
    parts = [t[k].fillna("") for k in POINT_KEYS]
    return parts[0] + "|" + parts[1] + "|" + parts[2] + "|" + parts[3]


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole).where(whole > 0)


def _page_rates(sig: pd.DataFrame, s: pd.DataFrame) -> pd.DataFrame:
    """Per (signal, intent, page): page sessions and the rate on the signal's other pages."""
    views = s.loc[s["is_page"] & s["page_path"].notna(), ["session_key", "page_path"]]
    per_page = views.drop_duplicates().groupby("page_path").size()

    hits = sig[["signal", "page_path", "session_key"]].drop_duplicates()
    sp = hits.groupby(["signal", "page_path"], dropna=False).size().rename("n").reset_index()
    sp["page_sessions"] = sp["page_path"].map(per_page).fillna(0).astype("int64")
    sp["other_visits"] = (
        sp.groupby("signal")["page_sessions"].transform("sum") - sp["page_sessions"]
    )

    keyed = sig.assign(ikey=sig["intent"].fillna(""))
    ihits = keyed[["signal", "ikey", "page_path", "session_key"]].drop_duplicates()
    sip = ihits.groupby(["signal", "ikey", "page_path"], dropna=False).size().rename("hits")
    sip = sip.reset_index()
    sip["other_hits"] = sip.groupby(["signal", "ikey"])["hits"].transform("sum") - sip["hits"]
    # an inner join on the page: rows without a page get no rate
    j = sip.dropna(subset=["page_path"]).merge(
        sp.dropna(subset=["page_path"]), on=["signal", "page_path"]
    )
    j["background_rate"] = _share(j["other_hits"], j["other_visits"])
    return j[["signal", "ikey", "page_path", "page_sessions", "background_rate"]]


def _likely_intents(sig: pd.DataFrame) -> pd.Series:
    """Per point, the intent seen in most of its sessions (ties: alphabetical)."""
    sessions = sig[["point_id", "session_key"]].drop_duplicates()
    intents = sig.loc[sig["intent"].notna(), ["session_key", "intent"]].drop_duplicates()
    counts = sessions.merge(intents, on="session_key").groupby(["point_id", "intent"]).size()
    counts = counts.rename("n").reset_index()
    counts = counts.sort_values(["point_id", "n", "intent"], ascending=[True, False, True])
    top = counts.drop_duplicates("point_id")
    return top.set_index("point_id")["intent"]


def _contact_intents(
    sig: pd.DataFrame, contacts: pd.DataFrame, config: FrictionConfig
) -> pd.Series:
    """Per point, the over-represented intent of the contacts its customers opened after their
    first signal there (at least 2 customers, lift 1.5; the most customers, then alphabetical)."""
    known = sig[sig["customer_id"].notna()]
    firsts = known.groupby(["point_id", "customer_id"], as_index=False)["ts"].min()
    firsts = firsts.rename(columns={"ts": "first_ts"})
    c = contacts.loc[
        contacts["customer_id"].notna() & contacts["intent"].notna(),
        ["customer_id", "opened_at", "intent"],
    ]
    j = firsts.merge(c, on="customer_id")
    window = pd.Timedelta(days=config.contact_window_days)
    j = j[(j["opened_at"] >= j["first_ts"]) & (j["opened_at"] <= j["first_ts"] + window)]
    per = j.groupby(["point_id", "intent"])["customer_id"].nunique().rename("n").reset_index()
    per = per.join(j.groupby("point_id")["customer_id"].nunique().rename("m"), on="point_id")
    per = per.join(c.groupby("intent")["customer_id"].nunique().rename("on"), on="intent")
    lift = (per["n"] / per["m"]) / (per["on"] / c["customer_id"].nunique())
    per = per[(per["n"] >= 2) & (lift >= 1.5)]
    per = per.sort_values(["point_id", "n", "intent"], ascending=[True, False, True])
    return per.drop_duplicates("point_id").set_index("point_id")["intent"]


def _customer_outcomes(
    sig: pd.DataFrame,
    likely: pd.Series,
    s: pd.DataFrame,
    contacts: pd.DataFrame,
    subscriptions: pd.DataFrame,
    config: FrictionConfig,
) -> pd.DataFrame:
    """Per point: affected customers who then contacted, self-served or churned."""
    known = sig[sig["customer_id"].notna()]
    firsts = known.groupby(["point_id", "customer_id"], as_index=False)["ts"].min()
    firsts = firsts.rename(columns={"ts": "first_ts"})
    firsts["likely_intent"] = firsts["point_id"].map(likely)

    human = contacts[
        contacts["customer_id"].notna()
        & contacts["channel"].notna()
        & ~contacts["channel"].isin(config.selfservice_channels)
    ]
    j = firsts.merge(human[["customer_id", "opened_at", "intent"]], on="customer_id")
    days = pd.Timedelta(days=max(config.contact_window_days, config.selfserve_window_days))
    j = j[(j["opened_at"] >= j["first_ts"]) & (j["opened_at"] <= j["first_ts"] + days)]
    in_window = j["opened_at"] <= j["first_ts"] + pd.Timedelta(days=config.contact_window_days)
    soon = j["opened_at"] <= j["first_ts"] + pd.Timedelta(days=config.selfserve_window_days)
    j = j.assign(
        contacted=in_window,
        about=in_window & (j["intent"] == j["likely_intent"]),
        soon=soon,
    )
    contacted = j.groupby(["point_id", "customer_id"], as_index=False)[
        ["contacted", "about", "soon"]
    ].max()

    helped_sessions = s.loc[s["help_kind"].isin(["content", "search", "chatbot"]), "session_key"]
    helped = known.loc[known["session_key"].isin(helped_sessions), ["point_id", "customer_id"]]
    helped = helped.drop_duplicates().assign(helped=True)

    subs = subscriptions[subscriptions["customer_id"].notna()]
    per_customer = subs.groupby("customer_id").agg(
        ended=("ended_at", "max"), open=("ended_at", lambda e: int(e.isna().sum()))
    )

    per = firsts.merge(contacted, on=["point_id", "customer_id"], how="left")
    per = per.merge(helped, on=["point_id", "customer_id"], how="left")
    per = per.merge(per_customer, left_on="customer_id", right_index=True, how="left")
    per["contacted"] = per["contacted"].fillna(False).astype(bool)
    per["about"] = per["about"].fillna(False).astype(bool)
    per["selfserved"] = per["helped"].fillna(False).astype(bool) & ~per["soon"].fillna(
        False
    ).astype(bool)
    per["churned"] = (per["open"].fillna(1) == 0) & (per["ended"] >= per["first_ts"]).fillna(False)
    out = per.groupby("point_id")[["contacted", "about", "selfserved", "churned"]].sum()
    return out.rename(
        columns={
            "contacted": "contacted_customers",
            "about": "contacted_intent_customers",
            "selfserved": "selfserved_customers",
            "churned": "churned_customers",
        }
    )


def friction_points(
    signals: pd.DataFrame,
    s: pd.DataFrame,
    contacts: pd.DataFrame,
    subscriptions: pd.DataFrame,
    config: FrictionConfig | None = None,
) -> pd.DataFrame:
    """The friction-point table, as ``result_friction_points`` (docs/journey.md)."""
    config = config or FrictionConfig()
    sig = signals.assign(point_id=_point_id(signals))
    base = (
        sig.groupby(["point_id", *POINT_KEYS], dropna=False)
        .agg(
            sessions=("session_key", "nunique"),
            visitors=("visitor_id", "nunique"),
            customers=("customer_id", "nunique"),
            occurrences=("occurrences", "sum"),
            first_seen=("ts", "min"),
            last_seen=("ts", "max"),
        )
        .reset_index()
    )
    likely = _likely_intents(sig)
    from_contacts = _contact_intents(sig, contacts, config)
    base["likely_intent"] = (
        base["intent"]
        .fillna(base["point_id"].map(likely))
        .fillna(base["point_id"].map(from_contacts))
    )
    outcomes = _customer_outcomes(
        sig, base.set_index("point_id")["likely_intent"], s, contacts, subscriptions, config
    )
    rates = _page_rates(sig, s)
    base["ikey"] = base["intent"].fillna("")
    j = base.merge(rates, on=["signal", "ikey", "page_path"], how="left")
    j = j.merge(outcomes, left_on="point_id", right_index=True, how="left")
    j["page_sessions"] = j["page_sessions"].fillna(0).astype("int64")
    j["page_rate"] = _share(j["sessions"], j["page_sessions"])
    expected = (j["background_rate"] * j["page_sessions"]).fillna(0.0)
    j["excess_sessions"] = (j["sessions"] - expected).clip(lower=0.0)
    j["lift"] = (j["page_rate"] / j["background_rate"]).where(j["background_rate"] > 0)
    for what in ("contacted", "contacted_intent", "selfserved", "churned"):
        j[f"{what}_customers"] = j[f"{what}_customers"].fillna(0).astype("int64")
        j[f"{what}_share"] = _share(j[f"{what}_customers"], j["customers"])
    out = j[list(FRICTION_COLUMNS)].sort_values(["sessions", "point_id"], ascending=[False, True])
    return out.reset_index(drop=True)


# -- identities --------------------------------------------------------------------------------


def resolved_customers(
    stream: pd.DataFrame, identities: pd.DataFrame, window_days: float = 30.0
) -> pd.Series:
    """Each row's customer: its own, else its browser's when the browser was seen with exactly
    one customer and the row is at most ``window_days`` before the browser's first login."""
    both = stream[stream["anonymous_id"].notna() & stream["customer_id"].notna()]
    seen = both[["anonymous_id", "customer_id", "ts"]]
    known = identities[(identities["kind"] == "anonymous_id") & identities["customer_id"].notna()]
    seen = pd.concat(
        [seen, known.rename(columns={"value": "anonymous_id"})[["anonymous_id", "customer_id"]]],
        ignore_index=True,
    )
    links = seen.groupby("anonymous_id").agg(
        customer=("customer_id", "min"), n=("customer_id", "nunique"), first=("ts", "min")
    )
    links = links[links["n"] == 1]
    row = links.reindex(stream["anonymous_id"])
    start = row["first"] - pd.Timedelta(seconds=int(window_days * 86_400))
    ok = row["customer"].notna() & (row["first"].isna() | (stream["ts"].to_numpy() >= start))
    browser = row["customer"].where(ok.to_numpy())
    return stream["customer_id"].fillna(pd.Series(browser.to_numpy(), index=stream.index))


def resolved_contacts(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Contacts without deleted ones, each with its customer: the source's, else the one the
    identities name for its requester, else the one customer with its keyed e-mail hash."""
    c = tables["contacts"]
    c = c[c["status"].isna() | (c["status"] != "deleted")].copy()
    ids = tables["identities"]
    req = (
        ids[ids["kind"] == "requester_id"]
        .groupby("value")
        .agg(rcust=("customer_id", "min"), rmail=("email_hash", "min"))
    )
    c = c.join(req, on="requester_id")
    mail = c["requester_email_hash"].fillna(c["rmail"])
    cust = tables["customers"]
    hashed = (
        cust[cust["email_hash"].notna()]
        .groupby("email_hash")["customer_id"]
        .agg(["min", "nunique"])
    )
    hashed = hashed.loc[hashed["nunique"] == 1, "min"]
    c["customer_id"] = c["customer_id"].fillna(c["rcust"]).fillna(mail.map(hashed))
    return c.drop(columns=["rcust", "rmail"])


# -- silent customers ------------------------------------------------------------------------


def _incident_pages(incidents: pd.DataFrame) -> list[tuple[str, datetime, datetime | None]]:
    out = []
    for row in incidents.itertuples(index=False):
        try:
            affected = json.loads(row.affected or "{}")
        except json.JSONDecodeError:
            continue
        pages = affected.get("pages", []) if isinstance(affected, dict) else []
        end = None if pd.isna(row.ended_at) else row.ended_at
        out += [(p, row.started_at, end) for p in pages if isinstance(p, str) and p]
    return out


def session_units(
    s: pd.DataFrame, signals: pd.DataFrame, incidents: pd.DataFrame, config: SilentConfig
) -> pd.DataFrame:
    """One row per session with a non-help page view: the page of its first error, else its
    last such page, and its signals."""
    is_help = pd.Series(False, index=s.index)
    for prefix in config.help_prefixes:
        is_help |= s["page_path"].str.startswith(prefix).fillna(False).astype(bool)
    pages = s[s["event_name"].isin(config.page_events) & s["page_path"].notna() & ~is_help]
    exits = pages.drop_duplicates("session_key", keep="last")[["session_key", "page_path"]]
    # the page of the session's first error, if it has one (ties: the first path in text order)
    err = signals[signals["signal"].isin(ERROR_SIGNALS) & signals["page_path"].notna()]
    first_err = err.sort_values(["session_key", "ts", "page_path"]).drop_duplicates("session_key")
    exits = exits.merge(
        first_err[["session_key", "page_path"]].rename(columns={"page_path": "err_page"}),
        on="session_key",
        how="left",
    )
    exits["page_path"] = exits["err_page"].fillna(exits["page_path"])
    exits = exits[["session_key", "page_path"]]
    sessions = s.groupby("session_key").agg(
        customer_id=("customer_id", "max"),
        person_id=("visitor_id", "max"),
        started_at=("ts", "min"),
    )
    units = sessions.reset_index().merge(exits, on="session_key")
    for page, start, end in _incident_pages(incidents):
        during = units["page_path"].str.startswith(page) & (
            units["started_at"] >= start - pd.Timedelta(minutes=config.incident_margin_minutes)
        )
        if end is not None:
            during &= units["started_at"] <= end
        units = units[~during]

    sig = signals[["session_key", "page_path", "signal", "intent", "detail"]].merge(
        units[["session_key", "page_path"]].rename(columns={"page_path": "unit_page"}),
        on="session_key",
    )
    at_page = sig["page_path"] == sig["unit_page"]
    is_error = sig["signal"].isin(ERROR_SIGNALS) & at_page
    is_help_signal = sig["signal"].isin(HELP_SIGNALS)
    sig = sig.assign(
        is_error=is_error,
        is_loop=sig["signal"].isin(LOOP_SIGNALS) & at_page,
        error_detail=sig["detail"].where(is_error),
        help_intent=sig["intent"].where(is_help_signal),
        help_signal=sig["signal"].where(is_help_signal),
    )
    per = sig.groupby("session_key").agg(
        error_detail=("error_detail", "max"),
        is_error=("is_error", "any"),
        is_loop=("is_loop", "any"),
        help_intent=("help_intent", "max"),
        help_signal=("help_signal", "max"),
    )
    units = units.merge(per, left_on="session_key", right_index=True, how="left")
    has_error = units["is_error"].fillna(False).astype(bool)
    units["error_kind"] = units["error_detail"].fillna("error").where(has_error, "")
    units["loop"] = units["is_loop"].fillna(False).astype(bool)
    units["help_kind"] = units["help_intent"].fillna(units["help_signal"]).fillna("")
    return units[
        [
            "session_key",
            "customer_id",
            "person_id",
            "started_at",
            "page_path",
            "error_kind",
            "loop",
            "help_kind",
        ]
    ]


def _default_stage(page: str) -> str:
    for stage, prefixes in DEFAULT_STAGES.items():
        for prefix in prefixes:
            if page == prefix[:-1] if prefix.endswith("$") else page.startswith(prefix):
                return stage
    return OTHER_STAGE


def silent_inputs(
    s: pd.DataFrame,
    signals: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    config: SilentConfig | None = None,
) -> SilentInputs:
    """What :func:`kizuki.analytics.silent.estimate_silent` needs, built in pandas."""
    cfg = config or SilentConfig()
    units = session_units(s, signals, tables["incidents"], cfg)
    keys = ["person_id", "customer_id", "page_path", "error_kind", "loop", "help_kind"]
    patterns = units.groupby(keys, dropna=False).size().rename("units").reset_index()

    contacts = resolved_contacts(tables)
    labelled = contacts[
        contacts["intent"].notna()
        & contacts["customer_id"].notna()
        & contacts["channel"].notna()
        & (contacts["channel"] != "chatbot")
    ]
    indicators = ["error_kind", "loop", "help_kind"]  # the unit each contact followed
    u = units.loc[
        units["customer_id"].notna(), ["customer_id", "page_path", "started_at", *indicators]
    ]
    j = u.merge(labelled[["customer_id", "opened_at", "intent"]], on="customer_id")
    window = pd.Timedelta(days=cfg.window_days)
    j = j[(j["opened_at"] >= j["started_at"]) & (j["opened_at"] <= j["started_at"] + window)]
    after = j[["customer_id", "page_path", "intent", *indicators]].drop_duplicates()
    after = after.reset_index(drop=True)

    human = contacts[contacts["channel"].notna() & (contacts["channel"] != "chatbot")]
    n_human, n_labelled = len(human), int(human["intent"].notna().sum())
    n_linked = int(human["customer_id"].notna().sum())
    resolved = human.loc[
        human["customer_id"].notna() & human["resolved_at"].notna(), "customer_id"
    ].unique()
    cust = tables["customers"][["customer_id", "monthly_value"]].copy()
    subs = tables["subscriptions"]
    ended = subs.loc[
        subs["status"].isin(["churned", "cancelled"]) & subs["ended_at"].notna(), "customer_id"
    ]
    cust["churned"] = cust["customer_id"].isin(ended)
    cust["resolved_any"] = cust["customer_id"].isin(resolved)
    surveys = tables["surveys"]
    low = (
        ((surveys["kind"] == "nps") & (surveys["score"] <= cfg.nps_detractor_max))
        | ((surveys["kind"] == "csat") & (surveys["score"] <= cfg.csat_low_max))
        | ((surveys["kind"] == "ces") & (surveys["score"] <= cfg.ces_low_max))
    )
    answered = surveys.assign(low=low)[surveys["customer_id"].notna()]
    cust["responded"] = cust["customer_id"].isin(answered["customer_id"])
    cust["dissatisfied"] = cust["customer_id"].isin(answered.loc[answered["low"], "customer_id"])

    stage_rows = signals.groupby(["page_path", "stage"], dropna=False).size().rename("n")
    top = stage_rows.reset_index().sort_values(["page_path", "n"], ascending=[True, False])
    top = top[top["stage"].notna()].drop_duplicates("page_path")
    stages = dict(top[["page_path", "stage"]].itertuples(index=False))
    for page in patterns["page_path"].dropna().unique():
        if stages.get(page) is None:  # no signal on the page: the default stage prefixes
            stages[page] = _default_stage(str(page))
    return SilentInputs(
        patterns=patterns,
        contacts_after=after,
        customers=cust,
        labelled_share=(n_labelled / n_human) if n_human else 1.0,
        human_contacts=n_human,
        stages={str(k): str(v) for k, v in stages.items()},
        linked_share=(n_linked / n_human) if n_human else 1.0,
    )


def silent_customers(inputs: SilentInputs, config: SilentConfig | None = None) -> pd.DataFrame:
    """The numpy estimator of Kizuki on the pandas-built inputs (seed 0, as ``analyze``)."""
    return estimate_silent(inputs, config or SilentConfig(), rng=np.random.default_rng(0))


# -- the whole computation ---------------------------------------------------------------------


def compute(
    tables: dict[str, pd.DataFrame], journey: Journey, timings: dict[str, float] | None = None
) -> dict[str, pd.DataFrame]:
    """Signals, friction points and silent customers from the loaded tables."""
    marks = timings if timings is not None else {}
    t0 = time.perf_counter()
    stream = journey_events(tables, journey)
    t1 = time.perf_counter()
    signals = struggle_signals(stream, journey)
    t2 = time.perf_counter()
    points = friction_points(signals, stream, resolved_contacts(tables), tables["subscriptions"])
    t3 = time.perf_counter()
    activity = struggle_signals(stream, journey, SignalConfig(signals=ACTIVITY_SIGNALS))
    inputs = silent_inputs(stream, pd.concat([signals, activity], ignore_index=True), tables)
    t4 = time.perf_counter()
    silent = silent_customers(inputs)
    t5 = time.perf_counter()
    marks.update(
        sessions_s=t1 - t0,
        signals_s=t2 - t1,
        friction_s=t3 - t2,
        silent_inputs_s=t4 - t3,
        silent_estimate_s=t5 - t4,
    )
    return {
        "result_signals": signals,
        "result_friction_points": points,
        "result_silent_customers": silent,
    }


# -- comparison with Kizuki's result tables ----------------------------------------------------

#: Result table -> the key columns that identify a row.
RESULT_KEYS = {
    "result_signals": ["session_key", "signal", "stage", "page_path", "intent"],
    "result_friction_points": ["point_id"],
    "result_silent_customers": ["stage", "page_path"],
}


def _same(a: pd.Series, b: pd.Series, rtol: float, atol: float) -> np.ndarray:
    """Elementwise equality: NULL equals NULL, floats to ``rtol``, the rest exactly."""
    a_na, b_na = a.isna().to_numpy(), b.isna().to_numpy()
    both = ~a_na & ~b_na
    out = a_na & b_na
    if pd.api.types.is_float_dtype(a) or pd.api.types.is_float_dtype(b):
        x = a.to_numpy(dtype=float, na_value=np.nan)
        y = b.to_numpy(dtype=float, na_value=np.nan)
        close = np.isclose(x, y, rtol=rtol, atol=atol)
        return out | (both & close)
    x, y = a.to_numpy(dtype=object), b.to_numpy(dtype=object)
    eq = np.array([bool(u == v) for u, v in zip(x[both], y[both], strict=True)], dtype=bool)
    out[both] = eq
    return out


def compare_frame(
    name: str,
    mine: pd.DataFrame,
    theirs: pd.DataFrame,
    keys: list[str],
    *,
    rtol: float = 1e-9,
    atol: float = 1e-12,
    show: int = 5,
) -> list[str]:
    """Differences between two result tables, matched on ``keys``; empty when they agree."""
    problems: list[str] = []
    if sorted(mine.columns) != sorted(theirs.columns):
        return [
            f"{name}: columns differ: pandas only {sorted(set(mine.columns) - set(theirs.columns))}"
            f", kizuki only {sorted(set(theirs.columns) - set(mine.columns))}"
        ]
    if len(mine) != len(theirs):
        problems.append(f"{name}: {len(mine):,} rows in pandas, {len(theirs):,} in kizuki")
    a = mine.sort_values(keys, na_position="first", ignore_index=True)
    b = theirs[list(mine.columns)].sort_values(keys, na_position="first", ignore_index=True)
    merged = a.merge(b, on=keys, how="outer", suffixes=("", "__kizuki"), indicator=True)
    only = merged[merged["_merge"] != "both"]
    if len(only):
        side = only["_merge"].map({"left_only": "pandas only", "right_only": "kizuki only"})
        shown = only[keys].assign(side=side).head(show).to_string()
        problems.append(f"{name}: {len(only):,} rows on one side only; first:\n{shown}")
    both = merged[merged["_merge"] == "both"].reset_index(drop=True)
    for col in mine.columns:
        if col in keys:
            continue
        ok = _same(both[col], both[f"{col}__kizuki"], rtol, atol)
        if not ok.all():
            bad = both.loc[~ok, [*keys, col, f"{col}__kizuki"]]
            problems.append(
                f"{name}.{col}: {len(bad):,} of {len(both):,} rows differ; first:\n"
                f"{bad.head(show).to_string()}"
            )
    return problems


def _per_signal(signals: pd.DataFrame) -> pd.DataFrame:
    return signals.groupby("signal").agg(
        rows=("signal", "size"), occurrences=("occurrences", "sum")
    )


def compare_results(results: dict[str, pd.DataFrame], store: str | Path) -> list[str]:
    """Compare computed results with the store's ``result_*`` tables; return the differences."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        theirs = {
            name: con.sql(f"SELECT * FROM {name}").to_arrow_table().to_pandas()
            for name in RESULT_KEYS
        }
    finally:
        con.close()
    problems: list[str] = []
    counts = _per_signal(results["result_signals"]).merge(
        _per_signal(theirs["result_signals"]),
        left_index=True,
        right_index=True,
        how="outer",
        suffixes=("", "_kizuki"),
    )
    if not counts.fillna(-1).pipe(lambda c: (c["rows"] == c["rows_kizuki"]).all()):
        problems.append(f"result_signals: rows per signal differ:\n{counts.to_string()}")
    for name, keys in RESULT_KEYS.items():
        problems += compare_frame(name, results[name], theirs[name], keys)
    return problems


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="DuckDB store file")
    parser.add_argument("--journey", default="demo", help="shipped journey map name or a YAML")
    parser.add_argument("--check", action="store_true", help="compare with the result tables")
    parser.add_argument("--json", type=Path, help="also write the timings here as JSON")
    args = parser.parse_args(argv)
    if Path(args.journey).suffix in (".yaml", ".yml"):
        journey = load_journey(args.journey)
    else:
        journey = load_journey(name=args.journey)
    timings: dict[str, Any] = {}
    t0 = time.perf_counter()
    tables = load_tables(args.store)
    timings["load_s"] = time.perf_counter() - t0
    timings["events"] = len(tables["events"])
    t0, cpu0 = time.perf_counter(), time.process_time()
    results = compute(tables, journey, timings)
    timings["compute_s"] = time.perf_counter() - t0
    timings["compute_cpu_s"] = time.process_time() - cpu0
    timings["peak_rss_mib"] = _peak_rss_mib()  # before the comparison reads Kizuki's tables
    timings["signals"] = len(results["result_signals"])
    timings["friction_points"] = len(results["result_friction_points"])
    status = 0
    if args.check:
        problems = compare_results(results, args.store)
        timings["equal"] = not problems
        for problem in problems:
            print(problem, file=sys.stderr)
        status = 1 if problems else 0
    print(json.dumps(timings))
    if args.json:
        args.json.write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
