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
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import ibis
import pyarrow as pa

from kizuki.duckdb_sql import Backend as DuckDBBackend
from kizuki.errors import NotFoundError, StoreError
from kizuki.schema import SCHEMA_VERSION, SYSTEM_TABLES, TABLES, ibis_schema

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

    def write_table(self, name: str, data: pa.Table | Any, *, overwrite: bool = True) -> None:
        """Create or replace a (result) table from Arrow/pandas data or an Ibis expression."""
        if self.backend == "pyspark" and not isinstance(data, ibis.Expr):
            # ibis 12 hands in-memory data to Spark through pandas, which under pandas 3 turns
            # null strings into 'NaN' and nullable integers into nulls; Spark 4 reads Arrow.
            if not isinstance(data, pa.Table):
                data = pa.Table.from_pandas(data, preserve_index=False)
            mode = "overwrite" if overwrite else "error"
            frame = self.con._session.createDataFrame(data)  # type: ignore[attr-defined]
            frame.write.saveAsTable(name, format="parquet", mode=mode)
            return
        self.con.create_table(name, data, overwrite=overwrite)

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


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "canonical tables, quarantine and ingest_log", _create_missing_tables),
)


def _spark_session(master: str, warehouse: str) -> Any:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise StoreError(
            "spark:// stores need the spark extra: pip install 'kizuki[spark]'"
        ) from exc
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
            # DuckDB 1.5's storage format: its string compression (DICT_FSST) writes faster
            # and smaller; such files need DuckDB >= 1.5 (pinned), older files still open.
            con = DuckDBBackend().connect(path, storage_compatibility_version="v1.5.0")
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
