"""Identity resolution: which customer an anonymous browser, or a helpdesk requester, is.

Real analytics traffic is mostly anonymous: GA4 sets ``user_id`` only after a login and
``user_pseudo_id`` per browser. The rules (docs/identity.md):

- **Browsers.** A browser (``anonymous_id``) whose events carry one customer id, and only
  one, belongs to that customer: its anonymous events from ``window_days`` before its first
  login onwards are the customer's. A browser shared by several customers (a family computer,
  a shop counter) links to none of them: its anonymous events stay anonymous. One customer on
  several devices is several browsers that each link to the customer. Links recorded in the
  ``identities`` table (kind ``anonymous_id``, e.g. from a CRM) count like logins.
- **Requesters.** A contact belongs to its ``customer_id`` when the source gave one (Zendesk's
  ``external_id``); else to the customer that ``identities`` names for its requester (a
  helpdesk users export), directly or through the keyed hash of the requester's e-mail
  address, which a customer may also carry (``customers.email_hash``); else to no one.
  Deleted tickets are left out.

Everything is an Ibis expression that runs in the store's engine.
"""

from __future__ import annotations

from typing import Annotated

import ibis
import ibis.expr.types as ir
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "IdentityConfig",
    "browser_links",
    "identity_coverage",
    "resolve_contacts",
    "resolve_events",
]


class IdentityConfig(BaseModel):
    """Parameters of identity resolution (docs/identity.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_days: Annotated[
        float,
        Field(
            ge=0,
            description="days before a browser's first login from which its anonymous events "
            "are the customer's who logs in",
        ),
    ] = 30.0
    link_browsers: Annotated[
        bool, Field(description="attribute anonymous events of a browser to its customer")
    ] = True


def browser_links(events: ir.Table, identities: ir.Table | None = None) -> ir.Table:
    """Per browser seen with a customer: ``anonymous_id, customer_id, customers, first_login``.

    ``customers`` is the number of distinct customers the browser was seen with (only browsers
    with exactly one are linked); ``first_login`` the first event that carried the customer id
    (NULL for a link known only from ``identities``).
    """
    both = events.filter(events.anonymous_id.notnull() & events.customer_id.notnull())
    seen = both.select(anonymous_id=both.anonymous_id, customer_id=both.customer_id, ts=both.ts)
    if identities is not None:
        known = identities.filter(
            (identities.kind == "anonymous_id") & identities.customer_id.notnull()
        )
        seen = seen.union(
            known.select(
                anonymous_id=known.value,
                customer_id=known.customer_id,
                ts=ibis.null(seen.ts.type()),
            )
        )
    return seen.group_by("anonymous_id").aggregate(
        customer_id=seen.customer_id.min(),
        customers=seen.customer_id.nunique(),
        first_login=seen.ts.min(),
    )


def resolve_events(
    events: ir.Table, links: ir.Table, config: IdentityConfig | None = None
) -> ir.Table:
    """``events`` with ``customer_id`` filled for anonymous events of a linked browser.

    Only browsers linked to exactly one customer count; an event more than ``window_days``
    before the browser's first login stays anonymous (a browser's past before the customer
    had it may be someone else's).
    """
    cfg = config or IdentityConfig()
    if not cfg.link_browsers:
        return events
    one = links.filter(links.customers == 1)
    one = one.select(
        _aid=one.anonymous_id,
        _cust=one.customer_id,
        _from=one.first_login - ibis.interval(seconds=int(cfg.window_days * 86_400)),
    )
    j = events.left_join(one, events.anonymous_id == one._aid)
    known = j._cust.notnull() & (j._from.isnull() | (j.ts >= j._from))
    filled = ibis.coalesce(j.customer_id, ibis.cases((known, j._cust), else_=ibis.null("string")))
    return j.mutate(customer_id=filled).select(*events.columns)


def resolve_contacts(
    contacts: ir.Table, identities: ir.Table | None, customers: ir.Table | None
) -> ir.Table:
    """``contacts`` without deleted ones, ``customer_id`` resolved through ``identities``.

    Adds ``linked_by``: ``source`` (the contact named its customer), ``requester``
    (``identities`` names the requester's customer), ``email`` (the keyed e-mail hash matches a
    customer's), or NULL when the contact links to no customer.
    """
    c = contacts.filter(contacts.status.isnull() | (contacts.status != "deleted"))
    req_customer: ir.StringValue = ibis.null("string")
    req_email: ir.StringValue = ibis.null("string")
    if identities is not None:
        req = identities.filter(identities.kind == "requester_id")
        req = req.group_by(_rid=req.value).aggregate(
            _rcust=req.customer_id.min(), _rmail=req.email_hash.min()
        )
        c = c.left_join(req, c.requester_id == req._rid)
        req_customer, req_email = c._rcust, c._rmail
    c = c.mutate(_req_customer=req_customer, _mail=ibis.coalesce(c.requester_email_hash, req_email))
    mail_customer: ir.StringValue = ibis.null("string")
    if customers is not None:
        hashed = customers.filter(customers.email_hash.notnull())
        hashed = hashed.group_by(_mh=hashed.email_hash).aggregate(
            _mcust=hashed.customer_id.min(), _mn=hashed.customer_id.nunique()
        )
        hashed = hashed.filter(hashed._mn == 1)  # an address two customers share links neither
        c = c.left_join(hashed, c._mail == hashed._mh)
        mail_customer = c._mcust
    linked_by = ibis.cases(
        (c.customer_id.notnull(), "source"),
        (c._req_customer.notnull(), "requester"),
        (mail_customer.notnull(), "email"),
        else_=ibis.null("string"),
    )
    out = c.mutate(
        customer_id=ibis.coalesce(c.customer_id, c._req_customer, mail_customer),
        linked_by=linked_by,
    )
    return out.select(*contacts.columns, "linked_by")


def identity_coverage(
    events: ir.Table,
    links: ir.Table,
    stream: ir.Table,
    signals: ir.Table,
    contacts: ir.Table,
) -> pd.DataFrame:
    """The share of browsers, sessions, struggling visitors and human contacts linked to a
    known customer: one row per ``metric`` with ``total``, ``linked`` and ``share``.

    ``stream`` is the resolved, sessionised stream (:func:`~kizuki.analytics.journey_stream.
    journey_events` with links); ``contacts`` the resolved ones (:func:`resolve_contacts`).
    """
    rows: list[tuple[str, int, int]] = []
    browsers = events.filter(events.anonymous_id.notnull())
    n_browsers = browsers.anonymous_id.nunique().to_pyarrow().as_py()
    one = links.filter(links.customers == 1)
    rows.append(("browsers", int(n_browsers or 0), int(one.count().to_pyarrow().as_py() or 0)))
    s = stream.filter(~stream.search_only)
    sess = s.group_by("session_key").aggregate(_known=s.customer_id.notnull().any())
    rows.append(_counted("sessions", sess, sess._known))
    vis = signals.group_by("visitor_id").aggregate(_known=signals.customer_id.notnull().any())
    rows.append(_counted("struggling_visitors", vis, vis._known))
    human = contacts.filter(contacts.channel != "chatbot")
    rows.append(_counted("contacts", human, human.customer_id.notnull()))
    frame = pd.DataFrame(rows, columns=["metric", "total", "linked"])
    frame["share"] = (frame["linked"] / frame["total"].where(frame["total"] > 0)).astype(float)
    return frame


def _counted(metric: str, table: ir.Table, known: ir.BooleanValue) -> tuple[str, int, int]:
    """``(metric, rows of table, rows where known)`` in one query."""
    got = table.aggregate(n=table.count(), k=known.sum()).to_pyarrow().to_pylist()[0]
    return metric, int(got["n"] or 0), int(got["k"] or 0)
