"""IntentDiscoverer: group unlabelled inquiry texts into topics with readable labels.

It embeds texts (:mod:`~kizuki.models.topics.embedding`), clusters the unit-length vectors and
chooses their number (:mod:`~kizuki.models.topics.clustering`), and describes each cluster
with a label, its top words and nearest examples (:mod:`~kizuki.models.topics.labels`).

Reproducible: every random step (the SVD of LSA, k-means starts, the consensus partitions, the
sample that chooses k) draws from one generator seeded by ``random_state`` (default 0), so the
same texts, parameters and Kizuki version give the same topics in every process.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin

from kizuki.errors import ConfigError
from kizuki.models.base import check_fitted, refuse_single_text
from kizuki.models.topics.clustering import (
    CLUSTERINGS,
    DEFAULT_PENALTY,
    K_RULES,
    Clustering,
    KRule,
    centroids,
    cluster,
)
from kizuki.models.topics.embedding import (
    EMBEDDINGS,
    Embedding,
    Lsa,
    embed,
    resolve_embedding,
    unit_rows,
)
from kizuki.models.topics.labels import describe_topics

__all__ = ["IntentDiscoverer", "check_texts"]


class IntentDiscoverer(ClusterMixin, TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Group unlabelled texts into topics and label each with its top words and examples.

    Parameters
    ----------
    n_topics : int or None
        Number of topics; None chooses it by ``k_rule``
        (see :mod:`~kizuki.models.topics.clustering`).
    embedding : {"auto", "tfidf", "minilm", "minilm+tfidf", "precomputed"}
        How texts become vectors; "precomputed" takes a 2-D array of embeddings as ``X``.
    clustering : {"auto", "ward", "kmeans"}
        "auto" is Ward up to 10,000 texts, k-means above.
    min_topics, max_topics : int, int or None
        The range searched when ``n_topics`` is None; ``max_topics=None`` means
        ``min(200, n_texts // 3)``.
    n_terms : int
        Terms kept per topic.
    n_examples : int
        Example texts kept per topic.
    k_rule : {"auto", "consensus", "bic"}
        How ``n_topics=None`` chooses the number of topics: "consensus" (groups that k-means
        partitions at several k keep together) or "bic" (a BIC-like criterion on Ward or
        k-means). "auto": "consensus" for LSA vectors ("tfidf"), "bic" for sentence embeddings
        ("minilm", "minilm+tfidf", "precomputed"), each the better on the bench's data.
    penalty : float
        Weight of the per-topic term of the "bic" criterion (larger: fewer topics).
    lsa_components : int
        Dimensions of the LSA embedding (fewer when there are fewer texts or words).
    random_state : int, numpy Generator or None
        Seeds every random step: the SVD, k-means starts, the consensus partitions and the
        sample that chooses k. The default 0 makes runs repeatable; None draws fresh entropy.

    Attributes
    ----------
    labels_ : ndarray of int, shape (n_texts,)
        Topic of each text (no -1: every text gets a topic).
    topics_ : list of Topic
        One per topic, ``topics_[i].topic_id == i``, largest first.
    n_topics_ : int
        Number of topics found.
    cluster_centers_ : ndarray of shape (n_topics, n_dims)
        Unit-length centroids in the embedding space.
    embedding_ : str
        The embedding used ("auto" resolved).
    k_rule_ : str
        The rule that chose the number of topics ("auto" resolved), or "given".
    bic_ : dict of int to float
        The "bic" criterion for each k tried (empty unless that rule chose k).

    Examples
    --------
    >>> texts = ["reset my password", "forgot password", "password reset link",
    ...          "refund my order", "order refund please", "refund not received"]
    >>> model = IntentDiscoverer(n_topics=2, embedding="tfidf", random_state=0).fit(texts)
    >>> model.labels_.tolist()
    [0, 0, 0, 1, 1, 1]
    >>> model.topics_[0].label
    'password / reset / forgot'
    >>> model.predict(["I forgot my password"]).tolist()
    [0]
    >>> model.intent_labels()[:2]
    ['password / reset / forgot', 'password / reset / forgot']
    """

    def __init__(
        self,
        n_topics: int | None = None,
        *,
        embedding: Embedding = "auto",
        clustering: Clustering = "auto",
        min_topics: int = 2,
        max_topics: int | None = None,
        n_terms: int = 5,
        n_examples: int = 3,
        k_rule: KRule = "auto",
        penalty: float = DEFAULT_PENALTY,
        lsa_components: int = 100,
        random_state: int | np.random.Generator | None = 0,
    ) -> None:
        self.n_topics = n_topics
        self.embedding = embedding
        self.clustering = clustering
        self.min_topics = min_topics
        self.max_topics = max_topics
        self.n_terms = n_terms
        self.n_examples = n_examples
        self.k_rule = k_rule
        self.penalty = penalty
        self.lsa_components = lsa_components
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        precomputed = self.embedding == "precomputed"
        tags.input_tags.two_d_array = precomputed
        tags.input_tags.string = not precomputed
        tags.non_deterministic = False
        return tags

    def fit(
        self, X: Any, y: None = None, *, texts: Sequence[str] | None = None
    ) -> IntentDiscoverer:
        """Find the topics of ``X`` (texts, or embeddings when ``embedding="precomputed"``).

        Parameters
        ----------
        X : sequence of str, or array of shape (n, d) for "precomputed"
            The texts to group.
        y : None
            Ignored.
        texts : sequence of str, optional
            With "precomputed": the texts behind the rows, used for labels and examples.

        Raises
        ------
        ConfigError
            A parameter is out of range, or there are fewer than two texts.
        """
        self._check_params()
        rng = _generator(self.random_state)
        if self.embedding == "precomputed":
            vectors = self._validate_precomputed(X, reset=True)
            docs = check_texts(texts, "texts") if texts is not None else None
            if docs is not None and len(docs) != len(vectors):
                raise ConfigError(
                    f"texts has {len(docs)} entries but X has {len(vectors)} rows; "
                    "pass one text per row"
                )
            self.embedding_ = "precomputed"
            self._lsa = None
        else:
            docs = check_texts(X, "X")
            if len(docs) < 2:
                raise ConfigError(
                    f"topic discovery needs at least 2 texts, got {len(docs)}; pass more texts"
                )
            self.embedding_ = resolve_embedding(self.embedding, docs)
            self._lsa = Lsa(self.lsa_components, rng) if "tfidf" in self.embedding_ else None
            vectors = embed(docs, self.embedding_, self._lsa, fit=True)
        n = len(vectors)
        if n < 2:
            raise ConfigError(f"topic discovery needs at least 2 texts, got {n}; pass more texts")
        self.k_rule_ = self._resolve_k_rule()
        labels, self.bic_ = cluster(
            vectors,
            n_topics=self.n_topics,
            clustering=self.clustering,
            min_topics=self.min_topics,
            max_topics=self.max_topics,
            penalty=self.penalty,
            rng=rng,
            k_rule=self.k_rule_,
        )
        self.labels_ = labels
        self.n_topics_ = int(labels.max()) + 1
        self.cluster_centers_ = centroids(vectors, labels, self.n_topics_)
        self.topics_ = describe_topics(
            docs, vectors, labels, self.cluster_centers_, self.n_terms, self.n_examples
        )
        return self

    def fit_predict(self, X: Any, y: None = None, **kwargs: Any) -> NDArray[np.intp]:
        """Fit and return ``labels_``."""
        return self.fit(X, **kwargs).labels_  # type: ignore[no-any-return]

    def transform(self, X: Any) -> NDArray[np.float64]:
        """Cosine distance (1 - cosine similarity) of each text to each topic's centroid."""
        vectors = self._vectors(X)
        return 1.0 - vectors @ self.cluster_centers_.T  # type: ignore[no-any-return]

    def predict(self, X: Any) -> NDArray[np.intp]:
        """The nearest topic of each new text (by cosine similarity to the centroids)."""
        vectors = self._vectors(X)
        return np.asarray(np.argmax(vectors @ self.cluster_centers_.T, axis=1), dtype=np.intp)

    def embed(self, X: Any) -> NDArray[np.float64]:
        """Unit-length vectors of new texts in the fitted embedding space."""
        return self._vectors(X)

    def intent_labels(self, X: Any = None) -> list[str]:
        """The topic label of each text, to keep the topics as intents.

        Without ``X``: the label of each fitted text, in order; with ``X``: of each new text
        (its nearest topic). With the texts, a ``text,intent`` table that
        :meth:`~kizuki.models.intents.IntentClassifier` training reads
        (``kizuki intents discover --out topics.csv``, then ``kizuki intents train --data``).

        Examples
        --------
        >>> texts = ["請求書を再発行したい", "請求書の再発行をお願いします",
        ...          "請求書を再発行してください", "解約の手続き", "解約の手続きを教えて",
        ...          "解約の手続きをしたい"]
        >>> IntentDiscoverer(n_topics=2, embedding="tfidf").fit(texts).intent_labels()[::5]
        ['請求書を再発行', '解約の手続き']
        """
        check_fitted(self, "cluster_centers_", "fit(texts)")
        topics = self.labels_ if X is None else self.predict(X)
        return [self.topics_[int(i)].label for i in topics]

    # -- private ---------------------------------------------------------------------------

    def _resolve_k_rule(self) -> str:
        if self.n_topics is not None:
            return "given"
        if self.k_rule != "auto":
            return str(self.k_rule)
        return "consensus" if self.embedding_ == "tfidf" else "bic"

    def _check_params(self) -> None:
        if self.embedding not in EMBEDDINGS:
            raise ConfigError(
                f"embedding must be one of {', '.join(EMBEDDINGS)}, got {self.embedding!r}"
            )
        if self.clustering not in CLUSTERINGS:
            raise ConfigError(
                f"clustering must be one of {', '.join(CLUSTERINGS)}, got {self.clustering!r}"
            )
        if self.k_rule not in K_RULES:
            raise ConfigError(f"k_rule must be one of {', '.join(K_RULES)}, got {self.k_rule!r}")
        if self.n_topics is not None and self.n_topics < 1:
            raise ConfigError(f"n_topics must be at least 1 or None, got {self.n_topics}")
        if self.min_topics < 1:
            raise ConfigError(f"min_topics must be at least 1, got {self.min_topics}")
        if self.max_topics is not None and self.max_topics < self.min_topics:
            raise ConfigError(
                f"max_topics ({self.max_topics}) must be at least min_topics ({self.min_topics})"
            )
        if not self.penalty > 0:
            raise ConfigError(f"penalty must be positive, got {self.penalty}")
        for name in ("n_terms", "n_examples", "lsa_components"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")

    def _validate_precomputed(self, X: Any, reset: bool) -> NDArray[np.float64]:
        from sklearn.utils.validation import validate_data

        array = validate_data(
            self, X, reset=reset, dtype=np.float64, ensure_min_samples=2 if reset else 1
        )
        return unit_rows(np.asarray(array, dtype=np.float64))

    def _vectors(self, X: Any) -> NDArray[np.float64]:
        check_fitted(self, "cluster_centers_", "fit(texts)")
        if self.embedding_ == "precomputed":
            return self._validate_precomputed(X, reset=False)
        docs = check_texts(X, "X", allow_empty=True)
        if not docs:
            return np.zeros((0, self.cluster_centers_.shape[1]))
        return embed(docs, self.embedding_, self._lsa, fit=False)


def check_texts(X: Any, name: str, allow_empty: bool = False) -> list[str]:
    """``X`` as a list of str; ConfigError for a single str, a non-str entry or no texts."""
    refuse_single_text(X, name)
    try:
        docs = list(X)
    except TypeError:
        raise ConfigError(f"{name} must be a sequence of texts, got {type(X).__name__}") from None
    bad = next((i for i, t in enumerate(docs) if not isinstance(t, str)), None)
    if bad is not None:
        raise ConfigError(
            f"{name}[{bad}] is {docs[bad]!r} ({type(docs[bad]).__name__}), not a str; "
            "drop or fill missing texts first"
        )
    if not docs and not allow_empty:
        raise ConfigError(f"{name} is empty; topic discovery needs at least 2 texts")
    return docs


def _generator(random_state: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)
