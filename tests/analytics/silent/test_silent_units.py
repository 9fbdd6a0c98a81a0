"""The silent-customer units from hand-built sessions (DuckDB, and Spark alike).

Oracles: sessions and signals written by hand, with the unit, page and indicators each must
give.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kizuki.analytics.sessions import sessionize
from kizuki.analytics.silent.units import session_units, unit_contacts, unit_patterns
from kizuki.store import Store


def at(minute: int, day: int = 1) -> dt.datetime:
    return dt.datetime(2026, 9, day, 10, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minute)


def pv(eid: str, minute: int, page: str, cust: str, day: int = 1) -> dict[str, Any]:
    return {"event_id": eid, "ts": at(minute, day), "customer_id": cust,
            "event_name": "page_view", "page_path": page}  # fmt: skip


EVENTS = [
    # c1 session 1: ends on /setup/bank (then help); error + loop there, a search about bank_link
    pv("a1", 0, "/setup/company", "c1"),
    pv("a2", 1, "/setup/bank", "c1"),
    pv("a3", 2, "/help/ja/search", "c1"),
    # c1 session 2 (next day): ends on /app, nothing happens
    pv("b1", 0, "/app", "c1", day=2),
    # c2: ends on /setup/bank during an incident on that page: left out
    pv("c1", 0, "/setup/bank", "c2", day=3),
    # c3: ends on /app, but its error was on /setup/company, where its loop was not
    pv("d1", 0, "/setup/company", "c3"),
    pv("d2", 1, "/app", "c3"),
    # c4: two errors at the same instant on /z and /y, a later one on /x; ends on /w
    pv("e1", 0, "/z", "c4"),
    pv("e2", 0, "/y", "c4"),
    pv("e3", 1, "/x", "c4"),
    pv("e4", 2, "/w", "c4"),
]
SIGNALS = [
    ("c1:1", "error", "/setup/bank", None, "BankApiError", at(1)),
    ("c1:1", "loop", "/setup/bank", None, None, at(1)),
    ("c1:1", "zero_result_search", "/help/ja/search", "bank_link", "口座 連携", at(2)),
    ("c1:1", "help_exit", "/setup/bank", None, None, at(2)),
    ("c3:1", "error", "/setup/company", None, "TypeError", at(0)),
    ("c3:1", "loop", "/app", None, None, at(1)),
    ("c4:1", "error", "/z", None, "E1", at(0)),
    ("c4:1", "error", "/y", None, "E2", at(0)),
    ("c4:1", "error", "/x", None, "E3", at(1)),
]


@pytest.fixture
def unit_store(store: Store, build_table: Any) -> Store:
    store.write_table("events", build_table("events", EVENTS))
    rows = [
        {
            "session_key": k,
            "signal": s,
            "page_path": p,
            "intent": i,
            "detail": d,
            "customer_id": k.split(":")[0],
            "stage": "setup",
            "ts": ts,
        }
        for k, s, p, i, d, ts in SIGNALS
    ]
    store.duckdb.execute(
        "CREATE TABLE signals (session_key VARCHAR, signal VARCHAR, page_path VARCHAR, "
        "intent VARCHAR, detail VARCHAR, customer_id VARCHAR, stage VARCHAR, ts TIMESTAMPTZ)"
    )
    store.duckdb.executemany(
        "INSERT INTO signals VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [list(r.values()) for r in rows],
    )
    return store


def test_sessionize_keys_are_the_ones_the_signals_use(unit_store: Store) -> None:
    keys = set(sessionize(unit_store.table("events")).session_key.to_pyarrow().to_pylist())
    assert {"c1:1", "c1:2", "c2:1", "c3:1", "c4:1"} == keys


def test_units_take_the_first_error_page_else_the_exit_page(unit_store: Store) -> None:
    incident = [("/setup/bank", at(-30, day=3), at(30, day=3))]
    units = session_units(
        unit_store.table("events"), unit_store.table("signals"), incidents=incident
    )
    got = units.to_pandas().set_index("session_key").sort_index()
    assert list(got.index) == ["c1:1", "c1:2", "c3:1", "c4:1"]  # c2 is in the incident
    assert got.loc["c1:1", "page_path"] == "/setup/bank"
    assert got.loc["c1:1", "error_kind"] == "BankApiError"
    assert bool(got.loc["c1:1", "loop"])
    assert got.loc["c1:1", "help_kind"] == "bank_link"  # the intent wins over the signal name
    assert got.loc["c1:2", "error_kind"] == "" and got.loc["c1:2", "help_kind"] == ""
    assert got.loc["c1:2", "page_path"] == "/app"  # no error: the exit page
    assert got.loc["c3:1", "page_path"] == "/setup/company"  # the error's page, not the exit
    assert got.loc["c3:1", "error_kind"] == "TypeError"
    assert not bool(got.loc["c3:1", "loop"])  # its loop was on another page
    assert got.loc["c4:1", "page_path"] == "/y"  # first error; a tie goes to text order
    assert got.loc["c4:1", "error_kind"] == "E2"
    pats = unit_patterns(units).to_pandas()
    assert int(pats["units"].sum()) == 4


def test_unit_contacts_count_labelled_human_contacts_inside_the_window(
    unit_store: Store, build_table: Any
) -> None:
    contacts = [
        {
            "contact_id": "t1",
            "customer_id": "c1",
            "channel": "email",
            "opened_at": at(0, day=5),
            "intent": "bank_link",
        },
        {
            "contact_id": "t2",
            "customer_id": "c1",
            "channel": "chatbot",
            "opened_at": at(0, 2),
            "intent": "other_bot",
        },
        {
            "contact_id": "t3",
            "customer_id": "c3",
            "channel": "email",
            "opened_at": at(0, day=25),
            "intent": "late",
        },
        {
            "contact_id": "t4",
            "customer_id": "c3",
            "channel": "form",
            "opened_at": at(0, day=2),
            "intent": None,
        },
    ]
    unit_store.write_table("contacts", build_table("contacts", contacts))
    units = session_units(unit_store.table("events"), unit_store.table("signals"))
    got = unit_contacts(units, unit_store.table("contacts"), window_days=14).to_pandas()
    # each row carries the indicators of the unit the contact followed
    bank = got[got["page_path"] == "/setup/bank"]
    carried = {(e, bool(lp), h) for e, lp, h in bank[["error_kind", "loop", "help_kind"]].values}
    assert carried == {("BankApiError", True, "bank_link")}  # the one unit before the contact
    got = got[["customer_id", "page_path", "intent"]].drop_duplicates()
    assert sorted(map(tuple, got.values.tolist())) == [
        ("c1", "/app", "bank_link"),  # after the day-2 session on /app too
        ("c1", "/setup/bank", "bank_link"),
    ]
