"""New topics for the intent taxonomy: discovered among texts that fit no known intent.

:func:`propose_new_topics` clusters the contacts a classifier put out of scope with an
:class:`~kizuki.models.topics.IntentDiscoverer` and words every large enough topic as a proposal
for a person to review: its size, label and an example in Japanese and English, and the known
intent it is closest to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from kizuki.errors import ConfigError
from kizuki.models.topics.discoverer import IntentDiscoverer, check_texts
from kizuki.models.topics.embedding import unit_rows
from kizuki.models.topics.labels import Topic

__all__ = ["TopicProposal", "propose_new_topics"]

_DESCRIPTIONS = {
    "en": (
        "These {n} contacts fit no known intent: they look like one new topic about "
        "“{label}” (e.g. “{example}”)."
    ),
    "ja": (
        "既知のどのインテントにも当てはまらない問い合わせが{n}件あります。"
        "「{label}」に関する新しいトピックのようです（例:「{example}」）。"
    ),
}
_NEAREST = {
    "en": " It is close to the known intent {intent} (cosine similarity {similarity:.2f}).",
    "ja": " 既知のインテント {intent} に近いトピックです（コサイン類似度 {similarity:.2f}）。",
}


@dataclass(frozen=True)
class TopicProposal:
    """A topic found among texts that fit no known intent, worded for a person to review.

    Attributes
    ----------
    topic : Topic
        The discovered topic.
    nearest_intent : str or None
        The known intent whose centroid is most similar, if known intents were given.
    similarity : float or None
        Cosine similarity between the topic's centroid and that intent's centroid.
    description_ja, description_en : str
        One line for people: how many contacts, what they look like, an example.
    members : tuple of int
        Positions in the given texts of the topic's texts.
    """

    topic: Topic
    nearest_intent: str | None
    similarity: float | None
    description_ja: str
    description_en: str
    members: tuple[int, ...] = ()


def propose_new_topics(
    texts: Sequence[str],
    known_intents: Mapping[str, Sequence[str]] | None = None,
    *,
    discoverer: IntentDiscoverer | None = None,
    min_size: int = 5,
) -> list[TopicProposal]:
    """Group texts that fit no known intent into proposed new topics, largest first.

    Parameters
    ----------
    texts : sequence of str
        Contacts a classifier marked out of scope (or that have no intent), e.g.
        ``[t for t, p in zip(texts, classifier.predict(texts)) if p == out_of_scope_label]``.
    known_intents : mapping of str to sequence of str, optional
        Example texts of each known intent; each proposal then names its nearest known intent
        (centroid cosine similarity in the discoverer's embedding space).
    discoverer : IntentDiscoverer, optional
        Settings to use (cloned, then fitted on ``texts``); default ``IntentDiscoverer()``.
    min_size : int
        Topics with fewer texts are not proposed.

    Returns
    -------
    list of TopicProposal

    Examples
    --------
    >>> oos = ["how do I export to csv", "export data as csv please"] * 3
    >>> [p.topic.size for p in propose_new_topics(oos, min_size=2)]  # doctest: +SKIP
    [6]
    """
    if min_size < 1:
        raise ConfigError(f"min_size must be at least 1, got {min_size}")
    docs = check_texts(texts, "texts")
    model = clone(discoverer) if discoverer is not None else IntentDiscoverer()
    if model.embedding == "precomputed":
        raise ConfigError("propose_new_topics embeds texts itself; use a non-precomputed embedding")
    model.fit(docs)
    names: list[str] = []
    intent_centers = np.zeros((0, model.cluster_centers_.shape[1]))
    if known_intents:
        names = list(known_intents)
        intent_centers = np.vstack(
            [unit_rows(model.embed(list(known_intents[n])).sum(0, keepdims=True)) for n in names]
        )
    proposals = []
    for topic in model.topics_:
        if topic.size < min_size:
            continue
        nearest: str | None = None
        similarity: float | None = None
        if names:
            sims = intent_centers @ model.cluster_centers_[topic.topic_id]
            best = int(np.argmax(sims))
            nearest, similarity = names[best], float(sims[best])
        descriptions = {
            lang: _describe_proposal(lang, topic, nearest, similarity) for lang in ("ja", "en")
        }
        members = tuple(int(i) for i in np.flatnonzero(model.labels_ == topic.topic_id))
        proposals.append(
            TopicProposal(
                topic, nearest, similarity, descriptions["ja"], descriptions["en"], members
            )
        )
    return proposals


def _describe_proposal(
    lang: str, topic: Topic, nearest: str | None, similarity: float | None
) -> str:
    example = " ".join(topic.examples[0].split()) if topic.examples else ""
    if len(example) > 60:
        example = example[:59] + "…"
    label = topic.label or "?"
    text = _DESCRIPTIONS[lang].format(n=f"{topic.size:,}", label=label, example=example)
    if nearest is not None and similarity is not None:
        text += _NEAREST[lang].format(intent=nearest, similarity=similarity)
    return text
