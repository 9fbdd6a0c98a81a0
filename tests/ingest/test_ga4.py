"""GA4 export rows (Parquet and NDJSON) → events + searches, as docs/data-formats.md says."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kizuki.errors import IngestError
from kizuki.ingest import ingest_files
from kizuki.store import Store, open_store

Query = Callable[[Store, str], list[tuple[Any, ...]]]
T0 = 1_795_305_900_000_000  # 2026-11-22T00:05:00Z in microseconds


def _rows(ga4_event: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        ga4_event(
            T0,
            "page_view",
            "u1.1",
            user_id="cust-1",
            params={
                "ga_session_id": 1700,
                "page_location": "https://shop.example.jp/help/login?utm=x#top",
                "page_title": "ログインできない",
                "page_referrer": "https://www.google.com/",
                "engagement_time_msec": 1200,
                "content_id": "faq-12",
                "ratio": 0.5,
            },
        ),
        ga4_event(
            T0 + 1_000_000,
            "view_search_results",
            "u1.1",
            params={
                "ga_session_id": 1700,
                "page_location": "https://shop.example.jp/search",
                "search_term": "パスワード 090-1234-5678",
                "results_count": 0,
                "language": "ja",
            },
        ),
        ga4_event(T0 + 2_000_000, "page_view", None, params={"ga_session_id": 1}),
        ga4_event(None, "page_view", "u2.2"),
        ga4_event(1_795_305_900, "page_view", "u2.2"),  # seconds, not micros
        ga4_event(T0 + 3_000_000, None, "u2.2"),
        ga4_event(T0, "page_view", "u1.1", user_id="cust-1"),  # same key as row 1
    ]


def _event_id(user: str, ts: int, name: str, seq: int = 1, index: int = 0) -> str:
    return hashlib.md5(f"{user}|{ts}|{name}|{seq}|{index}".encode()).hexdigest()[:20]


def _check(store: Store, query: Query, results: list[Any], first_quarantine_row: str) -> None:
    (r,) = results
    assert (r.rows_in, r.rows_loaded, r.rows_duplicate, r.rows_quarantined) == (8, 2, 1, 5)
    assert r.derived == {"searches": 1}
    assert "(+ 1 searches)" in r.summary()
    events = query(
        store,
        "SELECT event_id, ts::VARCHAR, customer_id, anonymous_id, session_id, event_name, "
        "page_path, page_title, referrer, device, properties FROM events ORDER BY ts",
    )
    assert events[0] == (
        _event_id("u1.1", T0, "page_view"),
        "2026-11-22 00:05:00+00",
        "cust-1",
        "u1.1",
        "u1.1.1700",
        "page_view",
        "/help/login",
        "ログインできない",
        "https://www.google.com/",
        "mobile",
        events[0][10],
    )
    assert json.loads(events[0][10]) == {
        "engagement_time_msec": 1200,
        "content_id": "faq-12",
        "ratio": 0.5,
    }
    assert events[1][6] == "/search"
    assert "search_term" not in json.loads(events[1][10])  # the raw query stays out of events
    assert query(
        store,
        "SELECT search_id, ts::VARCHAR, anonymous_id, session_id, query, language, results_count "
        "FROM searches",
    ) == [
        (
            _event_id("u1.1", T0 + 1_000_000, "view_search_results"),
            "2026-11-22 00:05:01+00",
            "u1.1",
            "u1.1.1700",
            "パスワード <PHONE>",
            "ja",
            0,
        )
    ]
    reasons = query(store, "SELECT source_row, reason FROM quarantine ORDER BY source_row")
    assert reasons == [
        (3, first_quarantine_row),
        (4, "user_pseudo_id is missing"),
        (5, "event_timestamp is missing or not an integer"),
        (6, "event_timestamp 1795305900 is not microseconds since the epoch between 2000 and 2100"),
        (7, "event_name is missing"),
    ]


def test_ga4_parquet(
    store: Store,
    tmp_path: Path,
    query: Query,
    write_ga4_parquet: Callable[..., None],
    ga4_row: Callable[..., dict[str, Any]],
) -> None:
    rows = _rows(ga4_row)
    rows.insert(2, ga4_row(T0 + 5, "page_view", ""))  # an empty id is missing too
    f = tmp_path / "events.parquet"
    write_ga4_parquet(f, rows)
    results = ingest_files(store, "ga4", [f], batch_rows=3)
    _check(store, query, results, "user_pseudo_id is missing")
    raw = query(store, "SELECT raw FROM quarantine WHERE source_row = 6")[0][0]
    assert json.loads(raw)["event_timestamp"] == 1_795_305_900


def test_ga4_ndjson_with_string_int64s_and_malformed_lines(
    store: Store,
    tmp_path: Path,
    query: Query,
    write_ga4_ndjson: Callable[..., None],
    ga4_row: Callable[..., dict[str, Any]],
) -> None:
    rows: list[Any] = _rows(ga4_row)
    rows.insert(
        2,
        '{"event_timestamp": "17953059',
    )
    f = tmp_path / "events.jsonl"
    write_ga4_ndjson(f, rows)
    assert '"event_timestamp": "1795305900000000"' in f.read_text(encoding="utf-8")
    results = ingest_files(store, "ga4", [f], batch_rows=2)
    _check(store, query, results, "line is not valid JSON")
    assert query(store, "SELECT raw FROM quarantine WHERE source_row = 3") == [
        ('{"event_timestamp": "17953059',)
    ]


def test_parquet_and_ndjson_give_the_same_events(
    tmp_path: Path,
    query: Query,
    write_ga4_parquet: Callable[..., None],
    write_ga4_ndjson: Callable[..., None],
    ga4_row: Callable[..., dict[str, Any]],
) -> None:
    rows = _rows(ga4_row)
    write_ga4_parquet(tmp_path / "e.parquet", rows)
    write_ga4_ndjson(tmp_path / "e.jsonl", rows)
    got = []
    for name in ("e.parquet", "e.jsonl"):
        s = open_store("duckdb://")
        ingest_files(s, "ga4", [tmp_path / name])
        got.append(query(s, "SELECT * EXCLUDE (batch_id, ts) FROM events ORDER BY event_id"))
        s.close()
    assert got[0] == got[1]


def test_a_parquet_file_that_is_not_ga4_is_refused(store: Store, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    f = tmp_path / "x.parquet"
    pq.write_table(pa.table({"a": [1]}), f)
    with pytest.raises(IngestError, match=r"not a GA4 export.*event_timestamp.*columns found: a"):
        ingest_files(store, "ga4", [f])


@pytest.mark.parametrize(
    ("location", "path"),
    [
        ("https://shop.example.jp/help/login?utm=x#top", "/help/login"),
        ("https://shop.example.jp?next=/a/b", "/"),
        ("https://shop.example.jp/#/frag", "/"),
        ("http://shop.example.jp", "/"),
        ("https://", "/"),
        ("https://例え.jp/ヘルプ/ログイン?q=1", "/ヘルプ/ログイン"),
        ("HTTPS://shop.example.jp/p", "/p"),
        ("ftp://files.example.jp/a/b#c", "/a/b"),
        ("/relative/path?x#y", "/relative/path"),
        ("http:/not-a-url", "http:/not-a-url"),
        ("mailto:help@example.jp", "mailto:help@example.jp"),
        ("", "/"),
        ("?only=query", "/"),
    ],
)
def test_page_path_is_the_path_of_page_location(
    store: Store,
    tmp_path: Path,
    query: Query,
    write_ga4_parquet: Callable[..., None],
    ga4_row: Callable[..., dict[str, Any]],
    location: str,
    path: str,
) -> None:
    f = tmp_path / "events.parquet"
    write_ga4_parquet(f, [ga4_row(T0, "page_view", params={"page_location": location})])
    ingest_files(store, "ga4", [f])
    assert query(store, "SELECT page_path FROM events") == [(path,)]


def test_parquet_chunks_are_whole_row_groups_and_resume_after_one(
    store: Store,
    tmp_path: Path,
    query: Query,
    write_ga4_parquet: Callable[..., None],
    ga4_row: Callable[..., dict[str, Any]],
) -> None:
    import pyarrow.parquet as pq

    from kizuki.ingest import tabular
    from kizuki.ingest.connector import Resume
    from kizuki.ingest.ga4 import GA4Connector

    rows = [ga4_row(T0 + i, "page_view", f"u{i % 7}.1", seq=i) for i in range(50)]
    rows[31] = ga4_row(None, "page_view", "u1.1", seq=31)  # quarantined
    rows[44] = rows[3]  # a duplicate of a row in an earlier chunk
    f = tmp_path / "events.parquet"
    write_ga4_parquet(f, rows)
    pq.write_table(pq.read_table(f), f, row_group_size=10)
    saved = tabular.PARQUET_CHUNK_ROWS
    tabular.PARQUET_CHUNK_ROWS = 1
    try:
        connector = GA4Connector(f, batch_rows=25)
        assert [c.last_row for c in connector.chunks(Resume())] == [20, 40, 50]
        assert [c.last_row for c in connector.chunks(Resume(20))] == [40, 50]
        (r,) = ingest_files(store, "ga4", [f], batch_rows=25)
    finally:
        tabular.PARQUET_CHUNK_ROWS = saved
    assert (r.rows_in, r.rows_loaded, r.rows_duplicate, r.rows_quarantined) == (50, 48, 1, 1)
    assert query(store, "SELECT source_row, reason FROM quarantine") == [
        (32, "event_timestamp is missing or not an integer")
    ]


def test_a_chunk_whose_quarantine_redaction_fails_is_rolled_back_whole(
    store: Store,
    tmp_path: Path,
    checksums: Callable[[Store], dict[str, tuple[int, str]]],
    write_ga4_parquet: Callable[..., None],
    ga4_row: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The raw text of rejected rows is redacted in a thread beside the chunk's INSERT."""
    import pyarrow.parquet as pq

    from kizuki.ingest import pipeline, tabular

    rows = [ga4_row(T0 + i, "page_view", f"u{i % 7}.1", seq=i) for i in range(40)]
    for i in (4, 17, 33):  # one rejected row in each of three chunks
        rows[i] = ga4_row(None, "page_view", "u1.1", seq=i)
    f = tmp_path / "events.parquet"
    write_ga4_parquet(f, rows)
    pq.write_table(pq.read_table(f), f, row_group_size=15)
    monkeypatch.setattr(tabular, "PARQUET_CHUNK_ROWS", 1)
    redact = pipeline._redactor()
    calls = []

    def fail_on_second(raw: Any, **kw: Any) -> Any:
        calls.append(len(raw))
        if len(calls) == 2:
            raise RuntimeError("redactor failed")
        return redact(raw, **kw)

    monkeypatch.setattr(pipeline, "_redactor", lambda: fail_on_second)
    with pytest.raises(RuntimeError, match="redactor failed"):
        ingest_files(store, "ga4", [f], batch_rows=15)
    done = store.duckdb.execute("SELECT last_row, rows_in FROM ingest_progress").fetchall()
    assert done == [(15, 15)]  # the first chunk only: nothing of the second was written
    assert checksums(store)["events"][0] == 14
    assert checksums(store)["quarantine"][0] == 1
    (r,) = ingest_files(store, "ga4", [f], batch_rows=15)  # resumes after the first chunk
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (40, 37, 3)
    fresh = open_store("duckdb://")
    monkeypatch.setattr(pipeline, "_redactor", lambda: redact)
    ingest_files(fresh, "ga4", [f], batch_rows=15)
    assert checksums(store) == checksums(fresh)
