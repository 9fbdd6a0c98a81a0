"""Churn risk per customer at a cut-off, trained on the past and checked on the window after
(issue 23, docs/outreach.md).

:func:`churn_risk` trains a :class:`~kizuki.models.churn.ChurnClassifier` on the features at
``cutoff - window`` (:func:`~kizuki.analytics.customer_features.customer_features`) with the
churn of the window that followed as the label, then scores every customer active at
``cutoff``. Its time-based validation trains one window earlier still and tests on the window
before ``cutoff``: the model is judged on a future it did not see, never on shuffled folds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from kizuki.analytics.customer_features import (
    FEATURE_COLUMNS,
    Tables,
    active_subscriptions,
    churn_labels,
    customer_features,
)

__all__ = ["FEATURE_LABELS", "MIN_CHURNERS", "churn_risk", "training_set"]

#: Churners a training window needs before a model is trained.
MIN_CHURNERS = 10
#: Feature names for people, per language (for the reasons).
FEATURE_LABELS: dict[str, dict[str, str]] = {
    "ja": {
        "segment": "セグメント", "plan": "プラン", "language": "言語", "monthly_value": "月額",
        "tenure_days": "利用日数", "days_to_renewal": "更新までの日数",
        "events_14d": "直近14日の利用", "events_prev_14d": "その前の14日の利用",
        "usage_trend": "利用の増減", "active_days_28d": "直近28日の利用日数",
        "days_since_last_event": "最終利用からの日数", "errors_28d": "直近28日のエラー",
        "errors_56d": "直近56日のエラー", "zero_result_searches_56d": "結果ゼロのヘルプ検索",
        "chatbot_opens_28d": "チャットボットの利用",
        "help_searches_28d": "直近28日のヘルプ検索", "contacts_28d": "直近28日の問い合わせ",
        "contacts_90d": "直近90日の問い合わせ", "unresolved_contacts": "未解決の問い合わせ",
        "last_nps": "直近のNPS", "csat_mean_90d": "直近90日のCSAT", "ces_mean_90d": "直近90日のCES",
        "incident_hits_28d": "直近28日の障害の影響",
        "struggle_sessions_28d": "直近28日のつまずき",
        "struggle_sessions_56d": "直近56日のつまずき",
        "struggle_kinds_56d": "つまずきの種類",
        "friction_strength_35d": "直近35日に遭遇した問題箇所の強さ",
    },
    "en": {
        "segment": "segment", "plan": "plan", "language": "language",
        "monthly_value": "monthly value", "tenure_days": "days as a customer",
        "days_to_renewal": "days to renewal", "events_14d": "use in the last 14 days",
        "events_prev_14d": "use in the 14 days before", "usage_trend": "change in use",
        "active_days_28d": "active days in the last 28",
        "days_since_last_event": "days since last use",
        "errors_28d": "errors in the last 28 days",
        "errors_56d": "errors in the last 56 days",
        "zero_result_searches_56d": "help searches with no result",
        "chatbot_opens_28d": "chatbot opens in 28 days",
        "help_searches_28d": "help searches in 28 days",
        "contacts_28d": "contacts in 28 days", "contacts_90d": "contacts in 90 days",
        "unresolved_contacts": "unresolved contacts", "last_nps": "last NPS",
        "csat_mean_90d": "CSAT over 90 days", "ces_mean_90d": "CES over 90 days",
        "incident_hits_28d": "incidents that hit them in 28 days",
        "struggle_sessions_28d": "sessions with struggle in 28 days",
        "struggle_sessions_56d": "sessions with struggle in 56 days",
        "struggle_kinds_56d": "kinds of struggle in 56 days",
        "friction_strength_35d": "strongest friction point met in 35 days",
    },
}  # fmt: skip


def training_set(
    t: Tables,
    cutoff: dt.datetime,
    window_days: int,
    hits: pd.DataFrame | None,
    stack: int = 1,
    signals: pd.DataFrame | None = None,
    step_days: int = 14,
    cache: dict[dt.datetime, tuple[pd.DataFrame, pd.Series]] | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Features at ``cutoff`` and whether each customer churned in the window after it; with
    ``stack`` > 1, the same at ``stack`` cut-offs ``step_days`` apart going back (each
    customer once per cut-off; ``cut_off`` numbers them, 0 = ``cutoff``), for more churners to
    learn from. ``cache`` keeps each cut-off's rows for another call with the same window (the
    validation's cut-offs overlap the training's when the window is a multiple of the step)."""
    frames, labels = [], []
    for k in range(stack):
        at = cutoff - dt.timedelta(days=k * step_days)
        if cache is not None and at in cache:
            features, y = cache[at]
        else:
            features = customer_features(t, at, incident_hits=hits, signals=signals)
            active = active_subscriptions(t, at).set_index("customer_id")
            y = churn_labels(t, active.reset_index(), at, window_days)
            y.index = active.index
            y = y.reindex(features["customer_id"]).fillna(0).astype("int64")
            if cache is not None:
                cache[at] = (features, y)
        frames.append(features.assign(cut_off=k))
        labels.append(y)
    return (
        pd.concat(frames, ignore_index=True),
        pd.concat(labels, ignore_index=True),
    )


def _fit(features: pd.DataFrame, labels: pd.Series, seed: int) -> Any:
    from kizuki.models.churn import ChurnClassifier

    model = ChurnClassifier(random_state=seed)
    return model.fit(features.loc[:, list(FEATURE_COLUMNS)], labels.to_numpy())


def churn_risk(
    t: Tables,
    cutoff: dt.datetime,
    window_days: int,
    *,
    hits: pd.DataFrame | None = None,
    signals: pd.DataFrame | None = None,
    seed: int = 0,
    reasons: int = 3,
    stack: int = 3,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per customer active at ``cutoff``: ``customer_id, p_churn, reasons_ja, reasons_en`` and
    the features; and what was trained (``status``, training size and churners, and the
    time-based validation's ``roc_auc``, ``brier`` and ``base_rate``)."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    window = dt.timedelta(days=window_days)
    now = customer_features(t, cutoff, incident_hits=hits, signals=signals)
    seen: dict[dt.datetime, tuple[pd.DataFrame, pd.Series]] = {}
    train_x, train_y = training_set(
        t, cutoff - window, window_days, hits, stack, signals=signals, cache=seen
    )
    info: dict[str, Any] = {
        "status": "trained",
        "cutoff": cutoff,
        "window_days": window_days,
        "train_customers": len(train_x),
        "train_churners": int(train_y.sum()),
        "roc_auc": None,
        "brier": None,
        "base_rate": None,
        "test_customers": None,
    }
    out = now.assign(p_churn=np.nan, reasons_ja="", reasons_en="")
    if int(train_y.sum()) < MIN_CHURNERS or len(set(train_y)) < 2:
        info["status"] = "too_few_churners"
        return out, info
    # time-based validation: train a window earlier, test on the window before the cut-off
    old_x, old_y = training_set(
        t, cutoff - 2 * window, window_days, hits, stack, signals=signals, cache=seen
    )
    # the window before the cut-off: the first of the training cut-offs, not computed again
    first = (train_x["cut_off"] == 0).to_numpy()
    test_x, test_y = train_x[first], train_y[first]
    if int(old_y.sum()) >= MIN_CHURNERS and len(set(train_y)) == 2:
        check = _fit(old_x, old_y, seed)
        p = check.predict_proba(test_x.loc[:, list(FEATURE_COLUMNS)])[:, 1]
        info["roc_auc"] = float(roc_auc_score(test_y, p))
        info["brier"] = float(brier_score_loss(test_y, p))
        info["base_rate"] = float(test_y.mean())
        info["test_customers"] = len(test_y)
    model = _fit(train_x, train_y, seed)
    if len(now):
        x = now.loc[:, list(FEATURE_COLUMNS)]
        out["p_churn"] = model.predict_proba(x)[:, 1]
        why = model.reasons(x, top=reasons)
        for lang in ("ja", "en"):
            sep = "、" if lang == "ja" else "; "
            out[f"reasons_{lang}"] = [
                sep.join(model.explain(r, lang, FEATURE_LABELS) for r in row) for row in why
            ]
    return out, info
