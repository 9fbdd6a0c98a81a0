"""Zendesk tickets (NDJSON and a {"tickets": [...]} document) → contacts + CSAT surveys.

Issue 18 changed two expectations here: a ticket whose via.channel Kizuki does not know is
loaded as channel ``other`` (it used to be quarantined), and a requester without
``external_id`` leaves ``customer_id`` empty (it used to be the Zendesk requester id, which is
now in ``requester_id``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kizuki.ingest import ingest_files
from kizuki.store import Store

Query = Callable[[Store, str], list[tuple[Any, ...]]]

TICKETS: list[dict[str, Any]] = [
    {
        "id": 101,
        "created_at": "2026-11-22T00:05:00Z",
        "via": {"channel": "web"},
        "status": "solved",
        "subject": "ログインできない",
        "description": "taro@example.com から連絡しています",
        "requester_id": 555,
        "requester": {"external_id": "cust-1"},
        "assignee_id": 9,
        "tags": ["vip", "intent_login"],
        "metric_set": {
            "reply_time_in_minutes": {"calendar": 30},
            "solved_at": "2026-11-22T03:00:00Z",
        },
        "satisfaction_rating": {"id": 77, "score": "good", "comment": "助かりました 03-1234-5678"},
        "comments": [
            {
                "id": 1,
                "author_id": 555,
                "public": True,
                "body": "hi",
                "created_at": "2026-11-22T00:05:00Z",
            }
        ],
    },
    {
        "id": 102,
        "created_at": "2026-11-22T01:00:00Z",
        "via": {"channel": "carrier_pigeon"},
        "requester_id": 556,
    },
    {
        "id": 103,
        "created_at": "2026-11-22T02:00:00Z",
        "via": {"channel": "voice"},
        "status": "open",
        "requester_id": 557,
        "satisfaction_rating": {"score": "offered"},
    },
    {
        "id": 104,
        "created_at": "2026-11-22T02:00:00Z",
        "via": {"channel": "native_messaging"},
        "requester_id": 558,
        "satisfaction_rating": {"id": 78, "score": "bad", "comment": None},
    },
]
CONTACTS = [
    (
        "101",
        "cust-1",
        "form",
        "2026-11-22 00:05:00+00",
        "2026-11-22 00:35:00+00",
        "2026-11-22 03:00:00+00",
        "solved",
        "ログインできない",
        "<EMAIL> から連絡しています",
        "login",
        "9",
    ),
    ("102", None, "other", "2026-11-22 01:00:00+00", None, None, None, None, None, None, None),
    ("103", None, "phone", "2026-11-22 02:00:00+00", None, None, "open", None, None, None, None),
    ("104", None, "chat", "2026-11-22 02:00:00+00", None, None, None, None, None, None, None),
]
SURVEYS = [
    ("zd-csat-77", "cust-1", "2026-11-22 03:00:00+00", "csat", 5.0, "助かりました <PHONE>", "101"),
    ("zd-csat-78", None, "2026-11-22 02:00:00+00", "csat", 1.0, None, "104"),
]
RAW = [
    ("101", "web", "555", '["vip","intent_login"]'),
    ("102", "carrier_pigeon", "556", None),
    ("103", "voice", "557", None),
    ("104", "native_messaging", "558", None),
]


def _tables(store: Store, query: Query) -> tuple[list[Any], list[Any]]:
    contacts = query(
        store,
        "SELECT contact_id, customer_id, channel, opened_at::VARCHAR, first_response_at::VARCHAR, "
        "resolved_at::VARCHAR, status, subject, text, intent, agent_id FROM contacts ORDER BY 1",
    )
    surveys = query(
        store,
        "SELECT response_id, customer_id, ts::VARCHAR, kind, score, comment, contact_id "
        "FROM surveys ORDER BY 1",
    )
    return contacts, surveys


def test_zendesk_ndjson(store: Store, tmp_path: Path, query: Query) -> None:
    lines = [json.dumps(t, ensure_ascii=False) for t in TICKETS]
    lines.insert(2, "{truncated")
    lines.append(json.dumps(TICKETS[0], ensure_ascii=False))  # the same ticket again
    f = tmp_path / "tickets.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (r,) = ingest_files(store, "zendesk", [f])
    assert (r.rows_in, r.rows_loaded, r.rows_duplicate, r.rows_quarantined) == (6, 4, 1, 1)
    assert r.derived == {"surveys": 2, "comments": 1, "identities": 1}
    assert _tables(store, query) == (CONTACTS, SURVEYS)
    assert query(store, "SELECT source_row, reason FROM quarantine ORDER BY 1") == [
        (3, "line is not valid JSON"),
    ]
    raw = "SELECT contact_id, channel_raw, requester_id, tags FROM contacts ORDER BY 1"
    assert query(store, raw) == RAW


@pytest.mark.parametrize("indent", [None, 2], ids=["one-line", "pretty"])
def test_zendesk_tickets_document(
    store: Store, tmp_path: Path, query: Query, indent: int | None
) -> None:
    f = tmp_path / "page.json"
    doc = {"tickets": TICKETS, "next_page": None, "end_of_stream": True}
    f.write_text(json.dumps(doc, ensure_ascii=False, indent=indent), encoding="utf-8")
    (r,) = ingest_files(store, "zendesk", [f], batch_rows=2)
    assert (r.rows_in, r.rows_loaded, r.rows_duplicate, r.rows_quarantined) == (4, 4, 0, 0)
    assert _tables(store, query) == (CONTACTS, SURVEYS)
    assert query(store, "SELECT count(*) FROM quarantine") == [(0,)]
