"""propose_new_topics: texts that fit no known intent become worded proposals."""

from __future__ import annotations

import numpy as np
import pytest

from kizuki.errors import ConfigError
from kizuki.models.topics import IntentDiscoverer, propose_new_topics


def test_proposals_describe_new_topics_and_their_nearest_known_intent(
    ja_keyword_texts: tuple[list[str], np.ndarray],
) -> None:
    texts, truth = ja_keyword_texts
    known = {"password_reset": [t for t, y in zip(texts, truth, strict=True) if y == 0]}
    unknown = [t for t, y in zip(texts, truth, strict=True) if y > 0]
    proposals = propose_new_topics(
        unknown,
        known,
        discoverer=IntentDiscoverer(embedding="tfidf", random_state=0),
        min_size=3,
    )
    assert [p.topic.size for p in proposals] == [10, 10]
    assert {p.topic.language for p in proposals} == {"ja"}
    assert {"請求書", "解約"} <= {w for p in proposals for w in p.topic.terms}
    for p in proposals:
        assert p.nearest_intent == "password_reset"
        assert p.similarity is not None and -1.0 <= p.similarity < 0.9
        assert p.description_en.startswith("These 10 contacts fit no known intent")
        assert p.topic.label in p.description_en and p.topic.label in p.description_ja
        assert "10件" in p.description_ja and "password_reset" in p.description_ja
    no_known = propose_new_topics(unknown, discoverer=IntentDiscoverer(2, embedding="tfidf"))
    assert no_known[0].nearest_intent is None and "close to" not in no_known[0].description_en
    assert (
        propose_new_topics(unknown, min_size=11, discoverer=IntentDiscoverer(2, embedding="tfidf"))
        == []
    )
    with pytest.raises(ConfigError, match="min_size"):
        propose_new_topics(unknown, min_size=0)
