"""Topic labels: distinctive words, a phrase a person would write, and example texts.

A word scores ``p_t·log(p_t / p)`` (class-based TF-IDF in its KL form), where ``p_t`` is the
share of the topic's texts (in its majority language) that contain it and ``p`` the share of
all texts in that language. Only topic words count (:func:`~kizuki.models.topics.words.topic_words`:
no stop words, particles, request verbs such as 教える or 必要, numbers or placeholders).

The label of a Japanese topic is a phrase taken from its texts
(:func:`~kizuki.models.topics.words.noun_phrases`: ``大型ゴミの出し方``, ``パスワードを忘れる``),
scored like a word by the share of texts that hold all its words; of the phrases within half the
best score the one with the most words wins (a larger topic picks first; a phrase is used once),
written as most of the texts write it. A phrase must be in at least a quarter of the topic's
texts, and two of them: where none is, and for English, the label is the top three terms
(``ゴミ・出す・分別``, ``password / reset / forgot``). Labels are unique: a repeat of those gets
`` (2)``, `` (3)`` …
The examples are the distinct texts nearest the topic's centroid.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kizuki.models.text import detect_language
from kizuki.models.topics.words import noun_phrases, topic_terms

__all__ = ["Topic", "describe_topics"]

_PHRASE_SHARE = 0.5  # phrases within this share of the best score compete on length
_MIN_SHARE = 0.25  # a phrase label is in at least this share of the topic's texts
_MAX_PHRASES = 40  # most frequent phrases considered per topic


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
        Top words by class-based TF-IDF, best first, as the texts write them.
    label : str
        A name for people, unique among the topics: for Japanese a noun phrase of its texts
        where one fits (``大型ゴミの出し方``), else the first three terms joined (``"・"`` for
        Japanese, ``" / "`` for English). Use it as the intent name.
    examples : tuple of str
        Distinct texts nearest the centroid, nearest first.
    """

    topic_id: int
    size: int
    language: str
    terms: tuple[str, ...]
    label: str
    examples: tuple[str, ...]


def describe_topics(
    docs: Sequence[str] | None,
    vectors: NDArray[np.float64],
    labels: NDArray[np.intp],
    centers: NDArray[np.float64],
    n_terms: int,
    n_examples: int,
) -> list[Topic]:
    """One Topic per cluster: terms and label in the majority language, nearest examples."""
    k = len(centers)
    sizes = np.bincount(labels, minlength=k)
    if docs is None:
        return [Topic(i, int(sizes[i]), "", (), "", ()) for i in range(k)]
    languages = [detect_language(t) for t in docs]
    majority = []
    for i in range(k):
        votes = Counter(languages[j] for j in np.flatnonzero(labels == i))
        majority.append("ja" if votes["ja"] > votes["en"] else "en")
    terms = [topic_terms(t) for t in docs]
    words = [{w for w, _ in ts} for ts in terms]
    shown = _shown_forms(terms, labels, k)
    distinctive = _distinctive_terms(words, languages, labels, majority, n_terms)
    phrases = _phrase_labels(docs, words, languages, labels, majority)
    similarity = np.einsum("ij,ij->i", vectors, centers[labels])
    names: list[str] = []
    for i in range(k):
        fresh = [p for p in phrases[i] if p not in names]
        joiner = "・" if majority[i] == "ja" else " / "
        names.append(
            fresh[0] if fresh else joiner.join(shown[i].get(w, w) for w in distinctive[i][:3])
        )
    names = _unique(names)
    topics = []
    for i in range(k):
        members = np.flatnonzero(labels == i)
        examples: list[str] = []
        for j in members[np.argsort(-similarity[members], kind="stable")]:
            if docs[j] not in examples:
                examples.append(docs[j])
            if len(examples) == n_examples:
                break
        display = tuple(shown[i].get(w, w) for w in distinctive[i])
        topics.append(Topic(i, int(sizes[i]), majority[i], display, names[i], tuple(examples)))
    return topics


def _shown_forms(
    terms: Sequence[Sequence[tuple[str, str]]], labels: NDArray[np.intp], k: int
) -> list[dict[str, str]]:
    """Per topic, each word's most common written form there (ties: the shorter, then first)."""
    counts: list[defaultdict[str, Counter[str]]] = [defaultdict(Counter) for _ in range(k)]
    for j, ts in enumerate(terms):
        for word, form in ts:
            counts[int(labels[j])][word][form] += 1
    return [
        {w: min(c, key=lambda f: (-c[f], len(f), f)) for w, c in topic.items()} for topic in counts
    ]


def _distinctive_terms(
    words: Sequence[set[str]],
    languages: Sequence[str],
    labels: NDArray[np.intp],
    majority: Sequence[str],
    n_terms: int,
) -> list[tuple[str, ...]]:
    """Top words per topic by class-based TF-IDF in KL form, ties broken alphabetically.

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


def _phrase_labels(
    docs: Sequence[str],
    words: Sequence[set[str]],
    languages: Sequence[str],
    labels: NDArray[np.intp],
    majority: Sequence[str],
) -> list[list[str]]:
    """Candidate phrase labels per Japanese topic, best first (see the module docstring)."""
    ja = [j for j, lang in enumerate(languages) if lang == "ja"]
    holders: defaultdict[str, set[int]] = defaultdict(set)  # word -> Japanese texts with it
    for j in ja:
        for w in words[j]:
            holders[w].add(j)
    out: list[list[str]] = []
    for topic, lang in enumerate(majority):
        members = [j for j in np.flatnonzero(labels == topic).tolist() if languages[j] == "ja"]
        if lang != "ja" or not members:
            out.append([])
            continue
        forms: defaultdict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for j in members:
            for surface, key in noun_phrases(docs[j]):
                forms[tuple(sorted(set(key)))][surface] += 1
        common = sorted(forms, key=lambda key: (-forms[key].total(), key))[:_MAX_PHRASES]
        member_set = set(members)
        scored = []
        for key in common:
            having = set.intersection(*(holders[w] for w in key))
            inside = len(having & member_set)
            if inside < 2 or inside < _MIN_SHARE * len(members):
                continue
            p_topic, p_all = inside / len(members), len(having) / len(ja)
            scored.append((p_topic * math.log(p_topic / p_all), key))
        best = max((s for s, _ in scored), default=0.0)
        near = [(len(key), s, key) for s, key in scored if s > 0 and s >= _PHRASE_SHARE * best]
        near.sort(key=lambda c: (-c[0], -c[1]))  # stable: equals keep the commoner first
        out.append(
            [min(forms[key], key=lambda f: (-forms[key][f], len(f), f)) for _, _, key in near]
        )
    return out


def _unique(names: Sequence[str]) -> list[str]:
    """``names`` with repeats numbered: the second ``x`` becomes ``x (2)``."""
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
