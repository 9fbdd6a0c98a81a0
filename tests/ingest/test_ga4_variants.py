"""GA4 exports as real tools write them (BigQuery, pandas/pyarrow, DuckDB, ``bq extract`` NDJSON,
gzip; schema generations 2020–2025) give the same events as a clean export; what cannot be read
is named in ``ignored_columns`` or quarantined, never a crash. Every file is built here, in code.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kizuki.ingest import ingest_files
from kizuki.store import open_store

T0 = 1_795_305_900_000_000  # 2026-11-22T00:05:00Z in microseconds
S, N, F = pa.string(), pa.int64(), pa.float64()  # text, integer, float


def _struct(**fields: pa.DataType) -> pa.StructType:
    return pa.struct(list(fields.items()))


VALUE = _struct(string_value=S, int_value=N, float_value=F, double_value=F)
PARAMS = pa.list_(_struct(key=S, value=VALUE))
UPROPS = pa.list_(
    _struct(
        key=S,
        value=_struct(
            string_value=S, int_value=N, float_value=F, double_value=F, set_timestamp_micros=N
        ),
    )
)
CAMPAIGN = _struct(
    campaign_id=S,
    campaign_name=S,
    source=S,
    medium=S,
    term=S,
    content=S,
    source_platform=S,
    creative_format=S,
    marketing_tactic=S,
)
#: the 29 fields of an ``items`` entry in 2025
ITEM = _struct(
    item_id=S,
    item_name=S,
    item_brand=S,
    item_variant=S,
    item_category=S,
    item_category2=S,
    item_category3=S,
    item_category4=S,
    item_category5=S,
    price_in_usd=F,
    price=F,
    quantity=N,
    item_revenue_in_usd=F,
    item_revenue=F,
    item_refund_in_usd=F,
    item_refund=F,
    coupon=S,
    affiliation=S,
    location_id=S,
    item_list_id=S,
    item_list_name=S,
    item_list_index=S,
    promotion_id=S,
    promotion_name=S,
    creative_name=S,
    creative_slot=S,
    item_params=PARAMS,
)
#: the columns of ``events_YYYYMMDD`` in 2025, in BigQuery's order
SCHEMA_2025 = pa.schema(
    [
        ("event_date", S),
        ("event_timestamp", N),
        ("event_name", S),
        ("event_params", PARAMS),
        ("event_previous_timestamp", N),
        ("event_value_in_usd", F),
        ("event_bundle_sequence_id", N),
        ("event_server_timestamp_offset", N),
        ("user_id", S),
        ("user_pseudo_id", S),
        ("privacy_info", _struct(analytics_storage=S, ads_storage=S, uses_transient_token=S)),
        ("user_properties", UPROPS),
        ("user_first_touch_timestamp", N),
        ("user_ltv", _struct(revenue=F, currency=S)),
        (
            "device",
            _struct(
                category=S,
                mobile_brand_name=S,
                mobile_model_name=S,
                operating_system=S,
                language=S,
                is_limited_ad_tracking=S,
                time_zone_offset_seconds=N,
                web_info=_struct(browser=S, browser_version=S, hostname=S),
            ),
        ),
        ("geo", _struct(city=S, country=S, continent=S, region=S, sub_continent=S, metro=S)),
        (
            "app_info",
            _struct(id=S, version=S, install_store=S, firebase_app_id=S, install_source=S),
        ),
        ("traffic_source", _struct(name=S, medium=S, source=S)),
        ("stream_id", S),
        ("platform", S),
        ("event_dimensions", _struct(hostname=S)),
        (
            "ecommerce",
            _struct(
                total_item_quantity=N,
                purchase_revenue_in_usd=F,
                purchase_revenue=F,
                unique_items=N,
                transaction_id=S,
            ),
        ),
        ("items", pa.list_(ITEM)),
        (
            "collected_traffic_source",
            _struct(
                manual_campaign_id=S, manual_source=S, manual_medium=S, gclid=S, dclid=S, srsltid=S
            ),
        ),
        ("is_active_user", pa.bool_()),
        ("batch_event_index", N),
        ("batch_page_id", N),
        ("batch_ordering_id", N),
        (
            "session_traffic_source_last_click",
            _struct(
                manual_campaign=CAMPAIGN, google_ads_campaign=_struct(customer_id=S, campaign_id=S)
            ),
        ),
        ("publisher", _struct(ad_revenue_in_usd=F, ad_format=S, ad_unit_id=S)),
    ]
)
#: the optional fields, by the year they came to the export
OPTIONAL_2020 = (
    "event_previous_timestamp",
    "event_value_in_usd",
    "event_server_timestamp_offset",
    "user_first_touch_timestamp",
    "user_ltv",
    "geo",
    "app_info",
    "traffic_source",
    "stream_id",
    "platform",
    "event_dimensions",
    "ecommerce",
    "items",
    "device",
    "event_date",
)
OPTIONAL_LATER = (
    "privacy_info",
    "collected_traffic_source",
    "is_active_user",
    "batch_page_id",
    "batch_ordering_id",
    "session_traffic_source_last_click",
    "publisher",
)
COMPARED = (
    "event_id, ts::VARCHAR, event_name, page_path, customer_id, anonymous_id, session_id, "
    "properties"
)


def param(key: str, value: Any) -> dict[str, Any]:
    """One ``event_params`` entry: str → string_value, int → int_value, float → double_value."""
    slot = {str: "string_value", int: "int_value", float: "double_value"}[type(value)]
    v = dict.fromkeys(("string_value", "int_value", "float_value", "double_value"))
    return {"key": key, "value": {**v, slot: value}}


def event(i: int, name: str = "page_view", **extra: Any) -> dict[str, Any]:
    """Event ``i`` of a small web export (three visitors, two sessions each)."""
    user = f"{1000 + i % 3}.{1700000000 + i % 3}"
    params = [
        param("ga_session_id", 1700000000 + i % 2),
        param("page_location", f"https://shop.example.jp/help/{i % 4}?utm_source=x"),
        param("page_title", f"ヘルプ {i % 4}"),
        param("engagement_time_msec", 100 * i),
    ]
    if name == "view_search_results":
        params += [param("search_term", "パスワード"), param("results_count", 3)]
    row: dict[str, Any] = {
        "event_date": "20261122",
        "event_timestamp": T0 + i * 1_000_000,
        "event_name": name,
        "event_params": params,
        "event_bundle_sequence_id": 10 + i,
        "batch_event_index": i % 2,
        "batch_page_id": 1,
        "batch_ordering_id": 2,
        "user_id": f"cust-{i % 3}" if i % 3 else None,
        "user_pseudo_id": user,
        "user_properties": [],
        "device": {"category": "mobile", "language": "ja-jp", "web_info": {"browser": "Safari"}},
        "geo": {"country": "Japan", "city": "Tokyo"},
        "traffic_source": {"source": "google", "medium": "organic"},
        "stream_id": "4178942380",
        "platform": "WEB",
        "privacy_info": {"analytics_storage": "Yes"},
        "is_active_user": True,
        "items": [{"item_id": "sku-1", "price": 1.5, "quantity": 1, "item_params": []}],
        "collected_traffic_source": {"manual_source": "google"},
        "session_traffic_source_last_click": {"manual_campaign": {"source": "google"}},
    }
    return {**row, **extra}


def clean_rows(n: int = 12) -> list[dict[str, Any]]:
    """``n`` events, every third a search."""
    return [event(i, "view_search_results" if i % 3 == 2 else "page_view") for i in range(n)]


def write_parquet(
    path: Path, rows: list[dict[str, Any]], schema: pa.Schema = SCHEMA_2025, **options: Any
) -> Path:
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path, **options)
    return path


def bq_json(value: Any) -> Any:
    """A value as ``bq extract`` writes it: INT64 as a string, nulls left out."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {k: bq_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [bq_json(v) for v in value]
    return value


def write_ndjson(path: Path, rows: list[Any], *, bq: bool = True) -> Path:
    text = "".join(
        (r if isinstance(r, str) else json.dumps(bq_json(r) if bq else r, ensure_ascii=False))
        + "\n"
        for r in rows
    )
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def ingest_events(*files: Path, batch_rows: int = 5) -> tuple[list[Any], list[tuple[Any, ...]]]:
    """Ingest ``files`` into a fresh store: (results, the compared events columns)."""
    store = open_store("duckdb://")
    try:
        results = ingest_files(store, "ga4", list(files), batch_rows=batch_rows)
        rows = store.duckdb.execute(f"SELECT {COMPARED} FROM events ORDER BY event_id").fetchall()
    finally:
        store.close()
    return results, [tuple(r) for r in rows]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Any, ...]]:
    """The events of the clean 2025 export."""
    f = write_parquet(tmp_path_factory.mktemp("clean") / "events.parquet", clean_rows())
    (r,), rows = ingest_events(f)
    assert (r.rows_in, r.rows_loaded, r.ignored_columns) == (12, 12, ())
    return rows


def test_the_clean_export_gives_the_documented_ids(clean: list[tuple[Any, ...]]) -> None:
    first = event(0)
    key = f"{first['user_pseudo_id']}|{T0}|page_view|10|0"
    ids = [r[0] for r in clean]
    assert hashlib.md5(key.encode()).hexdigest()[:20] in ids
    by_id = {r[0]: r for r in clean}
    row = by_id[hashlib.md5(key.encode()).hexdigest()[:20]]
    assert row[3:7] == ("/help/0", None, "1000.1700000000", "1000.1700000000.1700000000")
    assert json.loads(row[7]) == {"engagement_time_msec": 0}


def _table(rows: list[dict[str, Any]], schema: pa.Schema = SCHEMA_2025) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


def _retype(schema: pa.Schema, name: str, t: pa.DataType) -> pa.Schema:
    return schema.set(schema.get_field_index(name), pa.field(name, t))


def _value_schema(**slots: pa.DataType) -> pa.Schema:
    """SCHEMA_2025 with event_params' value slots typed as ``slots`` says."""
    value = _struct(**{**{f.name: f.type for f in VALUE}, **slots})
    return _retype(SCHEMA_2025, "event_params", pa.list_(_struct(key=S, value=value)))


def _writers() -> dict[str, Any]:
    def plain(path: Path, table: pa.Table) -> None:
        pq.write_table(table, path)

    def legacy_lists(path: Path, table: pa.Table) -> None:
        pq.write_table(table, path, use_compliant_nested_type=False, store_schema=False)

    def large_and_dictionary(path: Path, table: pa.Table) -> None:
        def large(t: pa.DataType) -> pa.DataType:
            if pa.types.is_string(t):
                return pa.large_string()
            if pa.types.is_list(t):
                return pa.large_list(large(t.value_type))
            if pa.types.is_struct(t):
                return pa.struct([(f.name, large(f.type)) for f in t])
            return t

        table = table.cast(pa.schema([(f.name, large(f.type)) for f in table.schema]))
        i = table.schema.get_field_index("event_name")
        table = table.set_column(i, "event_name", table.column(i).dictionary_encode())
        pq.write_table(table, path, row_group_size=4)

    def duckdb_copy(path: Path, table: pa.Table) -> None:
        con = duckdb.connect()
        con.register("t", table)
        con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
        con.close()

    return {
        "pyarrow": plain,
        "legacy-list-names": legacy_lists,
        "large-and-dictionary": large_and_dictionary,
        "duckdb-copy": duckdb_copy,
    }


WRITERS = _writers()


@pytest.mark.parametrize("writer", list(WRITERS))
def test_every_parquet_writer_gives_the_same_events(
    writer: str, tmp_path: Path, clean: list[tuple[Any, ...]]
) -> None:
    f = tmp_path / "events.parquet"
    WRITERS[writer](f, _table(clean_rows()))
    (r,), rows = ingest_events(f)
    assert rows == clean and r.ignored_columns == ()


def _drift(name: str) -> tuple[list[dict[str, Any]], pa.Schema]:
    """A drifted copy of the clean export, named by what drifted."""
    rows, schema = clean_rows(), SCHEMA_2025
    if name == "string_value slot all null typed INT64":  # the binder error of issue 18
        rows = [
            {
                **r,
                "event_params": [
                    p for p in r["event_params"] if p["value"]["string_value"] is None
                ],
            }
            for r in rows
        ]
        return rows, _value_schema(string_value=N)
    if name == "float_value slot typed null":
        return rows, _value_schema(float_value=pa.null())
    if name == "int_value slot as text":
        rows = [
            {
                **r,
                "event_params": [
                    {
                        **p,
                        "value": {
                            **p["value"],
                            "int_value": None
                            if p["value"]["int_value"] is None
                            else str(p["value"]["int_value"]),
                        },
                    }
                    for p in r["event_params"]
                ],
            }
            for r in rows
        ]
        return rows, _value_schema(int_value=S)
    if name == "event_timestamp as a timestamp":
        return rows, _retype(schema, "event_timestamp", pa.timestamp("us", tz="UTC"))
    if name == "integers as doubles (pandas)":
        for col in ("event_timestamp", "event_bundle_sequence_id", "batch_event_index"):
            schema = _retype(schema, col, F)
        rows = [{**r, "event_timestamp": float(r["event_timestamp"])} for r in rows]
        return rows, schema
    if name == "integers as text":
        for col in ("event_timestamp", "event_bundle_sequence_id", "batch_event_index"):
            schema = _retype(schema, col, S)
            rows = [{**r, col: str(r[col])} for r in rows]
        return rows, schema
    if name == "unsigned and narrow integers":
        schema = _retype(schema, "event_bundle_sequence_id", pa.uint32())
        return rows, _retype(schema, "batch_event_index", pa.int8())
    if name == "stream_id as integer":
        rows = [{**r, "stream_id": 4178942380} for r in rows]
        return rows, _retype(schema, "stream_id", N)
    if name == "event_params as a map":
        rows = [
            {**r, "event_params": [(p["key"], p["value"]) for p in r["event_params"]]} for r in rows
        ]
        return rows, _retype(schema, "event_params", pa.map_(S, VALUE))
    if name == "2020 schema (no later optional fields)":
        keep = [f for f in schema if f.name not in OPTIONAL_LATER]
        return rows, pa.schema(keep)
    if name == "only the fields that are used":
        used = (
            "event_timestamp",
            "event_name",
            "event_params",
            "event_bundle_sequence_id",
            "batch_event_index",
            "user_id",
            "user_pseudo_id",
        )
        return rows, pa.schema([schema.field(c) for c in used])
    if name == "fields in another order, extra fields":
        fields = [
            *reversed(list(schema)),
            pa.field("vendor_extra", _struct(x=N)),
            pa.field("event_params_json", S),
        ]
        return rows, pa.schema(fields)
    raise AssertionError(name)


DRIFTS = [
    "string_value slot all null typed INT64",
    "float_value slot typed null",
    "int_value slot as text",
    "event_timestamp as a timestamp",
    "integers as doubles (pandas)",
    "integers as text",
    "unsigned and narrow integers",
    "stream_id as integer",
    "event_params as a map",
    "2020 schema (no later optional fields)",
    "only the fields that are used",
    "fields in another order, extra fields",
]


@pytest.mark.parametrize("drift", DRIFTS)
def test_a_drifted_parquet_export_gives_the_same_events(
    drift: str, tmp_path: Path, clean: list[tuple[Any, ...]]
) -> None:
    rows, schema = _drift(drift)
    f = write_parquet(tmp_path / "events.parquet", rows, schema)
    (r,), got = ingest_events(f)
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (12, 12, 0)
    if drift.startswith("string_value slot"):  # the string parameters were taken out
        assert [g[:2] + g[4:6] for g in got] == [c[:2] + c[4:6] for c in clean]
        assert {g[3] for g in got} == {None}
    else:
        assert got == clean


@pytest.mark.parametrize(
    ("column", "t"),
    [
        ("user_id", N),
        ("user_id", pa.null()),
        ("user_id", _struct(x=N)),
        ("user_properties", N),
        ("user_properties", pa.list_(S)),
        ("event_params", N),
        ("event_params", S),
        ("device", pa.null()),
        ("device", N),
        ("publisher", N),
        ("session_traffic_source_last_click", pa.null()),
    ],
    ids=str,
)
def test_an_all_null_field_of_any_type_is_read_or_named(
    column: str, t: pa.DataType, tmp_path: Path
) -> None:
    rows = [{**r, column: None} for r in clean_rows()]
    f = write_parquet(tmp_path / "events.parquet", rows, _retype(SCHEMA_2025, column, t))
    (r,), got = ingest_events(f)
    assert (r.rows_in, r.rows_loaded) == (12, 12)
    nested = pa.types.is_struct(t) or pa.types.is_list(t)
    used = column in ("user_id", "user_properties", "event_params", "device")
    named = [c for c in r.ignored_columns if c.startswith(column)]
    assert bool(named) == (used and not pa.types.is_null(t) and (nested or column != "user_id"))
    if column == "user_id":
        assert {g[4] for g in got} == {None}


def test_an_unreadable_nested_field_is_named_with_its_type_and_skipped(tmp_path: Path) -> None:
    schema = _value_schema(float_value=pa.list_(F))
    f = write_parquet(tmp_path / "events.parquet", clean_rows(), schema)
    (r,), _ = ingest_events(f)
    assert r.ignored_columns == ("event_params.value.float_value (list<double>)",)
    assert "ignored columns: event_params.value.float_value (list<double>)" in r.summary()
    assert (r.rows_in, r.rows_loaded) == (12, 12)


@pytest.mark.parametrize("slot", ["int_value", "string_value", "double_value", "float_value"])
def test_ga_session_id_is_read_from_any_value_slot(slot: str, tmp_path: Path) -> None:
    value: Any = {
        "int_value": 1700,
        "string_value": "1700",
        "double_value": 1700.0,
        "float_value": 1700.0,
    }[slot]
    p = {"key": "ga_session_id", "value": {slot: value}}
    rows = [event(0, event_params=[p, param("page_location", "https://x.jp/a")])]
    f = write_parquet(tmp_path / "events.parquet", rows)
    _, got = ingest_events(f)
    assert [(g[3], g[6]) for g in got] == [("/a", "1000.1700000000.1700")]


def test_odd_parameter_lists_are_read(tmp_path: Path) -> None:
    """Null or empty lists, null keys, duplicate keys: the first of a key wins everywhere."""
    rows = [
        event(0, event_params=None, user_properties=None),
        event(1, event_params=[], user_properties=[{"key": None, "value": None}]),
        event(
            2,
            event_params=[
                {"key": None, "value": {"string_value": "x"}},
                param("ga_session_id", 1),
                param("ga_session_id", 2),
                param("n", 1),
                param("n", 2),
                {"key": "v", "value": None},
            ],
        ),
    ]
    for f in (
        write_parquet(tmp_path / "events.parquet", rows),
        write_ndjson(tmp_path / "events.jsonl", rows),
    ):
        (r,), got = ingest_events(f)
        assert r.rows_loaded == 3, f
        assert [(g[6], json.loads(g[7])) for g in got if g[6]] == [
            ("1002.1700000002.1", {"n": 1, "v": None})
        ]


def test_bq_extract_ndjson_and_gzip_give_the_same_events(
    tmp_path: Path, clean: list[tuple[Any, ...]]
) -> None:
    rows = clean_rows()
    rows[0] = {**rows[0], "stream_id": 4178942380}  # a number in one line, text in the others
    for name, bq in (("events.json", True), ("events.json.gz", True), ("e.jsonl.gz", False)):
        (r,), got = ingest_events(write_ndjson(tmp_path / name, rows, bq=bq))
        assert (r.rows_in, r.rows_loaded, r.ignored_columns) == (12, 12, ()), name
        assert got == clean, name


def test_lines_that_are_not_events_are_quarantined_with_a_reason(tmp_path: Path) -> None:
    f = write_ndjson(
        tmp_path / "events.json.gz",
        [event(0), "[1, 2]", '"text"', "{not json", '{"event_timestamp": "soon"}', event(1)],
    )
    store = open_store("duckdb://")
    (r,) = ingest_files(store, "ga4", [f])
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (6, 2, 4)
    reasons = store.duckdb.execute(
        "SELECT source_row, reason FROM quarantine ORDER BY 1"
    ).fetchall()
    assert reasons == [
        (2, "line is not a JSON object"),
        (3, "line is not a JSON object"),
        (4, "line is not valid JSON"),
        (
            5,
            "event_timestamp is missing or not an integer; user_pseudo_id is missing; "
            "event_name is missing",
        ),
    ]


def test_a_row_of_intraday_and_its_daily_copy_are_one_event(
    tmp_path: Path, clean: list[tuple[Any, ...]]
) -> None:
    """``events_intraday_*`` as bq-extract NDJSON (bundle ids as text, null batch fields left
    out), then the day's ``events_*`` as Parquet that also has the day's later events."""
    rows = [{**r, "batch_event_index": None} for r in clean_rows()]
    intraday = write_ndjson(tmp_path / "events_intraday_20261122.json.gz", rows[:8])
    daily = write_parquet(tmp_path / "events_20261122.parquet", rows)
    store = open_store("duckdb://")
    first, second = ingest_files(store, "ga4", [intraday, daily], batch_rows=5)
    assert (first.rows_in, first.rows_loaded) == (8, 8)
    assert (second.rows_in, second.rows_loaded, second.rows_duplicate) == (12, 4, 8)
    counts = store.duckdb.execute(
        "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM searches)"
    ).fetchone()
    assert counts == (12, 4)


def test_sharded_daily_files_are_ingested_in_turn(tmp_path: Path) -> None:
    rows = clean_rows()
    day1 = write_parquet(tmp_path / "events_20261122.parquet", rows[:6])
    day2 = write_ndjson(tmp_path / "events_20261123.json", rows[6:])
    (a, b), got = ingest_events(day1, day2)
    assert (a.rows_loaded, b.rows_loaded, len(got)) == (6, 6, 12)


def test_a_gzipped_file_resumes_without_counting_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kizuki.ingest import pipeline

    rows = clean_rows(30)
    rows[7] = rows[2]  # a duplicate
    f = write_ndjson(tmp_path / "events.jsonl.gz", rows)
    store = open_store("duckdb://")
    stage = pipeline._Run.stage
    calls = []

    def fail_third(run: Any, chunk: Any) -> Any:
        calls.append(chunk.last_row)
        if len(calls) == 3:
            raise RuntimeError("killed")
        return stage(run, chunk)

    monkeypatch.setattr(pipeline._Run, "stage", fail_third)
    with pytest.raises(RuntimeError, match="killed"):
        ingest_files(store, "ga4", [f], batch_rows=4)
    monkeypatch.setattr(pipeline._Run, "stage", stage)
    (r,) = ingest_files(store, "ga4", [f], batch_rows=4)
    assert (r.rows_in, r.rows_loaded, r.rows_duplicate) == (30, 29, 1)
    assert store.duckdb.execute("SELECT count(*) FROM events").fetchone() == (29,)


def test_parquet_that_duckdb_wrote_from_bq_ndjson_gives_the_same_events(
    tmp_path: Path, clean: list[tuple[Any, ...]]
) -> None:
    """``read_json`` guesses the types (INT64 stay text, empty lists JSON[]), COPY keeps them."""
    src = write_ndjson(tmp_path / "events.json", clean_rows())
    f = tmp_path / "events.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_json('{src}')) TO '{f}' (FORMAT parquet)")
    con.close()
    (r,), got = ingest_events(f)
    assert (r.rows_in, r.rows_loaded) == (12, 12)
    assert got == clean
    assert all(c.split(" ")[0] == "user_properties" for c in r.ignored_columns)
