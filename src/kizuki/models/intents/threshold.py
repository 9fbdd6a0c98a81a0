"""The out-of-scope threshold of the intent classifier, chosen on held-out predictions.

A text whose top joint probability (its *confidence*) is below the threshold is answered with
the out-of-scope label. ``"auto"`` chooses the highest threshold that rejects at most
``max_accuracy_drop`` (a share) of the held-out in-scope texts that the model got *right*, so
in-scope accuracy drops by at most that much while every less confident text is refused.
Training texts labelled with the out-of-scope label are a class of their own and are left out
of that count.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = ["HeldoutChoice", "choose_threshold"]


class HeldoutChoice(NamedTuple):
    """The threshold, and the held-out scores it was chosen on (None without held-out texts)."""

    threshold: float
    accuracy: float | None = None
    macro_f1: float | None = None
    refused: float | None = None


def choose_threshold(
    heldout: NDArray[np.float64] | None,
    y_idx: NDArray[np.intp],
    *,
    classes: NDArray[Any],
    oos_label: Any,
    oos_threshold: Literal["auto"] | float | None,
    max_accuracy_drop: float,
) -> HeldoutChoice:
    """The threshold from ``oos_threshold`` and the held-out joint probabilities ``heldout``.

    Rows of ``heldout`` that are NaN were not held out. Accuracy and macro-F1 are those of the
    held-out in-scope texts before the threshold; ``refused`` is the share it turns away.
    """
    if heldout is None:
        return HeldoutChoice(0.0 if oos_threshold in (None, "auto") else float(oos_threshold))
    rows = ~np.isnan(heldout[:, 0])
    in_scope = rows & (classes[y_idx] != oos_label)
    top = heldout[in_scope].max(axis=1)
    correct = heldout[in_scope].argmax(axis=1) == y_idx[in_scope]
    accuracy = float(correct.mean()) if len(correct) else None
    macro_f1 = None
    if len(correct):
        from sklearn.metrics import f1_score

        predicted = heldout[in_scope].argmax(axis=1)
        macro_f1 = float(f1_score(y_idx[in_scope], predicted, average="macro", zero_division=0))
    if oos_threshold != "auto":
        threshold = 0.0 if oos_threshold is None else float(oos_threshold)
    else:
        allowed = int(np.floor(max_accuracy_drop * in_scope.sum() + 1e-9))
        right = np.sort(top[correct])
        # Texts strictly below right[allowed] are refused: at most `allowed` right ones.
        threshold = float(right[min(allowed, len(right) - 1)]) if len(right) else 0.0
    refused = float(np.mean(top < threshold)) if len(top) else None
    return HeldoutChoice(threshold, accuracy, macro_f1, refused)
