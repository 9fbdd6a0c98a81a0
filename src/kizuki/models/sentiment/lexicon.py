"""Sentiment from dictionaries, with nothing to train: VADER for English, Kizuki's lexicon for
Japanese.

- English: VADER (Hutto & Gilbert 2014; the ``vaderSentiment`` package, MIT, lexicon inside
  the wheel), which handles negation, intensifiers, capitals, punctuation and emoji; a few
  words of support conversations it lacks are added (:data:`EN_ADDITIONS`).
- Japanese: ``ja_lexicon.tsv`` (written for Kizuki): terms matched longest first after NFKC
  and folding katakana to hiragana; a negation right after a term (ない, ません, なく, ず …)
  flips its sign, so 「使いやすくない」 is negative and 「問題なく使えました」 positive.

:func:`lexicon_features` gives six numbers per text (VADER's compound, positive and negative
shares; the Japanese positive and negative sums and their squashed difference): the zero-shot
label of :func:`lexicon_labels` and a feature block of the trained
:class:`~kizuki.models.sentiment.SentimentClassifier`. Both languages are scored on every
text and added: VADER finds nothing in Japanese but emoji, the Japanese lexicon nothing in
English.

Examples
--------
>>> lexicon_labels(["とても使いやすいです", "使いにくいし遅い", "Thanks, that fixed it!",
...                 "My flight was cancelled again. Worst airline.", "注文番号を教えてください"])
['positive', 'negative', 'positive', 'negative', 'neutral']
"""

from __future__ import annotations

import functools
import math
import re
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kizuki.models.text import fold_kana, normalize

__all__ = [
    "EN_ADDITIONS",
    "FEATURE_NAMES",
    "LABELS",
    "NEUTRAL_BAND",
    "ja_scores",
    "lexicon_features",
    "lexicon_labels",
    "lexicon_polarity",
    "polarity_labels",
]

#: The three labels, in the order of every probability column.
LABELS = ("negative", "neutral", "positive")
FEATURE_NAMES = (
    "en_compound",
    "en_positive",
    "en_negative",
    "ja_positive",
    "ja_negative",
    "ja_net",
)
#: Polarity within ±this is neutral (VADER's authors' threshold for its compound score).
NEUTRAL_BAND = 0.05
#: Words of support conversations VADER's lexicon lacks (valence on its −4 … +4 scale).
EN_ADDITIONS: dict[str, float] = {
    "canceled": -1.0,
    "crashed": -1.7,
    "crashes": -1.7,
    "bug": -1.5,
    "buggy": -1.8,
    "outage": -2.0,
    "glitch": -1.3,
    "unhelpful": -1.8,
    "unresolved": -1.2,
    "fixed": 1.0,
    "refunded": 0.8,
    "late": -1.0,
    "delays": -1.3,
    "rebooked": -0.3,
    "overcharged": -2.0,
}
_NEGATION = re.compile(r"[^。、！？!?,.\n]{0,3}?(?:ない|なかっ|ません|なく|ず(?:に|、|。|$))")


@functools.cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(EN_ADDITIONS)
    return analyzer


@functools.cache
def _ja_lexicon() -> tuple[re.Pattern[str], dict[str, float]]:
    text = resources.files("kizuki.models.sentiment").joinpath("ja_lexicon.tsv")
    weights: dict[str, float] = {}
    for line in text.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, weight = line.split("\t")
        weights[fold_kana(normalize(term))] = float(weight)
    terms = sorted(weights, key=lambda t: (-len(t), t))
    return re.compile("|".join(re.escape(t) for t in terms)), weights


def ja_scores(text: str) -> tuple[float, float]:
    """The positive and negative sums of the Japanese lexicon's terms in ``text`` (both ≥ 0),
    a term's sign flipped by a negation right after it."""
    pattern, weights = _ja_lexicon()
    folded = fold_kana(normalize(text))
    positive = negative = 0.0
    for match in pattern.finditer(folded):
        weight = weights[match.group()]
        if _NEGATION.match(folded, match.end()):
            weight = -weight
        if weight > 0:
            positive += weight
        else:
            negative -= weight
    return positive, negative


def _squash(score: float, alpha: float = 4.0) -> float:
    """A sum of weights squashed into (−1, 1), as VADER squashes its own."""
    return score / math.sqrt(score * score + alpha)


def lexicon_features(texts: list[str]) -> NDArray[np.float64]:
    """Per text, the six numbers of :data:`FEATURE_NAMES`."""
    vader = _vader()
    out = np.zeros((len(texts), len(FEATURE_NAMES)), dtype=np.float64)
    for i, text in enumerate(texts):
        if not text or not text.strip():
            continue
        en = vader.polarity_scores(text)
        positive, negative = ja_scores(text)
        out[i] = (
            en["compound"],
            en["pos"],
            en["neg"],
            positive,
            negative,
            _squash(positive - negative),
        )
    return out


def lexicon_polarity(texts: list[str]) -> NDArray[np.float64]:
    """Polarity in [−1, 1] per text: VADER's compound plus the squashed Japanese score."""
    features = lexicon_features(texts)
    return np.clip(features[:, 0] + features[:, 5], -1.0, 1.0)


def polarity_labels(polarity: NDArray[np.float64], band: float = NEUTRAL_BAND) -> list[str]:
    """``negative`` at or below ``-band``, ``positive`` at or above ``band``, else ``neutral``."""
    return [
        "negative" if p <= -band else "positive" if p >= band else "neutral"
        for p in polarity.tolist()
    ]


def lexicon_labels(texts: list[str], band: float = NEUTRAL_BAND) -> list[str]:
    """``negative``, ``neutral`` or ``positive`` per text from :func:`lexicon_polarity`."""
    return polarity_labels(lexicon_polarity(texts), band)
