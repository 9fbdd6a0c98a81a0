"""Every Zendesk layout: export pages (time- and cursor-based, one or many), audits, ticket
events and users; channels, CSAT scores, deleted tickets, tags and the intent field."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kizuki.errors import IngestError
from kizuki.ingest import ingest_files
from kizuki.ingest.email_hash import email_hash
from kizuki.ingest.zendesk import CHANNELS, VIA_IDS
from kizuki.schema import CHANNELS as KIZUKI_CHANNELS
from kizuki.store import Store

Query = Callable[[Store, str], list[tuple[Any, ...]]]
KEY = "test-key"


@pytest.fixture(autouse=True)
def _hash_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIZUKI_HASH_KEY", KEY)


def _ticket(tid: int, channel: Any = "web", **kw: Any) -> dict[str, Any]:
    return {
        "id": tid,
        "created_at": "2026-11-22T00:05:00Z",
        "updated_at": "2026-11-23T00:00:00Z",
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
        "status": "open",
        "requester_id": 500 + tid,
        **kw,
    }


def _write(path: Path, value: Any, *, lines: bool = False) -> Path:
    if lines:
        text = "\n".join(json.dumps(v, ensure_ascii=False) for v in value) + "\n"
    else:
        text = json.dumps(value, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


USERS = [
    {"id": 501, "role": "end-user", "email": "Taro@Example.com", "external_id": "cust-1",
     "updated_at": "2026-11-20T00:00:00Z"},
    {"id": 502, "role": "end-user", "email": "hanako@example.jp", "external_id": None,
     "updated_at": "2026-11-21T00:00:00Z"},
    {"id": 9, "role": "agent", "email": "agent@corp.example", "external_id": None},
]  # fmt: skip


def test_time_based_page_with_users_sideload(store: Store, tmp_path: Path, query: Query) -> None:
    comments = [
        {"id": 11, "author_id": 501, "public": True, "body": "電話番号は 090-1234-5678 です",
         "created_at": "2026-11-22T00:05:00Z"},
        {"id": 12, "author_id": 9, "public": True, "body": "ご連絡ありがとうございます",
         "created_at": "2026-11-22T01:00:00Z"},
        {"id": 13, "author_id": -1, "public": False, "body": "自動返信",
         "created_at": "2026-11-22T01:01:00Z", "via": {"channel": "rule"}},
    ]  # fmt: skip
    page = {
        "tickets": [
            _ticket(1, "sample_ticket", comments=comments),
            _ticket(2, "mail", status="deleted"),
        ],
        "users": USERS,
        "next_page": "https://example.zendesk.com/api/v2/incremental/tickets.json?start_time=1",
        "count": 2,
        "end_of_stream": True,
        "end_time": 1795000000,
    }
    (r,) = ingest_files(store, "zendesk", [_write(tmp_path / "page.json", page)])
    assert (r.target_table, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("contacts", 2, 2, 0)
    assert r.derived == {"surveys": 0, "comments": 3, "identities": 2}
    taro = email_hash("taro@example.com", KEY.encode())
    hanako = email_hash("hanako@example.jp", KEY.encode())
    assert query(
        store,
        "SELECT contact_id, customer_id, channel, channel_raw, status, requester_id, "
        "requester_email_hash, updated_at::VARCHAR FROM contacts ORDER BY 1",
    ) == [
        ("1", "cust-1", "other", "sample_ticket", "open", "501", taro, "2026-11-23 00:00:00+00"),
        ("2", None, "email", "mail", "deleted", "502", hanako, "2026-11-23 00:00:00+00"),
    ]
    assert query(
        store, "SELECT * EXCLUDE (batch_id) REPLACE (ts::VARCHAR AS ts) FROM comments ORDER BY 1"
    ) == [
        ("11", "1", "2026-11-22 00:05:00+00", "501", "customer", True, "電話番号は <PHONE> です"),
        ("12", "1", "2026-11-22 01:00:00+00", "9", "agent", True, "ご連絡ありがとうございます"),
        ("13", "1", "2026-11-22 01:01:00+00", "-1", "system", False, "自動返信"),
    ]
    assert query(
        store,
        "SELECT identity_id, kind, value, customer_id, email_hash, source, updated_at::VARCHAR "
        "FROM identities ORDER BY 1",
    ) == [
        ("requester_id:501", "requester_id", "501", "cust-1", taro, "zendesk",
         "2026-11-20 00:00:00+00"),
        ("requester_id:502", "requester_id", "502", None, hanako, "zendesk",
         "2026-11-21 00:00:00+00"),
    ]  # fmt: skip
    _no_email_stored(store, query)


def _no_email_stored(store: Store, query: Query) -> None:
    """No table holds an e-mail address (the raw addresses of USERS and the customers)."""
    for (table,) in query(
        store, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ):
        hits = query(
            store,
            f'SELECT count(*) FROM "{table}" t WHERE lower(CAST(t AS VARCHAR)) LIKE '
            "'%example.%' OR lower(CAST(t AS VARCHAR)) LIKE '%@corp%'",
        )
        assert hits == [(0,)], table


def test_cursor_based_pages_one_per_line(store: Store, tmp_path: Path, query: Query) -> None:
    pages = [
        {"tickets": [_ticket(1, "voice"), _ticket(2, 4)], "after_cursor": "MTU4", "before_cursor":
         None, "after_url": "https://x.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTU4",
         "end_of_stream": False},
        {"tickets": [_ticket(3, "whatsapp"), "not a ticket", _ticket(1, "voice")],
         "after_cursor": None, "before_cursor": "MTU4", "after_url": None, "end_of_stream": True},
    ]  # fmt: skip
    f = _write(tmp_path / "pages.jsonl", pages, lines=True)
    (r,) = ingest_files(store, "zendesk", [f], batch_rows=2)
    assert (r.rows_in, r.rows_loaded, r.rows_duplicate, r.rows_quarantined) == (5, 3, 1, 1)
    assert query(store, "SELECT contact_id, channel, channel_raw FROM contacts ORDER BY 1") == [
        ("1", "phone", "voice"),
        ("2", "email", "4"),
        ("3", "chat", "whatsapp"),
    ]
    # rows are numbered across pages
    assert query(store, "SELECT source_row, reason FROM quarantine") == [
        (4, "line is not a JSON object")
    ]


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("web", "form"),
        ("web_form", "form"),
        ("api", "form"),
        ("mobile_sdk", "form"),
        ("EMAIL", "email"),
        ("closed_ticket", "email"),
        ("native_messaging", "chat"),
        ("line", "chat"),
        ("answer_bot", "chatbot"),
        ("phone_call_inbound", "phone"),
        ("sms", "phone"),
        ("twitter_dm", "social"),
        ("facebook_message", "social"),
        ("sample_ticket", "other"),
        ("side_conversation", "other"),
        ("rule", "other"),
        ("teleportation", "other"),
        (34, "phone"),
        (None, "other"),
    ],
)
def test_every_via_channel_loads(
    store: Store, tmp_path: Path, query: Query, channel: Any, expected: str
) -> None:
    f = _write(tmp_path / "t.jsonl", [_ticket(1, channel)], lines=True)
    (r,) = ingest_files(store, "zendesk", [f])
    assert r.rows_loaded == 1
    raw = None if channel is None else str(channel)
    assert query(store, "SELECT channel, channel_raw FROM contacts") == [(expected, raw)]


def test_channel_tables_are_consistent() -> None:
    assert set(CHANNELS.values()) <= set(KIZUKI_CHANNELS)
    assert set(VIA_IDS.values()) <= set(CHANNELS)
    assert all(k == k.lower() for k in CHANNELS)


@pytest.mark.parametrize(
    ("score", "survey"),
    [
        ("good", 5.0),
        ("bad", 1.0),
        ("good_with_comment", 5.0),
        ("bad_with_comment", 1.0),
        ("offered", None),
        ("unoffered", None),
    ],
)
def test_satisfaction_scores(
    store: Store, tmp_path: Path, query: Query, score: str, survey: float | None
) -> None:
    rating = {
        "id": 7,
        "score": score,
        "comment": "とても丁寧",
        "updated_at": "2026-11-22T05:00:00Z",
    }
    f = _write(tmp_path / "t.jsonl", [_ticket(1, satisfaction_rating=rating)], lines=True)
    ingest_files(store, "zendesk", [f])
    expected = [] if survey is None else [("zd-csat-7", survey, "とても丁寧")]
    assert query(store, "SELECT response_id, score, comment FROM surveys") == expected


def test_intent_from_a_custom_field(store: Store, tmp_path: Path, query: Query) -> None:
    fields = [{"id": 360001234567, "value": "billing"}, {"id": 42, "value": None}]
    tickets = [
        _ticket(1, custom_fields=fields, tags=["intent_login"]),
        _ticket(2, custom_fields=[{"id": 360001234567, "value": ["refund", "x"]}]),
        _ticket(3, tags=["intent_login"]),
    ]
    f = _write(tmp_path / "t.jsonl", tickets, lines=True)
    ingest_files(store, "zendesk", [f], mapping="intent_field=360001234567")
    assert query(store, "SELECT contact_id, intent, tags FROM contacts ORDER BY 1") == [
        ("1", "billing", '["intent_login"]'),
        ("2", "refund", None),
        ("3", None, '["intent_login"]'),
    ]


@pytest.mark.parametrize(
    "mapping",
    [{"intent": "custom_fields.360001234567"}, {"intent_field": "360001234567"}],
    ids=["yaml-style", "field-id"],
)
def test_intent_mapping_forms(
    store: Store, tmp_path: Path, query: Query, mapping: dict[str, str]
) -> None:
    fields = [{"id": 360001234567, "value": "billing"}]
    f = _write(tmp_path / "t.jsonl", [_ticket(1, custom_fields=fields)], lines=True)
    ingest_files(store, "zendesk", [f], mapping=mapping)
    assert query(store, "SELECT intent FROM contacts") == [("billing",)]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"customer_id": "x"}, "takes intent_field"),
        ({"intent": "tags.intent"}, "is not custom_fields.<field id>"),
        ({"intent_field": "billing"}, "is not a Zendesk custom field id"),
    ],
)
def test_bad_zendesk_mapping(
    store: Store, tmp_path: Path, mapping: dict[str, str], message: str
) -> None:
    f = _write(tmp_path / "t.jsonl", [_ticket(1)], lines=True)
    with pytest.raises(IngestError, match=message):
        ingest_files(store, "zendesk", [f], mapping=mapping)


AUDITS = {
    "audits": [
        {"id": 1, "ticket_id": 7, "created_at": "2026-11-22T00:00:00Z", "author_id": 501,
         "via": {"channel": "web"},
         "events": [
             {"id": 71, "type": "Comment", "author_id": 501, "public": True,
              "body": "taro@example.com です", "plain_body": "taro@example.com です"},
             {"id": 72, "type": "Create", "field_name": "requester_id", "value": "501"},
             {"id": 73, "type": "Create", "field_name": "status", "value": "new"},
         ]},
        {"id": 2, "ticket_id": 7, "created_at": "2026-11-22T01:00:00Z", "author_id": 9,
         "via": {"channel": "web"},
         "events": [{"id": 74, "type": "Comment", "author_id": 9, "public": False,
                     "body": "社内メモ"}]},
        {"id": 3, "ticket_id": 7, "created_at": "2026-11-22T02:00:00Z", "author_id": -1,
         "via": {"channel": "rule", "source": {"rel": "trigger"}},
         "events": [{"id": 75, "type": "Comment", "author_id": -1, "public": True,
                     "body": "自動送信"},
                    {"id": 76, "type": "Notification", "subject": "x"}]},
        {"id": 4, "ticket_id": 8, "created_at": "2026-11-22T03:00:00Z", "author_id": 9,
         "events": [{"id": 77, "type": "Comment", "author_id": 9, "public": True, "body": "?"}]},
        {"id": 5, "ticket_id": 8, "created_at": "2026/13/01 9:05", "author_id": 9,
         "events": [{"id": 78, "type": "Comment", "author_id": 9, "public": True, "body": "!"}]},
    ],
    "next_page": None,
    "previous_page": None,
    "count": 4,
}  # fmt: skip


def test_ticket_audits_become_comments(store: Store, tmp_path: Path, query: Query) -> None:
    (r,) = ingest_files(store, "zendesk", [_write(tmp_path / "audits.json", AUDITS)])
    assert (r.target_table, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("comments", 5, 4, 1)
    assert query(
        store, "SELECT comment_id, contact_id, author_role, public, text FROM comments ORDER BY 1"
    ) == [
        ("71", "7", "customer", True, "<EMAIL> です"),
        ("74", "7", "agent", False, "社内メモ"),
        ("75", "7", "system", True, "自動送信"),
        ("77", "8", None, True, "?"),  # the requester of ticket 8 is not in the file
    ]
    ((row, reason),) = query(store, "SELECT source_row, reason FROM quarantine")
    assert row == 5 and reason.startswith("created_at '2026/13/01 9:05' is not a date")


def test_incremental_ticket_events_become_comments(
    store: Store, tmp_path: Path, query: Query
) -> None:
    events = {
        "ticket_events": [
            {"id": 1, "ticket_id": 7, "timestamp": 1795000000, "created_at": "2026-11-22T00:00:00Z",
             "updater_id": 501, "via": "Web form", "event_type": "Audit",
             "child_events": [
                 {"id": 81, "event_type": "Create", "field_name": "requester_id", "value": "501"},
                 {"id": 82, "event_type": "Comment", "author_id": 501, "public": True,
                  "body": "届きません", "html_body": "<p>届きません</p>"},
             ]},
            {"id": 2, "ticket_id": 7, "timestamp": 1795003600, "created_at": "2026-11-22T01:00:00Z",
             "updater_id": -1, "via": "Rule", "event_type": "Audit",
             "child_events": [{"id": 83, "event_type": "Comment", "author_id": -1,
                               "public": True, "body": "受け付けました"}]},
        ],
        "next_page": None,
        "count": 2,
        "end_of_stream": True,
        "end_time": 1795003600,
    }  # fmt: skip
    (r,) = ingest_files(store, "zendesk", [_write(tmp_path / "events.json", events)])
    assert (r.target_table, r.rows_in, r.rows_loaded) == ("comments", 2, 2)
    assert query(store, "SELECT comment_id, ts::VARCHAR, author_role, text FROM comments") == [
        ("82", "2026-11-22 00:00:00+00", "customer", "届きません"),
        ("83", "2026-11-22 01:00:00+00", "system", "受け付けました"),
    ]


@pytest.mark.parametrize("layout", ["document", "lines"])
def test_users_become_identities(store: Store, tmp_path: Path, query: Query, layout: str) -> None:
    users = [*USERS, {"id": 503, "role": "end-user", "email": None, "external_id": None}]
    if layout == "document":
        f = _write(tmp_path / "users.json", {"users": users, "end_of_stream": True})
    else:
        f = _write(tmp_path / "users.jsonl", users, lines=True)
    (r,) = ingest_files(store, "zendesk", [f])
    assert (r.target_table, r.rows_in, r.rows_loaded, r.rows_quarantined) == (
        "identities",
        4,
        3,
        1,
    )
    assert query(store, "SELECT identity_id, customer_id FROM identities ORDER BY 1") == [
        ("requester_id:501", "cust-1"),
        ("requester_id:502", None),
        ("requester_id:9", None),
    ]
    assert query(store, "SELECT source_row, reason FROM quarantine") == [
        (4, "user has neither external_id nor email: nothing links it to a customer")
    ]
    _no_email_stored(store, query)


def test_a_file_that_is_no_zendesk_document(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "x.json"
    f.write_text('{\n  "results": []\n}\n', encoding="utf-8")
    with pytest.raises(IngestError, match="none of the lists"):
        ingest_files(store, "zendesk", [f])


def test_pages_resume_after_the_last_committed_record(tmp_path: Path) -> None:
    from kizuki.ingest.connector import Resume
    from kizuki.ingest.zendesk_read import ZendeskFile

    pages = [{"tickets": [_ticket(1), _ticket(2)]}, {"tickets": [_ticket(3)]}]
    zf = ZendeskFile.open(_write(tmp_path / "pages.jsonl", pages, lines=True))
    assert (zf.layout, zf.kind) == ("pages", "tickets")
    chunks = list(zf.chunks(batch_rows=1, resume=Resume(last_row=2)))
    assert [c.data.column("_row").to_pylist() for c in chunks] == [[3]]  # type: ignore[union-attr]
    assert json.loads(chunks[0].data.column("_line")[0].as_py())["id"] == 3  # type: ignore[union-attr]
    assert zf.total_rows == 3
