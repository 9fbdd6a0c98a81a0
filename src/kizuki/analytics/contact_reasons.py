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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kizuki.progress import ProgressCallback, no_progress
from kizuki.store import Store

if TYPE_CHECKING:
    from kizuki.models.intents import IntentClassifier

__all__ = [
    "CONTACT_REASON_TABLES",
    "IntentConfig",
    "contact_texts",
    "labelled_examples",
    "write_contact_reasons",
]

#: Result tables written by :func:`write_contact_reasons`, in order.
CONTACT_REASON_TABLES = (
    "result_intent_model",
    "result_contact_intents",
    "result_query_intents",
    "result_search_intents",
    "result_intent_weekly",
    "result_new_topics",
    "result_emerging_intents",
)


_TS = pa.timestamp("us", tz="UTC")
#: Column types of the result tables (so that empty results keep their types).
SCHEMAS: dict[str, pa.Schema] = {
    "result_intent_model": pa.schema(
        [
            ("status", pa.string()),
            ("model_file", pa.string()),
            ("labelled", pa.int64()),
            ("trained_on", pa.int64()),
            ("intents", pa.int64()),
            ("cv_accuracy", pa.float64()),
            ("cv_macro_f1", pa.float64()),
            ("cv_out_of_scope", pa.float64()),
            ("oos_threshold", pa.float64()),
        ]
    ),
    "result_contact_intents": pa.schema(
        [
            ("contact_id", pa.string()),
            ("customer_id", pa.string()),
            ("channel", pa.string()),
            ("opened_at", _TS),
            ("labelled_intent", pa.string()),
            ("language", pa.string()),
            ("model_intent", pa.string()),
            ("confidence", pa.float64()),
            ("intent", pa.string()),
            ("source", pa.string()),
        ]
    ),
    "result_query_intents": pa.schema(
        [
            ("query", pa.string()),
            ("searches", pa.int64()),
            ("language", pa.string()),
            ("intent", pa.string()),
            ("confidence", pa.float64()),
        ]
    ),
    "result_intent_weekly": pa.schema(
        [
            ("week", pa.date32()),
            ("intent", pa.string()),
            ("contacts", pa.int64()),
            ("searches", pa.int64()),
        ]
    ),
    "result_new_topics": pa.schema(
        [
            ("topic_id", pa.string()),
            ("contacts", pa.int64()),
            ("language", pa.string()),
            ("label", pa.string()),
            ("terms", pa.string()),
            ("nearest_intent", pa.string()),
            ("similarity", pa.float64()),
            ("description_ja", pa.string()),
            ("description_en", pa.string()),
            ("examples", pa.string()),
            ("contact_ids", pa.string()),
            ("first_seen", _TS),
            ("last_seen", _TS),
        ]
    ),
    "result_emerging_intents": pa.schema(
        [
            ("topic", pa.string()),
            ("week", pa.date32()),
            ("count", pa.int64()),
            ("baseline", pa.float64()),
            ("ratio", pa.float64()),
            ("p_value", pa.float64()),
            ("q_value", pa.float64()),
            ("flagged", pa.bool_()),
            ("examples", pa.string()),
        ]
    ),
}
NEW_TOPIC_COLUMNS = SCHEMAS["result_new_topics"].names


@dataclass(frozen=True)
class IntentConfig:
    """Thresholds of the contact-reason step (docs/intents.md).

    Attributes
    ----------
    min_labelled
        Fewer labelled contacts than this: no model is trained; only labels are used.
    min_per_intent
        Intents with fewer labelled examples are left out of training (too few to learn).
    min_new_topic_texts
        Fewer out-of-scope contacts than this: no new-topic discovery.
    min_new_topic_size
        Smaller groups of out-of-scope contacts are not proposed as a topic.
    known_examples
        Labelled texts per known intent used to name the intent nearest each new topic.
    examples
        Example texts kept per new topic and per emerging intent.
    recent_weeks, baseline_weeks
        An intent or topic is on the rise when its contacts in the last ``recent_weeks``
        weeks are significantly above its weekly mean over the ``baseline_weeks`` before
        (:func:`kizuki.models.emerging.emerging_topics`).
    random_state
        Seed of the model's folds and of the clustering.
    """

    min_labelled: int = 30
    min_per_intent: int = 5
    min_new_topic_texts: int = 15
    min_new_topic_size: int = 10
    known_examples: int = 50
    examples: int = 3
    recent_weeks: int = 2
    baseline_weeks: int = 6
    random_state: int = 0


def contact_texts(store: Store) -> pd.DataFrame:
    """Contacts with one text each (``body``: subject and text) and their ``label``."""
    t = store.table("contacts")
    cols = ["contact_id", "customer_id", "channel", "opened_at", "subject", "text", "intent"]
    # a fixed order: the model (its folds) must not depend on the engine's row order
    frame: pd.DataFrame = store.to_arrow(t.select(*cols).order_by("contact_id")).to_pandas()
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


def _week(ts: pd.Series) -> pd.Series:
    """Monday (UTC) of each timestamp's week, as a date."""
    utc = pd.to_datetime(ts, utc=True)
    monday = utc.dt.tz_localize(None).dt.normalize() - pd.to_timedelta(utc.dt.day_of_week, unit="D")
    return monday.dt.date


def _train(
    contacts: pd.DataFrame, config: IntentConfig
) -> tuple[IntentClassifier | None, dict[str, Any]]:
    """The store's intent model and its measured quality (None when too few labels)."""
    from kizuki.models.intents import IntentClassifier

    examples = labelled_examples(contacts, config)
    info: dict[str, Any] = {
        "labelled": int((contacts["label"] != "").sum()),
        "trained_on": len(examples),
        "intents": int(examples["label"].nunique()),
    }
    if len(examples) < config.min_labelled or info["intents"] < 2:
        info["status"] = "too_few_labels"
        return None, info
    texts, labels = examples["body"].tolist(), examples["label"].tolist()
    model = IntentClassifier(random_state=config.random_state, n_jobs=-1).fit(texts, labels)
    info["status"] = "trained"
    # the classifier's own cross-fitted (out-of-fold) predictions measure it: no second fit
    info["cv_accuracy"] = model.heldout_accuracy_
    info["cv_macro_f1"] = model.heldout_macro_f1_
    info["oos_threshold"] = float(model.threshold_)
    info["cv_out_of_scope"] = model.heldout_refused_
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


def _contact_intents(
    contacts: pd.DataFrame, model: IntentClassifier | None, oos_label: str
) -> pd.DataFrame:
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
    return out.rename(columns={"label": "labelled_intent"})


def _query_intents(store: Store, model: IntentClassifier | None) -> pd.DataFrame:
    from kizuki.models.text import detect_language

    s = store.table("searches")
    grouped = s.group_by("query").aggregate(searches=s.count()).order_by("query")
    queries: pd.DataFrame = store.to_arrow(grouped).to_pandas()
    queries["query"] = queries["query"].fillna("").astype(str)
    pred, confidence = _classify(model, queries["query"].tolist(), refuse=False)
    queries["language"] = [detect_language(q) for q in queries["query"]]
    queries["intent"] = pred
    queries["confidence"] = confidence
    return queries


def _weekly(store: Store, contacts: pd.DataFrame) -> pd.DataFrame:
    """Contacts and searches per (week, intent or new topic)."""
    c = contacts.assign(week=_week(contacts["opened_at"]), intent=contacts["topic"])
    by_contact = c.groupby(["week", "intent"]).size().rename("contacts")
    s = store.table("searches")
    q = store.table("result_query_intents")
    joined = s.join(q, "query")
    wk = joined.ts.truncate("W").cast("date").name("week")
    searches = store.to_arrow(
        joined.group_by([wk, joined.intent]).aggregate(searches=joined.count())
    ).to_pandas()
    by_search = searches.set_index(["week", "intent"])["searches"]
    weekly = pd.concat([by_contact, by_search], axis=1).fillna(0).astype("int64").reset_index()
    weekly = weekly[weekly["intent"] != ""]
    ordered: pd.DataFrame = weekly.sort_values(["week", "intent"]).reset_index(drop=True)
    return ordered


def _examples_json(texts: Sequence[str], n: int) -> str:
    return json.dumps([t[:300] for t in list(texts)[:n]], ensure_ascii=False)


def _new_topics(contacts: pd.DataFrame, known: pd.DataFrame, config: IntentConfig) -> pd.DataFrame:
    """Topics among contacts the model put out of scope (see :mod:`kizuki.models.topics`);
    each names the known intent it is closest to."""
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
            discoverer=IntentDiscoverer(random_state=config.random_state),
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
    return pd.DataFrame(rows, columns=NEW_TOPIC_COLUMNS)


def _topics(contacts: pd.DataFrame, new_topics: pd.DataFrame) -> pd.Series:
    """Each contact's intent, or its proposed new topic's id where it has one."""
    topic_of = dict(zip(contacts["contact_id"], contacts["intent"], strict=True))
    for row in new_topics.itertuples():
        for cid in json.loads(str(row.contact_ids)):
            topic_of[cid] = str(row.topic_id)
    return contacts["contact_id"].map(topic_of)


def _emerging(contacts: pd.DataFrame, config: IntentConfig) -> pd.DataFrame:
    """Intents and new topics whose latest weekly volume is significantly above baseline."""
    from kizuki.models.emerging import emerging_topics

    frame = pd.DataFrame(
        {
            "ts": pd.to_datetime(contacts["opened_at"], utc=True),
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


def _write(store: Store, name: str, frame: pd.DataFrame) -> None:
    """Write ``frame`` as result table ``name`` with its declared column types."""
    schema = SCHEMAS[name]
    frame = frame.reindex(columns=schema.names)
    store.write_table(name, pa.Table.from_pandas(frame, schema=schema, preserve_index=False))


def write_contact_reasons(
    store: Store,
    *,
    config: IntentConfig | None = None,
    model_path: Path | None = None,
    progress: ProgressCallback = no_progress,
) -> list[str]:
    """Classify contacts and searches, find new and emerging topics; write the result tables.

    ``model_path`` is a model saved by ``kizuki intents train``; without it a model is
    trained on the store's labelled contacts. Returns the names written
    (:data:`CONTACT_REASON_TABLES`).
    """
    from kizuki.models.intents import IntentClassifier

    config = config or IntentConfig()
    step = "analyze: contact reasons"
    progress(step, 0, 5)
    contacts = contact_texts(store)
    if model_path is not None:
        model: IntentClassifier | None = IntentClassifier.load(model_path)
        info: dict[str, Any] = {
            "status": "loaded",
            "model_file": str(model_path),
            "labelled": int((contacts["label"] != "").sum()),
            "intents": len(model.classes_) if model is not None else 0,
        }
    else:
        model, info = _train(contacts, config)
    oos_label = model.oos_label if model is not None else IntentClassifier().oos_label
    _write(store, "result_intent_model", pd.DataFrame([info]))
    progress(step, 1, 5)
    classified = _contact_intents(contacts, model, oos_label)
    classified["body"] = contacts["body"].to_numpy()
    _write(store, "result_contact_intents", classified)
    progress(step, 2, 5)
    _write(store, "result_query_intents", _query_intents(store, model))
    s, q = store.table("searches"), store.table("result_query_intents")
    joined = s.join(q.select("query", "intent", "confidence"), "query")
    store.write_table(
        "result_search_intents",
        joined.select("search_id", "ts", "customer_id", "session_id", "intent", "confidence"),
    )
    progress(step, 3, 5)
    new_topics = _new_topics(classified, labelled_examples(contacts, config), config)
    _write(store, "result_new_topics", new_topics)
    classified["topic"] = _topics(classified, new_topics)
    _write(store, "result_intent_weekly", _weekly(store, classified))
    progress(step, 4, 5)
    _write(store, "result_emerging_intents", _emerging(classified, config))
    progress(step, 5, 5)
    return list(CONTACT_REASON_TABLES)
