"""The core object: ``kizuki.open(url)`` returns a :class:`Kizuki`, the whole public surface.

The CLI, the report (and the API and dashboard) are its clients: they parse input, call a
method, and format what it returns. Queries and analyses live behind these methods.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd
import pyarrow as pa
from pydantic import ValidationError

from kizuki.core_alive import AliveMethods
from kizuki.core_churn import ChurnMethods
from kizuki.core_intents import IntentMethods
from kizuki.core_kpis import KPIMethods
from kizuki.core_outreach import OutreachMethods
from kizuki.core_search import SearchMethods
from kizuki.core_selfservice import SelfServiceMethods
from kizuki.core_voice import VoiceMethods
from kizuki.errors import NotFoundError
from kizuki.progress import ProgressCallback, no_progress
from kizuki.schema import RESULT_TABLES, RUNS_TABLE
from kizuki.settings import AnalyzeSettings, Settings, load_settings
from kizuki.store import Store, open_store

if TYPE_CHECKING:
    from kizuki.ingest import IngestResult
    from kizuki.ingest.inspect import Inspection
    from kizuki.ingest.quarantine_list import QuarantineListing
    from kizuki.journey import Journey

__all__ = ["Kizuki", "RunRecord", "open"]


@dataclass(frozen=True)
class RunRecord:
    """One ``kizuki analyze`` run, as ``result_runs`` recorded it."""

    run_id: str
    kizuki_version: str
    status: str
    started_at: Any
    finished_at: Any
    #: The configuration the run used; None when this Kizuki cannot read it (another version).
    settings: AnalyzeSettings | None
    config: dict[str, Any]
    journey: dict[str, Any]
    inputs: dict[str, int]
    steps: list[dict[str, Any]]
    tables_written: list[str]
    error: str | None


def _run_record(row: dict[str, Any]) -> RunRecord:
    config = json.loads(row["config"] or "{}")
    try:
        settings: AnalyzeSettings | None = AnalyzeSettings.model_validate(config)
    except ValidationError:
        settings = None
    return RunRecord(
        run_id=row["run_id"],
        kizuki_version=row["kizuki_version"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        settings=settings,
        config=config,
        journey=json.loads(row["journey"] or "{}"),
        inputs=json.loads(row["inputs"] or "{}"),
        steps=json.loads(row["steps"] or "[]"),
        tables_written=json.loads(row["tables_written"] or "[]"),
        error=row["error"],
    )


class Kizuki(
    AliveMethods,
    ChurnMethods,
    IntentMethods,
    KPIMethods,
    OutreachMethods,
    SearchMethods,
    SelfServiceMethods,
    VoiceMethods,
):
    """A store, the settings it is used with, and every analysis Kizuki knows, as methods.

    Results come back as pandas DataFrames (``result_table`` gives Arrow); each result method
    raises :class:`~kizuki.errors.NotFoundError` before ``analyze`` has written its table.
    """

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or load_settings()

    def __repr__(self) -> str:
        return f"Kizuki({self.store.url!r})"

    def __enter__(self) -> Kizuki:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The store's URL."""
        return self.store.url

    def close(self) -> None:
        self.store.close()

    # -- data -------------------------------------------------------------------------------
    def schema_version(self) -> int:
        """The store's schema version (:data:`kizuki.schema.SCHEMA_VERSION` once opened)."""
        return self.store.schema_version()

    def ingest(
        self,
        source: str,
        files: Sequence[str | Path],
        *,
        table: str | None = None,
        mapping: Path | None = None,
        encoding: str | None = None,
        timezone: str | None = None,
        replace: bool = False,
        progress: ProgressCallback = no_progress,
    ) -> list[IngestResult]:
        """Ingest ``files`` of format ``source`` (see :func:`kizuki.ingest.ingest_files`), in
        transactions of ``settings.batch_rows`` rows. ``timezone`` (default: the settings'
        store time zone) reads times without an offset; ``replace`` replaces the earlier
        batches of the same file."""
        from kizuki.ingest import ingest_files

        return ingest_files(
            self.store,
            source,
            files,
            table=table,
            mapping=mapping,
            encoding=encoding,
            batch_rows=self.settings.batch_rows,
            hash_key=(
                self.settings.hash_key.get_secret_value() if self.settings.hash_key else None
            ),
            timezone=timezone or self.settings.store_timezone,
            replace=replace,
            progress=progress,
        )

    def inspect(
        self,
        source: str,
        files: Sequence[str | Path],
        *,
        table: str | None = None,
        mapping: Path | None = None,
        encoding: str | None = None,
        timezone: str | None = None,
    ) -> list[Inspection]:
        """What ``ingest`` would see in ``files`` (see :func:`kizuki.ingest.inspect.inspect_files`);
        reads the files only: the store is not touched. ``timezone`` (default: the settings'
        store time zone) reads times without an offset, as ``ingest`` would."""
        from kizuki.ingest.inspect import inspect_files

        return inspect_files(
            source,
            files,
            table=table,
            mapping=mapping,
            encoding=encoding,
            batch_rows=self.settings.batch_rows,
            timezone=timezone or self.settings.store_timezone,
        )

    def overview(self) -> dict[str, Any]:
        """Row counts, date ranges, the quarantine summary and the ingest log of the store."""
        from kizuki.analytics.overview import data_overview

        return data_overview(self.store)

    # -- batches and the quarantine -----------------------------------------------------------
    def batches(self, include_removed: bool = False) -> list[dict[str, Any]]:
        """The store's batches (one per ingested file), oldest first: current and interrupted
        ones, and with ``include_removed`` the replaced and deleted ones
        (:func:`kizuki.ingest.batches.list_batches`)."""
        from kizuki.ingest.batches import list_batches

        return list_batches(self.store, include_removed=include_removed)

    def find_batch(self, batch: str) -> dict[str, Any]:
        """The current or interrupted batch whose id is ``batch`` or starts with it; raises
        NotFoundError when none or several match."""
        from kizuki.ingest.batches import find_batch

        return find_batch(self.store, batch)

    def delete_batch(self, batch_id: str) -> dict[str, int]:
        """Delete a batch (its id or a unique prefix) in one transaction: its rows in every
        table and in the quarantine go, its ``ingest_log`` row is marked removed. Returns the
        rows deleted per table. Results are stale until the next ``analyze``."""
        from kizuki.ingest.batches import delete_batch

        return delete_batch(self.store, batch_id)

    def quarantine(
        self, batch: str | None = None, reason_like: str | None = None
    ) -> QuarantineListing:
        """The quarantined rows of batch ``batch`` (an id or a unique prefix; default: every
        current batch) grouped by kind of reason, a row in the group of each of its reasons;
        ``reason_like`` keeps the reasons containing it
        (:func:`kizuki.ingest.quarantine_list.list_quarantine`)."""
        from kizuki.ingest.quarantine_list import list_quarantine

        batch_id = None if batch is None else self.find_batch(batch)["batch_id"]
        return list_quarantine(self.store, batch_id=batch_id, reason_like=reason_like)

    def results_stale(self) -> str | None:
        """Why the result tables no longer match the data (batches ingested or removed since
        the last ``analyze`` run started), or None: they match, or there are none."""
        from kizuki.ingest.batches import results_stale

        if not self.has_result(RUNS_TABLE):
            return None
        records = self.run_records()
        run = next((r for r in records if r.status == "completed"), None)
        if run is None and records:
            run = records[0]
        return results_stale(self.store, None if run is None else run.started_at)

    # -- the journey map ----------------------------------------------------------------------
    def journey(self, spec: str | Path | None = None) -> Journey:
        """The journey map ``spec`` (a shipped name or a YAML file; default: the settings')."""
        from kizuki.journey import find_journey

        return find_journey(spec if spec is not None else self.settings.analyze.journey)

    def unmatched_pages(self, journey: Journey | str | Path | None = None) -> pd.DataFrame:
        """Pages and events of the store that no stage of the journey map matches
        (:func:`kizuki.journey.unmatched_pages`)."""
        from kizuki.journey import Journey, unmatched_pages

        mapped = journey if isinstance(journey, Journey) else self.journey(journey)
        return unmatched_pages(self.store.table("events"), mapped)

    def suggest_journey(self, *, name: str = "suggested", min_share: float = 0.01) -> Any:
        """A journey map proposed from the store's page paths and GA4 events, with why
        (:func:`kizuki.journey_suggest.suggest_journey`; ``.journey``, ``.explanation``,
        ``.yaml``, ``.write(path)``)."""
        from kizuki.journey_suggest import suggest_journey

        return suggest_journey(
            self.store.table("events"),
            name=name,
            gap_minutes=self.settings.analyze.signals.gap_minutes,
            min_share=min_share,
            source=self.url,
        )

    # -- analysis ---------------------------------------------------------------------------
    def analyze(
        self,
        *,
        journey: Journey | str | Path | None = None,
        intent_model: str | Path | None = None,
        contact_reasons: bool | None = None,
        settings: AnalyzeSettings | None = None,
        progress: ProgressCallback = no_progress,
    ) -> list[str]:
        """Compute every analysis and write its result table; return the tables written.

        Runs with ``settings`` (default: this object's ``settings.analyze``), where
        ``journey`` (a map, a shipped name or a YAML file), ``intent_model`` (a file from
        ``kizuki intents train``) and ``contact_reasons`` override theirs. Days and weeks are
        those of ``settings.store_timezone``. The run is recorded in ``result_runs``
        (:meth:`runs`).
        """
        from kizuki.analytics.pipeline import run_pipeline
        from kizuki.journey import Journey

        cfg = settings or self.settings.analyze
        update: dict[str, Any] = {}
        if isinstance(journey, str | Path):
            update["journey"] = str(journey)
        if intent_model is not None:
            update["intent_model"] = Path(intent_model)
        if contact_reasons is not None:
            update["contact_reasons"] = contact_reasons
        cfg = cfg.model_copy(update=update)
        mapped = journey if isinstance(journey, Journey) else self.journey(cfg.journey)
        return run_pipeline(
            self.store, cfg, mapped, progress=progress, timezone=self.settings.store_timezone
        )

    def runs(self) -> pd.DataFrame:
        """Every recorded ``kizuki analyze`` run, newest first (``result_runs``)."""
        frame = self.result(RUNS_TABLE)
        return frame.sort_values("started_at", ascending=False).reset_index(drop=True)

    def run_records(self, limit: int | None = None) -> list[RunRecord]:
        """The recorded runs, newest first, with their JSON columns read (at most ``limit``)."""
        self._require_result(RUNS_TABLE)
        runs = self.store.table(RUNS_TABLE).order_by(ibis.desc("started_at"))
        rows = self.store.to_arrow(runs if limit is None else runs.limit(limit)).to_pylist()
        return [_run_record(row) for row in rows]

    def last_run(self) -> RunRecord | None:
        """The newest completed run, or None when the store has none recorded."""
        return next((run for run in self.run_records() if run.status == "completed"), None)

    # -- results ----------------------------------------------------------------------------
    def has_result(self, name: str) -> bool:
        """Whether the store holds result table ``name``."""
        return name in self.store.list_tables()

    def _require_result(self, name: str) -> None:
        """Raise NotFoundError, saying what to do, unless the store holds result ``name``."""
        if name not in RESULT_TABLES:
            raise NotFoundError(
                f"{name!r} is not a result table; result tables: {', '.join(RESULT_TABLES)}"
            )
        if not self.has_result(name):
            raise NotFoundError(
                f"result table {name!r} is not in store {self.url}; "
                f"run `kizuki analyze --store {self.url}` first"
            )

    def result_table(self, name: str) -> pa.Table:
        """Result table ``name`` as Arrow (one of :data:`kizuki.schema.RESULT_TABLES`)."""
        self._require_result(name)
        return self.store.to_arrow(self.store.table(name))

    def result(self, name: str) -> pd.DataFrame:
        """Result table ``name`` as a DataFrame; its columns are declared in
        :data:`kizuki.schema.RESULT_TABLES` (docs/data-model.md)."""
        frame: pd.DataFrame = self.result_table(name).to_pandas()
        return frame

    def overview_table(self) -> pd.DataFrame:
        """Rows and time span of every canonical table at the last run (``result_overview``)."""
        return self.result("result_overview")

    def events_daily(self) -> pd.DataFrame:
        """Events, sessions and visitors per day (``result_events_daily``)."""
        return self.result("result_events_daily")

    def stage_daily(self) -> pd.DataFrame:
        """Sessions, visitors and events per journey stage per day (``result_stage_daily``)."""
        return self.result("result_stage_daily")

    def signals(self) -> pd.DataFrame:
        """One row per session and struggle signal (``result_signals``)."""
        return self.result("result_signals")

    def coverage(self) -> pd.DataFrame:
        """The share of browsers, sessions, struggling visitors and contacts linked to a known
        customer (``result_coverage``, docs/identity.md)."""
        return self.result("result_coverage")

    def friction_points(self) -> pd.DataFrame:
        """Friction points with reach, rates and outcomes (``result_friction_points``)."""
        return self.result("result_friction_points")

    def friction_weekly(self) -> pd.DataFrame:
        """Sessions and customers per friction point per week (``result_friction_weekly``)."""
        return self.result("result_friction_weekly")

    def friction_paths(self) -> pd.DataFrame:
        """Top page paths before and after each friction point (``result_friction_paths``)."""
        return self.result("result_friction_paths")

    def silent_customers(self) -> pd.DataFrame:
        """Silent customers and money at risk per page, and a ``total`` row
        (``result_silent_customers``; docs/silent.md)."""
        return self.result("result_silent_customers")

    def fix_first(self) -> pd.DataFrame:
        """Detected problems by money at risk, with a suggested action (``result_fix_first``)."""
        return self.result("result_fix_first")

    def friction_examples(self) -> pd.DataFrame:
        """Example sessions of the top problems, event by event (``result_friction_examples``)."""
        return self.result("result_friction_examples")

    def intent_model_info(self) -> pd.DataFrame:
        """How the run's intent model was made and its quality (``result_intent_model``)."""
        return self.result("result_intent_model")

    def contact_intents(self) -> pd.DataFrame:
        """Every contact's intent, confidence and source (``result_contact_intents``)."""
        return self.result("result_contact_intents")

    def query_intents(self) -> pd.DataFrame:
        """Every distinct help-search query with its intent (``result_query_intents``)."""
        return self.result("result_query_intents")

    def search_intents(self) -> pd.DataFrame:
        """Every search with its query's intent (``result_search_intents``)."""
        return self.result("result_search_intents")

    def intent_weekly(self) -> pd.DataFrame:
        """Contacts and searches per intent per week (``result_intent_weekly``)."""
        return self.result("result_intent_weekly")

    def new_topics(self) -> pd.DataFrame:
        """Proposed new topics among contacts that fit no intent (``result_new_topics``)."""
        return self.result("result_new_topics")

    def emerging_intents(self) -> pd.DataFrame:
        """Intents and new topics per week against their baseline (``result_emerging_intents``)."""
        return self.result("result_emerging_intents")

    # -- summaries of results, computed in the engine -------------------------------------------
    def friction_grid(self) -> pd.DataFrame:
        """Customers with each signal at each journey stage: ``stage, signal, customers``."""
        sig = self._result_expr("result_signals")
        grid = sig.group_by(["stage", "signal"]).aggregate(customers=sig.customer_id.nunique())
        return self._frame(grid)

    def signal_weekly(self) -> pd.DataFrame:
        """Sessions per signal per week: ``week_start, signal, sessions``."""
        weekly = self._result_expr("result_friction_weekly")
        by_week = weekly.group_by(["week_start", "signal"]).aggregate(
            sessions=weekly.sessions.sum()
        )
        return self._frame(by_week)

    def contact_intent_counts(self) -> pd.DataFrame:
        """Contacts per intent and source of the intent: ``intent, source, contacts``."""
        c = self._result_expr("result_contact_intents")
        return self._frame(c.group_by(["intent", "source"]).aggregate(contacts=c.count()))

    def _result_expr(self, name: str) -> Any:
        self._require_result(name)
        return self.store.table(name)

    def _frame(self, expr: Any) -> pd.DataFrame:
        frame: pd.DataFrame = self.store.to_arrow(expr).to_pandas()
        return frame

    # -- exports ----------------------------------------------------------------------------
    def friction_export(self) -> pd.DataFrame:
        """The ranked friction-point table of ``kizuki export friction``."""
        from kizuki.exports import friction_export_table

        return friction_export_table(self.silent_customers())

    def export_friction(self, out: str | Path, fmt: str = "csv") -> tuple[Path, int]:
        """Write :meth:`friction_export` to ``out`` as ``csv`` or ``json``; return the path
        and the number of friction points written."""
        from kizuki.exports import write_export

        table = self.friction_export()
        return write_export(table, out, fmt), len(table)

    # -- report -----------------------------------------------------------------------------
    def report(self, out: str | Path, *, lang: str | None = None) -> Path:
        """Write the self-contained HTML report to ``out`` (language: ``settings.lang``)."""
        from kizuki.report import render_report

        return render_report(self, Path(out), lang=lang or self.settings.lang)


def open(url: str | None = None, *, settings: Settings | None = None) -> Kizuki:
    """Open the store at ``url`` and return the core object.

    ``settings`` default to :func:`kizuki.settings.load_settings` (defaults, ``kizuki.toml``,
    ``KIZUKI_*``); ``url`` defaults to ``settings.store``.

    Examples
    --------
    >>> import kizuki
    >>> kz = kizuki.open("duckdb://")
    >>> kz.overview()["tables"]["events"]["rows"]
    0
    """
    settings = settings or load_settings()
    return Kizuki(open_store(url or settings.store), settings)
