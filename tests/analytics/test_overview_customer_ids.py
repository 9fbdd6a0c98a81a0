"""The data overview counts the customers the data names, with or without a customers table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from kizuki.analytics.overview import customer_ids, data_overview
from kizuki.store import Store, open_store

AT = dt.datetime(2026, 11, 2, 9, 5, tzinfo=dt.UTC)


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def any_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "spark":
        yield request.getfixturevalue("spark_store")
    else:
        s = open_store("duckdb://")
        yield s
        s.close()


def test_customer_ids_are_counted_over_customers_events_and_contacts(
    any_store: Store, build_table: Any
) -> None:
    events = [
        {"event_id": f"e{i}", "ts": AT, "customer_id": c, "anonymous_id": "a", "event_name": "x"}
        for i, c in enumerate(["U1", "U2", "U2", None, "U3"])
    ]
    contacts = [
        {"contact_id": f"t{i}", "customer_id": c, "channel": "email", "opened_at": AT}
        for i, c in enumerate(["U3", "U4", None])
    ]
    any_store.write_table("events", build_table("events", events))
    any_store.write_table("contacts", build_table("contacts", contacts))
    # no customers table: the ids of events and contacts, once each
    assert customer_ids(any_store) == {
        "distinct": 4,
        "by_table": {"customers": 0, "events": 3, "contacts": 2},
    }


def test_the_overview_holds_the_customer_ids(build_table: Any) -> None:
    store = open_store("duckdb://")
    customers = [{"customer_id": c, "created_at": AT} for c in ("U1", "U2")]
    store.write_table("customers", build_table("customers", customers))
    store.write_table(
        "contacts",
        build_table("contacts", [{"contact_id": "t1", "customer_id": "U9", "channel": "chat",
                                  "opened_at": AT}]),
    )  # fmt: skip
    ids = data_overview(store)["customer_ids"]
    assert ids == {"distinct": 3, "by_table": {"customers": 2, "events": 0, "contacts": 1}}
