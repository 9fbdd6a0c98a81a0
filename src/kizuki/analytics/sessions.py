"""Sessions from the event stream, and sessions per journey stage per day.

Everything here is an Ibis expression that runs inside the store's engine (DuckDB, Spark, …);
no events are pulled into Python. The same definitions give the same numbers on every backend
(``tests/analytics/test_backends.py`` checks DuckDB against Spark).

A *visitor* is ``coalesce(customer_id, anonymous_id)``. A visitor's events, ordered by
``(ts, event_id)``, start a new *session* at their first event and whenever the time since the
previous event is more than ``gap_minutes`` (a gap of exactly ``gap_minutes`` continues the
session). By default source session ids (GA4's ``ga_session_id``) are not used, so sessions mean
the same thing whatever the source; ``use_session_id=True`` also starts a session where the
source's ``session_id`` changes between two events that both have one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir

from kizuki.analytics.local_time import UTC_ZONE, local_date
from kizuki.errors import ConfigError

__all__ = [
    "DEFAULT_STAGES",
    "OTHER_STAGE",
    "assign_stage",
    "daily_counts",
    "daily_from_session_days",
    "daily_from_sessions",
    "narrow_events",
    "session_days",
    "sessionize",
    "stage_daily_counts",
    "stage_daily_from_session_days",
    "stage_daily_from_sessions",
]

#: The stage of a page that matches no prefix.
OTHER_STAGE = "other"

#: A small default journey map (stage -> page-path prefixes), in journey order; the first
#: stage with a matching prefix wins, so specific prefixes go before general ones. A prefix
#: ending in ``$`` matches that exact path only (``/$`` is the home page, not every page). The
#: daily stage counts use it; the friction and silent-customer analyses place pages by the
#: journey map (:mod:`kizuki.journey`). These fit the demo company and common SaaS sites.
DEFAULT_STAGES: Mapping[str, Sequence[str]] = {
    "help": ("/help", "/faq", "/support", "/contact"),
    "signup": ("/signup", "/register", "/trial"),
    "setup": ("/setup", "/onboarding", "/welcome"),
    "billing": ("/account/billing", "/account/receipts", "/billing", "/payment", "/checkout"),
    "renewal": ("/account/plan", "/account/cancel", "/renew", "/cancel"),
    "use": ("/app", "/dashboard", "/account"),
    "visit": ("/$", "/features", "/pricing", "/case-studies", "/blog", "/about", "/lp"),
}


#: One in the high half of a running sum that carries two counts (see :func:`sessionize`).
_HIGH = 1 << 32


def _check_gap(gap_minutes: int) -> None:
    if isinstance(gap_minutes, bool) or not isinstance(gap_minutes, int) or gap_minutes < 1:
        raise ConfigError(
            f"gap_minutes must be a whole number of minutes >= 1, got {gap_minutes!r}"
        )


def sessionize(
    events: ir.Table,
    gap_minutes: int = 30,
    *,
    use_session_id: bool = False,
    running_counts: Sequence[str] = (),
) -> ir.Table:
    """Number each visitor's sessions.

    Parameters
    ----------
    events
        A table with at least ``event_id``, ``ts``, ``customer_id`` and ``anonymous_id``, or
        one that already has ``visitor_id`` (then neither id is needed, and a narrower table
        sorts faster).
    gap_minutes
        Inactivity, in minutes, after which the next event starts a new session.
    use_session_id
        Also start a new session where ``session_id`` differs from the previous event's (both
        not NULL); the table then needs a ``session_id`` column.
    running_counts
        Boolean columns to count as the visitor goes: each ``name`` adds ``name_seq``, the
        visitor's rows so far (this one included) where it is true. Computed in the same window
        pass as ``session_no``, two counts to one running sum (so each stays below 2**31 rows
        per visitor).

    Returns
    -------
    The events plus ``visitor_id`` (``coalesce(customer_id, anonymous_id)`` unless given),
    ``session_no`` (1, 2, … per visitor in time order) and ``session_key`` (``visitor_id ||
    ':' || session_no``, the same on every run and backend).

    Examples
    --------
    >>> from kizuki.store import open_store
    >>> store = open_store("duckdb://")
    >>> sessions = sessionize(store.table("events"))
    >>> "session_key" in sessions.columns
    True
    """
    _check_gap(gap_minutes)
    with_visitor = events
    if "visitor_id" not in events.columns:
        visitor = ibis.coalesce(events.customer_id, events.anonymous_id)
        with_visitor = events.mutate(visitor_id=visitor)
    order = [with_visitor.ts, with_visitor.event_id]
    by_visitor = ibis.window(group_by=with_visitor.visitor_id, order_by=order)
    previous_ts = with_visitor.ts.lag().over(by_visitor)
    # ts > previous + interval compares at the engine's full precision, with no float epochs.
    starts = previous_ts.isnull() | (
        with_visitor.ts > previous_ts + ibis.interval(minutes=gap_minutes)
    )
    if use_session_id:
        previous_id = with_visitor.session_id.lag().over(by_visitor)
        changed = (with_visitor.session_id != previous_id).fill_null(False)
        starts = starts | changed
    flagged = with_visitor.mutate(_starts_session=starts.cast("int64"))
    running = ibis.cumulative_window(
        group_by=flagged.visitor_id, order_by=[flagged.ts, flagged.event_id]
    )
    counted = {
        "session_no": flagged._starts_session,
        **{f"{c}_seq": flagged[c].cast("int64") for c in running_counts},
    }
    # Two counts ride in one running sum (low and high 32 bits; each < 2**31 per visitor):
    # every sum a window computes costs about a quarter of the pass.
    names = list(counted)
    pairs = [names[i : i + 2] for i in range(0, len(names), 2)]
    packed = {
        f"_packed{i}": (
            counted[pair[0]] + counted[pair[1]] * _HIGH if len(pair) == 2 else counted[pair[0]]
        )
        .sum()
        .over(running)
        for i, pair in enumerate(pairs)
    }
    summed = flagged.mutate(**packed)
    counts: dict[str, ir.Value] = {}
    for i, pair in enumerate(pairs):
        total = summed[f"_packed{i}"]
        if len(pair) == 2:
            counts[pair[0]], counts[pair[1]] = total & (_HIGH - 1), total >> 32
        else:
            counts[pair[0]] = total
    numbered = summed.mutate(**counts).drop("_starts_session", *packed)
    return numbered.mutate(
        session_key=numbered.visitor_id.concat(":", numbered.session_no.cast("string"))
    )


def narrow_events(events: ir.Table) -> ir.Table:
    """The columns the daily counts need: every column a window carries is sorted with it."""
    return events.select("event_id", "ts", "customer_id", "anonymous_id", "page_path")


def assign_stage(page_path: ir.StringValue, stages: Mapping[str, Sequence[str]]) -> ir.StringValue:
    """The journey stage of ``page_path``: the first stage with a matching prefix, else 'other'.

    A prefix that ends in ``$`` matches the exact path (``"/$"`` is the home page only).
    """
    if not stages:
        raise ConfigError("the stage mapping is empty; give at least one stage with prefixes")
    branches: list[tuple[Any, str]] = []
    for stage, prefixes in stages.items():
        if isinstance(prefixes, str):
            raise ConfigError(
                f"stage {stage!r}: prefixes must be a list of strings, got the string {prefixes!r}"
            )
        for prefix in prefixes:
            if prefix.endswith("$"):
                branches.append((page_path == prefix[:-1], stage))
            else:
                branches.append((page_path.startswith(prefix), stage))
    if not branches:
        raise ConfigError(f"the stage mapping {dict(stages)!r} has no prefixes")
    return ibis.cases(*branches, else_=OTHER_STAGE)


def stage_daily_counts(
    events: ir.Table,
    stages: Mapping[str, Sequence[str]] = DEFAULT_STAGES,
    gap_minutes: int = 30,
    timezone: str = UTC_ZONE,
) -> ir.Table:
    """Sessions and events per journey stage per local day in ``timezone``.

    A session counts once for every (day, stage) in which it has at least one event, so a
    session that moves from set-up to billing counts in both stages, and one that runs past
    midnight counts on both days. Events without a page path are in stage 'other'.

    Returns
    -------
    Columns ``day`` (date, in ``timezone``), ``stage``, ``sessions``, ``visitors`` and
    ``events``.

    Examples
    --------
    >>> from kizuki.store import open_store
    >>> store = open_store("duckdb://")
    >>> stage_daily_counts(store.table("events")).columns
    ('day', 'stage', 'sessions', 'visitors', 'events')
    """
    sessions = sessionize(narrow_events(events), gap_minutes)
    return stage_daily_from_sessions(sessions, stages, timezone)


def stage_daily_from_sessions(
    sessions: ir.Table,
    stages: Mapping[str, Sequence[str]] = DEFAULT_STAGES,
    timezone: str = UTC_ZONE,
) -> ir.Table:
    """:func:`stage_daily_counts` of already sessionised events (``page_path`` needed)."""
    return stage_daily_from_session_days(session_days(sessions, stages, timezone))


def session_days(
    sessions: ir.Table,
    stages: Mapping[str, Sequence[str]] | None = DEFAULT_STAGES,
    timezone: str = UTC_ZONE,
) -> ir.Table:
    """Sessionised events summed per (local day, stage, session): ``day, stage, session_key,
    visitor_id, events``. The daily and the stage counts are both sums of it, so one pass over
    the events serves both (:func:`daily_from_session_days`, :func:`stage_daily_from_session_days`).

    ``stages`` maps stages to page-path prefixes; None takes the ``stage`` column the sessions
    already carry (the journey map's, from :func:`~kizuki.analytics.journey_stream.
    journey_events`). Days are local dates in ``timezone`` (:mod:`kizuki.analytics.local_time`).
    """
    if stages is None:
        staged = sessions.mutate(day=local_date(sessions.ts, timezone))
    else:
        # the stage of each distinct path, joined on: far cheaper than matching every event
        paths = sessions.select(_path=sessions.page_path).distinct()
        paths = paths.mutate(_stage=assign_stage(paths._path, stages))
        joined = sessions.left_join(paths, sessions.page_path.identical_to(paths._path))
        staged = joined.mutate(day=local_date(joined.ts, timezone), stage=joined._stage)
    # a session key names one visitor: grouping by both adds no groups
    return staged.group_by(["day", "stage", "session_key", "visitor_id"]).aggregate(
        events=staged.count()
    )


def stage_daily_from_session_days(days: ir.Table) -> ir.Table:
    """:func:`stage_daily_counts` from :func:`session_days`."""
    return days.group_by(["day", "stage"]).aggregate(
        sessions=days.count(),
        visitors=days.visitor_id.nunique(),
        events=days.events.sum().cast("int64"),
    )


def daily_from_session_days(days: ir.Table) -> ir.Table:
    """:func:`daily_counts` from :func:`session_days` (a session counts once on each day)."""
    return days.group_by("day").aggregate(
        events=days.events.sum().cast("int64"),
        sessions=days.session_key.nunique(),
        visitors=days.visitor_id.nunique(),
    )


def daily_counts(events: ir.Table, gap_minutes: int = 30, timezone: str = UTC_ZONE) -> ir.Table:
    """Events, sessions and visitors per local day in ``timezone`` (a session is counted on
    each day it touches).

    Returns
    -------
    Columns ``day`` (date, in ``timezone``), ``events``, ``sessions`` and ``visitors``.
    """
    return daily_from_sessions(sessionize(narrow_events(events), gap_minutes), timezone)


def daily_from_sessions(sessions: ir.Table, timezone: str = UTC_ZONE) -> ir.Table:
    """:func:`daily_counts` of already sessionised events (``page_path`` needed)."""
    return daily_from_session_days(session_days(sessions, timezone=timezone))
