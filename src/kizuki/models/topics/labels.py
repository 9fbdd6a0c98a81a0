"""Topic labels: content words, class-based TF-IDF terms in each topic's language, examples.

A word scores ``p_t·log(p_t / p)`` (class-based TF-IDF in its KL form), where ``p_t`` is the
share of the topic's texts (in its majority language) that contain it and ``p`` the share of
all texts in that language. Only *content words* count: English stop words (scikit-learn's
list) and Japanese particles, auxiliaries and politeness boilerplate (:data:`JA_STOP_WORDS`,
plus any hiragana-only word of one or two characters) are left out, as are numbers. The label is
the top three terms; the examples are the distinct texts nearest the topic's centroid.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from kizuki.models.text import detect_language, tokenize

__all__ = ["JA_STOP_WORDS", "Topic", "content_words", "describe_topics"]

#: Japanese words (Sudachi normalised forms) that never label a topic: particles and auxiliaries
#: longer than two kana, light verbs, honorific prefixes and the boilerplate of polite inquiries.
_JA_STOP_LIST = """
御 御世話 世話 成る おる 居る 為る 有る 在る 頂く 戴く 致す 下さる 宜しい 宜しく 願う 御願い 幸い
手数 掛ける かける 此れ 其れ 彼れ 何 如何 どう いつも 申す 存じる 思う 事 物 様 為 方 件 所 仕舞う
てる ござる 御座る 貰う 呉れる 遣る 言う 出来る 良い 下さい ください です ます ない ので から まで
より けど けれど など
"""
JA_STOP_WORDS = frozenset(_JA_STOP_LIST.split())
_HIRAGANA_ONLY = re.compile("^[\u3041-\u3096ー]{1,2}$")
_HAS_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Topic:
    """One discovered topic.

    Attributes
    ----------
    topic_id : int
        The cluster label in ``labels_`` (0 … n_topics-1, largest topic first).
    size : int
        Texts in the topic.
    language : str
        ``"ja"`` or ``"en"``: the majority language of its texts, the language of ``terms``.
    terms : tuple of str
        Top words by class-based TF-IDF, best first.
    label : str
        The first three terms joined (``"・"`` for Japanese, ``" / "`` for English).
    examples : tuple of str
        Distinct texts nearest the centroid, nearest first.
    """

    topic_id: int
    size: int
    language: str
    terms: tuple[str, ...]
    label: str
    examples: tuple[str, ...]


def content_words(text: str) -> list[str]:
    """Words of ``text`` that can carry a topic (stop words, numbers and particles removed)."""
    stop = _english_stop_words()
    return [
        w
        for w in tokenize(text)
        if len(w) > 1 or not w.isascii()
        if w not in stop
        and w not in JA_STOP_WORDS
        and not _HIRAGANA_ONLY.match(w)
        and _HAS_LETTER.search(w)
    ]


@lru_cache(maxsize=1)
def _english_stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    contractions = {"can't", "don't", "i'm", "it's", "i've", "won't", "doesn't", "didn't"}
    return frozenset(ENGLISH_STOP_WORDS) | contractions


def describe_topics(
    docs: Sequence[str] | None,
    vectors: NDArray[np.float64],
    labels: NDArray[np.intp],
    centers: NDArray[np.float64],
    n_terms: int,
    n_examples: int,
) -> list[Topic]:
    """One Topic per cluster: c-TF-IDF terms in the majority language, nearest examples."""
    k = len(centers)
    sizes = np.bincount(labels, minlength=k)
    if docs is None:
        return [Topic(i, int(sizes[i]), "", (), "", ()) for i in range(k)]
    languages = [detect_language(t) for t in docs]
    majority = []
    for i in range(k):
        votes = Counter(languages[j] for j in np.flatnonzero(labels == i))
        majority.append("ja" if votes["ja"] > votes["en"] else "en")
    words = [set(content_words(t)) for t in docs]
    terms = _distinctive_terms(words, languages, labels, majority, n_terms)
    similarity = np.einsum("ij,ij->i", vectors, centers[labels])
    topics = []
    for i in range(k):
        members = np.flatnonzero(labels == i)
        examples: list[str] = []
        for j in members[np.argsort(-similarity[members], kind="stable")]:
            if docs[j] not in examples:
                examples.append(docs[j])
            if len(examples) == n_examples:
                break
        joiner = "・" if majority[i] == "ja" else " / "
        label = joiner.join(terms[i][:3])
        topics.append(Topic(i, int(sizes[i]), majority[i], terms[i], label, tuple(examples)))
    return topics


def _distinctive_terms(
    words: Sequence[set[str]],
    languages: Sequence[str],
    labels: NDArray[np.intp],
    majority: Sequence[str],
    n_terms: int,
) -> list[tuple[str, ...]]:
    """Top terms per topic by class-based TF-IDF in KL form, ties broken alphabetically.

    A word scores ``p_t · log(p_t / p)``: ``p_t`` is the share of the topic's texts (in its
    majority language) that contain it, ``p`` the share of all texts in that language.
    """
    corpus: dict[str, Counter[str]] = {"ja": Counter(), "en": Counter()}
    n_docs: Counter[str] = Counter(languages)
    per_topic: list[Counter[str]] = [Counter() for _ in majority]
    topic_docs: Counter[int] = Counter()
    for j, ws in enumerate(words):
        corpus[languages[j]].update(ws)
        topic = int(labels[j])
        if languages[j] == majority[topic]:
            per_topic[topic].update(ws)
            topic_docs[topic] += 1
    out = []
    for topic, counts in enumerate(per_topic):
        lang = majority[topic]
        size = topic_docs[topic] or 1
        scored = []
        for w, f in counts.items():
            p_topic, p_all = f / size, corpus[lang][w] / n_docs[lang]
            scored.append((-p_topic * math.log(p_topic / p_all), w))
        scored.sort()
        out.append(tuple(w for _, w in scored[:n_terms]))
    return out
