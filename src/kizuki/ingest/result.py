"""What one ingested file did to the store: :class:`IngestResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["IngestResult"]


@dataclass
class IngestResult:
    """Counts of one file's ingest.

    ``rows_in == rows_loaded + rows_updated + rows_duplicate + rows_quarantined`` always holds
    for the file's ``target_table``: ``rows_loaded`` rows had a new key, ``rows_updated`` rows
    replaced an older stored version of their row (tables with ``updated_at``; see
    :mod:`kizuki.ingest.upsert`). Keys the file also loaded or updated in other tables (GA4
    searches, Zendesk CSAT surveys) are counted in ``derived``. ``skipped`` is True when this
    exact file (same checksum) had already been ingested, and nothing was written.
    """

    batch_id: str
    source: str
    file: str
    target_table: str
    rows_in: int
    rows_loaded: int
    rows_duplicate: int
    rows_quarantined: int
    derived: dict[str, int]
    skipped: bool
    ignored_columns: tuple[str, ...] = field(default=())
    rows_updated: int = 0

    def summary(self) -> str:
        """One line for people, e.g. ``customers.csv → customers: 9 in, 5 loaded, 3 updated, …``."""
        name = self.file.replace("\\", "/").rsplit("/", 1)[-1]
        if self.skipped:
            return (
                f"{name} → {self.target_table}: already ingested (batch {self.batch_id}), skipped"
            )
        text = (
            f"{name} → {self.target_table}: {self.rows_in:,} in, {self.rows_loaded:,} loaded, "
            f"{self.rows_updated:,} updated, {self.rows_duplicate:,} duplicate, "
            f"{self.rows_quarantined:,} quarantined"
        )
        extra = [f"{n:,} {table}" for table, n in sorted(self.derived.items())]
        if extra:
            text += f" (+ {', '.join(extra)})"
        if self.ignored_columns:
            text += f"; ignored columns: {', '.join(self.ignored_columns)}"
        return text
