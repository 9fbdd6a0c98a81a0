"""Analytics: pure functions of store tables, and :func:`run_all`, which writes their results.

Each analysis is an Ibis expression over canonical tables that runs inside the store's engine;
:func:`run_all` writes every result into the store as a ``result_*`` table, which the report,
the API and notebooks read. The result tables and their columns are listed in
docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from kizuki.analytics.contact_reasons import write_contact_reasons
from kizuki.analytics.examples import friction_examples
from kizuki.analytics.fix_first import fix_first
from kizuki.analytics.friction import find_friction_points, friction_paths, friction_weekly
from kizuki.analytics.overview import data_overview
from kizuki.analytics.sessions import (
    DEFAULT_STAGES,
    daily_from_session_days,
    narrow_events,
    session_days,
    sessionize,
    stage_daily_from_session_days,
)
from kizuki.analytics.signals import (
    ACTIVITY_SIGNALS,
    SignalConfig,
    journey_events,
    signals_from_events,
)
from kizuki.analytics.silent import estimate_silent, load_silent_inputs
from kizuki.journey import Journey, load_journey
from kizuki.progress import ProgressCallback, no_progress
from kizuki.store import Store

__all__ = ["JOURNEY_RESULT_TABLES", "RESULT_TABLES", "run_all"]

STEP = "analyze"


@dataclass
class Shared:
    """What one run computes once and several result tables read."""

    journey: Journey
    has_events: bool
    tables: dict[str, ir.Table] = field(default_factory=dict)
    #: The silent-customer table, estimated in a worker thread (see :func:`_start_silent`).
    silent: Future[pd.DataFrame] | None = None


def _write_overview(store: Store, shared: Shared) -> None:
    tables = data_overview(store)["tables"]
    timestamp = pa.timestamp("us", tz="UTC")
    store.write_table(
        "result_overview",
        pa.table(
            {
                "table_name": pa.array(list(tables), pa.string()),
                "rows": pa.array([t["rows"] for t in tables.values()], pa.int64()),
                "min_ts": pa.array([t["min_ts"] for t in tables.values()], timestamp),
                "max_ts": pa.array([t["max_ts"] for t in tables.values()], timestamp),
            }
        ),
    )


def _session_days(store: Store, shared: Shared) -> ir.Table:
    """The events summed per (day, stage, session), kept for the daily and the stage counts:
    the journey stream's own sessions when there are events (one sessionisation serves every
    result), without searches that have no event of their own."""
    if "session_days" not in shared.tables:
        if shared.has_events:
            stream = _stream(store, shared)
            sessions = stream.filter(~stream.search_only)
        else:
            sessions = sessionize(narrow_events(store.table("events")))
        shared.tables["session_days"] = session_days(sessions, DEFAULT_STAGES).cache()
    return shared.tables["session_days"]


def _write_events_daily(store: Store, shared: Shared) -> None:
    store.write_table("result_events_daily", daily_from_session_days(_session_days(store, shared)))


def _write_stage_daily(store: Store, shared: Shared) -> None:
    days = _session_days(store, shared)
    store.write_table("result_stage_daily", stage_daily_from_session_days(days))
    del shared.tables["session_days"]  # no other result reads it


#: Result table -> the function that (re)writes it, in the order :func:`run_all` runs them.
RESULT_TABLES: dict[str, Callable[[Store, Shared], None]] = {
    "result_overview": _write_overview,
    "result_events_daily": _write_events_daily,
    "result_stage_daily": _write_stage_daily,
}


def _stream(store: Store, shared: Shared) -> ir.Table:
    """The sessionised, annotated event stream, computed once per run and kept in the engine
    (a temporary table: writing ten million rows to the store file would cost more than
    computing them)."""
    if "stream" not in shared.tables:
        t = store.table
        events = journey_events(t("events"), t("searches"), shared.journey, content=t("content"))
        shared.tables["stream"] = events.cache()
    return shared.tables["stream"]


def _write_friction(store: Store, journey: Journey, shared: Shared) -> list[str]:
    t = store.table
    stream = _stream(store, shared)  # read by all four results
    store.write_table("result_signals", signals_from_events(stream, journey))
    if not _missing(store, "silent"):  # the silent step will run: start its estimator now
        _start_silent(store, journey, shared)
    sig = t("result_signals")
    points = find_friction_points(sig, stream, t("contacts"), t("subscriptions"))
    store.write_table("result_friction_points", points)
    store.write_table("result_friction_weekly", friction_weekly(sig))
    store.write_table("result_friction_paths", friction_paths(sig, stream))
    return [
        "result_signals",
        "result_friction_points",
        "result_friction_weekly",
        "result_friction_paths",
    ]


def _start_silent(store: Store, journey: Journey, shared: Shared) -> Future[pd.DataFrame]:
    """Read the silent-customer inputs from the engine, then estimate in a worker thread.

    The estimator is single-threaded numpy; the engine releases the GIL while it runs a
    query, so the friction tables are computed meanwhile on the other cores (on two cores,
    2.6 s less at 1e7 events). The estimate is pure and seeded: the same table either way.
    """
    t = store.table
    # The estimator also asks what a visitor looked for: add the self-service activity signals.
    activity = signals_from_events(
        _stream(store, shared), journey, SignalConfig(signals=ACTIVITY_SIGNALS)
    )
    inputs = load_silent_inputs(
        events=_stream(store, shared),  # sessionised: the signals' own session keys
        signals=t("result_signals").union(activity),
        contacts=t("contacts"),
        customers=t("customers"),
        subscriptions=t("subscriptions"),
        surveys=t("surveys"),
        incidents=t("incidents"),
    )
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kizuki-silent")
    shared.silent = pool.submit(estimate_silent, inputs, rng=np.random.default_rng(0))
    pool.shutdown(wait=False)  # the thread ends with its one task
    return shared.silent


def _write_silent(store: Store, journey: Journey, shared: Shared) -> list[str]:
    future = shared.silent or _start_silent(store, journey, shared)
    shared.silent = None
    table = future.result()  # the estimator's own exception, if it raised one
    store.write_table("result_silent_customers", _silent_arrow(table))
    return ["result_silent_customers", *_write_fix_first(store, journey, shared)]


#: Problems of ``result_fix_first`` that get example sessions in ``result_friction_examples``.
EXAMPLE_PROBLEMS = 10


def _write_fix_first(store: Store, journey: Journey, shared: Shared) -> list[str]:
    """``result_fix_first`` (docs/silent.md) and example sessions of its top problems."""
    ranked = fix_first(
        *(
            store.to_arrow(store.table(name)).to_pandas()
            for name in (
                "result_silent_customers",
                "result_friction_points",
                "result_friction_paths",
            )
        )
    )
    store.write_table("result_fix_first", _fix_first_arrow(ranked))
    top = ranked[ranked["point_id"].notna()].head(EXAMPLE_PROBLEMS)
    wanted = {
        str(r["point_id"]): r["error_kind"] if isinstance(r["error_kind"], str) else None
        for r in top[["point_id", "error_kind"]].to_dict("records")
    }
    examples = friction_examples(
        store.table("result_signals"),
        _stream(store, shared),
        wanted,
        ignore_events=journey.ignore_events,
    )
    store.write_table("result_friction_examples", examples)
    return ["result_fix_first", "result_friction_examples"]


_FIX_FIRST_INT = ("rank", "rank_customers", "signal_customers", "page_sessions")
_FIX_FIRST_FLOAT = (
    "affected", "affected_ci_low", "affected_ci_high", "contacted", "silent", "silent_ci_low",
    "silent_ci_high", "contact_rate", "churn_silent", "churn_unaffected", "excess_churn",
    "revenue_at_risk", "revenue_at_risk_ci_low", "revenue_at_risk_ci_high", "page_rate",
    "background_rate", "lift", "help_lift",
)  # fmt: skip


def _fix_first_arrow(table: pd.DataFrame) -> pa.Table:
    """Arrow with explicit types, so that an empty or all-NULL column still has one."""

    def kind(name: str) -> pa.DataType:
        if name in _FIX_FIRST_INT:
            return pa.int64()
        return pa.float64() if name in _FIX_FIRST_FLOAT else pa.string()

    fields = [pa.field(name, kind(name)) for name in table.columns]
    kinds = {n: "float64" for n in _FIX_FIRST_FLOAT} | {n: "Int64" for n in _FIX_FIRST_INT}
    frame = table.astype({n: k for n, k in kinds.items() if n in table.columns})
    return pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)


_SILENT_TEXT = ("stage", "page_path", "signal", "error_kind", "intent", "best_estimate")


def _silent_arrow(table: pd.DataFrame) -> pa.Table:
    """Arrow with explicit types, so that all-NULL columns (e.g. no survey) still have one."""
    fields = []
    for name in table.columns:
        if name in _SILENT_TEXT:
            kind = pa.string()
        elif name == "detected":
            kind = pa.bool_()
        elif pd.api.types.is_integer_dtype(table[name]):
            kind = pa.int64()
        else:
            kind = pa.float64()
        fields.append(pa.field(name, kind))
    return pa.Table.from_pandas(table, schema=pa.schema(fields), preserve_index=False)


#: Result tables that need the journey map -> the step that (re)writes them, in run order.
JOURNEY_RESULT_TABLES: dict[str, Callable[[Store, Journey, Shared], list[str]]] = {
    "friction": _write_friction,
    "silent": _write_silent,
}


#: Step -> the canonical tables it needs rows in; without them it is skipped with a note.
STEP_NEEDS: dict[str, tuple[str, ...]] = {"friction": ("events",), "silent": ("contacts",)}


def _missing(store: Store, step: str) -> list[str]:
    """The tables of ``STEP_NEEDS[step]`` without rows (the step is skipped unless empty)."""
    return [name for name in STEP_NEEDS[step] if _empty(store, name)]


def _empty(store: Store, name: str) -> bool:
    return int(store.table(name).count().execute()) == 0


def _write_contact_reasons(
    store: Store, intent_model: Path | None, progress: ProgressCallback
) -> list[str]:
    """Contact reasons, or a note saying why they were skipped."""
    if _empty(store, "contacts"):
        progress(f"{STEP}: skipped contact reasons (no contacts)", 0, 0)
        return []
    if find_spec("sklearn") is None or find_spec("sudachipy") is None:
        progress(f"{STEP}: skipped contact reasons (pip install 'kizuki[ml,ja]')", 0, 0)
        return []
    return write_contact_reasons(store, model_path=intent_model, progress=progress)


def run_all(
    store: Store,
    *,
    journey: Journey | None = None,
    intent_model: Path | None = None,
    contact_reasons: bool = True,
    progress: ProgressCallback = no_progress,
) -> list[str]:
    """Compute every analysis and (over)write its ``result_*`` table; return the names written.

    Parameters
    ----------
    store
        The store to read and write.
    journey
        The journey map for friction points and silent customers; the shipped default when
        None. Those steps are skipped, with a progress note, when the store has no events
        (and the silent-customer step when it has no contacts).
    intent_model
        A model saved by ``kizuki intents train`` for the contact reasons; without one, a
        model is trained on the store's labelled contacts.
    contact_reasons
        False skips the contact reasons (intents of contacts and searches, new and rising
        topics); their result tables keep what an earlier run wrote.
    progress
        Called as ``progress("analyze", steps_done, steps)``.

    Examples
    --------
    >>> from kizuki.store import open_store
    >>> run_all(open_store("duckdb://"))
    ['result_overview', 'result_events_daily', 'result_stage_daily']
    """
    written: list[str] = []
    total = len(RESULT_TABLES) + len(JOURNEY_RESULT_TABLES) + int(contact_reasons)
    done = 0
    progress(STEP, 0, total)
    shared = Shared(journey or load_journey(), has_events=not _empty(store, "events"))
    for name, write in RESULT_TABLES.items():
        write(store, shared)
        written.append(name)
        done += 1
        progress(STEP, done, total)
    if shared.has_events:
        for step, write_step in JOURNEY_RESULT_TABLES.items():
            missing = _missing(store, step)
            if missing:
                progress(f"{STEP}: skipped {step} (no {', '.join(missing)})", 0, 0)
            else:
                progress(f"{STEP}: {step}", 0, 1)
                written += write_step(store, shared.journey, shared)
                progress(f"{STEP}: {step}", 1, 1)
            done += 1
            progress(STEP, done, total)
    else:
        progress(f"{STEP}: skipped friction and silent customers (no events)", 0, 0)
    shared.tables.clear()  # frees the cached stream before the models' memory is needed
    if contact_reasons:
        written += _write_contact_reasons(store, intent_model, progress)
    progress(STEP, total, total)
    return written
