"""The store: URLs, migrations, the schema version, and errors that say what to do."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from kizuki.errors import NotFoundError, StoreError
from kizuki.schema import (
    RUNS_TABLE,
    SCHEMA_VERSION,
    SYSTEM_TABLES,
    TABLES,
    ibis_schema,
    result_ibis_schema,
)
from kizuki.store import Store, open_store

ALL_TABLES = {*TABLES, *SYSTEM_TABLES, RUNS_TABLE}


def test_memory_store_has_every_table_at_the_current_version() -> None:
    store = open_store("duckdb://")
    assert set(store.list_tables()) == ALL_TABLES
    assert store.schema_version() == SCHEMA_VERSION
    assert store.backend == "duckdb"


@pytest.mark.parametrize("name", sorted(ALL_TABLES))
def test_tables_have_their_declared_schema(store: Store, name: str) -> None:
    declared = result_ibis_schema(name) if name == RUNS_TABLE else ibis_schema(name)
    assert store.table(name).schema() == declared


def test_a_store_of_schema_version_1_gains_the_runs_table(tmp_path: Path) -> None:
    url = f"duckdb://{tmp_path}/old.duckdb"
    store = open_store(url)
    store.con.drop_table(RUNS_TABLE)
    store.con.raw_sql("DELETE FROM schema_version WHERE version > 1")
    store.close()
    again = open_store(url)
    assert again.schema_version() == SCHEMA_VERSION and RUNS_TABLE in again.list_tables()
    again.close()


def test_file_store_keeps_its_data_between_opens(tmp_path: Path) -> None:
    url = f"duckdb://{tmp_path}/sub/k.duckdb"
    store = open_store(url)
    store.write_table("result_x", pa.table({"n": [1, 2, 3]}))
    store.close()
    assert (tmp_path / "sub" / "k.duckdb").is_file()  # the folder is created
    again = open_store(url)
    assert again.table("result_x").count().execute() == 3
    again.close()


def test_relative_path_is_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("duckdb://data/k.duckdb")
    store.close()
    assert (tmp_path / "data" / "k.duckdb").is_file()


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    url = f"duckdb://{tmp_path}/k.duckdb"
    store = open_store(url)
    store.write_table("events", store.table("events").limit(0))
    assert store.migrate() == SCHEMA_VERSION
    store.close()
    store = open_store(url)
    assert store.migrate() == SCHEMA_VERSION
    versions = store.to_arrow(store.table("schema_version")).to_pylist()
    assert [v["version"] for v in versions] == list(range(1, SCHEMA_VERSION + 1))
    assert versions[0]["description"] and versions[0]["applied_at"] is not None
    assert set(store.list_tables()) == ALL_TABLES
    store.close()


def test_migrate_false_creates_nothing() -> None:
    store = open_store("duckdb://", migrate=False)
    assert store.list_tables() == [] and store.schema_version() == 0
    assert store.migrate() == SCHEMA_VERSION


def test_store_newer_than_kizuki_is_refused(store: Store) -> None:
    row = store.to_arrow(store.table("schema_version")).to_pylist()[0]
    row["version"] = SCHEMA_VERSION + 1
    store.con.insert("schema_version", pa.Table.from_pylist([row]))
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}.*upgrade Kizuki"):
        store.migrate()


@pytest.mark.parametrize(
    "url, message",
    [
        ("postgres://db/kizuki", "unknown scheme 'postgres'"),
        ("kizuki.duckdb", "has no scheme"),
    ],
    ids=["unknown-scheme", "no-scheme"],
)
def test_bad_urls_say_what_to_write(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as info:
        open_store(url)
    assert "use duckdb://" in str(info.value) and "spark://local[2]" in str(info.value)


def test_missing_table_is_not_found_and_lists_the_tables(store: Store) -> None:
    with pytest.raises(
        NotFoundError, match=r"'nope' is not in store duckdb://; tables: \["
    ) as info:
        store.table("nope")
    assert "'events'" in str(info.value)


def test_write_table_replaces_a_result_table(store: Store) -> None:
    store.write_table("result_x", pa.table({"n": [1, 2]}))
    store.write_table("result_x", pa.table({"n": [5]}))
    assert store.to_arrow(store.table("result_x")).column("n").to_pylist() == [5]


def test_duckdb_connection_is_refused_on_other_backends() -> None:
    fake = Store("spark://local[2]", open_store("duckdb://").con, "pyspark")
    with pytest.raises(StoreError, match="is a pyspark store; this operation needs a DuckDB store"):
        fake.duckdb  # noqa: B018


@pytest.mark.spark
def test_spark_store_has_every_table_and_keeps_nulls(spark_store: Store) -> None:
    assert set(spark_store.list_tables()) >= ALL_TABLES
    assert spark_store.schema_version() == SCHEMA_VERSION
    data = pa.table({"s": pa.array(["x", None]), "n": pa.array([1, None], pa.int64())})
    spark_store.write_table("result_nulls", data)
    got = spark_store.to_arrow(spark_store.table("result_nulls").order_by("n"))
    # ibis 12 alone turns null strings into 'NaN' and integers into nulls under pandas 3
    assert got.column("s").to_pylist() == ["x", None]
    assert got.column("n").to_pylist() == [1, None]
    with pytest.raises(StoreError, match="needs a DuckDB store"):
        spark_store.duckdb  # noqa: B018


def test_a_spark_store_without_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyspark")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(StoreError, match=r"need a Java runtime.*openjdk"):
        open_store("spark://local[1]")
