"""Friction points: where in the journey customers struggle, how many, and what they did next.

A *friction point* is a (stage, signal, page, intent) of :func:`~kizuki.analytics.signals.
find_struggle_signals` (``intent`` may be NULL). Its ``point_id`` is
``stage|signal|page_path|intent`` (NULLs as empty text), the key of all three tables here:

- :func:`find_friction_points`: sessions and customers affected, first/last seen, the page's
  rate of the signal against the background rate elsewhere, and the share of affected
  customers who then contacted support, self-served, or churned;
- :func:`friction_weekly`: sessions and customers per ISO week (weeks start on Monday, in the
  store's time zone);
- :func:`friction_paths`: the top paths of pages before and after the signal.

All are Ibis expressions that run inside the engine. Definitions: docs/journey.md.
"""

from __future__ import annotations

from typing import Annotated

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, Field

from kizuki.analytics.journey_stream import materialized
from kizuki.analytics.local_time import UTC_ZONE, local_week_start

__all__ = [
    "FRICTION_COLUMNS",
    "FrictionConfig",
    "find_friction_points",
    "friction_paths",
    "friction_weekly",
    "point_id",
]

POINT_KEYS = ("stage", "signal", "page_path", "intent")
#: Columns of :func:`find_friction_points`, in order.
FRICTION_COLUMNS = (
    "point_id",
    "stage",
    "signal",
    "page_path",
    "intent",
    "likely_intent",
    "sessions",
    "visitors",
    "customers",
    "occurrences",
    "first_seen",
    "last_seen",
    "page_sessions",
    "page_rate",
    "background_rate",
    "lift",
    "excess_sessions",
    "contacted_customers",
    "contacted_share",
    "contacted_intent_customers",
    "contacted_intent_share",
    "selfserved_customers",
    "selfserved_share",
    "churned_customers",
    "churned_share",
)
START_MARK = "(start)"
EXIT_MARK = "(exit)"
SELF_SERVICE_KINDS = ("content", "search", "chatbot")


class FrictionConfig(BaseModel):
    """Windows and sizes of the friction-point figures (docs/journey.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact_window_days: Annotated[
        int, Field(ge=1, description="a contact this many days after the signal counts")
    ] = 14
    selfserve_window_days: Annotated[
        int, Field(ge=1, description="self-served: no contact within this many days")
    ] = 7
    selfservice_channels: Annotated[
        tuple[str, ...], Field(description="contact channels that are self-service, not support")
    ] = ("chatbot",)
    path_pages: Annotated[int, Field(ge=1, le=10, description="pages before/after in a path")] = 3
    top_paths: Annotated[int, Field(ge=1, le=50, description="paths kept per direction")] = 3


def point_id(t: ir.Table) -> ir.StringValue:
    """``stage|signal|page_path|intent`` of signal or friction rows (NULL parts as '')."""
    parts = [ibis.coalesce(t[k], "") for k in POINT_KEYS]
    return parts[0].concat("|", parts[1], "|", parts[2], "|", parts[3])


def _share(part: ir.IntegerValue, whole: ir.IntegerValue) -> ir.FloatingValue:
    return ibis.cases((whole > 0, part.cast("float64") / whole.cast("float64")), else_=None)


def _page_rates(signals: ir.Table, stream: ir.Table) -> ir.Table:
    """Per (signal, intent, page): sessions on the page, and the rate on the signal's other pages.

    The other pages are those where the signal (with any intent) occurs at all: a flow can
    only be left on a flow page, so pages without flows do not dilute its background.
    """
    views = stream.filter(stream.is_page & stream.page_path.notnull())
    visits = views.select(_vs=views.session_key, _vp=views.page_path).distinct()
    per_page = visits.group_by(_page=visits._vp).aggregate(_page_sessions=visits.count())

    hits = signals.select("signal", "page_path", "session_key").distinct()
    sp = hits.group_by(_signal=hits.signal, _spage=hits.page_path).aggregate(_n=hits.count())
    sp = sp.left_join(per_page, sp._spage == per_page._page)
    sp = sp.mutate(_page_sessions=ibis.coalesce(sp._page_sessions, 0))
    sp = sp.mutate(
        _other_visits=sp._page_sessions.sum().over(ibis.window(group_by=sp._signal))
        - sp._page_sessions
    )

    keyed = signals.mutate(_ikey=ibis.coalesce(signals.intent, ""))
    ihits = keyed.select("signal", "_ikey", "page_path", "session_key").distinct()
    sip = ihits.group_by(
        _isignal=ihits.signal, _rintent=ihits._ikey, _rpage=ihits.page_path
    ).aggregate(_hits=ihits.count())
    sip = sip.mutate(
        _other_hits=sip._hits.sum().over(ibis.window(group_by=[sip._isignal, sip._rintent]))
        - sip._hits
    )
    j = sip.join(sp, [sip._isignal == sp._signal, sip._rpage == sp._spage])
    return j.select(
        _rsignal=j._isignal,
        _rintent=j._rintent,
        _rpage=j._rpage,
        page_sessions=j._page_sessions,
        background_rate=_share(j._other_hits, j._other_visits),
    )


def _likely_intents(sig: ir.Table) -> ir.Table:
    """Per point, the intent seen in most of its sessions (ties: alphabetical)."""
    sessions = sig.select("point_id", "session_key").distinct()
    known = sig.filter(sig.intent.notnull())
    intents = known.select(_isession=known.session_key, _intent=known.intent).distinct()
    j = sessions.join(intents, sessions.session_key == intents._isession)
    counts = j.group_by(_lpoint=j.point_id, _lintent=j._intent).aggregate(_n=j.count())
    w = ibis.window(group_by=counts._lpoint, order_by=[ibis.desc(counts._n), counts._lintent])
    ranked = counts.mutate(_rank=ibis.row_number().over(w))
    top = ranked.filter(ranked._rank == 0)
    return top.select(_lpoint=top._lpoint, _likely=top._lintent)


#: a contact intent names a point only when its share among the point's contacters is at
#: least this many times its share among all contacters
_CONTACT_INTENT_LIFT = 1.5


def _contact_intents(sig: ir.Table, contacts: ir.Table, config: FrictionConfig) -> ir.Table:
    """Per point, the intent of the contacts its customers opened within the contact window
    after their first signal there: the most frequent (by customers, at least 2) among those
    over-represented against all contacters' intents. The evidence when no help content names
    the point's intent."""
    known = sig.filter(sig.customer_id.notnull())
    firsts = known.group_by(["point_id", "customer_id"]).aggregate(first_ts=known.ts.min())
    c = contacts.filter(contacts.customer_id.notnull() & contacts.intent.notnull())
    c = c.select(_cc=c.customer_id, _opened=c.opened_at, _ci=c.intent)
    j = firsts.join(
        c,
        [
            firsts.customer_id == c._cc,
            c._opened >= firsts.first_ts,
            c._opened <= firsts.first_ts + ibis.interval(days=config.contact_window_days),
        ],
    )
    per = j.group_by(_cpoint=j.point_id, _cintent=j._ci).aggregate(_n=j.customer_id.nunique())
    reached = j.group_by(_tpoint=j.point_id).aggregate(_m=j.customer_id.nunique())
    overall = c.group_by(_oi=c._ci).aggregate(_on=c._cc.nunique())
    everyone = c.aggregate(_all=c._cc.nunique())
    per = (
        per.join(reached, per._cpoint == reached._tpoint)
        .join(overall, per._cintent == overall._oi)
        .cross_join(everyone)
    )
    lift = (per._n.cast("float64") / per._m) / (per._on.cast("float64") / per._all)
    per = per.filter((per._n >= 2) & (lift >= _CONTACT_INTENT_LIFT))
    w = ibis.window(group_by=per._cpoint, order_by=[ibis.desc(per._n), per._cintent])
    ranked = per.mutate(_rank=ibis.row_number().over(w))
    top = ranked.filter(ranked._rank == 0)
    return top.select(_kpoint=top._cpoint, _contact_likely=top._cintent)


def _customer_outcomes(
    sig: ir.Table,
    points: ir.Table,
    stream: ir.Table,
    contacts: ir.Table,
    subscriptions: ir.Table,
    config: FrictionConfig,
) -> ir.Table:
    """Per point: affected customers who contacted, self-served or churned afterwards."""
    known = sig.filter(sig.customer_id.notnull())
    firsts = known.group_by(["point_id", "customer_id"]).aggregate(first_ts=known.ts.min())
    intents = points.select(_ppoint=points.point_id, _pintent=points.likely_intent)
    firsts = firsts.join(intents, firsts.point_id == intents._ppoint).drop("_ppoint")

    human = contacts.filter(
        contacts.customer_id.notnull() & contacts.channel.notin(list(config.selfservice_channels))
    )
    human = human.select(_cc=human.customer_id, _opened=human.opened_at, _cintent=human.intent)
    days = max(config.contact_window_days, config.selfserve_window_days)
    j = firsts.join(
        human,
        [
            firsts.customer_id == human._cc,
            human._opened >= firsts.first_ts,
            human._opened <= firsts.first_ts + ibis.interval(days=days),
        ],
    )
    in_window = j._opened <= j.first_ts + ibis.interval(days=config.contact_window_days)
    in_selfserve = j._opened <= j.first_ts + ibis.interval(days=config.selfserve_window_days)
    about = in_window & (j._cintent == j._pintent).fill_null(False)
    contacted = j.group_by(_xp=j.point_id, _xc=j.customer_id).aggregate(
        _contacted=in_window.cast("int64").max(),
        _about=about.cast("int64").max(),
        _soon=in_selfserve.cast("int64").max(),
    )

    helped_sessions = stream.filter(stream.help_kind.isin(list(SELF_SERVICE_KINDS)))
    helped_sessions = helped_sessions.select(_hs=helped_sessions.session_key).distinct()
    h = known.join(helped_sessions, known.session_key == helped_sessions._hs)
    helped = h.select(_hp=h.point_id, _hc=h.customer_id).distinct()

    subs = subscriptions.group_by(_sc=subscriptions.customer_id).aggregate(
        _ended=subscriptions.ended_at.max(),
        _open=subscriptions.ended_at.isnull().cast("int64").sum(),
    )

    per = (
        firsts.left_join(
            contacted,
            [firsts.point_id == contacted._xp, firsts.customer_id == contacted._xc],
        )
        .left_join(helped, [firsts.point_id == helped._hp, firsts.customer_id == helped._hc])
        .left_join(subs, firsts.customer_id == subs._sc)
    )
    contacted_flag = ibis.coalesce(per._contacted, 0)
    selfserved = per._hp.notnull() & (ibis.coalesce(per._soon, 0) == 0)
    churned = (ibis.coalesce(per._open, 1) == 0) & (per._ended >= per.first_ts).fill_null(False)
    return per.group_by(_opoint=per.point_id).aggregate(
        contacted_customers=contacted_flag.sum(),
        contacted_intent_customers=ibis.coalesce(per._about, 0).sum(),
        selfserved_customers=selfserved.cast("int64").sum(),
        churned_customers=churned.cast("int64").sum(),
    )


def find_friction_points(
    signals: ir.Table,
    stream: ir.Table,
    contacts: ir.Table,
    subscriptions: ir.Table,
    config: FrictionConfig | None = None,
) -> ir.Table:
    """Friction points with their size, background rate and what affected customers did next.

    Parameters
    ----------
    signals
        :func:`~kizuki.analytics.signals.find_struggle_signals` (or its stored result).
    stream
        :func:`~kizuki.analytics.signals.journey_events` of the same events (for page
        sessions and self-service activity).
    contacts, subscriptions
        The canonical tables.
    config
        Windows; :class:`FrictionConfig` defaults when None.

    Returns
    -------
    One row per point, the columns :data:`FRICTION_COLUMNS` (defined in docs/journey.md),
    most sessions first.

    Examples
    --------
    >>> from kizuki.analytics.journey_stream import journey_events
    >>> from kizuki.analytics.signals import find_struggle_signals
    >>> from kizuki.journey import load_journey
    >>> from kizuki.store import open_store
    >>> store, journey = open_store("duckdb://"), load_journey(name="demo")
    >>> stream = journey_events(store.table("events"), store.table("searches"), journey)
    >>> sig = find_struggle_signals(store.table("events"), store.table("searches"), journey)
    >>> points = find_friction_points(sig, stream, store.table("contacts"),
    ...                               store.table("subscriptions"))
    >>> points.columns[:4]
    ('point_id', 'stage', 'signal', 'page_path')
    """
    config = config or FrictionConfig()
    stream = materialized(stream)
    sig = signals.mutate(point_id=point_id(signals))
    base = sig.group_by(["point_id", *POINT_KEYS]).aggregate(
        sessions=sig.session_key.nunique(),
        visitors=sig.visitor_id.nunique(),
        customers=sig.customer_id.nunique(),
        occurrences=sig.occurrences.sum(),
        first_seen=sig.ts.min(),
        last_seen=sig.ts.max(),
    )
    likely = _likely_intents(sig)
    from_contacts = _contact_intents(sig, contacts, config)
    base = base.left_join(likely, base.point_id == likely._lpoint).left_join(
        from_contacts, base.point_id == from_contacts._kpoint
    )
    base = base.mutate(
        likely_intent=ibis.coalesce(base.intent, base._likely, base._contact_likely)
    ).drop("_lpoint", "_likely", "_kpoint", "_contact_likely")
    outcomes = _customer_outcomes(sig, base, stream, contacts, subscriptions, config)
    rates = _page_rates(sig, stream)
    j = base.left_join(
        rates,
        [
            base.signal == rates._rsignal,
            ibis.coalesce(base.intent, "") == rates._rintent,
            base.page_path == rates._rpage,
        ],
    ).left_join(outcomes, base.point_id == outcomes._opoint)
    page_sessions = ibis.coalesce(j.page_sessions, 0)
    page_rate = _share(j.sessions, page_sessions)
    expected = j.background_rate * page_sessions.cast("float64")
    excess = ibis.greatest(j.sessions.cast("float64") - ibis.coalesce(expected, 0.0), 0.0)
    counts = {
        k: ibis.coalesce(j[k], 0)
        for k in (
            "contacted_customers",
            "contacted_intent_customers",
            "selfserved_customers",
            "churned_customers",
        )
    }
    out = j.select(
        "point_id",
        *POINT_KEYS,
        "likely_intent",
        "sessions",
        "visitors",
        "customers",
        "occurrences",
        "first_seen",
        "last_seen",
        page_sessions=page_sessions,
        page_rate=page_rate,
        background_rate=j.background_rate,
        lift=ibis.cases((j.background_rate > 0, page_rate / j.background_rate), else_=None),
        excess_sessions=excess,
        contacted_customers=counts["contacted_customers"],
        contacted_share=_share(counts["contacted_customers"], j.customers),
        contacted_intent_customers=counts["contacted_intent_customers"],
        contacted_intent_share=_share(counts["contacted_intent_customers"], j.customers),
        selfserved_customers=counts["selfserved_customers"],
        selfserved_share=_share(counts["selfserved_customers"], j.customers),
        churned_customers=counts["churned_customers"],
        churned_share=_share(counts["churned_customers"], j.customers),
    )
    return out.order_by([ibis.desc(out.sessions), out.point_id])


def friction_weekly(signals: ir.Table, timezone: str = UTC_ZONE) -> ir.Table:
    """Sessions and customers per friction point per ISO week of ``timezone``.

    Returns
    -------
    ``point_id, stage, signal, page_path, intent, week_start`` (the local Monday, a date),
    ``sessions``, ``customers`` (a session that spans two weeks counts in the week of the
    signal's first occurrence).
    """
    week = local_week_start(signals.ts, timezone)
    sig = signals.mutate(point_id=point_id(signals), week_start=week)
    return sig.group_by(["point_id", *POINT_KEYS, "week_start"]).aggregate(
        sessions=sig.session_key.nunique(), customers=sig.customer_id.nunique()
    )


def _path(parts: list[ir.StringValue]) -> ir.StringValue:
    return ibis.literal(" > ").join(parts)


def friction_paths(
    signals: ir.Table, stream: ir.Table, config: FrictionConfig | None = None
) -> ir.Table:
    """The most common paths of pages before and after each friction point's signal.

    For each affected session the *anchor* is the page the signal was on (its ``page_no``);
    ``before`` is the ``path_pages`` pages before it, ``after`` the ``path_pages`` after it,
    joined with ``" > "``; ``(start)`` marks that the session began within them, ``(exit)``
    that it ended.

    Returns
    -------
    ``point_id, stage, signal, page_path, intent, direction`` (``before``/``after``),
    ``rank`` (1 = most sessions; ties alphabetical), ``path``, ``sessions``, ``share`` (of the
    point's sessions); ``top_paths`` rows per point and direction at most.
    """
    config = config or FrictionConfig()
    n = config.path_pages
    stream = materialized(stream)
    sig = signals.mutate(point_id=point_id(signals))
    views = stream.filter(stream.is_page)
    pv = views.select(_sk=views.session_key, _seq=views.page_seq, _page=views.page_path)
    bounds = pv.group_by(_bk=pv._sk).aggregate(_first=pv._seq.min(), _last=pv._seq.max())
    # the point's keys follow from point_id: group by it alone, and join the keys on at the end
    names = sig.group_by("point_id").aggregate(**{k: sig[k].min() for k in POINT_KEYS})
    anchors = sig.select("point_id", "session_key", "page_no")
    anchors = anchors.left_join(bounds, anchors.session_key == bounds._bk)
    # page_no counts within the session, page_seq within the visitor's history
    anchors = anchors.mutate(_anchor=anchors.page_no + ibis.coalesce(anchors._first, 1) - 1)
    j = anchors.left_join(
        pv,
        [
            anchors.session_key == pv._sk,
            pv._seq >= anchors._anchor - n,
            pv._seq <= anchors._anchor + n,
            pv._seq != anchors._anchor,
        ],
    )
    offset = j._seq - j._anchor
    slots = {f"_b{k}": j._page.max(where=offset == -k) for k in range(1, n + 1)} | {
        f"_a{k}": j._page.max(where=offset == k) for k in range(1, n + 1)
    }
    group = ["point_id", "session_key", "page_no"]
    wide = j.group_by(group).aggregate(
        _pages_after=(ibis.coalesce(j._last, 0) - j._anchor).max(), **slots
    )
    start = ibis.cases((wide.page_no - 1 < n, START_MARK), else_=None)
    exit_ = ibis.cases((wide._pages_after < n, EXIT_MARK), else_=None)
    before = _path([start, *(wide[f"_b{k}"] for k in range(n, 0, -1))])
    after = _path([*(wide[f"_a{k}"] for k in range(1, n + 1)), exit_])
    both = wide.select("point_id", direction=ibis.literal("before"), path=before).union(
        wide.select("point_id", direction=ibis.literal("after"), path=after)
    )
    counts = both.group_by(["point_id", "direction", "path"]).aggregate(sessions=both.count())
    w = ibis.window(
        group_by=[counts.point_id, counts.direction],
        order_by=[ibis.desc(counts.sessions), counts.path],
    )
    total = counts.sessions.sum().over(ibis.window(group_by=[counts.point_id, counts.direction]))
    ranked = counts.mutate(rank=ibis.row_number().over(w) + 1, share=_share(counts.sessions, total))
    kept = ranked.filter(ranked.rank <= config.top_paths)
    kept = kept.join(names, "point_id")
    return kept.select("point_id", *POINT_KEYS, "direction", "rank", "path", "sessions", "share")
