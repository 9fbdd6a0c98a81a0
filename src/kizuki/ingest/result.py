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

    ``naive_times`` timestamps of the file had no UTC offset and were read in ``timezone``
    (:meth:`warnings` says so); ``generated_columns`` were made from the row's content (an
    events file without ``event_id``); ``first_reasons`` are the first distinct quarantine
    reasons, in row order, for a file whose rows were all quarantined
    (:attr:`all_quarantined`).
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
    #: the earlier batches of the same file this one replaced (``--replace``)
    replaced_batches: tuple[str, ...] = ()
    #: the IANA time zone that times without a UTC offset were read in
    timezone: str = "UTC"
    #: how many timestamps of the file had no UTC offset (read in ``timezone``)
    naive_times: int = 0
    #: target columns made from the row's content (``event_id`` of an events file without it)
    generated_columns: tuple[str, ...] = ()
    #: up to five distinct quarantine reasons, in row order, when every row was quarantined
    first_reasons: tuple[str, ...] = ()
    #: current batches of the same table loaded from a file of the same name with other
    #: content, kept beside this one (no ``--replace``)
    same_name_batches: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The file's name without its directory."""
        return self.file.replace("\\", "/").rsplit("/", 1)[-1]

    @property
    def all_quarantined(self) -> bool:
        """True when the file had rows and every one of them was quarantined."""
        kept = self.rows_loaded + self.rows_updated + self.rows_duplicate
        return self.rows_in > 0 and kept == 0

    def warnings(self) -> list[str]:
        """What a person should check, one line each: times read in a zone Kizuki assumed.

        >>> r = IngestResult("b", "csv", "events.csv", "events", 9, 9, 0, 0, {}, False)
        >>> r.naive_times, r.timezone = 3825, "Asia/Tokyo"
        >>> print(*r.warnings())
        events.csv: 3,825 times without a UTC offset read as Asia/Tokyo (pass --timezone to change)
        """
        if self.skipped:
            return []
        out = []
        if self.naive_times:
            out.append(
                f"{self.name}: {self.naive_times:,} time{'' if self.naive_times == 1 else 's'} "
                "without a UTC offset read as "
                f"{self.timezone} (pass --timezone to change)"
            )
        if self.same_name_batches:
            out.append(
                f"{self.name}: a file of this name with other content was loaded before (batch "
                f"{', '.join(self.same_name_batches)}); both are kept. If this file corrects it, "
                "ingest it again with --replace (or `kizuki batches delete`)"
            )
        return out

    def summary(self) -> str:
        """One line for people, e.g. ``customers.csv → customers: 9 in, 5 loaded, 3 updated, …``."""
        name = self.name
        if self.skipped:
            return (
                f"{name} → {self.target_table}: already ingested (batch {self.batch_id}), "
                "skipped; pass --replace to load it again (e.g. after fixing the mapping)"
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
        if self.naive_times:
            text += f"; {self.naive_times:,} times without a UTC offset read as {self.timezone}"
        for column in self.generated_columns:
            text += f"; {column} generated from the row's content"
        if self.replaced_batches:
            text += f"; replaced {', '.join(self.replaced_batches)}"
        return text
