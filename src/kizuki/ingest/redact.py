"""Find and redact personal data in free text (Japanese and English) before it is stored.

Each hit is replaced by a typed placeholder (:data:`PLACEHOLDERS`): e-mail addresses, phone
numbers (Japanese and international), payment-card numbers (Luhn-checked), Japanese My Number
individual numbers (check digit verified) and Japanese postal codes (only with ``〒``, a
"郵便番号"/"postal code" label, or a prefecture name after them).

Matching runs on a folded copy of the text: each character is replaced by its one-character
NFKC form (full-width ``０９０－１２３４`` becomes ``090-1234``, ``＠`` becomes ``@``) and dash
look-alikes (``ー``, ``−``, ``‐``) become ``-``. Folding keeps every character in place, so the
spans found in the copy are the spans replaced in the original, and everything else is left
exactly as written. Digits are ASCII or full-width only: circled, superscript and other
look-alike digits are not read as digits.

Numbers are read as *tokens* (digit groups joined by ``-``, ``.``, spaces or parentheses) and a
token is judged whole, or by its space-separated parts. A token is never PII when it is glued
to a word (``ORD-20261122-0042``, ``A-12345678``, ``#48213``) or directly follows an identifier
label (``注文番号``, ``受付番号``, ``order``, ``invoice``, …): order numbers are not phones.
Dates, times, prices, versions and IP addresses fail the phone rules by their shape.

A string without an at sign and without seven digits in one number-like run (at most four
separators between neighbouring digits) cannot hold any of these and is returned at once;
:func:`redact_array` applies the same filter to a whole column with one Arrow compute pass.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pyarrow as pa
import pyarrow.compute as pc

from kizuki.errors import SchemaError

__all__ = [
    "HANDLE_PLACEHOLDER",
    "HANDLE_TABLES",
    "PLACEHOLDERS",
    "PiiMatch",
    "find_pii",
    "redact_array",
    "redact_text",
]

#: Social-media handles (``@taro_y``) in the free text of these tables are personal data too:
#: replaced by :data:`HANDLE_PLACEHOLDER` (after e-mail addresses, which also hold an ``@``).
HANDLE_TABLES = frozenset({"mentions"})
HANDLE_PLACEHOLDER = "<HANDLE>"
_HANDLE = r"[@＠﹫][A-Za-z0-9_]{1,30}"

PLACEHOLDERS: Mapping[str, str] = MappingProxyType(
    {
        "email": "<EMAIL>",
        "phone": "<PHONE>",
        "card": "<CARD>",
        "mynumber": "<MYNUMBER>",
        "postal": "<POSTAL>",
    }
)


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One piece of personal data: its kind (a key of :data:`PLACEHOLDERS`) and span."""

    kind: str
    start: int
    end: int
    text: str


# --- folding -------------------------------------------------------------------------------

# The characters that matter for matching, and every form of them that is read as such. Other
# look-alikes (superscript or circled digits, "⑩") are left as they are, so the pre-filter
# below sees exactly the characters that the matcher reads.
_DIGITS = "0123456789０１２３４５６７８９"
_AT_SIGNS = "@＠﹫"
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\ufe58\ufe63\uff0d"
_SEPARATORS = " \u00a0\u3000.．()（）+＋" + _DASHES
_SIGNIFICANT = frozenset("0123456789@ .-()+")
_KNOWN_FORMS = frozenset(_DIGITS + _AT_SIGNS + _SEPARATORS)


class _FoldTable(dict[int, str]):
    """``str.translate`` table: a character to its one-character NFKC form, filled lazily."""

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        folded = unicodedata.normalize("NFKC", char)
        # Expansions ("⑩" -> "10", "㍉" -> "ミリ") would shift offsets; keep those as they are.
        keep = len(folded) != 1 or (folded in _SIGNIFICANT and char not in _KNOWN_FORMS)
        value = char if keep else folded
        self[codepoint] = value
        return value


_FOLD = _FoldTable({ord(c): "-" for c in _DASHES})


def _fold(text: str) -> str:
    """The same-length matching copy of ``text`` (see the module docstring)."""
    return text if text.isascii() else text.translate(_FOLD)


def _class(chars: str) -> str:
    """A regex character class of ``chars`` that Python's re and Arrow's RE2 both read."""
    return "[" + "".join("\\" + c if c in "\\]^-[" else c for c in chars) + "]"


# Anything redactable holds an at sign or seven digits with at most four separators between
# neighbours. The same pattern filters whole Arrow columns (RE2) and single strings (re).
_PREFILTER_PATTERN = (
    f"{_class(_AT_SIGNS)}|{_class(_DIGITS)}(?:{_class(_SEPARATORS)}{{0,4}}{_class(_DIGITS)}){{6}}"
)
_PREFILTER = re.compile(_PREFILTER_PATTERN)

# --- patterns (all matched against folded text) --------------------------------------------

_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}",
    re.ASCII,
)

# A numeric token: at least seven digits (looked ahead cheaply in C), as groups joined by one
# separator ("-", ".", " ", " - ") or by parentheses. A chunk is the part between bare spaces.
_NUMBER = re.compile(
    r"(?=[+(0-9])(?=(?:[ .\-()+]{0,4}[0-9]){7})"
    r"[+(]*[0-9][0-9()]*(?:(?:[ ]?[-.][ ]?|[ ])[+(]*[0-9][0-9()]*)*",
    re.ASCII,
)
_CHUNK = re.compile(r"[+(]*[0-9][0-9()]*(?:[ ]?[-.][ ]?[+(]*[0-9][0-9()]*)*", re.ASCII)
_DIGIT_RUN = re.compile(r"[0-9]+", re.ASCII)
_FOUR_DIGITS = re.compile(r"[0-9]{4}", re.ASCII)
_CARD_SHAPE = re.compile(r"[0-9]+(?:-[0-9]+)*|[0-9]+(?: [0-9]+)*", re.ASCII)
_MYNUMBER_SHAPE = re.compile(r"[0-9]{12}|[0-9]{4}([ -])[0-9]{4}\1[0-9]{4}", re.ASCII)
_POSTAL_SHAPE = re.compile(r"[0-9]{3}-?[0-9]{4}", re.ASCII)
_PHONE_SHAPE = re.compile(r"\(?\+?[0-9][0-9()\-. ]*", re.ASCII)

# A number glued to a placeholder stays glued after redaction, so redacting is idempotent.
_PLACEHOLDER_TEXTS = tuple(PLACEHOLDERS.values())
_WORD_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")

_ID_WORDS_JA = (
    "注文|受注|発注|受付|伝票|追跡|問い?合わ?せ|管理|会員|顧客|お客様|請求書?|契約|予約|製造|"
    "シリアル|商品|整理|チケット|申し?込み?|取引|決済|領収書?|配送|荷物|案件|オーダー|口座|"
    "ポイントカード|登録"
)
_ID_WORDS_EN = (
    "order|invoice|receipt|tracking|ticket|case|ref|reference|confirmation|booking|"
    "reservation|serial|sku|part|model|build|version|transaction|txn|customer|member|account|"
    "id|jan|item|product"
)
# An identifier label that ends right where a number starts: the number is an ID, not PII.
_ID_LABEL = re.compile(
    _fold(
        rf"(?:(?:ご|お)?(?:{_ID_WORDS_JA})(?:番号|No\.?|ID|コード|#)|品番|型番|JANコード|№"
        rf"|(?<![A-Za-z])(?:{_ID_WORDS_EN})(?:[ ]?(?:no\.?|number|num|id|#|code))?)"
        r"[\s:#=.\-「『【\[(]*(?:は|が|:)?[\s:#=.\-「『【\[(]*\Z"
    ),
    re.ASCII | re.IGNORECASE,
)
# A word glued to a number is fine when it is a phone label ("TEL03-1234-5678", "Tel.03…").
_TEL_PREFIX = re.compile(r"(?:tel|fax|phone|mobile|cell)[.:\-]?\Z", re.ASCII | re.IGNORECASE)
_POSTAL_LABEL = re.compile(
    _fold(r"(?:〒|郵便番号|postal code|post code|postcode|zip code|zip)[\s:は]*\Z"),
    re.ASCII | re.IGNORECASE,
)
_PREFECTURES = (
    "青森|岩手|宮城|秋田|山形|福島|茨城|栃木|群馬|埼玉|千葉|神奈川|新潟|富山|石川|福井|山梨|"
    "長野|岐阜|静岡|愛知|三重|滋賀|兵庫|奈良|和歌山|鳥取|島根|岡山|広島|山口|徳島|香川|愛媛|"
    "高知|福岡|佐賀|長崎|熊本|大分|宮崎|鹿児島|沖縄"
)
_PREFECTURE_AFTER = re.compile(rf"\s*(?:北海道|東京都|(?:京都|大阪)府|(?:{_PREFECTURES})県)")

_MAX_CHUNKS = 6  # "+33 1 23 45 67 89" is the longest space-separated number we read
_MYNUMBER_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_LABEL_WINDOW = 40


# --- validators ----------------------------------------------------------------------------


def _luhn_ok(digits: str) -> bool:
    """Whether ``digits`` passes the Luhn (mod 10) check used by payment cards."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if i % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card_brand_ok(digits: str) -> bool:
    """Whether the issuer prefix and the length fit a real card scheme."""
    n, first = len(digits), digits[0]
    if first == "4":  # Visa
        return n in (13, 16, 19)
    if first == "3":
        head = digits[:2]
        if head in ("34", "37"):  # American Express
            return n == 15
        if head in ("30", "36", "38", "39"):  # Diners Club
            return 14 <= n <= 19
        return head == "35" and 16 <= n <= 19  # JCB
    if first in "56":  # Mastercard, Maestro, Discover, UnionPay
        return 16 <= n <= 19
    return first == "2" and n == 16 and 2221 <= int(digits[:4]) <= 2720  # Mastercard 2-series


def _is_card(digits: str, groups: list[str]) -> bool:
    """A 13–19 digit card number, grouped like one, with a valid issuer and Luhn check."""
    if not 13 <= len(digits) <= 19 or not _card_brand_ok(digits):
        return False
    if len(groups) > 1 and (len(groups[0]) != 4 or any(not 3 <= len(g) <= 6 for g in groups)):
        return False
    return _luhn_ok(digits)


def _mynumber_check_digit(first11: str) -> int:
    """The My Number check digit: 11 - (Σ digit × weight mod 11), or 0 when that is ≥ 10."""
    remainder = sum(int(c) * w for c, w in zip(first11, _MYNUMBER_WEIGHTS, strict=True)) % 11
    return 0 if remainder <= 1 else 11 - remainder


def _is_japanese_phone(digits: str, groups: list[str] | None) -> bool:
    """A domestic Japanese number: 0 + 9 digits, or 11 digits for 0X0 mobile/IP/0800 numbers."""
    if len(digits) < 10 or digits[0] != "0" or digits[1] == "0":
        return False
    mobile = digits[2] == "0" and digits[1] in "56789"
    if len(digits) != (11 if mobile else 10):
        return False
    if groups is None or len(groups) == 1:
        return True
    return len(groups) <= 3 and 2 <= len(groups[0]) <= 5 and len(groups[-1]) >= 3


def _is_nanp(digits: str) -> bool:
    """A North American number: area code and exchange both start with 2–9."""
    return len(digits) == 10 and digits[0] not in "01" and digits[3] not in "01"


def _is_phone(token: str, groups: list[str], digits: str) -> bool:
    """Whether a numeric token reads as a Japanese, North American or E.164 phone number."""
    if not _PHONE_SHAPE.fullmatch(token) or token.count("(") != token.count(")"):
        return False
    if token.count("(") > 2 or "+" in token[2:]:
        return False
    if "+" in token:
        if digits.startswith("81"):
            national = digits[2:]
            return _is_japanese_phone(national if national[:1] == "0" else "0" + national, None)
        if digits.startswith("1"):
            return _is_nanp(digits[1:])
        return 8 <= len(digits) <= 15 and digits[0] != "0"
    if digits[0] == "0":
        return _is_japanese_phone(digits, groups)
    sizes = [len(g) for g in groups]
    if sizes == [1, 3, 3, 4] and groups[0] == "1":
        return _is_nanp(digits[1:])
    return sizes == [3, 3, 4] and _is_nanp(digits)


# --- scanning ------------------------------------------------------------------------------


def _glued_left(folded: str, start: int) -> bool:
    """Whether the token at ``start`` continues a word or ID (``ORD-2026…``, ``#4821…``)."""
    if start == 0:
        return False
    before = folded[start - 1]
    if before == "#" or folded.endswith(_PLACEHOLDER_TEXTS, 0, start):
        return True
    glued = before in _WORD_CHARS or (
        before in "-_"
        and (
            folded[start - 2 : start - 1] in _WORD_CHARS
            or folded.endswith(_PLACEHOLDER_TEXTS, 0, start - 1)
        )
    )
    return glued and not _TEL_PREFIX.search(folded, max(0, start - 8), start)


def _glued_right(folded: str, end: int) -> bool:
    """Whether the token ending at ``end`` runs on into a word, an ID or an address."""
    if end >= len(folded):
        return False
    after = folded[end]
    if after in _WORD_CHARS or after == "@" or folded.startswith(_PLACEHOLDER_TEXTS, end):
        return True
    return after in "-_" and end + 1 < len(folded) and folded[end + 1] in _WORD_CHARS


def _is_bare_four(folded: str, span: tuple[int, int]) -> bool:
    """Whether a chunk is exactly four digits (a neighbouring card/My Number group)."""
    return _FOUR_DIGITS.fullmatch(folded, span[0], span[1]) is not None


def _classify(folded: str, chunks: list[tuple[int, int]], i: int, j: int) -> str | None:
    """The kind of PII that chunks ``i..j`` (inclusive) form, if any."""
    start, end = chunks[i][0], chunks[j][1]
    token = folded[start:end]
    groups = _DIGIT_RUN.findall(token)
    digits = "".join(groups)
    if len(digits) < 7:
        return None
    # A spaced card or My Number must not be a slice of a longer run of four-digit groups.
    spaced_slice = (i > 0 and _is_bare_four(folded, chunks[i - 1])) or (
        j + 1 < len(chunks) and _is_bare_four(folded, chunks[j + 1])
    )
    if not spaced_slice and _CARD_SHAPE.fullmatch(token) and _is_card(digits, groups):
        return "card"
    if (
        not spaced_slice
        and _MYNUMBER_SHAPE.fullmatch(token)
        and int(digits[11]) == _mynumber_check_digit(digits[:11])
    ):
        return "mynumber"
    if _is_phone(token, groups, digits):
        return "phone"
    if _POSTAL_SHAPE.fullmatch(token) and (
        _POSTAL_LABEL.search(folded, max(0, start - 16), start)
        or _PREFECTURE_AFTER.match(folded, end)
    ):
        return "postal"
    return None


def _scan_chunks(
    folded: str, chunks: list[tuple[int, int]], lo: int, hi: int, out: list[tuple[str, int, int]]
) -> None:
    """Find PII in chunks ``lo..hi-1``: longest run of chunks first, then leftmost."""
    for size in range(min(_MAX_CHUNKS, hi - lo), 0, -1):
        for i in range(lo, hi - size + 1):
            kind = _classify(folded, chunks, i, i + size - 1)
            if kind is not None:
                _scan_chunks(folded, chunks, lo, i, out)
                out.append((kind, chunks[i][0], chunks[i + size - 1][1]))
                _scan_chunks(folded, chunks, i + size, hi, out)
                return


def _trim_parentheses(folded: str, start: int, end: int) -> tuple[int, int]:
    """Drop unbalanced parentheses at the ends of a chunk, and ones that enclose a number."""
    chunk = folded[start:end].rstrip("(")
    end = start + len(chunk)
    while chunk.endswith(")") and chunk.count(")") > chunk.count("("):
        chunk, end = chunk[:-1], end - 1
    while chunk.startswith("(") and chunk.count("(") > chunk.count(")"):
        chunk, start = chunk[1:], start + 1
    inner = chunk[1:-1]
    # "(090-1234-5678)" keeps its parentheses around the placeholder; "(03)" is an area code.
    enclosed = chunk[:1] == "(" and chunk[-1:] == ")" and "(" not in inner and ")" not in inner
    if enclosed and sum(map(len, _DIGIT_RUN.findall(inner))) >= 7:
        start, end = start + 1, end - 1
    return start, end


def _find_numbers(folded: str) -> list[tuple[str, int, int]]:
    """Card, My Number, phone and postal hits in a folded text, as (kind, start, end)."""
    found: list[tuple[str, int, int]] = []
    for match in _NUMBER.finditer(folded):
        start = match.start()
        end = start + len(match.group().rstrip("("))
        chunks = [_trim_parentheses(folded, *m.span()) for m in _CHUNK.finditer(folded, start, end)]
        usable = [not _ID_LABEL.search(folded, max(0, s - _LABEL_WINDOW), s) for s, _ in chunks]
        if _glued_left(folded, start):
            usable[0] = False
        if _glued_right(folded, end):
            usable[-1] = False
        lo = 0
        for k in range(len(chunks) + 1):
            if k == len(chunks) or not usable[k]:
                _scan_chunks(folded, chunks, lo, k, found)
                lo = k + 1
    return found


def _find_numbers_around(folded: str, emails: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
    """Number hits outside ``emails``, read as the text will be once they are redacted.

    Scanning the text with the e-mails already replaced by their placeholder means a second
    redaction sees exactly what the first one saw, so redacting is idempotent.
    """
    if not emails:
        return _find_numbers(folded)
    placeholder = PLACEHOLDERS["email"]
    pieces: list[str] = []
    starts: list[int] = [0]  # where each stretch between e-mails begins in the scanned text
    shifts: list[int] = [0]  # and how far it moved from the folded text
    position = shift = 0
    for start, end in emails:
        pieces += [folded[position:start], placeholder]
        shift += len(placeholder) - (end - start)
        starts.append(end + shift)
        shifts.append(shift)
        position = end
    pieces.append(folded[position:])
    hits = []
    for kind, start, end in _find_numbers("".join(pieces)):
        moved = shifts[bisect.bisect_right(starts, start) - 1]
        hits.append((kind, start - moved, end - moved))
    return hits


def _maybe_pii(text: str) -> bool:
    """The cheap pre-filter: whether ``text`` can hold anything to redact."""
    return _PREFILTER.search(text) is not None


def find_pii(text: str) -> list[PiiMatch]:
    """Find personal data in ``text``.

    Parameters
    ----------
    text
        Free text in Japanese, English or both; full-width characters are understood.

    Returns
    -------
    list of PiiMatch
        Non-overlapping hits in text order, with spans into ``text`` as given.

    Examples
    --------
    >>> [(m.kind, m.text) for m in find_pii("携帯は０９０－１２３４－５６７８です")]
    [('phone', '０９０－１２３４－５６７８')]
    """
    if not _maybe_pii(text):
        return []
    folded = _fold(text)
    emails = [m.span() for m in _EMAIL.finditer(folded)] if "@" in folded else []
    hits = [("email", s, e) for s, e in emails] + _find_numbers_around(folded, emails)
    hits.sort(key=lambda hit: hit[1])
    return [PiiMatch(kind, start, end, text[start:end]) for kind, start, end in hits]


def redact_text(text: str) -> str:
    """Replace personal data in ``text`` by typed placeholders; everything else is kept.

    Parameters
    ----------
    text
        Free text (a ticket, survey comment, mention or search query).

    Returns
    -------
    str
        ``text`` with each hit of :func:`find_pii` replaced by its :data:`PLACEHOLDERS` value.
        Redacting twice gives the same result as redacting once.

    Examples
    --------
    >>> redact_text("連絡先 taro@example.co.jp / 03-1234-5678、注文番号 2026-1122-0001")
    '連絡先 <EMAIL> / <PHONE>、注文番号 2026-1122-0001'
    """
    matches = find_pii(text)
    if not matches:
        return text
    parts: list[str] = []
    position = 0
    for match in matches:
        parts.append(text[position : match.start])
        parts.append(PLACEHOLDERS[match.kind])
        position = match.end
    parts.append(text[position:])
    return "".join(parts)


def redact_array(values: pa.Array | pa.ChunkedArray, *, handles: bool = False) -> pa.Array:
    """Redact every string of an Arrow string column; nulls and length are kept.

    With ``handles``, social-media handles (``@taro_y``) become ``<HANDLE>`` too.

    Strings that cannot hold PII (fewer than seven digits and no ``@``) are skipped with one
    vectorised Arrow pass; only the rest go through :func:`redact_text`.

    Parameters
    ----------
    values
        A ``string`` or ``large_string`` array (chunked or not); an all-null array is allowed.

    Returns
    -------
    pyarrow.Array
        The redacted strings, of the same type as ``values``.

    Raises
    ------
    SchemaError
        If ``values`` is not a string column.

    Examples
    --------
    >>> redact_array(pa.array(["mail me: a.b@example.com", None, "no pii"])).to_pylist()
    ['mail me: <EMAIL>', None, 'no pii']
    >>> redact_array(pa.array(["@taro_y 遅い", "a@b.jp"]), handles=True).to_pylist()
    ['<HANDLE> 遅い', '<EMAIL>']
    """
    result = _redact_pii(values)
    if handles and len(result):
        result = pc.replace_substring_regex(result, _HANDLE, HANDLE_PLACEHOLDER)
    return result


def _redact_pii(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.string())
    if pa.types.is_string_view(array.type):
        array = array.cast(pa.string())
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        raise SchemaError(
            f"redact_array needs a string column, got {array.type}; "
            "cast the column to string before redacting it"
        )
    if len(array) == 0:
        return array
    candidates = pc.fill_null(pc.match_substring_regex(array, _PREFILTER_PATTERN), False)
    texts = pc.filter(array, candidates).to_pylist()
    if not texts:
        return array
    redacted = pa.array([redact_text(text) for text in texts], type=array.type)
    result: pa.Array = pc.replace_with_mask(array, candidates, redacted)
    return result
