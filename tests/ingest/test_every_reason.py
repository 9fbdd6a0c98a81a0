"""A quarantined row lists every problem found in it, and a file whose rows are all quarantined
makes ``kizuki ingest`` exit 1 with its first reasons (the other files are still loaded)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from kizuki.cli import app
from kizuki.ingest import ingest_files
from kizuki.ingest.inspect import inspect_files
from kizuki.store import Store, open_store

Query = Callable[[Store, str], list[tuple[Any, ...]]]

MAPPING = {"contact_id": "チケットID", "opened_at": "作成日時", "channel": "チャネル"}
#: a helpdesk export whose channels are not mapped: every row is quarantined
TICKETS = (
    "チケットID,作成日時,チャネル,件名\n"
    "t1,2026/11/31 25:00,メール,ログインできない\n"
    "t2,2026/11/02 9:05,,請求書\n"
    "t3,2026/11/02 9:10,電話,解約\n"
    ",2026/11/02 9:20,チャット,CSV の取り込み\n"
)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_a_row_with_two_problems_lists_both_in_schema_order(
    store: Store, tmp_path: Path, query: Query
) -> None:
    f = _write(tmp_path / "contacts.csv", TICKETS, "cp932")
    (r,) = ingest_files(store, "csv", [f], mapping=MAPPING, timezone="Asia/Tokyo")
    assert (r.rows_in, r.rows_quarantined) == (4, 4)
    assert query(store, "SELECT source_row, reason FROM quarantine ORDER BY 1") == [
        (
            2,
            "channel (column 'チャネル') 'メール' is not one of phone, email, chat, chatbot, "
            "form, social, other; opened_at (column '作成日時') '2026/11/31 25:00' is not a "
            "date (day 31 of 2026-11)",
        ),
        (3, "channel (column 'チャネル') is missing"),
        (
            4,
            "channel (column 'チャネル') '電話' is not one of phone, email, chat, chatbot, "
            "form, social, other",
        ),
        (
            5,
            "contact_id (column 'チケットID') is missing; channel (column 'チャネル') 'チャット' "
            "is not one of phone, email, chat, chatbot, form, social, other",
        ),
    ]
    assert r.all_quarantined
    assert r.first_reasons == tuple(
        reason for _, reason in query(store, "SELECT source_row, reason FROM quarantine ORDER BY 1")
    )


def test_table_checks_follow_the_column_checks(store: Store, tmp_path: Path, query: Query) -> None:
    f = _write(
        tmp_path / "contacts.csv",
        "contact_id,channel,opened_at,resolved_at\n"
        "t1,fax,2026-11-02T10:00:00Z,2026-11-02T09:00:00Z\n"
        "t2,email,2026-11-02T10:00:00Z,2026-11-02T11:00:00Z\n",
    )
    (r,) = ingest_files(store, "csv", [f])
    assert (r.rows_loaded, r.rows_quarantined, r.all_quarantined) == (1, 1, False)
    assert r.first_reasons == ()
    assert query(store, "SELECT reason FROM quarantine") == [
        (
            "channel 'fax' is not one of phone, email, chat, chatbot, form, social, other; "
            "resolved_at is before opened_at",
        )
    ]


def test_a_malformed_row_keeps_its_one_reason(store: Store, tmp_path: Path, query: Query) -> None:
    f = _write(
        tmp_path / "customers.csv",
        'customer_id,created_at\nc1,2026-11-02T00:00:00Z\n"c2",2026-13-01,extra\n',
    )
    (r,) = ingest_files(store, "csv", [f])
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert query(store, "SELECT reason FROM quarantine") == [("row has 3 fields, expected 2",)]


def test_a_ga4_row_lists_every_reason(
    store: Store,
    tmp_path: Path,
    query: Query,
    ga4_row: Callable[..., dict[str, Any]],
    write_ga4_parquet: Callable[..., None],
) -> None:
    f = tmp_path / "events.parquet"
    write_ga4_parquet(f, [ga4_row(12, None, None), ga4_row(1795305900000000, "page_view")])
    (r,) = ingest_files(store, "ga4", [f])
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert query(store, "SELECT reason FROM quarantine") == [
        (
            "event_timestamp 12 is not microseconds since the epoch between 2000 and 2100; "
            "user_pseudo_id is missing; event_name is missing",
        )
    ]


def test_inspect_counts_rows_by_their_full_reason(tmp_path: Path) -> None:
    f = _write(tmp_path / "contacts.csv", TICKETS)
    (i,) = inspect_files("csv", [f], mapping=MAPPING, timezone="Asia/Tokyo")
    assert (i.rows, i.rows_quarantined) == (4, 4)
    assert i.reasons["channel (column 'チャネル') is missing"] == 1
    assert sum(";" in reason for reason in i.reasons) == 2


def test_cli_exits_1_when_every_row_of_a_file_is_quarantined(tmp_path: Path) -> None:
    tickets = _write(tmp_path / "contacts.csv", TICKETS, "cp932")
    mapping = _write(tmp_path / "mapping.yaml", "".join(f"{k}: {v}\n" for k, v in MAPPING.items()))
    good = _write(
        tmp_path / "more.csv",
        "チケットID,作成日時,チャネル\nt9,2026/11/02 9:05,email\n",
    )
    url = f"duckdb://{tmp_path / 'k.duckdb'}"
    args = ["ingest", "csv", str(tickets), str(good), "--table", "contacts"]
    result = CliRunner().invoke(app, [*args, "--mapping", str(mapping), "--store", url])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "contacts.csv → contacts: 4 in, 0 loaded" in out
    assert "more.csv → contacts: 1 in, 1 loaded" in out  # the other file is still ingested
    assert "error: contacts.csv: all 4 rows were quarantined; first reasons:" in out
    assert "  - channel (column 'チャネル') is missing" in out
    assert "Traceback" not in out
    store = open_store(url)
    try:
        assert store.duckdb.execute("SELECT contact_id FROM contacts").fetchall() == [("t9",)]
    finally:
        store.close()
    # run again: the quarantined file is already ingested (skipped) and not an error again
    again = CliRunner().invoke(app, [*args, "--mapping", str(mapping), "--store", url])
    assert again.exit_code == 0, again.output


def test_first_reasons_are_distinct_and_at_most_five(store: Store, tmp_path: Path) -> None:
    rows = "".join(f"c{i},2026-13-0{1 + i % 7}\n" for i in range(20))
    f = _write(tmp_path / "customers.csv", "customer_id,created_at\n" + rows + "c1,x,y\n")
    (r,) = ingest_files(store, "csv", [f])
    assert r.rows_quarantined == 21 and r.all_quarantined
    assert r.first_reasons == tuple(
        f"created_at '2026-13-0{d}' is not a date (month 13)" for d in range(1, 6)
    )
