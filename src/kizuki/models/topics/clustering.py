"""Clustering unit vectors into topics, and choosing the number of topics k.

- ``"ward"``: Ward agglomerative clustering (deterministic; needs ~4·n² bytes, so ``"auto"``
  uses it up to 10,000 texts). ``"kmeans"``: k-means on the unit vectors (spherical k-means up
  to the centroid norm). Every text gets a topic: there is no noise label -1.
- **Number of topics** (``n_topics=None``): the k in ``[min_topics, max_topics]`` that minimises
  ``n·log(SSE_k) + penalty·k·log(n)`` on (a seeded sample of at most 3,000 of) the vectors,
  then the whole set is clustered with that k. With ``penalty=1`` this is the BIC of a
  hard-assignment spherical Gaussian mixture with one shared variance, divided by the dimension
  (which cancels). Sentence embeddings are not Gaussian blobs: SSE keeps falling smoothly as
  clusters split, so plain BIC over-splits and its choice grows with n. Hence
  ``penalty=1.5`` (chosen on Banking77 *train* and xSID-ja, not on the test texts the bench
  scores) and the 3,000-text sample, which keeps the choice from growing with the volume of
  data. For Ward the SSE of every k comes from the merge heights of one tree; for k-means from
  fits on a geometric grid of k, refined between the best grid neighbours. How close it lands:
  docs/benchmarks.md ("topic discovery").
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from kizuki.errors import ConfigError
from kizuki.models.topics.embedding import unit_rows

__all__ = ["CLUSTERINGS", "DEFAULT_PENALTY", "Clustering", "centroids", "cluster"]

Clustering = Literal["auto", "ward", "kmeans"]
CLUSTERINGS = ("auto", "ward", "kmeans")
DEFAULT_PENALTY = 1.5
_WARD_MAX_TEXTS = 10_000
_MAX_TOPICS_CAP = 200
_KMEANS_GRID = 16
_CHOOSE_SAMPLE = 3_000


def cluster(
    vectors: NDArray[np.float64],
    *,
    n_topics: int | None,
    clustering: str,
    min_topics: int,
    max_topics: int | None,
    penalty: float,
    rng: np.random.Generator,
) -> tuple[NDArray[np.intp], dict[int, float]]:
    """Topic of each vector, numbered by decreasing size, and the criterion of each k tried.

    ``n_topics=None`` chooses k in ``[min_topics, max_topics]`` (``max_topics=None``:
    ``min(200, n // 3)``); the criterion is empty when ``n_topics`` is given.
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
    k, bic = n_topics, {}
    if k is None:
        sample = vectors
        if n > _CHOOSE_SAMPLE:
            sample = vectors[np.sort(rng.choice(n, _CHOOSE_SAMPLE, replace=False))]
            high = min(high, _CHOOSE_SAMPLE)
        bic = (_ward_bic if method == "ward" else _kmeans_bic)(sample, low, high, penalty, rng)
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
