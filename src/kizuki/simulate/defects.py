"""Planted export defects: broken rows and exact duplicates, counted for the ground truth.

Real exports carry a few bad rows; the simulator plants some in every file so ingest can be
tested exactly. A *malformed* row is an extra copy of a real row with one field broken (a bad
or missing timestamp, a missing id, an invalid enum value, a score off its scale, a cut JSON
line); a *duplicate* is an exact extra copy of a real row, so it has the same key.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from kizuki.simulate.config import Quality

__all__ = ["Recipe", "WriteStats", "defect_counts", "plant_rows"]


@dataclass
class WriteStats:
    """Rows written to one file and the defects planted in it."""

    file: str
    rows: int = 0
    malformed: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0

    def as_dict(self) -> dict[str, object]:
        bad = dict(sorted(self.malformed.items()))
        return {
            "file": self.file,
            "rows": self.rows,
            "malformed": bad,
            "malformed_total": sum(bad.values()),
            "duplicates": self.duplicates,
            "valid_unique_rows": self.rows - sum(bad.values()) - self.duplicates,
        }


@dataclass(frozen=True)
class Recipe:
    """One kind of broken row: ``column`` is set to ``value`` in a copy of a real row."""

    kind: str
    column: str
    value: str


def defect_counts(n: int, quality: Quality) -> tuple[int, int]:
    """How many malformed and duplicate rows to plant in a file of ``n`` rows."""
    if n == 0:
        return 0, 0
    bad = max(1, round(n * quality.malformed_share)) if quality.malformed_share > 0 else 0
    dup = round(n * quality.duplicate_share)
    if quality.duplicate_share > 0 and n >= 50:
        dup = max(1, dup)
    return bad, dup


def plant_rows(
    columns: dict[str, list[str]],
    recipes: list[Recipe],
    quality: Quality,
    rng: np.random.Generator,
    stats: WriteStats,
) -> dict[str, list[str]]:
    """Insert broken copies and duplicates of random rows right after their originals."""
    names = list(columns)
    n = len(columns[names[0]]) if names else 0
    n_bad, n_dup = defect_counts(n, quality)
    sources = rng.integers(0, n, n_bad + n_dup) if n else np.zeros(0, dtype=np.int64)
    extras: list[list[str]] = []
    for j, src in enumerate(sources.tolist()):
        row = [columns[c][src] for c in names]
        if j < n_bad:
            recipe = recipes[j % len(recipes)]
            row[names.index(recipe.column)] = recipe.value
            stats.malformed[recipe.kind] += 1
        else:
            stats.duplicates += 1
        extras.append(row)
    # each extra row goes right after the row it copies
    where = np.concatenate([np.arange(n, dtype=np.float64), sources + 0.5])
    order = np.argsort(where, kind="stable").tolist()
    out: dict[str, list[str]] = {}
    for k, c in enumerate(names):
        values = list(columns[c]) + [row[k] for row in extras]
        out[c] = [values[i] for i in order]
    stats.rows = n + len(extras)
    return out
