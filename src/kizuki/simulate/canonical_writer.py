"""Canonical CSV files: UTF-8, one per table, columns named as in :data:`kizuki.schema.TABLES`.

Columns arrive as lists of strings (``""`` for an empty field); planted defects are inserted
right after the rows they copy, and the file is written with Arrow's CSV writer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from kizuki.schema import TABLES
from kizuki.simulate.config import Quality
from kizuki.simulate.defects import Recipe, WriteStats, plant_rows

__all__ = ["RECIPES", "write_canonical"]

_BAD_TS = "2026-13-45T25:61:00+09:00"

#: The broken rows planted in each canonical file, cycled in this order.
RECIPES: dict[str, list[Recipe]] = {
    "customers": [
        Recipe("missing_id", "customer_id", ""),
        Recipe("bad_timestamp", "created_at", "2026/13/45 25:61"),
        Recipe("negative_value", "monthly_value", "-4980"),
    ],
    "subscriptions": [
        Recipe("invalid_enum", "status", "actve"),
        Recipe("missing_id", "customer_id", ""),
        Recipe("bad_timestamp", "started_at", "not a date"),
    ],
    "content": [
        Recipe("invalid_enum", "kind", "faqq"),
        Recipe("missing_id", "content_id", ""),
        Recipe("missing_required", "title", ""),
    ],
    "surveys": [
        Recipe("score_out_of_range", "score", "11"),
        Recipe("invalid_enum", "kind", "nsp"),
        Recipe("bad_timestamp", "ts", _BAD_TS),
    ],
    "incidents": [Recipe("missing_timestamp", "started_at", "")],
    "mentions": [
        Recipe("missing_required", "text", ""),
        Recipe("bad_timestamp", "ts", "2026-02-30T10:00:00+09:00"),
        Recipe("missing_id", "mention_id", ""),
    ],
    "contacts": [
        Recipe("invalid_enum", "channel", "chatbott"),
        Recipe("missing_id", "contact_id", ""),
        Recipe("bad_timestamp", "opened_at", _BAD_TS),
    ],
}


def write_canonical(
    table: str,
    columns: dict[str, list[str]],
    path: Path,
    quality: Quality,
    rng: np.random.Generator,
) -> WriteStats:
    """Write one canonical table (with planted defects) and return what was planted."""
    tdef = TABLES[table]
    expected = tdef.column_names
    given = [c for c in expected if c in columns]
    optional = {c.name for c in tdef.columns if not c.required}
    if list(columns) != given or not set(expected) - set(given) <= optional:
        raise ValueError(f"{table}: columns {list(columns)} != schema {expected}")
    n = len(next(iter(columns.values()))) if columns else 0
    columns = {c: columns.get(c, [""] * n) for c in expected}  # columns not simulated: empty
    stats = WriteStats(file=f"canonical/{path.name}")
    planted = plant_rows(columns, RECIPES[table], quality, rng, stats)
    arrays = []
    for name in expected:
        arr = pa.array(planted[name], type=pa.string())
        arrays.append(pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr))
    pacsv.write_csv(
        pa.table(arrays, names=expected),
        path,
        write_options=pacsv.WriteOptions(quoting_style="needed", batch_size=65_536),
    )
    return stats
