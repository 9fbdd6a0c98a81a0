"""Brand mentions from social-listening exports: handles hashed, handles in text redacted, ids
made where the export has none, bad rows quarantined with their row number."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kizuki.ingest import ingest_files
from kizuki.ingest.email_hash import email_hash, prepare_email_hash
from kizuki.store import Store

Query = Callable[[Store, str], list[tuple[Any, ...]]]


def _brandwatch_like(path: Path) -> Path:
    path.write_text(
        "Date,Page Type,Author,Full Text,Url,Sentiment\n"
        '2026-11-02 09:05,twitter,@Taro_Y,"@acme_support the app keeps crashing, '
        'mail me at taro@example.com",https://x.example/1,negative\n'
        "2026-11-02 10:00,reviews,hanako,Great support team!,https://r.example/2,positive\n"
        "2026-11-02 10:00,twitter,taro_y,アプリが落ちる @someone,https://x.example/3,negative\n"
        "not a date,twitter,jiro,hello,https://x.example/4,neutral\n",
        encoding="utf-8",
    )
    return path


def test_social_listening_export_hashes_authors_and_redacts_handles(
    store: Store, tmp_path: Path, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KIZUKI_HASH_KEY", raising=False)
    f = _brandwatch_like(tmp_path / "export.csv")
    (r,) = ingest_files(store, "csv", [f], table="mentions", mapping="social-listening-mentions")
    assert (r.rows_loaded, r.rows_quarantined) == (3, 1)
    assert "Sentiment" in r.ignored_columns and "Author" not in r.ignored_columns
    rows = query(store, "SELECT source, author_hash, text, url FROM mentions ORDER BY url")
    assert [row[0] for row in rows] == ["review_site", "x", "x"]
    assert rows[1][2] == "<HANDLE> the app keeps crashing, mail me at <EMAIL>"
    assert rows[2][2] == "アプリが落ちる <HANDLE>"
    key = prepare_email_hash(store.duckdb)
    # "@Taro_Y" and "taro_y" are one author, stored only as the keyed hash
    assert rows[1][1] == rows[2][1] == email_hash("taro_y", key)
    assert rows[0][1] == email_hash("hanako", key)
    stored = json.dumps(
        query(store, "SELECT mention_id, source, author_hash, text, url FROM mentions")
    )
    assert "Taro_Y" not in stored and "taro_y" not in stored and "hanako" not in stored
    (bad,) = query(store, "SELECT source_row, raw, reason FROM quarantine")
    assert bad[0] == 5 and "jiro" in bad[1] and "ts" in bad[2]


def test_generated_mention_ids_are_stable_so_a_reexport_is_not_double_counted(
    store: Store, tmp_path: Path, query: Query
) -> None:
    f = _brandwatch_like(tmp_path / "export.csv")
    ingest_files(store, "csv", [f], table="mentions", mapping="social-listening-mentions")
    again = tmp_path / "export_again.csv"
    lines = f.read_text(encoding="utf-8").splitlines()
    again.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n", encoding="utf-8")
    (r,) = ingest_files(
        store, "csv", [again], table="mentions", mapping="social-listening-mentions"
    )
    assert r.rows_loaded == 0 and r.rows_duplicate == 3
    ids = query(store, "SELECT mention_id FROM mentions")
    assert len(ids) == 3 and all(str(i[0]).startswith("h:") for i in ids)


def test_japanese_listening_csv_in_shift_jis(store: Store, tmp_path: Path, query: Query) -> None:
    f = tmp_path / "mentions.csv"
    f.write_bytes(
        (
            "投稿日時,メディア,アカウント名,本文,URL\r\n"
            "2026/11/02 9:05,ツイッター,@yamada,ログインできない、最悪 @acme,https://x.example/9\r\n"
        ).encode("cp932")
    )
    (r,) = ingest_files(
        store,
        "csv",
        [f],
        table="mentions",
        mapping="ja-social-listening-mentions",
        timezone="Asia/Tokyo",
    )
    assert r.rows_loaded == 1
    ((source, ts, text, author),) = query(
        store,
        "SELECT source, epoch(ts), text, author_hash FROM mentions",
    )
    assert (source, ts, text) == ("x", 1793577900.0, "ログインできない、最悪 <HANDLE>")  # 00:05 UTC
    assert author is not None and "yamada" not in author
