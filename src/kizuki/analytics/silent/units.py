"""The units the silent-customer estimator counts: sessions, the page they ended on, their signals.

Everything here is an Ibis expression that runs inside the store's engine (DuckDB, Spark); only
the small per-customer pattern table (:func:`unit_patterns`) and the contacts that follow a
unit (:func:`unit_contacts`) come back to Python.

A *unit* is a session with at least one page view of a non-help page; its page is the last such
page (the page the visitor was on when they left or turned to help). The unit's indicators are
the signals of the session *at that page* (help signals count for the session's page whatever
page they were recorded on), each reduced to one category:

- ``error_kind``: the error's detail (its message, when the signals table has a ``detail``
  column), else ``"error"``; ``""`` when there was none;
- ``loop``: whether the page looped;
- ``help_kind``: the intent of the help the visitor looked for, else the help signal's name;
  ``""`` when there was none.

Sessions on a page during a recorded incident that names the page are left out: their errors
belong to the incident, not to the page's standing problem.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import ibis
import ibis.expr.types as ir

from kizuki.analytics.sessions import sessionize

__all__ = [
    "ERROR_SIGNALS",
    "HELP_SIGNALS",
    "LOOP_SIGNALS",
    "UNIT_INDICATORS",
    "incident_windows",
    "session_units",
    "unit_contacts",
    "unit_patterns",
]

#: a unit's indicator columns, in the order the estimator reads them
UNIT_INDICATORS: tuple[str, ...] = ("error_kind", "loop", "help_kind")
ERROR_SIGNALS: tuple[str, ...] = ("error", "rage_click")
LOOP_SIGNALS: tuple[str, ...] = ("loop",)
HELP_SIGNALS: tuple[str, ...] = (
    "zero_result_search",
    "search_reformulation",
    "repeated_help_views",
    "help_exit",
    "help_search",
    "chatbot",
)


def incident_windows(incidents: ir.Table) -> list[tuple[str, datetime, datetime | None]]:
    """``(page prefix, started_at, ended_at)`` of every page an incident names (small table)."""
    rows = incidents.select("started_at", "ended_at", "affected").to_pyarrow().to_pylist()
    out: list[tuple[str, datetime, datetime | None]] = []
    for row in rows:
        try:
            affected = json.loads(row["affected"] or "{}")
        except json.JSONDecodeError:
            continue
        pages = affected.get("pages", []) if isinstance(affected, dict) else []
        for page in pages:
            if isinstance(page, str) and page:
                out.append((page, row["started_at"], row["ended_at"]))
    return out


def session_units(
    events: ir.Table,
    signals: ir.Table,
    *,
    incidents: Sequence[tuple[str, datetime, datetime | None]] = (),
    help_prefixes: Sequence[str] = ("/help",),
    page_events: Sequence[str] = ("page_view",),
    gap_minutes: int = 30,
    use_session_id: bool = False,
    incident_margin_minutes: int = 60,
    loop_anchors: bool = False,
) -> ir.Table:
    """One row per unit: ``session_key, customer_id, person_id, started_at, page_path,
    error_kind, loop, help_kind``.

    A unit is a session with a non-help page view. Its page is where its first error signal
    happened, else its last non-help page (where the visitor was when they left or turned to
    help): a session hit by a problem that went on to other pages still counts for the page
    that failed it.

    ``signals`` needs ``session_key, signal, page_path, intent`` (and may have ``detail``);
    its session keys must come from :func:`kizuki.analytics.sessions.sessionize` with the same
    ``gap_minutes`` and ``use_session_id``. ``events`` that already carry ``session_key`` (the
    stored stream of :func:`kizuki.analytics.journey_stream.journey_events`, which the signals
    came from) are used as they are, so the events are not sessionised a second time.
    """
    if "session_key" in events.columns:
        s = events
    else:
        s = sessionize(events, gap_minutes, use_session_id=use_session_id)
    is_help = ibis.literal(False)
    for prefix in help_prefixes:
        is_help = is_help | s.page_path.startswith(prefix)
    on_page = s.event_name.isin(list(page_events)) & s.page_path.notnull() & ~is_help
    # one pass over the sessions: what a unit needs, and its last non-help page
    sess = s.group_by(_key=s.session_key).aggregate(
        customer_id=s.customer_id.max(),
        person_id=s.visitor_id.max(),
        started_at=s.ts.min(),
        _exit=s.page_path.argmax(s.ts, where=on_page),
        _paged=on_page.any(),
    )
    sess = sess.filter(sess._paged)
    # a session with an error belongs to the page of its first error (the first page in text
    # order among errors at the same instant), wherever it went afterwards; else, with
    # ``loop_anchors``, to the page of its first reload loop
    first_err = _first_signal_page(signals, ERROR_SIGNALS, "_e")
    j = sess.left_join(first_err, sess._key == first_err._ek)
    anchors = [j._e_page]
    if loop_anchors:
        first_loop = _first_signal_page(signals, LOOP_SIGNALS, "_l")
        j = j.left_join(first_loop, j._key == first_loop._lk)
        anchors.append(j._l_page)
    units = j.select(
        session_key=j._key,
        customer_id=j.customer_id,
        person_id=j.person_id,
        started_at=j.started_at,
        page_path=ibis.coalesce(*anchors, j._exit),
    )
    units = units.view()  # a table of its own: the joins below do not extend this one
    for page, start, end in incidents:
        lo = ibis.literal(start) - ibis.interval(minutes=incident_margin_minutes)
        during = units.page_path.startswith(page) & (units.started_at >= lo)
        if end is not None:
            during = during & (units.started_at <= ibis.literal(end))
        units = units.filter(~during)

    detail = signals.detail if "detail" in signals.columns else ibis.null("string")
    sig = signals.select(
        _key=signals.session_key,
        _page=signals.page_path,
        _signal=signals.signal,
        _intent=signals.intent,
        _detail=detail,
    )
    # error and loop per (session, page), help per session; joined to the units, which are
    # then read once (a second reference would make the engine compute them twice)
    is_error = sig._signal.isin(list(ERROR_SIGNALS))
    is_help_sig = sig._signal.isin(list(HELP_SIGNALS))
    at_page = sig.group_by(_pk=sig._key, _pp=sig._page).aggregate(
        _err_detail=sig._detail.max(where=is_error),
        _err_any=is_error.any(),
        _loop=sig._signal.isin(list(LOOP_SIGNALS)).any(),
    )
    helped = sig.filter(is_help_sig)
    helped = helped.group_by(_hk=helped._key).aggregate(
        _help_intent=helped._intent.max(), _help_signal=helped._signal.max()
    )
    j = units.left_join(
        at_page, (units.session_key == at_page._pk) & (units.page_path == at_page._pp)
    )
    out = j.left_join(helped, j.session_key == helped._hk)
    return out.select(
        session_key=out.session_key,
        customer_id=out.customer_id,
        person_id=out.person_id,
        started_at=out.started_at,
        page_path=out.page_path,
        error_kind=ibis.cases(
            (out._err_any.fill_null(False), ibis.coalesce(out._err_detail, ibis.literal("error"))),
            else_=ibis.literal(""),
        ),
        loop=out._loop.fill_null(False),
        help_kind=ibis.coalesce(out._help_intent, out._help_signal, ibis.literal("")),
    )


def _first_signal_page(signals: ir.Table, names: Sequence[str], p: str) -> ir.Table:
    """``{p}k, {p}_page``: per session, the page of its first signal named ``names`` (the
    first page in text order among such signals at the same instant)."""
    sig = signals.filter(signals.signal.isin(list(names)) & signals.page_path.notnull())
    sig = sig.select(_k=sig.session_key, _ts=sig.ts, _page=sig.page_path)
    first_ts = sig.group_by("_k").aggregate(_first=sig._ts.min())
    firsts = sig.join(first_ts, (sig._k == first_ts._k) & (sig._ts == first_ts._first))
    return (
        firsts.group_by(firsts._k)
        .aggregate(_pg=firsts._page.min())
        .rename({f"{p}k": "_k", f"{p}_page": "_pg"})
    )


def unit_patterns(units: ir.Table) -> ir.Table:
    """Units per ``(person_id, customer_id, page_path, error_kind, loop, help_kind)``: column
    ``units``. ``person_id`` is the resolved visitor (a customer, else an anonymous browser);
    ``customer_id`` is NULL for visitors no identity links to a customer."""
    return units.group_by(["person_id", "customer_id", "page_path", *UNIT_INDICATORS]).aggregate(
        units=units.count()
    )


def unit_contacts(units: ir.Table, contacts: ir.Table, *, window_days: int = 14) -> ir.Table:
    """``(customer_id, page_path, intent, error_kind, loop, help_kind)``: a labelled human
    contact within ``window_days`` after one of the customer's units on the page, with that
    unit's indicators (chatbot conversations are self-service). The indicators let the
    estimator count a contact only after the customer's likeliest hit unit, as the truth counts
    contacts after the hit, not after any visit."""
    c = contacts.filter(
        contacts.intent.notnull() & contacts.customer_id.notnull() & (contacts.channel != "chatbot")
    ).select(_cid=contacts.customer_id, _opened=contacts.opened_at, intent=contacts.intent)
    u = units.filter(units.customer_id.notnull()).select(
        "customer_id", "page_path", "started_at", *UNIT_INDICATORS
    )
    j = u.inner_join(c, u.customer_id == c._cid)
    j = j.filter(
        (j._opened >= j.started_at) & (j._opened <= j.started_at + ibis.interval(days=window_days))
    )
    return j.select("customer_id", "page_path", "intent", *UNIT_INDICATORS).distinct()
