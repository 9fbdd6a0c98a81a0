"""Zendesk Support tickets (JSON) → ``contacts`` and CSAT ``surveys``.

Reads newline-delimited JSON (one ticket per line, Zendesk's full JSON export; streamed) or one
``{"tickets": [...]}`` document (an incremental-export API page; read whole, so meant for pages
of up to some hundred thousand tickets). The mapping follows docs/data-formats.md; a ticket whose
``via.channel`` Kizuki does not know is quarantined with the value and the known values. A
ticket's ``satisfaction_rating`` of ``good``/``bad`` becomes a ``surveys`` row of kind ``csat``
(5/1), dated by the rating's ``updated_at``/``created_at`` if present, else when the ticket was
solved, else opened. ``comments`` are not stored yet.

Row numbers are line numbers for NDJSON and 1-based ticket positions for a document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from kizuki.errors import IngestError
from kizuki.ingest.connector import (
    LINE_RAW,
    Chunk,
    Derived,
    Resume,
    line_chunks,
    split_for_threads,
)
from kizuki.ingest.validate import Source, sql_literal, stage_sql
from kizuki.schema import TABLES

__all__ = ["CHANNELS", "ZendeskConnector"]

#: Zendesk ``via.channel`` → canonical ``contacts.channel``
CHANNELS = {
    "email": "email",
    "web": "form",
    "api": "form",
    "mobile_sdk": "form",
    "chat": "chat",
    "native_messaging": "chat",
    "voice": "phone",
    "twitter": "social",
    "facebook": "social",
}

_JSON_TYPE = json.dumps(
    {
        "id": "VARCHAR",
        "created_at": "VARCHAR",
        "updated_at": "VARCHAR",
        "via": {"channel": "VARCHAR"},
        "status": "VARCHAR",
        "subject": "VARCHAR",
        "description": "VARCHAR",
        "requester_id": "VARCHAR",
        "requester": {"external_id": "VARCHAR"},
        "assignee_id": "VARCHAR",
        "tags": ["VARCHAR"],
        "metric_set": {"reply_time_in_minutes": {"calendar": "DOUBLE"}, "solved_at": "VARCHAR"},
        "satisfaction_rating": {
            "id": "VARCHAR",
            "score": "VARCHAR",
            "comment": "VARCHAR",
            "created_at": "VARCHAR",
            "updated_at": "VARCHAR",
        },
    },
    separators=(",", ":"),
)


def _is_document(path: Path) -> bool:
    """True for a ``{"tickets": [...]}`` document, False for one ticket per line."""
    with path.open("rb") as fh:
        first = fh.readline(1 << 20)
        sample = first + fh.read(1 << 16)
    try:
        value = json.loads(first)
    except ValueError:
        return sample.lstrip().startswith(b"{") and b'"tickets"' in sample
    return isinstance(value, dict) and "tickets" in value


class ZendeskConnector:
    """Zendesk tickets as NDJSON or a ``{"tickets": [...]}`` document."""

    source = "zendesk"
    target = "contacts"
    ignored_columns: tuple[str, ...] = ()
    prune_column: str | None = None

    def __init__(self, path: Path, *, batch_rows: int) -> None:
        self.path = path
        self.batch_rows = batch_rows
        self.document = _is_document(path)
        self.total_rows: int | None = None
        self.derived: tuple[Derived, ...] = (Derived("surveys", _SURVEYS),)

    def chunks(self, resume: Resume) -> Iterator[Chunk]:
        if not self.document:
            return line_chunks(self.path, self.batch_rows, resume)
        return self._document_chunks(resume)

    def _document_chunks(self, resume: Resume) -> Iterator[Chunk]:
        try:
            doc = json.loads(self.path.read_bytes())
        except ValueError as exc:
            raise IngestError(
                f"{self.path.name} is not valid JSON ({exc}); Zendesk files are one ticket per "
                'line or one {"tickets": [...]} document'
            ) from exc
        tickets = doc.get("tickets") if isinstance(doc, dict) else None
        if not isinstance(tickets, list):
            raise IngestError(f'{self.path.name}: the document has no "tickets" list')
        self.total_rows = len(tickets)
        for start in range(resume.last_row, len(tickets), self.batch_rows):
            part = tickets[start : start + self.batch_rows]
            lines = pa.array([json.dumps(t, ensure_ascii=False) for t in part], pa.string())
            rows = np.arange(start + 1, start + len(part) + 1, dtype=np.int64)
            data = pa.table({"_row": pa.array(rows), "_line": lines})
            yield Chunk(split_for_threads(data), int(rows[-1]))

    def raw_sql(self, schema: pa.Schema) -> str:
        return LINE_RAW

    def stage_sql(self, relation: str, schema: pa.Schema) -> str:
        base = (
            "(SELECT _row, __ok, j IS NOT NULL AS __obj, j.* FROM "
            f"(SELECT _row, json_valid(_line) AS __ok, "
            f"CASE WHEN json_valid(_line) AND json_type(_line) = 'OBJECT' "
            f"THEN from_json(_line, {sql_literal(_JSON_TYPE)}) END AS j FROM {relation}))"
        )
        known = ", ".join(sql_literal(k) for k in CHANNELS)
        mapped = (
            "CASE lower(via.channel) "
            + " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in CHANNELS.items())
            + " END"
        )
        pre = (
            "CASE WHEN NOT __ok THEN 'line is not valid JSON' "
            "WHEN NOT __obj THEN 'line is not a JSON object' "
            f"WHEN nullif(trim(via.channel), '') IS NOT NULL AND lower(via.channel) NOT IN "
            f"({known}) THEN 'via.channel ''' || via.channel || ''' is not a known Zendesk "
            f"channel (known: {', '.join(sorted(CHANNELS))})' END"
        )
        opened = "TRY_CAST(created_at AS TIMESTAMPTZ)"
        sources = {
            "contact_id": Source("id", label="id"),
            "customer_id": Source(
                "coalesce(nullif(requester.external_id, ''), requester_id)",
                label="requester.external_id",
            ),
            "channel": Source(mapped, label="via.channel"),
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
            "intent": Source(
                "nullif(substr(list_filter(tags, lambda t: starts_with(t, 'intent_'))[1], 8), '')",
                label="tags",
            ),
            "agent_id": Source("assignee_id", label="assignee_id"),
        }
        extras = {
            "_csat_id": "satisfaction_rating.id",
            "_csat_score": "lower(satisfaction_rating.score)",
            "_csat_comment": "satisfaction_rating.comment",
            "_csat_at": (
                "TRY_CAST(coalesce(satisfaction_rating.updated_at, satisfaction_rating.created_at)"
                " AS TIMESTAMPTZ)"
            ),
        }
        return stage_sql(TABLES["contacts"], sources, base, pre_reason=pre, extras=extras)


_SURVEYS = (
    "SELECT _row, 'zd-csat-' || coalesce(_csat_id, 'ticket-' || contact_id) AS response_id, "
    "customer_id, coalesce(_csat_at, resolved_at, opened_at) AS ts, 'csat' AS kind, "
    "CASE _csat_score WHEN 'good' THEN 5.0 ELSE 1.0 END AS score, "
    "_csat_comment AS comment, contact_id "
    "FROM _kz_stage WHERE _reason IS NULL AND _csat_score IN ('good', 'bad')"
)
