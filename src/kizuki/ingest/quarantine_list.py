"""The quarantine as people read it: rows grouped by the kind of reason, with examples.

A quarantined row's ``reason`` holds every reason found in the row, joined by ``; ``; the
listing splits them, so a row counts in the group of each of its reasons. A reason's *kind* is
the reason with quoted values and numbers masked (:func:`kizuki.analytics.overview.reason_kind`),
as the report groups them. Removed batches have no quarantine rows left (see
:mod:`kizuki.ingest.batches`), so the listing holds the current batches' rows only.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from kizuki.analytics.overview import reason_kind
from kizuki.store import Store

__all__ = ["EXAMPLES", "REASON_SEPARATOR", "QuarantineListing", "ReasonGroup", "list_quarantine"]

#: what joins the reasons of a row in ``quarantine.reason``
REASON_SEPARATOR = "; "
#: examples kept per group of reasons
EXAMPLES = 3
#: characters of a row's raw text an example keeps
RAW_EXCERPT = 200
#: the columns of :meth:`QuarantineListing.to_arrow` and ``kizuki quarantine --csv``
ROW_COLUMNS = ("batch_id", "file", "source_row", "target_table", "reason", "raw")
#: rows in the order they were quarantined: batch by batch, then by row number
_ORDER = ("quarantined_at", "batch_id", "source_row")


@dataclass(frozen=True)
class ReasonGroup:
    """Quarantined rows with a reason of one kind: ``rows`` rows, the first few as examples
    (``batch_id, file, source_row, target_table, reason`` (every reason of the row) and
    ``raw`` (its first :data:`RAW_EXCERPT` characters))."""

    reason_kind: str
    rows: int
    examples: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class QuarantineListing:
    """Quarantined rows matching a filter: ``rows`` of them, in ``groups`` by reason kind
    (largest first); :meth:`to_arrow` and :meth:`write_csv` give every matching row."""

    rows: int
    groups: tuple[ReasonGroup, ...]
    _store: Store = field(repr=False, compare=False)
    _matching: Any = field(repr=False, compare=False)

    def to_arrow(self) -> pa.Table:
        """Every matching row (:data:`ROW_COLUMNS`), batch by batch (oldest first), by row."""
        return self._store.to_arrow(self._matching)

    def write_csv(self, path: str | Path) -> int:
        """Write every matching row to ``path`` (UTF-8 CSV with a header); return how many."""
        table = self.to_arrow()
        with Path(path).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(table.column_names)
            for row in table.to_pylist():
                writer.writerow(["" if row[c] is None else row[c] for c in table.column_names])
        return int(table.num_rows)


def list_quarantine(
    store: Store, *, batch_id: str | None = None, reason_like: str | None = None
) -> QuarantineListing:
    """The quarantine of batch ``batch_id`` (default: every batch), grouped by reason kind.

    ``reason_like`` keeps the reasons that contain it, case-insensitively (a SQL ``LIKE``
    pattern when it holds ``%``); a row is listed when one of its reasons is kept, and shows
    all of them.

    Examples
    --------
    >>> from kizuki.store import open_store
    >>> list_quarantine(open_store("duckdb://")).rows
    0
    """
    q = store.table("quarantine")
    if batch_id is not None:
        q = q.filter(q.batch_id == batch_id)
    parts = q.select(
        "batch_id",
        "file",
        "source_row",
        "target_table",
        "reason",
        "quarantined_at",
        raw=q.raw.substr(0, RAW_EXCERPT),
        part=q.reason.fill_null("").split(REASON_SEPARATOR).unnest(),
    )
    if reason_like:
        pattern = reason_like if "%" in reason_like else f"%{reason_like}%"
        parts = parts.filter(parts.part.ilike(pattern))
    parts = parts.mutate(kind=reason_kind(parts.part))
    counts = store.to_arrow(parts.group_by("kind").aggregate(rows=parts.count())).to_pylist()
    ranked = parts.mutate(n=ibis.row_number().over(group_by="kind", order_by=list(_ORDER)))
    examples: dict[str, list[dict[str, Any]]] = {}
    picked = ranked.filter(ranked.n < EXAMPLES).order_by(["kind", "n"])
    for row in store.to_arrow(picked.drop("part", "n", "quarantined_at")).to_pylist():
        examples.setdefault(row.pop("kind"), []).append(row)
    groups = tuple(
        ReasonGroup(c["kind"], int(c["rows"]), tuple(examples.get(c["kind"], [])))
        for c in sorted(counts, key=lambda c: (-int(c["rows"]), c["kind"]))
    )
    matching = q
    if reason_like:
        keys = parts.select("batch_id", "source_row").distinct()
        matching = q.semi_join(keys, ["batch_id", "source_row"])
    matching = matching.order_by(list(_ORDER)).select(*ROW_COLUMNS)
    total = int(matching.count().execute())
    return QuarantineListing(total, groups, store, matching)
