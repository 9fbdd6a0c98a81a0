"""Readability of hand-made Japanese and English answers: ordering, flags, sane ranges, offline.

The oracle for English is textstat itself (with its CMU-dictionary lookup, which would download,
switched off); for Japanese, the order of an easy and a hard answer and jreadability's bands.
"""

from __future__ import annotations

import socket
from typing import Any

import pandas as pd
import pytest

from kizuki.analytics.readability import (
    COMPARE_COLUMNS,
    FLAG_CODES,
    READABILITY_COLUMNS,
    ReadabilityConfig,
    compare_readability,
    en_level,
    ja_level,
    score_readability,
    split_versions,
)
from kizuki.errors import ConfigError

pytest.importorskip("jreadability")
pytest.importorskip("pyphen")

JA_EASY = (
    "パスワードを忘れたときは、ログイン画面の「パスワードをお忘れの方」を押してください。"
    "メールが届きます。メールのリンクから新しいパスワードを決めてください。"
)
JA_STEPS = (
    "請求書の税率を変える手順です。\n"
    "1. 画面右上の「設定」をクリックします。\n"
    "2. 「請求書」を選択します。\n"
    "3. 税率を選んで「保存」を押してください。\n"
)
JA_NO_STEPS = (
    "画面右上の「設定」をクリックしてください。次に「請求書」を選択します。"
    "その後、税率を選んで「保存」を押してください。"
)
JA_HARD = (
    "本サービスにおける適格請求書発行事業者登録番号の設定に関しては、消費税法に規定する"
    "記載事項の充足を前提として、当該事業者の課税期間中における取引の実態及び税率区分の"
    "適用状況を勘案した上で、管理者権限を有する利用者が所定の設定画面において登録番号の"
    "入力及び検証を実施する必要があり、当該手続の完了後において発行される請求書には"
    "自動的に当該番号が記載される仕様となっております。"
)
EN_EASY = (
    "Forgot your password? Use the link on the login page. We send you a mail. Pick a new one."
)
EN_STEPS = (
    "To export your invoices:\n"
    "1. Go to Reports.\n"
    "2. Click Export.\n"
    "3. Then choose CSV and press Save.\n"
)
EN_NO_STEPS = (
    "Go to Reports and click Export. Then choose CSV in the list. "
    "Finally press Save to get the file."
)
EN_HARD = (
    "Notwithstanding the aforementioned considerations, administrative configuration of "
    "organizational authentication infrastructure necessitates comprehensive evaluation of "
    "interoperability requirements, particularly regarding federated identity providers, "
    "institutional compliance obligations and contractual confidentiality stipulations."
)


def frame(*rows: tuple[str, str | None, Any]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"content_id": cid, "language": lang, "body": body} for cid, lang, body in rows]
    )


def scored(*rows: tuple[str, str | None, Any], **config: Any) -> dict[str, dict[str, Any]]:
    out = score_readability(frame(*rows), ReadabilityConfig(**config))
    assert tuple(out.columns) == READABILITY_COLUMNS
    return {r["content_id"]: r for r in out.to_dict("records")}


def flags(row: dict[str, Any]) -> set[str]:
    return set(row["flags"].split(";")) - {""}


def test_japanese_easy_answer_scores_easier_than_hard_one() -> None:
    r = scored(("easy", "ja", JA_EASY), ("hard", "ja", JA_HARD))
    easy, hard = r["easy"], r["hard"]
    assert easy["score_kind"] == hard["score_kind"] == "jreadability"
    assert easy["score"] > hard["score"] + 3  # jreadability: higher is easier
    assert easy["level"] in ("upper_elementary", "lower_elementary")
    assert hard["level"] == "upper_advanced"
    assert easy["sentences"] == 3 and hard["sentences"] == 1
    assert 15 < easy["mean_sentence_chars"] < 40
    assert hard["mean_sentence_chars"] == hard["characters"] > 150
    assert 0.05 < easy["kanji_ratio"] < 0.35 < 0.5 < hard["kanji_ratio"] < 0.8
    assert flags(easy) == set()
    assert flags(hard) == {"too_hard", "long_sentences", "kanji_heavy"}
    assert "jreadability" in hard["flag_details"]


def test_english_easy_answer_scores_easier_than_hard_one() -> None:
    r = scored(("easy", "en", EN_EASY), ("hard", "en-US", EN_HARD))
    easy, hard = r["easy"], r["hard"]
    assert easy["language"] == hard["language"] == "en"
    assert easy["score_kind"] == "flesch_reading_ease"
    assert easy["score"] > 80 > 0 > hard["score"]
    assert easy["grade"] < 4 < 16 < hard["grade"]
    assert easy["level"] in ("easy", "very_easy") and hard["level"] == "very_difficult"
    assert (easy["sentences"], easy["words"]) == (4, 19)  # 3 + 7 + 5 + 4
    assert flags(easy) == set()
    assert flags(hard) == {"too_hard", "long_sentences"}  # one sentence of 29 words


def test_flesch_matches_textstat_without_its_downloaded_dictionary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("textstat")
    import textstat
    from textstat.backend.counts import _count_syllables

    # textstat would fetch the CMU dictionary with nltk.download; without it, it counts
    # syllables with pyphen, as we do. Sentences of 3+ words: textstat ignores shorter ones.
    monkeypatch.setattr(_count_syllables, "get_cmudict", lambda lang: None)
    text = (
        "Open the settings page on your computer. Choose the billing tab and press save. "
        "Your new plan starts on the first day of next month."
    )
    (row,) = scored(("a", "en", text)).values()
    assert row["score"] == pytest.approx(textstat.flesch_reading_ease(text), abs=1e-9)
    assert row["grade"] == pytest.approx(textstat.flesch_kincaid_grade(text), abs=1e-9)


@pytest.mark.parametrize(
    ("lang", "with_steps", "without_steps"),
    [("ja", JA_STEPS, JA_NO_STEPS), ("en", EN_STEPS, EN_NO_STEPS)],
    ids=["ja", "en"],
)
def test_a_procedure_without_numbered_steps_is_flagged(
    lang: str, with_steps: str, without_steps: str
) -> None:
    r = scored(("steps", lang, with_steps), ("prose", lang, without_steps))
    assert r["steps"]["list_items"] == 3 and r["steps"]["has_steps"]
    assert "lacks_steps" not in flags(r["steps"])
    assert r["prose"]["instruction_sentences"] == 3
    assert r["prose"]["list_items"] == 0
    assert "lacks_steps" in flags(r["prose"])


@pytest.mark.parametrize(
    "body",
    [
        "設定方法\n・「設定」をクリックします\n・「請求書」を選択します\n・次に「保存」を押します",
        "①「設定」をクリック②「請求書」を選択③次に「保存」を押してください。",
        "手順1：「設定」をクリックします。\n手順2：「請求書」を選択します。\n次に保存を押します。",
        "<p>Export</p><ol><li>Go to Reports.</li><li>Click Export.</li>"
        "<li>Then press Save.</li></ol>",
        "- Go to Reports\n- Click Export\n- Then press Save",
    ],
    ids=["nakaguro", "circled-inline", "tejun", "html-list", "dashes"],
)
def test_bullets_circled_numbers_and_html_lists_count_as_steps(body: str) -> None:
    (row,) = scored(("a", None, body)).values()
    assert row["list_items"] >= 2
    assert "lacks_steps" not in flags(row)


@pytest.mark.parametrize(
    ("body", "instructions"),
    [
        ("Receipts are sent by mail on the first day of the month.", 0),
        ("Open Settings. Then click Save.", 2),  # two instructions are no procedure yet
        ("「設定」を開いてください。次に「保存」を押してください。", 2),
    ],
    ids=["statement", "two-steps-en", "two-steps-ja"],
)
def test_a_short_answer_is_not_flagged_for_steps(body: str, instructions: int) -> None:
    (row,) = scored(("a", None, body)).values()
    assert row["instruction_sentences"] == instructions
    assert flags(row) == set()


def test_too_long_uses_characters_for_japanese_and_words_for_english() -> None:
    r = scored(
        ("ja", "ja", JA_EASY * 10), ("en", "en", EN_EASY * 10), max_chars_ja=500, max_words_en=150
    )
    assert r["ja"]["characters"] > 500 and "too_long" in flags(r["ja"])
    assert r["en"]["words"] == 190 and "too_long" in flags(r["en"])
    relaxed = scored(("ja", "ja", JA_EASY * 10), max_chars_ja=5000)
    assert "too_long" not in flags(relaxed["ja"])


@pytest.mark.parametrize(
    "body", ["", None, "  \n ", "。。"], ids=["empty", "null", "blank", "dots"]
)
def test_an_empty_body_is_flagged_and_not_scored(body: Any) -> None:
    (row,) = scored(("a", "ja", body)).values()
    assert row["flags"] == "empty"
    assert row["sentences"] == 0 and row["words"] == 0
    assert pd.isna(row["score"]) and row["level"] is None


def test_language_is_detected_when_missing_and_mixed_text_follows_the_majority() -> None:
    r = scored(
        ("mixed-ja", None, "アプリで login できない場合は、Settings から Reset を選んでください。"),
        ("mixed-en", None, "Open Settings and choose 請求書 (invoice), then press Save."),
    )
    assert r["mixed-ja"]["language"] == "ja" and r["mixed-ja"]["score_kind"] == "jreadability"
    assert r["mixed-ja"]["declared_language"] is None
    assert r["mixed-en"]["language"] == "en"
    assert r["mixed-en"]["score_kind"] == "flesch_reading_ease"
    assert "language_mismatch" not in flags(r["mixed-ja"]) | flags(r["mixed-en"])


def test_a_body_in_another_language_than_declared_is_scored_as_written_and_flagged() -> None:
    (row,) = scored(("a", "ja", EN_EASY)).values()  # an untranslated article
    assert row["declared_language"] == "ja"
    assert row["language"] == "en" and row["score_kind"] == "flesch_reading_ease"
    assert "language_mismatch" in flags(row)


def test_a_language_without_a_formula_gets_counts_only() -> None:
    (row,) = scored(("a", "fr", "Cliquez sur Paramètres. Choisissez la facture.")).values()
    assert row["language"] == "fr"
    assert row["sentences"] == 2 and row["words"] == 6
    assert pd.isna(row["score"])
    assert flags(row) == {"unscored_language"}


def test_flags_are_known_codes_in_a_fixed_order() -> None:
    (row,) = scored(("a", "ja", JA_HARD + JA_NO_STEPS), max_chars_ja=100).values()
    codes = row["flags"].split(";")
    assert set(codes) <= set(FLAG_CODES)
    assert codes == sorted(codes, key=FLAG_CODES.index)
    assert codes[:2] == ["too_long", "too_hard"]


def test_levels_follow_the_published_bands() -> None:
    assert [ja_level(s) for s in (0.4, 1.5, 3.0, 4.49, 6.0, 9.0)] == [
        "upper_advanced",
        "lower_advanced",
        "upper_intermediate",
        "lower_intermediate",
        "lower_elementary",
        "lower_elementary",
    ]
    assert [en_level(s) for s in (-5, 45, 65, 95)] == [
        "very_difficult",
        "difficult",
        "standard",
        "very_easy",
    ]
    assert ja_level(float("nan")) is None


def test_scoring_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("readability tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    r = scored(("ja", "ja", JA_STEPS + "ネットワークなし。"), ("en", "en", EN_STEPS + " Offline."))
    assert r["ja"]["score_kind"] == "jreadability"
    assert r["en"]["score_kind"] == "flesch_reading_ease"


def test_content_comes_from_an_ibis_table(store: Any, build_table: Any) -> None:
    rows = [
        {"content_id": "b", "kind": "faq", "title": "B", "language": "en", "body": EN_EASY},
        {"content_id": "a", "kind": "faq", "title": "A", "language": "ja", "body": JA_EASY},
    ]
    store.write_table("content", build_table("content", rows))
    out = score_readability(store.table("content"))
    assert out["content_id"].tolist() == ["a", "b"]
    assert out["title"].tolist() == ["A", "B"]


def test_duplicate_ids_and_missing_columns_are_refused() -> None:
    with pytest.raises(ConfigError, match="more than once"):
        score_readability(frame(("a", "en", "x"), ("a", "en", "y")))
    with pytest.raises(ConfigError, match="content_id and body"):
        score_readability(pd.DataFrame({"content_id": ["a"]}))


def test_compare_reports_the_change_per_article() -> None:
    before = frame(
        ("rewritten", "ja", JA_HARD),
        ("same", "en", EN_EASY),
        ("stepped", "en", EN_NO_STEPS),
        ("gone", "en", EN_EASY),
    )
    after = frame(
        ("rewritten", "ja", JA_EASY),
        ("same", "en", EN_EASY),
        ("stepped", "en", EN_STEPS),
        ("added", "en", EN_HARD),
    )
    out = compare_readability(before, after)
    assert tuple(out.columns) == COMPARE_COLUMNS
    r = {row["content_id"]: row for row in out.to_dict("records")}
    assert {k: v["status"] for k, v in r.items()} == {
        "added": "new",
        "gone": "removed",
        "rewritten": "changed",
        "same": "unchanged",
        "stepped": "changed",
    }
    assert r["rewritten"]["score_change"] > 3  # easier
    assert set(r["rewritten"]["flags_resolved"].split(";")) == {
        "too_hard",
        "long_sentences",
        "kanji_heavy",
    }
    assert r["rewritten"]["flags_added"] == ""
    assert r["stepped"]["flags_resolved"] == "lacks_steps"
    assert r["same"]["score_change"] == 0
    assert pd.isna(r["added"]["score_change"]) and pd.isna(r["gone"]["score_after"])


def test_compare_accepts_scored_tables_and_ignores_scores_across_languages() -> None:
    before = score_readability(frame(("a", "en", EN_EASY)))  # e.g. the previous run's result
    after = frame(("a", "ja", JA_EASY))  # translated
    (row,) = compare_readability(before, after).to_dict("records")
    assert (row["language_before"], row["language_after"]) == ("en", "ja")
    assert row["status"] == "changed"
    assert pd.isna(row["score_change"])


def test_split_versions_pairs_each_article_with_its_previous_version() -> None:
    versions = pd.DataFrame(
        {
            "content_id": ["a", "a", "a", "b"],
            "updated_at": pd.to_datetime(["2026-01-01", "2026-03-01", "2026-02-01", "2026-01-01"]),
            "language": "en",
            "body": ["v1", "v3", "v2", "only"],
        }
    )
    before, after = split_versions(versions)
    assert before[["content_id", "body"]].values.tolist() == [["a", "v2"]]
    assert after[["content_id", "body"]].values.tolist() == [["a", "v3"], ["b", "only"]]
    out = compare_readability(before, after)
    assert dict(zip(out["content_id"], out["status"], strict=True)) == {"a": "changed", "b": "new"}
