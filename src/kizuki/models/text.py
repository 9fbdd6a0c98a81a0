"""Japanese and English text normalisation, tokenisation and language detection.

One place where inquiry text is made comparable (STYLE.md, "Text and language"):

- :func:`normalize`: NFKC (full-width ASCII to half-width, half-width kana to full-width),
  lower-case, long-vowel marks unified to ``ー``, whitespace collapsed. Kana are *kept* as
  written, because SudachiPy needs katakana loanwords in katakana to segment them.
- :func:`fold_kana`: katakana to hiragana. Features that must not depend on the kana a writer
  chose (``ろぐいん`` / ``ログイン``) use ``fold_kana(normalize(text))``; the intent
  classifier's character n-grams do.
- :func:`tokenize`: word tokens. Japanese goes through SudachiPy (sudachidict-core, split mode C,
  the longest units: ``請求書`` stays one word) and each word is replaced by its *normalized
  form*, which unifies spelling and inflection (``出来ない`` and ``できない`` give ``出来る``,
  ``進まない`` gives ``進む``). A hiragana run that starts with a loanword written in hiragana
  (``ろぐいん``) is rewritten to katakana first when the katakana word is a common noun in the
  dictionary and the hiragana spelling is not a word itself. Latin words are lower-case;
  punctuation and spaces are dropped.
- :func:`detect_language`: ``"ja"`` or ``"en"`` from the share of kana and kanji.

Examples
--------
>>> normalize("ﾛｸﾞｲﾝ　できません！ＰＷ―")
'ログイン できません!pw―'
>>> tokenize("アプリで login できない")
['アプリ', 'で', 'login', 'ログイン', '出来る', 'ない']
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sudachipy import Dictionary

__all__ = ["detect_language", "fold_kana", "normalize", "tokenize"]

# Hiragana U+3041-3096, katakana U+30A1-30FA, prolonged sound mark U+30FC, iteration marks.
_KANA = "\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe"
_KANJI = "\u3005\u3007\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0002ffff"
# Dashes that people type for ー after kana: hyphen-minus, hyphen, non-breaking hyphen, figure
# dash, en and em dash, horizontal bar, minus sign, box-drawing line, wave dashes.
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2500\u2501\u301c\uff5e~"
_LONG_VOWEL = re.compile(f"(?<=[{_KANA}])[{_DASHES}ー]+")
_SPACES = re.compile(r"\s+")
_JAPANESE = re.compile(f"[{_KANA}{_KANJI}]")
_KANJI_CHAR = re.compile(f"[{_KANJI}]")
_KATAKANA_CHAR = re.compile("[\u30a1-\u30fa\u30fc]")
_LATIN_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
_HIRAGANA_RUN = re.compile("[\u3041-\u3096ー]{3,}")
_KATA_TO_HIRA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
_HIRA_TO_KATA = {code: code + 0x60 for code in range(0x3041, 0x3097)}
_PARTICLES = frozenset("がをにでとへものはや")
_DROP_POS = frozenset({"補助記号", "空白"})
_LOANWORD_MAX = 12
_CHUNK_CHARS = 8000
_BREAKS = ("。", "!", "?", " ", "、")
_CACHE_SIZE = 1 << 16
_CACHE_MAX_CHARS = 2000


def normalize(text: str) -> str:
    """Return ``text`` in one comparable form: NFKC, lower-case, one long-vowel mark, one space.

    Examples
    --------
    >>> normalize("  ＡＰＰ　で ﾛｸﾞｲﾝ  ｴﾗｰ ")
    'app で ログイン エラー'
    >>> normalize("メ－ル") == normalize("メール")
    True
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = _LONG_VOWEL.sub("ー", text)
    return _SPACES.sub(" ", text).strip()


def fold_kana(text: str) -> str:
    """Return ``text`` with katakana turned into hiragana (``ー`` is kept).

    Examples
    --------
    >>> fold_kana("ログイン") == fold_kana("ろぐいん")
    True
    """
    return text.translate(_KATA_TO_HIRA)


def detect_language(text: str, default: str = "en") -> str:
    """Return ``"ja"`` when at least a quarter of the letters are kana or kanji, else ``"en"``.

    Text without letters (empty, digits, punctuation) gets ``default``.

    Examples
    --------
    >>> detect_language("アプリで login できない")
    'ja'
    >>> detect_language("I cannot log in to the app")
    'en'
    """
    n_letters = len(_LETTER.findall(text))
    if n_letters == 0:
        return default
    return "ja" if len(_JAPANESE.findall(text)) >= 0.25 * n_letters else "en"


def tokenize(text: str) -> list[str]:
    """Split ``text`` into normalised word tokens (see the module docstring for the rules).

    Examples
    --------
    >>> tokenize("Can't log in to the APP!")
    ["can't", 'log', 'in', 'to', 'the', 'app']
    >>> tokenize("パスワードを忘れてしまいました。")
    ['パスワード', 'を', '忘れる', 'て', '仕舞う', 'ます', 'た']
    """
    normalized = normalize(text)
    if len(normalized) > _CACHE_MAX_CHARS:
        return list(_tokens(normalized))
    return list(_tokenize_normalized(normalized))


@lru_cache(maxsize=_CACHE_SIZE)
def _tokenize_normalized(text: str) -> tuple[str, ...]:
    """Tokens of short normalised texts, cached: a classifier tokenises the same texts often."""
    return _tokens(text)


def _tokens(text: str) -> tuple[str, ...]:
    """Tokens of normalised text."""
    if not _JAPANESE.search(text):
        return tuple(_LATIN_WORD.findall(text))
    text = _HIRAGANA_RUN.sub(_katakana_loanwords, text)
    tokenizer = _sudachi()
    tokens: list[str] = []
    for chunk in _chunks(text):
        for morpheme in tokenizer.tokenize(chunk):
            if morpheme.part_of_speech()[0] in _DROP_POS:
                continue
            surface = morpheme.surface()
            if _JAPANESE.search(surface):
                tokens.append(morpheme.normalized_form())
                continue
            words = _LATIN_WORD.findall(surface)
            tokens.extend(words)
            # Sudachi knows many loanwords typed in Latin letters (login -> ログイン): keep
            # both, so that "login" in a Japanese sentence meets "ログイン".
            normalized = morpheme.normalized_form()
            if len(words) == 1 and _JAPANESE.search(normalized):
                tokens.append(normalized)
    return tuple(tokens)


def _chunks(text: str) -> list[str]:
    """Pieces of at most ``_CHUNK_CHARS`` characters, cut after a sentence end or space if any.

    SudachiPy refuses inputs over 49,149 UTF-8 bytes; 8,000 characters are at most 32,000.
    """
    chunks = []
    while len(text) > _CHUNK_CHARS:
        window = text[:_CHUNK_CHARS]
        cut = max(window.rfind(mark) for mark in _BREAKS) + 1
        if cut <= 0:
            cut = _CHUNK_CHARS
        chunks.append(text[:cut])
        text = text[cut:]
    chunks.append(text)
    return chunks


def _katakana_loanwords(match: re.Match[str]) -> str:
    """Rewrite hiragana loanwords leading a hiragana run to katakana (ろぐいん -> ログイン)."""
    run = match.group(0)
    before = match.string[match.start() - 1 : match.start()]
    # After kanji a hiragana run is okurigana or particles (上がらない, 締め切りはいつ); after
    # katakana it starts with a particle (アプリでろぐいん).
    if _KANJI_CHAR.match(before):
        return run
    start = 0
    if _KATAKANA_CHAR.match(before):
        if run[0] not in _PARTICLES:
            return run
        start = 1
    out: list[str] = [run[:start]]
    while start < len(run):
        end = _loanword_end(run, start)
        if end is None:
            out.append(run[start:])
            break
        out.append(run[start:end].translate(_HIRA_TO_KATA))
        start = end
        # A one-character particle after a loanword may be followed by another (あぷりでろぐいん).
        if run[start : start + 1] in _PARTICLES:
            out.append(run[start])
            start += 1
    return "".join(out)


def _loanword_end(run: str, start: int) -> int | None:
    """End of the longest hiragana loanword at ``run[start:]``, or None."""
    dictionary = _dictionary()
    for end in range(min(len(run), start + _LOANWORD_MAX), start + 2, -1):
        hiragana = run[start:end]
        if _is_common_noun(dictionary, hiragana.translate(_HIRA_TO_KATA)) and not len(
            dictionary.lookup(hiragana)
        ):
            return end
    return None


def _is_common_noun(dictionary: Dictionary, word: str) -> bool:
    """Whether ``word`` is a common noun (普通名詞) in the dictionary."""
    return any(m.part_of_speech()[:2] == ("名詞", "普通名詞") for m in dictionary.lookup(word))


@lru_cache(maxsize=1)
def _dictionary() -> Dictionary:
    """The SudachiPy core dictionary, loaded once on first use."""
    from sudachipy import Dictionary

    return Dictionary(dict="core")


@lru_cache(maxsize=1)
def _sudachi() -> Any:
    """The module's single SudachiPy tokenizer (split mode C), created on first use."""
    from sudachipy import SplitMode

    return _dictionary().tokenizer(mode=SplitMode.C)
