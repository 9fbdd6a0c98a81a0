"""Example sessions of friction points: which sessions, which events, the marked signal event
(hand-made stream and signals)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from kizuki.analytics.friction_examples import EXAMPLE_COLUMNS, friction_examples
from kizuki.errors import ConfigError
from kizuki.store import Store

T0 = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)


def stream_rows(session: str, pages: list[str]) -> list[dict[str, Any]]:
    """One event per entry, a minute apart; ``!`` marks an error event, ``~`` an ignored one."""
    rows = []
    for i, page in enumerate(pages):
        name = "error" if page == "!" else "user_engagement" if page == "~" else "page_view"
        rows.append(
            {
                "event_id": f"{session}-{i:02d}",
                "ts": T0 + dt.timedelta(minutes=i),
                "customer_id": session.split(":")[0],
                "visitor_id": session.split(":")[0],
                "session_key": session,
                "event_name": name,
                "page_path": "/p" if page in "!~" else page,
                "stage": "use",
                "help_kind": None,
                "results_count": None,
                "detail": "Boom" if page == "!" else None,
            }
        )
    return rows


def signal_row(session: str, minute: int, detail: str | None) -> dict[str, Any]:
    return {
        "visitor_id": session.split(":")[0],
        "customer_id": session.split(":")[0],
        "session_key": session,
        "ts": T0 + dt.timedelta(minutes=minute),
        "stage": "use",
        "signal": "error",
        "page_path": "/p",
        "intent": None,
        "page_no": 1,
        "occurrences": 1,
        "detail": detail,
    }


STREAM_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("customer_id", pa.string()),
        ("visitor_id", pa.string()),
        ("session_key", pa.string()),
        ("event_name", pa.string()),
        ("page_path", pa.string()),
        ("stage", pa.string()),
        ("help_kind", pa.string()),
        ("results_count", pa.int64()),
        ("detail", pa.string()),
    ]
)
SIGNAL_SCHEMA = pa.schema(
    [
        ("visitor_id", pa.string()),
        ("customer_id", pa.string()),
        ("session_key", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("stage", pa.string()),
        ("signal", pa.string()),
        ("page_path", pa.string()),
        ("intent", pa.string()),
        ("page_no", pa.int64()),
        ("occurrences", pa.int64()),
        ("detail", pa.string()),
    ]
)
POINT = "use|error|/p|"
SESSIONS = [f"c{i}:1" for i in range(6)]


def write_example_tables(store: Store) -> None:
    long_session = [
        "/start",
        *[f"/s{i}" for i in range(14)],
        "~",
        "!",
        *[f"/t{i}" for i in range(9)],
    ]
    stream = stream_rows(SESSIONS[0], long_session)
    for key in SESSIONS[1:]:
        stream += stream_rows(key, ["/a", "!", "/b"])
    signals = [signal_row(SESSIONS[0], 16, "Boom")]
    # c1 has the background error message: it comes after every session with the wanted one
    signals += [signal_row(k, 1, "Other" if k == "c1:1" else "Boom") for k in SESSIONS[1:]]
    store.write_table("work_journey_events", pa.Table.from_pylist(stream, STREAM_SCHEMA))
    store.write_table("result_signals", pa.Table.from_pylist(signals, SIGNAL_SCHEMA))


def examples_of(
    store: Store, points: dict[str, str | None] | None = None, **options: Any
) -> pd.DataFrame:
    table = friction_examples(
        store.table("result_signals"),
        store.table("work_journey_events"),
        points or {POINT: "Boom", "use|loop|/nowhere|": None},
        **options,
    )
    return store.to_arrow(table).to_pandas()


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # an order, not security


def test_examples_prefer_the_problem_detail_then_a_fixed_hash_order(store: Store) -> None:
    write_example_tables(store)
    out = examples_of(store, per_point=3, ignore_events=["user_engagement"])
    assert tuple(out.columns) == EXAMPLE_COLUMNS
    assert set(out["point_id"]) == {POINT}  # a point without signals has no examples
    chosen = out.drop_duplicates("example_no")["session_key"].tolist()
    wanted = sorted((k for k in SESSIONS if k != "c1:1"), key=md5)[:3]
    assert chosen == wanted
    assert out["example_no"].drop_duplicates().tolist() == [1, 2, 3]


def test_examples_without_a_wanted_detail_follow_the_hash_order(store: Store) -> None:
    write_example_tables(store)
    out = examples_of(store, {POINT: None}, per_point=2)
    assert (
        out.drop_duplicates("example_no")["session_key"].tolist() == sorted(SESSIONS, key=md5)[:2]
    )


def test_examples_show_a_window_around_the_marked_signal_event(store: Store) -> None:
    write_example_tables(store)
    out = examples_of(
        store, per_point=6, max_events=5, lead_events=2, ignore_events=["user_engagement"]
    )
    long = out[out["session_key"] == "c0:1"].sort_values("step")
    # the ignored event is gone; 2 events before the error, then up to 5 in all
    assert long["page_path"].tolist() == ["/s12", "/s13", "/p", "/t0", "/t1"]
    assert long["step"].tolist() == [1, 2, 3, 4, 5]
    assert long["is_signal"].tolist() == [False, False, True, False, False]
    assert long["detail"].tolist()[2] == "Boom"
    assert (long["session_start"] == T0).all()  # the session's first event, not the window's
    short = out[out["session_key"] == "c2:1"].sort_values("step")
    assert short["event_name"].tolist() == ["page_view", "error", "page_view"]
    assert short["is_signal"].tolist() == [False, True, False]


def test_examples_check_their_sizes(store: Store) -> None:
    write_example_tables(store)
    with pytest.raises(ConfigError, match="got 0, 20, 12"):
        examples_of(store, per_point=0)
