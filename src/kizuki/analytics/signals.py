"""Struggle signals per session: errors, loops, failed help searches, abandoned flows, ….

The signals are found in the annotated event stream of
:func:`~kizuki.analytics.journey_stream.journey_events`: :func:`signals_from_events` finds them
in a stream, :func:`find_struggle_signals` builds the stream and finds them. Everything here is
an Ibis expression that runs inside the store's engine (DuckDB, Spark); no events come back to
Python. Every signal and threshold is defined in docs/journey.md.

**Where a signal is.** A signal on a journey page is at that page. A signal on a help, search,
chatbot, contact or error page (or an event without a page) is at the *context page*: the last
journey page the session saw at or before it, so "zero-result search" lands on the set-up page
the visitor was stuck on, not on the search page. Without any journey page before it, the
signal stays at its own page (stage ``help`` or ``other``).
"""

from __future__ import annotations

import functools
import operator
from typing import Annotated, Literal, get_args

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, Field

from kizuki.analytics.journey_stream import journey_events, materialized
from kizuki.journey import Journey, Stage, match_events, match_pages

__all__ = [
    "ACTIVITY_SIGNALS",
    "SIGNALS",
    "SIGNAL_COLUMNS",
    "SignalConfig",
    "find_struggle_signals",
    "signals_from_events",
]


#: The struggle signals, in the order docs/journey.md defines them.
StruggleSignal = Literal[
    "error",
    "rage_click",
    "loop",
    "zero_result_search",
    "search_reformulation",
    "repeated_help_views",
    "help_exit",
    "unfinished_flow",
    "long_dwell",
]
#: Self-service activity, not struggle: found only when named in ``SignalConfig.signals``
#: (e.g. for the silent-customer estimator, which asks what a visitor looked for).
ActivitySignal = Literal["help_search", "chatbot"]
SignalName = StruggleSignal | ActivitySignal
#: The struggle signals found by default.
SIGNALS: tuple[SignalName, ...] = get_args(StruggleSignal)
ACTIVITY_SIGNALS: tuple[SignalName, ...] = get_args(ActivitySignal)
#: Columns of :func:`find_struggle_signals`, in order.
SIGNAL_COLUMNS = (
    "visitor_id",
    "customer_id",
    "session_key",
    "ts",
    "stage",
    "signal",
    "page_path",
    "intent",
    "page_no",
    "occurrences",
    "detail",
)


class SignalConfig(BaseModel):
    """Thresholds of the struggle signals (defaults documented in docs/journey.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gap_minutes: Annotated[int, Field(ge=1, description="session inactivity gap")] = 30
    use_session_id: Annotated[
        bool, Field(description="also split sessions where the source's session_id changes")
    ] = False
    loop_min_views: Annotated[
        int, Field(ge=2, description="views of one page that make a loop")
    ] = 3
    loop_window_seconds: Annotated[
        int, Field(ge=1, description="…all within this many seconds")
    ] = 300
    loop_consecutive: Annotated[
        bool,
        Field(description="a loop's views follow one another, no other page between (reloads)"),
    ] = True
    reformulation_seconds: Annotated[
        int, Field(ge=1, description="a different search within this many seconds")
    ] = 60
    help_views_min: Annotated[
        int, Field(ge=2, description="help-content views in a session that count as repeated")
    ] = 3
    dwell_quantile: Annotated[
        float, Field(gt=0.0, lt=1.0, description="percent rank of dwell within the page")
    ] = 0.95
    dwell_min_seconds: Annotated[
        int, Field(ge=0, description="shortest dwell that can count as long")
    ] = 60
    dwell_min_views: Annotated[
        int, Field(ge=2, description="timed views a page needs before dwell is judged")
    ] = 20
    signals: Annotated[
        tuple[SignalName, ...], Field(description="the struggle signals to find")
    ] = SIGNALS


# -- where a signal is ------------------------------------------------------------------------


def _session_ends(stream: ir.Table) -> ir.Table:
    """Per session: its last page's ``page_seq``, the page views before it, its last goal."""
    return stream.group_by(_key=stream.session_key).aggregate(
        _last_page=stream.page_seq.max(),
        _pages_before=(stream.page_seq - stream.is_page.cast("int64")).min(),
        _last_goal=stream.ts.max(where=stream.is_goal),
    )


def _in_context(rows: ir.Table, stream: ir.Table, ends: ir.Table | None) -> ir.Table:
    """Signal rows moved to their context page (the session's journey row ``journey_seq``),
    with ``page_no``, their position among the session's page views.

    Without ``ends`` (:func:`_session_ends` of every session), only the sessions of ``rows``
    are read: far less work when the rows are few (e.g. the self-service activity)."""
    if ends is None:
        keys = rows.select(_rk=rows.session_key).distinct()
        stream = stream.semi_join(keys, stream.session_key == keys._rk)
        ends = _session_ends(stream)
    j = stream.filter(stream.is_journey)
    j = j.select(_js=j.session_key, _jn=j.journey_seq, _jpage=j.page_path, _jstage=j.stage)
    out = rows.left_join(j, [rows.session_key == j._js, rows.journey_seq == j._jn])
    out = out.left_join(ends, out.session_key == ends._key)
    out = out.mutate(
        page_path=ibis.coalesce(out._jpage, out.page_path),
        stage=ibis.cases((out._jpage.notnull(), out._jstage), else_=out.stage),
        page_no=out.page_seq - ibis.coalesce(out._pages_before, 0),
    )
    return out.drop("_js", "_jn", "_jpage", "_jstage", "journey_seq", "page_seq", *ends.columns)


# -- the signals ------------------------------------------------------------------------------


#: The stream columns :func:`_rows` reads, but ``intent`` (which only some signals keep).
_ROW_COLUMNS = (
    "visitor_id",
    "customer_id",
    "session_key",
    "ts",
    "stage",
    "page_path",
    "journey_seq",
    "page_seq",
    "detail",
)


def _rows(t: ir.Table, signal: str, *, intent: bool = False) -> ir.Table:
    """The uniform signal columns of stream rows ``t``."""
    return t.select(
        visitor_id=t.visitor_id,
        customer_id=t.customer_id,
        session_key=t.session_key,
        ts=t.ts,
        stage=t.stage,
        signal=ibis.literal(signal, "string"),
        page_path=t.page_path,
        journey_seq=t.journey_seq,
        intent=t.intent if intent else ibis.null("string"),
        page_seq=t.page_seq,
        detail=t.detail,
    )


def _errors(s: ir.Table, journey: Journey) -> ir.Table:
    err = journey.errors
    hit = match_events(s.event_name, err.events) | (s.is_page & match_pages(s.page_path, err.pages))
    return _rows(s.filter(hit), "error")


def _rage_clicks(s: ir.Table, journey: Journey) -> ir.Table:
    return _rows(s.filter(match_events(s.event_name, journey.rage_click_events)), "rage_click")


def _loops(s: ir.Table, config: SignalConfig) -> ir.Table:
    pages = s.filter(s.is_page & s.help_kind.isnull() & s.page_path.notnull())
    pages = pages.select(*_ROW_COLUMNS)  # what the loop rows need, no more
    # only pages viewed often enough in a session can loop: sort those, not every view
    often = (
        pages.group_by(_ok=pages.session_key, _op=pages.page_path)
        .aggregate(_n=pages.count())
        .filter(lambda t: t._n >= config.loop_min_views)
    )
    pages = pages.semi_join(often, [pages.session_key == often._ok, pages.page_path == often._op])
    # a visitor's page views are numbered in (ts, event_id) order: the number orders them
    w = ibis.window(group_by=[pages.session_key, pages.page_path], order_by=pages.page_seq)
    earlier = pages.ts.lag(config.loop_min_views - 1).over(w)
    within = pages.ts <= earlier + ibis.interval(seconds=config.loop_window_seconds)
    if config.loop_consecutive:
        # no other page view in between: the session's page numbers are consecutive
        gap = pages.page_seq - pages.page_seq.lag(config.loop_min_views - 1).over(w)
        within = within & (gap == config.loop_min_views - 1)
    flagged = pages.mutate(_loop=earlier.notnull() & within)
    return _rows(flagged.filter(flagged._loop), "loop")


def _zero_results(s: ir.Table) -> ir.Table:
    hit = (s.help_kind == "search") & (s.results_count == 0)
    return _rows(s.filter(hit), "zero_result_search", intent=True)


def _reformulations(s: ir.Table, config: SignalConfig) -> ir.Table:
    q = s.filter((s.help_kind == "search") & s.query.notnull())
    w = ibis.window(group_by=q.session_key, order_by=[q.ts, q.event_id])
    prev_ts, prev_query = q.ts.lag().over(w), q.query.lag().over(w)
    hit = (
        prev_ts.notnull()
        & (q.ts <= prev_ts + ibis.interval(seconds=config.reformulation_seconds))
        & (q.query.strip().lower() != prev_query.strip().lower())
    )
    flagged = q.mutate(_hit=hit)
    return _rows(flagged.filter(flagged._hit), "search_reformulation", intent=True)


def _repeated_help(s: ir.Table, config: SignalConfig) -> ir.Table:
    views = s.filter(s.is_page & (s.help_kind == "content"))
    w = ibis.window(group_by=views.session_key, order_by=[views.ts, views.event_id])
    numbered = views.mutate(_n=ibis.row_number().over(w) + 1)
    hit = numbered.filter(numbered._n == config.help_views_min)
    return _rows(hit, "repeated_help_views", intent=True)


def _help_exits(s: ir.Table, ends: ir.Table) -> ir.Table:
    helped = s.filter(s.is_page & s.help_kind.isin(["content", "search"]))
    j = helped.join(ends, helped.session_key == ends._key)
    hit = (j.page_seq == j._last_page) & (j._last_goal.isnull() | (j._last_goal < j.ts))
    return _rows(j.filter(hit), "help_exit", intent=True)


#: The columns :func:`_unfinished_flows` reads.
_FLOW_COLUMNS = (
    "visitor_id",
    "customer_id",
    "session_key",
    "ts",
    "event_name",
    "page_path",
    "stage",
    "is_page",
    "page_seq",
)


def _flow_rows(s: ir.Table, flows: list[Stage]) -> ir.Table:
    """The rows any flow reads (its starts, goals and pages), kept once: each flow then scans
    these few instead of the whole stream three times."""
    wanted: list[ir.BooleanValue] = []
    for stage in flows:
        wanted += [_flow_start(s, stage), match_events(s.event_name, stage.goal_events)]
        wanted.append(s.is_page & _in_flow(s, stage))
    rows = s.filter(functools.reduce(operator.or_, wanted))
    return rows.select(*_FLOW_COLUMNS).cache()


def _flow_start(s: ir.Table, stage: Stage) -> ir.BooleanValue:
    return match_events(s.event_name, stage.start_events) | (
        s.is_page & match_pages(s.page_path, stage.start_pages)
    )


def _in_flow(s: ir.Table, stage: Stage) -> ir.BooleanValue:
    """A page of the flow: its drop-off pages (see Stage.drop_off_pages), else its stage's."""
    if stage.drop_off_pages:
        return match_pages(s.page_path, stage.drop_off_pages)
    return s.stage == stage.name


def _unfinished_flows(s: ir.Table, journey: Journey) -> list[ir.Table]:
    out: list[ir.Table] = []
    flows = [stage for stage in journey.stages if stage.is_flow]
    if not flows:
        return out
    s = _flow_rows(s, flows)
    for stage in flows:
        starts = s.filter(_flow_start(s, stage))
        first = starts.group_by(_key=starts.session_key).aggregate(
            visitor_id=starts.visitor_id.min(),
            customer_id=starts.customer_id.min(),
            ts=starts.ts.min(),
            _start_page=starts.page_path.min(),
            _start_seq=starts.page_seq.min(),
        )
        goals = s.filter(match_events(s.event_name, stage.goal_events))
        last_goal = goals.group_by(_gkey=goals.session_key).aggregate(_goal=goals.ts.max())
        # the drop-off page: the last flow page viewed
        pages = s.filter(s.is_page & _in_flow(s, stage))
        drop = pages.group_by(_pkey=pages.session_key).aggregate(
            _drop_page=pages.page_path.argmax(pages.page_seq), _drop_seq=pages.page_seq.max()
        )
        j = first.left_join(last_goal, first._key == last_goal._gkey).left_join(
            drop, first._key == drop._pkey
        )
        j = j.filter(j._goal.isnull() | (j._goal < j.ts))
        out.append(
            j.select(
                visitor_id=j.visitor_id,
                customer_id=j.customer_id,
                session_key=j._key,
                ts=j.ts,
                stage=ibis.literal(stage.name, "string"),
                signal=ibis.literal("unfinished_flow", "string"),
                page_path=ibis.coalesce(j._drop_page, j._start_page),
                journey_seq=ibis.null("int64"),  # the flow's own page: no context
                intent=ibis.null("string"),
                page_seq=ibis.coalesce(j._drop_seq, j._start_seq),
                detail=ibis.null("string"),
            )
        )
    return out


def _epoch_seconds(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Whole seconds since the epoch, floored the same way on every backend."""
    return ts.epoch_seconds().cast("float64").floor().cast("int64")


def _long_dwells(s: ir.Table, config: SignalConfig) -> ir.Table:
    pages = s.filter(s.is_page)
    # the next page view of the session is the one numbered page_seq + 1: a join, not a sort
    following = pages.select(_ns=pages.session_key, _nseq=pages.page_seq - 1, _next=pages.ts)
    timed = pages.filter(pages.page_path.notnull())
    timed = timed.join(
        following, [timed.session_key == following._ns, timed.page_seq == following._nseq]
    )
    timed = timed.mutate(_dwell=_epoch_seconds(timed._next) - _epoch_seconds(timed.ts))
    # percent_rank = (views of the page with a shorter dwell) / (views - 1): ranked over the
    # distinct (page, dwell) values, not over every view
    values = timed.group_by(_vp=timed.page_path, _vd=timed._dwell).aggregate(_c=timed.count())
    shorter = values._c.sum().over(
        ibis.window(group_by=values._vp, order_by=values._vd, rows=(None, -1))
    )
    views = values._c.sum().over(ibis.window(group_by=values._vp))
    ranked = values.mutate(
        _rank=ibis.cases(
            (views > 1, shorter.fill_null(0).cast("float64") / (views - 1).cast("float64")),
            else_=0.0,
        ),
        _views=views,
    )
    long = ranked.filter(
        (ranked._views >= config.dwell_min_views)
        & (ranked._rank > config.dwell_quantile)
        & (ranked._vd >= config.dwell_min_seconds)
    )
    hit = timed.semi_join(long, [timed.page_path == long._vp, timed._dwell == long._vd])
    return _rows(hit, "long_dwell")


def signals_from_events(
    stream: ir.Table, journey: Journey, config: SignalConfig | None = None
) -> ir.Table:
    """Struggle signals of an annotated event stream.

    Parameters
    ----------
    stream
        :func:`~kizuki.analytics.journey_stream.journey_events` of the events, stored or not
        (an unstored one is cached once: :func:`~kizuki.analytics.journey_stream.materialized`).
    journey
        The journey map the stream was annotated with.
    config
        Thresholds; :class:`SignalConfig` defaults when None (its ``gap_minutes`` and
        ``use_session_id`` are the stream's business, not read here).

    Returns
    -------
    One row per (session, signal, stage, page, intent): the columns :data:`SIGNAL_COLUMNS`;
    ``ts`` and ``page_no`` are of the first occurrence in the session, ``occurrences`` counts
    them.

    Examples
    --------
    >>> from kizuki.analytics.journey_stream import journey_events
    >>> from kizuki.journey import load_journey
    >>> from kizuki.store import open_store
    >>> store, journey = open_store("duckdb://"), load_journey(name="demo")
    >>> stream = journey_events(store.table("events"), store.table("searches"), journey)
    >>> signals_from_events(stream, journey).columns[:3]
    ('visitor_id', 'customer_id', 'session_key')
    """
    config = config or SignalConfig()
    stream = materialized(stream)
    parts: list[ir.Table] = []
    wanted = set(config.signals)
    # every session's end is needed for help exits; otherwise only the signals' sessions'
    ends = _session_ends(stream) if "help_exit" in wanted else None
    if "error" in wanted:
        parts.append(_errors(stream, journey))
    if "rage_click" in wanted:
        parts.append(_rage_clicks(stream, journey))
    if "loop" in wanted:
        parts.append(_loops(stream, config))
    if "zero_result_search" in wanted:
        parts.append(_zero_results(stream))
    if "search_reformulation" in wanted:
        parts.append(_reformulations(stream, config))
    if "repeated_help_views" in wanted:
        parts.append(_repeated_help(stream, config))
    if ends is not None:  # help exits wanted
        parts.append(_help_exits(stream, ends))
    if "unfinished_flow" in wanted:
        parts.extend(_unfinished_flows(stream, journey))
    if "help_search" in wanted:
        parts.append(_rows(stream.filter(stream.help_kind == "search"), "help_search", intent=True))
    if "chatbot" in wanted:
        parts.append(_rows(stream.filter(stream.help_kind == "chatbot"), "chatbot"))
    if "long_dwell" in wanted:
        parts.append(_long_dwells(stream, config))
    if not parts:
        parts.append(_rows(stream.filter(ibis.literal(False)), "none"))
    rows = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    # kept, so that the engine knows how few they are and joins the stream onto them rather
    # than them onto the stream (a hash table of every journey row)
    every = _in_context(rows.cache(), stream, ends)
    keys = ["visitor_id", "customer_id", "session_key", "stage", "signal", "page_path", "intent"]
    out = every.group_by(keys).aggregate(
        ts=every.ts.min(),
        page_no=every.page_no.min(),
        occurrences=every.count(),
        detail=every.detail.min(),
    )
    return out.select(*SIGNAL_COLUMNS)


def find_struggle_signals(
    events: ir.Table,
    searches: ir.Table | None,
    journey: Journey,
    config: SignalConfig | None = None,
    *,
    content: ir.Table | None = None,
) -> ir.Table:
    """Struggle signals per session, found inside the engine.

    Parameters
    ----------
    events, searches
        The canonical ``events`` and ``searches`` tables (``searches`` may be None).
    journey
        The journey map (:func:`kizuki.journey.load_journey`).
    config
        Thresholds; :class:`SignalConfig` defaults when None.
    content
        The canonical ``content`` table, to give help views and clicked searches an intent.

    Returns
    -------
    One row per (session, signal occurrence place): ``visitor_id, customer_id (NULL for
    anonymous visitors), session_key, ts (first occurrence), stage, signal, page_path,
    intent (NULL unless help content or a search tells it), page_no, occurrences, detail``
    (the error message or search query; the alphabetically first when there are several).

    Examples
    --------
    >>> from kizuki.journey import load_journey
    >>> from kizuki.store import open_store
    >>> store = open_store("duckdb://")
    >>> sig = find_struggle_signals(store.table("events"), store.table("searches"),
    ...                             load_journey(name="demo"))
    >>> sig.columns[:4]
    ('visitor_id', 'customer_id', 'session_key', 'ts')
    """
    config = config or SignalConfig()
    stream = journey_events(
        events,
        searches,
        journey,
        content=content,
        gap_minutes=config.gap_minutes,
        use_session_id=config.use_session_id,
    )
    return signals_from_events(stream, journey, config)
