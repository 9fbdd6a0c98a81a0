"""Normalisation, tokenisation and language detection of Japanese and English text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuki.models.text import detect_language, fold_kana, normalize, tokenize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("ＡＢＣ１２３", "abc123", id="full-width-ascii-to-half"),
        pytest.param("ﾛｸﾞｲﾝ", "ログイン", id="half-width-kana-to-full"),
        pytest.param("メ－ル", "メール", id="full-width-hyphen-after-kana"),
        pytest.param("メ-ル", "メール", id="ascii-hyphen-after-kana"),
        pytest.param("メ―ル", "メール", id="horizontal-bar-after-kana"),
        pytest.param("データーーー", "データー", id="repeated-marks-collapse"),
        pytest.param("090-1234-5678", "090-1234-5678", id="hyphen-after-digits-kept"),
        pytest.param("  Log\tIn \n\n　エラー ", "log in エラー", id="whitespace-collapsed"),
        pytest.param("", "", id="empty"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@given(st.text(max_size=200))
def test_normalize_is_idempotent(raw: str) -> None:
    once = normalize(raw)
    assert normalize(once) == once


def test_fold_kana_maps_katakana_to_hiragana_and_keeps_the_rest() -> None:
    assert fold_kana("ログイン") == "ろぐいん"
    assert fold_kana("パスワードを変更 OK") == "ぱすわーどを変更 OK"


@pytest.mark.parametrize(
    ("hiragana", "katakana"),
    [
        pytest.param("ろぐいんできません", "ログインできません", id="login"),
        pytest.param("ぱすわーどをわすれた", "パスワードをわすれた", id="password"),
        pytest.param("あぷりでろぐいんできない", "アプリでログインできない", id="after-particle"),
    ],
)
def test_loanwords_in_hiragana_give_the_katakana_tokens(hiragana: str, katakana: str) -> None:
    assert tokenize(hiragana) == tokenize(katakana)


def test_okurigana_after_kanji_is_not_read_as_a_loanword() -> None:
    # がらない would be ガラナ (guarana), はいつ ハイツ (heights) if read as loanwords.
    assert tokenize("上がらない") == ["上がる", "ない"]
    assert "ハイツ" not in tokenize("締め切りはいつ")


def test_japanese_tokens_are_normalized_forms() -> None:
    assert tokenize("支払いが進まない") == ["支払い", "が", "進む", "ない"]
    # spelling variants meet: できない and 出来ない, ﾛｸﾞｲﾝ and ログイン
    assert tokenize("ﾛｸﾞｲﾝできない") == tokenize("ログイン出来ない")


def test_english_tokens_are_lower_case_words_without_punctuation() -> None:
    assert tokenize("Can't LOG in -- again!!") == ["can't", "log", "in", "again"]


def test_mixed_scripts_keep_latin_words_and_meet_the_katakana_spelling() -> None:
    tokens = tokenize("アプリで login できない")
    assert tokens == ["アプリ", "で", "login", "ログイン", "出来る", "ない"]
    assert set(tokenize("アプリでログインできない")) < set(tokens)


def test_punctuation_only_and_empty_texts_have_no_tokens() -> None:
    assert tokenize("") == []
    assert tokenize("。、！？…") == []


def test_very_long_japanese_text_is_tokenised_in_pieces() -> None:
    # SudachiPy refuses more than 49,149 bytes in one call; 100k characters are 300k bytes.
    tokens = tokenize("ログインできません。" * 10_000)
    assert len(tokens) == 40_000
    assert tokens[:4] == ["ログイン", "出来る", "ます", "ず"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        pytest.param("ログインできません", "ja", id="japanese"),
        pytest.param("アプリで login できない", "ja", id="mixed-mostly-japanese"),
        pytest.param("I cannot log in to the app", "en", id="english"),
        pytest.param("I love ラーメン very much, thanks", "en", id="english-with-a-loanword"),
        pytest.param("請求書", "ja", id="kanji-only"),
        pytest.param("", "en", id="empty-gets-default"),
        pytest.param("12345 !!!", "en", id="no-letters-gets-default"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_detect_language_default_is_configurable() -> None:
    assert detect_language("", default="ja") == "ja"
