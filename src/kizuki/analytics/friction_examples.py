"""Example sessions of friction points: a few affected sessions, event by event.

:func:`friction_examples` picks, per friction point, up to ``per_point`` sessions with the
point's signal and returns up to ``max_events`` of each session's events around the signal,
with the signal's event marked. It is an Ibis expression: the choice and the event window are
computed inside the engine, and only the few example rows come back.

**Which sessions.** Deterministic and the same on every backend: sessions whose signal detail
equals the point's wanted detail (for errors, the problem's error message, so the examples show
the problem and not the page's background errors) come first, then by ``md5(session_key)`` (a
spread-out but fixed order), then by ``session_key``.

**Which events.** The session's events in ``(ts, event_id)`` order, leaving out
``ignore_events`` (e.g. ``user_engagement``); the *signal event* is the first one at or after
the signal's first time (``result_signals.ts``). The window starts ``lead_events`` events before it
and holds ``max_events`` events. Only ids are shown for the visitor (never names or e-mails;
free text such as search queries was redacted at ingest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from kizuki.analytics.friction import point_id
from kizuki.errors import ConfigError

__all__ = ["EXAMPLE_COLUMNS", "friction_examples"]

#: Columns of :func:`friction_examples`, in order.
EXAMPLE_COLUMNS = (
    "point_id",
    "example_no",
    "session_key",
    "visitor_id",
    "session_start",
    "step",
    "ts",
    "event_name",
    "page_path",
    "stage",
    "help_kind",
    "detail",
    "results_count",
    "is_signal",
)


def friction_examples(
    signals: ir.Table,
    stream: ir.Table,
    points: Mapping[str, str | None],
    *,
    per_point: int = 3,
    max_events: int = 20,
    lead_events: int = 12,
    ignore_events: Sequence[str] = (),
) -> ir.Table:
    """Example sessions of the friction points ``points``, one row per shown event.

    Parameters
    ----------
    signals
        ``result_signals`` (:func:`kizuki.analytics.signals.find_struggle_signals`).
    stream
        the journey event stream (:func:`kizuki.analytics.signals.journey_events`).
    points
        ``point_id`` -> the signal detail to prefer (an error message), or None.
    per_point, max_events, lead_events
        Sessions per point; events per session; events shown before the signal's.
    ignore_events
        Event names left out of the sequences.

    Returns
    -------
    The columns :data:`EXAMPLE_COLUMNS`: ``example_no`` 1..``per_point`` per point, ``step``
    1..``max_events`` per session, ``session_start`` the session's first event time,
    ``is_signal`` true on the signal's event.

    Examples
    --------
    >>> from kizuki.store import open_store
    >>> store = open_store("duckdb://")
    >>> from kizuki.analytics.journey_stream import journey_events
    >>> from kizuki.analytics.signals import find_struggle_signals
    >>> from kizuki.journey import load_journey
    >>> j = load_journey(name="demo")
    >>> sig = find_struggle_signals(store.table("events"), store.table("searches"), j)
    >>> stream = journey_events(store.table("events"), store.table("searches"), j)
    >>> friction_examples(sig, stream, {"setup|error|/setup|": None}).execute().empty
    True
    """
    if per_point < 1 or max_events < 1 or lead_events < 0:
        raise ConfigError(
            f"per_point and max_events must be at least 1 and lead_events at least 0; got "
            f"{per_point}, {max_events}, {lead_events}"
        )
    ids = sorted(points)
    sig = signals.mutate(point_id=point_id(signals))
    sig = sig.filter(sig.point_id.isin(ids) if ids else ibis.literal(False))
    wanted = [(sig.point_id == p, d) for p, d in sorted(points.items()) if d is not None]
    target = ibis.cases(*wanted, else_=None) if wanted else ibis.null("string")
    preferred = (sig.detail == target).fill_null(False)
    per_session = sig.group_by(["point_id", "session_key"]).aggregate(
        _preferred=preferred.max(), _signal_ts=sig.ts.min(), visitor_id=sig.visitor_id.min()
    )
    w = ibis.window(
        group_by=per_session.point_id,
        order_by=[
            ibis.desc(per_session._preferred),
            per_session.session_key.hexdigest("md5"),
            per_session.session_key,
        ],
    )
    chosen = per_session.mutate(example_no=ibis.row_number().over(w) + 1)
    chosen = chosen.filter(chosen.example_no <= per_point)

    keys = chosen.select(_ck=chosen.session_key).distinct()
    ev = stream.filter(stream.event_name.notin(list(ignore_events))) if ignore_events else stream
    ev = ev.join(keys, ev.session_key == keys._ck)
    order = ibis.window(group_by=ev.session_key, order_by=[ev.ts, ev.event_id])
    ev = ev.mutate(
        _pos=ibis.row_number().over(order) + 1,
        session_start=ev.ts.min().over(ibis.window(group_by=ev.session_key)),
    )
    ev = ev.select(
        _es=ev.session_key,
        _pos=ev._pos,
        session_start=ev.session_start,
        ts=ev.ts,
        event_name=ev.event_name,
        page_path=ev.page_path,
        stage=ev.stage,
        help_kind=ev.help_kind,
        detail=ev.detail,
        results_count=ev.results_count,
    )
    j = chosen.join(ev, chosen.session_key == ev._es)
    at_signal = j._pos.min(where=j.ts >= j._signal_ts).over(
        ibis.window(group_by=[j.point_id, j.session_key])
    )
    j = j.mutate(_sig_pos=at_signal)
    first = ibis.greatest(ibis.coalesce(j._sig_pos, 1) - lead_events, 1)
    j = j.mutate(step=j._pos - first + 1)
    j = j.filter((j.step >= 1) & (j.step <= max_events))
    out = j.select(*EXAMPLE_COLUMNS[:-1], is_signal=(j._pos == j._sig_pos).fill_null(False))
    return out.order_by(["point_id", "example_no", "step"])
