"""Contact reasons (Q3): the intent of every contact and help search, their weekly trend,
new topics among contacts that fit no known intent, and intents or topics on the rise.

The intent model is trained on the store's own labelled contacts (``contacts.intent``): a
team's taxonomy is the one its agents use. A labelled contact keeps its label; every other
contact, chatbot conversation and distinct search query gets the model's intent and its
calibrated confidence, or ``out_of_scope`` when no intent fits. Contacts that fit no intent are
clustered into proposed new topics. Texts are read as stored, i.e. already redacted at ingest.
Only per-contact and per-query tables come to Python; searches are joined back in the engine.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import ibis.expr.types as ir
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from kizuki.analytics.local_time import UTC_ZONE, local_week_start, local_week_starts
from kizuki.schema import result_columns

if TYPE_CHECKING:
    from kizuki.models.intents import IntentClassifier

__all__ = [
    "IntentConfig",
    "classify_contacts",
    "contact_texts",
    "discover_contact_topics",
    "emerging_intents",
    "intent_weekly",
    "labelled_examples",
    "load_intent_model",
    "new_topics",
    "query_intents",
    "search_intents",
    "text_intents",
    "topic_of_contacts",
    "train_intent_model",
]


class IntentConfig(BaseModel):
    """Thresholds of the contact-reason step (docs/intents.md). The seed of the model's folds
    and of the clustering is the run's (``[analyze] seed``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_labelled: int = Field(
        30, ge=1, description="fewer labelled contacts: no model is trained, labels only"
    )
    min_per_intent: int = Field(
        5, ge=1, description="intents with fewer labelled examples are left out of training"
    )
    min_new_topic_texts: int = Field(
        15, ge=2, description="fewer out-of-scope contacts: no new-topic discovery"
    )
    min_new_topic_size: int = Field(
        10, ge=1, description="smaller groups of out-of-scope contacts are not proposed"
    )
    known_examples: int = Field(
        50, ge=1, description="labelled texts per intent used to name a new topic's nearest"
    )
    examples: int = Field(3, ge=0, description="example texts kept per topic and rising intent")
    recent_weeks: int = Field(
        2, ge=1, description="weeks whose contacts are tested against the baseline"
    )
    baseline_weeks: int = Field(6, ge=1, description="weeks before them that form the baseline")
    min_topic_texts: int = Field(
        20,
        ge=2,
        description="with no intent model (too few labels), at least this many unlabelled "
        "contacts are grouped into discovered topics that serve as their contact reasons",
    )
    model: Literal["auto", "tfidf", "encoder"] = Field(
        "auto",
        description="intent model: auto (by language, size and time budget), tfidf or encoder",
    )
    time_budget_s: float = Field(
        600.0, gt=0, description="seconds the auto model choice may spend fine-tuning the encoder"
    )


def contact_texts(contacts: ir.Table) -> pd.DataFrame:
    """Contacts with one text each (``body``: subject and text) and their ``label``."""
    cols = ["contact_id", "customer_id", "channel", "opened_at", "subject", "text", "intent"]
    # a fixed order: the model (its folds) must not depend on the engine's row order
    frame: pd.DataFrame = contacts.select(*cols).order_by("contact_id").to_pyarrow().to_pandas()
    subject = frame["subject"].fillna("").astype(str)
    body = frame["text"].fillna("").astype(str)
    frame["body"] = (subject + "\n" + body).str.strip()
    frame["label"] = frame["intent"].fillna("").astype(str).str.strip()
    return frame.drop(columns=["subject", "text", "intent"])


def labelled_examples(contacts: pd.DataFrame, config: IntentConfig) -> pd.DataFrame:
    """The labelled contacts a model can learn from (intents with enough examples)."""
    labelled = contacts[contacts["label"] != ""]
    counts = labelled["label"].value_counts()
    keep = counts[counts >= config.min_per_intent].index
    return labelled[labelled["label"].isin(keep)]


def train_intent_model(
    contacts: pd.DataFrame, config: IntentConfig, *, seed: int
) -> tuple[IntentClassifier | None, dict[str, Any]]:
    """An intent model trained on the labelled ``contacts`` (of :func:`contact_texts`) and
    its measured quality (a ``result_intent_model`` row); None when there are too few labels."""

    examples = labelled_examples(contacts, config)
    info: dict[str, Any] = {
        "labelled": int((contacts["label"] != "").sum()),
        "trained_on": len(examples),
        "intents": int(examples["label"].nunique()),
    }
    if len(examples) < config.min_labelled or info["intents"] < 2:
        info["status"] = "too_few_labels"
        return None, info
    from kizuki.models.intents.choice import build_intent_classifier, choose_intent_model

    texts, labels = examples["body"].tolist(), examples["label"].tolist()
    choice = choose_intent_model(texts, config.model, time_budget_s=config.time_budget_s)
    model = build_intent_classifier(
        choice, time_budget_s=config.time_budget_s, random_state=seed, n_jobs=-1
    ).fit(texts, labels)
    info["status"] = "trained"
    info["model"] = choice.model
    info["features"] = model.features_
    info["model_reason"] = choice.reason
    # the classifier's own cross-fitted (out-of-fold) predictions measure it: no second fit
    info["cv_accuracy"] = model.heldout_accuracy_
    info["cv_macro_f1"] = model.heldout_macro_f1_
    info["oos_threshold"] = float(model.threshold_)
    info["cv_out_of_scope"] = model.heldout_refused_
    return model, info


def load_intent_model(
    path: Path, contacts: pd.DataFrame
) -> tuple[IntentClassifier, dict[str, Any]]:
    """The model saved at ``path`` (``kizuki intents train``) and its ``result_intent_model``
    row."""
    from kizuki.models.intents import IntentClassifier

    model = IntentClassifier.load(path)
    info: dict[str, Any] = {
        "status": "loaded",
        "model_file": str(path),
        "labelled": int((contacts["label"] != "").sum()),
        "intents": len(model.classes_),
        "model": "tfidf" if model.encoder is None else "encoder",
        "features": getattr(model, "features_", None),
    }
    return model, info


def _classify(
    model: IntentClassifier | None, texts: list[str], *, refuse: bool = True
) -> tuple[list[str], np.ndarray]:
    """Intent and confidence of each text. ``refuse=False`` (short search queries, whose
    confidences are not comparable with the contacts' threshold): the most likely intent
    unless the text has no known word or character n-gram at all."""
    if model is None or not texts:
        return [""] * len(texts), np.full(len(texts), np.nan)
    predicted, joint = model.predict_with_proba(texts)
    confidence = joint.max(axis=1)
    if refuse:
        return [str(p) for p in predicted], confidence
    best = [str(c) for c in model.classes_[joint.argmax(axis=1)]]
    return [
        b if c > 0 else str(model.oos_label) for b, c in zip(best, confidence, strict=True)
    ], confidence


def text_intents(model: IntentClassifier | None, texts: list[str]) -> list[str | None]:
    """The intent of each free text (a comment, a mention), None where the model refuses it
    as out of scope or there is no model."""
    predicted, _ = _classify(model, texts)
    oos = str(model.oos_label) if model is not None else ""
    return [p if p and p != oos else None for p in predicted]


def classify_contacts(
    contacts: pd.DataFrame, model: IntentClassifier | None, oos_label: str
) -> pd.DataFrame:
    """Every contact's intent: its label, else the model's (``result_contact_intents``, plus
    the contact's ``body`` for the steps after)."""
    from kizuki.models.text import detect_language

    pred, confidence = _classify(model, contacts["body"].tolist())
    out = contacts[["contact_id", "customer_id", "channel", "opened_at", "label"]].copy()
    out["language"] = [detect_language(t) for t in contacts["body"]]
    out["model_intent"] = pred
    out["confidence"] = confidence
    labelled = out["label"] != ""
    out["intent"] = np.where(labelled, out["label"], out["model_intent"])
    out["source"] = np.where(
        labelled, "label", np.where(out["model_intent"] == oos_label, "out_of_scope", "model")
    )
    out.loc[out["intent"] == "", "source"] = "unknown"
    out = out.rename(columns={"label": "labelled_intent"})
    out["body"] = contacts["body"].to_numpy()
    return out


def query_intents(searches: ir.Table, model: IntentClassifier | None) -> pd.DataFrame:
    """Every distinct help-search query with its intent (``result_query_intents``)."""
    from kizuki.models.text import detect_language

    grouped = searches.group_by("query").aggregate(searches=searches.count()).order_by("query")
    queries: pd.DataFrame = grouped.to_pyarrow().to_pandas()
    queries["query"] = queries["query"].fillna("").astype(str)
    pred, confidence = _classify(model, queries["query"].tolist(), refuse=False)
    queries["language"] = [detect_language(q) for q in queries["query"]]
    queries["intent"] = pred
    queries["confidence"] = confidence
    return queries


def search_intents(searches: ir.Table, query_intents: ir.Table) -> ir.Table:
    """Every search with its query's intent, joined in the engine (``result_search_intents``)."""
    joined = searches.join(query_intents.select("query", "intent", "confidence"), "query")
    return joined.select("search_id", "ts", "customer_id", "session_id", "intent", "confidence")


def intent_weekly(
    contacts: pd.DataFrame,
    searches: ir.Table,
    query_intents: ir.Table,
    timezone: str = UTC_ZONE,
) -> pd.DataFrame:
    """Contacts and searches per (local week of ``timezone``, intent or new topic)
    (``result_intent_weekly``); ``contacts`` carries each contact's ``topic``
    (:func:`topic_of_contacts`)."""
    week = local_week_starts(contacts["opened_at"], timezone)
    c = contacts.assign(week=week, intent=contacts["topic"])
    by_contact = c.groupby(["week", "intent"]).size().rename("contacts")
    joined = searches.join(query_intents, "query")
    wk = local_week_start(joined.ts, timezone).name("week")
    counted = joined.group_by([wk, joined.intent]).aggregate(searches=joined.count())
    by_search = counted.to_pyarrow().to_pandas().set_index(["week", "intent"])["searches"]
    weekly = pd.concat([by_contact, by_search], axis=1).fillna(0).astype("int64").reset_index()
    weekly = weekly[weekly["intent"] != ""]
    ordered: pd.DataFrame = weekly.sort_values(["week", "intent"]).reset_index(drop=True)
    return ordered


def _examples_json(texts: Sequence[str], n: int) -> str:
    return json.dumps([t[:300] for t in list(texts)[:n]], ensure_ascii=False)


def new_topics(
    contacts: pd.DataFrame, known: pd.DataFrame, config: IntentConfig, *, seed: int
) -> pd.DataFrame:
    """Topics among contacts the model put out of scope (``result_new_topics``; see
    :mod:`kizuki.models.topics`); each names the known intent it is closest to."""
    from kizuki.models.topics import IntentDiscoverer, propose_new_topics

    oos = contacts[contacts["source"] == "out_of_scope"].reset_index(drop=True)
    rows: list[dict[str, Any]] = []
    if len(oos) >= config.min_new_topic_texts:
        examples = {
            str(intent): group["body"].tolist()[: config.known_examples]
            for intent, group in known.groupby("label")
        }
        proposals = propose_new_topics(
            oos["body"].tolist(),
            examples or None,
            discoverer=IntentDiscoverer(random_state=seed),
            min_size=config.min_new_topic_size,
        )
        for p in proposals:
            members = oos.iloc[list(p.members)]
            rows.append(
                {
                    "topic_id": f"new_{p.topic.topic_id}",
                    "contacts": len(members),
                    "language": p.topic.language,
                    "label": p.topic.label,
                    "terms": json.dumps(list(p.topic.terms), ensure_ascii=False),
                    "nearest_intent": p.nearest_intent,
                    "similarity": p.similarity,
                    "description_ja": p.description_ja,
                    "description_en": p.description_en,
                    "examples": _examples_json(p.topic.examples, config.examples),
                    "contact_ids": json.dumps(members["contact_id"].tolist()),
                    "first_seen": members["opened_at"].min(),
                    "last_seen": members["opened_at"].max(),
                }
            )
    return pd.DataFrame(rows, columns=list(result_columns("result_new_topics")))


def discover_contact_topics(
    classified: pd.DataFrame, config: IntentConfig, *, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cold start: with no intent model, every unlabelled contact gets a discovered topic as
    its contact reason (``source = topic``, ``intent`` = the topic's label), and the topics
    are returned as ``result_new_topics`` rows (with ``nearest_intent`` empty). Returns the
    contacts and the topics; unchanged and empty below ``config.min_topic_texts`` contacts."""
    from kizuki.models.topics import IntentDiscoverer

    todo = (classified["source"] == "unknown") & (classified["body"].str.strip() != "")
    empty = pd.DataFrame(columns=list(result_columns("result_new_topics")))
    if int(todo.sum()) < config.min_topic_texts:
        return classified, empty
    part = classified[todo]
    model = IntentDiscoverer(random_state=seed).fit(part["body"].tolist())
    names: dict[int, str] = {}
    for topic in sorted(model.topics_, key=lambda t: -int(t.size)):
        name, k = str(topic.label) or f"topic {topic.topic_id}", 2
        while name in names.values() or name in set(classified["intent"]):
            name, k = f"{topic.label} ({k})", k + 1
        names[int(topic.topic_id)] = name
    out = classified.copy()
    labels = np.asarray(model.labels_)
    out.loc[todo, "intent"] = [names[int(t)] for t in labels]
    out.loc[todo, "source"] = "topic"
    rows = []
    for topic in model.topics_:
        members = part[labels == topic.topic_id]
        name = names[int(topic.topic_id)]
        rows.append(
            {
                "topic_id": name,
                "contacts": len(members),
                "language": topic.language,
                "label": name,
                "terms": json.dumps(list(topic.terms), ensure_ascii=False),
                "nearest_intent": None,
                "similarity": None,
                "description_ja": f"ラベルのない問い合わせから見つかったトピック「{name}」"
                f"（{len(members)} 件）",
                "description_en": f"A topic found in unlabelled contacts: {name} "
                f"({len(members)} contacts)",
                "examples": _examples_json(topic.examples, config.examples),
                "contact_ids": json.dumps(members["contact_id"].tolist()),
                "first_seen": members["opened_at"].min(),
                "last_seen": members["opened_at"].max(),
            }
        )
    rows.sort(key=lambda r: -int(r["contacts"]))
    return out, pd.DataFrame(rows, columns=list(result_columns("result_new_topics")))


def topic_of_contacts(contacts: pd.DataFrame, new_topics: pd.DataFrame) -> pd.Series:
    """Each contact's intent, or its proposed new topic's id where it has one."""
    topic_of = dict(zip(contacts["contact_id"], contacts["intent"], strict=True))
    for row in new_topics.itertuples():
        for cid in json.loads(str(row.contact_ids)):
            topic_of[cid] = str(row.topic_id)
    return contacts["contact_id"].map(topic_of)


def emerging_intents(
    contacts: pd.DataFrame, config: IntentConfig, timezone: str = UTC_ZONE
) -> pd.DataFrame:
    """Intents and new topics whose latest weekly volume is significantly above baseline
    (``result_emerging_intents``); ``contacts`` carries each contact's ``topic``. Weeks are
    local weeks of ``timezone``."""
    from kizuki.models.emerging import emerging_topics

    frame = pd.DataFrame(
        {
            # local times: emerging_topics floors each to the Monday of its own zone
            "ts": pd.to_datetime(contacts["opened_at"], utc=True).dt.tz_convert(timezone),
            "topic": contacts["topic"],
            "text": contacts["body"],
        }
    )
    frame = frame[~frame["topic"].isin(["", "out_of_scope"])]
    flagged = emerging_topics(
        frame,
        time_col="ts",
        recent_weeks=config.recent_weeks,
        baseline_weeks=config.baseline_weeks,
        n_examples=config.examples,
    )
    flagged["examples"] = [
        json.dumps([str(t)[:300] for t in ex], ensure_ascii=False) for ex in flagged["examples"]
    ]
    flagged["week"] = pd.to_datetime(flagged["week"]).dt.date
    return flagged
