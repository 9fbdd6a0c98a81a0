"""What Kizuki's text models share: the not-fitted error, text input, saved versions, calibration.

- :func:`check_fitted` raises :class:`~kizuki.errors.NotFittedError` (in a form that
  scikit-learn's checks also recognise as their own) and names the call that fits the model.
- :func:`refuse_single_text` and :func:`as_text`: a single ``str`` is refused (it is a
  sequence of characters, never what the caller meant); a missing cell (None, NaN) is an empty
  text.
- :func:`warn_if_other_version`: a saved model warns when another Kizuki version wrote it.
- Temperature scaling: one temperature ``T`` divides the logits before the softmax and is
  fitted by maximum likelihood on held-out logits. :func:`fit_temperature` and
  :func:`softmax` are the plain form (the fine-tuned encoder); :func:`fit_in_scope_temperature`
  and :func:`in_scope_softmax` add a "none of them" logit 0 (the one-vs-rest SVMs of
  :class:`~kizuki.models.intents.IntentClassifier`, whose own decision boundary is at 0).

Examples
--------
>>> import numpy as np
>>> softmax(np.array([[0.0, 0.0]], dtype=np.float32), temperature=1.0).tolist()
[[0.5, 0.5]]
>>> in_scope_softmax(np.array([[0.0]]), temperature=1.0).tolist()
[[0.5]]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

from kizuki.errors import ConfigError, NotFittedError

__all__ = [
    "as_text",
    "check_fitted",
    "fit_in_scope_temperature",
    "fit_temperature",
    "in_scope_softmax",
    "refuse_single_text",
    "softmax",
    "warn_if_other_version",
]


class _NotFittedError(NotFittedError, SklearnNotFittedError):  # type: ignore[misc]
    """Kizuki's NotFittedError that scikit-learn's checks recognise as theirs too."""


def check_fitted(model: object, attribute: str, fit_call: str) -> None:
    """Raise NotFittedError, naming ``fit_call``, unless ``model`` has ``attribute``."""
    if not hasattr(model, attribute):
        raise _NotFittedError(
            f"this {type(model).__name__} is not fitted yet; call {fit_call} first"
        )


# -- texts -----------------------------------------------------------------------------------


def refuse_single_text(X: object, what: str, error: type[Exception] = ConfigError) -> None:
    """Raise ``error`` if ``X`` is one str instead of a sequence of texts."""
    if isinstance(X, str):
        raise error(
            f"{what} expects a sequence of texts, got a single str; wrap it in a list: [text]"
        )


def as_text(value: Any) -> str:
    """One text: str as is, None and NaN as '', bytes decoded as UTF-8, anything else str()."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


# -- saved models ----------------------------------------------------------------------------


def warn_if_other_version(saved_by: object, what: str, *, stacklevel: int = 3) -> None:
    """Warn that ``what`` was saved by Kizuki ``saved_by`` if that is not this version."""
    from kizuki import __version__

    if saved_by != __version__:
        warnings.warn(
            f"{what} was saved by Kizuki {saved_by}; this is Kizuki {__version__}. "
            "Check its predictions or refit it.",
            UserWarning,
            stacklevel=stacklevel,
        )


# -- temperature scaling ---------------------------------------------------------------------


def softmax(logits: NDArray[np.float32], temperature: float) -> NDArray[np.float64]:
    """``softmax(logits / temperature)`` by rows, in float64."""
    z = logits.astype(np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return np.asarray(p / p.sum(axis=1, keepdims=True), dtype=np.float64)


def fit_temperature(logits: NDArray[np.float32], y: NDArray[np.intp]) -> float:
    """The temperature in [e⁻³, e³] that minimises the negative log-likelihood of ``y``."""
    z = logits.astype(np.float64)

    def nll(log_t: float) -> float:
        scaled = z / math.exp(log_t)
        scaled -= scaled.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(scaled).sum(axis=1))
        return float(np.mean(log_norm - scaled[np.arange(len(y)), y]))

    return math.exp(_best_log_temperature(nll, -3.0, 3.0))


def in_scope_softmax(scores: NDArray[np.float64], temperature: float) -> NDArray[np.float64]:
    """``softmax([scores, 0] / T)`` without its last ("none of them") column."""
    z = np.column_stack([scores, np.zeros(len(scores))]) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e[:, :-1] / e.sum(axis=1, keepdims=True))


def fit_in_scope_temperature(scores: NDArray[np.float64], y: NDArray[np.intp]) -> float:
    """The temperature of :func:`in_scope_softmax` that minimises the held-out cross-entropy
    against smoothed targets.

    As in Platt scaling, the true class gets ``1 - eps`` with ``eps = 1 / (n + 2)`` and the
    others (with "none of them") share ``eps``: separable held-out scores then give a finite
    temperature rather than probabilities of exactly 0 and 1.
    """
    from scipy.special import log_softmax

    n, k = scores.shape
    eps = 1.0 / (n + 2)
    targets = np.full((n, k + 1), eps / k)  # the last column is "none of them"
    targets[np.arange(n), y] = 1.0 - eps
    logits = np.column_stack([scores, np.zeros(n)])

    def loss(log_t: float) -> float:
        return float(-np.mean(np.sum(targets * log_softmax(logits / np.exp(log_t), axis=1), 1)))

    return float(np.exp(_best_log_temperature(loss, np.log(1e-3), np.log(1e2))))


def _best_log_temperature(loss: Callable[[float], float], low: float, high: float) -> float:
    """The log-temperature in [low, high] that minimises ``loss`` (bounded Brent search)."""
    from scipy.optimize import minimize_scalar

    return float(minimize_scalar(loss, bounds=(low, high), method="bounded").x)
