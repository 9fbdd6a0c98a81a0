"""Checksums of a store's result tables, to prove that a change left every result identical.

Each ``result_*`` table is read whole, its rows sorted on every column (so the engine's row
order does not matter) and hashed with SHA-256 over Arrow's IPC bytes of the sorted table: two
tables hash alike only when they have the same columns, types and values, to the last bit of
every float. Tables that record a run rather than a result (``result_runs``: its times and
version change every run) are left out.

    .venv/bin/python bench/result_checksums.py demo/kizuki.duckdb
    .venv/bin/python bench/result_checksums.py demo/kizuki.duckdb --json before.json
    .venv/bin/python bench/result_checksums.py demo/kizuki.duckdb --compare before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

#: Result tables that describe the run itself, not an analysis result.
RUN_RECORDS = ("result_runs",)


def _sortable(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column Arrow can sort: nested values as their JSON text."""
    if pa.types.is_nested(column.type):
        return pa.chunked_array([pa.array([json.dumps(v) for v in column.to_pylist()])])
    return column


def table_checksum(table: pa.Table) -> str:
    """SHA-256 of ``table`` with its rows in a canonical order."""
    keys = pa.table({name: _sortable(table[name]) for name in table.column_names})
    order = pc.sort_indices(keys, sort_keys=[(name, "ascending") for name in keys.column_names])
    ordered = table.take(order).combine_chunks()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, ordered.schema) as writer:
        writer.write_table(ordered, max_chunksize=1 << 30)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def store_checksums(path: Path) -> dict[str, dict[str, object]]:
    """``{table: {"rows": n, "sha256": hex}}`` for every result table of the DuckDB file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = sorted(
            row[0]
            for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            if row[0].startswith("result_") and row[0] not in RUN_RECORDS
        )
        out: dict[str, dict[str, object]] = {}
        for name in names:
            table = con.execute(f'SELECT * FROM "{name}"').to_arrow_table()
            out[name] = {"rows": table.num_rows, "sha256": table_checksum(table)}
        return out
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="a DuckDB store file")
    parser.add_argument("--json", type=Path, help="also write the checksums to this file")
    parser.add_argument("--compare", type=Path, help="a --json file to compare with")
    args = parser.parse_args(argv)
    sums = store_checksums(args.store)
    for name, entry in sums.items():
        print(f"{name:<32} {entry['rows']:>10,}  {str(entry['sha256'])[:16]}")
    if args.json:
        args.json.write_text(json.dumps(sums, indent=2) + "\n", encoding="utf-8")
    if args.compare:
        before = json.loads(args.compare.read_text(encoding="utf-8"))
        differ = sorted(n for n in set(before) | set(sums) if before.get(n) != sums.get(n))
        print("identical" if not differ else f"differ: {', '.join(differ)}")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
