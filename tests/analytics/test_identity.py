"""Identity resolution (docs/identity.md) on toy data with hand-computed answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from kizuki.analytics.identity import (
    IdentityConfig,
    browser_links,
    identity_coverage,
    resolve_contacts,
    resolve_events,
)
from kizuki.analytics.sessions import sessionize
from kizuki.schema import arrow_schema
from kizuki.store import Store, open_store


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


def ev(eid: str, ts: dt.datetime, anon: str | None, cust: str | None = None) -> dict[str, Any]:
    return {"event_id": eid, "ts": ts, "customer_id": cust, "anonymous_id": anon,
            "event_name": "page_view", "page_path": "/app"}  # fmt: skip


EVENTS = [
    # b1: anonymous for a while, logs in as c1 in mid-session (10:05), then anonymous again
    ev("e01", at(1, 10, 0), "b1"),
    ev("e02", at(1, 10, 5), "b1", "c1"),
    ev("e03", at(1, 10, 10), "b1"),
    ev("e04", at(20, 9, 0), "b1"),  # weeks later, still c1's browser
    # b1's past: 40 days before its first login (beyond the 30-day window): stays anonymous
    ev("e00", at(1, 10, 0) - dt.timedelta(days=40), "b1"),
    # b2: c1's second device, logs in once
    ev("e05", at(2, 8, 0), "b2"),
    ev("e06", at(2, 8, 1), "b2", "c1"),
    # b3: a shared computer, c2 and c3 log in on it: its anonymous events stay anonymous
    ev("e07", at(3, 12, 0), "b3", "c2"),
    ev("e08", at(3, 18, 0), "b3", "c3"),
    ev("e09", at(4, 12, 0), "b3"),
    # b4: never logs in
    ev("e10", at(5, 12, 0), "b4"),
    # b5: linked through the identities table (a CRM), no login event
    ev("e11", at(6, 12, 0), "b5"),
]

CONTACTS = [
    # source names the customer
    {"contact_id": "t1", "customer_id": "c1", "requester_id": "u1"},
    # only Zendesk's requester id: identities link u2 to c2
    {"contact_id": "t2", "customer_id": None, "requester_id": "u2"},
    # another address, matching customer c3's keyed e-mail hash
    {"contact_id": "t3", "customer_id": None, "requester_id": "u3", "requester_email_hash": "h3"},
    # the requester's identities row carries a hash that c4 has
    {"contact_id": "t4", "customer_id": None, "requester_id": "u4"},
    # an address two customers share links neither; a guest; a deleted ticket
    {"contact_id": "t5", "customer_id": None, "requester_id": "u5", "requester_email_hash": "hx"},
    {"contact_id": "t6", "customer_id": None, "requester_id": "u6"},
    {"contact_id": "t7", "customer_id": "c1", "requester_id": "u1", "status": "deleted"},
]

IDENTITIES = [
    {"identity_id": "requester_id:u2", "kind": "requester_id", "value": "u2", "customer_id": "c2"},
    {"identity_id": "requester_id:u4", "kind": "requester_id", "value": "u4", "email_hash": "h4"},
    {"identity_id": "anonymous_id:b5", "kind": "anonymous_id", "value": "b5", "customer_id": "c5"},
]

CUSTOMERS = [
    {"customer_id": "c3", "email_hash": "h3"},
    {"customer_id": "c4", "email_hash": "h4"},
    {"customer_id": "c6", "email_hash": "hx"},
    {"customer_id": "c7", "email_hash": "hx"},
]


def _rows(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = arrow_schema(table, with_batch_id=False)
    defaults = {
        "channel": "form",
        "opened_at": at(9, 9),
        "created_at": at(1, 0),
        "source": "test",
        "event_name": "page_view",
    }
    full = [{c: r.get(c, defaults.get(c)) for c in schema.names} for r in rows]
    return pa.Table.from_pylist(full, schema=schema)


@pytest.fixture(scope="module")
def store() -> Store:
    st = open_store("duckdb://")
    for name, rows in (
        ("events", EVENTS),
        ("contacts", CONTACTS),
        ("identities", IDENTITIES),
        ("customers", CUSTOMERS),
    ):
        st.con.insert(
            name, _rows(name, rows).append_column("batch_id", pa.array(["b"] * len(rows)))
        )
    return st


def _resolved(store: Store, config: IdentityConfig | None = None) -> dict[str, str | None]:
    t = store.table
    links = browser_links(t("events"), t("identities"))
    out = store.to_arrow(resolve_events(t("events"), links, config)).to_pylist()
    return {r["event_id"]: r["customer_id"] for r in out}


def test_a_browser_is_its_one_customers_from_the_window_before_its_first_login(
    store: Store,
) -> None:
    got = _resolved(store)
    assert [got[e] for e in ("e01", "e02", "e03", "e04")] == ["c1"] * 4
    assert got["e00"] is None  # 40 days before the first login: beyond the 30-day window
    assert got["e05"] == "c1"  # the second device
    assert got["e09"] is None  # a shared computer links no one
    assert got["e10"] is None  # never logged in
    assert got["e11"] == "c5"  # linked by the identities table


def test_the_window_and_the_switch(store: Store) -> None:
    assert _resolved(store, IdentityConfig(window_days=50))["e00"] == "c1"
    off = _resolved(store, IdentityConfig(link_browsers=False))
    assert off["e01"] is None and off["e02"] == "c1"


def test_a_login_in_mid_session_does_not_split_the_session(store: Store) -> None:
    t = store.table
    links = browser_links(t("events"), t("identities"))
    before = store.to_arrow(sessionize(t("events"))).to_pylist()
    after = store.to_arrow(sessionize(resolve_events(t("events"), links))).to_pylist()

    def keys(rows: list[dict[str, Any]]) -> set[str]:
        return {r["session_key"] for r in rows if r["event_id"] in ("e01", "e02", "e03")}

    assert len(keys(before)) == 2  # b1 before and after, c1 at the login
    assert keys(after) == {"c1:1"}  # one session, c1's first (e00 stays the browser's)


def test_contacts_resolve_through_source_requester_and_email_hash(store: Store) -> None:
    t = store.table
    out = store.to_arrow(resolve_contacts(t("contacts"), t("identities"), t("customers")))
    got = {r["contact_id"]: (r["customer_id"], r["linked_by"]) for r in out.to_pylist()}
    assert got == {
        "t1": ("c1", "source"),
        "t2": ("c2", "requester"),
        "t3": ("c3", "email"),
        "t4": ("c4", "email"),
        "t5": (None, None),  # hx belongs to two customers
        "t6": (None, None),
    }  # t7 is deleted


def test_coverage_counts_what_is_linked(store: Store) -> None:
    t = store.table
    links = browser_links(t("events"), t("identities"))
    stream = sessionize(resolve_events(t("events"), links)).mutate(search_only=False)
    signals = stream.select("visitor_id", "customer_id").distinct()
    contacts = resolve_contacts(t("contacts"), t("identities"), t("customers"))
    cov = identity_coverage(t("events"), links, stream, signals, contacts).set_index("metric")
    assert cov.loc["browsers", ["total", "linked"]].tolist() == [5, 3]  # b1, b2, b5 of b1-b5
    assert cov.loc["contacts", ["total", "linked"]].tolist() == [6, 4]
    assert cov.loc["contacts", "share"] == pytest.approx(4 / 6)
    # visitors: c1, c2, c3, c5 are customers; b3 (its anonymous event), b4 and b1's old
    # past are not
    assert cov.loc["struggling_visitors", ["total", "linked"]].tolist() == [7, 4]
