"""The result tables of the voice of the customer (Q9), declared like every other in
:mod:`kizuki.schema.results`, which lists them in run order."""

from __future__ import annotations

from kizuki.schema.result_def import SHARE, ResultDef, column

__all__ = ["VOICE_RESULTS"]

_col = column

VOICE_RESULTS: tuple[ResultDef, ...] = (
    ResultDef(
        "result_voice",
        "Every survey comment, contact and brand mention with its sentiment and intent (Q9).",
        ("source", "text_id"),
        (
            _col("text_id", "string", "the response, contact or mention id"),
            _col("source", "string", "survey, contact or mention"),
            _col("channel", "string", "the survey kind, contact channel or mention's site"),
            _col("ts", "timestamp", "when it was written", "UTC"),
            _col("customer_id", "string", "the customer, where known"),
            _col("intent", "string", "its intent (the contact's, else the intent model's)"),
            _col("sentiment", "string", "negative, neutral or positive"),
            _col(
                "negative",
                "float64",
                "the probability it is negative (learned), or its negative polarity (lexicon)",
                SHARE,
            ),
            _col("reader", "string", "what read it: learned (survey comments) or lexicon"),
        ),
    ),
    ResultDef(
        "result_voice_daily",
        "Texts, negative and positive ones per local day and source (Q9).",
        ("day", "source"),
        (
            _col("day", "date", "the local day"),
            _col("source", "string", "survey, contact or mention"),
            _col("texts", "int64", "texts that day", "texts"),
            _col("negative", "int64", "negative texts", "texts"),
            _col("positive", "int64", "positive texts", "texts"),
            _col("negative_share", "float64", "negative / texts", SHARE),
        ),
    ),
    ResultDef(
        "result_voice_spikes",
        "Days with far more texts, or negative texts, than before; with examples (Q9).",
        ("source", "kind", "start_day"),
        (
            _col("source", "string", "survey, contact or mention"),
            _col("kind", "string", "volume or negativity"),
            _col("start_day", "date", "the first local day of the spike"),
            _col("end_day", "date", "its last local day"),
            _col(
                "window",
                "string",
                "day, or the local block of hours (09:00-12:00) that stood out most",
            ),
            _col("days", "int64", "days flagged", "days"),
            _col("texts", "int64", "texts in those days", "texts"),
            _col(
                "expected",
                "float64",
                "texts (volume) or negative texts (negativity) the baseline expects",
                "texts",
            ),
            _col("negative", "int64", "negative texts in those days", "texts"),
            _col("negative_share", "float64", "negative / texts", SHARE),
            _col("baseline_share", "float64", "the negative share of the baseline", SHARE),
            _col("p_value", "float64", "the smallest one-sided p-value of its days"),
            _col("threshold", "float64", "alpha / days tested (Bonferroni)"),
            _col("intent", "string", "the most common intent of its (negative) texts"),
            _col("examples", "json", "its most negative texts (a JSON list)"),
            _col("incident_ids", "json", "incidents open during it (a JSON list)"),
            _col("point_id", "string", "the friction point of its intent seen during it"),
        ),
    ),
    ResultDef(
        "result_voice_topics",
        "Topics among negative comments and mentions no intent covers (Q9).",
        ("topic_id",),
        (
            _col("topic_id", "string", "voice_<n>"),
            _col("texts", "int64", "texts in the topic", "texts"),
            _col("sources", "json", "survey and/or mention (a JSON list)"),
            _col("language", "string", "the topic's language"),
            _col("label", "string", "top words"),
            _col("terms", "json", "the topic's terms (a JSON list)"),
            _col("nearest_intent", "string", "the known intent it is closest to"),
            _col("similarity", "float64", "cosine similarity to that intent", "cosine"),
            _col("examples", "json", "example texts (a JSON list)"),
            _col("first_seen", "timestamp", "its first text", "UTC"),
            _col("last_seen", "timestamp", "its last text", "UTC"),
        ),
    ),
    ResultDef(
        "result_voice_model",
        "What read the sentiment: learned from survey comments, or the dictionaries (Q9).",
        ("method",),
        (
            _col(
                "method",
                "string",
                "learned (survey comments read by a model learned from their scores) or lexicon",
            ),
            _col("labelled", "int64", "survey comments labelled by their score", "texts"),
            _col("labelled_negative", "int64", "…of them negative", "texts"),
            _col("labelled_neutral", "int64", "…neutral", "texts"),
            _col("labelled_positive", "int64", "…positive", "texts"),
            _col(
                "cv_macro_f1",
                "float64",
                "the learned model's 3-fold macro-F1 against those labels (empty: lexicon)",
            ),
            _col("texts", "int64", "texts read", "texts"),
        ),
    ),
)
