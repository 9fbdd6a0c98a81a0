"""Time the contact-reason step of ``kizuki analyze`` alone, on a copy of a store.

    .venv/bin/python bench/contact_reasons.py bench/out/analyze/store-c45045-d90-s42/kizuki.duckdb

Prints wall and CPU seconds of each part (train, classify contacts, classify and join searches,
new topics, rising topics) and the sizes involved.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import tempfile
import time
from pathlib import Path

from kizuki.analytics.contact_reasons import write_contact_reasons
from kizuki.store import open_store

PARTS = ("train", "contacts", "searches and weekly", "new topics", "rising")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="a DuckDB store file (not modified)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "store.duckdb"
        shutil.copy(args.store, copy)
        store = open_store(f"duckdb://{copy}")
        contacts = int(store.table("contacts").count().execute())
        searches = int(store.table("searches").count().execute())
        marks: list[tuple[float, float]] = []

        def progress(step: str, done: float, total: float | None) -> None:
            marks.append((time.perf_counter(), time.process_time()))

        start = (time.perf_counter(), time.process_time())
        write_contact_reasons(store, progress=progress)
        end = (time.perf_counter(), time.process_time())
        labelled = store.to_arrow(store.table("result_intent_model")).to_pylist()[0]
        store.close()
    print(
        f"store {args.store}: {contacts:,} contacts ({labelled['trained_on']:,} labelled "
        f"used for training, {labelled['intents']} intents), {searches:,} searches"
    )
    print(f"contact reasons: {end[0] - start[0]:.1f} s wall, {end[1] - start[1]:.1f} CPU-s")
    for name, (a, b) in zip(PARTS, itertools.pairwise(marks), strict=False):
        print(f"  {name:<20} {b[0] - a[0]:6.1f} s wall {b[1] - a[1]:6.1f} CPU-s")


if __name__ == "__main__":
    main()
