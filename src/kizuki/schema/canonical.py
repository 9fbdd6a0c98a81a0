"""The canonical tables: columns, types, keys, enums and redacted text fields, in one place.

Every other module (store creation, ingest validation, the simulator's canonical files, the
analytics) reads its table definitions from :data:`TABLES`. Timestamps are UTC. Every table
also carries ``batch_id``, the ingest batch that loaded the row.

Type names are the small vocabulary of :mod:`kizuki.schema.types`.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from kizuki.schema.types import ARROW_TYPES, IBIS_TYPES, Check, Column, ColumnType, TableDef

__all__ = [
    "CHANNELS",
    "SCHEMA_VERSION",
    "SURVEY_KINDS",
    "SYSTEM_TABLES",
    "TABLES",
    "arrow_schema",
    "ibis_schema",
]

SCHEMA_VERSION = 4


def _c(name: str, type_: ColumnType, required: bool = False, **kw: object) -> Column:
    return Column(name, type_, required, **kw)  # type: ignore[arg-type]


#: contact channels; ``other`` holds any channel a source names that Kizuki does not map (the
#: source's own value is kept in ``contacts.channel_raw``)
CHANNELS = ("phone", "email", "chat", "chatbot", "form", "social", "other")
SURVEY_KINDS = ("nps", "csat", "ces")

TABLES: Mapping[str, TableDef] = {
    t.name: t
    for t in (
        TableDef(
            "customers",
            "customer_id",
            (
                _c("customer_id", "string", True),
                _c("created_at", "timestamp", True),
                _c("segment", "string"),
                _c("plan", "string"),
                _c("language", "string"),
                _c("country", "string"),
                _c("monthly_value", "float64"),
                _c("attributes", "json"),
                _c("updated_at", "timestamp"),
                _c("email_hash", "string"),
            ),
            (Check("monthly_value IS NULL OR monthly_value >= 0", "monthly_value is negative"),),
            doc="One row per customer (account).",
        ),
        TableDef(
            "subscriptions",
            "subscription_id",
            (
                _c("subscription_id", "string", True),
                _c("customer_id", "string", True),
                _c("plan", "string"),
                _c("started_at", "timestamp", True),
                _c("renews_at", "timestamp"),
                _c("ended_at", "timestamp"),
                _c("status", "string", True, enum=("trial", "active", "cancelled", "churned")),
                _c("monthly_value", "float64"),
                _c("updated_at", "timestamp"),
            ),
            (Check("ended_at IS NULL OR ended_at >= started_at", "ended_at is before started_at"),),
            doc="Subscription periods; churn is a subscription that ended and was not renewed.",
        ),
        TableDef(
            "events",
            "event_id",
            (
                _c("event_id", "string", True),
                _c("ts", "timestamp", True),
                _c("customer_id", "string"),
                _c("anonymous_id", "string"),
                _c("session_id", "string"),
                _c("event_name", "string", True),
                _c("page_path", "string"),
                _c("page_title", "string"),
                _c("referrer", "string"),
                _c("device", "string"),
                _c("properties", "json"),
            ),
            (
                Check(
                    "customer_id IS NOT NULL OR anonymous_id IS NOT NULL",
                    "neither customer_id nor anonymous_id is set",
                ),
            ),
            doc="Web and product analytics events (page views, clicks, errors, goals).",
        ),
        TableDef(
            "searches",
            "search_id",
            (
                _c("search_id", "string", True),
                _c("ts", "timestamp", True),
                _c("customer_id", "string"),
                _c("anonymous_id", "string"),
                _c("session_id", "string"),
                _c("query", "string", True, redact=True),
                _c("language", "string"),
                _c("results_count", "int64"),
                _c("clicked_content_id", "string"),
            ),
            (Check("results_count IS NULL OR results_count >= 0", "results_count is negative"),),
            doc="Help-site / FAQ search log.",
        ),
        TableDef(
            "content",
            "content_id",
            (
                _c("content_id", "string", True),
                _c("kind", "string", True, enum=("faq", "article", "chatbot_flow")),
                _c("title", "string", True),
                _c("body", "string"),
                _c("language", "string"),
                _c("url", "string"),
                _c("intents", "json"),
                _c("updated_at", "timestamp"),
            ),
            doc="Help content: FAQ entries, articles and chatbot flows.",
        ),
        TableDef(
            "contacts",
            "contact_id",
            (
                _c("contact_id", "string", True),
                _c("customer_id", "string"),
                _c("channel", "string", True, enum=CHANNELS),
                _c("opened_at", "timestamp", True),
                _c("first_response_at", "timestamp"),
                _c("resolved_at", "timestamp"),
                _c("status", "string"),
                _c("subject", "string", redact=True),
                _c("text", "string", redact=True),
                _c("intent", "string"),
                _c("agent_id", "string"),
                _c("updated_at", "timestamp"),
                _c("channel_raw", "string"),
                _c("requester_id", "string"),
                _c("requester_email_hash", "string"),
                _c("tags", "json"),
            ),
            (
                Check(
                    "first_response_at IS NULL OR first_response_at >= opened_at",
                    "first_response_at is before opened_at",
                ),
                Check(
                    "resolved_at IS NULL OR resolved_at >= opened_at",
                    "resolved_at is before opened_at",
                ),
            ),
            doc="Helpdesk tickets, chats, calls and chatbot conversations.",
        ),
        TableDef(
            "comments",
            "comment_id",
            (
                _c("comment_id", "string", True),
                _c("contact_id", "string", True),
                _c("ts", "timestamp", True),
                _c("author_id", "string"),
                _c("author_role", "string", enum=("customer", "agent", "system")),
                _c("public", "bool"),
                _c("text", "string", redact=True),
            ),
            doc="The messages of a contact's conversation (ticket comments, chat lines).",
        ),
        TableDef(
            "identities",
            "identity_id",
            (
                _c("identity_id", "string", True, doc="``kind:value``, e.g. ``requester_id:42``"),
                _c(
                    "kind",
                    "string",
                    True,
                    enum=("anonymous_id", "requester_id", "email_hash", "user_id"),
                ),
                _c("value", "string", True),
                _c("customer_id", "string"),
                _c("email_hash", "string", doc="keyed hash of the identifier's e-mail address"),
                _c("source", "string"),
                _c("updated_at", "timestamp"),
            ),
            (
                Check(
                    "customer_id IS NOT NULL OR email_hash IS NOT NULL",
                    "neither customer_id nor email_hash is set",
                ),
            ),
            doc="Known links from a source's identifier to a customer: directly (customer_id) or "
            "through the keyed hash of an e-mail address a customer also has (helpdesk users).",
        ),
        TableDef(
            "surveys",
            "response_id",
            (
                _c("response_id", "string", True),
                _c("customer_id", "string"),
                _c("ts", "timestamp", True),
                _c("kind", "string", True, enum=SURVEY_KINDS),
                _c("score", "float64", True),
                _c("comment", "string", redact=True),
                _c("contact_id", "string"),
            ),
            (
                Check(
                    "(kind = 'nps' AND score BETWEEN 0 AND 10) OR (kind = 'csat' AND score "
                    "BETWEEN 1 AND 5) OR (kind = 'ces' AND score BETWEEN 1 AND 7) OR kind IS NULL",
                    "score is outside its scale (nps 0-10, csat 1-5, ces 1-7)",
                ),
            ),
            doc="NPS, CSAT and CES responses.",
        ),
        TableDef(
            "incidents",
            "incident_id",
            (
                _c("incident_id", "string", True),
                _c("started_at", "timestamp", True),
                _c("ended_at", "timestamp"),
                _c("title", "string"),
                _c("severity", "string"),
                _c("affected", "json"),
            ),
            doc="Outages and defects; `affected` names segments, features or page patterns.",
        ),
        TableDef(
            "mentions",
            "mention_id",
            (
                _c("mention_id", "string", True),
                _c("ts", "timestamp", True),
                _c("source", "string"),
                _c("author_hash", "string"),
                _c("text", "string", True, redact=True),
                _c("url", "string"),
            ),
            doc="Brand mentions from social media and review sites.",
        ),
    )
}

SYSTEM_TABLES: Mapping[str, ibis.Schema] = {
    "quarantine": ibis.schema(
        {
            "batch_id": dt.string,
            "source_row": dt.int64,
            "source": dt.string,
            "file": dt.string,
            "target_table": dt.string,
            "raw": dt.string,
            "reason": dt.string,
            "quarantined_at": IBIS_TYPES["timestamp"],
        }
    ),
    "ingest_log": ibis.schema(
        {
            "batch_id": dt.string,
            "source": dt.string,
            "file": dt.string,
            "checksum": dt.string,
            "target_table": dt.string,
            "rows_in": dt.int64,
            "rows_loaded": dt.int64,
            "rows_duplicate": dt.int64,
            "rows_quarantined": dt.int64,
            "derived": dt.string,  # JSON: rows written to other tables, e.g. {"searches": 120}
            "started_at": IBIS_TYPES["timestamp"],
            "finished_at": IBIS_TYPES["timestamp"],
            "rows_updated": dt.int64,  # newer versions of rows already stored (upserts)
            # schema version 4: batches that were replaced or deleted, and how rows were read
            "removed_at": IBIS_TYPES["timestamp"],  # NULL while the batch is current
            "removed_by": dt.string,  # the replacing batch's id, or 'deleted'
            "timezone": dt.string,  # the time zone naive times were read in
            "naive_times": dt.int64,  # times without a UTC offset read in that zone
            "mapping_hash": dt.string,  # sha256 of the mapping and settings that shape rows
        }
    ),
    "schema_version": ibis.schema(
        {"version": dt.int64, "description": dt.string, "applied_at": IBIS_TYPES["timestamp"]}
    ),
}


def ibis_schema(table: str) -> ibis.Schema:
    """The Ibis schema of a canonical or system table (canonical ones end with ``batch_id``)."""
    if table in SYSTEM_TABLES:
        return SYSTEM_TABLES[table]
    tdef = TABLES[table]
    fields = {c.name: IBIS_TYPES[c.type] for c in tdef.columns}
    fields["batch_id"] = dt.string
    return ibis.schema(fields)


def arrow_schema(table: str, *, with_batch_id: bool = True) -> pa.Schema:
    """The Arrow schema of a canonical table, for writers and readers of canonical files."""
    tdef = TABLES[table]
    fields = [pa.field(c.name, ARROW_TYPES[c.type], nullable=not c.required) for c in tdef.columns]
    if with_batch_id:
        fields.append(pa.field("batch_id", pa.string()))
    return pa.schema(fields)
