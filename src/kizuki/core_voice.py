"""The voice-of-the-customer methods of :class:`kizuki.core.Kizuki` (Q9): what customers say
in survey comments, contacts and brand mentions (docs/voice.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

__all__ = ["VoiceMethods"]


class VoiceMethods:
    """Methods of :class:`~kizuki.core.Kizuki` for sentiment, topics and spikes."""

    if TYPE_CHECKING:

        def result(self, name: str) -> pd.DataFrame: ...  # Kizuki's

    def voice(self) -> pd.DataFrame:
        """Every survey comment, contact and brand mention with its sentiment and intent
        (``result_voice``)."""
        return self.result("result_voice")

    def voice_daily(self) -> pd.DataFrame:
        """Texts, negative and positive ones per local day and source
        (``result_voice_daily``)."""
        return self.result("result_voice_daily")

    def voice_spikes(self) -> pd.DataFrame:
        """Days with far more texts, or far more negative ones, than the days before, with
        example texts and the incidents and friction points they line up with
        (``result_voice_spikes``; docs/voice.md, "Spikes")."""
        return self.result("result_voice_spikes")

    def voice_topics(self) -> pd.DataFrame:
        """Topics among negative survey comments and mentions that no intent covers, with
        their terms, nearest known intent and examples (``result_voice_topics``)."""
        return self.result("result_voice_topics")

    def voice_model(self) -> pd.DataFrame:
        """What read the sentiment: a model learned from the survey comments (with its
        cross-validated macro-F1) or the dictionaries (``result_voice_model``)."""
        return self.result("result_voice_model")

    def voice_summary(self) -> pd.DataFrame:
        """Per source (survey, contact, mention) and in all: texts and the shares negative and
        positive, from :meth:`voice_daily`."""
        daily = self.voice_daily()
        columns = ["source", "texts", "negative", "positive"]
        per = daily.groupby("source", as_index=False)[columns[1:]].sum()
        total = pd.DataFrame([{"source": "all", **per[columns[1:]].sum().to_dict()}])
        out = pd.concat([per, total], ignore_index=True)
        texts = out["texts"].where(out["texts"] > 0)
        out["negative_share"] = out["negative"] / texts
        out["positive_share"] = out["positive"] / texts
        return out

    def sentiment(self, texts: list[str]) -> pd.DataFrame:
        """The dictionaries' sentiment of ``texts`` (Japanese and English; nothing trained):
        ``text``, ``sentiment`` and ``polarity`` in [−1, 1]."""
        from kizuki.models.sentiment import lexicon_polarity, polarity_labels

        polarity = lexicon_polarity(list(texts))
        labels = polarity_labels(polarity)
        return pd.DataFrame({"text": list(texts), "sentiment": labels, "polarity": polarity})
