"""Search terms: the spelling variants Japanese users type meet the articles' spelling."""

from __future__ import annotations

import pytest

from kizuki.search.tokens import char_key, char_keys, char_terms, word_ids, word_terms


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        pytest.param("ﾊﾟｽﾜｰﾄﾞ", "パスワード", id="half-width-katakana"),
        pytest.param("ＰＡＳＳＷＯＲＤ", "password", id="full-width-latin"),
        pytest.param("パスワ－ド", "パスワード", id="dash-as-long-vowel"),
        pytest.param("ごみ", "ゴミ", id="hiragana-katakana"),
        pytest.param("ろぐいん", "ログイン", id="hiragana-loanword"),
        pytest.param("申込", "申し込み", id="okurigana-omitted"),
        pytest.param("申込み", "申し込み", id="okurigana-partial"),
        pytest.param("出来ない", "できない", id="kanji-kana-spelling"),
    ],
)
def test_variants_give_the_same_words(typed: str, written: str) -> None:
    assert word_terms(typed) == word_terms(written)


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        pytest.param("ｺﾞﾐ", "ごみ", id="half-width-to-hiragana"),
        pytest.param("メ－ル", "めーる", id="long-vowel-and-kana"),
    ],
)
def test_variants_give_the_same_character_ngrams(typed: str, written: str) -> None:
    assert char_terms(typed) == char_terms(written)


def test_function_words_and_request_phrases_are_left_out() -> None:
    assert word_terms("ゴミの出し方を教えて下さい") == ["ごみ", "出し方"]
    assert word_terms("How do I reset my password?") == ["reset", "password"]


def test_character_ngrams_are_unigrams_and_bigrams_of_japanese_runs() -> None:
    assert char_terms("請求書") == ["請", "求", "書", "請求", "求書"]


def test_latin_words_give_padded_trigrams() -> None:
    assert char_terms("Log") == ["#lo", "log", "og#"]


def test_text_without_letters_has_no_terms() -> None:
    assert word_terms("。、！ ") == []
    assert char_terms("。、！ ") == []


TEXTS = [
    "ゴミの出し方を教えて下さい",
    "ﾊﾟｽﾜｰﾄﾞを忘れてしまいました。ろぐいんできません",
    "アプリで login できない",
    "How do I reset my password?",
    "申込み・申し込み・申込、出来ない／できない",
    "ＰＡＳＳＷＯＲＤ 123abc ①",
    "",
    "。、！ ",
]


def test_word_ids_give_the_terms_of_word_terms() -> None:
    terms, rows, ids = word_ids(TEXTS)
    for i, text in enumerate(TEXTS):
        assert [terms[t] for t in ids[rows == i]] == word_terms(text), text


def test_char_keys_are_the_keys_of_char_terms() -> None:
    rows, keys = char_keys(TEXTS)
    for i, text in enumerate(TEXTS):
        assert sorted(keys[rows == i].tolist()) == sorted(map(char_key, char_terms(text))), text


def test_char_keys_of_different_ngrams_differ() -> None:
    ngrams = ["ご", "ごみ", "みご", "#lo", "log", "og#", "#l#"]
    assert len({char_key(g) for g in ngrams}) == len(ngrams)
