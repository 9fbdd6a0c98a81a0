"""Canonical files: timestamps, encodings, column mapping, quarantine reasons, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kizuki.errors import IngestError, NotFoundError, StoreError
from kizuki.ingest import IngestResult, ingest_files
from kizuki.store import Store

Query = Callable[[Store, str], list[tuple[Any, ...]]]

# 2026-11-22T00:05:00Z is epoch second 1795305900 (date -d @1795305900 -u); read with the
# time zone Asia/Tokyo (UTC+9), which times without an offset follow
GOOD_TIMESTAMPS = [
    ("2026-11-22T09:05:00+09:00", "2026-11-22 00:05:00+00"),
    ("2026-11-22T09:05:00+0900", "2026-11-22 00:05:00+00"),
    ("2026-11-22T09:05+09:00", "2026-11-22 00:05:00+00"),
    ("2026-11-22T00:05:00Z", "2026-11-22 00:05:00+00"),
    ("2026-11-22T00:05:00.123456Z", "2026-11-22 00:05:00.123456+00"),
    ("2026-11-22 09:05:00", "2026-11-22 00:05:00+00"),
    ("2026-11-22", "2026-11-21 15:00:00+00"),
    ("2026/11/22 9:05", "2026-11-22 00:05:00+00"),
    ("2026/11/22 09:05:30", "2026-11-22 00:05:30+00"),
    ("2026/11/22 9:05+00:00", "2026-11-22 09:05:00+00"),
    ("2026/1/5 0:00", "2026-01-04 15:00:00+00"),
    ("2026年11月22日 9:05", "2026-11-22 00:05:00+00"),
    ("2026年11月22日 9時5分", "2026-11-22 00:05:00+00"),
    ("2026年11月22日", "2026-11-21 15:00:00+00"),
    ("1795305900", "2026-11-22 00:05:00+00"),
    ("1795305900000", "2026-11-22 00:05:00+00"),
    ("1795305900000000", "2026-11-22 00:05:00+00"),
]
BAD_TIMESTAMPS = [
    ("2026/13/01 9:05", "created_at '2026/13/01 9:05' is not a date (month 13)"),
    ("2026-02-30", "created_at '2026-02-30' is not a date (day 30 of 2026-02)"),
    ("2026/11/22 25:00", "created_at '2026/11/22 25:00' is not a time (hour 25)"),
    ("2026/11/22 9:61", "created_at '2026/11/22 9:61' is not a time (minute 61)"),
    ("yesterday", "created_at 'yesterday' is not a timestamp (expected ISO 8601"),
    ("12345", "created_at '12345' is not a timestamp"),
]


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(("text", "utc"), GOOD_TIMESTAMPS, ids=[t for t, _ in GOOD_TIMESTAMPS])
def test_timestamp_formats_become_utc(
    store: Store, tmp_path: Path, query: Query, text: str, utc: str
) -> None:
    f = _csv(tmp_path / "customers.csv", f"customer_id,created_at\nc1,{text}\n")
    (r,) = ingest_files(store, "csv", [f], timezone="Asia/Tokyo")
    assert (r.rows_loaded, r.rows_quarantined) == (1, 0)
    assert query(store, "SELECT created_at::VARCHAR FROM customers") == [(utc,)]


@pytest.mark.parametrize(("text", "reason"), BAD_TIMESTAMPS, ids=[t for t, _ in BAD_TIMESTAMPS])
def test_bad_timestamps_are_quarantined_with_the_reason(
    store: Store, tmp_path: Path, query: Query, text: str, reason: str
) -> None:
    f = _csv(tmp_path / "customers.csv", f"customer_id,created_at\nc1,{text}\n")
    (r,) = ingest_files(store, "csv", [f])
    assert (r.rows_loaded, r.rows_quarantined) == (0, 1)
    ((got,),) = query(store, "SELECT reason FROM quarantine")
    assert got.startswith(reason)


def test_quarantine_rows_name_file_row_and_reason(
    store: Store, tmp_path: Path, query: Query
) -> None:
    f = _csv(
        tmp_path / "contacts.csv",
        "contact_id,customer_id,channel,opened_at,text\n"
        "t1,c1,email,2026-11-22T09:05:00+09:00,hello\n"
        "t2,c1,fax,2026-11-22T09:05:00+09:00,call 090-1234-5678\n"
        ",c2,chat,2026-11-22T09:05:00+09:00,hi\n"
        "t4,c2,chat\n"
        "t5,c3,Chat,2026/11/22 9:05,ok\n",
    )
    (r,) = ingest_files(store, "csv", [f])
    assert (r.rows_in, r.rows_loaded, r.rows_duplicate, r.rows_quarantined) == (5, 2, 0, 3)
    got = query(
        store,
        "SELECT source_row, file, source, target_table, reason, raw, batch_id FROM quarantine "
        "ORDER BY source_row",
    )
    assert [g[0] for g in got] == [3, 4, 5]  # the header is row 1
    assert {g[1:4] for g in got} == {(str(f), "csv", "contacts")}
    assert got[0][4] == (
        "channel 'fax' is not one of phone, email, chat, chatbot, form, social, other"
    )
    assert got[1][4] == "customer_id is missing" or got[1][4] == "contact_id is missing"
    assert got[2][4] == "row has 3 fields, expected 5"
    assert "090-1234-5678" not in got[0][5] and "<PHONE>" in got[0][5]  # raw is redacted
    assert all(g[6] == r.batch_id for g in got)
    # enum values are normalised to lower case, free text is redacted before it is stored
    assert query(store, "SELECT contact_id, channel FROM contacts ORDER BY 1") == [
        ("t1", "email"),
        ("t5", "chat"),
    ]


def test_shift_jis_csv_with_japanese_text_is_detected(
    store: Store, tmp_path: Path, query: Query
) -> None:
    text = (
        "contact_id,channel,opened_at,subject,text\n"
        "t1,phone,2026年11月22日 9:05,ログインできません,"
        "パスワードを忘れました。電話 03-1234-5678\n"
        "t2,メール,2026/11/22 10:00,請求書,再発行をお願いします\n"
    )
    f = _csv(tmp_path / "contacts.csv", text, "cp932")
    with pytest.raises(UnicodeDecodeError):
        f.read_bytes().decode("utf-8")
    (r,) = ingest_files(store, "csv", [f], timezone="Asia/Tokyo")
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert query(store, "SELECT subject, text, opened_at::VARCHAR FROM contacts") == [
        ("ログインできません", "パスワードを忘れました。電話 <PHONE>", "2026-11-22 00:05:00+00")
    ]
    assert query(store, "SELECT reason FROM quarantine") == [
        ("channel 'メール' is not one of phone, email, chat, chatbot, form, social, other",)
    ]


def test_utf8_with_bom_and_explicit_encoding(store: Store, tmp_path: Path, query: Query) -> None:
    f = _csv(
        tmp_path / "customers.csv",
        "customer_id,created_at,segment\nc1,2026-01-01,法人\n",
        "utf-8-sig",
    )
    assert f.read_bytes().startswith(b"\xef\xbb\xbf")
    ingest_files(store, "csv", [f], encoding="utf-8")
    assert query(store, "SELECT customer_id, segment FROM customers") == [("c1", "法人")]


def test_text_that_stops_decoding_later_is_an_error_naming_the_row(
    store: Store, tmp_path: Path
) -> None:
    head = "customer_id,created_at\n" + "".join(f"c{i},2026-01-01\n" for i in range(100_000))
    f = tmp_path / "customers.csv"
    f.write_bytes(head.encode() + "顧客,2026-01-01\n".encode("cp932"))
    with pytest.raises(IngestError, match=r"(?i)row #100002.*encoding='cp932'"):
        ingest_files(store, "csv", [f])


def test_yaml_column_mapping_and_ignored_columns(
    store: Store, tmp_path: Path, query: Query
) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "customer_id: 顧客ID\ncreated_at: 登録日\nmonthly_value: 月額\n", encoding="utf-8"
    )
    f = _csv(
        tmp_path / "kokyaku.csv",
        "顧客ID,登録日,月額,メモ\nc1,2026/04/01 9:00,1200,x\nc2,2026/04/02 9:00,-5,y\n",
    )
    (r,) = ingest_files(
        store, "csv", [f], table="customers", mapping=mapping, timezone="Asia/Tokyo"
    )
    assert r.target_table == "customers" and r.ignored_columns == ("メモ",)
    assert "ignored columns: メモ" in r.summary()
    assert query(
        store, "SELECT customer_id, created_at::VARCHAR, monthly_value FROM customers"
    ) == [("c1", "2026-04-01 00:00:00+00", 1200.0)]
    assert query(store, "SELECT source_row, reason FROM quarantine") == [
        (3, "monthly_value is negative")
    ]


def test_missing_required_columns_refuse_the_file(store: Store, tmp_path: Path) -> None:
    f = _csv(tmp_path / "customers.csv", "id,created\nc1,2026-01-01\n")
    with pytest.raises(IngestError, match=r"customer_id, created_at.*columns found: id, created"):
        ingest_files(store, "csv", [f])
    assert store.duckdb.execute("SELECT count(*) FROM ingest_log").fetchone() == (0,)


def test_unknown_table_lists_the_tables(store: Store, tmp_path: Path) -> None:
    f = _csv(tmp_path / "people.csv", "a\n1\n")
    with pytest.raises(IngestError, match=r"no canonical table 'people'.*customers"):
        ingest_files(store, "csv", [f])


def test_missing_file_and_unknown_source(store: Store, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        ingest_files(store, "csv", [tmp_path / "customers.csv"])
    with pytest.raises(IngestError, match="unknown source 'xls'"):
        ingest_files(store, "xls", [tmp_path / "customers.csv"])


def test_non_duckdb_store_is_refused(tmp_path: Path) -> None:
    spark_like = Store("spark://local[2]", con=None, backend="pyspark")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="ingest into a DuckDB store"):
        ingest_files(spark_like, "csv", [tmp_path / "customers.csv"])


def test_tsv_parquet_and_jsonl_load_the_same_rows(tmp_path: Path, query: Query) -> None:
    from kizuki.store import open_store

    rows = [
        {"response_id": "r1", "ts": "2026-11-22T09:05:00+09:00", "kind": "nps", "score": "9"},
        {"response_id": "r2", "ts": "2026/11/22 9:05", "kind": "csat", "score": "7"},
        {"response_id": "r3", "ts": "2026-11-22", "kind": "ces", "score": "x"},
        {"response_id": "r1", "ts": "2026-11-23", "kind": "nps", "score": "3"},
    ]
    tsv = tmp_path / "surveys.tsv"
    tsv.write_text(
        "response_id\tts\tkind\tscore\n" + "".join("\t".join(r.values()) + "\n" for r in rows),
        encoding="utf-8",
    )
    parquet = tmp_path / "surveys.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    jsonl = tmp_path / "surveys.jsonl"
    jsonl.write_text(
        "\n".join(json.dumps(r) for r in rows[:2])
        + "\n{not json\n\n"
        + "\n".join(json.dumps(r) for r in rows[2:])
        + "\n",
        encoding="utf-8",
    )
    expected_loaded = [("r1", "2026-11-22 00:05:00+00", "nps", 9.0)]
    for source, f, quarantined in (("tsv", tsv, 2), ("parquet", parquet, 2), ("jsonl", jsonl, 3)):
        s = open_store("duckdb://")
        (r,) = ingest_files(s, source, [f])
        assert isinstance(r, IngestResult)
        assert (r.rows_loaded, r.rows_duplicate, r.rows_quarantined) == (1, 1, quarantined), source
        assert (
            query(s, "SELECT response_id, ts::VARCHAR, kind, score FROM surveys") == expected_loaded
        )
        reasons = [x for (x,) in query(s, "SELECT reason FROM quarantine ORDER BY source_row")]
        assert "score is outside its scale (nps 0-10, csat 1-5, ces 1-7)" in reasons
        assert "score 'x' is not a number" in reasons
        if source == "jsonl":
            assert query(
                s, "SELECT source_row, raw, reason FROM quarantine WHERE reason LIKE 'line%'"
            ) == [(3, "{not json", "line is not valid JSON")]
        s.close()


def test_progress_is_reported_per_chunk(store: Store, tmp_path: Path) -> None:
    f = _csv(
        tmp_path / "customers.csv",
        "customer_id,created_at\n" + "".join(f"c{i},2026-01-01\n" for i in range(10)),
    )
    calls: list[tuple[str, float, float | None]] = []
    ingest_files(store, "csv", [f], batch_rows=4, progress=lambda *a: calls.append(a))
    assert calls == [("ingest customers.csv", n, None) for n in (0, 4, 8, 10)]


def test_jsonl_lines_that_are_not_utf8_are_quarantined(
    store: Store, tmp_path: Path, query: Query
) -> None:
    f = tmp_path / "mentions.jsonl"
    good = '{"mention_id": "m1", "ts": "2026-11-22", "text": "最高のサポート"}\n'
    bad = '{"mention_id": "m2", "ts": "2026-11-22", "text": "ひどい"}\n'.encode("cp932")
    f.write_bytes(good.encode() + bad + b"  \n" + good.replace("m1", "m3").encode())
    (r,) = ingest_files(store, "jsonl", [f])
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (3, 2, 1)  # the blank line is no row
    ((row, reason),) = query(store, "SELECT source_row, reason FROM quarantine")
    assert row == 2 and reason.startswith("line is not valid UTF-8 text")


def test_connection_settings_are_restored(store: Store, tmp_path: Path) -> None:
    con = store.duckdb
    con.execute("SET memory_limit = '3GiB'")
    con.execute("SET disabled_compression_methods = 'rle'")
    settings = (
        "SELECT current_setting('memory_limit'), current_setting('preserve_insertion_order'), "
        "current_setting('enable_progress_bar'), current_setting('disabled_compression_methods')"
    )
    before = con.execute(settings).fetchone()
    f = _csv(tmp_path / "customers.csv", "customer_id,created_at\nc1,2026-01-01\n")
    ingest_files(store, "csv", [f])
    assert con.execute(settings).fetchone() == before


def test_jsonl_blocks_are_joined_into_chunks_of_batch_rows(
    store: Store, tmp_path: Path, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kizuki.ingest import lines
    from kizuki.ingest.connector import Resume, line_chunks

    f = tmp_path / "mentions.jsonl"
    f.write_text(
        "".join(
            f'{{"mention_id": "m{i}", "ts": "2026-11-22", "text": "声 {i}"}}\n'
            if i != 13
            else "{not json\n"
            for i in range(40)
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(lines, "BLOCK_BYTES", 200)  # a few lines per block
    blocks = list(lines.iter_line_chunks(f, max_rows=15))
    chunks = list(line_chunks(f, 15, Resume()))
    sizes = [c.data.num_rows for c in chunks]
    assert len(blocks) >= 10 and len(chunks) == 3 and sum(sizes) == 40 and max(sizes) <= 15
    rows = [r for c in chunks for r in c.data.column("_row").to_pylist()]
    assert rows == list(range(1, 41)) and chunks[-1].last_row == 40
    first = chunks[0]
    resumed = list(line_chunks(f, 15, Resume(first.last_row, first.offset)))
    assert [r for c in resumed for r in c.data.column("_row").to_pylist()] == rows[sizes[0] :]
    (r,) = ingest_files(store, "jsonl", [f], batch_rows=15)
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (40, 39, 1)
    assert query(store, "SELECT source_row FROM quarantine") == [(14,)]
