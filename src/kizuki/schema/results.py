"""The result tables that ``kizuki analyze`` writes: name, columns, types, units, one line each.

This is the one declaration the rest derives from: the pipeline coerces every table it writes
to it (:func:`result_arrow`, :func:`result_expr`), the analyses select their columns in its
order (:func:`result_columns`), the :class:`~kizuki.Kizuki` methods return those columns, and
docs/data-model.md is generated from it (``docs/gen_data_model.py``; a test keeps them equal).
Definitions of every number are in docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from kizuki.errors import SchemaError
from kizuki.schema.result_def import MONEY, SHARE, ResultDef, column, interval
from kizuki.schema.results_outreach import OUTREACH_RESULTS
from kizuki.schema.results_selfservice import SELFSERVICE_RESULTS
from kizuki.schema.results_voice import VOICE_RESULTS
from kizuki.schema.types import ARROW_TYPES, IBIS_TYPES

__all__ = [
    "RESULT_TABLES",
    "RUNS_TABLE",
    "ResultDef",
    "result_arrow",
    "result_arrow_schema",
    "result_columns",
    "result_expr",
    "result_ibis_schema",
]

RUNS_TABLE = "result_runs"


_col = column
_interval = interval
_SHARE = SHARE
_MONEY = MONEY

_POINT = (
    _col("point_id", "string", "the friction point: stage|signal|page_path|intent"),
    _col("stage", "string", "journey stage"),
    _col("signal", "string", "struggle signal (docs/journey.md)"),
    _col("page_path", "string", "journey page the signal is counted at"),
    _col("intent", "string", "the signal's intent (help searches and views), else NULL"),
)

_TABLES: tuple[ResultDef, ...] = (
    ResultDef(
        "result_overview",
        "Rows and time span of every canonical table (as in the data overview).",
        ("table_name",),
        (
            _col("table_name", "string", "canonical table"),
            _col("rows", "int64", "rows loaded (after deduplication)", "rows"),
            _col("min_ts", "timestamp", "first time of the table's time column", "UTC"),
            _col("max_ts", "timestamp", "last time of the table's time column", "UTC"),
        ),
    ),
    ResultDef(
        "result_events_daily",
        "Events, sessions and visitors per day.",
        ("day",),
        (
            _col("day", "date", "day (store time zone)"),
            _col("events", "int64", "events on the day", "events"),
            _col("sessions", "int64", "sessions with an event on the day", "sessions"),
            _col("visitors", "int64", "visitors with an event on the day", "visitors"),
        ),
    ),
    ResultDef(
        "result_stage_daily",
        "Sessions, visitors and events per journey stage per day.",
        ("day", "stage"),
        (
            _col("day", "date", "day (store time zone)"),
            _col("stage", "string", "journey stage"),
            _col("sessions", "int64", "sessions with an event of the stage that day", "sessions"),
            _col("visitors", "int64", "visitors with an event of the stage that day", "visitors"),
            _col("events", "int64", "events of the stage that day", "events"),
        ),
    ),
    ResultDef(
        "result_signals",
        "One row per session and struggle signal (docs/journey.md).",
        ("session_key", "signal", "page_path", "intent"),
        (
            _col("visitor_id", "string", "customer_id, else anonymous_id"),
            _col("customer_id", "string", "the known customer, else NULL"),
            _col("session_key", "string", "visitor:session_no"),
            _col("ts", "timestamp", "first time the signal fired in the session", "UTC"),
            _col("stage", "string", "journey stage"),
            _col("signal", "string", "struggle signal"),
            _col("page_path", "string", "journey page the signal is counted at"),
            _col("intent", "string", "intent of a help search or view, else NULL"),
            _col("page_no", "int64", "the page view's number in the session", "page views"),
            _col("occurrences", "int64", "times the signal fired in the session", "times"),
            _col("detail", "string", "error message or search query (redacted at ingest)"),
        ),
    ),
    ResultDef(
        "result_coverage",
        "How much of the data is linked to a known customer (docs/identity.md).",
        ("metric",),
        (
            _col("metric", "string", "browsers, sessions, struggling_visitors or contacts"),
            _col("total", "int64", "how many there are", "rows"),
            _col("linked", "int64", "of them, linked to a known customer", "rows"),
            _col("share", "float64", "linked / total (NULL when there are none)", _SHARE),
        ),
    ),
    ResultDef(
        "result_friction_points",
        "Friction points (stage, signal, page, intent) with reach, rates and outcomes.",
        ("point_id",),
        (
            *_POINT,
            _col("likely_intent", "string", "intent, else the most common intent of its sessions"),
            _col("sessions", "int64", "sessions with the signal at the point", "sessions"),
            _col("visitors", "int64", "visitors with the signal at the point", "visitors"),
            _col("customers", "int64", "known customers with the signal", "customers"),
            _col("occurrences", "int64", "sum of the signal's occurrences", "times"),
            _col("first_seen", "timestamp", "first time of the signal at the point", "UTC"),
            _col("last_seen", "timestamp", "last time of the signal at the point", "UTC"),
            _col("page_sessions", "int64", "sessions with a view of the page", "sessions"),
            _col("page_rate", "float64", "sessions / page_sessions", _SHARE),
            _col("background_rate", "float64", "the signal's rate on the other pages", _SHARE),
            _col("lift", "float64", "page_rate / background_rate", "ratio"),
            _col("excess_sessions", "float64", "sessions beyond the background", "sessions"),
            _col("contacted_customers", "int64", "customers who contacted after", "customers"),
            _col("contacted_share", "float64", "contacted_customers / customers", _SHARE),
            _col(
                "contacted_intent_customers",
                "int64",
                "customers who contacted about likely_intent",
                "customers",
            ),
            _col(
                "contacted_intent_share",
                "float64",
                "contacted_intent_customers / customers",
                _SHARE,
            ),
            _col("selfserved_customers", "int64", "customers who self-served", "customers"),
            _col("selfserved_share", "float64", "selfserved_customers / customers", _SHARE),
            _col("churned_customers", "int64", "customers who churned after", "customers"),
            _col("churned_share", "float64", "churned_customers / customers", _SHARE),
        ),
    ),
    ResultDef(
        "result_friction_weekly",
        "Sessions and customers per friction point per ISO week.",
        ("point_id", "week_start"),
        (
            *_POINT,
            _col("week_start", "date", "Monday of the ISO week (store time zone)"),
            _col("sessions", "int64", "sessions whose signal first fired that week", "sessions"),
            _col("customers", "int64", "known customers among them", "customers"),
        ),
    ),
    ResultDef(
        "result_friction_paths",
        "The top page paths before and after each friction point's first signal.",
        ("point_id", "direction", "rank"),
        (
            *_POINT,
            _col("direction", "string", "before or after the signal's page"),
            _col("rank", "int64", "1 = the most common path", "rank"),
            _col("path", "string", "up to 3 pages joined by ' > ', with (start) / (exit)"),
            _col("sessions", "int64", "sessions that took the path", "sessions"),
            _col("share", "float64", "sessions / the point's sessions", _SHARE),
        ),
    ),
    ResultDef(
        "result_silent_customers",
        "Affected, contacted and silent customers and money at risk per page, and a total row.",
        ("stage", "page_path"),
        (
            _col("stage", "string", "journey stage; 'total' on the total row"),
            _col("page_path", "string", "the page; NULL on the total row"),
            _col("signal", "string", "the indicator the page's problem raises most"),
            _col("error_kind", "string", "the problem's most likely error message, else NULL"),
            _col("intent", "string", "the likely contact intent of the problem"),
            _col("detected", "bool", "the page's problem class is significant"),
            _col(
                "method",
                "string",
                "how the page was tested: model (significance alpha, pages of small_units "
                "units or more) or small_sample (fewer units: family-wise small_alpha over the "
                "modelled pages; wider intervals)",
            ),
            _col("p_value", "float64", "likelihood-ratio test of the problem class", "p"),
            _col("units", "float64", "session units attributed to the page", "sessions"),
            _col("customers", "float64", "customers with a unit at the page", "customers"),
            *_interval("affected", "float64", "customers hit by the problem (Â)", "customers"),
            *_interval("contacted", "float64", "affected customers who contacted", "customers"),
            *_interval("silent", "float64", "affected − contacted", "customers"),
            *_interval("contact_rate", "float64", "contacted / affected", _SHARE),
            _col("churn_silent", "float64", "churn of the silent", _SHARE),
            _col("churn_resolved", "float64", "churn of resolved contacters", _SHARE),
            _col("churn_unaffected", "float64", "churn of the unaffected", _SHARE),
            *_interval("excess_churn", "float64", "churn_silent − churn_unaffected", _SHARE),
            _col("monthly_value", "float64", "mean monthly value of the silent", _MONEY),
            *_interval(
                "revenue_at_risk", "float64", "silent × excess churn × value × horizon", _MONEY
            ),
            _col("goodman_silent", "float64", "Goodman: contacts / assumed rate", "customers"),
            _col("goodman_silent_low", "float64", "Goodman at goodman_rate_high", "customers"),
            _col("goodman_silent_high", "float64", "Goodman at goodman_rate_low", "customers"),
            *_interval("survey_silent", "float64", "from dissatisfied respondents", "customers"),
            _col("survey_responses", "float64", "survey answers behind it", "responses"),
            _col("best_estimate", "string", "measured, survey or goodman"),
            _col(
                "affected_identified", "float64", "of affected, identified customers", "customers"
            ),
            *_interval(
                "silent_identified", "float64", "identified affected − contacted", "customers"
            ),
            _col("coverage", "float64", "affected_identified / affected", _SHARE),
            _col("linked_share", "float64", "human contacts linked to a customer", _SHARE),
            _col(
                "diagnostic",
                "string",
                "why the figures cannot be trusted (no_error_signal, low_coverage, "
                "low_linkage, flat_likelihood), NULL when sound",
            ),
        ),
    ),
    ResultDef(
        "result_fix_first",
        "Detected problems ranked by revenue at risk, with evidence and a suggested action.",
        ("rank",),
        (
            _col("rank", "int64", "1 = most revenue at risk", "rank"),
            _col("rank_customers", "int64", "1 = most customers affected", "rank"),
            _col("stage", "string", "journey stage"),
            _col("page_path", "string", "the page"),
            _col("intent", "string", "the likely contact intent"),
            _col("signal", "string", "the indicator the problem raises most"),
            _col("error_kind", "string", "the problem's likely error message"),
            _col("point_id", "string", "its friction point, else NULL"),
            *_interval("affected", "float64", "customers hit", "customers"),
            _col("contacted", "float64", "affected customers who contacted", "customers"),
            *_interval("silent", "float64", "affected − contacted", "customers"),
            _col("contact_rate", "float64", "contacted / affected", _SHARE),
            _col("churn_silent", "float64", "churn of the silent", _SHARE),
            _col("churn_unaffected", "float64", "churn of the unaffected", _SHARE),
            _col("excess_churn", "float64", "churn_silent − churn_unaffected", _SHARE),
            *_interval("revenue_at_risk", "float64", "money at risk over the horizon", _MONEY),
            _col("signal_customers", "int64", "customers with the point's signal", "customers"),
            _col("page_sessions", "int64", "sessions with a view of the page", "sessions"),
            _col("page_rate", "float64", "the point's page rate", _SHARE),
            _col("background_rate", "float64", "the signal's rate elsewhere", _SHARE),
            _col("lift", "float64", "page_rate / background_rate", "ratio"),
            _col("help_signal", "string", "failed-help signal at the page, else NULL"),
            _col("help_intent", "string", "that help signal's intent"),
            _col("help_lift", "float64", "that help signal's lift", "ratio"),
            _col("action", "string", "suggested action"),
            _col("action_reason", "string", "the rule that chose it"),
            _col("paths_before", "string", "top paths before the signal, one per line"),
            _col("paths_after", "string", "top paths after the signal, one per line"),
        ),
    ),
    ResultDef(
        "result_friction_examples",
        "Example sessions of the top problems of result_fix_first, event by event.",
        ("point_id", "example_no", "step"),
        (
            _col("point_id", "string", "the friction point"),
            _col("example_no", "int64", "the example's number (1–3)"),
            _col("session_key", "string", "the session"),
            _col("visitor_id", "string", "its visitor (an id)"),
            _col("session_start", "timestamp", "time of the session's first event", "UTC"),
            _col("step", "int64", "the event's position in the shown window (1–20)"),
            _col("ts", "timestamp", "time of the event", "UTC"),
            _col("event_name", "string", "the event"),
            _col("page_path", "string", "its page"),
            _col("stage", "string", "its journey stage"),
            _col("help_kind", "string", "search, content, chatbot or contact, else NULL"),
            _col("detail", "string", "search query or error message (redacted)"),
            _col("results_count", "int64", "a search's results", "results"),
            _col("is_signal", "bool", "true on the signal event"),
        ),
    ),
    ResultDef(
        "result_intent_model",
        "One row: how the intent model was made and its cross-validated quality.",
        (),
        (
            _col("status", "string", "trained, loaded or too_few_labels"),
            _col("model_file", "string", "the model file, when loaded"),
            _col("labelled", "int64", "labelled contacts in the store", "contacts"),
            _col("trained_on", "int64", "labelled contacts trained on", "contacts"),
            _col("intents", "int64", "intents the model knows", "intents"),
            _col("cv_accuracy", "float64", "out-of-fold accuracy", _SHARE),
            _col("cv_macro_f1", "float64", "out-of-fold macro-F1", "F1 0–1"),
            _col("cv_out_of_scope", "float64", "labelled texts the threshold refuses", _SHARE),
            _col("oos_threshold", "float64", "confidence below which a text is out of scope"),
            _col("model", "string", "tfidf or encoder (TF-IDF with the fine-tuned encoder)"),
            _col("features", "string", "the TF-IDF feature recipe"),
            _col("model_reason", "string", "why this model was chosen (--model auto)"),
        ),
    ),
    ResultDef(
        "result_contact_intents",
        "Every contact's intent, confidence and where the intent came from.",
        ("contact_id",),
        (
            _col("contact_id", "string", "the contact"),
            _col("customer_id", "string", "its customer"),
            _col("channel", "string", "its channel"),
            _col("opened_at", "timestamp", "when it was opened", "UTC"),
            _col("labelled_intent", "string", "the agent's label, else empty"),
            _col("language", "string", "detected language (ja, en)"),
            _col("model_intent", "string", "the model's intent"),
            _col("confidence", "float64", "the model's calibrated top probability", _SHARE),
            _col("intent", "string", "the label, else the model's intent"),
            _col("source", "string", "label, model, out_of_scope, topic (cold start) or unknown"),
        ),
    ),
    ResultDef(
        "result_query_intents",
        "Every distinct help-search query with its intent.",
        ("query",),
        (
            _col("query", "string", "the query (redacted at ingest)"),
            _col("searches", "int64", "searches with the query", "searches"),
            _col("language", "string", "detected language (ja, en)"),
            _col("intent", "string", "the model's intent"),
            _col("confidence", "float64", "the model's top probability", _SHARE),
        ),
    ),
    ResultDef(
        "result_search_intents",
        "Every search with its query's intent (joined in the engine).",
        ("search_id",),
        (
            _col("search_id", "string", "the search"),
            _col("ts", "timestamp", "when it was made", "UTC"),
            _col("customer_id", "string", "its customer, else NULL"),
            _col("session_id", "string", "its source session id"),
            _col("intent", "string", "its query's intent"),
            _col("confidence", "float64", "its query's confidence", _SHARE),
        ),
    ),
    ResultDef(
        "result_intent_weekly",
        "Contacts and searches per intent (or new topic) per week.",
        ("week", "intent"),
        (
            _col("week", "date", "Monday of the week (store time zone)"),
            _col("intent", "string", "intent or new topic id"),
            _col("contacts", "int64", "contacts that week", "contacts"),
            _col("searches", "int64", "searches that week", "searches"),
        ),
    ),
    ResultDef(
        "result_new_topics",
        "Proposed new topics among contacts that fit no known intent.",
        ("topic_id",),
        (
            _col("topic_id", "string", "new_<n>"),
            _col("contacts", "int64", "contacts in the topic", "contacts"),
            _col("language", "string", "the topic's language"),
            _col("label", "string", "top words"),
            _col("terms", "json", "the topic's terms (a JSON list)"),
            _col("nearest_intent", "string", "the known intent it is closest to"),
            _col("similarity", "float64", "cosine similarity to that intent", "cosine"),
            _col("description_ja", "string", "a description in Japanese"),
            _col("description_en", "string", "a description in English"),
            _col("examples", "json", "example texts (a JSON list)"),
            _col("contact_ids", "json", "member contacts (a JSON list)"),
            _col("first_seen", "timestamp", "first member's opened_at", "UTC"),
            _col("last_seen", "timestamp", "last member's opened_at", "UTC"),
        ),
    ),
    ResultDef(
        "result_emerging_intents",
        "Per intent or new topic and week: volume against its baseline, and a rise flag.",
        ("topic", "week"),
        (
            _col("topic", "string", "intent or new topic id"),
            _col("week", "date", "Monday of the week (store time zone)"),
            _col("count", "int64", "contacts that week", "contacts"),
            _col("baseline", "float64", "weekly mean over the baseline weeks", "contacts"),
            _col("ratio", "float64", "count / baseline", "ratio"),
            _col("p_value", "float64", "conditional binomial test", "p"),
            _col("q_value", "float64", "Benjamini–Hochberg adjusted p", "q"),
            _col("flagged", "bool", "significantly above baseline"),
            _col("examples", "json", "example texts (a JSON list)"),
        ),
    ),
    *SELFSERVICE_RESULTS,
    ResultDef(
        "result_kpis",
        "Support KPIs per metric and slice (docs/metrics.md); empty slices: all of it (Q6).",
        ("metric", "channel", "intent", "segment", "agent", "week"),
        (
            _col("metric", "string", "the KPI's name (docs/metrics.md)"),
            _col("channel", "string", "the channel, empty for all"),
            _col("intent", "string", "the intent, empty for all"),
            _col("segment", "string", "the customers' segment, empty for all"),
            _col("agent", "string", "the agent, empty for all"),
            _col("week", "date", "the local week (Monday), empty for the whole period"),
            _col("value", "float64", "the KPI (its unit is in its name and docs/metrics.md)"),
            _col("ci_low", "float64", "95% interval: lower bound (empty for counts)"),
            _col("ci_high", "float64", "95% interval: upper bound"),
            _col("n", "int64", "contacts or answers behind the value", "count"),
        ),
    ),
    ResultDef(
        "result_kpi_alerts",
        "Weeks and slices whose CSAT or NPS fell significantly below their baseline (Q6).",
        ("metric", "dimension", "slice", "week"),
        (
            _col("metric", "string", "csat, nps or ces"),
            _col("dimension", "string", "all, segment, channel or intent"),
            _col("slice", "string", "the segment, channel or intent; empty for all"),
            _col("week", "date", "the local week (Monday)"),
            _col("value", "float64", "the week's CSAT share, NPS points or mean CES"),
            _col("baseline", "float64", "the same over the baseline weeks before it"),
            _col("n", "int64", "answers in the week", "answers"),
            _col("baseline_n", "int64", "answers in the baseline", "answers"),
            _col("p_value", "float64", "one-sided p-value that the week is lower"),
            _col("threshold", "float64", "alpha / tests that week (Bonferroni)"),
        ),
    ),
    ResultDef(
        "result_staffing",
        "Agents needed per live channel and hour of a typical week (Erlang C; Q9).",
        ("channel", "weekday", "hour"),
        (
            _col("channel", "string", "chat or phone (the live channels)"),
            _col("weekday", "int64", "0 = Monday, local"),
            _col("hour", "int64", "0-23, local"),
            _col("arrivals_per_hour", "float64", "mean contacts opened in that hour", "per hour"),
            _col("aht_seconds", "float64", "the channel's mean handle time", "seconds"),
            _col("agents", "int64", "the fewest agents meeting the target", "agents"),
            _col("service_level", "float64", "the share answered in time with them", _SHARE),
            _col("asa_seconds", "float64", "their average speed of answer", "seconds"),
            _col(
                "arrivals_if_self_service",
                "float64",
                "arrivals without the contacts of intents recommended digital_first",
                "per hour",
            ),
            _col("agents_if_self_service", "int64", "agents needed then", "agents"),
        ),
    ),
    *VOICE_RESULTS,
    *OUTREACH_RESULTS,
    ResultDef(
        RUNS_TABLE,
        "One row per `kizuki analyze` run: version, times, configuration, inputs, tables.",
        ("run_id",),
        (
            _col("run_id", "string", "a unique id of the run"),
            _col("kizuki_version", "string", "the Kizuki version that ran"),
            _col("status", "string", "completed or failed"),
            _col("started_at", "timestamp", "when the run started", "UTC"),
            _col("finished_at", "timestamp", "when it ended", "UTC"),
            _col("config", "json", "the full configuration used (AnalyzeSettings)"),
            _col("journey", "json", "the journey map used"),
            _col("inputs", "json", "rows of every canonical table when the run started"),
            _col("steps", "json", "each step: ran or skipped (and why), seconds, tables"),
            _col("tables_written", "json", "the result tables written (a JSON list)"),
            _col("error", "string", "the error that stopped a failed run, else NULL"),
        ),
    ),
)

#: Every result table, by name, in the order ``kizuki analyze`` writes them.
RESULT_TABLES: Mapping[str, ResultDef] = {t.name: t for t in _TABLES}


def _definition(name: str) -> ResultDef:
    try:
        return RESULT_TABLES[name]
    except KeyError:
        raise SchemaError(
            f"{name!r} is not a declared result table; declared: {sorted(RESULT_TABLES)}"
        ) from None


def result_columns(name: str) -> tuple[str, ...]:
    """The columns of result table ``name``, in order."""
    return tuple(_definition(name).column_names)


def result_arrow_schema(name: str) -> pa.Schema:
    """The Arrow schema of result table ``name`` (every column nullable)."""
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in _definition(name).columns])


def result_ibis_schema(name: str) -> ibis.Schema:
    """The Ibis schema of result table ``name``."""
    return ibis.schema({c.name: IBIS_TYPES[c.type] for c in _definition(name).columns})


def result_arrow(name: str, data: pd.DataFrame | pa.Table) -> pa.Table:
    """``data`` as an Arrow table of result table ``name``'s declared columns and types.

    Columns are put in the declared order; a declared column the data lacks is all NULL
    (e.g. ``model_file`` of a trained model); a column the declaration lacks raises
    :class:`~kizuki.errors.SchemaError`, as does a value that does not fit its type.
    """
    schema = result_arrow_schema(name)
    have = list(data.columns) if isinstance(data, pd.DataFrame) else data.column_names
    extra = [c for c in have if c not in schema.names]
    if extra:
        raise SchemaError(f"{name}: columns {extra} are not declared in kizuki.schema.results")
    try:
        if isinstance(data, pd.DataFrame):
            frame = data.reindex(columns=schema.names)
            return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        rows = data.num_rows
        arrays = [
            data[f.name].cast(f.type) if f.name in have else pa.nulls(rows, f.type) for f in schema
        ]
        return pa.Table.from_arrays(arrays, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise SchemaError(f"{name}: the data does not fit the declared types: {exc}") from exc


def _same_type(have: dt.DataType, want: dt.DataType) -> bool:
    """Equal types, nullability aside; a UTC timestamp of any precision is ours."""
    if have.is_timestamp() and want.is_timestamp():
        return bool(have.timezone == want.timezone)  # type: ignore[attr-defined]
    return bool(have.copy(nullable=True) == want.copy(nullable=True))


def result_expr(name: str, expr: ir.Table) -> ir.Table:
    """``expr`` with result table ``name``'s declared columns, in order and of their types.

    A column whose type already matches is passed through untouched (no cast in the SQL), so
    a table the engine computes in its declared types is written exactly as computed.
    """
    declared = result_ibis_schema(name)
    have = expr.schema()
    missing = [c for c in declared.names if c not in have]
    extra = [c for c in have.names if c not in declared]
    if missing or extra:
        raise SchemaError(
            f"{name}: the analysis returned columns that differ from its declaration "
            f"(missing {missing}, not declared {extra})"
        )
    differ = [c for c in declared.names if not _same_type(have[c], declared[c])]
    if not differ and list(have.names) == list(declared.names):
        return expr
    return expr.select(
        [expr[c].cast(declared[c]).name(c) if c in differ else expr[c] for c in declared.names]
    )
