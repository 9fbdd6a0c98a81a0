"""Reading Zendesk files: which kind of record they hold, and their records as lines of JSON.

Three layouts are read:

- ``lines``: one ticket (or one user) per line, as Zendesk's full JSON export writes them.
  Streamed; the lines go to DuckDB untouched.
- ``pages``: one API response document per line (pages of an export saved one after another).
  Streamed page by page.
- ``document``: one API response document (one line or pretty-printed). Read whole.

An API document is any of: an incremental export page, time-based (``tickets``, ``next_page``,
``end_time``, ``count``, ``end_of_stream``) or cursor-based (``after_cursor``,
``before_cursor``, ``after_url``, ``end_of_stream``), of tickets or users; a list of ticket
audits (``audits``); an incremental ticket events page (``ticket_events``, with
``include=comment_events``). What the document holds decides the kind of record:

==========================  ===========  ======================================
list in the document        kind         record (one ``_row``)
==========================  ===========  ======================================
``tickets``                 ``tickets``  a ticket
``users`` (and no tickets)  ``users``    a user
``audits``                  ``comments`` a ``Comment`` event of an audit
``ticket_events``           ``comments`` a ``Comment`` child event
==========================  ===========  ======================================

Sideloaded ``users`` of a tickets page are joined to the tickets they requested (as the
ticket's ``requester``) and give comment authors their role; users of the page who requested
none of its tickets are not stored. Documents' records are numbered by position (1-based, across
pages for a file of pages).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from kizuki.errors import IngestError
from kizuki.ingest.connector import Chunk, Resume, line_chunks, split_for_threads

__all__ = ["Kind", "Layout", "ZendeskFile"]

Kind = Literal["tickets", "users", "comments"]
Layout = Literal["lines", "pages", "document"]

#: the list of records in an API document → the kind of record
_LISTS: dict[str, Kind] = {
    "tickets": "tickets",
    "audits": "comments",
    "ticket_events": "comments",
    "users": "users",
}
_SAMPLE = 1 << 16


def _page_kind(value: Any) -> Kind | None:
    """The kind of an API document, or None when ``value`` is not one."""
    if not isinstance(value, dict):
        return None
    for key, kind in _LISTS.items():  # tickets before users: users may be a sideload
        if isinstance(value.get(key), list):
            return kind
    return None


def _record_kind(value: Any) -> Kind | Literal["audit", "ticket_event"] | None:
    """The kind of one record on a line of its own."""
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("events"), list) and "ticket_id" in value:
        return "audit"
    if isinstance(value.get("child_events"), list):
        return "ticket_event"
    if "role" in value and "requester_id" not in value and "via" not in value:
        return "users"
    return "tickets"


@dataclass
class ZendeskFile:
    """A Zendesk file: its layout, the kind of its records, and its records in chunks."""

    path: Path
    layout: Layout = "lines"
    kind: Kind = "tickets"
    #: a line holding one audit or one ticket event (read as a one-record page)
    wrap: str | None = None
    total_rows: int | None = None
    _requesters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path) -> ZendeskFile:
        """Look at the start of ``path`` to tell its layout and kind."""
        with path.open("rb") as fh:
            first = fh.readline(1 << 24)
            while first and not first.strip():
                first = fh.readline(1 << 24)
            sample = first + fh.read(_SAMPLE)
        try:
            value = json.loads(first)
        except ValueError:
            value = None
            # a pretty-printed document starts with a line "{"; a broken first record does not
            if first.strip() == b"{" or (
                sample.lstrip().startswith(b"{")
                and any(f'"{k}"'.encode() in sample for k in _LISTS)
            ):
                return cls(path, "document", _sniff_kind(sample))
            for line in sample.splitlines()[1:]:
                try:
                    value = json.loads(line)
                    break
                except ValueError:
                    continue
        page = _page_kind(value)
        if page is not None:
            return cls(path, "pages", page)
        record = _record_kind(value)
        if record in ("audit", "ticket_event"):
            return cls(path, "pages", "comments", wrap=record)
        return cls(path, "lines", "users" if record == "users" else "tickets")

    # -- chunks -------------------------------------------------------------------------------
    def chunks(self, batch_rows: int, resume: Resume) -> Iterator[Chunk]:
        """Chunks of ``{_row, _line}``: one record of the file's kind per row."""
        if self.layout == "lines":
            return line_chunks(self.path, batch_rows, resume)
        return self._record_chunks(batch_rows, resume)

    def _record_chunks(self, batch_rows: int, resume: Resume) -> Iterator[Chunk]:
        pending: list[str] = []
        n = 0
        for record in self._records():
            n += 1
            if n <= resume.last_row:
                continue
            pending.append(record)
            if len(pending) >= batch_rows:
                yield _chunk(pending, n)
                pending = []
        self.total_rows = n
        if pending:
            yield _chunk(pending, n)

    def _records(self) -> Iterator[str]:
        for page in self._pages():
            yield from self._page_records(page)

    def _pages(self) -> Iterator[dict[str, Any]]:
        if self.layout == "document":
            try:
                doc = json.loads(self.path.read_bytes())
            except ValueError as exc:
                raise IngestError(
                    f"{self.path.name} is not valid JSON ({exc}); Zendesk files are one record "
                    "per line, one API response document, or one such document per line"
                ) from exc
            if _page_kind(doc) is None:
                raise IngestError(
                    f"{self.path.name}: the document has none of the lists "
                    f"{', '.join(_LISTS)}; it is not a Zendesk API response"
                )
            yield doc
            return
        with self.path.open("rb") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except ValueError as exc:
                    raise IngestError(
                        f"{self.path.name} line {number} is not valid JSON ({exc}); in a file "
                        "of API pages every line must be one whole page. Pages ingested before "
                        "it are kept"
                    ) from exc
                if self.wrap == "audit":
                    value = {"audits": [value]}
                elif self.wrap == "ticket_event":
                    value = {"ticket_events": [value]}
                if _page_kind(value) != self.kind:
                    raise IngestError(
                        f"{self.path.name} line {number}: expected a page of {self.kind} like "
                        "the first line, found something else"
                    )
                yield value

    def _page_records(self, page: dict[str, Any]) -> Iterator[str]:
        users = {str(u.get("id")): u for u in page.get("users") or [] if isinstance(u, dict)}
        if self.kind == "users":
            yield from (_dump(u) for u in page["users"])
        elif self.kind == "tickets":
            for ticket in page["tickets"]:
                yield _dump(_with_users(ticket, users) if users else ticket)
        elif "audits" in page:
            yield from self._audit_comments(page["audits"], users)
        else:
            yield from self._event_comments(page["ticket_events"], users)

    def _audit_comments(self, audits: list[Any], users: dict[str, Any]) -> Iterator[str]:
        audits = [a for a in audits if isinstance(a, dict)]
        for audit in audits:
            for ev in _list(audit.get("events")):
                if ev.get("field_name") == "requester_id" and ev.get("value") is not None:
                    self._requesters[str(audit.get("ticket_id"))] = str(ev["value"])
        for audit in audits:
            ticket = str(audit.get("ticket_id"))
            for ev in _list(audit.get("events")):
                if ev.get("type") not in ("Comment", "VoiceComment"):
                    continue
                author = ev.get("author_id", audit.get("author_id"))
                via = ev.get("via") or audit.get("via")
                yield self._comment(ticket, audit, ev, author, via, users)

    def _event_comments(self, events: list[Any], users: dict[str, Any]) -> Iterator[str]:
        events = [e for e in events if isinstance(e, dict)]
        for event in events:
            for child in _list(event.get("child_events")):
                if child.get("field_name") == "requester_id" and child.get("value") is not None:
                    self._requesters[str(event.get("ticket_id"))] = str(child["value"])
        for event in events:
            ticket = str(event.get("ticket_id"))
            via = event.get("via")
            channel = via.get("channel") if isinstance(via, dict) else via
            if isinstance(channel, str):  # ticket events name the channel "Web form", "Rule"
                channel = channel.strip().lower().replace(" ", "_")
            for child in _list(event.get("child_events")):
                if (child.get("event_type") or child.get("type")) not in ("Comment",):
                    continue
                author = child.get("author_id", event.get("updater_id"))
                yield self._comment(ticket, event, child, author, {"channel": channel}, users)

    def _comment(
        self,
        ticket: str,
        parent: dict[str, Any],
        comment: dict[str, Any],
        author: Any,
        via: Any,
        users: dict[str, Any],
    ) -> str:
        """One comment line from an audit's or a ticket event's comment (``comment``) and the
        audit or event it belongs to (``parent``)."""
        return _dump(
            {
                "id": comment.get("id"),
                "ticket_id": parent.get("ticket_id"),
                "created_at": comment.get("created_at") or parent.get("created_at"),
                "author_id": author,
                "public": comment.get("public"),
                "body": comment.get("plain_body") or comment.get("body"),
                "via": via,
                "requester_id": self._requesters.get(ticket),
                "author_role": _role(users, author),
            }
        )


def _sniff_kind(sample: bytes) -> Kind:
    """The kind of a pretty-printed document, from the first list key in its first bytes."""
    found = {k: sample.find(f'"{k}"'.encode()) for k in _LISTS}
    if found["tickets"] >= 0:
        return "tickets"
    present = {k: i for k, i in found.items() if i >= 0}
    return _LISTS[min(present, key=present.__getitem__)] if present else "tickets"


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _role(users: dict[str, Any], author: Any) -> str | None:
    """A sideloaded user's role (``end-user``, ``agent``, ``admin``), if the page has it."""
    user = users.get(str(author))
    return user.get("role") if user else None


def _with_users(ticket: Any, users: dict[str, Any]) -> Any:
    """``ticket`` with its requester's sideloaded user record and its comments' author roles."""
    if not isinstance(ticket, dict):
        return ticket
    out = dict(ticket)
    user = users.get(str(ticket.get("requester_id")))
    if user is not None:
        given = ticket.get("requester")
        out["requester"] = {**user, **(given if isinstance(given, dict) else {})}
    if isinstance(ticket.get("comments"), list):
        out["comments"] = [
            {**c, "author_role": _role(users, c.get("author_id"))} if isinstance(c, dict) else c
            for c in ticket["comments"]
        ]
    return out


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _chunk(records: list[str], last: int) -> Chunk:
    first = last - len(records) + 1
    rows = np.arange(first, last + 1, dtype=np.int64)
    data = pa.table({"_row": pa.array(rows), "_line": pa.array(records, pa.string())})
    return Chunk(split_for_threads(data), last)
