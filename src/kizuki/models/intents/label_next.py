"""Which unlabelled texts to label next: uncertainty and diversity sampling.

A team that labels the texts its intent model is least sure of, and not fifty variants of the
same one, reaches a given accuracy with fewer labels than one that labels texts at random
(``kizuki intents label-next``; measured in docs/intents.md, "Label what matters next").

With a fitted :class:`~kizuki.models.intents.IntentClassifier`:

1. **Uncertainty.** Each distinct non-blank text gets the margin between its two most probable
   intents, ``p1 - p2`` of :meth:`~kizuki.models.intents.IntentClassifier.predict_proba`
   (the calibrated probabilities given that the text is one of the intents); a small margin
   means the model cannot tell two intents apart.
2. **Candidates.** The ``candidates × n`` texts with the smallest margins.
3. **Diversity.** The candidates' rows of the classifier's own TF-IDF features, reduced to at
   most 50 dimensions by truncated SVD (unit rows, so distances are cosine), are split into
   ``n`` groups by k-means weighted by ``1 - margin``; from each group the candidate nearest its
   centre. So a batch covers ``n`` different confusions instead of many copies of one.

Without a model (a cold start: no labels yet) only diversity is left: all texts are embedded
with LSA (:class:`~kizuki.models.topics.embedding.Lsa`), split into ``n`` groups by k-means,
and the text nearest each centre represents its group, largest groups first. Labelling them
gives a first model that covers the common contact reasons.

Examples
--------
>>> from kizuki.models.intents import IntentClassifier
>>> texts = ["cannot log in", "login fails", "forgot my password", "reset my password"] * 3
>>> labels = ["login", "login", "password", "password"] * 3
>>> model = IntentClassifier(oos_threshold=None).fit(texts, labels)
>>> pool = ["log in password reset fails", "login fails again", "password forgotten"]
>>> picked = select_to_label(pool, 1, model)
>>> picked.loc[0, "text"]
'log in password reset fails'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kizuki.errors import ConfigError
from kizuki.models.base import check_fitted
from kizuki.progress import ProgressCallback, no_progress

if TYPE_CHECKING:
    from kizuki.models.intents import IntentClassifier

__all__ = [
    "SELECTION_COLUMNS",
    "SHEET_COLUMNS",
    "check_batch_size",
    "label_sheet",
    "select_to_label",
]

#: Columns of :func:`select_to_label`'s answer.
SELECTION_COLUMNS = ("position", "text", "guess", "confidence", "margin", "group_size", "why")
#: Columns of :func:`label_sheet`'s answer (``contact_id`` first when ids are given).
SHEET_COLUMNS = ("text", "guess", "confidence", "intent", "why")

_CHUNK = 2_000  # texts scored per progress step
_SVD_DIMENSIONS = 50
_LSA_DIMENSIONS = 100
_MAX_CLUSTERED = 20_000  # a cold start fits its groups on a sample of at most this many texts

FloatArray = NDArray[np.float64]


def select_to_label(
    texts: Sequence[str] | pd.Series,
    n: int = 50,
    model: IntentClassifier | None = None,
    *,
    candidates: int = 10,
    random_state: int | np.random.Generator | None = 0,
    progress: ProgressCallback = no_progress,
) -> pd.DataFrame:
    """The ``n`` texts whose labels would most improve ``model`` (see the module docstring).

    Parameters
    ----------
    texts
        The unlabelled texts to choose from. Blank texts are never chosen, and of identical
        texts only the first.
    n
        How many to choose (fewer when there are fewer distinct texts).
    model
        A fitted intent classifier; ``None`` (or one that knows fewer than two intents) for a
        cold start: the texts that best represent ``n`` groups of similar texts.
    candidates
        With a model, the ``candidates × n`` least certain texts are the ones grouped.
    random_state
        Seed (or generator) of the SVD and k-means.
    progress
        ``callback(step, done, total)`` while texts are scored.

    Returns
    -------
    pandas.DataFrame
        One row per chosen text, most useful first: ``position`` (index into ``texts``),
        ``text``, ``guess`` (the model's most probable intent; empty on a cold start),
        ``confidence`` (its calibrated probability, in scope and of that intent; NaN on a
        cold start), ``margin`` (``p1 - p2``; NaN on a cold start), ``group_size`` (how many
        texts its group has: candidates with a model, all texts on a cold start) and ``why``.
        ``attrs["strategy"]`` is ``"uncertainty"`` or ``"cold_start"``.

    Raises
    ------
    ConfigError
        ``n`` or ``candidates`` is below 1.
    """
    check_batch_size(n)
    if isinstance(candidates, bool) or not isinstance(candidates, int) or candidates < 1:
        raise ConfigError(f"candidates must be an integer >= 1; got {candidates!r}")
    rng = np.random.default_rng(random_state)
    values = [("" if t is None or t != t else str(t)) for t in list(texts)]  # NaN != NaN
    frame = pd.DataFrame({"text": pd.Series(values, dtype=object)})
    frame = frame[frame["text"].str.strip() != ""].drop_duplicates("text")
    positions = frame.index.to_numpy()
    distinct = frame["text"].tolist()
    if model is not None:
        check_fitted(model, "classes_", "fit(texts, labels)")
    cold = model is None or len(model.classes_) < 2
    if model is None or cold:
        chosen = _cold_start(distinct, int(n), rng)
    else:
        chosen = _uncertain_and_diverse(distinct, int(n), model, candidates, rng, progress)
    chosen.insert(0, "position", positions[chosen.pop("row").to_numpy()].astype(np.int64))
    chosen.insert(1, "text", [values[p] for p in chosen["position"]])
    chosen.attrs["strategy"] = "cold_start" if cold else "uncertainty"
    return chosen.loc[:, list(SELECTION_COLUMNS)].reset_index(drop=True)


def label_sheet(
    texts: Sequence[str] | pd.Series,
    n: int,
    model: IntentClassifier | None,
    *,
    ids: Sequence[Any] | pd.Series | None = None,
    labelled: pd.DataFrame | None = None,
    seed: int | np.random.Generator | None = 0,
    progress: ProgressCallback = no_progress,
) -> pd.DataFrame:
    """:func:`select_to_label` as a sheet a team fills in and trains on.

    Texts of ``labelled`` (``text, intent``) are not chosen again.

    Returns
    -------
    pandas.DataFrame
        ``contact_id`` (the ``ids`` of the chosen texts, when given), ``text``, ``guess``,
        ``confidence``, ``intent`` (empty: the team's answer) and ``why``. ``attrs``:
        ``strategy`` (``uncertainty`` or ``cold_start``), ``unlabelled`` (non-blank texts
        chosen from), ``labels`` and ``intents`` (of ``labelled``; None without it).

    Examples
    --------
    >>> sheet = label_sheet(["cannot log in", "refund please", "login fails"], 1, None)
    >>> list(sheet.columns), sheet.attrs["unlabelled"]
    (['text', 'guess', 'confidence', 'intent', 'why'], 3)
    """
    pool = [("" if t is None or t != t else str(t)) for t in list(texts)]  # NaN != NaN
    if labelled is not None:
        known = set(labelled["text"].astype(str).str.strip())
        pool = ["" if t.strip() in known else t for t in pool]
    chosen = select_to_label(pool, n, model, random_state=seed, progress=progress)
    sheet = chosen.loc[:, ["text", "guess", "confidence"]]
    sheet["intent"] = ""
    sheet["why"] = chosen["why"]
    if ids is not None:
        sheet.insert(0, "contact_id", np.asarray(ids, dtype=object)[chosen["position"]])
    sheet.attrs = {
        "strategy": chosen.attrs["strategy"],
        "unlabelled": sum(1 for t in pool if t.strip()),
        "labels": None if labelled is None else len(labelled),
        "intents": None if labelled is None else int(labelled["intent"].nunique()),
    }
    return sheet


def check_batch_size(n: object) -> None:
    """Raise ConfigError unless ``n`` (texts to label) is an integer >= 1."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ConfigError(f"n (texts to label) must be an integer >= 1; got {n!r}")


def _uncertain_and_diverse(
    texts: list[str],
    n: int,
    model: IntentClassifier,
    candidates: int,
    rng: np.random.Generator,
    progress: ProgressCallback,
) -> pd.DataFrame:
    """Rows (into ``texts``) of the least certain texts, one per group of similar ones."""
    joint = _score(model, texts, progress)
    total = joint.sum(axis=1, keepdims=True)
    proba = np.divide(joint, total, out=np.full_like(joint, 1.0 / joint.shape[1]), where=total > 0)
    order = np.argsort(-proba, axis=1, kind="stable")[:, :2]
    rows = np.arange(len(texts))
    top, second = proba[rows, order[:, 0]], proba[rows, order[:, 1]]
    margin = top - second
    pool = np.argsort(margin, kind="stable")[: candidates * n]
    if len(pool) <= n:
        picked, sizes = pool, np.ones(len(pool), dtype=np.int64)
    else:
        features = model.featurize([texts[i] for i in pool])
        vectors = _reduce(features, _SVD_DIMENSIONS, rng)
        nearest, sizes = _representatives(vectors, n, 1.0 - margin[pool] + 1e-6, rng)
        picked = pool[nearest]
        if len(picked) < n:  # groups left empty (identical rows): the next least certain
            rest = np.setdiff1d(pool, picked, assume_unique=True)
            rest = rest[np.argsort(margin[rest], kind="stable")][: n - len(picked)]
            picked = np.concatenate([picked, rest])
            sizes = np.concatenate([sizes, np.ones(len(rest), dtype=np.int64)])
        by_margin = np.argsort(margin[picked], kind="stable")
        picked, sizes = picked[by_margin], sizes[by_margin]
    classes = [str(c) for c in model.classes_.tolist()]
    first, runner_up = order[picked, 0], order[picked, 1]
    return pd.DataFrame(
        {
            "row": picked,
            "guess": [
                classes[k] if total[i, 0] > 0 else "" for i, k in zip(picked, first, strict=True)
            ],
            "confidence": joint[picked, first],
            "margin": margin[picked],
            "group_size": sizes,
            "why": [
                _why_uncertain(classes[a], proba[i, a], classes[b], proba[i, b], int(s))
                if total[i, 0] > 0
                else "no word or character the model knows"
                for i, a, b, s in zip(picked, first, runner_up, sizes, strict=True)
            ],
        }
    )


def _cold_start(texts: list[str], n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Rows (into ``texts``) of the text nearest the centre of each of ``n`` groups."""
    from kizuki.models.topics.embedding import Lsa

    if len(texts) <= n:
        picked, sizes = np.arange(len(texts)), np.ones(len(texts), dtype=np.int64)
    else:
        vectors = Lsa(_LSA_DIMENSIONS, rng).fit_transform(texts)
        picked, sizes = _representatives(vectors, n, None, rng)
        by_size = np.argsort(-sizes, kind="stable")
        picked, sizes = picked[by_size], sizes[by_size]
    return pd.DataFrame(
        {
            "row": picked,
            "guess": "",
            "confidence": np.nan,
            "margin": np.nan,
            "group_size": sizes,
            "why": [
                f"representative of a group of {s:,} similar texts (no labels yet)"
                if s > 1
                else "unlike any other text (no labels yet)"
                for s in sizes
            ],
        }
    )


def _score(model: IntentClassifier, texts: list[str], progress: ProgressCallback) -> FloatArray:
    """``model.in_scope_proba`` of ``texts``, in chunks so that progress can be shown."""
    step = "scoring unlabelled texts"
    progress(step, 0, len(texts))
    parts = []
    for start in range(0, len(texts), _CHUNK):
        parts.append(np.asarray(model.in_scope_proba(texts[start : start + _CHUNK])))
        progress(step, min(start + _CHUNK, len(texts)), len(texts))
    return np.vstack(parts) if parts else np.zeros((0, len(model.classes_)))


def _reduce(features: Any, dimensions: int, rng: np.random.Generator) -> FloatArray:
    """Unit rows of a truncated SVD of the sparse ``features`` (the rows themselves if tiny)."""
    from sklearn.decomposition import TruncatedSVD

    rank = min(dimensions, features.shape[0] - 1, features.shape[1] - 1)
    if rank >= 2:
        svd = TruncatedSVD(rank, random_state=_seed(rng))
        dense = np.asarray(svd.fit_transform(features), dtype=np.float64)
    else:
        dense = np.asarray(features.toarray(), dtype=np.float64)
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    return np.asarray(np.divide(dense, norms, out=np.zeros_like(dense), where=norms > 0))


def _representatives(
    vectors: FloatArray, k: int, weights: FloatArray | None, rng: np.random.Generator
) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """For ``k`` (weighted) k-means groups of ``vectors``: the row nearest each centre and the
    group's size. Groups are fitted on a sample when there are very many rows."""
    from sklearn.cluster import KMeans

    fit_rows = np.arange(len(vectors))
    if len(vectors) > _MAX_CLUSTERED:
        fit_rows = np.sort(rng.choice(len(vectors), _MAX_CLUSTERED, replace=False))
    kmeans = KMeans(k, n_init=3, random_state=_seed(rng))
    kmeans.fit(vectors[fit_rows], sample_weight=None if weights is None else weights[fit_rows])
    groups = kmeans.predict(vectors)
    distance = np.linalg.norm(vectors - kmeans.cluster_centers_[groups], axis=1)
    picked, sizes = [], []
    for group in range(k):
        members = np.flatnonzero(groups == group)
        if len(members):  # k-means can leave a group empty when rows coincide
            picked.append(members[np.argmin(distance[members])])
            sizes.append(len(members))
    return np.asarray(picked, dtype=np.intp), np.asarray(sizes, dtype=np.int64)


def _why_uncertain(first: str, p1: float, second: str, p2: float, group: int) -> str:
    """One line on why a text was chosen: the two intents the model hesitates between."""
    text = f"uncertain: {first} {p1:.2f} vs {second} {p2:.2f}"
    if group > 1:
        text += f"; like {group - 1:,} other uncertain {'text' if group == 2 else 'texts'}"
    return text


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))
