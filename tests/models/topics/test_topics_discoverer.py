"""IntentDiscoverer: fitting, predicting, input checks and the scikit-learn contract."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from kizuki.errors import ConfigError, NotFittedError
from kizuki.models.topics import IntentDiscoverer


def test_predict_assigns_new_texts_to_the_nearest_topic(
    en_sentences: tuple[list[str], np.ndarray],
) -> None:
    texts, _ = en_sentences
    model = IntentDiscoverer(n_topics=4, embedding="tfidf", random_state=0).fit(texts)
    new = ["refund for my order please", "reset password", "cancel subscription now"]
    predicted = model.predict(new)
    expected = [model.labels_[texts.index(t)] for t in (texts[12], texts[0], texts[36])]
    assert list(predicted) == expected
    distances = model.transform(new)
    assert distances.shape == (3, 4)
    assert list(distances.argmin(axis=1)) == list(predicted)
    assert model.predict([]).shape == (0,)


def test_same_seed_same_topics_and_fit_is_repeatable(
    en_sentences: tuple[list[str], np.ndarray],
) -> None:
    texts, _ = en_sentences
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
def test_bad_parameters_are_refused(
    params: dict[str, object], message: str, en_sentences: tuple[list[str], np.ndarray]
) -> None:
    texts, _ = en_sentences
    with pytest.raises(ConfigError, match=message):
        IntentDiscoverer(**{"embedding": "tfidf", **params}).fit(texts)  # type: ignore[arg-type]


def test_predict_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        IntentDiscoverer().predict(["hello"])


def test_precomputed_embeddings_with_texts_give_labels(
    en_sentences: tuple[list[str], np.ndarray],
) -> None:
    texts, truth = en_sentences
    noise = 0.05 * np.random.default_rng(0).normal(size=(len(truth), 20))
    vectors = np.hstack([np.eye(4)[truth], noise])
    model = IntentDiscoverer(embedding="precomputed", random_state=0)
    model.fit(vectors, texts=texts)
    assert model.n_topics_ == 4
    assert adjusted_rand_score(truth, model.labels_) == 1.0
    assert {t.terms[0] for t in model.topics_} == {"password", "refund", "invoice", "cancel"}
    with pytest.raises(ConfigError, match="one text per row"):
        model.fit(vectors, texts=texts[:-1])


# Text input cannot go through scikit-learn's numeric checks (they skip string-input
# estimators); the "precomputed" mode takes a numeric array and runs all of them.
AUTO_K_REASON = (
    "choosing k: check_clustering's 50 two-dimensional blobs become points on the unit circle "
    "(rows are L2-normalised), an arc that the BIC-like criterion splits into many topics "
    "(the consensus rule passes)"
)


def expected_failures(estimator: IntentDiscoverer) -> dict[str, str]:
    """The clustering-quality checks do not apply when the BIC-like rule chooses k."""
    if estimator.n_topics is not None or estimator.k_rule == "consensus":
        return {}
    return {"check_clustering": AUTO_K_REASON}


@parametrize_with_checks(
    [
        IntentDiscoverer(embedding="precomputed", n_topics=3, random_state=0),
        IntentDiscoverer(embedding="precomputed", n_topics=3, clustering="kmeans", random_state=0),
        IntentDiscoverer(embedding="precomputed", clustering="kmeans", random_state=0),
        IntentDiscoverer(embedding="precomputed", k_rule="consensus", random_state=0),
    ],
    expected_failed_checks=expected_failures,
)
def test_sklearn_contract_on_precomputed_embeddings(estimator: object, check: object) -> None:
    check(estimator)  # type: ignore[operator]
