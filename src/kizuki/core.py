"""The core object: ``kizuki.open(url)`` returns a :class:`Kizuki`; the CLI, API and report are
its clients."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kizuki.progress import ProgressCallback, no_progress
from kizuki.store import DEFAULT_URL, Store, open_store

if TYPE_CHECKING:
    from kizuki.ingest import IngestResult

__all__ = ["Kizuki", "open"]


class Kizuki:
    """A store plus every analysis Kizuki knows, as methods returning DataFrames."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"Kizuki({self.store.url!r})"

    def ingest(
        self,
        source: str,
        files: Sequence[str | Path],
        *,
        progress: ProgressCallback = no_progress,
        **options: Any,
    ) -> list[IngestResult]:
        """Ingest ``files`` of format ``source`` (see :func:`kizuki.ingest.ingest_files`)."""
        from kizuki.ingest import ingest_files

        return ingest_files(self.store, source, files, progress=progress, **options)

    def overview(self) -> dict[str, Any]:
        """Row counts, date ranges and the quarantine summary of the store."""
        from kizuki.analytics.overview import data_overview

        return data_overview(self.store)

    def analyze(self, *, progress: ProgressCallback = no_progress) -> list[str]:
        """Compute every analysis and write its result table; return the tables written."""
        from kizuki.analytics import run_all

        return run_all(self.store, progress=progress)

    def report(self, out: str | Path, *, lang: str = "ja") -> Path:
        """Write the self-contained HTML report to ``out``."""
        from kizuki.report import render_report

        return render_report(self, Path(out), lang=lang)

    def close(self) -> None:
        self.store.close()


def open(url: str = DEFAULT_URL) -> Kizuki:
    """Open the store at ``url`` and return the core object.

    Examples
    --------
    >>> import kizuki
    >>> kz = kizuki.open("duckdb://")
    >>> kz.overview()["tables"]["events"]["rows"]
    0
    """
    return Kizuki(open_store(url))
