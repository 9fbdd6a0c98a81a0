"""Sessionisation and stage counts on DuckDB, against hand-computed answers."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from kizuki.analytics.sessions import (
    DEFAULT_STAGES,
    assign_stage,
    daily_counts,
    sessionize,
    stage_daily_counts,
)
from kizuki.errors import ConfigError
from kizuki.store import Store, open_store


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, minute, second, tzinfo=dt.UTC)


def ev(event_id: str, ts: dt.datetime, page: str | None, customer: str | None = None,
       anonymous: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"event_id": event_id, "ts": ts, "customer_id": customer, "anonymous_id": anonymous,
            "event_name": "page_view", "page_path": page}  # fmt: skip


EVENTS = [
    # c1: a gap of 29:59 continues, 30:01 starts a new session, exactly 30:00 continues
    ev("e1", at(1, 10), "/app", "c1", "x1"),
    ev("e2", at(1, 10, 29, 59), "/app/reports", "c1"),
    ev("e3", at(1, 11, 0, 0), "/billing", "c1"),
    ev("e4", at(1, 11, 30, 0), "/help/invoice", "c1"),
    # a1 (anonymous): one session that runs past midnight
    ev("e5", at(1, 23, 50), "/pricing", anonymous="a1"),
    ev("e6", at(2, 0, 10), "/signup", anonymous="a1"),
    # c2 is a customer with an anonymous id too; a2 is another, not logged in, visitor
    ev("e7", at(2, 9, 0), "/account/billing/card", "c2", "a2"),
    ev("e8", at(2, 9, 5), "/account", anonymous="a2"),
    ev("e9", at(2, 9, 10), "/account/profile", "c2", "a2"),
    ev("e10", at(2, 9, 15), None, "c2"),
    ev("e11", at(2, 12, 0), "/zzz", "c2"),
    # c3: two events at the same instant, then one 31 minutes later
    ev("t2", at(3, 8, 0), "/help", "c3"),
    ev("t1", at(3, 8, 0), "/help", "c3"),
    ev("t3", at(3, 8, 31), "/help/search", "c3"),
]

STAGES = {
    "billing": ["/billing", "/account/billing"],
    "use": ["/app", "/account"],
    "help": ["/help"],
    "visit": ["/pricing"],
    "signup": ["/signup"],
}


@pytest.fixture
def events_store(store: Store, build_table: Any) -> Store:
    store.write_table("events", build_table("events", EVENTS))
    return store


def test_sessionize_splits_on_gaps_longer_than_30_minutes(events_store: Store) -> None:
    out = events_store.to_arrow(sessionize(events_store.table("events"))).to_pylist()
    got = {r["event_id"]: (r["visitor_id"], r["session_no"], r["session_key"]) for r in out}
    assert got == {
        "e1": ("c1", 1, "c1:1"),
        "e2": ("c1", 1, "c1:1"),
        "e3": ("c1", 2, "c1:2"),
        "e4": ("c1", 2, "c1:2"),
        "e5": ("a1", 1, "a1:1"),
        "e6": ("a1", 1, "a1:1"),
        "e7": ("c2", 1, "c2:1"),
        "e8": ("a2", 1, "a2:1"),
        "e9": ("c2", 1, "c2:1"),
        "e10": ("c2", 1, "c2:1"),
        "e11": ("c2", 2, "c2:2"),
        "t1": ("c3", 1, "c3:1"),
        "t2": ("c3", 1, "c3:1"),
        "t3": ("c3", 2, "c3:2"),
    }


def test_sessionize_keeps_every_event_and_column(events_store: Store) -> None:
    events = events_store.table("events")
    out = sessionize(events)
    assert set(events.columns) < set(out.columns)
    assert out.count().execute() == len(EVENTS)


def test_sessionize_uses_a_given_visitor_id_and_needs_no_other_id(events_store: Store) -> None:
    events = events_store.table("events")
    # the visitor id is given (as the journey stream does), the two ids it comes from are not
    given = events.mutate(visitor_id=events.customer_id.fill_null("anon")).drop(
        "customer_id", "anonymous_id"
    )
    out = events_store.to_arrow(sessionize(given)).to_pylist()
    got = {r["event_id"]: r["session_key"] for r in out}
    # e5, e6 and e8 are one visitor now: e8, nine hours after e6, starts its second session
    assert (got["e5"], got["e6"], got["e8"]) == ("anon:1", "anon:1", "anon:2")
    assert (got["e1"], got["e3"], got["t3"]) == ("c1:1", "c1:2", "c3:2")
    assert "customer_id" not in out[0] and "anonymous_id" not in out[0]


@pytest.mark.parametrize("counted", [("odd",), ("odd", "late")], ids=["one", "two"])
def test_running_counts_count_each_flag_apart(
    events_store: Store, counted: tuple[str, ...]
) -> None:
    # the counts share running sums with the session number: none may leak into another
    events = events_store.table("events")
    flags = events.mutate(
        odd=events.event_id.isin(["e1", "e3", "e4", "e9", "t1"]),
        late=events.ts.hour() >= 11,
    )
    out = events_store.to_arrow(sessionize(flags, running_counts=counted)).to_pylist()
    got = {r["event_id"]: (*[r[f"{c}_seq"] for c in counted], r["session_no"]) for r in out}
    odd = {
        "e1": 1,
        "e2": 1,
        "e3": 2,
        "e4": 3,
        "e7": 0,
        "e9": 1,
        "e10": 1,
        "e11": 1,
        "t1": 1,
        "t2": 1,
        "t3": 1,
    }  # fmt: skip  (t1 sorts before t2 at the same instant)
    late = {"e1": 0, "e2": 0, "e3": 1, "e4": 2, "e7": 0, "e9": 0, "e10": 0, "e11": 1,
            "t2": 0, "t1": 0, "t3": 0}  # fmt: skip
    session = {"e1": 1, "e2": 1, "e3": 2, "e4": 2, "e7": 1, "e9": 1, "e10": 1, "e11": 2,
               "t2": 1, "t1": 1, "t3": 2}  # fmt: skip
    for event_id in odd:
        want = (*(odd[event_id], late[event_id])[: len(counted)], session[event_id])
        assert got[event_id] == want, event_id


def test_shorter_gap_makes_more_sessions(events_store: Store) -> None:
    out = events_store.to_arrow(sessionize(events_store.table("events"), gap_minutes=20))
    c1 = sorted(
        (r["event_id"], r["session_no"]) for r in out.to_pylist() if r["visitor_id"] == "c1"
    )
    # 29:59 > 20 minutes now splits e1 from e2
    assert c1 == [("e1", 1), ("e2", 2), ("e3", 3), ("e4", 4)]


@pytest.mark.parametrize("gap", [0, -5, 1.5, True], ids=["zero", "negative", "float", "bool"])
def test_gap_must_be_a_positive_whole_number(events_store: Store, gap: Any) -> None:
    with pytest.raises(ConfigError, match=f"got {gap!r}"):
        sessionize(events_store.table("events"), gap_minutes=gap)


def test_stage_daily_counts_match_hand_computed(events_store: Store) -> None:
    result = stage_daily_counts(events_store.table("events"), STAGES)
    rows = {
        (r["day"].isoformat(), r["stage"]): (r["sessions"], r["visitors"], r["events"])
        for r in events_store.to_arrow(result).to_pylist()
    }
    assert rows == {
        ("2026-01-01", "use"): (1, 1, 2),
        ("2026-01-01", "billing"): (1, 1, 1),
        ("2026-01-01", "help"): (1, 1, 1),
        ("2026-01-01", "visit"): (1, 1, 1),
        ("2026-01-02", "signup"): (1, 1, 1),
        ("2026-01-02", "billing"): (1, 1, 1),  # /account/billing: billing is listed before use
        ("2026-01-02", "use"): (2, 2, 2),
        ("2026-01-02", "other"): (2, 1, 2),  # no page path, and an unmatched path
        ("2026-01-03", "help"): (2, 1, 3),
    }


def test_daily_counts_count_a_midnight_session_on_both_days(events_store: Store) -> None:
    rows = events_store.to_arrow(daily_counts(events_store.table("events"))).to_pylist()
    got = {r["day"].isoformat(): (r["events"], r["sessions"], r["visitors"]) for r in rows}
    # day 1: c1:1 c1:2 a1:1; day 2: a1:1 c2:1 a2:1 c2:2; day 3: c3:1 c3:2
    assert got == {"2026-01-01": (5, 3, 2), "2026-01-02": (6, 4, 3), "2026-01-03": (3, 2, 1)}


def test_days_are_utc_whatever_the_process_time_zone(
    build_table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # 2026-01-01 23:50 UTC is already Jan 2 in Tokyo
    time.tzset()
    try:
        tokyo = open_store("duckdb://")
        tokyo.write_table("events", build_table("events", EVENTS))
        rows = tokyo.to_arrow(daily_counts(tokyo.table("events"))).to_pylist()
    finally:
        monkeypatch.undo()
        time.tzset()
    got = {r["day"].isoformat(): r["events"] for r in rows}
    assert got == {"2026-01-01": 5, "2026-01-02": 6, "2026-01-03": 3}


@pytest.mark.parametrize(
    "path, stage",
    [
        ("/account/billing/payment-method", "billing"),  # before the general /account (use)
        ("/account/plan/change", "renewal"),
        ("/account/profile", "use"),
        ("/app/invoices/new", "use"),
        ("/help/ja/articles/faq-001", "help"),
        ("/setup/bank-link", "setup"),
        ("/", "visit"),  # "/$" is the home page only ...
        ("/zzz", "other"),  # ... not every page
        (None, "other"),
    ],
)
def test_default_stages_put_specific_prefixes_first(
    store: Store, build_table: Any, path: str | None, stage: str
) -> None:
    store.write_table("events", build_table("events", [ev("p", at(5, 1), path, "c9")]))
    t = store.table("events")
    assert t.select(s=assign_stage(t.page_path, DEFAULT_STAGES)).s.execute().tolist() == [stage]


@pytest.mark.parametrize(
    "stages, message",
    [({}, "empty"), ({"use": "/app"}, "got the string '/app'"), ({"use": []}, "has no prefixes")],
    ids=["empty", "string-not-list", "no-prefixes"],
)
def test_bad_stage_mapping_is_a_config_error(
    events_store: Store, stages: Any, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        stage_daily_counts(events_store.table("events"), stages)
