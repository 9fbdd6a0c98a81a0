"""The DuckDB SQL that turns Zendesk records (lines of JSON) into canonical rows.

One staging query per kind of record (see :mod:`kizuki.ingest.zendesk_read`): tickets →
``contacts`` (and, derived, CSAT ``surveys``, ``comments`` from the ticket's ``comments`` array
and ``identities`` of its requester), users → ``identities``, comment events → ``comments``.
Each parses the chunk's lines with ``from_json`` into typed columns once; nothing is done row by
row in Python. Zendesk writes its times in UTC with a ``Z``; a time without an offset (a
hand-made file) is read in the ingest's time zone, as in every source.
"""

from __future__ import annotations

import json
from typing import Any

from kizuki.ingest.email_hash import email_hash_sql
from kizuki.ingest.timestamps import cast_sql
from kizuki.ingest.validate import Source, sql_literal, stage_sql
from kizuki.ingest.zendesk_channels import channel_sql
from kizuki.schema import TABLES

__all__ = [
    "IDENTITIES_FROM_TICKETS",
    "SURVEYS_FROM_TICKETS",
    "comments_from_tickets",
    "comments_stage_sql",
    "intent_sql",
    "tickets_stage_sql",
    "users_stage_sql",
]

_COMMENT = {
    "id": "VARCHAR",
    "created_at": "VARCHAR",
    "author_id": "VARCHAR",
    "public": "BOOLEAN",
    "body": "VARCHAR",
    "plain_body": "VARCHAR",
    "via": {"channel": "VARCHAR"},
    "author_role": "VARCHAR",
}
_USER = {
    "id": "VARCHAR",
    "external_id": "VARCHAR",
    "email": "VARCHAR",
    "role": "VARCHAR",
    "updated_at": "VARCHAR",
}
_TICKET = {
    "id": "VARCHAR",
    "created_at": "VARCHAR",
    "updated_at": "VARCHAR",
    "via": {"channel": "VARCHAR"},
    "status": "VARCHAR",
    "subject": "VARCHAR",
    "description": "VARCHAR",
    "requester_id": "VARCHAR",
    "requester": _USER,
    "assignee_id": "VARCHAR",
    "tags": ["VARCHAR"],
    "custom_fields": [{"id": "VARCHAR", "value": "JSON"}],
    "fields": [{"id": "VARCHAR", "value": "JSON"}],
    "metric_set": {"reply_time_in_minutes": {"calendar": "DOUBLE"}, "solved_at": "VARCHAR"},
    "satisfaction_rating": {
        "id": "VARCHAR",
        "score": "VARCHAR",
        "comment": "VARCHAR",
        "created_at": "VARCHAR",
        "updated_at": "VARCHAR",
    },
    "comments": [_COMMENT],
}
_COMMENT_EVENT = {**_COMMENT, "ticket_id": "VARCHAR", "requester_id": "VARCHAR"}

#: via channels of comments written by Zendesk itself (triggers, automations, bots)
_SYSTEM_VIA = (
    "rule",
    "rule_revision",
    "merge",
    "linked_problem",
    "satisfaction_prediction",
    "automatic_solution_suggestions",
    "answer_bot",
    "answer_bot_api",
    "answer_bot_for_agents",
    "answer_bot_for_sdk",
    "answer_bot_for_slack",
    "answer_bot_for_web_widget",
    "ai_agent",
    "ai_agents",
    "8",
)
#: satisfaction_rating.score → CSAT score (offered/unoffered: asked, not answered: no survey)
_CSAT = {"good": 5.0, "good_with_comment": 5.0, "bad": 1.0, "bad_with_comment": 1.0}


def _parsed(relation: str, json_type: dict[str, Any]) -> str:
    """``relation``'s lines parsed into the typed columns of ``json_type``."""
    literal = sql_literal(json.dumps(json_type, separators=(",", ":")))
    return (
        "(SELECT _row, __ok, j IS NOT NULL AS __obj, j.* FROM "
        f"(SELECT _row, json_valid(_line) AS __ok, "
        f"CASE WHEN json_valid(_line) AND json_type(_line) = 'OBJECT' "
        f"THEN from_json(_line, {literal}) END AS j FROM {relation}))"
    )


_BAD_LINE = (
    "WHEN NOT __ok THEN 'line is not valid JSON' WHEN NOT __obj THEN 'line is not a JSON object' "
)


def role_sql(author: str, requester: str, via: str, hint: str) -> str:
    """SQL: ``customer`` (the requester, or an end user), ``agent`` or ``system``."""
    system = ", ".join(sql_literal(v) for v in _SYSTEM_VIA)
    return (
        f"CASE WHEN {author} = '-1' OR lower({via}) IN ({system}) THEN 'system' "
        f"WHEN {author} = {requester} THEN 'customer' "
        f"WHEN lower({hint}) = 'end-user' THEN 'customer' "
        f"WHEN lower({hint}) IN ('agent', 'admin') THEN 'agent' "
        f"WHEN {requester} IS NOT NULL AND {author} IS NOT NULL THEN 'agent' END"
    )


def intent_sql(field: str | None) -> tuple[str, str]:
    """SQL for ``contacts.intent`` and its label: a custom field's value, else tag ``intent_*``."""
    if field is None:
        tag = "nullif(substr(list_filter(tags, lambda t: starts_with(t, 'intent_'))[1], 8), '')"
        return tag, "tags"
    fid = sql_literal(field)
    value = (
        f"coalesce(list_filter(custom_fields, lambda f: f.id = {fid})[1].value, "
        f"list_filter(fields, lambda f: f.id = {fid})[1].value)"
    )
    first = f"CASE WHEN json_type({value}) = 'ARRAY' THEN {value}->>'$[0]' ELSE {value}->>'$' END"
    return f"nullif(trim({first}), '')", f"custom_fields.{field}"


def tickets_stage_sql(
    relation: str, key: bytes, intent_field: str | None, timezone: str = "UTC"
) -> str:
    """The staging SELECT of tickets → ``contacts`` (with extras for the derived tables)."""
    opened = cast_sql("created_at", timezone)
    intent, intent_label = intent_sql(intent_field)
    sources = {
        "contact_id": Source("id", label="id"),
        "customer_id": Source("requester.external_id", label="requester.external_id"),
        "channel": Source(channel_sql("via.channel"), label="via.channel", trusted=True),
        "channel_raw": Source("via.channel", label="via.channel"),
        "opened_at": Source("created_at", label="created_at"),
        "first_response_at": Source(
            f"{opened} + to_microseconds(round(metric_set.reply_time_in_minutes.calendar "
            "* 60000000)::BIGINT)",
            "timestamptz",
            label="metric_set.reply_time_in_minutes.calendar",
        ),
        "resolved_at": Source("metric_set.solved_at", label="metric_set.solved_at"),
        "status": Source("status"),
        "subject": Source("subject"),
        "text": Source("description", label="description"),
        "intent": Source(intent, label=intent_label),
        "agent_id": Source("assignee_id", label="assignee_id"),
        "updated_at": Source("updated_at"),
        "requester_id": Source("coalesce(requester_id, requester.id)", label="requester_id"),
        "requester_email_hash": Source(email_hash_sql("requester.email", key), trusted=True),
        "tags": Source("tags", "nested"),
    }
    extras = {
        "_csat_id": "satisfaction_rating.id",
        "_csat_score": "lower(trim(satisfaction_rating.score))",
        "_csat_comment": "satisfaction_rating.comment",
        "_csat_at": cast_sql(
            "coalesce(satisfaction_rating.updated_at, satisfaction_rating.created_at)", timezone
        ),
        "_comments": "comments",
        "_requester_at": cast_sql("requester.updated_at", timezone),
    }
    pre = f"CASE {_BAD_LINE}END"
    return stage_sql(
        TABLES["contacts"],
        sources,
        _parsed(relation, _TICKET),
        pre_reason=pre,
        extras=extras,
        timezone=timezone,
    )


_CSAT_CASE = " ".join(f"WHEN {sql_literal(k)} THEN {v}" for k, v in _CSAT.items())
SURVEYS_FROM_TICKETS = (
    "SELECT _row, 'zd-csat-' || coalesce(_csat_id, 'ticket-' || contact_id) AS response_id, "
    "customer_id, coalesce(_csat_at, resolved_at, opened_at) AS ts, 'csat' AS kind, "
    f"CASE _csat_score {_CSAT_CASE} END AS score, _csat_comment AS comment, contact_id "
    "FROM _kz_stage WHERE _reason IS NULL AND _csat_score IN "
    f"({', '.join(sql_literal(k) for k in _CSAT)})"
)


def comments_from_tickets(timezone: str = "UTC") -> str:
    """The derived ``comments`` of the staged tickets' ``comments`` arrays."""
    ts = cast_sql("c.created_at", timezone)
    role = role_sql("c.author_id", "requester_id", "c.via.channel", "c.author_role")
    return (
        f"SELECT _row, c.id AS comment_id, contact_id, {ts} AS ts, c.author_id AS author_id, "
        f"{role} AS author_role, c.public AS public, coalesce(c.plain_body, c.body) AS text "
        "FROM (SELECT _row, contact_id, requester_id, unnest(_comments) AS c FROM _kz_stage "
        "WHERE _reason IS NULL AND len(_comments) > 0) "
        f"WHERE nullif(trim(c.id), '') IS NOT NULL AND ({ts}) IS NOT NULL "
        "QUALIFY row_number() OVER (PARTITION BY _row, c.id) = 1"
    )


IDENTITIES_FROM_TICKETS = (
    "SELECT _row, 'requester_id:' || requester_id AS identity_id, 'requester_id' AS kind, "
    "requester_id AS value, customer_id, requester_email_hash AS email_hash, "
    "'zendesk' AS source, coalesce(_requester_at, updated_at) AS updated_at FROM _kz_stage "
    "WHERE _reason IS NULL AND requester_id IS NOT NULL "
    "AND (customer_id IS NOT NULL OR requester_email_hash IS NOT NULL)"
)


def users_stage_sql(relation: str, key: bytes, timezone: str = "UTC") -> str:
    """The staging SELECT of users → ``identities`` (``requester_id:<user id>``)."""
    sources = {
        "identity_id": Source("'requester_id:' || nullif(trim(id), '')", label="id"),
        "kind": Source("'requester_id'", trusted=True),
        "value": Source("id", label="id"),
        "customer_id": Source("external_id", label="external_id"),
        "email_hash": Source(email_hash_sql("email", key), trusted=True),
        "source": Source("'zendesk'", trusted=True),
        "updated_at": Source("updated_at"),
    }
    pre = (
        f"CASE {_BAD_LINE}"
        "WHEN nullif(trim(id), '') IS NOT NULL AND nullif(trim(external_id), '') IS NULL "
        "AND nullif(trim(email), '') IS NULL THEN 'user has neither external_id nor email: "
        "nothing links it to a customer' END"
    )
    return stage_sql(
        TABLES["identities"], sources, _parsed(relation, _USER), pre_reason=pre, timezone=timezone
    )


def comments_stage_sql(relation: str, timezone: str = "UTC") -> str:
    """The staging SELECT of comment events (audits, ticket events) → ``comments``."""
    sources = {
        "comment_id": Source("id", label="id"),
        "contact_id": Source("ticket_id", label="ticket_id"),
        "ts": Source("created_at", label="created_at"),
        "author_id": Source("author_id", label="author_id"),
        "author_role": Source(
            role_sql("author_id", "requester_id", "via.channel", "author_role"), trusted=True
        ),
        "public": Source("public", "bool"),
        "text": Source("body", label="body"),
    }
    pre = f"CASE {_BAD_LINE}END"
    return stage_sql(
        TABLES["comments"],
        sources,
        _parsed(relation, _COMMENT_EVENT),
        pre_reason=pre,
        timezone=timezone,
    )
