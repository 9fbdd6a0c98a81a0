"""Clustering unit vectors into topics, and choosing the number of topics k.

- ``"ward"``: Ward agglomerative clustering (deterministic; needs ~4·n² bytes, so ``"auto"``
  uses it up to 10,000 texts). ``"kmeans"``: k-means on the unit vectors (spherical k-means up
  to the centroid norm). Every text gets a topic: there is no noise label -1.
- **Number of topics** (``n_topics=None``), two rules (``k_rule``):

  ``"consensus"`` (the default for LSA vectors): evidence accumulation (Fred & Jain 2005).
  k-means partitions the (seeded sample of at most 3,000) vectors 18 times, 3 seeds at each of
  6 values of k spaced geometrically from ``√n/2`` to ``2√n`` (clipped to
  ``[min_topics, max_topics]``); the share of partitions in which two texts meet is their
  similarity; average linkage over it, cut where groups meet in fewer than 30% of the
  partitions (distance ``0.7``), gives the topics, and groups of fewer than 3 texts join the
  nearest larger topic. No single k decides: a group of texts that most partitions at *any*
  of these resolutions keep together is a topic. On LSA vectors of short texts the BIC-like
  rule below is erratic (2 topics for 375 diverse city-hall questions, 60 for 806 templated
  tickets of 14 kinds); this rule gives 30 and 24 (docs/intents.md, "Topic discovery"). Up
  to 3,000 texts the consensus groups are the topics; above, their number is the k with which
  the whole set is clustered.

  ``"bic"`` (the default for sentence embeddings): the k in ``[min_topics, max_topics]``
  that minimises ``n·log(SSE_k) + penalty·k·log(n)`` on (a seeded sample of at most 3,000
  of) the vectors, then the whole set is clustered with that k. With ``penalty=1`` this is
  the BIC of a hard-assignment spherical Gaussian mixture with one shared variance, divided
  by the dimension (which cancels). Sentence embeddings are not Gaussian blobs: SSE keeps
  falling smoothly as clusters split, so plain BIC over-splits and its choice grows with n.
  Hence ``penalty=1.5`` (chosen on Banking77 *train* and xSID-ja, not on the test texts the
  bench scores) and the 3,000-text sample, which keeps the choice from growing with the
  volume of data. For Ward the SSE of every k comes from the merge heights of one tree; for
  k-means from fits on a geometric grid of k, refined between the best grid neighbours. How
  close either rule lands: docs/benchmarks.md ("topic discovery").
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from kizuki.errors import ConfigError
from kizuki.models.topics.embedding import unit_rows

__all__ = [
    "CLUSTERINGS",
    "DEFAULT_PENALTY",
    "K_RULES",
    "Clustering",
    "KRule",
    "centroids",
    "cluster",
]

Clustering = Literal["auto", "ward", "kmeans"]
CLUSTERINGS = ("auto", "ward", "kmeans")
KRule = Literal["auto", "consensus", "bic"]
K_RULES = ("auto", "consensus", "bic")
DEFAULT_PENALTY = 1.5
_WARD_MAX_TEXTS = 10_000
_MAX_TOPICS_CAP = 200
_KMEANS_GRID = 16
_CHOOSE_SAMPLE = 3_000
_CONSENSUS_GRID = 6  # values of k
_CONSENSUS_SEEDS = 3  # k-means runs per value of k
_CONSENSUS_CUT = 0.7  # average-linkage distance (1 - share of partitions) where groups split
_CONSENSUS_MIN_SIZE = 3  # smaller groups join the nearest larger topic


def cluster(
    vectors: NDArray[np.float64],
    *,
    n_topics: int | None,
    clustering: str,
    min_topics: int,
    max_topics: int | None,
    penalty: float,
    rng: np.random.Generator,
    k_rule: str = "bic",
) -> tuple[NDArray[np.intp], dict[int, float]]:
    """Topic of each vector, numbered by decreasing size, and the BIC of each k tried.

    ``n_topics=None`` chooses k in ``[min_topics, max_topics]`` (``max_topics=None``:
    ``min(200, n // 3)``) by ``k_rule`` ("consensus" or "bic"); the BIC is empty unless the
    "bic" rule chose k.
    """
    n = len(vectors)
    if n_topics is not None and n_topics > n:
        raise ConfigError(
            f"n_topics ({n_topics}) is more than the number of texts ({n}); "
            "lower n_topics or pass more texts"
        )
    method = clustering
    if method == "auto":
        method = "ward" if n <= _WARD_MAX_TEXTS else "kmeans"
    low = min(min_topics, n)
    high = max_topics if max_topics is not None else min(_MAX_TOPICS_CAP, n // 3)
    high = min(max(high, low), n)
    k: int | None = n_topics
    bic: dict[int, float] = {}
    if k is None:
        sample = vectors
        if n > _CHOOSE_SAMPLE:
            sample = vectors[np.sort(rng.choice(n, _CHOOSE_SAMPLE, replace=False))]
            high = min(high, _CHOOSE_SAMPLE)
        if k_rule == "consensus":
            groups = _consensus(sample, low, high, rng)
            k = int(groups.max()) + 1
            if n <= _CHOOSE_SAMPLE and low <= k <= high:
                return _relabel_by_size(groups), bic
            k = min(max(k, low), high)
        else:
            ward = method == "ward"
            bic = (_ward_bic if ward else _kmeans_bic)(sample, low, high, penalty, rng)
            k = min(bic, key=lambda c: (bic[c], c))
    if method == "ward":
        labels = _ward(vectors, k)
    else:
        labels = _kmeans(vectors, k, int(rng.integers(2**31 - 1)), n_init=3)[0]
    return _relabel_by_size(labels), bic


def centroids(vectors: NDArray[np.float64], labels: NDArray[np.intp], k: int) -> Any:
    """Unit-length mean direction of each topic's vectors."""
    sums = np.zeros((k, vectors.shape[1]))
    np.add.at(sums, labels, vectors)
    return unit_rows(sums)


def _consensus(
    vectors: NDArray[np.float64], low: int, high: int, rng: np.random.Generator
) -> NDArray[np.intp]:
    """Groups that k-means partitions at several k keep together (see the module docstring)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    n = len(vectors)
    root = math.sqrt(n)
    distinct = len(np.unique(vectors.round(9), axis=0))  # k-means finds no more groups
    top = max(min(high, round(2 * root), distinct), min(low, distinct))
    bottom = min(max(low, round(root / 2)), top)
    grid = sorted({round(float(g)) for g in np.geomspace(bottom, top, _CONSENSUS_GRID)})
    together = np.zeros((n, n), dtype=np.float32)
    runs = 0
    for k in grid:
        if k < 2:
            together += 1.0
            runs += 1
            continue
        for _ in range(_CONSENSUS_SEEDS):
            labels = _kmeans(vectors, k, int(rng.integers(2**31 - 1)), n_init=1)[0]
            together += labels[:, None] == labels[None, :]
            runs += 1
    distance = 1.0 - together / runs
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False).astype(np.float64), method="average")
    groups = np.asarray(fcluster(tree, _CONSENSUS_CUT, criterion="distance") - 1, dtype=np.intp)
    return _absorb_small(vectors, groups, _CONSENSUS_MIN_SIZE)


def _absorb_small(
    vectors: NDArray[np.float64], groups: NDArray[np.intp], min_size: int
) -> NDArray[np.intp]:
    """Move the texts of groups under ``min_size`` to the nearest larger group; renumber 0.."""
    sizes = np.bincount(groups)
    large = np.flatnonzero(sizes >= min_size)
    small = sizes[groups] < min_size
    if len(large) and small.any():
        centers = centroids(vectors, groups, len(sizes))[large]
        groups = groups.copy()
        groups[small] = large[np.argmax(vectors[small] @ centers.T, axis=1)]
    return np.asarray(np.unique(groups, return_inverse=True)[1], dtype=np.intp)


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
