"""Linking Zendesk requesters to customers: the keyed e-mail hash, customers' ``email`` column,
and the shipped Fivetran mappings (with value mapping of ``via_channel``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import yaml

from kizuki.errors import IngestError
from kizuki.ingest import ingest_files
from kizuki.ingest.email_hash import (
    KEY_TABLE,
    email_hash,
    email_hash_sql,
    normalise_email,
    prepare_email_hash,
)
from kizuki.ingest.tabular import MAPPINGS_DIR, load_mapping, shipped_mappings
from kizuki.ingest.zendesk import CHANNELS
from kizuki.store import Store, open_store

Query = Callable[[Store, str], list[tuple[Any, ...]]]


@pytest.mark.parametrize(
    ("address", "normal"),
    [
        (" Taro@Example.COM ", "taro@example.com"),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "taro@example.com"),  # full width
        ("\u3000hanako@example.jp\t", "hanako@example.jp"),  # ideographic space
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalise_email(address: str | None, normal: str | None) -> None:
    assert normalise_email(address) == normal


def test_sql_hash_matches_python_hash() -> None:
    con = duckdb.connect()
    key = b"secret"
    prepare_email_hash(con, "secret")
    values = [
        "Taro@Example.com",
        "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ",
        " x@y.jp ",
        "",
        None,
        "山田@例え.jp",
    ]
    emails = pa.table({"e": pa.array(values, pa.string())})  # noqa: F841 - read by DuckDB
    got = [r[0] for r in con.execute(f"SELECT {email_hash_sql('e', key)} FROM emails").fetchall()]
    assert got == [email_hash(v, key) for v in values]
    assert got[0] == got[1] and len(got[0]) == 32
    import hashlib
    import hmac

    assert got[0] == hmac.new(key, b"taro@example.com", hashlib.sha256).hexdigest()[:32]


def test_store_key_is_random_kept_and_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIZUKI_HASH_KEY", raising=False)
    a, b = duckdb.connect(), duckdb.connect()
    key_a = prepare_email_hash(a)
    assert prepare_email_hash(a) == key_a  # kept
    assert prepare_email_hash(b) != key_a  # per store
    assert a.execute(f"SELECT count(*) FROM {KEY_TABLE}").fetchone() == (1,)
    monkeypatch.setenv("KIZUKI_HASH_KEY", "shared")
    assert prepare_email_hash(a) == prepare_email_hash(b) == b"shared"


def test_customers_email_column_is_hashed_like_zendesk_requesters(
    store: Store, tmp_path: Path, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KIZUKI_HASH_KEY", raising=False)
    customers = tmp_path / "customers.csv"
    customers.write_text(
        "customer_id,created_at,email,plan\n"
        "c1,2026-01-01,Taro@Example.com,pro\n"
        "c2,2026-01-02,,free\n"
        "c3,2026-01-03,ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ,free\n",
        encoding="utf-8",
    )
    (r,) = ingest_files(store, "csv", [customers])
    assert r.rows_loaded == 3 and r.ignored_columns == ()
    tickets = tmp_path / "tickets.jsonl"
    ticket = {
        "id": 1,
        "created_at": "2026-11-22T00:00:00Z",
        "via": {"channel": "email"},
        "requester_id": 77,
        "requester": {"id": 77, "email": "taro@example.com "},
    }
    tickets.write_text(json.dumps(ticket) + "\n", encoding="utf-8")
    ingest_files(store, "zendesk", [tickets])
    linked = query(
        store,
        "SELECT c.customer_id FROM contacts t JOIN customers c "
        "ON c.email_hash = t.requester_email_hash",
    )
    assert linked == [("c1",)]
    assert query(store, "SELECT customer_id, email_hash IS NULL FROM customers ORDER BY 1") == [
        ("c1", False),
        ("c2", True),
        ("c3", False),
    ]
    text = query(store, "SELECT CAST(c AS VARCHAR) FROM customers c")
    assert not any("example" in row[0].lower() for row in text)


def test_the_key_makes_hashes_differ_between_stores(tmp_path: Path, query: Query) -> None:
    f = tmp_path / "customers.csv"
    f.write_text("customer_id,created_at,email\nc1,2026-01-01,taro@example.com\n")
    hashes = []
    for name in ("a", "b"):
        store = open_store(f"duckdb:///{tmp_path / name}.duckdb")
        ingest_files(store, "csv", [f])
        hashes += query(store, "SELECT email_hash FROM customers")
        store.close()
    assert hashes[0] != hashes[1]


def test_shipped_mappings_are_listed_and_loaded() -> None:
    assert shipped_mappings() == [
        "fivetran-zendesk-ticket",
        "fivetran-zendesk-ticket-comment",
        "fivetran-zendesk-user",
        "ja-helpdesk-tickets",
        "ja-social-listening-mentions",
        "ja-web-events",
        "social-listening-mentions",
    ]
    assert load_mapping("fivetran-zendesk-ticket")["contact_id"] == "id"
    assert load_mapping("ja-helpdesk-tickets")["channel"]["values"]["電話"] == "phone"
    assert load_mapping("intent_field=360001234567, x=y") == {
        "intent_field": "360001234567",
        "x": "y",
    }
    with pytest.raises(IngestError, match="neither a file, a shipped mapping"):
        load_mapping("fivetran-zendesk-tickets")
    with pytest.raises(IngestError, match="must map canonical columns"):
        load_mapping({"channel": {"column": "a", "constant": "b"}})


def test_fivetran_ticket_mapping_knows_every_zendesk_channel() -> None:
    data = yaml.safe_load((MAPPINGS_DIR / "fivetran_zendesk_ticket.yaml").read_text())
    assert data["channel"]["values"] == CHANNELS


def test_fivetran_tables(
    store: Store, tmp_path: Path, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIZUKI_HASH_KEY", "k")
    ticket = tmp_path / "ticket.csv"
    ticket.write_text(
        "id,created_at,updated_at,via_channel,status,subject,description,requester_id,"
        "assignee_id,_fivetran_synced\n"
        "1,2026-11-22T00:00:00Z,2026-11-23T00:00:00Z,web,open,件名,090-1234-5678 まで,77,9,x\n"
        "2,2026-11-22T00:00:00Z,2026-11-23T00:00:00Z,Sample_Ticket,open,,,78,,x\n"
        "3,2026-11-22T00:00:00Z,2026-11-23T00:00:00Z,hologram,open,,,79,,x\n",
        encoding="utf-8",
    )
    (r,) = ingest_files(store, "csv", [ticket], table="contacts", mapping="fivetran-zendesk-ticket")
    assert (r.rows_loaded, r.ignored_columns) == (3, ("_fivetran_synced",))
    assert query(
        store,
        "SELECT contact_id, channel, channel_raw, text, requester_id FROM contacts ORDER BY 1",
    ) == [
        ("1", "form", "web", "<PHONE> まで", "77"),
        ("2", "other", "Sample_Ticket", None, "78"),
        ("3", "other", "hologram", None, "79"),
    ]
    comment = tmp_path / "ticket_comment.csv"
    comment.write_text(
        "id,ticket_id,created,body,public,user_id\n5,1,2026-11-22T00:01:00Z,taro@example.com,true,77\n",
        encoding="utf-8",
    )
    ingest_files(
        store, "csv", [comment], table="comments", mapping="fivetran-zendesk-ticket-comment"
    )
    assert query(store, "SELECT comment_id, contact_id, public, text FROM comments") == [
        ("5", "1", True, "<EMAIL>")
    ]
    user = tmp_path / "user.csv"
    user.write_text(
        "id,external_id,email,role,updated_at\n"
        "77,cust-1,Taro@Example.com,end-user,2026-11-20T00:00:00Z\n"
        "78,,,end-user,2026-11-20T00:00:00Z\n",
        encoding="utf-8",
    )
    (u,) = ingest_files(store, "csv", [user], table="identities", mapping="fivetran-zendesk-user")
    assert (u.rows_loaded, u.rows_quarantined, u.ignored_columns) == (1, 1, ("role",))
    assert query(store, "SELECT identity_id, kind, value, customer_id, email_hash, source "
                 "FROM identities") == [
        ("requester_id:77", "requester_id", "77", "cust-1", email_hash("taro@example.com", b"k"),
         "zendesk")
    ]  # fmt: skip
