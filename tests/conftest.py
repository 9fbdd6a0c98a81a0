"""Shared fixtures: in-memory DuckDB stores, one Spark store per test session, tiny tables."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pytest

from kizuki.schema import SYSTEM_TABLES, arrow_schema
from kizuki.store import Store, open_store

# Intent models default to TF-IDF in tests: `--model auto` would fine-tune the sentence encoder
# (minutes) on English test data. Tests of the automatic choice ask for it explicitly.
os.environ.setdefault("KIZUKI_INTENT_MODEL", "tfidf")
os.environ.setdefault("KIZUKI_ANALYZE__INTENTS__MODEL", "tfidf")

BuildTable = Callable[[str, Sequence[dict[str, Any]]], pa.Table]


def table_rows(name: str, rows: Sequence[dict[str, Any]]) -> pa.Table:
    """An Arrow table with the full schema of canonical or system table ``name``.

    Columns not given in ``rows`` are null; canonical tables get ``batch_id`` 'test'.
    """
    if name in SYSTEM_TABLES:
        schema = SYSTEM_TABLES[name].to_pyarrow()
        defaults: dict[str, Any] = {}
    else:
        # nullable everywhere: tests leave required columns out when they do not matter
        schema = pa.schema([f.with_nullable(True) for f in arrow_schema(name)])
        defaults = {"batch_id": "test"}
    columns = {
        field.name: pa.array([{**defaults, **row}.get(field.name) for row in rows], type=field.type)
        for field in schema
    }
    return pa.table(columns, schema=schema)


@pytest.fixture
def build_table() -> BuildTable:
    """:func:`table_rows`: ``build_table("events", [{"event_id": "e1", ...}])``."""
    return table_rows


@pytest.fixture
def store() -> Iterator[Store]:
    """A fresh in-memory DuckDB store at the current schema version."""
    s = open_store("duckdb://")
    yield s
    s.close()


@pytest.fixture(scope="session")
def spark_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One local Spark store for the whole session (Spark takes 6-10 s to start)."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime (make java)")
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    s = open_store(f"spark://local[2]?warehouse={warehouse}")
    yield s
    s.close()
