"""The analysis pipeline: one registry of steps, one step signature, the only writer of results.

Each :class:`Step` is a function ``(RunContext) -> {result table: table}``: it reads canonical
tables (and results of the steps before it) through the context, calls the pure analyses of
:mod:`kizuki.analytics`, and returns what they computed: Ibis expressions (run inside the
engine), pandas or Arrow tables, or a future of one (an estimate still running in a worker
thread). :func:`run_pipeline` writes every returned table, coerced to its declaration in
:mod:`kizuki.schema.results`, and records the run in ``result_runs``: version, times, the whole
configuration, the journey map, the input row counts, each step's outcome and the tables written.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.util import find_spec
from typing import Any, TypeAlias

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from kizuki.analytics.contact_reasons import (
    classify_contacts,
    contact_texts,
    discover_contact_topics,
    emerging_intents,
    intent_weekly,
    labelled_examples,
    load_intent_model,
    new_topics,
    query_intents,
    search_intents,
    topic_of_contacts,
    train_intent_model,
)
from kizuki.analytics.content_step import CONTENT_TABLES, content_step
from kizuki.analytics.fix_first import fix_first
from kizuki.analytics.friction import find_friction_points, friction_paths, friction_weekly
from kizuki.analytics.friction_examples import friction_examples
from kizuki.analytics.identity import browser_links, identity_coverage, resolve_contacts
from kizuki.analytics.journey_stream import journey_events
from kizuki.analytics.kpis_step import KPI_TABLES, kpis_step
from kizuki.analytics.local_time import UTC_ZONE
from kizuki.analytics.outreach_step import OUTREACH_TABLES, outreach_step
from kizuki.analytics.overview import data_overview
from kizuki.analytics.selfservice_step import SELFSERVICE_TABLES, selfservice_step
from kizuki.analytics.sessions import (
    DEFAULT_STAGES,
    daily_from_session_days,
    narrow_events,
    session_days,
    sessionize,
    stage_daily_from_session_days,
)
from kizuki.analytics.signals import ACTIVITY_SIGNALS, signals_from_events
from kizuki.analytics.silent import estimate_silent, load_silent_inputs
from kizuki.analytics.voice_step import VOICE_TABLES, voice_step
from kizuki.errors import SchemaError
from kizuki.journey import Journey
from kizuki.progress import ProgressCallback, no_progress
from kizuki.schema import (
    RESULT_TABLES,
    RUNS_TABLE,
    result_arrow,
    result_expr,
    result_ibis_schema,
)
from kizuki.settings import AnalyzeSettings
from kizuki.store import Store

__all__ = ["STEPS", "RunContext", "Step", "run_pipeline"]

PROGRESS = "analyze"
#: Problems of ``result_fix_first`` that get example sessions in ``result_friction_examples``.
EXAMPLE_PROBLEMS = 10

Table: TypeAlias = pd.DataFrame | pa.Table | ir.Table
Output: TypeAlias = Mapping[str, "Table | Future[pd.DataFrame]"]


@dataclass
class RunContext:
    """What a step may use: the run's tables, settings, journey map and shared intermediates."""

    store: Store
    settings: AnalyzeSettings
    journey: Journey
    #: The data overview when the run started (:func:`~kizuki.analytics.overview.data_overview`).
    overview: Mapping[str, Any]
    progress: ProgressCallback = no_progress
    #: The store's time zone: days and weeks are its local days and weeks.
    timezone: str = UTC_ZONE
    #: Intermediates several steps read (e.g. the journey stream), dropped after their last.
    cache: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, Future[pd.DataFrame]] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)

    @property
    def rows(self) -> dict[str, int]:
        """Rows of every canonical table when the run started."""
        return {name: int(t["rows"]) for name, t in self.overview["tables"].items()}

    def table(self, name: str) -> ir.Table:
        """A canonical table, or a result an earlier step of this run wrote (waited for)."""
        if name in self.pending:
            self.write(name, self.pending.pop(name).result())
        return self.store.table(name)

    def result_if_any(self, name: str, *, earlier_runs: bool = False) -> ir.Table | None:
        """A result this run wrote (or is writing), else — with ``earlier_runs`` — an earlier
        run's, else None (a step that did not run, or was skipped)."""
        if name in self.written or name in self.pending:
            return self.table(name)
        if earlier_runs and name in self.store.list_tables():
            return self.store.table(name)
        return None

    def frame(self, name: str) -> pd.DataFrame:
        """A (small) table as pandas."""
        frame: pd.DataFrame = self.store.to_arrow(self.table(name)).to_pandas()
        return frame

    def stream(self) -> ir.Table:
        """The sessionised, annotated event stream, computed once per run and kept in the
        engine as a temporary table (writing it to the store file would cost more than
        computing it)."""
        if "stream" not in self.cache:
            t, cfg = self.store.table, self.settings.signals
            events = journey_events(
                t("events"),
                t("searches"),
                self.journey,
                content=t("content"),
                gap_minutes=cfg.gap_minutes,
                use_session_id=cfg.use_session_id,
                links=self.links(),
                identity=self.settings.identity,
            )
            self.cache["stream"] = events.cache()
        stream: ir.Table = self.cache["stream"]
        return stream

    def links(self) -> ir.Table:
        """Browsers linked to customers (:func:`~kizuki.analytics.identity.browser_links`),
        computed once per run."""
        if "links" not in self.cache:
            links = browser_links(self.store.table("events"), self.store.table("identities"))
            self.cache["links"] = links.cache()
        table: ir.Table = self.cache["links"]
        return table

    def contacts(self) -> ir.Table:
        """Contacts without deleted ones, each linked to its customer where the identities
        allow (:func:`~kizuki.analytics.identity.resolve_contacts`), resolved once per run."""
        if "resolved_contacts" not in self.cache:
            t = self.store.table
            resolved = resolve_contacts(t("contacts"), t("identities"), t("customers"))
            self.cache["resolved_contacts"] = resolved.cache()
        table: ir.Table = self.cache["resolved_contacts"]
        return table

    def contacts_with_model_intents(self) -> ir.Table:
        """:meth:`contacts` whose missing intent is the intent model's, where this run
        classified the contacts (step ``intents``); else :meth:`contacts`."""
        contacts = self.contacts()
        classified = self.cache.get("classified")
        if classified is None or not len(classified):
            return contacts
        model = classified.loc[classified["source"] == "model", ["contact_id", "intent"]]
        if not len(model):
            return contacts
        predicted = ibis.memtable(
            model.rename(columns={"contact_id": "_mid", "intent": "_mintent"}).astype(str)
        )
        j = contacts.left_join(predicted, contacts.contact_id == predicted._mid)
        return j.mutate(intent=ibis.coalesce(j.intent, j._mintent)).drop("_mid", "_mintent")

    def write(self, name: str, data: Table | Future[pd.DataFrame]) -> None:
        """Write result ``name`` as declared; a future is written when it is read or at the end."""
        if isinstance(data, Future):
            self.pending[name] = data
            return
        if isinstance(data, ir.Table):
            declared = result_ibis_schema(name)
            self.store.write_table(name, result_expr(name, data), schema=declared)
        else:
            self.store.write_table(name, result_arrow(name, data))
        self.written.append(name)

    def settle(self) -> None:
        """Write every result still being computed."""
        for name in list(self.pending):
            self.table(name)


@dataclass(frozen=True)
class Step:
    """One step of ``kizuki analyze``.

    ``needs``: canonical tables that must have rows, else the step is skipped with a note;
    ``needs_any``: canonical tables of which at least one must have rows;
    ``uses``: the context's cached intermediates it reads (dropped after their last reader);
    ``switch``: the boolean ``[analyze]`` setting that turns it on and off, if any;
    ``requires``: modules of an optional extra it imports.
    """

    name: str
    writes: tuple[str, ...]
    run: Callable[[RunContext], Output]
    needs: tuple[str, ...] = ()
    needs_any: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    switch: str | None = None
    requires: tuple[str, ...] = ()

    def enabled(self, settings: AnalyzeSettings) -> bool:
        """Whether the run's settings ask for this step."""
        return self.switch is None or bool(getattr(settings, self.switch))


def _overview(ctx: RunContext) -> Output:
    tables = ctx.overview["tables"]
    timestamp = pa.timestamp("us", tz="UTC")
    overview = pa.table(
        {
            "table_name": pa.array(list(tables), pa.string()),
            "rows": pa.array([t["rows"] for t in tables.values()], pa.int64()),
            "min_ts": pa.array([t["min_ts"] for t in tables.values()], timestamp),
            "max_ts": pa.array([t["max_ts"] for t in tables.values()], timestamp),
        }
    )
    return {"result_overview": overview}


def _daily(ctx: RunContext) -> Output:
    """Daily and stage counts, both summed from one per-(day, stage, session) table of the
    journey stream's own sessions and stages (one sessionisation serves every result; the
    stages are the journey map's); searches without an event of their own are left out."""
    stages: Mapping[str, Any] | None = None  # the journey map's stages, on the stream
    if ctx.rows["events"]:
        stream = ctx.stream()
        sessions = stream.filter(~stream.search_only)
    else:
        cfg = ctx.settings.signals
        sessions = sessionize(
            narrow_events(ctx.table("events")), cfg.gap_minutes, use_session_id=cfg.use_session_id
        )
        stages = DEFAULT_STAGES
    days = session_days(sessions, stages, ctx.timezone).cache()
    return {
        "result_events_daily": daily_from_session_days(days),
        "result_stage_daily": stage_daily_from_session_days(days),
    }


def _signals(ctx: RunContext) -> Output:
    return {"result_signals": signals_from_events(ctx.stream(), ctx.journey, ctx.settings.signals)}


def _coverage(ctx: RunContext) -> Output:
    """How much of the data is linked to a known customer (docs/identity.md)."""
    return {
        "result_coverage": identity_coverage(
            ctx.table("events"), ctx.links(), ctx.stream(), ctx.table("result_signals"),
            ctx.contacts(),
        )
    }  # fmt: skip


def _silent(ctx: RunContext) -> Output:
    """Read the silent-customer inputs from the engine, then estimate in a worker thread.

    The estimator is single-threaded numpy and the engine releases the GIL while it runs a
    query, so the friction step computes its tables meanwhile on the other cores
    (docs/benchmarks.md). The estimate is pure and seeded: the same table either way.
    """
    cfg = ctx.settings
    # the estimator also asks what a visitor looked for: the self-service activity signals
    activity = signals_from_events(
        ctx.stream(), ctx.journey, cfg.signals.model_copy(update={"signals": ACTIVITY_SIGNALS})
    )
    inputs = load_silent_inputs(
        events=ctx.stream(),  # sessionised: the signals' own session keys
        signals=ctx.table("result_signals").union(activity),
        contacts=ctx.contacts(),
        customers=ctx.table("customers"),
        subscriptions=ctx.table("subscriptions"),
        surveys=ctx.table("surveys"),
        incidents=ctx.table("incidents"),
        config=cfg.silent,
        gap_minutes=cfg.signals.gap_minutes,
        use_session_id=cfg.signals.use_session_id,
    )
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kizuki-silent")
    rng = np.random.default_rng(cfg.seed)
    future = pool.submit(estimate_silent, inputs, cfg.silent, rng=rng)
    pool.shutdown(wait=False)  # the thread ends with its one task
    return {"result_silent_customers": future}


def _friction(ctx: RunContext) -> Output:
    cfg = ctx.settings.friction
    sig, stream = ctx.table("result_signals"), ctx.stream()
    contacts, subscriptions = ctx.contacts_with_model_intents(), ctx.table("subscriptions")
    return {
        "result_friction_points": find_friction_points(sig, stream, contacts, subscriptions, cfg),
        "result_friction_weekly": friction_weekly(sig, ctx.timezone),
        "result_friction_paths": friction_paths(sig, stream, cfg),
    }


def _fix_first(ctx: RunContext) -> Output:
    """What to fix first (docs/silent.md), and example sessions of its top problems."""
    ranked = fix_first(
        ctx.frame("result_silent_customers"),
        ctx.frame("result_friction_points"),
        ctx.frame("result_friction_paths"),
        ctx.settings.fix_first,
    )
    top = ranked[ranked["point_id"].notna()].head(EXAMPLE_PROBLEMS)
    wanted = {
        str(r["point_id"]): r["error_kind"] if isinstance(r["error_kind"], str) else None
        for r in top[["point_id", "error_kind"]].to_dict("records")
    }
    examples = friction_examples(
        ctx.table("result_signals"),
        ctx.stream(),
        wanted,
        ignore_events=ctx.journey.ignore_events,
    )
    return {"result_fix_first": ranked, "result_friction_examples": examples}


def _intents(ctx: RunContext) -> Output:
    """The intent model (trained on the store's labels, or loaded) and every contact's and
    search query's intent."""
    from kizuki.models.intents import IntentClassifier

    cfg = ctx.settings
    step = f"{PROGRESS}: contact reasons"
    ctx.progress(step, 0, 2)
    contacts = contact_texts(ctx.contacts())
    if cfg.intent_model is not None:
        model: IntentClassifier | None
        model, info = load_intent_model(cfg.intent_model, contacts)
    else:
        model, info = train_intent_model(contacts, cfg.intents, seed=cfg.seed)
    ctx.progress(step, 1, 2)
    oos_label = model.oos_label if model is not None else IntentClassifier().oos_label
    classified = classify_contacts(contacts, model, oos_label)
    ctx.cache["topics"] = None
    if model is None:  # cold start: discovered topics are the contact reasons
        classified, topics = discover_contact_topics(classified, cfg.intents, seed=cfg.seed)
        if len(topics):
            ctx.cache["topics"] = topics
            info["status"] = "discovered_topics"
            info["intents"] = len(topics)
    ctx.cache["contacts"], ctx.cache["classified"] = contacts, classified
    ctx.cache["intent_model"] = model
    queries = query_intents(ctx.table("searches"), model)
    ctx.progress(step, 2, 2)
    return {
        "result_intent_model": pd.DataFrame([info]),
        "result_contact_intents": classified.drop(columns=["body"]),
        "result_query_intents": queries,
    }


def _intent_trends(ctx: RunContext) -> Output:
    """Each search's intent, new topics among out-of-scope contacts, weekly volumes and
    intents or topics on the rise."""
    cfg = ctx.settings
    contacts, classified = ctx.cache["contacts"], ctx.cache["classified"]
    searches, queries = ctx.table("searches"), ctx.table("result_query_intents")
    known = labelled_examples(contacts, cfg.intents)
    topics = ctx.cache.get("topics")
    if topics is None:
        topics = new_topics(classified, known, cfg.intents, seed=cfg.seed)
    classified["topic"] = topic_of_contacts(classified, topics)
    return {
        "result_search_intents": search_intents(searches, queries),
        "result_intent_weekly": intent_weekly(classified, searches, queries, ctx.timezone),
        "result_new_topics": topics,
        "result_emerging_intents": emerging_intents(classified, cfg.intents, ctx.timezone),
    }


_ML = ("sklearn", "sudachipy")

#: The steps of ``kizuki analyze``, in the order they run.
STEPS: tuple[Step, ...] = (
    Step("overview", ("result_overview",), _overview),
    Step("daily", ("result_events_daily", "result_stage_daily"), _daily, uses=("stream",)),
    Step("signals", ("result_signals",), _signals, needs=("events",), uses=("stream",)),
    Step("coverage", ("result_coverage",), _coverage, needs=("events",), uses=("stream",)),
    Step(
        "silent",
        ("result_silent_customers",),
        _silent,
        needs=("events", "contacts"),
        uses=("stream",),
    ),
    Step(
        "intents",
        ("result_intent_model", "result_contact_intents", "result_query_intents"),
        _intents,
        needs=("contacts",),
        uses=("contacts", "classified", "intent_model"),
        switch="contact_reasons",
        requires=_ML,
    ),
    Step(
        "friction",
        ("result_friction_points", "result_friction_weekly", "result_friction_paths"),
        _friction,
        needs=("events",),
        uses=("stream", "classified"),
    ),
    Step(
        "fix_first",
        ("result_fix_first", "result_friction_examples"),
        _fix_first,
        needs=("events", "contacts"),
        uses=("stream",),
    ),
    Step(
        "intent_trends",
        (
            "result_search_intents",
            "result_intent_weekly",
            "result_new_topics",
            "result_emerging_intents",
        ),
        _intent_trends,
        needs=("contacts",),
        uses=("contacts", "classified"),
        switch="contact_reasons",
        requires=_ML,
    ),
    Step(
        "selfservice",
        SELFSERVICE_TABLES,
        selfservice_step,
        needs=("contacts",),
        uses=("stream", "classified"),
    ),
    Step(
        "content",
        CONTENT_TABLES,
        content_step,
        needs=("content",),
        uses=("stream", "classified", "selfservice_inputs"),
        requires=("jreadability", "pyphen"),
    ),
    Step("kpis", KPI_TABLES, kpis_step, needs=("contacts",), uses=("classified",)),
    Step(
        "voice",
        VOICE_TABLES,
        voice_step,
        needs_any=("surveys", "contacts", "mentions"),
        uses=("classified", "intent_model"),
        switch="voice_of_customer",
        requires=(*_ML, "vaderSentiment"),
    ),
    Step(
        "outreach",
        OUTREACH_TABLES,
        outreach_step,
        needs=("customers",),
        needs_any=("subscriptions", "events"),
        switch="proactive_outreach",
        requires=("sklearn", "lightgbm"),
    ),
)


def _skip_reason(step: Step, rows: Mapping[str, int]) -> str | None:
    """Why ``step`` cannot run on this store, or None."""
    empty = [name for name in step.needs if not rows.get(name)]
    if empty:
        return f"no {', '.join(empty)}"
    if step.needs_any and not any(rows.get(name) for name in step.needs_any):
        return f"no {' or '.join(step.needs_any)}"
    missing = [module for module in step.requires if find_spec(module) is None]
    if missing:
        return "pip install 'kizuki[ml,ja]'"
    return None


def _in_declared_order(names: list[str]) -> list[str]:
    """Result tables in the order of :data:`kizuki.schema.RESULT_TABLES`."""
    order = {name: i for i, name in enumerate(RESULT_TABLES)}
    return sorted(names, key=order.__getitem__)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _record_run(
    ctx: RunContext, started: dt.datetime, steps: list[dict[str, Any]], error: BaseException | None
) -> None:
    """Append the run's row to ``result_runs``."""
    from kizuki import __version__

    row = {
        "run_id": uuid.uuid4().hex,
        "kizuki_version": __version__,
        "status": "failed" if error else "completed",
        "started_at": started,
        "finished_at": _now(),
        "config": json.dumps(ctx.settings.model_dump(mode="json"), ensure_ascii=False),
        "journey": json.dumps(ctx.journey.model_dump(mode="json"), ensure_ascii=False),
        "inputs": json.dumps(dict(ctx.rows)),
        "steps": json.dumps(steps, ensure_ascii=False),
        "tables_written": json.dumps(_in_declared_order(ctx.written)),
        "error": None if error is None else f"{type(error).__name__}: {error}",
    }
    ctx.store.append_table(RUNS_TABLE, result_arrow(RUNS_TABLE, pd.DataFrame([row])))


def run_pipeline(
    store: Store,
    settings: AnalyzeSettings,
    journey: Journey,
    *,
    progress: ProgressCallback = no_progress,
    timezone: str = UTC_ZONE,
) -> list[str]:
    """Run every enabled step, (over)write its result tables, record the run; return the
    tables written, in the order of :data:`kizuki.schema.RESULT_TABLES`. Days and weeks are
    the local days and weeks of ``timezone`` (the store's, ``Settings.store_timezone``).

    Steps whose canonical inputs are empty are skipped with a progress note (their tables
    keep what an earlier run wrote), as are the contact-reason steps when
    ``settings.contact_reasons`` is false.

    Examples
    --------
    >>> from kizuki.journey import load_journey
    >>> from kizuki.store import open_store
    >>> run_pipeline(open_store("duckdb://"), AnalyzeSettings(), load_journey())
    ['result_overview', 'result_events_daily', 'result_stage_daily']
    """
    started = _now()
    enabled = [step for step in STEPS if step.enabled(settings)]
    ctx = RunContext(store, settings, journey, data_overview(store), progress, timezone)
    last_use = {key: step.name for step in enabled for key in step.uses}
    record: list[dict[str, Any]] = []
    done = 0
    progress(PROGRESS, 0, len(enabled))
    try:
        for step in STEPS:
            if step not in enabled:
                reason: str | None = f"analyze.{step.switch} is false"
            else:
                reason = _skip_reason(step, ctx.rows)
                if reason is not None:
                    progress(f"{PROGRESS}: skipped {step.name} ({reason})", 0, 0)
            if reason is not None:
                record.append({"step": step.name, "status": "skipped", "reason": reason})
            else:
                record.append(_run_step(ctx, step))
            for key in [k for k, last in last_use.items() if last == step.name]:
                ctx.cache.pop(key, None)  # e.g. frees the stream before the models need memory
            if step in enabled:
                done += 1
                progress(PROGRESS, done, len(enabled))
        ctx.settle()
    except BaseException as exc:
        for future in ctx.pending.values():
            future.cancel()
        record.append({"step": "error", "status": "failed", "traceback": traceback.format_exc()})
        _record_run(ctx, started, record, exc)
        raise
    _record_run(ctx, started, record, None)
    return _in_declared_order(ctx.written)


def _run_step(ctx: RunContext, step: Step) -> dict[str, Any]:
    """Run ``step``, write what it returns, and say how it went (for ``result_runs``)."""
    began = time.perf_counter()
    output = step.run(ctx)
    if list(output) != list(step.writes):
        raise SchemaError(f"step {step.name} returned {list(output)}; it declares {step.writes}")
    for name, table in output.items():
        ctx.write(name, table)
    seconds = round(time.perf_counter() - began, 3)
    return {"step": step.name, "status": "ran", "seconds": seconds, "tables": list(step.writes)}
