"""Topic words: what in an inquiry says what it is about, in Japanese and English.

Topic discovery groups texts by their *topic words* (:func:`topic_words`) and character n-grams
of their scrubbed text (:func:`scrub`); labels are built from the same words and from noun
phrases of the texts (:func:`noun_phrases`).

- :func:`scrub` removes what must never drive a topic: redaction placeholders (``<PHONE>``,
  ``<EMAIL>``, ``[電話番号]``), masks (``***``, ``●●●``, ``XXXX``), e-mail addresses, URLs and
  every token that holds a digit (order numbers, dates, times, the unredacted tail of a phone
  number). Two tickets about one CSV-import problem then look alike whatever number they quote.
- Japanese words come from SudachiPy (split mode C, normalised forms; see
  :mod:`kizuki.models.text`) and are kept by part of speech: nouns, verbs, adjectives and
  adjectival nouns, but not numerals, pronouns, person names, time and counter nouns
  (``今日``, ``午前``, ``時間``), particles, auxiliaries, light verbs and the words every
  request is made of (:data:`JA_STOP_WORDS`: ``教える``, ``必要``, ``分かる``, ``手数`` …).
- English words are :func:`~kizuki.models.text.tokenize` tokens minus scikit-learn's English
  stop words and one-letter tokens.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from kizuki.models.text import normalize, tokenize

__all__ = [
    "JA_STOP_WORDS",
    "Morpheme",
    "noun_phrases",
    "scrub",
    "strip_placeholders",
    "topic_terms",
    "topic_words",
]

#: Japanese words (Sudachi normalised forms) that never make or label a topic: light verbs,
#: honorific boilerplate, and the request words that every inquiry uses whatever it is about.
_JA_STOP_LIST = """
御 御世話 世話 成る おる 居る 為る 有る 在る 頂く 戴く 致す 下さる 宜しい 宜しく 願う 御願い 幸い
手数 掛ける かける 此れ 其れ 彼れ 何 如何 どう いつも 申す 存じる 思う 事 物 様 為 方 件 所 仕舞う
てる ござる 御座る 貰う 呉れる 遣る 言う 出来る 良い 下さい ください です ます ない ので から まで
より けど けれど など
教える 知る 分かる 聞く 尋ねる 伺う 欲しい 必要 可能 方法 場合 困る 考える 質問 問い合わせ
問い合わせる 確認 対応 行く 来る 大丈夫 詳しい 具体 具体的 教示 失礼 突然 至急 急ぎ 早め 早い
返信 担当 連絡 電話 今回 以下 以上 上記 下記 感じ 見る 見せる 使う 利用 有り難い 助かる 本当
"""
JA_STOP_WORDS = frozenset(_JA_STOP_LIST.split())

_PLACEHOLDER = (
    r"<[A-Za-z_]+>|\[[^\]\s]{1,12}\]|［[^］\s]{1,12}］|【[^】\s]{0,12}(?:番号|アドレス)】"
)
_MASK = r"[*＊●○■□×xX]{3,}"
_ADDRESS = r"[a-z0-9.+_\-]+@[a-z0-9.\-]+|https?://[\x21-\x7e]+|www\.[\x21-\x7e]+"
# Any ASCII token with a digit: order numbers, dates, times, prices, a phone number's tail.
_NUMBER = r"[a-z0-9\-./:#_*+()]*[0-9][a-z0-9\-./:#_*+()]*"
_SCRUB = re.compile(rf"{_PLACEHOLDER}|{_MASK}|{_ADDRESS}|{_NUMBER}", re.IGNORECASE)
_PLACEHOLDERS = re.compile(rf"{_PLACEHOLDER}|{_MASK}")
_PUNCTUATION_ONLY = re.compile(r"(?<!\S)[^\w\s]+(?!\S)")
_KEEP_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞"})
# Numerals, and nouns that say when or how many rather than what (今日, 午前, 時間, 件).
_DROP_NOUN = frozenset({"数詞", "副詞可能", "助数詞可能", "人名"})
_HIRAGANA_SHORT = re.compile("^[\u3041-\u3096ー]{1,2}$")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_JAPANESE = re.compile("[\u3041-\u3096\u30a1-\u30fa\u30fc\u4e00-\u9fff\u3005]")
_CACHE_SIZE = 1 << 16
_MAX_CHARS = 8000  # SudachiPy refuses inputs over 49,149 UTF-8 bytes


class Morpheme(NamedTuple):
    """One Sudachi morpheme: as written, normalised form, part of speech, dictionary form."""

    surface: str
    word: str
    pos: tuple[str, ...]
    lemma: str = ""


_NO = Morpheme("の", "の", ("助詞", "格助詞", "*", "*"), "の")
_WO = Morpheme("を", "を", ("助詞", "格助詞", "*", "*"), "を")


def scrub(text: str) -> str:
    """``text`` normalised, with placeholders, masks, addresses and numbers blanked out.

    Examples
    --------
    >>> scrub("CSV取込エラー 担当 <PHONE>-1234 / 090-****-5678 / a@b.jp")
    'csv取込エラー 担当'
    """
    return " ".join(_PUNCTUATION_ONLY.sub(" ", _SCRUB.sub(" ", normalize(text))).split())


def strip_placeholders(text: str) -> str:
    """``text`` as written, less redaction placeholders and masks (for sentence encoders).

    Examples
    --------
    >>> strip_placeholders("Call me at <PHONE> or ***-1234")
    'Call me at or -1234'
    """
    if not _PLACEHOLDERS.search(text):
        return text
    return " ".join(_PLACEHOLDERS.sub(" ", text).split())


def topic_words(text: str) -> list[str]:
    """Words of ``text`` that can say what it is about, in order (see the module docstring).

    Examples
    --------
    >>> topic_words("粗大ゴミの出し方を教えてください。")
    ['粗大塵', '出し方']
    >>> topic_words("How do I reset my password?")
    ['reset', 'password']
    """
    clean = scrub(text)
    if not _JAPANESE.search(clean):
        stop = _english_stop_words()
        return [w for w in tokenize(clean) if len(w) > 1 and w not in stop]
    return [m.word for m in _morphemes(clean) if _is_topic_word(m)]


def topic_terms(text: str) -> list[tuple[str, str]]:
    """``(word, as shown)`` for each topic word: the dictionary form of a verb or adjective,
    the written form of anything else (``粗大塵`` is shown as written, ``粗大ゴミ``).

    Examples
    --------
    >>> topic_terms("粗大ゴミを出したい")
    [('粗大塵', '粗大ゴミ'), ('出す', '出す')]
    """
    clean = scrub(text)
    if not _JAPANESE.search(clean):
        return [(w, w) for w in topic_words(clean)]
    return [
        (m.word, m.lemma if m.pos[0] in ("動詞", "形容詞") else m.surface)
        for m in _morphemes(clean)
        if _is_topic_word(m)
    ]


def noun_phrases(text: str, max_chars: int = 16) -> list[tuple[str, tuple[str, ...]]]:
    """Short phrases of a Japanese ``text``: ``(as written, its topic words)``, in order.

    A phrase is a run of nouns (with prefixes and suffixes); two runs joined by ``の``
    (``大型ゴミの出し方``); or a run, ``を`` and a verb (in its dictionary form) or a verbal noun
    (``粗大ゴミを出す``, ``アラームをキャンセル``). It has at most ``max_chars`` characters and
    a topic word.

    Examples
    --------
    >>> [p for p, _ in noun_phrases("大型ゴミの出し方を教えてください")]
    ['大型ゴミの出し方', '大型ゴミ', '出し方']
    >>> [p for p, _ in noun_phrases("パスワードを忘れました")]
    ['パスワードを忘れる', 'パスワード']
    """
    clean = scrub(text)
    if not _JAPANESE.search(clean):
        return []
    # Noun runs (lists), the particles の and を, verbs (Morpheme), None for anything else.
    items: list[list[Morpheme] | Morpheme | str | None] = []
    for m in _morphemes(clean):
        last = items[-1] if items else None
        if m.pos[0] in ("名詞", "接頭辞", "接尾辞", "EN") and m.pos[1] not in ("数詞", "代名詞"):
            if isinstance(last, list):
                last.append(m)
            else:
                items.append([m])
        elif m.surface in ("の", "を") and m.pos[0] == "助詞":
            items.append(m.surface)
        elif m.pos[0] == "動詞":
            items.append(m)
        else:
            items.append(None)
    phrases: list[tuple[str, tuple[str, ...]]] = []
    for i, item in enumerate(items):
        if not isinstance(item, list):
            continue
        particle = items[i + 1] if i + 1 < len(items) else None
        following = items[i + 2] if i + 2 < len(items) else None
        if particle == "の" and isinstance(following, list):
            _add_phrase(phrases, [*item, _NO, *following], max_chars)
        elif (
            particle == "を" and isinstance(following, list) and following[-1].pos[2] == "サ変可能"
        ):
            _add_phrase(phrases, [*item, _WO, *following], max_chars)
        elif particle == "を" and isinstance(following, Morpheme) and _is_topic_word(following):
            verb = following._replace(surface=following.lemma)
            _add_phrase(phrases, [*item, _WO, verb], max_chars)
        _add_phrase(phrases, item, max_chars)
    return phrases


def _add_phrase(
    phrases: list[tuple[str, tuple[str, ...]]], run: list[Morpheme], max_chars: int
) -> None:
    """Append ``run`` as a phrase when it is short enough and carries a topic word."""
    while run and run[0].pos[0] == "接尾辞":
        run = run[1:]
    while run and run[-1].pos[0] == "接頭辞":
        run = run[:-1]
    surface = "".join(m.surface for m in run)
    words = tuple(m.word for m in run if _is_topic_word(m))
    if words and len(surface) <= max_chars and all(surface != p for p, _ in phrases):
        phrases.append((surface, words))


def _is_topic_word(m: Morpheme) -> bool:
    """Whether a Japanese morpheme can say what a text is about."""
    pos = m.pos
    if pos[0] not in _KEEP_POS and pos[0] != "EN":
        return False
    if pos[0] == "名詞" and (pos[1] in _DROP_NOUN or pos[2] in _DROP_NOUN):
        return False
    if pos[0] == "EN":
        return len(m.word) > 1 and m.word not in _english_stop_words()
    w = m.word
    return bool(w not in JA_STOP_WORDS and not _HIRAGANA_SHORT.match(w) and _HAS_LETTER.search(w))


@lru_cache(maxsize=_CACHE_SIZE)
def _morphemes(clean: str) -> tuple[Morpheme, ...]:
    """Sudachi morphemes of normalised Japanese text; Latin words as part of speech "EN"."""
    morphemes: list[Morpheme] = []
    for m in _sudachi().tokenize(clean[:_MAX_CHARS]):
        pos = tuple(m.part_of_speech()[:4])
        if pos[0] in ("補助記号", "空白"):
            continue
        surface = m.surface()
        if _JAPANESE.search(surface):
            morphemes.append(Morpheme(surface, m.normalized_form(), pos, m.dictionary_form()))
        else:
            for w in re.findall(r"[^\W_]+", surface):
                morphemes.append(Morpheme(w, w, ("EN", "*", "*", "*"), w))
    return tuple(morphemes)


@lru_cache(maxsize=1)
def _sudachi() -> Any:
    """The shared SudachiPy tokenizer of :mod:`kizuki.models.text` (split mode C)."""
    from kizuki.models import text

    return text._sudachi()


@lru_cache(maxsize=1)
def _english_stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    contractions = {"can't", "don't", "i'm", "it's", "i've", "won't", "doesn't", "didn't"}
    return frozenset(ENGLISH_STOP_WORDS) | contractions
