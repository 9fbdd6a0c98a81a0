"""Property: random schema drift of a valid GA4 export never raises, and gives the same events as
the clean export (same ids, times, paths, customer, visitor and session ids, properties)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ga4_variants import (
    OPTIONAL_2020,
    OPTIONAL_LATER,
    SCHEMA_2025,
    VALUE,
    WRITERS,
    clean_rows,
    ingest_events,
    write_ndjson,
    write_parquet,
)

#: top-level fields that are null in every row of ``clean_rows()``
ALL_NULL = (
    "event_previous_timestamp",
    "event_value_in_usd",
    "event_server_timestamp_offset",
    "user_first_touch_timestamp",
    "user_ltv",
    "app_info",
    "event_dimensions",
    "ecommerce",
    "publisher",
)
#: value slots of event_params that are null in every parameter of ``clean_rows()``
NULL_SLOTS = ("float_value", "double_value")
ANY_TYPE = [
    pa.null(),
    pa.int64(),
    pa.string(),
    pa.float64(),
    pa.struct([("x", pa.int64())]),
    pa.list_(pa.int64()),
]
SCALAR_TYPE = [pa.null(), pa.int64(), pa.string(), pa.float64()]
INTS = ("event_timestamp", "event_bundle_sequence_id", "batch_event_index")
FORMATS = [*WRITERS, "bq-ndjson", "ndjson.gz"]


@st.composite
def drift(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "drop": draw(st.sets(st.sampled_from(OPTIONAL_2020 + OPTIONAL_LATER))),
        "retype": draw(st.dictionaries(st.sampled_from(ALL_NULL), st.sampled_from(ANY_TYPE))),
        "slots": draw(st.dictionaries(st.sampled_from(NULL_SLOTS), st.sampled_from(SCALAR_TYPE))),
        "stringify": draw(st.sets(st.sampled_from((*INTS, "int_value")))),
        "doubles": draw(st.sets(st.sampled_from(INTS))),
        "extra": draw(st.lists(st.sampled_from(ANY_TYPE), max_size=3)),
        "order": draw(st.permutations(range(len(SCHEMA_2025)))),
        "slot_order": draw(st.permutations(range(len(VALUE) + 1))),
        "format": draw(st.sampled_from(FORMATS)),
    }


def _apply(d: dict[str, Any]) -> tuple[list[dict[str, Any]], pa.Schema]:
    rows = clean_rows()
    fields = {f.name: f.type for f in SCHEMA_2025}
    for name, t in d["retype"].items():
        fields[name] = t
    slots = {f.name: f.type for f in VALUE}
    slots.update(d["slots"])
    if "int_value" in d["stringify"]:
        slots["int_value"] = pa.string()
        for r in rows:
            for p in r["event_params"]:
                v = p["value"]["int_value"]
                p["value"]["int_value"] = None if v is None else str(v)
    slots["set_timestamp_micros"] = pa.int64()  # an extra slot
    slot_items = list(slots.items())
    slot_items = [slot_items[i] for i in d["slot_order"]]
    fields["event_params"] = pa.list_(
        pa.struct([("key", pa.string()), ("value", pa.struct(slot_items))])
    )
    for col in d["doubles"]:
        fields[col] = pa.float64()
    for col in d["stringify"] - {"int_value"}:
        fields[col] = pa.string()
        for r in rows:
            r[col] = str(r[col])
    for i, t in enumerate(d["extra"]):
        fields[f"extra_{i}"] = t
    names = [SCHEMA_2025.field(i).name for i in d["order"]]
    names += [n for n in fields if n not in names]
    schema = pa.schema([(n, fields[n]) for n in names if n not in d["drop"]])
    return rows, schema


@pytest.fixture(scope="module")
def clean_events() -> list[tuple[Any, ...]]:
    with tempfile.TemporaryDirectory() as tmp:
        _, rows = ingest_events(write_parquet(Path(tmp) / "clean.parquet", clean_rows()))
    return rows


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(d=drift())
def test_schema_drift_gives_the_same_events(
    d: dict[str, Any], clean_events: list[tuple[Any, ...]]
) -> None:
    rows, schema = _apply(d)
    with tempfile.TemporaryDirectory() as tmp:
        if d["format"] in WRITERS:
            f = Path(tmp) / "events.parquet"
            table = pa.Table.from_pylist(rows, schema=schema)
            WRITERS[d["format"]](f, table)
        else:
            name = "events.json.gz" if d["format"] == "ndjson.gz" else "events.json"
            kept = set(schema.names)
            f = write_ndjson(Path(tmp) / name, [{k: v for k, v in r.items() if k in kept}
                                                 for r in rows])  # fmt: skip
        (r,), got = ingest_events(f, batch_rows=7)
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (12, 12, 0)
    assert got == clean_events
