"""Topics of complaint no intent covers (docs/voice.md, "Topics"): the negative survey comments
and mentions the intent model gave no intent, grouped by the topic discoverer
(:func:`kizuki.models.topics.propose_new_topics`), each named by its terms and the known intent
it is nearest to."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from kizuki.analytics.voice import VoiceConfig

__all__ = ["TOPIC_COLUMNS", "voice_topics"]

TOPIC_COLUMNS = (
    "topic_id", "texts", "sources", "language", "label", "terms", "nearest_intent",
    "similarity", "examples", "first_seen", "last_seen",
)  # fmt: skip
_EXAMPLE_CHARS = 200


def voice_topics(
    scored: pd.DataFrame, known: dict[str, list[str]], config: VoiceConfig, *, seed: int
) -> pd.DataFrame:
    """Topics among negative survey comments and mentions without an intent, largest first.

    ``scored``: :func:`~kizuki.analytics.voice.score_sentiment` rows; ``known``: example texts
    of each known intent (so a topic names its nearest). Empty below
    ``config.min_topic_texts`` such texts."""
    from kizuki.models.topics import IntentDiscoverer, propose_new_topics

    min_texts, min_size, n_examples = config.min_topic_texts, config.min_topic_size, config.examples
    texts = scored[
        (scored["sentiment"] == "negative")
        & (scored["source"] != "contact")  # contacts' own new topics: result_new_topics
        & scored["intent"].isna()
    ].reset_index(drop=True)
    if len(texts) < min_texts:
        return pd.DataFrame(columns=list(TOPIC_COLUMNS))
    proposals = propose_new_topics(
        texts["text"].tolist(),
        known or None,
        discoverer=IntentDiscoverer(random_state=seed),
        min_size=min_size,
    )
    rows: list[dict[str, Any]] = []
    for p in proposals:
        members = texts.iloc[list(p.members)]
        examples = members["text"].astype(str).drop_duplicates().head(n_examples)
        rows.append(
            {
                "topic_id": f"voice_{p.topic.topic_id}",
                "texts": len(members),
                "sources": json.dumps(sorted(set(members["source"]))),
                "language": p.topic.language,
                "label": p.topic.label,
                "terms": json.dumps(list(p.topic.terms), ensure_ascii=False),
                "nearest_intent": p.nearest_intent,
                "similarity": p.similarity,
                "examples": json.dumps([t[:_EXAMPLE_CHARS] for t in examples], ensure_ascii=False),
                "first_seen": members["ts"].min(),
                "last_seen": members["ts"].max(),
            }
        )
    return pd.DataFrame(rows, columns=list(TOPIC_COLUMNS))
