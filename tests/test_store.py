"""The store: URLs, migrations, the schema version, and errors that say what to do."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from kizuki.errors import NotFoundError, StoreError
from kizuki.ingest import ingest_files
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


#: what schema version 3 added to the tables of version 2
V3_TABLES = ("comments", "identities")
V3_COLUMNS = {
    "customers": ("updated_at", "email_hash"),
    "subscriptions": ("updated_at",),
    "contacts": ("updated_at", "channel_raw", "requester_id", "requester_email_hash", "tags"),
    "ingest_log": ("rows_updated",),
}
#: what schema version 4 added to the tables of version 3
V4_COLUMNS = {"ingest_log": ("removed_at", "removed_by", "timezone", "naive_times", "mapping_hash")}


def test_a_store_of_schema_version_2_gains_updates_and_keeps_its_rows(tmp_path: Path) -> None:
    url = f"duckdb://{tmp_path}/v2.duckdb"
    store = open_store(url)
    con = store.duckdb
    for name in V3_TABLES:
        con.execute(f'DROP TABLE "{name}"')
    for name, columns in [*V3_COLUMNS.items(), *V4_COLUMNS.items()]:
        for column in columns:
            con.execute(f'ALTER TABLE "{name}" DROP COLUMN "{column}"')
    con.execute("DELETE FROM schema_version WHERE version > 2")
    con.execute(
        "INSERT INTO customers (customer_id, created_at, plan, batch_id) "
        "VALUES ('c1', '2026-01-01', 'free', 'old')"
    )
    con.execute(
        "INSERT INTO ingest_log (batch_id, source, file, checksum, target_table, rows_in, "
        "rows_loaded, rows_duplicate, rows_quarantined, derived) "
        "VALUES ('old', 'csv', 'customers.csv', 'x', 'customers', 2, 1, 1, 0, '{}')"
    )
    store.close()

    again = open_store(url)
    assert again.schema_version() == SCHEMA_VERSION
    assert set(again.list_tables()) == ALL_TABLES
    for name in [*V3_COLUMNS, *V3_TABLES]:  # added columns come last, after batch_id
        assert dict(again.table(name).schema().items()) == dict(ibis_schema(name).items())
    con = again.duckdb
    # old rows keep their values; the new columns are NULL in them (read as 0 for counts)
    assert con.execute("SELECT customer_id, plan, updated_at FROM customers").fetchall() == [
        ("c1", "free", None)
    ]
    assert con.execute("SELECT rows_loaded, rows_updated FROM ingest_log").fetchall() == [(1, None)]
    # and a versioned row replaces the unversioned one that was stored before
    f = tmp_path / "customers.csv"
    f.write_text("customer_id,created_at,plan,updated_at\nc1,2026-01-01,pro,2026-03-01\n")
    (r,) = ingest_files(again, "csv", [f])
    assert (r.rows_loaded, r.rows_updated) == (0, 1)
    assert con.execute("SELECT plan FROM customers").fetchall() == [("pro",)]
    again.close()


def test_a_store_of_schema_version_3_keeps_its_batches_current_and_replaceable(
    tmp_path: Path,
) -> None:
    from kizuki.ingest.batches import list_batches

    url = f"duckdb://{tmp_path}/v3.duckdb"
    store = open_store(url)
    f = tmp_path / "events.csv"
    f.write_text(
        "event_id,ts,anonymous_id,event_name\ne1,2026-11-02T09:00:00Z,a1,page_view\n"
        "e2,2026-11-02T09:01:00Z,a1,page_view\n"
    )
    (first,) = ingest_files(store, "csv", [f])
    con = store.duckdb
    # as a version-3 Kizuki logged it: the batch id without the settings hash
    con.execute("UPDATE ingest_log SET batch_id = 'csv-events-0123456789abcdef'")
    con.execute("UPDATE events SET batch_id = 'csv-events-0123456789abcdef'")
    for column in V4_COLUMNS["ingest_log"]:
        con.execute(f'ALTER TABLE ingest_log DROP COLUMN "{column}"')
    con.execute("DELETE FROM schema_version WHERE version > 3")
    store.close()

    again = open_store(url)
    assert again.schema_version() == SCHEMA_VERSION == 4
    assert dict(again.table("ingest_log").schema().items()) == dict(
        ibis_schema("ingest_log").items()
    )
    (old,) = list_batches(again)  # NULL removed_at: the batch is current
    assert (old["batch_id"], old["status"], old["rows_loaded"]) == (
        "csv-events-0123456789abcdef",
        "current",
        2,
    )
    (skipped,) = ingest_files(again, "csv", [f])
    assert skipped.skipped and skipped.batch_id == "csv-events-0123456789abcdef"
    (replacing,) = ingest_files(again, "csv", [f], replace=True)
    assert replacing.replaced_batches == ("csv-events-0123456789abcdef",)
    assert (replacing.rows_loaded, replacing.batch_id) == (2, first.batch_id)
    assert again.duckdb.execute("SELECT count(*) FROM events").fetchone() == (2,)
    assert [b["batch_id"] for b in list_batches(again)] == [replacing.batch_id]
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
