"""Struggle signals per session: errors, loops, failed help searches, abandoned flows, ….

Everything here is an Ibis expression that runs inside the store's engine (DuckDB, Spark);
no events come back to Python. :func:`journey_events` annotates the event stream once
(sessions, stages, help activity, the page a help visit was about); :func:`signals_from_events`
finds the signals in it; :func:`find_struggle_signals` does both. Every signal and threshold is
defined in docs/journey.md.

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
import ibis.expr.operations as ops
import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, Field

from kizuki.analytics.sessions import sessionize
from kizuki.journey import (
    HELP_STAGE,
    OTHER_STAGE,
    Journey,
    Stage,
    match_events,
    match_pages,
    stage_of,
)

__all__ = [
    "ACTIVITY_SIGNALS",
    "SIGNALS",
    "SIGNAL_COLUMNS",
    "SignalConfig",
    "find_struggle_signals",
    "journey_events",
    "materialized",
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
_ERROR_MESSAGE = r'"error_message"\s*:\s*"((?:[^"\\]|\\.)*)"'
#: Event name given to searches that exist only in the ``searches`` table.
SEARCH_ONLY_EVENT = "search"


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
    signals: tuple[SignalName, ...] = SIGNALS


# -- the annotated event stream ---------------------------------------------------------------


def _content_intents(content: ir.Table) -> ir.Table:
    """``(path, content_id, intent)`` of help content: the URL's path and the first intent."""
    path = (
        content.url.re_replace(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*", "")
        .re_replace(r"[?#].*$", "")
        .nullif("")
    )
    intent = content.intents.re_extract(r'"([^"]+)"', 1).nullif("")
    return content.select(content_id=content.content_id, path=path, intent=intent)


def _keyword_intent(journey: Journey, query: ir.StringValue) -> ir.StringValue:
    if not journey.intents:
        return ibis.null("string")
    low = query.lower()
    branches = [
        (low.contains(word.lower()), name)
        for name, words in journey.intents.items()
        for word in words
    ]
    return ibis.cases(*branches, else_=None)


def _lean_stream(events: ir.Table, searches: ir.Table | None, journey: Journey) -> ir.Table:
    """The columns the session windows must carry: events plus searches that have no event of
    their own (``search_only``). Everything else a row needs is joined on after the windows
    (:func:`_row_details`): every column a window carries is sorted with it."""
    ev = events.select(
        "event_id",
        "ts",
        "customer_id",
        "anonymous_id",
        "session_id",
        "event_name",
        "page_path",
        search_only=ibis.literal(False),
    )
    if searches is None:
        return ev
    alone = searches.anti_join(events, searches.search_id == events.event_id)
    extra = alone.select(
        event_id=alone.search_id,
        ts=alone.ts,
        customer_id=alone.customer_id,
        anonymous_id=alone.anonymous_id,
        session_id=alone.session_id,
        event_name=ibis.literal(_search_only_name(journey), "string"),
        page_path=ibis.null("string"),
        search_only=ibis.literal(True),
    )
    return ev.union(extra)


def _row_details(
    events: ir.Table, searches: ir.Table | None, journey: Journey, content: ir.Table | None
) -> ir.Table:
    """Per ``_id`` (an event id, or a search id of a search without its own event): an error's
    ``detail`` and a search's ``query``, ``results_count``, ``search_intent`` and ``searched``.
    Few rows (errors and searches), so joining them onto the stream costs little."""
    is_error = match_events(events.event_name, journey.errors.events)
    errors = events.filter(is_error).select(
        _eid=events.event_id,
        detail=events.properties.re_extract(_ERROR_MESSAGE, 1).nullif(""),
    )
    if searches is None:
        return errors.select(
            _id=errors._eid,
            detail=errors.detail,
            query=ibis.null("string"),
            results_count=ibis.null("int64"),
            search_intent=ibis.null("string"),
            searched=ibis.literal(False),
        )
    s = searches
    clicked = ibis.null("string")
    if content is not None:
        ci = _content_intents(content).select(_cid="content_id", _cintent="intent")
        s = s.left_join(ci, s.clicked_content_id == ci._cid)
        clicked = s._cintent
    s = s.select(
        _sid=s.search_id,
        query=s.query,
        results_count=s.results_count.cast("int64"),
        search_intent=ibis.coalesce(clicked, _keyword_intent(journey, s.query)),
    )
    both = errors.outer_join(s, errors._eid == s._sid)
    return both.select(
        _id=ibis.coalesce(both._eid, both._sid),
        detail=both.detail,
        query=both.query,
        results_count=both.results_count,
        search_intent=both.search_intent,
        searched=both._sid.notnull(),
    )


def _search_only_name(journey: Journey) -> str:
    """The event name of searches that have no event of their own."""
    return journey.help.search_events[0] if journey.help.search_events else SEARCH_ONLY_EVENT


def _distinct_pairs(events: ir.Table, searches: ir.Table | None, journey: Journey) -> ir.Table:
    """Every ``(page_path, event_name)`` of the stream (as ``_pp``, ``_pe``), read from the
    two columns of ``events`` (and the one pair of searches without an event) rather than from
    the joined stream, which the engine would otherwise compute once more."""
    pairs = events.select(_pp=events.page_path, _pe=events.event_name)
    if searches is not None:
        alone = searches.select(
            _pp=ibis.null("string"), _pe=ibis.literal(_search_only_name(journey), "string")
        )
        pairs = pairs.union(alone)
    return pairs.distinct()


def journey_events(
    events: ir.Table,
    searches: ir.Table | None,
    journey: Journey,
    *,
    content: ir.Table | None = None,
    gap_minutes: int = 30,
    use_session_id: bool = False,
) -> ir.Table:
    """The event stream in sessions, with stages, help activity and context pages.

    Parameters
    ----------
    events, searches, content
        Canonical tables (``searches`` and ``content`` may be None). A search whose
        ``search_id`` is an ``event_id`` (GA4) adds its query and result count to that event;
        other searches become events of their own (named the journey's first search event).
    journey
        The journey map.
    gap_minutes, use_session_id
        Passed to :func:`~kizuki.analytics.sessions.sessionize`.

    Returns
    -------
    One row per event (and per search without an event) with ``event_id, ts, customer_id,
    visitor_id, session_key, event_name, page_path, query, results_count`` and

    - ``stage``: :func:`kizuki.journey.stage_of` of the event;
    - ``is_page``: the event is a page view (its name is one of ``page_view_events``);
    - ``is_journey``: the event has a page path of a journey stage (not help, not other);
    - ``help_kind``: ``search``, ``content``, ``chatbot``, ``contact`` or NULL;
    - ``intent``: of help content (the content's first intent, matched by URL path) or of a
      search (its clicked article's intent, else the journey's intent keywords), else NULL;
    - ``is_goal``: the event is a goal event of some stage;
    - ``page_seq``, ``journey_seq``: the visitor's page views and journey rows so far, this
      one included (consecutive within a session; a signal's context page is the session's
      journey row numbered ``journey_seq``);
    - ``detail``: a search's query, else the ``error_message`` of the event's properties;
    - ``search_only``: the row is a search with no event of its own.
    """
    stream = _lean_stream(events, searches, journey)
    if not use_session_id:
        stream = stream.drop("session_id")  # not needed: one column less to sort
    # Everything a page path and an event name decide is computed once per distinct pair and
    # joined on: far cheaper than pattern matching every event.
    pairs = _page_attributes(_distinct_pairs(events, searches, journey), journey, content)
    # the pair travels through the windows as a number, the customer id as a flag (it is the
    # visitor id when there is one): every column a window carries is sorted with it
    pairs = pairs.mutate(_pid=ibis.row_number().over(order_by=[pairs._pp, pairs._pe]))
    flags = pairs.select("_pp", "_pe", "_pid", "is_page", "is_journey")
    stream = stream.left_join(
        flags, [stream.page_path.identical_to(flags._pp), stream.event_name.identical_to(flags._pe)]
    ).drop("_pp", "_pe", "page_path", "event_name")
    stream = stream.mutate(
        visitor_id=ibis.coalesce(stream.customer_id, stream.anonymous_id),
        _known=stream.customer_id.notnull(),
    ).drop("anonymous_id", "customer_id")
    # page and journey-row ordinals come out of the sessions' own window pass: a second
    # window over the whole stream would sort it again
    stream = sessionize(
        stream,
        gap_minutes,
        use_session_id=use_session_id,
        running_counts=("is_page", "is_journey"),
    )
    stream = stream.rename(page_seq="is_page_seq", journey_seq="is_journey_seq")
    if use_session_id:
        stream = stream.drop("session_id")
    details = _row_details(events, searches, journey, content)
    stream = stream.left_join(details, stream.event_id == details._id).drop("_id")
    stream = stream.mutate(searched=stream.searched.fill_null(False))
    labels = pairs.select(
        "stage",
        "_help_kind",
        "is_goal",
        "_content_intent",
        _lpid="_pid",
        page_path="_pp",
        event_name="_pe",
    )
    stream = stream.left_join(labels, stream._pid == labels._lpid).drop("_pid", "_lpid")
    stream = stream.mutate(
        customer_id=ibis.cases((stream._known, stream.visitor_id), else_=ibis.null("string"))
    )
    help_kind = ibis.cases((stream.searched, "search"), else_=stream._help_kind)
    return stream.select(
        "event_id",
        "ts",
        "customer_id",
        "visitor_id",
        "session_key",
        "event_name",
        "page_path",
        "query",
        "results_count",
        "stage",
        "is_page",
        "is_journey",
        help_kind=help_kind,
        intent=ibis.cases(
            (help_kind == "content", stream._content_intent),
            (help_kind == "search", stream.search_intent),
            else_=None,
        ),
        is_goal=stream.is_goal,
        page_seq=stream.page_seq,
        journey_seq=stream.journey_seq,
        detail=ibis.cases((help_kind == "search", stream.query), else_=stream.detail),
        search_only=stream.search_only,
    )


def _page_attributes(pairs: ir.Table, journey: Journey, content: ir.Table | None) -> ir.Table:
    """Per distinct ``(page_path, event_name)`` (as ``_pp``, ``_pe``): ``stage``, ``is_page``,
    ``is_journey``, ``_help_kind`` (of the pair; a search row is ``search`` whatever its pair),
    ``is_goal`` and ``_content_intent`` (of help content at that path)."""
    path, name = pairs._pp, pairs._pe
    h = journey.help
    stage = stage_of(journey, path, name)
    help_kind = ibis.cases(
        (match_events(name, h.search_events) | match_pages(path, h.search_pages), "search"),
        (match_pages(path, h.content_pages), "content"),
        (match_events(name, h.chatbot_events) | match_pages(path, h.chatbot_pages), "chatbot"),
        (
            match_events(name, journey.contact.events) | match_pages(path, journey.contact.pages),
            "contact",
        ),
        else_=None,
    )
    pairs = pairs.mutate(
        stage=stage,
        is_page=match_events(name, journey.page_view_events),
        is_journey=stage.notin([HELP_STAGE, OTHER_STAGE]) & path.notnull(),
        _help_kind=help_kind,
        is_goal=match_events(name, journey.goal_events),
    )
    if content is None:
        return pairs.mutate(_content_intent=ibis.null("string"))
    ci = _content_intents(content)
    by_path = ci.group_by(_cpath=ci.path).aggregate(_content_intent=ci.intent.min())
    return pairs.left_join(by_path, pairs._pp == by_path._cpath).drop("_cpath")


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


def materialized(table: ir.Table) -> ir.Table:
    """``table`` itself when it is stored, else cached in the backend (computed once, now).

    The stream is read by many parts of a query; engines recompute an unstored expression for
    every reference (DuckDB took 58 s instead of 6 s for a million events).
    """
    if isinstance(table.op(), ops.PhysicalTable):
        return table
    return table.cache()


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
    """Struggle signals of an annotated stream from :func:`journey_events`.

    Returns
    -------
    One row per (session, signal, stage, page, intent): the columns :data:`SIGNAL_COLUMNS`;
    ``ts`` and ``page_no`` are of the first occurrence in the session, ``occurrences`` counts
    them.
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
