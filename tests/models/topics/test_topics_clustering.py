"""Clustering and the choice of the number of topics, on planted topics."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from kizuki.models.topics import IntentDiscoverer, Topic


@pytest.mark.parametrize(
    ("k_rule", "clustering"),
    [("consensus", "auto"), ("bic", "ward"), ("bic", "kmeans")],
    ids=["consensus", "bic-ward", "bic-kmeans"],
)
def test_chooses_the_planted_number_of_topics_on_clean_data(
    clean_keyword_texts: tuple[list[str], np.ndarray], k_rule: str, clustering: str
) -> None:
    texts, truth = clean_keyword_texts
    n_planted = len(set(truth.tolist()))
    model = IntentDiscoverer(
        embedding="tfidf", clustering=clustering, k_rule=k_rule, random_state=0
    ).fit(texts)
    assert model.k_rule_ == k_rule
    assert model.n_topics_ == n_planted
    if k_rule == "bic":
        assert min(model.bic_, key=model.bic_.__getitem__) == n_planted
    assert adjusted_rand_score(truth, model.labels_) == 1.0


@pytest.mark.parametrize("clustering", ["ward", "kmeans"])
def test_recovers_planted_topics_in_sentences(
    sentences: tuple[list[str], np.ndarray], clustering: str
) -> None:
    texts, truth = sentences
    model = IntentDiscoverer(
        n_topics=len(set(truth.tolist())),
        embedding="tfidf",
        clustering=clustering,
        random_state=0,
    ).fit(texts)
    assert adjusted_rand_score(truth, model.labels_) > 0.9


def test_topics_are_numbered_by_size_and_describe_every_text(
    en_sentences: tuple[list[str], np.ndarray],
) -> None:
    texts, _ = en_sentences
    texts = texts + ["I forgot my password again"] * 3
    model = IntentDiscoverer(n_topics=4, embedding="tfidf", n_examples=2, random_state=0)
    model.fit(texts)
    sizes = [t.size for t in model.topics_]
    assert sizes == sorted(sizes, reverse=True)
    assert sum(sizes) == len(texts)
    assert [t.topic_id for t in model.topics_] == [0, 1, 2, 3]
    assert all(isinstance(t, Topic) and len(t.examples) == 2 for t in model.topics_)
    assert len(set(model.topics_[0].examples)) == 2  # duplicates are shown once
    assert set(np.unique(model.labels_)) == {0, 1, 2, 3}
