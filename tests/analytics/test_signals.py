"""Struggle signals on tiny event tables, against hand-computed answers (DuckDB).

Every visitor below acts out one signal (and its near misses); times are seconds after T0.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from kizuki.analytics.signals import (
    ACTIVITY_SIGNALS,
    SIGNAL_COLUMNS,
    SIGNALS,
    SignalConfig,
    find_struggle_signals,
    journey_events,
)
from kizuki.journey import Journey
from kizuki.schema import arrow_schema
from kizuki.store import Store, open_store

T0 = dt.datetime(2026, 4, 6, 9, 0, tzinfo=dt.UTC)

JOURNEY = Journey.model_validate(
    {
        "name": "t",
        "page_view_events": ["page_view"],
        "stages": [
            {
                "name": "signup",
                "pages": ["/signup"],
                "start_pages": ["/signup$"],
                "flow_pages": ["/signup"],
                "goal_events": ["sign_up"],
            },
            {"name": "use", "pages": ["/app"]},
        ],
        "help": {
            "content_pages": ["/help/articles/*"],
            "search_pages": ["/help/search"],
            "search_events": ["view_search_results"],
            "chatbot_events": ["chatbot_open"],
        },
        "errors": {"events": ["error"], "pages": ["/404"]},
        "rage_click_events": ["rage_click"],
        "intents": {"billing_q": ["invoice"]},
    }
)

CONTENT = [
    {"content_id": "k1", "kind": "faq", "title": "Invoices", "intents": '["billing_q"]',
     "url": "https://x.example/help/articles/1?x=1"},
    {"content_id": "k2", "kind": "faq", "title": "Login", "intents": '["login", "other"]',
     "url": "https://x.example/help/articles/2"},
]  # fmt: skip


class Events:
    """Builds event rows: ``add(visitor, second, name, page)``; ids count up per visitor."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.count: dict[str, int] = {}

    def add(self, visitor: str, second: float, name: str, page: str | None, *,
            anonymous: bool = False, event_id: str | None = None, properties: str | None = None,
            ) -> None:  # fmt: skip
        n = self.count.get(visitor, 0)
        self.count[visitor] = n + 1
        self.rows.append(
            {
                "event_id": event_id or f"{visitor}-{n:03d}",
                "ts": T0 + dt.timedelta(seconds=second),
                "customer_id": None if anonymous else visitor,
                "anonymous_id": visitor if anonymous else f"anon-{visitor}",
                "event_name": name,
                "page_path": page,
                "properties": properties,
            }
        )

    def pages(self, visitor: str, start: float, *steps: tuple[float, str]) -> None:
        for second, page in steps:
            self.add(visitor, start + second, "page_view", page)


def table_rows(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Canonical table ``name`` (all columns nullable; missing ones NULL)."""
    schema = pa.schema([f.with_nullable(True) for f in arrow_schema(name, with_batch_id=False)])
    return pa.Table.from_pylist(rows, schema=schema)


def at(second: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=second)


def search(sid: str, second: float, query: str, results: int, clicked: str | None = None
           ) -> dict[str, Any]:  # fmt: skip
    return {"search_id": sid, "ts": at(second), "customer_id": "c-s", "query": query,
            "results_count": results, "clicked_content_id": clicked}  # fmt: skip


def scenario() -> tuple[Events, list[dict[str, Any]]]:
    e = Events()
    # errors: an error event on a page, an error page after another page, and an anonymous
    # error on a help page before any journey page
    e.pages("c-err", 0, (0, "/app/a"))
    e.add("c-err", 10, "error", "/app/a", properties='{"n": 1, "error_message": "Boom \\"x\\""}')
    e.pages("c-err", 0, (15, "/app/b"), (20, "/404"))
    e.add("a-err", 0, "error", "/help/articles/9", anonymous=True)
    # loops: 3 views within exactly 300 s; 3 views 301 s apart (no); 4 views in 30 s
    e.pages("c-loop", 0, (0, "/app/l"), (100, "/app/l"), (300, "/app/l"))
    e.pages("c-loop", 4000, (0, "/app/l"), (100, "/app/l"), (301, "/app/l"))
    e.pages("c-loop", 9000, (0, "/app/m"), (10, "/app/m"), (20, "/app/m"), (30, "/app/m"))
    # a revisit with other pages between is no loop (loop_consecutive); a reload with a
    # non-page event between the views is
    e.pages("c-rev", 0, (0, "/app/n"), (10, "/app/o"), (20, "/app/n"), (30, "/app/p"),
            (40, "/app/n"))  # fmt: skip
    e.pages("c-rev", 4000, (0, "/app/n"), (10, "/app/n"))
    e.add("c-rev", 4015, "click", "/app/n")
    e.pages("c-rev", 4000, (20, "/app/n"))
    # searches: see SEARCHES
    e.pages("c-s", 0, (0, "/app/x"))
    for i, second in enumerate((10, 70, 131, 150)):
        e.add("c-s", second, "view_search_results", "/help/search", event_id=f"s{i + 1}")
    e.pages("c-s", 0, (200, "/app/x"))
    # help content: 3 views then exit; 2 views then back to the app; help then a goal;
    # a help view with no journey page before it
    e.pages("c-h", 0, (0, "/app/y"), (10, "/help/articles/1"), (20, "/help/articles/2"),
            (30, "/help/articles/1"))  # fmt: skip
    e.pages("c-h", 5000, (0, "/app/y"), (10, "/help/articles/2"), (20, "/help/articles/1"),
            (30, "/app/z"))  # fmt: skip
    e.pages("c-h", 10000, (0, "/app/y"), (10, "/help/articles/2"))
    e.add("c-h", 10020, "sign_up", None)
    e.pages("c-h", 15000, (0, "/help/articles/2"))
    # flows: left at the second page; finished; a goal before the start does not count
    e.pages("c-f1", 0, (0, "/signup"), (10, "/signup/details"))
    e.pages("c-f2", 0, (0, "/signup"), (10, "/signup/details"))
    e.add("c-f2", 20, "sign_up", "/signup/details")
    e.add("c-f3", 0, "sign_up", None)
    e.pages("c-f3", 0, (10, "/signup"))
    # rage clicks
    e.pages("c-r", 0, (0, "/app/r"))
    e.add("c-r", 5, "rage_click", "/app/r")
    e.add("c-r", 7, "chatbot_open", "/app/r")  # self-service activity, no struggle
    # dwell: 21 timed views of /app/d (10..29 s and 200 s), of /app/q (1..20 s and 50 s),
    # and 19 of /app/s (1..18 s and 500 s)
    for page, dwells in (
        ("/app/d", [*range(10, 30), 200]),
        ("/app/q", [*range(1, 21), 50]),
        ("/app/s", [*range(1, 19), 500]),
    ):
        for i, dwell in enumerate(dwells):
            visitor = f"d{page[-1]}{i:02d}"
            e.pages(visitor, 0, (0, page), (dwell, "/app/end"))
    searches = [
        search("s1", 10, "Invoice help", 0),
        search("s2", 70, "invoice pdf", 3),
        search("s3", 131, "password", 5),
        search("s4", 150, " PASSWORD ", 0),
        # a search the events do not have (another source), in a session of its own
        search("so1", 10000, "invoice", 0),
        # a clicked article's intent beats the keywords
        search("so2", 10010, "invoice", 0, clicked="k2"),
    ]
    return e, searches


def store_scenario(store: Store, build_table: Any) -> None:
    """Write the scenario's events and searches into ``store``."""
    events, searches = scenario()
    store.write_table("events", build_table("events", events.rows))
    store.write_table("searches", build_table("searches", searches))


@pytest.fixture(scope="module")
def signals() -> list[dict[str, Any]]:
    store = open_store("duckdb://")
    store_scenario(store, table_rows)
    store.write_table("content", table_rows("content", CONTENT))
    out = find_struggle_signals(
        store.table("events"), store.table("searches"), JOURNEY, content=store.table("content")
    )
    assert out.columns == SIGNAL_COLUMNS
    return store.to_arrow(out).to_pylist()


def rows_of(signals: list[dict[str, Any]], signal: str) -> set[tuple[Any, ...]]:
    """(session_key, stage, page_path, intent, ts, occurrences) of one signal."""
    return {
        (r["session_key"], r["stage"], r["page_path"], r["intent"], r["ts"], r["occurrences"])
        for r in signals
        if r["signal"] == signal
    }


def test_error_events_and_error_pages(signals: list[dict[str, Any]]) -> None:
    assert rows_of(signals, "error") == {
        ("c-err:1", "use", "/app/a", None, at(10), 1),  # the event's own page
        ("c-err:1", "use", "/app/b", None, at(20), 1),  # /404 counts at the page before it
        ("a-err:1", "help", "/help/articles/9", None, at(0), 1),  # no journey page before it
    }
    details = {r["page_path"]: r["detail"] for r in signals if r["signal"] == "error"}
    assert details == {"/app/a": 'Boom \\"x\\"', "/app/b": None, "/help/articles/9": None}
    anonymous = [r for r in signals if r["visitor_id"] == "a-err"]
    assert [r["customer_id"] for r in anonymous] == [None]


def test_loops_need_the_views_within_the_window(signals: list[dict[str, Any]]) -> None:
    # 0/100/300 s is a loop (the window is inclusive); 0/100/301 s is not; 4 quick views
    # are one signal that occurred twice; views of one page must follow one another
    assert rows_of(signals, "loop") == {
        ("c-loop:1", "use", "/app/l", None, at(300), 1),
        ("c-loop:3", "use", "/app/m", None, at(9020), 2),
        ("c-rev:2", "use", "/app/n", None, at(4020), 1),
    }


def test_any_revisit_is_a_loop_when_views_need_not_follow_one_another(
    store: Store, build_table: Any
) -> None:
    store_scenario(store, build_table)
    config = SignalConfig(loop_consecutive=False, signals=("loop",))
    out = find_struggle_signals(store.table("events"), store.table("searches"), JOURNEY, config)
    assert {r[0] for r in rows_of(store.to_arrow(out).to_pylist(), "loop")} == {
        "c-loop:1",
        "c-loop:3",
        "c-rev:1",
        "c-rev:2",
    }


def test_zero_result_searches_land_on_the_context_page_with_their_intent(
    signals: list[dict[str, Any]],
) -> None:
    assert rows_of(signals, "zero_result_search") == {
        ("c-s:1", "use", "/app/x", "billing_q", at(10), 1),  # keyword "invoice"
        ("c-s:1", "use", "/app/x", None, at(150), 1),  # no keyword: no intent
        ("c-s:2", "help", None, "billing_q", at(10000), 1),  # a search-only row
        ("c-s:2", "help", None, "login", at(10010), 1),  # the clicked article's intent
    }
    queries = {(r["session_key"], r["intent"]): r["detail"] for r in signals
               if r["signal"] == "zero_result_search"}  # fmt: skip
    assert queries[("c-s:1", "billing_q")] == "Invoice help"


def test_reformulations_are_different_queries_within_60_seconds(
    signals: list[dict[str, Any]],
) -> None:
    # s2 60 s after s1 with another query: yes; s3 61 s after s2: no; s4 is s3 again
    # (case and spaces aside): no; so2 is the same query as so1: no
    assert rows_of(signals, "search_reformulation") == {
        ("c-s:1", "use", "/app/x", "billing_q", at(70), 1)
    }


def test_repeated_help_views_count_from_the_third_view(signals: list[dict[str, Any]]) -> None:
    assert rows_of(signals, "repeated_help_views") == {
        ("c-h:1", "use", "/app/y", "billing_q", at(30), 1)
    }


def test_help_exit_is_a_last_page_on_help_without_a_later_goal(
    signals: list[dict[str, Any]],
) -> None:
    assert rows_of(signals, "help_exit") == {
        ("c-h:1", "use", "/app/y", "billing_q", at(30), 1),  # article 1 (URL query ignored)
        ("c-h:4", "help", "/help/articles/2", "login", at(15000), 1),  # the first intent
    }


def test_unfinished_flows_are_starts_without_a_later_goal(signals: list[dict[str, Any]]) -> None:
    assert rows_of(signals, "unfinished_flow") == {
        ("c-f1:1", "signup", "/signup/details", None, at(0), 1),  # left at the last flow page
        ("c-f3:1", "signup", "/signup", None, at(10), 1),  # the goal came before the start
    }


def test_rage_clicks(signals: list[dict[str, Any]]) -> None:
    assert rows_of(signals, "rage_click") == {("c-r:1", "use", "/app/r", None, at(5), 1)}


def test_long_dwell_is_above_the_pages_95th_percent_rank(signals: list[dict[str, Any]]) -> None:
    # /app/d: 200 s has percent rank 1.0 (flagged); 29 s has exactly 0.95 (not flagged).
    # /app/q: its longest view (50 s) is under 60 s. /app/s: 19 timed views are too few.
    assert rows_of(signals, "long_dwell") == {("dd20:1", "use", "/app/d", None, at(0), 1)}


def test_page_no_is_the_signals_position_in_the_session(signals: list[dict[str, Any]]) -> None:
    by_key = {(r["session_key"], r["signal"], r["page_path"]): r["page_no"] for r in signals}
    assert by_key[("c-err:1", "error", "/app/a")] == 1
    assert by_key[("c-err:1", "error", "/app/b")] == 3  # the /404 view is page 3
    assert by_key[("c-loop:3", "loop", "/app/m")] == 3
    assert by_key[("c-f1:1", "unfinished_flow", "/signup/details")] == 2


def test_thresholds_come_from_the_config(store: Store, build_table: Any) -> None:
    store_scenario(store, build_table)
    config = SignalConfig(
        loop_window_seconds=301, reformulation_seconds=61, help_views_min=2, signals=(
            "loop", "search_reformulation", "repeated_help_views"))  # fmt: skip
    out = find_struggle_signals(store.table("events"), store.table("searches"), JOURNEY, config)
    rows = store.to_arrow(out).to_pylist()
    assert {r["signal"] for r in rows} == {"loop", "search_reformulation", "repeated_help_views"}
    assert ("c-loop:2", "use", "/app/l", None, at(4301), 1) in rows_of(rows, "loop")
    assert len(rows_of(rows, "search_reformulation")) == 2  # s3 now counts
    assert {r[0] for r in rows_of(rows, "repeated_help_views")} == {"c-h:1", "c-h:2"}


def test_bad_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="loop_min_views"):
        SignalConfig(loop_min_views=1)
    with pytest.raises(ValueError, match="dwell_quantile"):
        SignalConfig(dwell_quantile=1.0)
    with pytest.raises(ValueError, match="signals"):
        SignalConfig(signals=("typo",))  # type: ignore[arg-type]


def test_every_signal_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "journey.md").read_text(encoding="utf-8")
    for name in (*SIGNALS, *ACTIVITY_SIGNALS):
        assert f"`{name}`" in doc, name
    for field in SignalConfig.model_fields:
        assert f"`{field}`" in doc, field


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
    from kizuki.analytics.sessions import sessionize

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
    from kizuki.analytics.signals import materialized, signals_from_events

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


@pytest.mark.spark
def test_the_hand_made_signals_are_the_same_on_spark(
    signals: list[dict[str, Any]], spark_store: Store
) -> None:
    events, searches = scenario()
    for name, rows in (("events", events.rows), ("searches", searches), ("content", CONTENT)):
        spark_store.write_table(f"sg_{name}", table_rows(name, rows))
    t = {name: spark_store.table(f"sg_{name}") for name in ("events", "searches", "content")}
    out = find_struggle_signals(t["events"], t["searches"], JOURNEY, content=t["content"])
    got = spark_store.to_arrow(out).to_pylist()
    for row in got:  # Spark returns naive UTC timestamps
        row["ts"] = row["ts"].replace(tzinfo=dt.UTC)

    def key(r: dict[str, Any]) -> str:
        return str(sorted(r.items()))

    assert sorted(got, key=key) == sorted(signals, key=key)
    assert {r["signal"] for r in got} == set(SIGNALS)  # the scenario has all nine


def test_activity_signals_are_found_only_when_asked_for(store: Store, build_table: Any) -> None:
    store_scenario(store, build_table)
    tables = (store.table("events"), store.table("searches"), JOURNEY)
    config = SignalConfig(signals=ACTIVITY_SIGNALS)
    rows = store.to_arrow(find_struggle_signals(*tables, config)).to_pylist()
    assert rows_of(rows, "help_search") == {
        ("c-s:1", "use", "/app/x", "billing_q", at(10), 2),
        ("c-s:1", "use", "/app/x", None, at(131), 2),
        # without the content table the clicked article's intent is unknown: keywords decide
        ("c-s:2", "help", None, "billing_q", at(10000), 2),
    }
    assert rows_of(rows, "chatbot") == {("c-r:1", "use", "/app/r", None, at(7), 1)}
    default = store.to_arrow(find_struggle_signals(*tables)).to_pylist()
    assert not {r["signal"] for r in default} & set(ACTIVITY_SIGNALS)
