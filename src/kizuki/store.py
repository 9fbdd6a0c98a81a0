"""Open a store from a URL and keep its canonical tables at the current schema version.

``duckdb://kizuki.duckdb`` (the embedded default; a relative path), ``duckdb:///abs/path.duckdb``
(an absolute path), ``duckdb://`` (in memory) and
``spark://local[2]`` (Apache Spark through Ibis's PySpark backend; ``?warehouse=DIR`` sets where
its tables live). Analytics take ``store.table(name)`` Ibis expressions, so one definition runs
on every backend.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import ibis
import pyarrow as pa

from kizuki.duckdb_backend import Backend as DuckDBBackend
from kizuki.errors import NotFoundError, StoreError
from kizuki.schema import (
    RUNS_TABLE,
    SCHEMA_VERSION,
    SYSTEM_TABLES,
    TABLES,
    ibis_schema,
    result_ibis_schema,
)

__all__ = ["DEFAULT_URL", "Store", "open_store"]

DEFAULT_URL = "duckdb://kizuki.duckdb"


@dataclass(frozen=True)
class Migration:
    """A forward step of the schema: ``apply`` brings a store at ``version - 1`` to ``version``."""

    version: int
    description: str
    apply: Callable[[Store], None]


class Store:
    """An Ibis connection holding Kizuki's tables."""

    def __init__(self, url: str, con: ibis.BaseBackend, backend: str) -> None:
        self.url = url
        self.con = con
        self.backend = backend  # "duckdb" or "pyspark"

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    # -- tables ---------------------------------------------------------------------------
    def table(self, name: str) -> ibis.Table:
        """The Ibis table ``name``; raises NotFoundError naming the tables that exist."""
        if name not in self.list_tables():
            raise NotFoundError(
                f"table {name!r} is not in store {self.url}; tables: {sorted(self.list_tables())}"
            )
        return self.con.table(name)

    def list_tables(self) -> list[str]:
        """Tables in the store (Ibis's temporary in-memory tables left out)."""
        return [t for t in self.con.list_tables() if not t.startswith("ibis_")]

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        """Execute an expression and return an Arrow table (small results only)."""
        return expr.to_pyarrow()  # type: ignore[no-any-return,attr-defined]

    def write_table(
        self,
        name: str,
        data: pa.Table | Any,
        *,
        overwrite: bool = True,
        schema: ibis.Schema | None = None,
    ) -> None:
        """Create or replace a (result) table from Arrow/pandas data or an Ibis expression.

        ``schema``: the column types the stored table must have (an expression's declared
        result types); a backend that computes another type for a column stores it cast.
        """
        if self.backend == "pyspark":
            self._write_spark(name, data, "overwrite" if overwrite else "error", schema=schema)
            return
        self.con.create_table(name, data, overwrite=overwrite)

    def _write_spark(
        self, name: str, data: pa.Table | Any, mode: str, *, schema: ibis.Schema | None = None
    ) -> None:
        """Save ``data`` as Spark table ``name`` (``mode``: overwrite, error or append)."""
        session = self.con._session  # type: ignore[attr-defined]
        if isinstance(data, ibis.Expr):
            if schema is None:
                self.con.create_table(name, data, overwrite=mode == "overwrite")
                return
            # Spark's date_trunc returns a timestamp where Ibis expects a date, so Ibis's own
            # create_table would store such a column with another type than declared
            from ibis.backends.pyspark.datatypes import PySparkType
            from pyspark.sql import functions as F

            self.con._run_pre_execute_hooks(data)  # type: ignore[attr-defined]
            frame = session.sql(self.con.compile(data))
            for field in frame.schema.fields:
                want = PySparkType.from_ibis(schema[field.name])
                if field.dataType != want:
                    frame = frame.withColumn(field.name, F.col(field.name).cast(want))
        else:
            # ibis 12 hands in-memory data to Spark through pandas, which under pandas 3 turns
            # null strings into 'NaN' and nullable integers into nulls; Spark 4 reads Arrow.
            if not isinstance(data, pa.Table):
                data = pa.Table.from_pandas(data, preserve_index=False)
            frame = session.createDataFrame(data)
        frame.write.saveAsTable(name, format="parquet", mode=mode)

    def append_table(self, name: str, data: pa.Table) -> None:
        """Append Arrow rows to table ``name``, creating it if it does not exist."""
        if name not in self.list_tables():
            self.write_table(name, data, overwrite=False)
        elif self.backend == "pyspark":
            self._write_spark(name, data, "append")
        else:
            self.con.insert(name, data)

    @property
    def duckdb(self) -> Any:
        """The raw DuckDB connection (DuckDB stores only), for transactional ingest."""
        if self.backend != "duckdb":
            raise StoreError(
                f"{self.url} is a {self.backend} store; this operation needs a DuckDB store"
            )
        return self.con.con  # type: ignore[attr-defined]

    # -- schema ---------------------------------------------------------------------------
    def schema_version(self) -> int:
        if "schema_version" not in self.list_tables():
            return 0
        v = self.con.table("schema_version").version.max().execute()
        return int(v) if v is not None else 0

    def migrate(self) -> int:
        """Apply every migration newer than the store's version; return the new version."""
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.url} has schema version {current}, newer than this Kizuki "
                f"({SCHEMA_VERSION}); upgrade Kizuki"
            )
        for m in MIGRATIONS:
            if m.version > current:
                m.apply(self)
                now = dt.datetime.now(dt.UTC)
                row = pa.table(
                    {
                        "version": pa.array([m.version], pa.int64()),
                        "description": [m.description],
                        "applied_at": pa.array([now], pa.timestamp("us", tz="UTC")),
                    }
                )
                self.con.insert("schema_version", row)
                current = m.version
        return current

    def close(self) -> None:
        disconnect = getattr(self.con, "disconnect", None)
        if disconnect is not None:
            disconnect()


def _create_missing_tables(store: Store) -> None:
    existing = set(store.list_tables())
    for name in [*SYSTEM_TABLES, *TABLES]:
        if name not in existing:
            store.con.create_table(name, schema=ibis_schema(name))


def _create_runs_table(store: Store) -> None:
    if RUNS_TABLE not in store.list_tables():
        store.con.create_table(RUNS_TABLE, schema=result_ibis_schema(RUNS_TABLE))


def _add_missing_columns(store: Store) -> None:
    """Create new tables and add the columns a table lacks (NULL in the rows it holds)."""
    _create_missing_tables(store)
    for name in [*SYSTEM_TABLES, *TABLES]:
        have = set(store.con.table(name).columns)
        for column, dtype in ibis_schema(name).items():
            if column in have:
                continue
            if store.backend == "duckdb":
                sql_type = _DUCKDB_TYPES[str(dtype)]
                store.duckdb.execute(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {sql_type}')
            else:
                spark_type = _SPARK_TYPES[str(dtype)]
                store.con._session.sql(  # type: ignore[attr-defined]
                    f"ALTER TABLE `{name}` ADD COLUMNS (`{column}` {spark_type})"
                )


_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp('UTC', 6)": "TIMESTAMPTZ",
    "date": "DATE",
}
_SPARK_TYPES = {
    "string": "STRING",
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp('UTC', 6)": "TIMESTAMP",
    "date": "DATE",
}


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "canonical tables, quarantine and ingest_log", _create_missing_tables),
    Migration(2, "result_runs: a record of every analyze run", _create_runs_table),
    Migration(
        3,
        "updates and identities: updated_at, contacts' raw channel and requester, comments, "
        "identities, ingest_log.rows_updated",
        _add_missing_columns,
    ),
    Migration(
        4,
        "batches: ingest_log.removed_at, removed_by, timezone, naive_times and mapping_hash",
        _add_missing_columns,
    ),
)


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def _process(pid: str) -> str:
    """The command line of process ``pid`` where the system tells it (Linux), else ''."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def _connect_duckdb(path: str) -> ibis.BaseBackend:
    """Open a DuckDB file; a file another process holds becomes a StoreError that says who."""
    import duckdb

    try:
        # DuckDB 1.5's storage format: its string compression (DICT_FSST) writes faster
        # and smaller; such files need DuckDB >= 1.5 (pinned), older files still open.
        return DuckDBBackend().connect(path, storage_compatibility_version="v1.5.0")
    except duckdb.IOException as exc:
        held = _LOCK_HOLDER.search(str(exc))
        if "lock" not in str(exc).lower():
            raise StoreError(f"cannot open store file {path}: {exc}") from exc
        who = "another process"
        if held:
            command = _process(held["pid"]) or held["program"]
            who = f"process {held['pid']} ({command})"
        raise StoreError(
            f"store {path} is in use by {who}; wait for it to finish (or stop it), "
            "then run the command again"
        ) from exc


def _spark_session(master: str, warehouse: str) -> Any:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    if master.startswith("local"):  # workers on this machine: this Python, with its packages
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise StoreError(
            "spark:// stores need the spark extra: pip install 'kizuki[spark]'"
        ) from exc
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise StoreError(
            "spark:// stores need a Java runtime and none was found (no java on PATH, no "
            "JAVA_HOME); install one, e.g. apt-get install openjdk-17-jre-headless (make java)"
        )
    return (
        SparkSession.builder.master(master)
        .appName("kizuki")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse}")
        .getOrCreate()
    )


def open_store(url: str = DEFAULT_URL, *, migrate: bool = True) -> Store:
    """Open (and create or migrate) the store at ``url``.

    Examples
    --------
    >>> store = open_store("duckdb://")
    >>> "events" in store.list_tables()
    True
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise StoreError(
            f"store URL {url!r} has no scheme; "
            "use duckdb://path/kizuki.duckdb, duckdb:// or spark://local[2]"
        )
    if scheme == "duckdb":
        path = rest.partition("?")[0]
        if path in ("", ":memory:"):
            con = DuckDBBackend().connect()
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            con = _connect_duckdb(path)
        store = Store(url, con, "duckdb")
    elif scheme == "spark":
        master_part, _, query = rest.partition("?")
        master = master_part or "local[2]"
        options = parse_qs(query)
        warehouse = options.get("warehouse", [tempfile.mkdtemp(prefix="kizuki-spark-")])[0]
        session = _spark_session(master, warehouse)
        store = Store(url, ibis.pyspark.connect(session), "pyspark")
    else:
        raise StoreError(
            f"store URL {url!r} has unknown scheme {scheme!r}; "
            "use duckdb://path/kizuki.duckdb, duckdb:// or spark://local[2]"
        )
    if migrate:
        store.migrate()
    return store
