"""The journey event stream: events in sessions, annotated once for every analysis that reads them.

:func:`journey_events` turns the canonical ``events`` (and ``searches`` that have no event of
their own) into one sessionised stream with each row's stage, whether it is a page view or a
journey page, its help activity (search, content, chatbot, contact) and that help's intent, and
the visitor's running page and journey-row numbers, from which a signal finds its context page
(:mod:`kizuki.analytics.signals`). The struggle signals, the friction points, the silent-customer
units and the example sessions all read this one stream. Everything is an Ibis expression that
runs inside the store's engine (DuckDB, Spark); no events come back to Python. Definitions:
docs/journey.md.
"""

from __future__ import annotations

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

from kizuki.analytics.identity import IdentityConfig, resolve_events
from kizuki.analytics.sessions import sessionize
from kizuki.journey import (
    HELP_STAGE,
    OTHER_STAGE,
    Journey,
    match_events,
    match_pages,
    stage_of,
)

__all__ = ["journey_events", "materialized"]

_ERROR_MESSAGE = r'"error_message"\s*:\s*"((?:[^"\\]|\\.)*)"'
#: Event name given to searches that exist only in the ``searches`` table.
SEARCH_ONLY_EVENT = "search"


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
    links: ir.Table | None = None,
    identity: IdentityConfig | None = None,
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
    links, identity
        Browser links (:func:`kizuki.analytics.identity.browser_links`) and their rules: an
        anonymous event of a linked browser is its customer's (sessions are built per resolved
        person, so a login in mid-session does not split it). None: ids as they are.

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

    Examples
    --------
    >>> from kizuki.journey import load_journey
    >>> from kizuki.store import open_store
    >>> store = open_store("duckdb://")
    >>> stream = journey_events(store.table("events"), store.table("searches"),
    ...                         load_journey(name="demo"))
    >>> stream.columns[:5]
    ('event_id', 'ts', 'customer_id', 'visitor_id', 'session_key')
    """
    stream = _lean_stream(events, searches, journey)
    if links is not None:
        stream = resolve_events(stream, links, identity)
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


def materialized(table: ir.Table) -> ir.Table:
    """``table`` itself when it is stored, else cached in the backend (computed once, now).

    The stream is read by many parts of a query, and engines recompute an unstored expression
    for every reference (measured in docs/benchmarks.md, "Computing the stream once").

    Examples
    --------
    >>> from kizuki.store import open_store
    >>> events = open_store("duckdb://").table("events")
    >>> materialized(events) is events  # stored: read as it is
    True
    """
    if isinstance(table.op(), ops.PhysicalTable):
        return table
    return table.cache()
