"""Fixtures for ingest tests: GA4 rows built in code, table checksums."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kizuki.store import Store

#: columns whose values are wall-clock times, left out of table checksums
WALL_CLOCK = {"quarantined_at", "started_at", "finished_at", "updated_at", "applied_at"}

_VALUE = pa.struct(
    [
        ("string_value", pa.string()),
        ("int_value", pa.int64()),
        ("float_value", pa.float64()),
        ("double_value", pa.float64()),
    ]
)
GA4_SCHEMA = pa.schema(
    [
        ("event_date", pa.string()),
        ("event_timestamp", pa.int64()),
        ("event_name", pa.string()),
        ("event_params", pa.list_(pa.struct([("key", pa.string()), ("value", _VALUE)]))),
        ("event_bundle_sequence_id", pa.int64()),
        ("batch_event_index", pa.int64()),
        ("user_id", pa.string()),
        ("user_pseudo_id", pa.string()),
        ("user_properties", pa.list_(pa.struct([("key", pa.string()), ("value", _VALUE)]))),
        (
            "device",
            pa.struct(
                [
                    ("category", pa.string()),
                    ("operating_system", pa.string()),
                    ("language", pa.string()),
                ]
            ),
        ),
        ("geo", pa.struct([("country", pa.string())])),
        ("platform", pa.string()),
    ]
)


def ga4_event(
    ts: int | str | None,
    name: str | None,
    user: str | None = "u1.1",
    *,
    user_id: str | None = None,
    params: dict[str, Any] | None = None,
    seq: int = 1,
    language: str | None = None,
) -> dict[str, Any]:
    """One GA4 export row; ``params``: str → string_value, int → int_value, float → double."""
    event_params = []
    for key, value in (params or {}).items():
        v: dict[str, Any] = {
            "string_value": None,
            "int_value": None,
            "float_value": None,
            "double_value": None,
        }
        if isinstance(value, str):
            v["string_value"] = value
        elif isinstance(value, int):
            v["int_value"] = value
        else:
            v["double_value"] = value
        event_params.append({"key": key, "value": v})
    return {
        "event_date": "20261122",
        "event_timestamp": ts,
        "event_name": name,
        "event_params": event_params,
        "event_bundle_sequence_id": seq,
        "batch_event_index": 0,
        "user_id": user_id,
        "user_pseudo_id": user,
        "user_properties": [],
        "device": {
            "category": "mobile",
            "operating_system": "iOS",
            "language": language or "ja-jp",
        },
        "geo": {"country": "Japan"},
        "platform": "WEB",
    }


@pytest.fixture
def ga4_row() -> Callable[..., dict[str, Any]]:
    """:func:`ga4_event`."""
    return ga4_event


@pytest.fixture
def write_ga4_parquet() -> Callable[..., None]:
    def write(path: Any, rows: list[dict[str, Any]]) -> None:
        pq.write_table(pa.Table.from_pylist(rows, schema=GA4_SCHEMA), path)

    return write


@pytest.fixture
def write_ga4_ndjson() -> Callable[..., None]:
    """Write rows as BigQuery's NDJSON export does: INT64 values as JSON strings."""

    def as_bq(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return str(value)
        if isinstance(value, dict):
            return {k: as_bq(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [as_bq(v) for v in value]
        return value

    def write(path: Any, rows: list[dict[str, Any] | str]) -> None:
        lines = [
            r if isinstance(r, str) else json.dumps(as_bq(r), ensure_ascii=False) for r in rows
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return write


def table_checksums(store: Store) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent md5 of every table (wall-clock columns left out)."""
    con = store.duckdb
    out = {}
    for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_name NOT LIKE 'ibis_%' "
        "ORDER BY 1"
    ).fetchall():
        cols = [
            c
            for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "AND table_schema = 'main' ORDER BY ordinal_position",
                [name],
            ).fetchall()
            if c not in WALL_CLOCK
        ]
        packed = ", ".join(f'"{c}" := "{c}"' for c in cols)
        n, digest = con.execute(
            f"SELECT count(*), md5(coalesce(string_agg(r, '|' ORDER BY r), '')) FROM "
            f'(SELECT CAST(struct_pack({packed}) AS VARCHAR) AS r FROM "{name}")'
        ).fetchone()
        out[name] = (int(n), str(digest))
    return out


@pytest.fixture
def checksums() -> Callable[[Store], dict[str, tuple[int, str]]]:
    return table_checksums


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in store.duckdb.execute(sql).fetchall()]


@pytest.fixture
def query() -> Callable[[Store, str], list[tuple[Any, ...]]]:
    return rows
