"""Sentiment of customers' texts in Japanese and English (docs/voice.md).

:func:`lexicon_labels` reads polarity from dictionaries with nothing to train (VADER for
English, Kizuki's lexicon for Japanese); :class:`SentimentClassifier` learns a team's own
labels on top of them.
"""

from kizuki.models.sentiment.classifier import SentimentClassifier
from kizuki.models.sentiment.lexicon import (
    LABELS,
    lexicon_features,
    lexicon_labels,
    lexicon_polarity,
    polarity_labels,
)

__all__ = [
    "LABELS",
    "SentimentClassifier",
    "lexicon_features",
    "lexicon_labels",
    "lexicon_polarity",
    "polarity_labels",
]
