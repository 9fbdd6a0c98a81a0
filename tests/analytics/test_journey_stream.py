"""The journey event stream: sessions, running page numbers, help annotation, caching.

Oracles: the hand-made scenario of journey_scenario.py, its answers worked out by hand.
"""

from __future__ import annotations

from typing import Any

from journey_scenario import CONTENT, JOURNEY, at, scenario, store_scenario

from kizuki.analytics.journey_stream import journey_events, materialized
from kizuki.analytics.sessions import sessionize
from kizuki.analytics.signals import signals_from_events
from kizuki.store import Store


def test_journey_events_annotates_without_signals(store: Store, build_table: Any) -> None:
    events, _ = scenario()
    store.write_table("events", build_table("events", events.rows))
    store.write_table("content", build_table("content", CONTENT))
    stream = journey_events(store.table("events"), None, JOURNEY, content=store.table("content"))
    rows = store.to_arrow(stream.filter(stream.session_key == "c-h:2")).to_pylist()
    rows.sort(key=lambda r: r["ts"])
    # the visitor's ordinals go on from session 1 (4 page views, 1 journey row)
    assert [(r["page_seq"], r["journey_seq"], r["help_kind"], r["intent"]) for r in rows] == [
        (5, 2, None, None),
        (6, 2, "content", "login"),
        (7, 2, "content", "billing_q"),
        (8, 3, None, None),
    ]


def test_sessions_can_also_split_where_the_source_session_id_changes(
    store: Store, build_table: Any
) -> None:
    rows = [
        {"event_id": f"e{i}", "ts": at(60 * i), "customer_id": "c1", "session_id": sid,
         "event_name": "page_view", "page_path": "/app"}
        for i, sid in enumerate(["g1", None, "g1", "g2", None])  # NULL never splits
    ]  # fmt: skip
    store.write_table("events", build_table("events", rows))
    for use_id, expected in ((False, [1, 1, 1, 1, 1]), (True, [1, 1, 1, 2, 2])):
        out = store.to_arrow(sessionize(store.table("events"), use_session_id=use_id))
        got = sorted((r["event_id"], r["session_no"]) for r in out.to_pylist())
        assert [n for _, n in got] == expected, use_id


def test_a_lazy_stream_is_cached_once_and_gives_the_stored_answer(
    store: Store, build_table: Any
) -> None:
    store_scenario(store, build_table)
    lazy = journey_events(store.table("events"), store.table("searches"), JOURNEY)
    assert materialized(store.table("events")).equals(store.table("events"))
    cached = materialized(lazy)
    assert cached is not lazy and materialized(cached).equals(cached)
    store.write_table("stream", lazy)
    got = [
        sorted(store.to_arrow(signals_from_events(s, JOURNEY)).to_pylist(), key=str)
        for s in (lazy, store.table("stream"))
    ]
    assert got[0] == got[1]
    assert len(got[0]) > 15
