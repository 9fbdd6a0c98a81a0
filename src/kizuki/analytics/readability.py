"""Readability of help-content answers, Japanese and English, with flags a writer can act on.

:func:`score_readability` reads the canonical ``content`` table (small: it comes back to
Python) and gives one row per article: its size, sentences, a readability score and level,
and flags with the figures behind them. :func:`compare_readability` compares two versions of
the content (or two scored tables) per article. Definitions and thresholds: docs/content.md.

- **Language**: the ``language`` column (``ja``, ``ja-JP``, ``en-US``, …), else
  :func:`kizuki.models.text.detect_language` of the body. A body whose detected language
  contradicts the column is scored in the detected language and flagged ``language_mismatch``.
- **Japanese**: the formula of Lee & Hasebe (``jreadability``; higher is easier, 0.5–6.5 for
  learners' levels from upper-advanced to lower-elementary), computed on UniDic-lite
  morphemes (``fugashi``; the dictionary is inside the ``unidic-lite`` wheel, nothing is
  downloaded); characters per sentence; the share of kanji among letters and digits.
- **English**: Flesch reading ease and Flesch-Kincaid grade, with the standard constants,
  syllables from the ``pyphen`` en_US hyphenation dictionary. ``textstat`` is not called at
  run time: its English syllable counter fetches the CMU dictionary with
  ``nltk.download`` on first use; our figures equal ``textstat``'s with that lookup switched
  off (pyphen is its own fallback), which a test checks.
- **Text**: HTML bodies are reduced to text (block tags and ``<li>`` become lines); each line
  is split into sentences after ``。！？!?`` and after ``.`` before a space; list markers
  (``1.``, ``①``, ``・``, ``-``, ``手順1``, ``Step 1``) are taken off first and counted.

Flags: :data:`FLAG_CODES`; ``flag_details`` gives the figures behind each.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from kizuki.errors import ConfigError
from kizuki.models.text import detect_language

__all__ = [
    "COMPARE_COLUMNS",
    "EN_LEVELS",
    "FLAG_CODES",
    "JA_LEVELS",
    "READABILITY_COLUMNS",
    "ReadabilityConfig",
    "compare_readability",
    "en_level",
    "flesch_reading_ease",
    "ja_level",
    "score_readability",
    "split_versions",
]

#: Flag codes, in the order they are listed in ``flags``.
FLAG_CODES = (
    "empty", "too_long", "too_hard", "long_sentences", "kanji_heavy", "lacks_steps",
    "language_mismatch", "unscored_language",
)  # fmt: skip
#: jreadability levels (Lee & Hasebe): lower bound of each band, hardest first. A score below
#: 0.5 is ``upper_advanced``; one of 6.5 or more is ``lower_elementary``.
JA_LEVELS = (
    (-np.inf, "upper_advanced"), (1.5, "lower_advanced"), (2.5, "upper_intermediate"),
    (3.5, "lower_intermediate"), (4.5, "upper_elementary"), (5.5, "lower_elementary"),
)  # fmt: skip
#: Flesch reading-ease bands (Flesch 1948): lower bound of each, hardest first.
EN_LEVELS = (
    (-np.inf, "very_difficult"), (30.0, "difficult"), (50.0, "fairly_difficult"),
    (60.0, "standard"), (70.0, "fairly_easy"), (80.0, "easy"), (90.0, "very_easy"),
)  # fmt: skip
#: Columns of :func:`score_readability`, in order.
READABILITY_COLUMNS = (
    "content_id", "kind", "title", "declared_language", "language", "characters", "words",
    "sentences", "mean_sentence_chars", "mean_sentence_words", "long_sentences", "kanji_ratio",
    "list_items", "instruction_sentences", "has_steps", "score", "score_kind", "level", "grade",
    "flags", "flag_details", "updated_at",
)  # fmt: skip
_COMPARED = (
    "language", "score", "level", "grade", "characters", "words", "sentences",
    "mean_sentence_chars", "mean_sentence_words", "flags", "updated_at",
)  # fmt: skip
#: Columns of :func:`compare_readability`, in order.
COMPARE_COLUMNS = (
    "content_id",
    "status",
    *(f"{c}_{side}" for c in _COMPARED for side in ("before", "after")),
    *("score_change", "characters_change", "flags_added", "flags_resolved"),
)


class ReadabilityConfig(BaseModel):
    """Thresholds of the readability flags (docs/content.md explains each default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_chars_ja: int = Field(800, ge=1, description="too long (ja): characters, no spaces")
    max_words_en: int = Field(400, ge=1, description="too long (en): words")
    min_score_ja: float = Field(2.5, description="too hard (ja): jreadability below this")
    min_flesch_en: float = Field(50.0, description="too hard (en): Flesch reading ease below")
    long_sentence_chars_ja: int = Field(60, ge=1, description="long sentence (ja): characters")
    long_sentence_words_en: int = Field(25, ge=1, description="long sentence (en): words")
    long_sentence_share: float = Field(0.2, gt=0, le=1, description="share of long sentences")
    max_kanji_ratio: float = Field(0.4, gt=0, le=1, description="kanji heavy (ja): kanji share")
    instruction_sentences: int = Field(3, ge=1, description="a procedure: instruction sentences")
    min_list_items: int = Field(2, ge=1, description="numbered steps: at least this many items")


# -- text -------------------------------------------------------------------------------------

_HTML = re.compile(r"</?(?:p|br|li|ol|ul|div|h[1-6]|span|a|strong|em|b|i|table|tr|td)\b", re.I)
_HTML_LI = re.compile(r"<\s*li\b[^>]*>", re.I)
_HTML_BREAK = re.compile(r"<\s*(?:br|/?p|/?div|/?h[1-6]|/?tr|/li|/?ol|/?ul)\b[^>]*>", re.I)
_HTML_TAG = re.compile(r"<[^>]*>")
_CIRCLED = "①-⑳❶-❿➀-➉➊-➓"
# A list item: a number with a closing mark, a circled number, a bullet, or 手順/Step N.
_LIST_MARKER = re.compile(
    rf"""^\s*(?:
        (?:\d{{1,2}}|[０-９]{{1,2}})\s?[.)．）:：、](?![\d０-９])
      | [(（](?:\d{{1,2}}|[０-９]{{1,2}})[)）]
      | [{_CIRCLED}]
      | [・･•●○■□◆◇▶▸►‣∙]
      | [-*−–—]\s
      | (?:手順|ステップ|step)\s?(?:\d{{1,2}}|[０-９]{{1,2}})\s?[.:：)）、]?
    )\s*""",
    re.I | re.X,
)
_CIRCLED_ANY = re.compile(f"[{_CIRCLED}]")
_SENTENCE_END = re.compile(r"(?<=[。！？!?．])|(?<=\.)(?=\s)")
_TERMINATORS = "。！？!?．."
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
_KANJI = re.compile("[\u3005\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_EN_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_PROCEDURE_JA = re.compile(
    "クリック|タップ|選択|選ん|押し|押す|入力|開い|開き|次に|その後|続いて|最後に"
)
_PROCEDURE_EN = re.compile(
    r"\b(?:click|tap|select|choose|enter|type|press|open|go to|navigate|then|next|finally)\b",
    re.I,
)
_JA_SKIP_POS = frozenset({"補助記号", "空白"})


@dataclass
class _Text:
    """A body as lines, list items and sentences."""

    text: str
    sentences: list[str] = field(default_factory=list)
    list_items: int = 0


def _plain_text(body: Any) -> str:
    """The body as plain text: HTML reduced to lines (``<li>`` as ``- `` items)."""
    if not isinstance(body, str):
        return ""
    text: str = body
    if _HTML.search(text):
        text = _HTML_LI.sub("\n- ", text)
        text = _HTML_BREAK.sub("\n", text)
        text = html.unescape(_HTML_TAG.sub("", text))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split(body: Any) -> _Text:
    """Sentences (NFKC) and list items of a body; list markers are counted, then dropped."""
    text = _plain_text(body)
    out = _Text(unicodedata.normalize("NFKC", text))
    circled = len(_CIRCLED_ANY.findall(text))
    for line in text.split("\n"):
        marker = _LIST_MARKER.match(line)
        if marker and marker.end() < len(line.rstrip()):
            out.list_items += 1
            line = line[marker.end() :]
        line = unicodedata.normalize("NFKC", line)
        for piece in _SENTENCE_END.split(line):
            piece = piece.strip()
            if _LETTER_OR_DIGIT.search(piece):
                out.sentences.append(piece)
    # circled numbers written inline (「①設定を開く②…」) are steps too
    out.list_items = max(out.list_items, circled)
    return out


def _chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


# -- formulas ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _japanese() -> tuple[Any, Any]:
    """jreadability's formula and a fugashi tagger on the unidic-lite dictionary inside its
    wheel (named explicitly: never a downloaded dictionary)."""
    try:
        import fugashi  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import unidic_lite  # type: ignore[import-untyped,import-not-found,unused-ignore]
        from jreadability import compute_readability  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        raise ConfigError(
            "Japanese readability needs jreadability, fugashi and unidic-lite, which are not "
            "installed; install them with: pip install 'kizuki[content]'"
        ) from exc
    dicdir = unidic_lite.DICDIR
    return compute_readability, fugashi.Tagger(f'-d "{dicdir}" -r "{dicdir}/mecabrc"')


@lru_cache(maxsize=1)
def _hyphenator() -> Any:
    try:
        import pyphen  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as exc:
        raise ConfigError(
            "English readability needs pyphen, which is not installed; "
            "install it with: pip install 'kizuki[content]'"
        ) from exc
    return pyphen.Pyphen(lang="en_US")


def _syllables(word: str) -> int:
    """Syllables of an English word: pyphen's hyphenation points + 1 (textstat's fallback)."""
    return len(_hyphenator().positions(word.lower())) + 1


def flesch_reading_ease(words: int, sentences: int, syllables: int) -> float:
    """Flesch reading ease: 206.835 − 1.015 × words/sentence − 84.6 × syllables/word.

    Examples
    --------
    >>> round(flesch_reading_ease(words=10, sentences=2, syllables=12), 2)
    100.24
    """
    if words <= 0 or sentences <= 0:
        return float("nan")
    return 206.835 - 1.015 * words / sentences - 84.6 * syllables / words


def _kincaid_grade(words: int, sentences: int, syllables: int) -> float:
    """Flesch-Kincaid grade: 0.39 × words/sentence + 11.8 × syllables/word − 15.59."""
    if words <= 0 or sentences <= 0:
        return float("nan")
    return 0.39 * words / sentences + 11.8 * syllables / words - 15.59


def _band(score: float, bands: tuple[tuple[float, str], ...]) -> str | None:
    below = [name for low, name in bands if score >= low]  # none for NaN
    return below[-1] if below else None


def ja_level(score: float) -> str | None:
    """The jreadability level of ``score`` (:data:`JA_LEVELS`), None for NaN.

    Examples
    --------
    >>> ja_level(5.1), ja_level(-3.0)
    ('upper_elementary', 'upper_advanced')
    """
    return _band(score, JA_LEVELS)


def en_level(score: float) -> str | None:
    """The Flesch band of ``score`` (:data:`EN_LEVELS`), None for NaN.

    Examples
    --------
    >>> en_level(65.0)
    'standard'
    """
    return _band(score, EN_LEVELS)


def _score_ja(t: _Text) -> dict[str, Any]:
    compute_readability, tagger = _japanese()
    # one sentence per piece we split (list items without 。 included), so the formula's
    # words-per-sentence agrees with ours; jreadability itself splits on 。？！． only
    joined = "".join(s.rstrip(_TERMINATORS) + "。" for s in t.sentences)
    words = sum(1 for w in tagger(joined) if w.feature.pos1 not in _JA_SKIP_POS)
    letters = len(_LETTER_OR_DIGIT.findall(t.text))
    score = float(compute_readability(joined, tagger))
    return {
        "words": words,
        "lengths": [],
        "kanji_ratio": len(_KANJI.findall(t.text)) / letters if letters else float("nan"),
        "score": score,
        "score_kind": "jreadability",
        "level": ja_level(score),
        "grade": float("nan"),
        "instruction_sentences": sum(1 for x in t.sentences if _PROCEDURE_JA.search(x)),
    }


def _score_en(t: _Text, *, scored: bool = True) -> dict[str, Any]:
    per_sentence = [_EN_WORD.findall(s) for s in t.sentences]
    words = sum(len(w) for w in per_sentence)
    result: dict[str, Any] = {
        "words": words,
        "lengths": [len(w) for w in per_sentence],
        "kanji_ratio": float("nan"),
        "score": float("nan"),
        "score_kind": None,
        "level": None,
        "grade": float("nan"),
        "instruction_sentences": sum(1 for x in t.sentences if _PROCEDURE_EN.search(x)),
    }
    if scored and words:
        syllables = sum(_syllables(w) for ws in per_sentence for w in ws)
        n = len(t.sentences)
        score = flesch_reading_ease(words, n, syllables)
        result.update(
            score=score,
            score_kind="flesch_reading_ease",
            level=en_level(score),
            grade=_kincaid_grade(words, n, syllables),
        )
    return result


def _language_root(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return re.split(r"[-_]", value.strip().lower())[0]


def _score_one(body: Any, declared: Any, config: ReadabilityConfig) -> dict[str, Any]:
    t = _split(body)
    root = _language_root(declared)
    flags: dict[str, str] = {}
    language = root or "und"
    if not t.sentences:
        flags["empty"] = "no text"
        m = _score_en(t, scored=False)
    else:
        detected = detect_language(t.text)
        if root is None or (root in ("ja", "en") and detected != root):
            if root is not None:
                flags["language_mismatch"] = f"declared {root}, text reads as {detected}"
            language = detected
        m = _score_ja(t) if language == "ja" else _score_en(t, scored=language == "en")
    n = len(t.sentences)
    chars = [_chars(s) for s in t.sentences]
    if language == "ja":
        long = sum(1 for c in chars if c > config.long_sentence_chars_ja)
        rule = f"{config.long_sentence_chars_ja} characters"
    else:
        long = sum(1 for w in m["lengths"] if w > config.long_sentence_words_en)
        rule = f"{config.long_sentence_words_en} words"
    row = {
        "language": language,
        "characters": _chars(t.text),
        "words": m["words"],
        "sentences": n,
        "mean_sentence_chars": sum(chars) / n if n else float("nan"),
        "mean_sentence_words": m["words"] / n if n else float("nan"),
        "long_sentences": long,
        "kanji_ratio": m["kanji_ratio"],
        "list_items": t.list_items,
        "instruction_sentences": m["instruction_sentences"],
        "has_steps": t.list_items >= config.min_list_items,
        **{k: m[k] for k in ("score", "score_kind", "level", "grade")},
    }
    if n:
        flags.update(_flags(row, rule, config))
    row["flags"] = flags
    return row


def _flags(row: dict[str, Any], long_rule: str, config: ReadabilityConfig) -> dict[str, str]:
    """The flags of a scored, non-empty body, each with the figures behind it."""
    flags: dict[str, str] = {}
    ja, language, score = row["language"] == "ja", row["language"], row["score"]
    if ja and row["characters"] > config.max_chars_ja:
        flags["too_long"] = f"{row['characters']} characters > {config.max_chars_ja}"
    elif not ja and row["words"] > config.max_words_en:
        flags["too_long"] = f"{row['words']} words > {config.max_words_en}"
    if ja and score < config.min_score_ja:
        flags["too_hard"] = f"jreadability {score:.2f} < {config.min_score_ja}"
    elif language == "en" and score < config.min_flesch_en:
        flags["too_hard"] = f"Flesch reading ease {score:.1f} < {config.min_flesch_en}"
    long, n = row["long_sentences"], row["sentences"]
    if long and long >= config.long_sentence_share * n:
        flags["long_sentences"] = f"{long} of {n} sentences > {long_rule}"
    if ja and row["kanji_ratio"] > config.max_kanji_ratio:
        flags["kanji_heavy"] = f"kanji {row['kanji_ratio']:.0%} > {config.max_kanji_ratio:.0%}"
    if row["instruction_sentences"] >= config.instruction_sentences and not row["has_steps"]:
        flags["lacks_steps"] = (
            f"{row['instruction_sentences']} sentences with action/sequence words, "
            f"{row['list_items']} list items"
        )
    if language not in ("ja", "en"):
        flags["unscored_language"] = f"no formula for language {language!r}"
    return flags


# -- tables -----------------------------------------------------------------------------------


def _frame(content: ir.Table | pd.DataFrame) -> pd.DataFrame:
    """A (small) table as pandas: of content, only the columns scoring reads."""
    if isinstance(content, ir.Table):
        wanted = ("content_id", "kind", "title", "body", "language", "updated_at")
        cols = [c for c in wanted if c in content.columns] if "body" in content.columns else []
        frame: pd.DataFrame = content.select(*(cols or content.columns)).to_pyarrow().to_pandas()
        return frame
    if isinstance(content, pd.DataFrame):
        return content
    raise ConfigError(
        f"content must be an Ibis table or a pandas DataFrame, got {type(content).__name__}"
    )


def score_readability(
    content: ir.Table | pd.DataFrame, config: ReadabilityConfig | None = None
) -> pd.DataFrame:
    """Readability of every article of the ``content`` table, with flags.

    Parameters
    ----------
    content
        The canonical ``content`` table (an Ibis table, executed here: content is small) or a
        DataFrame with at least ``content_id`` and ``body``; ``language``, ``kind``, ``title``
        and ``updated_at`` are used when present.
    config
        Flag thresholds; defaults: :class:`ReadabilityConfig`.

    Returns
    -------
    One row per ``content_id`` (sorted), columns :data:`READABILITY_COLUMNS`: ``characters``
    (non-space, NFKC), ``words`` (UniDic morphemes for Japanese), ``sentences``,
    ``mean_sentence_chars``, ``mean_sentence_words``, ``long_sentences``, ``kanji_ratio``
    (Japanese), ``list_items``, ``instruction_sentences``, ``has_steps``, ``score`` (jreadability
    for Japanese, Flesch reading ease for English: higher is easier on both), ``score_kind``,
    ``level`` (:data:`JA_LEVELS` / :data:`EN_LEVELS`), ``grade`` (Flesch-Kincaid, English),
    ``flags`` (codes of :data:`FLAG_CODES` joined with ``;``, empty when none) and
    ``flag_details`` (the figures behind each flag).

    Examples
    --------
    >>> frame = pd.DataFrame({"content_id": ["a"], "language": ["en"],
    ...                       "body": ["Open Settings. Then click Save."]})
    >>> row = score_readability(frame).iloc[0]
    >>> row["language"], int(row["sentences"]), row["level"], row["flags"]
    ('en', 2, 'very_easy', '')
    """
    config = config or ReadabilityConfig()
    frame = _frame(content)
    if "content_id" not in frame.columns or "body" not in frame.columns:
        raise ConfigError(
            f"content needs the columns content_id and body, got {list(frame.columns)}"
        )
    if frame["content_id"].duplicated().any():
        dup = frame.loc[frame["content_id"].duplicated(), "content_id"].iloc[0]
        raise ConfigError(
            f"content_id {dup!r} appears more than once; give one version per article "
            "(split_versions separates versions)"
        )
    rows = []
    for rec in frame.to_dict("records"):
        declared = rec.get("language")
        one = _score_one(rec.get("body"), declared, config)
        flags: dict[str, str] = one.pop("flags")
        codes = [c for c in FLAG_CODES if c in flags]
        rows.append(
            {
                "content_id": rec["content_id"],
                "kind": rec.get("kind"),
                "title": rec.get("title"),
                "declared_language": declared if isinstance(declared, str) else None,
                **one,
                "flags": ";".join(codes),
                "flag_details": "; ".join(f"{c}: {flags[c]}" for c in codes),
                "updated_at": rec.get("updated_at"),
            }
        )
    out = pd.DataFrame(rows, columns=list(READABILITY_COLUMNS))
    return out.sort_values("content_id", kind="stable").reset_index(drop=True)


def split_versions(versions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(previous, latest)``: each article's second-latest and latest row by ``updated_at``.

    For content versions kept side by side (several rows per ``content_id``); an article with
    one version is only in ``latest``.

    Examples
    --------
    >>> v = pd.DataFrame({"content_id": ["a", "a", "b"], "updated_at": [1, 2, 1],
    ...                   "body": ["old", "new", "only"]})
    >>> before, after = split_versions(v)
    >>> before["body"].tolist(), after["body"].tolist()
    (['old'], ['new', 'only'])
    """
    if "updated_at" not in versions.columns:
        raise ConfigError("content versions need an updated_at column to tell them apart")
    ordered = versions.sort_values(["content_id", "updated_at"], kind="stable")
    rank = ordered.groupby("content_id").cumcount(ascending=False)
    latest = ordered[rank == 0].reset_index(drop=True)
    previous = ordered[rank == 1].reset_index(drop=True)
    return previous, latest


def _scored(frame: pd.DataFrame, config: ReadabilityConfig) -> pd.DataFrame:
    """A scored table: scored now when it has ``body``, else as it is (it has ``score``)."""
    if "body" in frame.columns:
        return score_readability(frame, config)
    if "score" in frame.columns:
        return frame
    raise ConfigError(
        "compare_readability needs content (with body) or score_readability's output "
        f"(with score); got the columns {list(frame.columns)}"
    )


def _flag_set(value: Any) -> set[str]:
    return set(value.split(";")) - {""} if isinstance(value, str) else set()


def compare_readability(
    before: pd.DataFrame | ir.Table,
    after: pd.DataFrame | ir.Table,
    config: ReadabilityConfig | None = None,
) -> pd.DataFrame:
    """Readability before and after a content change, per article.

    Parameters
    ----------
    before, after
        Two versions of the content (``content_id``, ``body``, …), or two outputs of
        :func:`score_readability` (e.g. the previous run's stored result and this run's), in
        any mix. :func:`split_versions` makes the pair from a table of versions.
    config
        Flag thresholds for the versions scored here.

    Returns
    -------
    One row per ``content_id`` in either, columns :data:`COMPARE_COLUMNS`: ``status``
    (``changed``, ``unchanged``, ``new``, ``removed``), the main figures ``*_before`` and
    ``*_after``, ``score_change`` (after − before; positive is easier on both scales; NaN when
    the language changed), ``characters_change``, ``flags_added`` and ``flags_resolved``
    (``;``-joined codes).

    Examples
    --------
    >>> old = pd.DataFrame({"content_id": ["a"], "language": ["en"],
    ...     "body": ["Our comprehensive authentication infrastructure necessitates "
    ...              "administrative configuration modifications."]})
    >>> new = old.assign(body=["Ask your admin to change the login setting."])
    >>> bool(compare_readability(old, new)["score_change"].iloc[0] > 0)
    True
    """
    config = config or ReadabilityConfig()
    before, after = _frame(before), _frame(after)
    b = _scored(before, config)
    a = _scored(after, config)
    keep = ["content_id", *_COMPARED]
    b = b.reindex(columns=keep)
    a = a.reindex(columns=keep)
    merged = b.merge(a, on="content_id", how="outer", suffixes=("_before", "_after"))
    merged = merged.sort_values("content_id", kind="stable").reset_index(drop=True)
    in_b = merged["content_id"].isin(set(b["content_id"]))
    in_a = merged["content_id"].isin(set(a["content_id"]))
    same = pd.Series(True, index=merged.index)
    if "body" in before.columns and "body" in after.columns:
        # texts on both sides: the same text is unchanged, whatever it scores
        bodies = [dict(zip(f["content_id"], f["body"], strict=True)) for f in (before, after)]
        ids = merged["content_id"]
        same &= pd.Series([bodies[0].get(i) == bodies[1].get(i) for i in ids], index=ids.index)
    else:
        for c in ("language", "score", "characters", "words", "sentences", "flags"):
            x, y = merged[f"{c}_before"], merged[f"{c}_after"]
            same &= (x == y) | (x.isna() & y.isna())
    merged["status"] = np.select(
        [in_b & in_a & same, in_b & in_a, in_a], ["unchanged", "changed", "new"], "removed"
    )
    same_language = merged["language_before"] == merged["language_after"]
    change = merged["score_after"].astype(float) - merged["score_before"].astype(float)
    merged["score_change"] = change.where(same_language)
    merged["characters_change"] = merged["characters_after"].astype(float) - merged[
        "characters_before"
    ].astype(float)
    pairs = zip(merged["flags_before"], merged["flags_after"], strict=True)
    added, resolved = [], []
    for fb, fa in pairs:
        sb, sa = _flag_set(fb), _flag_set(fa)
        added.append(";".join(c for c in FLAG_CODES if c in sa - sb))
        resolved.append(";".join(c for c in FLAG_CODES if c in sb - sa))
    merged["flags_added"] = added
    merged["flags_resolved"] = resolved
    return merged[list(COMPARE_COLUMNS)]
