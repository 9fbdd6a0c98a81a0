"""What customers say (Q9): survey comments, contacts and brand mentions, with their sentiment.

- :func:`voice_texts` puts the three sources in one frame (``source`` survey / contact /
  mention, ``channel`` the survey kind, the contact channel or the mention's site).
- :func:`weak_labels`: a survey comment is labelled by its own score (NPS 0–6 negative, 7–8
  neutral, 9–10 positive; CSAT 1–2 / 3 / 4–5; CES by the thirds of its scale, higher easier).
- :func:`score_sentiment`: the dictionaries (:func:`~kizuki.models.sentiment.lexicon_labels`)
  read every text; where enough comments are labelled by their scores, a
  :class:`~kizuki.models.sentiment.SentimentClassifier` learns the team's own customers' words
  from them (its agreement with the labels measured by cross-validation) and reads the survey
  comments instead.
- :func:`voice_daily`: texts, negative and positive per local day and source.

Spikes in volume or negativity are in :mod:`kizuki.analytics.voice_spikes`.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from kizuki.analytics.kpis import NPS_DETRACTOR_MAX, NPS_PROMOTER_MIN
from kizuki.analytics.local_time import local_dates

__all__ = [
    "VOICE_SOURCES",
    "VoiceConfig",
    "score_sentiment",
    "voice_daily",
    "voice_texts",
    "weak_labels",
]

VOICE_SOURCES = ("survey", "contact", "mention")
_TEXT_COLUMNS = ["text_id", "source", "channel", "ts", "customer_id", "intent", "text", "kind",
                 "score"]  # fmt: skip


class VoiceConfig(BaseModel):
    """Settings of the voice of the customer (``[analyze.voice]``, docs/voice.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    learn_from_surveys: Annotated[
        bool,
        Field(description="learn sentiment from survey comments labelled by their scores"),
    ] = True
    min_labelled: Annotated[
        int, Field(ge=20, description="labelled survey comments needed to learn from them")
    ] = 200
    min_per_label: Annotated[
        int, Field(ge=5, description="…and at least this many of each of the three labels")
    ] = 20
    baseline_days: Annotated[
        int, Field(ge=7, description="days before a day that make its baseline")
    ] = 28
    min_baseline_days: Annotated[
        int, Field(ge=3, description="a day is tested once its baseline has this many days")
    ] = 7
    alpha: Annotated[
        float,
        Field(gt=0, lt=1, description="false-alarm rate per source and kind over the period"),
    ] = 0.01
    window_hours: Annotated[
        int,
        Field(ge=1, le=12, description="hours of the windows of a day whose volume is tested"),
    ] = 6
    min_spike_texts: Annotated[
        int, Field(ge=1, description="a spike day has at least this many (negative) texts")
    ] = 5
    examples: Annotated[
        int, Field(ge=0, le=20, description="example texts per spike and per topic")
    ] = 3
    min_topic_texts: Annotated[
        int,
        Field(
            ge=2,
            description="negative comments and mentions without an intent needed to look for "
            "topics among them",
        ),
    ] = 30
    min_topic_size: Annotated[int, Field(ge=2, description="texts a topic has at least")] = 5
    volume_sources: Annotated[
        tuple[str, ...],
        Field(
            description="sources whose volume is tested (survey volume follows the team's own "
            "sends, so only its negativity is)"
        ),
    ] = ("contact", "mention")


def voice_texts(
    surveys: pd.DataFrame, contacts: pd.DataFrame, mentions: pd.DataFrame
) -> pd.DataFrame:
    """The texts of the three sources (blank texts left out), one row each.

    ``surveys``: response_id, customer_id, ts, kind, score, comment, contact_id;
    ``contacts``: contact_id, customer_id, channel, opened_at, subject, text, intent;
    ``mentions``: mention_id, ts, source, text. A survey answer about a contact takes the
    contact's intent.
    """
    intent_of = dict(zip(contacts["contact_id"], contacts["intent"], strict=True))
    s = pd.DataFrame(
        {
            "text_id": surveys["response_id"].astype(str),
            "source": "survey",
            "channel": surveys["kind"].astype(str),
            "ts": surveys["ts"],
            "customer_id": surveys["customer_id"],
            "intent": surveys["contact_id"].map(intent_of),
            "text": surveys["comment"],
            "kind": surveys["kind"].astype(str),
            "score": pd.to_numeric(surveys["score"], errors="coerce"),
        }
    )
    body = contacts["subject"].fillna("").astype(str) + " " + contacts["text"].fillna("")
    c = pd.DataFrame(
        {
            "text_id": contacts["contact_id"].astype(str),
            "source": "contact",
            "channel": contacts["channel"].astype(str),
            "ts": contacts["opened_at"],
            "customer_id": contacts["customer_id"],
            "intent": contacts["intent"],
            "text": body.str.strip(),
            "kind": None,
            "score": np.nan,
        }
    )
    m = pd.DataFrame(
        {
            "text_id": mentions["mention_id"].astype(str),
            "source": "mention",
            "channel": mentions["source"].fillna("other").astype(str),
            "ts": mentions["ts"],
            "customer_id": None,
            "intent": None,
            "text": mentions["text"],
            "kind": None,
            "score": np.nan,
        }
    )
    frames = [f for f in (s, c, m) if len(f)]
    if not frames:
        return pd.DataFrame({k: pd.Series(dtype=object) for k in _TEXT_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    out["text"] = out["text"].fillna("").astype(str)
    out = out[out["text"].str.strip().str.len() > 0]
    return out.sort_values(["ts", "source", "text_id"], kind="stable").reset_index(drop=True)


def weak_labels(texts: pd.DataFrame, ces_higher_is_easier: bool = True) -> pd.Series:
    """negative / neutral / positive for survey comments by their score; None for the rest."""
    out = pd.Series([None] * len(texts), index=texts.index, dtype=object)
    score, kind = texts["score"], texts["kind"]
    if not ces_higher_is_easier:  # turn an effort scale into an ease scale
        ces = score[kind == "ces"]
        flipped = (ces.min() + ces.max()) - ces if len(ces.dropna()) else ces
        score = score.where(kind != "ces", flipped)
    bands: dict[str, tuple[float, float]] = {
        "nps": (NPS_DETRACTOR_MAX, NPS_PROMOTER_MIN),
        "csat": (2, 4),
    }
    ces = score[kind == "ces"]
    if len(ces.dropna()):  # CES: thirds of its scale (1–5 or 1–7), higher is easier
        top = 7.0 if ces.max() > 5 else 5.0
        bands["ces"] = (1 + (top - 1) / 3, top - (top - 1) / 3)
    for name, (low, high) in bands.items():
        mine = (kind == name) & score.notna()
        out[mine & (score <= low)] = "negative"
        out[mine & (score > low) & (score < high)] = "neutral"
        out[mine & (score >= high)] = "positive"
    return out


def score_sentiment(
    texts: pd.DataFrame, config: VoiceConfig, seed: int = 0, ces_higher_is_easier: bool = True
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``texts`` with ``sentiment`` and ``negative`` (its probability, or the dictionaries'
    negative polarity), and what read them: ``method`` learned or lexicon, the labelled
    comments per label and the learned model's cross-validated macro-F1 against them."""
    from kizuki.models.sentiment import LABELS, lexicon_polarity, polarity_labels

    labels = weak_labels(texts, ces_higher_is_easier)
    counts = {k: int((labels == k).sum()) for k in LABELS}
    info: dict[str, Any] = {
        "method": "lexicon",
        "labelled": int(labels.notna().sum()),
        **{f"labelled_{k}": v for k, v in counts.items()},
        "cv_macro_f1": None,
        "texts": len(texts),
    }
    out = texts.copy()
    polarity = lexicon_polarity(out["text"].tolist())
    out["sentiment"] = polarity_labels(polarity)
    out["negative"] = np.clip(-polarity, 0.0, 1.0)
    out["reader"] = "lexicon"
    enough = [info["labelled"] >= config.min_labelled, min(counts.values()) >= config.min_per_label]
    learn = config.learn_from_surveys and all(enough)
    if learn:
        from kizuki.models.sentiment import SentimentClassifier

        info["method"] = "learned"
        train = labels.notna()
        x, y = out.loc[train, "text"].tolist(), labels[train].astype(str).to_numpy()
        info["cv_macro_f1"] = _cross_validated_f1(x, y, seed)
        model = SentimentClassifier().fit(x, y)
        # the survey comments only: contacts and mentions are other kinds of text (on the
        # simulator's mentions a model learned from comments scored macro-F1 0.48 where the
        # dictionaries scored 0.86: docs/voice.md)
        mine = (out["source"] == "survey").to_numpy()
        proba = model.predict_proba(out.loc[mine, "text"].tolist())
        classes = [str(c) for c in model.classes_]
        out.loc[mine, "sentiment"] = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
        out.loc[mine, "negative"] = proba[:, classes.index("negative")]
        out.loc[mine, "reader"] = "learned"
    return out, info


def _cross_validated_f1(texts: list[str], labels: np.ndarray, seed: int) -> float:
    """Macro-F1 of 3-fold stratified cross-validation of the classifier on the weak labels."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from kizuki.models.sentiment import SentimentClassifier

    folds = StratifiedKFold(3, shuffle=True, random_state=seed)
    predicted = cross_val_predict(SentimentClassifier(), texts, labels, cv=folds)
    return float(f1_score(labels, predicted.astype(str), average="macro"))


def voice_daily(scored: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Per local day and source: texts, negative, positive and the negative share."""
    columns = ["day", "source", "texts", "negative", "positive", "negative_share"]
    if not len(scored):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = scored.assign(
        day=local_dates(scored["ts"], timezone),
        neg=scored["sentiment"] == "negative",
        pos=scored["sentiment"] == "positive",
    )
    daily = (
        frame.groupby(["day", "source"], as_index=False)
        .agg(texts=("text_id", "size"), negative=("neg", "sum"), positive=("pos", "sum"))
        .astype({"texts": "int64", "negative": "int64", "positive": "int64"})
    )
    daily["negative_share"] = daily["negative"] / daily["texts"]
    return daily.loc[:, columns].sort_values(["source", "day"]).reset_index(drop=True)
