"""A second opinion for the intent classifier: another text classifier averaged in.

Any classifier over texts with ``fit``, ``predict_proba`` and ``classes_`` (such as
:class:`~kizuki.models.encoder.FineTunedEncoderClassifier`) can be averaged in with the
classifier's joint probabilities: ``(1 - w) * p_tfidf + w * p_encoder``. A clone is validated on
one stratified held-out split, which gives it held-out probabilities (for the out-of-scope
threshold) and, with ``encoder_weight="auto"``, chooses ``w`` among :data:`ENCODER_WEIGHTS`;
then another clone is fitted on all the texts.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from sklearn.base import clone

__all__ = ["ENCODER_WEIGHTS", "aligned_proba", "fit_second_opinion"]

FloatArray = NDArray[np.float64]
#: Encoder weights tried by ``encoder_weight="auto"``.
ENCODER_WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def fit_second_opinion(
    encoder: Any,
    texts: list[str],
    y: NDArray[Any],
    y_idx: NDArray[np.intp],
    heldout: FloatArray | None,
    *,
    classes: NDArray[Any],
    encoder_weight: float | Literal["auto"],
    validation_size: float,
    random_state: int | None,
) -> tuple[Any, float, FloatArray | None]:
    """The encoder fitted on all texts, its weight, and the mixed held-out probabilities.

    ``heldout`` are the classifier's held-out joint probabilities (None when it has none); the
    mixed ones are NaN outside the validation split, or None when there is no split (too few
    texts per class): then an "auto" weight is 0.5.
    """
    from sklearn.model_selection import StratifiedShuffleSplit

    fitted = clone(encoder)
    counts = np.bincount(y_idx)
    n_val = int(np.ceil(validation_size * len(y_idx)))
    mixed = None
    if heldout is not None and counts.min() >= 2 and n_val >= len(counts):
        split = StratifiedShuffleSplit(
            n_splits=1, test_size=validation_size, random_state=random_state
        )
        train, val = next(split.split(np.zeros(len(y_idx)), y_idx))
        probe = clone(encoder).fit([texts[i] for i in train], y[train])
        encoded = aligned_proba(probe, probe.predict_proba([texts[i] for i in val]), classes)
        if encoder_weight == "auto":
            weight = _best_weight(heldout[val], encoded, y_idx[val])
        else:
            weight = float(encoder_weight)
        mixed = np.full_like(heldout, np.nan)
        mixed[val] = (1.0 - weight) * heldout[val] + weight * encoded
    else:
        weight = 0.5 if encoder_weight == "auto" else encoder_weight
    fitted.fit(texts, y)
    return fitted, weight, mixed


def aligned_proba(model: Any, proba: Any, classes: NDArray[Any]) -> FloatArray:
    """``proba`` of ``model`` with its columns put in the order of ``classes``."""
    proba = np.asarray(proba, dtype=np.float64)
    out = np.zeros((proba.shape[0], len(classes)))
    where = {label: i for i, label in enumerate(classes.tolist())}
    for j, label in enumerate(np.asarray(model.classes_).tolist()):
        if label in where:
            out[:, where[label]] = proba[:, j]
    return out


def _best_weight(tfidf: FloatArray, encoded: FloatArray, y_idx: NDArray[np.intp]) -> float:
    """The weight of ``ENCODER_WEIGHTS`` with the best held-out accuracy (first of equals)."""
    accuracy = [
        float(np.mean(((1.0 - w) * tfidf + w * encoded).argmax(axis=1) == y_idx))
        for w in ENCODER_WEIGHTS
    ]
    return ENCODER_WEIGHTS[int(np.argmax(accuracy))]
