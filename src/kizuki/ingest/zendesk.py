"""Zendesk Support exports (JSON) → ``contacts``, ``comments``, ``identities`` and CSAT ``surveys``.

One source, ``zendesk``, reads every Zendesk JSON file Kizuki knows; what the file holds decides
the table it loads (see :mod:`kizuki.ingest.zendesk_read` for the layouts):

- tickets (the full JSON export, one ticket per line; incremental export pages, time- or
  cursor-based, alone or one page per line) → ``contacts``; also a ``surveys`` row per answered
  ``satisfaction_rating`` (``good`` → 5, ``bad`` → 1; ``offered``/``unoffered`` are not
  answers), a ``comments`` row per entry of the ticket's ``comments`` array, and an
  ``identities`` row for a requester whose ``external_id`` or e-mail address the file carries;
- users (the users export, or an incremental users page) → ``identities``;
- ticket audits (``{"audits": [...]}``) or incremental ticket events
  (``{"ticket_events": [...]}`` with ``include=comment_events``) → ``comments``.

Every ``via.channel`` is kept as given in ``contacts.channel_raw`` and mapped by
:data:`CHANNELS` (unknown values → ``other``; never quarantined). ``customer_id`` is the
requester's ``external_id`` when the file has it, else NULL (``requester_id`` keeps Zendesk's
user id for the identity step). E-mail addresses are stored only as their keyed hash
(:mod:`kizuki.ingest.email_hash`). Deleted tickets (status ``deleted`` in incremental
exports) are kept with that status. Times without a UTC offset (Zendesk writes ``Z``) are
read in the ingest's time zone.

A mapping may name the custom field that holds the contact reason: ``{"intent_field":
"360001234567"}`` or ``{"intent": "custom_fields.360001234567"}``; without it the reason is the
tag ``intent_<name>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pyarrow as pa

from kizuki.errors import IngestError
from kizuki.ingest.connector import LINE_RAW, Chunk, Derived, Resume
from kizuki.ingest.zendesk_channels import CHANNELS, VIA_IDS
from kizuki.ingest.zendesk_read import ZendeskFile
from kizuki.ingest.zendesk_sql import (
    IDENTITIES_FROM_TICKETS,
    SURVEYS_FROM_TICKETS,
    comments_from_tickets,
    comments_stage_sql,
    tickets_stage_sql,
    users_stage_sql,
)

__all__ = ["CHANNELS", "VIA_IDS", "ZendeskConnector", "intent_field"]

_TARGETS = {"tickets": "contacts", "users": "identities", "comments": "comments"}
_MAPPING_KEYS = ("intent_field", "intent")


def intent_field(mapping: Mapping[str, object] | None) -> str | None:
    """The custom field id a Zendesk mapping names for ``contacts.intent`` (None: the tag).

    >>> intent_field({"intent": "custom_fields.360001234567"})
    '360001234567'
    """
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - set(_MAPPING_KEYS))
    if unknown:
        raise IngestError(
            f"the zendesk mapping names {', '.join(unknown)}; it takes intent_field: <custom "
            "field id> (or intent: custom_fields.<id>), e.g. --mapping intent_field=360001234567"
        )
    field = mapping.get("intent_field")
    if "intent" in mapping:
        value = str(mapping["intent"])
        prefix = "custom_fields."
        if not value.startswith(prefix) or not value[len(prefix) :].strip():
            raise IngestError(
                f"zendesk mapping intent: {value!r} is not custom_fields.<field id>, e.g. "
                "custom_fields.360001234567"
            )
        field = value[len(prefix) :]
    if field is None:
        return None
    text = str(field).strip()
    if not text.isdigit():
        raise IngestError(
            f"zendesk mapping intent_field: {field!r} is not a Zendesk custom field id "
            "(a number, e.g. 360001234567)"
        )
    return text


class ZendeskConnector:
    """Zendesk tickets, users, audits or ticket events: the table follows the file's content."""

    source = "zendesk"
    ignored_columns: tuple[str, ...] = ()
    prune_column: str | None = None
    generated: tuple[str, ...] = ()

    def __init__(
        self,
        path: Path,
        *,
        batch_rows: int,
        mapping: Mapping[str, object] | None = None,
        hash_key: Callable[[], bytes] | None = None,
        timezone: str = "UTC",
    ) -> None:
        self.path = path
        self.timezone = timezone
        self.batch_rows = batch_rows
        self.intent_field = intent_field(mapping)
        self.file = ZendeskFile.open(path)
        self.kind = self.file.kind
        self.target = _TARGETS[self.kind]
        if self.kind != "tickets" and self.intent_field is not None:
            raise IngestError(
                f"{path.name} holds Zendesk {self.kind}, not tickets; intent_field applies to "
                "tickets only"
            )
        self.total_rows: int | None = None
        self._hash_key = hash_key
        self._key: bytes | None = None
        self.derived: tuple[Derived, ...] = ()
        if self.kind == "tickets":
            self.derived = (
                Derived("surveys", SURVEYS_FROM_TICKETS),
                Derived("comments", comments_from_tickets(timezone)),
                Derived("identities", IDENTITIES_FROM_TICKETS),
            )

    @property
    def key(self) -> bytes:
        """The store's e-mail hash key (asked for once, when first needed)."""
        if self._key is None:
            if self._hash_key is None:
                raise IngestError(
                    "the zendesk connector needs the store's e-mail hash key; create it "
                    "through ingest_files (or pass hash_key=...)"
                )
            self._key = self._hash_key()
        return self._key

    def chunks(self, resume: Resume) -> Iterator[Chunk]:
        for chunk in self.file.chunks(self.batch_rows, resume):
            self.total_rows = self.file.total_rows
            yield chunk
        self.total_rows = self.file.total_rows

    def raw_sql(self, schema: pa.Schema) -> str:
        return LINE_RAW

    def stage_sql(self, relation: str, schema: pa.Schema) -> str:
        if self.kind == "tickets":
            return tickets_stage_sql(relation, self.key, self.intent_field, self.timezone)
        if self.kind == "users":
            return users_stage_sql(relation, self.key, self.timezone)
        return comments_stage_sql(relation, self.timezone)
