"""The floor of ingesting GA4 into DuckDB: one INSERT … SELECT with a minimal mapping.

No validation, no properties JSON, no dedupe, no quarantine: what the fastest possible load of
the same file into the same `events` table costs, to judge how far the real pipeline is from it.

    python bench/ingest_floor.py GA4.parquet
    python bench/ingest_floor.py GA4.parquet --disable-compression fsst   # as ingest does
    python bench/ingest_floor.py GA4.parquet --to-parquet   # COPY the same SELECT to Parquet

``--to-parquet`` writes the mapped rows to a Parquet file instead of the store (DuckDB's
``COPY … TO``, default compression): the floor of a design that kept events as Parquet files
beside the DuckDB catalogue instead of in a DuckDB table.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from kizuki.store import open_store


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--disable-compression",
        default="",
        help="DuckDB compression methods to skip (ingest skips 'fsst')",
    )
    parser.add_argument(
        "--to-parquet", action="store_true", help="COPY the rows to a Parquet file instead"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"duckdb://{tmp}/floor.duckdb")
        store.close()
        con = duckdb.connect(f"{tmp}/floor.duckdb")
        con.execute("SET preserve_insertion_order = false")
        methods = str(args.disable_compression).replace("'", "")
        con.execute(f"SET disabled_compression_methods = '{methods}'")
        path = str(args.file).replace("'", "''")
        n = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]  # type: ignore[index]
        wall, cpu = time.perf_counter(), _cpu()
        select = (
            "SELECT left(md5(user_pseudo_id || event_timestamp), 20), "
            "make_timestamp(event_timestamp), user_id, user_pseudo_id, user_pseudo_id, "
            "event_name, event_params[3].value.string_value, event_params[4].value.string_value, "
            f"NULL, device.category, NULL, 'floor' FROM read_parquet('{path}')"
        )
        if args.to_parquet:
            con.execute(f"COPY ({select}) TO '{tmp}/events.parquet' (FORMAT parquet)")
        else:
            con.execute(f"INSERT INTO events {select}")
            con.execute("CHECKPOINT")
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    print(f"rows {n:,}  wall {wall:.2f} s  cpu {cpu:.2f} s  {n / wall:,.0f} rows/s (wall)")
    print(f"cpu per million rows: {cpu / n * 1e6:.2f} s")


if __name__ == "__main__":
    main()
