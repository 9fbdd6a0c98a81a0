"""Measure an intent model on a team's own labelled texts (``kizuki intents evaluate``).

A labelled file is a CSV with the columns ``text,intent`` (UTF-8, or another encoding given by
name, e.g. ``cp932``). Evaluation trains on one file and scores the other: accuracy and
macro-F1 over every test row (a text the model refuses as out of scope counts as wrong), the
closed accuracy (the best intent of every text, the threshold left out) and, where the test
file marks out-of-scope texts with a label, in-scope accuracy, out-of-scope recall and
precision, and the AUROC of the out-of-scope score.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kizuki.errors import ConfigError, NotFoundError

__all__ = ["evaluate_intents", "read_labelled_csv", "score_predictions"]


def read_labelled_csv(path: str | Path, *, encoding: str = "utf-8") -> pd.DataFrame:
    """Read a ``text,intent`` CSV; rows without text or intent are dropped with a count.

    Raises
    ------
    NotFoundError
        The file does not exist.
    ConfigError
        It cannot be decoded or parsed, or lacks a ``text`` or ``intent`` column.
    """
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"labelled file {path} does not exist")
    try:
        frame = pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False)
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid {encoding} ({exc.reason} at byte {exc.start}); "
            "pass the file's encoding, e.g. --encoding cp932"
        ) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ConfigError(f"{path}: not a readable CSV file ({exc})") from exc
    missing = [c for c in ("text", "intent") if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"{path}: missing column(s) {', '.join(missing)}; found {list(frame.columns)}; "
            "a labelled file needs the header text,intent"
        )
    frame = frame[["text", "intent"]].copy()
    frame["intent"] = frame["intent"].str.strip()
    keep = (frame["text"].str.strip() != "") & (frame["intent"] != "")
    frame.attrs["dropped_rows"] = int((~keep).sum())
    frame = frame[keep].reset_index(drop=True)
    if frame.empty:
        raise ConfigError(f"{path}: no row has both a text and an intent")
    return frame


def score_predictions(
    truth: Sequence[str],
    predicted: Sequence[str],
    oos_score: Sequence[float] | np.ndarray | None = None,
    *,
    oos_label: str | None = None,
) -> dict[str, float | int | None]:
    """Accuracy and macro-F1; with ``oos_label`` present in ``truth`` also in-scope accuracy,
    out-of-scope recall and precision, and the AUROC of ``oos_score`` (higher = more
    likely out of scope)."""
    from sklearn.metrics import f1_score, roc_auc_score

    y = np.asarray(truth, dtype=object)
    p = np.asarray(predicted, dtype=object)
    labels = sorted(set(y.tolist()))
    scores: dict[str, float | int | None] = {
        "n": int(y.size),
        "accuracy": float(np.mean(y == p)),
        "macro_f1": float(f1_score(y, p, labels=labels, average="macro", zero_division=0)),
    }
    if oos_label is None or oos_label not in labels:
        return scores
    is_oos = y == oos_label
    said_oos = p == oos_label
    scores["n_out_of_scope"] = int(is_oos.sum())
    scores["in_scope_accuracy"] = (
        float(np.mean(p[~is_oos] == y[~is_oos])) if (~is_oos).any() else None
    )
    scores["oos_recall"] = float(np.mean(said_oos[is_oos]))
    scores["oos_precision"] = float(np.mean(is_oos[said_oos])) if said_oos.any() else None
    both = is_oos.any() and (~is_oos).any()
    if oos_score is not None and both:
        scores["auroc"] = float(roc_auc_score(is_oos, np.asarray(oos_score, dtype=float)))
    return scores


def evaluate_intents(
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    oos_label: str | None = None,
    random_state: int = 0,
    model: Any = None,
    model_kind: str = "auto",
    time_budget_s: float | None = None,
) -> dict[str, Any]:
    """Train an :class:`~kizuki.models.intents.IntentClassifier` on ``train`` and score ``test``.

    Rows of ``train`` labelled ``oos_label`` are out-of-scope examples (they set the
    threshold); the model's own out-of-scope answer is named ``oos_label`` when given.
    ``model`` replaces the default classifier (any estimator with ``fit``, ``predict`` and
    ``predict_proba`` over texts). Otherwise ``model_kind`` (``auto``, ``tfidf``, ``encoder``)
    chooses it, see :mod:`kizuki.models.intents.choice`; the result names the choice and why.
    """
    from kizuki.models.intents.choice import (
        DEFAULT_TIME_BUDGET_S,
        build_intent_classifier,
        choose_intent_model,
    )

    choice = None
    if model is None:
        budget = time_budget_s or DEFAULT_TIME_BUDGET_S
        choice = choose_intent_model(train["text"].tolist(), model_kind, time_budget_s=budget)
        params: dict[str, Any] = {"random_state": random_state, "n_jobs": -1}
        if oos_label is not None:
            params["oos_label"] = oos_label
        model = build_intent_classifier(choice, time_budget_s=budget, **params)
    started = time.perf_counter()
    model.fit(train["text"].tolist(), train["intent"].tolist())
    fit_s = time.perf_counter() - started
    texts = test["text"].tolist()
    started = time.perf_counter()
    if hasattr(model, "predict_with_proba"):  # labels and confidences in one pass
        labels, joint = model.predict_with_proba(texts)
        predict_s = time.perf_counter() - started
        oos_score = 1.0 - np.asarray(joint).max(axis=1)
    else:
        labels = model.predict(texts)
        predict_s = time.perf_counter() - started
        if hasattr(model, "oos_score"):
            oos_score = np.asarray(model.oos_score(texts))
        else:
            oos_score = 1.0 - np.asarray(model.predict_proba(texts)).max(axis=1)
    predicted = [str(p) for p in labels]
    result: dict[str, Any] = score_predictions(
        test["intent"].tolist(), predicted, oos_score, oos_label=oos_label
    )
    if hasattr(model, "predict_with_proba") and len(texts):
        # the best intent of every text, the out-of-scope threshold left out
        best = np.asarray(model.classes_, dtype=object)[np.asarray(joint).argmax(axis=1)]
        result["closed_accuracy"] = float(np.mean(best == test["intent"].to_numpy(dtype=object)))
    known = set(train["intent"])
    unseen = sorted(set(test["intent"]) - known - {oos_label})
    result.update(
        {
            "train_rows": len(train),
            "intents": len(known - {oos_label}),
            "unseen_intents": unseen,
            "threshold": float(getattr(model, "threshold_", float("nan"))),
            "fit_seconds": round(fit_s, 3),
            "predict_texts_per_second": round(len(texts) / predict_s, 1) if predict_s else None,
            "train_texts_per_second": round(len(train) / fit_s, 1) if fit_s else None,
            "model": choice.model if choice else type(model).__name__,
            "model_reason": choice.reason if choice else "given",
            "features": getattr(model, "features_", None),
        }
    )
    return result
