"""The GA4 export has the documented schema, realistic content and exactly the planted defects."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from kizuki.simulate import SimResult
from kizuki.simulate.ga4_arrow import GA4_SCHEMA


def _sql(sim: SimResult, query: str) -> list[tuple[Any, ...]]:
    path = str(sim.ga4_file).replace("'", "''")
    con = duckdb.connect()
    try:
        return con.execute(query.replace("EVENTS", f"read_parquet('{path}')")).fetchall()
    finally:
        con.close()


def _malformed(sim: SimResult) -> dict[str, Any]:
    data = json.loads((sim.ground_truth_dir / "malformed.json").read_text(encoding="utf-8"))
    return data  # type: ignore[no-any-return]


def test_schema_is_the_documented_one(small_sim: SimResult) -> None:
    schema = pq.read_schema(small_sim.ga4_file)
    assert schema.equals(GA4_SCHEMA)
    names = [f.name for f in schema]
    for field in (
        "event_date",
        "event_timestamp",
        "event_name",
        "event_params",
        "event_bundle_sequence_id",
        "batch_event_index",
        "user_id",
        "user_pseudo_id",
        "user_properties",
        "device",
        "geo",
        "platform",
    ):
        assert field in names


def test_row_count_matches_the_result(small_sim: SimResult) -> None:
    assert pq.read_metadata(small_sim.ga4_file).num_rows == small_sim.n_events


def test_events_carry_the_documented_parameters(small_sim: SimResult) -> None:
    rows = _sql(
        small_sim,
        """SELECT event_name, p.key, count(*) FROM (SELECT event_name, unnest(event_params) p
           FROM EVENTS WHERE event_name IS NOT NULL) GROUP BY ALL""",
    )
    keys: dict[str, set[str]] = {}
    for name, key, _ in rows:
        keys.setdefault(name, set()).add(key)
    for name in ("page_view", "session_start", "error", "view_search_results", "user_engagement"):
        assert {"ga_session_id", "page_location", "page_title"} <= keys[name], name
    assert {"search_term", "results_count", "language"} <= keys["view_search_results"]
    assert "error_message" in keys["error"]
    assert "content_id" in keys["page_view"]
    assert "engagement_time_msec" in keys["user_engagement"]
    for goal in ("sign_up", "setup_complete", "invoice_create"):
        assert goal in keys


def test_page_locations_are_full_urls_and_timestamps_in_the_window(small_sim: SimResult) -> None:
    [(bad_urls,)] = _sql(
        small_sim,
        """SELECT count(*) FROM (SELECT unnest(event_params) p FROM EVENTS)
           WHERE p.key = 'page_location' AND p.value.string_value NOT LIKE 'https://%/%'""",
    )
    assert bad_urls == 0
    [(lo, hi, dates)] = _sql(
        small_sim,
        "SELECT min(event_timestamp), max(event_timestamp), count(DISTINCT event_date) FROM EVENTS",
    )
    jst = dt.timezone(dt.timedelta(hours=9))
    start = dt.datetime(2026, 10, 2, tzinfo=jst).timestamp() * 1e6
    end = dt.datetime(2026, 11, 1, 1, tzinfo=jst).timestamp() * 1e6  # a late session may run on
    assert start <= lo < hi < end
    assert 28 <= dates <= 32


def test_zero_result_searches_for_intents_without_help_content(small_sim: SimResult) -> None:
    rows = _sql(
        small_sim,
        """SELECT list_filter(event_params, x -> x.key = 'search_term')[1].value.string_value t,
                  list_filter(event_params, x -> x.key = 'results_count')[1].value.int_value n
           FROM EVENTS WHERE event_name = 'view_search_results'""",
    )
    csv_terms = {
        "CSV 取り込み 文字化け",
        "CSV インポート エラー",
        "取込 失敗",
        "ｃｓｖ 読み込めない",
        "csv import error",
        "csv garbled characters",
        "import failed",
    }
    csv_counts = [n for t, n in rows if t in csv_terms]
    assert csv_counts and all(n == 0 for n in csv_counts)
    assert any(n > 0 for _, n in rows)


def test_sessions_follow_a_japanese_business_week(medium_sim: SimResult) -> None:
    rows = dict(
        _sql(
            medium_sim,
            """SELECT isodow(make_timestamp(event_timestamp) + INTERVAL 9 HOUR), count(*)
               FROM EVENTS WHERE event_name = 'session_start' GROUP BY 1""",
        )
    )
    weekday = sum(rows[d] for d in range(1, 6)) / 5
    assert rows[6] < 0.6 * weekday and rows[7] < 0.6 * weekday
    hours = dict(
        _sql(
            medium_sim,
            """SELECT hour(make_timestamp(event_timestamp) + INTERVAL 9 HOUR), count(*)
               FROM EVENTS WHERE event_name = 'session_start' GROUP BY 1""",
        )
    )
    assert hours[10] > 5 * hours[3]


def test_planted_defects_are_exactly_as_recorded(small_sim: SimResult) -> None:
    info = _malformed(small_sim)["ga4/events.parquet"]
    [(rows, no_ts, no_ids, no_name)] = _sql(
        small_sim,
        """SELECT count(*), count(*) FILTER (event_timestamp IS NULL),
                  count(*) FILTER (user_pseudo_id IS NULL AND user_id IS NULL),
                  count(*) FILTER (event_name IS NULL) FROM EVENTS""",
    )
    assert rows == info["rows"]
    bad = info["malformed"]
    assert (no_ts, no_ids, no_name) == (
        bad["missing_event_timestamp"],
        bad["missing_user_ids"],
        bad["missing_event_name"],
    )
    assert 0.001 <= info["malformed_total"] / rows <= 0.005
    [(valid, distinct)] = _sql(
        small_sim,
        """SELECT count(*), count(DISTINCT (user_pseudo_id, event_timestamp, event_name,
                  event_bundle_sequence_id, batch_event_index))
           FROM EVENTS WHERE event_timestamp IS NOT NULL AND event_name IS NOT NULL
           AND user_pseudo_id IS NOT NULL""",
    )
    assert valid - distinct == info["duplicates"] >= 1
    assert info["valid_unique_rows"] == distinct


@pytest.mark.parametrize("fmt", ["jsonl"])
def test_jsonl_export_has_truncated_lines(tmp_path: Any, fmt: str) -> None:
    from kizuki.simulate import load_config, simulate_company

    sim = simulate_company(
        load_config(None, customers=200, days=14, seed=5), tmp_path, ga4_format=fmt
    )  # type: ignore[arg-type]
    assert sim.ga4_file.name == "events.jsonl"
    lines = sim.ga4_file.read_text(encoding="utf-8").splitlines()
    info = _malformed(sim)["ga4/events.jsonl"]
    broken = 0
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            broken += 1
            continue
        assert "event_params" in row
    assert len(lines) == info["rows"] == sim.n_events
    assert broken == info["malformed"]["truncated_json"] >= 1
