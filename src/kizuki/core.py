"""The core object: ``kizuki.open(url)`` returns a :class:`Kizuki`; the CLI, API and report are
its clients."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kizuki.errors import NotFoundError
from kizuki.progress import ProgressCallback, no_progress
from kizuki.store import DEFAULT_URL, Store, open_store

if TYPE_CHECKING:
    import pandas as pd

    from kizuki.ingest import IngestResult
    from kizuki.journey import Journey

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

    def analyze(
        self,
        *,
        journey: Journey | None = None,
        intent_model: str | Path | None = None,
        contact_reasons: bool = True,
        progress: ProgressCallback = no_progress,
    ) -> list[str]:
        """Compute every analysis and write its result table; return the tables written.

        ``journey`` is the journey map (:func:`kizuki.journey.load_journey`; the shipped
        default when None); ``intent_model`` a model file from ``kizuki intents train``
        (default: one trained on the store's labelled contacts); ``contact_reasons=False``
        skips classifying contacts and searches (their tables keep an earlier run's rows).
        """
        from kizuki.analytics import run_all

        model = Path(intent_model) if intent_model is not None else None
        return run_all(
            self.store,
            journey=journey,
            intent_model=model,
            contact_reasons=contact_reasons,
            progress=progress,
        )

    def _result(self, name: str) -> pd.DataFrame:
        if name not in self.store.list_tables():
            raise NotFoundError(
                f"result table {name!r} is not in store {self.store.url}; "
                f"run `kizuki analyze --store {self.store.url}` first"
            )
        frame: pd.DataFrame = self.store.to_arrow(self.store.table(name)).to_pandas()
        return frame

    def friction_points(self) -> pd.DataFrame:
        """Friction points (stage, signal, page, intent) with reach, outcomes and lift.

        Reads ``result_friction_points``; columns: :data:`kizuki.analytics.friction.
        FRICTION_COLUMNS`. Raises :class:`~kizuki.errors.NotFoundError` before ``analyze``.
        """
        return self._result("result_friction_points")

    def contact_intents(self) -> pd.DataFrame:
        """Every contact's intent, its confidence and where it came from (label, model,
        out_of_scope). Reads ``result_contact_intents``."""
        return self._result("result_contact_intents")

    def new_topics(self) -> pd.DataFrame:
        """Proposed new topics among contacts that fit no known intent (``result_new_topics``)."""
        return self._result("result_new_topics")

    def silent_customers(self) -> pd.DataFrame:
        """Silent customers and money at risk per friction page, and a ``total`` row.

        Reads ``result_silent_customers``; columns: :data:`kizuki.analytics.silent.
        SILENT_COLUMNS`. Raises :class:`~kizuki.errors.NotFoundError` before ``analyze``.
        """
        return self._result("result_silent_customers")

    def friction_export(self) -> pd.DataFrame:
        """The ranked friction-point table of ``kizuki export friction``."""
        from kizuki.analytics.export import friction_export_table

        return friction_export_table(self.silent_customers())

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
