"""Topic labels: top words in the topic's language, without particles or boilerplate."""

from __future__ import annotations

import numpy as np

from kizuki.models.topics import IntentDiscoverer


def test_labels_carry_the_topic_words_in_the_text_language(
    ja_sentences: tuple[list[str], np.ndarray], en_sentences: tuple[list[str], np.ndarray]
) -> None:
    texts, truth = ja_sentences
    en_texts, en_truth = en_sentences
    model = IntentDiscoverer(n_topics=7, embedding="tfidf", random_state=0)
    labels = model.fit_predict(texts + en_texts)
    expected = {0: "パスワード", 1: "請求書", 2: "解約"}  # the planted Japanese topics
    for planted_id, word in expected.items():
        topic = model.topics_[int(np.bincount(labels[: len(texts)][truth == planted_id]).argmax())]
        assert topic.language == "ja"
        assert topic.terms[0] == word
        assert word in topic.label
        assert all(word in example for example in topic.examples)
    for planted_id, name in enumerate(["password", "refund", "invoice", "cancel"]):
        found = labels[len(texts) :][en_truth == planted_id]
        topic = model.topics_[int(np.bincount(found).argmax())]
        assert topic.language == "en"
        assert name in topic.terms[:2]
        assert not {"my", "the", "please"} & set(topic.terms)


def test_japanese_labels_leave_out_particles_and_boilerplate(
    ja_sentences: tuple[list[str], np.ndarray],
) -> None:
    texts, _ = ja_sentences
    model = IntentDiscoverer(n_topics=3, embedding="tfidf", random_state=0).fit(texts)
    words = {w for topic in model.topics_ for w in topic.terms}
    assert not words & {"を", "が", "の", "ます", "です", "御世話", "成る", "願う", "致す"}
