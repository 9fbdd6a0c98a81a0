"""Quarantine reasons in the report's language: every reason ingest writes has a template,
the translation keeps the row's column names and values, and English reads as stored."""

from __future__ import annotations

import re

import pytest

from kizuki.analytics.overview import quarantine_summary
from kizuki.i18n import catalog
from kizuki.ingest import ingest_files
from kizuki.report.quarantine_reasons import translate_reason, translate_reason_part
from kizuki.schema import TABLES
from kizuki.store import Store, open_store

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
CHECK_REASONS = sorted({check.reason for tdef in TABLES.values() for check in tdef.checks})

#: Files with one broken row per kind of reason ingest gives (table, header, rows, mapping).
BROKEN = {
    "contacts": (
        "チケットID,作成日時,チャネル,初回返信",
        [
            "t1,2026/11/02 9:05,,",  # channel is missing
            "t2,2026/11/02 9:05,fax,",  # not one of
            "t3,2026/13/01 9:05,email,",  # month 13
            "t4,2026/02/30 9:05,email,",  # day 30 of 2026-02
            "t5,2026/11/02 25:05,email,",  # hour
            "t6,2026/11/02 9:65,email,",  # minute
            "t7,2026/11/02 9:05:61,email,",  # second
            "t8,2026/11/02 9:05+15:00,email,",  # offset beyond ±14:00
            "t9,昨日,email,",  # not a timestamp
            "t10,2026/11/02 9:05,email,2026/11/01 9:05",  # first response before opened
            "t11,2026/11/02",  # too few fields
            ",2026/11/02 9:05,email,",  # contact_id is missing
        ],
        {
            "contact_id": "チケットID",
            "opened_at": "作成日時",
            "channel": "チャネル",
            "first_response_at": "初回返信",
        },
    ),
    "searches": (
        "search_id,ts,customer_id,query,results_count",
        ["s1,2026-11-02T09:05:00Z,c1,請求書,abc", "s2,2026-11-02T09:05:00Z,c1,請求書,-1"],
        None,
    ),
    "customers": (
        "customer_id,created_at,monthly_value,attributes",
        ["c1,2026-01-01,lots,", "c2,2026-01-01,-5,", "c3,2026-01-01,10,{broken"],
        None,
    ),
    "comments": (
        "comment_id,contact_id,ts,public",
        ["m1,t1,2026-11-02T09:05:00Z,maybe"],
        None,
    ),
    "events": (
        "event_id,ts,event_name,page_path",
        ["e1,2026-11-02T09:05:00Z,page_view,/app"],
        None,
    ),
}


@pytest.fixture(scope="module")
def quarantined(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store that quarantined every broken row of :data:`BROKEN`."""
    folder = tmp_path_factory.mktemp("broken")
    store = open_store("duckdb://")
    for table, (header, rows, mapping) in BROKEN.items():
        path = folder / f"{table}.csv"
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        ingest_files(store, "csv", [path], table=table, mapping=mapping)
    return store


def _stored_reasons(store: Store) -> list[str]:
    reasons = store.to_arrow(store.table("quarantine").select("reason")).column("reason")
    return [str(r) for r in reasons.to_pylist()]


def _parts(reason: str) -> list[str]:
    """The single reasons of a stored reason (several are joined with "; ")."""
    return re.split(r"; (?=(?:[^']*'[^']*')*[^']*$)", reason)


def test_every_broken_row_is_quarantined(quarantined: Store) -> None:
    assert len(_stored_reasons(quarantined)) == sum(len(rows) for _, rows, _ in BROKEN.values())


def test_every_reason_ingest_writes_has_a_japanese_translation(quarantined: Store) -> None:
    untranslated = [
        part
        for reason in _stored_reasons(quarantined)
        for part in _parts(reason)
        if translate_reason_part(part, "ja") is None
    ]
    assert untranslated == []


def test_every_kind_of_reason_has_a_japanese_translation(quarantined: Store) -> None:
    kinds = [g["reason_kind"] for g in quarantine_summary(quarantined)]
    assert [k for k in kinds for p in _parts(k) if translate_reason_part(p, "ja") is None] == []


def test_english_reads_as_stored(quarantined: Store) -> None:
    for reason in _stored_reasons(quarantined):
        assert translate_reason(reason, "en") == reason


@pytest.mark.parametrize("reason", CHECK_REASONS)
def test_every_check_of_the_schema_has_a_translation(reason: str) -> None:
    ja = translate_reason_part(reason, "ja")
    assert ja is not None and JAPANESE.search(ja), reason
    assert translate_reason_part(reason, "en") == reason


@pytest.mark.parametrize(
    "reason, japanese",
    [
        (
            "channel (column 'チャネル') is missing",
            "channel（列「チャネル」） がありません",
        ),
        (
            "opened_at (column '作成日時') '2026/13/01 9:05' is not a date (month 13)",
            "opened_at（列「作成日時」） の '2026/13/01 9:05' は日付ではありません"
            "（13 月はありません）",
        ),
        ("row has 2 fields, expected 7", "行の項目が 2 個あります（7 個のはずです）"),
        ("neither customer_id nor anonymous_id is set", "customer_id も anonymous_id もありません"),
        (
            "channel 'メール' is not one of phone, email, chat",
            "channel の 'メール' は使える値（phone, email, chat）ではありません",
        ),
        (
            "opened_at '2026/02/30' is not a date (day 30 of 2026-02)",
            "opened_at の '2026/02/30' は日付ではありません（2026-02 に 30 日はありません）",
        ),
        (  # a value holding "; " and a quote stays one value
            "subject 'a; b' is not text; channel is missing",
            "subject の 'a; b' は文字列ではありません; channel がありません",
        ),
        (  # grouped by kind: values and numbers masked
            "opened_at (column '…') '…' is not a date (month N)",
            "opened_at（列「…」） の '…' は日付ではありません（N 月はありません）",
        ),
        (  # a reason without a template stays as stored
            "channel 'FAX' has no value mapping; contact_id is missing",
            "channel 'FAX' has no value mapping; contact_id がありません",
        ),
    ],
    ids=["missing", "month", "fields", "check", "enum", "day", "joined", "kind", "unknown"],
)
def test_reasons_read_in_japanese_keeping_names_and_values(reason: str, japanese: str) -> None:
    assert translate_reason(reason, "ja") == japanese
    assert translate_reason(reason, "en") == reason


def test_the_timestamp_reason_names_the_accepted_forms() -> None:
    from kizuki.ingest.timestamps import EXPECTED

    reason = f"ts (column 'timestamp') '昨日' is not a timestamp ({EXPECTED})"
    ja = translate_reason(reason, "ja")
    assert ja.startswith("ts（列「timestamp」） の '昨日' は日時として読めません")
    assert "2026/11/22 9:05" in ja


def test_reason_templates_exist_in_every_catalog() -> None:
    keys = [k for k in catalog("en") if k.startswith("reason.")]
    assert keys and all(k in catalog("ja") for k in keys)


def test_an_empty_reason_is_empty() -> None:
    assert translate_reason(None, "ja") == "" == translate_reason("", "en")
