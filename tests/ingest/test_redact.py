"""PII redaction: every kind in Japanese and English, the look-alikes it must leave alone."""

from __future__ import annotations

from unittest import mock

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from kizuki.cli import app
from kizuki.errors import SchemaError
from kizuki.ingest import redact
from kizuki.ingest.redact import PLACEHOLDERS, PiiMatch, find_pii, redact_array, redact_text

# (text, expected redaction), grouped by kind. The ids say what each example checks.
HITS = [
    # e-mail
    pytest.param("mail: taro.yamada@example.co.jp", "mail: <EMAIL>", id="email-en"),
    pytest.param("連絡先はtaro@example.comです。", "連絡先は<EMAIL>です。", id="email-ja-glued"),
    pytest.param("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐまで", "<EMAIL>まで", id="email-fullwidth"),
    pytest.param("send to a+b_c@mail-1.example.org.", "send to <EMAIL>.", id="email-plus-dot"),
    pytest.param("09012345678@docomo.ne.jp", "<EMAIL>", id="email-digits-local-part"),
    # Japanese phones
    pytest.param("携帯090-1234-5678まで", "携帯<PHONE>まで", id="phone-mobile-hyphen"),
    pytest.param("080 1234 5678", "<PHONE>", id="phone-mobile-spaces"),
    pytest.param("070.1234.5678", "<PHONE>", id="phone-mobile-dots"),
    pytest.param("09012345678に電話", "<PHONE>に電話", id="phone-mobile-bare"),
    pytest.param("携帯 ０９０－１２３４－５６７８ です", "携帯 <PHONE> です", id="phone-fullwidth"),
    pytest.param("090ー1234ー5678", "<PHONE>", id="phone-long-vowel-dash"),
    pytest.param("電話03-1234-5678", "電話<PHONE>", id="phone-tokyo"),
    pytest.param("本社 06-1234-5678（代表）", "本社 <PHONE>（代表）", id="phone-osaka"),
    pytest.param("03(1234)5678", "<PHONE>", id="phone-parentheses-middle"),
    pytest.param("(03)1234-5678", "<PHONE>", id="phone-parentheses-area"),
    pytest.param("0120-123-456", "<PHONE>", id="phone-toll-free"),
    pytest.param("ナビダイヤル 0570-064-123", "ナビダイヤル <PHONE>", id="phone-navi-dial"),
    pytest.param("0312345678", "<PHONE>", id="phone-landline-bare"),
    pytest.param("TEL03-1234-5678", "TEL<PHONE>", id="phone-glued-to-tel"),
    pytest.param("Tel.03-1234-5678", "Tel.<PHONE>", id="phone-after-tel-dot"),
    pytest.param("TEL/FAX 03-1234-5678/03-1234-5679", "TEL/FAX <PHONE>/<PHONE>", id="phone-pair"),
    pytest.param("090 1234 5678 12時に", "<PHONE> 12時に", id="phone-then-time"),
    pytest.param("お問い合わせ：03-1234-5678", "お問い合わせ：<PHONE>", id="phone-inquiry-line"),
    # international phones
    pytest.param("+81 90-1234-5678", "<PHONE>", id="phone-plus81-mobile"),
    pytest.param("+81-3-1234-5678", "<PHONE>", id="phone-plus81-tokyo"),
    pytest.param("+81 (0)3-1234-5678", "<PHONE>", id="phone-plus81-trunk-zero"),
    pytest.param("call +1 415 555 0132 today", "call <PHONE> today", id="phone-plus1"),
    pytest.param("call (415) 555-0132", "call <PHONE>", id="phone-us-parentheses"),
    pytest.param("415.555.0132", "<PHONE>", id="phone-us-dots"),
    pytest.param("1-800-555-0199", "<PHONE>", id="phone-us-toll-free"),
    pytest.param("+44 20 7946 0958", "<PHONE>", id="phone-uk"),
    # cards (Luhn-valid test numbers of each scheme)
    pytest.param("card 4111 1111 1111 1111", "card <CARD>", id="card-visa-spaces"),
    pytest.param("カード番号4111-1111-1111-1111です", "カード番号<CARD>です", id="card-visa-ja"),
    pytest.param("5555555555554444", "<CARD>", id="card-mastercard-bare"),
    pytest.param("Amex 3782 822463 10005", "Amex <CARD>", id="card-amex-4-6-5"),
    pytest.param("JCB ３５３０ １１１３ ３３３０ ００００", "JCB <CARD>", id="card-jcb-fullwidth"),
    pytest.param("4111 1111 1111 1111 exp 12/28", "<CARD> exp 12/28", id="card-then-expiry"),
    # My Number (check digits worked by hand in test_my_number_check_digit_is_the_official_one)
    pytest.param("マイナンバー 1234 5678 9018", "マイナンバー <MYNUMBER>", id="mynumber-spaced"),
    pytest.param("個人番号は123456789018です", "個人番号は<MYNUMBER>です", id="mynumber-bare"),
    pytest.param("１２３４－５６７８－９０１８", "<MYNUMBER>", id="mynumber-fullwidth"),
    # postal codes
    pytest.param("〒123-4567 東京都千代田区", "〒<POSTAL> 東京都千代田区", id="postal-mark"),
    pytest.param("〒1234567", "〒<POSTAL>", id="postal-mark-bare"),
    pytest.param("〒 123-4567", "〒 <POSTAL>", id="postal-mark-space"),
    pytest.param("郵便番号：１２３－４５６７", "郵便番号：<POSTAL>", id="postal-label-fullwidth"),
    pytest.param("123-4567 大阪府大阪市北区", "<POSTAL> 大阪府大阪市北区", id="postal-prefecture"),
    pytest.param("Postal code: 150-0002", "Postal code: <POSTAL>", id="postal-label-en"),
]

MISSES = [
    pytest.param("注文番号 2026-1122-0001", id="order-number-ja"),
    pytest.param("注文番号 03-1234-5678", id="order-number-phone-shaped"),
    pytest.param("受付番号：0312345678", id="reception-number-phone-shaped"),
    pytest.param("ご注文番号は09012345678です", id="order-number-mobile-shaped"),
    pytest.param("Order #A-12345678", id="order-number-hash"),
    pytest.param("order no. 0312345678", id="order-number-en"),
    pytest.param("invoice 0312345678", id="invoice-number"),
    pytest.param("ORD-20261122-0042", id="order-id-prefixed"),
    pytest.param("Amazon 250-1234567-1234567", id="order-id-3-7-7"),
    pytest.param("追跡番号 123456789018", id="tracking-number-mynumber-shaped"),
    pytest.param("2026/11/22 2026-11-22 2026年11月22日", id="dates"),
    pytest.param("10:30〜18:00、営業時間 0900-1800", id="times"),
    pytest.param("¥12,800 / 12,800円 / ¥1,234,567,890", id="prices"),
    pytest.param("v2.14.3 build 20261122.1543", id="version-and-build"),
    pytest.param("ticket #48213 and #1234567890", id="ticket-numbers"),
    pytest.param("server 192.168.100.200", id="ip-address"),
    pytest.param("Premium 12 plan, 3 seats", id="plan-and-amounts"),
    pytest.param("4111 1111 1111 1112", id="card-luhn-invalid"),
    pytest.param("4111111111111112", id="card-luhn-invalid-bare"),
    pytest.param("1234 5678 9012", id="mynumber-check-digit-wrong"),
    pytest.param("123456789012", id="mynumber-check-digit-wrong-bare"),
    pytest.param("商品コード 123-4567 の在庫", id="postal-shaped-product-code"),
    pytest.param("123-4567", id="postal-shaped-without-context"),
    pytest.param("1763798400", id="unix-timestamp"),
    pytest.param("123-456-7890", id="us-shaped-invalid-area-code"),
    pytest.param("@kizuki_support ありがとう", id="mention-handle"),
]


@pytest.mark.parametrize(("text", "expected"), HITS)
def test_redacts_personal_data(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", MISSES)
def test_leaves_look_alikes_alone(text: str) -> None:
    assert redact_text(text) == text
    assert find_pii(text) == []


@pytest.mark.parametrize(("text", "expected"), HITS)
def test_redacting_twice_is_redacting_once(text: str, expected: str) -> None:
    assert redact_text(redact_text(text)) == expected


def test_find_pii_spans_point_into_the_original_text() -> None:
    text = (
        "Ｍａｉｌ ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ、電話０３－１２３４－５６７８、"
        + "〒１２３－４５６７"
    )
    matches = find_pii(text)
    assert [m.kind for m in matches] == ["email", "phone", "postal"]
    assert [m.text for m in matches] == [
        "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ",
        "０３－１２３４－５６７８",
        "１２３－４５６７",
    ]
    assert all(text[m.start : m.end] == m.text for m in matches)
    assert matches[0] == PiiMatch("email", 5, 21, "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ")


def test_mixed_text_keeps_everything_between_hits() -> None:
    text = (
        "お世話になります。注文番号 2026-1122-0001 の件で、090-1234-5678 か "
        "taro@example.jp までご連絡ください。カードは 4111 1111 1111 1111 です。"
    )
    assert redact_text(text) == (
        "お世話になります。注文番号 2026-1122-0001 の件で、<PHONE> か "
        "<EMAIL> までご連絡ください。カードは <CARD> です。"
    )


@pytest.mark.parametrize(
    ("first11", "check"),
    [
        # 1·6 + 2·5 + 3·4 + 4·3 + 5·2 + 6·7 + 7·6 + 8·5 + 9·4 + 0·3 + 1·2 = 212; 212 mod 11 = 3
        pytest.param("12345678901", 8, id="remainder-3"),
        # … + 0·2 = 210; 210 mod 11 = 1, so the check digit is 0
        pytest.param("12345678900", 0, id="remainder-1-gives-0"),
        # … + 5·2 = 220; 220 mod 11 = 0, so the check digit is 0
        pytest.param("12345678905", 0, id="remainder-0-gives-0"),
        # 1·6 = 6; 11 - 6 = 5
        pytest.param("10000000000", 5, id="remainder-6"),
    ],
)
def test_my_number_check_digit_is_the_official_one(first11: str, check: int) -> None:
    for last in range(10):
        kinds = [m.kind for m in find_pii(f"個人番号 {first11}{last}")]
        assert kinds == (["mynumber"] if last == check else []), last


@pytest.mark.parametrize(
    ("first15", "check"),
    [
        # Luhn from the right: 1 + (2·1) + 1 + (2·1) + … ; the digit that makes the sum 0 mod 10
        pytest.param("411111111111111", 1, id="visa"),
        pytest.param("555555555555444", 4, id="mastercard"),
        pytest.param("601111111111111", 7, id="discover"),
    ],
)
def test_card_needs_the_luhn_check_digit(first15: str, check: int) -> None:
    for last in range(10):
        redacted = redact_text(f"card {first15}{last}")
        assert redacted == ("card <CARD>" if last == check else f"card {first15}{last}"), last


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("(090-1234-5678)", "(<PHONE>)", id="enclosing-parentheses-kept"),
        pytest.param("（03-1234-5678）まで", "（<PHONE>）まで", id="fullwidth-parentheses-kept"),
        pytest.param("a@b.com0312345678", "<EMAIL>0312345678", id="number-glued-to-email"),
        pytest.param(
            "call 090 1234 5678taro@x.jp", "call 090 1234 <EMAIL>", id="email-takes-digits"
        ),
    ],
)
def test_edges_are_stable_under_a_second_redaction(text: str, expected: str) -> None:
    assert redact_text(text) == expected
    assert redact_text(expected) == expected


def test_placeholders_name_every_kind() -> None:
    assert dict(PLACEHOLDERS) == {
        "email": "<EMAIL>",
        "phone": "<PHONE>",
        "card": "<CARD>",
        "mynumber": "<MYNUMBER>",
        "postal": "<POSTAL>",
    }


# --- Arrow arrays ------------------------------------------------------------------------------


def test_redact_array_keeps_nulls_length_and_untouched_strings() -> None:
    values = pa.array(
        [
            "電話 090-1234-5678",
            None,
            "ありがとうございました",
            "",
            "a@b.jp",
            None,
            "注文番号 12345678",
        ]
    )
    result = redact_array(values)
    assert result.type == pa.string()
    assert result.to_pylist() == [
        "電話 <PHONE>",
        None,
        "ありがとうございました",
        "",
        "<EMAIL>",
        None,
        "注文番号 12345678",
    ]


def test_redact_array_takes_chunked_and_large_strings() -> None:
    chunked = pa.chunked_array(
        [pa.array(["03-1234-5678"], pa.large_string()), pa.array([None, "ok"], pa.large_string())]
    )
    result = redact_array(chunked)
    assert result.type == pa.large_string()
    assert result.to_pylist() == ["<PHONE>", None, "ok"]


def test_redact_array_handles_empty_and_all_null() -> None:
    assert redact_array(pa.array([], pa.string())).to_pylist() == []
    assert redact_array(pa.array([None, None])).to_pylist() == [None, None]


def test_redact_array_matches_redact_text() -> None:
    texts = [str(p.values[0]) for p in HITS + MISSES]
    assert redact_array(pa.array(texts)).to_pylist() == [redact_text(t) for t in texts]


def test_redact_array_rejects_non_strings() -> None:
    with pytest.raises(SchemaError, match="needs a string column, got int64"):
        redact_array(pa.array([1, 2, 3]))


# --- properties -----------------------------------------------------------------------------

# No digits (Nd, and No/Nl such as ① that fold to digits) and no at signs: nothing to redact.
SAFE_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Nd", "No", "Nl", "Cs"), blacklist_characters="@＠﹫"
    ),
    max_size=40,
)
PII = st.sampled_from(
    [
        ("taro@example.co.jp", "<EMAIL>"),
        ("090-1234-5678", "<PHONE>"),
        ("+1 415 555 0132", "<PHONE>"),
        ("4111 1111 1111 1111", "<CARD>"),
        ("123456789018", "<MYNUMBER>"),
    ]
)


@given(SAFE_TEXT)
def test_text_without_digits_or_at_signs_is_unchanged(text: str) -> None:
    assert redact_text(text) == text
    assert redact_array(pa.array([text])).to_pylist() == [text]


@given(SAFE_TEXT, PII, SAFE_TEXT)
def test_text_around_a_redaction_is_preserved(
    before: str, pii: tuple[str, str], after: str
) -> None:
    value, placeholder = pii
    assert redact_text(f"{before}。{value}。{after}") == f"{before}。{placeholder}。{after}"


# Digits and separators in every width, plus look-alikes (①, ¹, 𝟎) that are not read as digits.
NUMBERISH = st.text(
    alphabet="0123456789０１２３４５６７８９①¹𝟎 　-－ー.．()（）+＋@＠a〒注文番号", max_size=30
)


@given(NUMBERISH)
def test_pre_filter_never_hides_personal_data(text: str) -> None:
    with mock.patch.object(redact, "_maybe_pii", return_value=True):
        unfiltered = redact_text(text)
    assert redact_text(text) == unfiltered
    assert redact_array(pa.array([text])).to_pylist() == [unfiltered]


FRAGMENTS = st.sampled_from(
    [
        "090-1234-5678",
        "03(1234)5678",
        "4111 1111 1111 1111",
        "1234 5678 9018",
        "taro@example.com",
        "〒",
        "123-4567",
        "東京都",
        "注文番号",
        "order",
        "1234",
        "0312345678",
        "2026-11-22",
        " ",
        "-",
        "#",
        "@",
        "。",
        "a",
        "(",
        ")",
        "+81 ",
    ]
)


@given(st.lists(FRAGMENTS, max_size=8).map("".join))
def test_redaction_is_idempotent_on_mixed_fragments(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


# --- CLI ------------------------------------------------------------------------------------


def test_cli_redact_reads_stdin_lines() -> None:
    stdin = "電話は090-1234-5678です\nmail me at jo@example.com\n注文番号 2026-1122-0001\n"
    result = CliRunner().invoke(app, ["redact"], input=stdin)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "電話は<PHONE>です",
        "mail me at <EMAIL>",
        "注文番号 2026-1122-0001",
    ]
