"""Churn risk for subscription businesses: who is likely to leave, and why (docs/churn.md).

:class:`ChurnClassifier` is gradient-boosted trees (LightGBM) over a customer table with
calibrated probabilities and per-customer reasons from LightGBM's own TreeSHAP contributions;
:func:`evaluate_churn` measures it (and a plain logistic regression beside it) on any customer
file by stratified cross-validation.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"tenure": rng.integers(1, 72, 400),
...                   "contract": rng.choice(["monthly", "yearly"], 400)})
>>> y = (rng.random(400) < np.where(X.tenure < 12, 0.6, 0.1)).astype(int)
>>> model = ChurnClassifier(n_estimators=50).fit(X, y)
>>> new = pd.DataFrame({"tenure": [3], "contract": ["monthly"]})
>>> model.predict_proba(new).round(2).tolist()
[[0.53, 0.47]]
>>> [model.explain(reason, "en") for reason in model.reasons(new)[0]]
['tenure is low (3)']
>>> model.explain(model.reasons(new)[0][0], "ja", labels={"ja": {"tenure": "契約期間"}})
'契約期間が低い（3）'
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin

from kizuki.errors import ConfigError
from kizuki.models.base import check_fitted
from kizuki.models.churn_features import (
    Columns,
    ColumnsError,
    InputError,
    as_frame,
    as_text,
    binary_target,
    booster_frame,
    parse_numbers,
    peer_frame,
    phrase,
    scalar,
    split_columns,
    two_classes,
)
from kizuki.models.churn_scores import cross_validate, logistic_peer
from kizuki.models.saved import read_saved, write_saved

__all__ = ["FORMAT", "FORMAT_VERSION", "ChurnClassifier", "Reason", "evaluate_churn"]

FORMAT = "kizuki-churn-model"
FORMAT_VERSION = 1
_CALIBRATIONS = ("sigmoid", "isotonic", "none")


class Reason(NamedTuple):
    """One feature that pushes a customer's churn risk up."""

    feature: str
    #: The customer's value: a float, a category, or None when missing.
    value: Any
    #: How much it adds to the booster's log-odds of churn (TreeSHAP).
    contribution: float


def _lightgbm() -> ModuleType:
    """The lightgbm module, or ConfigError with the install hint."""
    try:
        import lightgbm
    except ModuleNotFoundError as exc:
        raise ConfigError(
            "the churn model needs LightGBM; install it with: pip install 'kizuki[churn]'"
        ) from exc
    return lightgbm


class ChurnClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Churn risk: gradient-boosted trees with calibrated probabilities and reasons.

    ``fit`` takes a customer table (one row per customer; numeric, string, category and
    boolean columns, NaN allowed) and sorts its columns itself
    (:func:`~kizuki.models.churn_features.split_columns`); categories go to LightGBM as
    pandas categoricals, which it splits on natively. ``predict_proba(X)[:, 1]`` is the
    probability of ``classes_[1]``: give ``y`` as 1/0 or True/False so that it is churn.

    Calibration: a boosted model's probabilities run overconfident with deep trees and fast
    learning, timid with strong regularisation. With ``calibration`` "sigmoid" (Platt: a
    logistic regression on the log-odds) or "isotonic", the map from log-odds to probability
    is fitted on out-of-fold log-odds (``calibration_folds`` stratified folds), then the
    booster is refitted on every row. Unlike ``CalibratedClassifierCV``'s ensemble of fold
    models, one booster scores every customer, so :meth:`reasons` explains the very model
    that scored them, and the monotone map keeps their direction. Sigmoid is the default: two
    parameters stay stable on a few hundred churners and it keeps the booster's ranking (its
    AUC), where isotonic steps tie customers together.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves, min_child_samples, reg_lambda, subsample,
    colsample_bytree
        LightGBM's; the defaults (many small trees, slow learning) suit tables of a few thousand
        customers (measured on IBM Telco, docs/churn.md).
    calibration
        "sigmoid", "isotonic" or "none".
    calibration_folds
        Folds for the out-of-fold log-odds (fewer when there are fewer churners).
    random_state
        Seed of LightGBM's sampling and the calibration folds.
    n_jobs
        LightGBM's threads (1 is fastest on small tables).
    """

    def __init__(
        self,
        *,
        n_estimators: int = 300,
        learning_rate: float = 0.03,
        num_leaves: int = 4,
        min_child_samples: int = 20,
        reg_lambda: float = 5.0,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        calibration: str = "sigmoid",
        calibration_folds: int = 5,
        random_state: int | None = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.calibration = calibration
        self.calibration_folds = calibration_folds
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- learning ------------------------------------------------------------------------------

    def fit(self, X: pd.DataFrame | Any, y: Any) -> ChurnClassifier:
        """Learn from a customer table ``X`` and its churn labels ``y`` (two classes)."""
        self._check_params()
        lgb = _lightgbm()
        frame = as_frame(X)
        self.n_features_in_ = frame.shape[1]
        self.__dict__.pop("feature_names_in_", None)
        if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        classes, y01 = two_classes(y, len(frame))
        columns = split_columns(frame)
        if not columns.numeric and not columns.categorical:
            raise ColumnsError(f"no usable column to learn from; ignored: {columns.ignored}")
        self._set_columns(frame, columns)
        data = booster_frame(frame, self.feature_names_, self.categories_)
        self.medians_ = {c: float(parse_numbers(frame[c]).median()) for c in self.numeric_}
        margins = self._out_of_fold_margins(lgb, data, y01)
        self.model_ = self._booster(lgb).fit(data, y01)
        self.calibrator_ = self._fit_calibrator(margins, y01)
        self.classes_ = classes
        return self

    def _check_params(self) -> None:
        """Raise ConfigError naming the first hyperparameter out of its range."""
        checks = [
            ("n_estimators", self.n_estimators, ">= 1", self.n_estimators >= 1),
            ("learning_rate", self.learning_rate, "> 0", self.learning_rate > 0),
            ("num_leaves", self.num_leaves, ">= 2", self.num_leaves >= 2),
            ("min_child_samples", self.min_child_samples, ">= 1", self.min_child_samples >= 1),
            ("reg_lambda", self.reg_lambda, ">= 0", self.reg_lambda >= 0),
            ("subsample", self.subsample, "in (0, 1]", 0 < self.subsample <= 1),
            ("colsample_bytree", self.colsample_bytree, "in (0, 1]",
             0 < self.colsample_bytree <= 1),
            ("calibration", self.calibration, f"one of {_CALIBRATIONS}",
             self.calibration in _CALIBRATIONS),
            ("calibration_folds", self.calibration_folds, ">= 2", self.calibration_folds >= 2),
            ("n_jobs", self.n_jobs, ">= 1", self.n_jobs >= 1),
        ]  # fmt: skip
        for name, value, expected, ok in checks:
            if not ok:
                raise InputError(f"{name} must be {expected}; got {value!r}")

    def _set_columns(self, frame: pd.DataFrame, columns: Columns) -> None:
        """The fitted column attributes: names, kinds, categories."""
        used = set(columns.numeric) | set(columns.categorical)
        self.feature_names_ = [c for c in frame.columns if c in used]
        self.categorical_ = list(columns.categorical)
        self.numeric_ = list(columns.numeric)
        self.ignored_ = dict(columns.ignored)
        self.categories_ = {c: sorted(set(as_text(frame[c]).dropna())) for c in columns.categorical}

    def _booster(self, lgb: ModuleType) -> Any:
        """An unfitted LGBMClassifier with this model's hyperparameters."""
        return lgb.LGBMClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            reg_lambda=self.reg_lambda,
            subsample=self.subsample,
            subsample_freq=1 if self.subsample < 1 else 0,
            colsample_bytree=self.colsample_bytree,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
            deterministic=True,
            force_row_wise=True,
            verbose=-1,
        )

    def _out_of_fold_margins(
        self, lgb: ModuleType, data: pd.DataFrame, y: NDArray[np.intp]
    ) -> NDArray[np.float64] | None:
        """Each row's log-odds from a booster that did not see it; None: no calibration."""
        from sklearn.model_selection import StratifiedKFold

        if self.calibration == "none":
            return None
        n_splits = min(self.calibration_folds, int(np.bincount(y).min()))
        if n_splits < 2:
            warnings.warn(
                "one customer of a class is too few to calibrate; the probabilities are the "
                "booster's own",
                UserWarning,
                stacklevel=3,
            )
            return None
        folds = StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)
        margins = np.empty(len(y))
        for train, test in folds.split(data, y):
            booster = self._booster(lgb).fit(data.iloc[train], y[train])
            margins[test] = booster.predict(data.iloc[test], raw_score=True)
        return margins

    def _fit_calibrator(self, margins: NDArray[np.float64] | None, y: NDArray[np.intp]) -> Any:
        """The map from log-odds to probability, fitted on out-of-fold log-odds (or None)."""
        if margins is None:
            return None
        if self.calibration == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(margins, y)
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=1e4).fit(margins.reshape(-1, 1), y)

    # -- predicting ----------------------------------------------------------------------------

    def predict_proba(self, X: pd.DataFrame | Any) -> NDArray[np.float64]:
        """Probabilities of ``classes_`` per customer, shape ``(n, 2)``."""
        from scipy.special import expit

        check_fitted(self, "model_", "fit(X, y)")
        margins = self.model_.predict(self._prepare(X), raw_score=True)
        if self.calibrator_ is None:
            p = expit(margins)
        elif self.calibration == "isotonic":
            p = self.calibrator_.predict(margins)
        else:
            p = self.calibrator_.predict_proba(margins.reshape(-1, 1))[:, 1]
        p = np.asarray(p, dtype=np.float64)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame | Any) -> NDArray[Any]:
        """The likelier class per customer (churn when its probability is at least 0.5)."""
        churn = self.predict_proba(X)[:, 1] >= 0.5
        return np.asarray(self.classes_[churn.astype(int)])

    def reasons(self, X: pd.DataFrame | Any, top: int = 3) -> list[list[Reason]]:
        """Per customer, up to ``top`` features that push the churn risk up the most.

        From LightGBM's TreeSHAP contributions to the booster's log-odds
        (``pred_contrib=True``); only features that raise the risk are listed, largest first.
        """
        check_fitted(self, "model_", "fit(X, y)")
        if isinstance(top, bool) or not isinstance(top, int) or top < 1:
            raise ConfigError(f"top must be an integer >= 1; got {top!r}")
        data = self._prepare(X)
        contributions = np.asarray(self.model_.predict(data, pred_contrib=True))[:, :-1]
        values = [data[f"f{i}"].to_numpy(dtype=object) for i in range(len(self.feature_names_))]
        out: list[list[Reason]] = []
        for row, contribution in enumerate(contributions):
            order = np.argsort(-contribution, kind="stable")[:top]
            out.append(
                [
                    Reason(self.feature_names_[j], scalar(values[j][row]), float(contribution[j]))
                    for j in order
                    if contribution[j] > 0
                ]
            )
        return out

    def explain(
        self,
        reason: Reason,
        lang: str = "ja",
        labels: Mapping[str, Mapping[str, str]] | None = None,
    ) -> str:
        """One reason as a short phrase in ``lang``: 「tenureが低い（2）」, "tenure is low (2)".

        A number is high or low against the training median; a category is shown as it is.
        ``labels`` names features per language: ``{"ja": {"tenure": "契約期間"}}``.
        """
        check_fitted(self, "model_", "fit(X, y)")
        label = (labels or {}).get(lang, {}).get(reason.feature, reason.feature)
        if reason.value is None:
            return phrase("missing", lang, label)
        if reason.feature in self.categories_:
            return phrase("category", lang, label, reason.value)
        median = self.medians_.get(reason.feature, float("nan"))
        value = float(reason.value)
        kind = "high" if value > median else "low" if value < median else "equal"
        return phrase(kind, lang, label, value)

    # -- columns -------------------------------------------------------------------------------

    def _prepare(self, X: Any) -> pd.DataFrame:
        """The fitted columns of ``X`` (found by name) as the booster reads them."""
        frame = as_frame(X, getattr(self, "feature_names_in_", None), self.n_features_in_)
        missing = [c for c in self.feature_names_ if c not in frame.columns]
        if missing:
            raise ColumnsError(
                f"X lacks column(s) {missing} that the churn model was fitted on; "
                f"it has {list(frame.columns)[:20]}"
            )
        return booster_frame(frame, self.feature_names_, self.categories_)

    # -- saving --------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to ``path``: a JSON header line, then joblib; the path."""
        check_fitted(self, "model_", "fit(X, y)")
        extra = {"classes": [str(c) for c in self.classes_], "features": self.feature_names_}
        return write_saved(self, path, format=FORMAT, format_version=FORMAT_VERSION, extra=extra)

    @classmethod
    def load(cls, path: str | Path) -> ChurnClassifier:
        """Read a model written by :meth:`save` (only files you trust: joblib runs code).

        Warns when another Kizuki version wrote it; NotFoundError when ``path`` does not exist
        or is not a Kizuki churn model.
        """
        model: ChurnClassifier = read_saved(
            path, format=FORMAT, format_version=FORMAT_VERSION, expected=cls, what="churn model"
        )
        return model

    def __sklearn_tags__(self) -> Any:
        """Binary only; NaN, strings and categories in X are welcome."""
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


# -- evaluation --------------------------------------------------------------------------------


def evaluate_churn(
    frame: pd.DataFrame,
    target: str,
    id_column: str | None = None,
    folds: int = 5,
    seed: int = 0,
    *,
    with_peer: bool = False,
    model: ChurnClassifier | None = None,
) -> dict[str, Any]:
    """ROC-AUC and Brier score of the churn model on a customer table, by stratified CV.

    ``target`` is mapped to 0/1 (:func:`~kizuki.models.churn_features.binary_target`);
    ``id_column`` is dropped; the rest are features. ``folds`` shuffled stratified folds
    (``seed``); the mean and sample sd over folds. With ``with_peer``, a plain logistic
    regression (one-hot, median-imputed and standardised numbers) on the same folds, under
    ``peer``, and Kizuki's figures over the peer's under ``ratios``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"tenure": rng.integers(1, 72, 300)})
    >>> risk = np.where(frame.tenure < 12, 0.7, 0.1)
    >>> frame["churn"] = np.where(rng.random(300) < risk, "Yes", "No")
    >>> result = evaluate_churn(frame, "churn", folds=3, model=ChurnClassifier(n_estimators=30))
    >>> result["roc_auc"]["mean"] > 0.7, result["n"], result["folds"]
    (True, 300, 3)

    Raises
    ------
    ConfigError
        A column is not in ``frame``, the target is not binary or its churn value cannot be
        told, or ``folds`` is below 2 or above the churners or stayers.
    """
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold

    for what, name in (("target", target), ("id", id_column)):
        if name is not None and name not in frame.columns:
            raise ConfigError(
                f"{what} column {name!r} is not in the table; its columns: {list(frame.columns)}"
            )
    if id_column == target:
        raise ConfigError(f"the id column and the target are both {target!r}")
    y = binary_target(frame[target], target)
    X = frame.drop(columns=[c for c in (target, id_column) if c is not None])
    positives = int(y.sum())
    most = min(positives, len(y) - positives)
    if isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= most:
        raise ConfigError(
            f"folds must be an integer from 2 to {most} (the smaller class of {target!r}); "
            f"got {folds!r}"
        )
    columns = split_columns(X)
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y))
    base = model if model is not None else ChurnClassifier(random_state=seed)
    result: dict[str, Any] = {
        "n": len(y),
        "positives": positives,
        "folds": folds,
        "seed": seed,
        "numeric": columns.numeric,
        "categorical": columns.categorical,
        "ignored": columns.ignored,
        **cross_validate(lambda: clone(base), X, y, splits),
    }
    if with_peer:
        peer = cross_validate(lambda: logistic_peer(columns), peer_frame(X, columns), y, splits)
        result["peer"] = {"model": "one-hot + standardise + LogisticRegression", **peer}
        result["ratios"] = {
            metric: result[metric]["mean"] / peer[metric]["mean"] for metric in ("roc_auc", "brier")
        }
    return result
