"""How the churn model is measured: ROC-AUC and Brier score over cross-validation folds, and
the plain logistic-regression peer it is measured against (docs/churn.md).

Examples
--------
>>> summary([0.84, 0.86])["mean"]
0.85
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kizuki.models.churn_features import Columns

__all__ = ["cross_validate", "logistic_peer", "summary"]


def cross_validate(
    make: Callable[[], Any],
    X: pd.DataFrame,
    y: NDArray[np.int8],
    splits: list[tuple[NDArray[np.intp], NDArray[np.intp]]],
) -> dict[str, Any]:
    """ROC-AUC and Brier score (:func:`summary` of each) of ``make()`` fitted and scored on
    each of ``splits`` (train rows, test rows), and the seconds it all took."""
    from sklearn.model_selection import cross_validate as sk_cross_validate

    started = time.perf_counter()
    scores = sk_cross_validate(
        make(), X, y, cv=splits, scoring=("roc_auc", "neg_brier_score"), error_score="raise"
    )
    return {
        "roc_auc": summary([float(v) for v in scores["test_roc_auc"]]),
        "brier": summary([-float(v) for v in scores["test_neg_brier_score"]]),
        "seconds": round(time.perf_counter() - started, 2),
    }


def summary(values: list[float]) -> dict[str, Any]:
    """Mean, sample standard deviation (ddof 1) and the values of one metric over folds."""
    return {
        "mean": round(float(np.mean(values)), 6),
        "sd": round(float(np.std(values, ddof=1)), 6) if len(values) > 1 else 0.0,
        "values": [round(v, 6) for v in values],
    }


def logistic_peer(columns: Columns) -> Any:
    """The plain peer: one-hot categories, median-imputed standardised numbers,
    ``LogisticRegression(max_iter=1000)``; it reads
    :func:`~kizuki.models.churn_features.peer_frame`."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), columns.categorical),
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                columns.numeric,
            ),
        ]
    )
    return make_pipeline(features, LogisticRegression(max_iter=1000))
