"""Struggle signals on tiny event tables, against hand-computed answers (DuckDB, Spark).

The scenario (journey_scenario.py): every visitor acts out one signal (and its near misses);
times are seconds after T0.
"""

from __future__ import annotations

from typing import Any

import pytest
from journey_scenario import CONTENT, JOURNEY, at, store_scenario, table_rows

from kizuki.analytics.signals import (
    ACTIVITY_SIGNALS,
    SIGNAL_COLUMNS,
    SIGNALS,
    SignalConfig,
    find_struggle_signals,
)
from kizuki.store import Store, open_store


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
