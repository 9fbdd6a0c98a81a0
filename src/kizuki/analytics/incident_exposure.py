"""Who an incident touched: customers who used what it affected while it lasted (issue 23).

An incident's ``affected`` JSON names ``segments`` and/or ``pages`` (page paths; a path also
covers the pages under it, ``/app/invoices`` covers ``/app/invoices/new``). A customer is
touched when they are in one of its segments (any customer, when it names none) and, where it
names pages, had an **error** event on one of them in a session that began between
``started_at`` and ``ended_at`` (an incident without an end lasts ``open_hours``; the error may
come up to ``grace_minutes`` after the end, in a session begun before it). An error is the
evidence that the broken feature reached the customer: a visit alone is not (a partial outage
spares most visits), and a customer who visited without an error is not told about it. Events
count by their ``customer_id``, or by a browser linked to exactly one customer
(:func:`kizuki.analytics.identity.browser_links`). Only events before ``before`` are read, so
the exposure at a cut-off is what was known then.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from kizuki.analytics.identity import browser_links

__all__ = ["EXPOSURE_COLUMNS", "affected_doc", "incident_hits"]

EXPOSURE_COLUMNS = ("incident_id", "customer_id", "started_at", "ended_at", "first_seen")


def _utc(value: object) -> pd.Timestamp:
    """A timestamp in UTC (a backend that returns naive ones returns UTC)."""
    stamp = pd.Timestamp(str(value))
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def affected_doc(raw: object) -> dict[str, object]:
    """An incident's ``affected`` JSON value as a dict; unreadable JSON, or not an object, is
    empty (it names nothing)."""
    try:
        doc = json.loads(str(raw)) if raw not in (None, "") else {}
    except json.JSONDecodeError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _affected(raw: object) -> tuple[list[str], list[str]]:
    """(segments, pages) of an ``affected`` JSON value (:func:`affected_doc`)."""
    doc: dict[str, Any] = affected_doc(raw)
    segments = [str(s) for s in doc.get("segments") or []]
    pages = [str(p).rstrip("/") or "/" for p in doc.get("pages") or []]
    return segments, pages


def incident_hits(
    t: Callable[[str], ir.Table],
    before: dt.datetime | None = None,
    open_hours: float = 24.0,
    grace_minutes: float = 60.0,
) -> pd.DataFrame:
    """One row per incident and customer it touched (:data:`EXPOSURE_COLUMNS`)."""
    incidents: pd.DataFrame = t("incidents").to_pyarrow().to_pandas()
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in EXPOSURE_COLUMNS})
    if not len(incidents):
        return empty
    events = t("events")
    if before is not None:
        events = events.filter(events.ts < ibis.literal(before.astimezone(dt.UTC)))
    links = browser_links(events, t("identities")).filter(lambda x: x.customers == 1)
    customers: pd.DataFrame = (
        t("customers").select("customer_id", "segment").to_pyarrow().to_pandas()
    )
    out = []
    for inc in incidents.to_dict("records"):
        segments, pages = _affected(inc["affected"])
        start = _utc(inc["started_at"])
        ended = inc["ended_at"]
        missing = ended is None or ended != ended
        end = start + pd.Timedelta(hours=open_hours) if missing else _utc(ended)
        if before is not None and start >= pd.Timestamp(before):
            continue
        in_segment = customers if not segments else customers[customers["segment"].isin(segments)]
        if not pages:
            who = in_segment.assign(first_seen=start)
        else:
            late = end + pd.Timedelta(minutes=grace_minutes)
            who = _visitors(events, links, pages, start, end, late).merge(
                in_segment[["customer_id"]], on="customer_id"
            )
        out.append(
            who.loc[:, ["customer_id", "first_seen"]].assign(
                incident_id=str(inc["incident_id"]), started_at=start, ended_at=end
            )
        )
    if not out:
        return empty
    hits = pd.concat(out, ignore_index=True).loc[:, list(EXPOSURE_COLUMNS)]
    return hits.sort_values(["incident_id", "customer_id"]).reset_index(drop=True)


def _visitors(
    events: ir.Table,
    links: ir.Table,
    pages: list[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    late: pd.Timestamp,
) -> pd.DataFrame:
    """Customers with an error event on one of ``pages`` (or under it) in [start, late), in a
    session whose first event came before ``end``."""
    lo, hi = ibis.literal(start.to_pydatetime()), ibis.literal(late.to_pydatetime())
    on_page = ibis.or_(
        *[(events.page_path == p) | events.page_path.startswith(p.rstrip("/") + "/") for p in pages]
    )
    errors = events.event_name == "error"
    during = events.filter((events.ts >= lo) & (events.ts < hi) & on_page & errors)
    near = events.filter(
        (events.ts >= lo - ibis.interval(hours=12)) & (events.ts < hi) & events.session_id.notnull()
    )
    began = near.group_by("session_id").aggregate(session_start=near.ts.min())
    during = during.join(began, "session_id").filter(
        lambda x: x.session_start < ibis.literal(end.to_pydatetime())
    )
    joined = during.left_join(links, during.anonymous_id == links.anonymous_id)
    who = joined.select(
        customer_id=ibis.coalesce(joined.customer_id, joined.customer_id_right), ts=joined.ts
    ).filter(lambda x: x.customer_id.notnull())
    frame: pd.DataFrame = (
        who.group_by("customer_id").aggregate(first_seen=who.ts.min()).to_pyarrow().to_pandas()
    )
    return frame
