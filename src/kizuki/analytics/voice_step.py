"""The ``voice`` step of ``kizuki analyze``: what customers say (Q9), from survey comments,
contacts and brand mentions — sentiment, intents, daily volumes and spikes (docs/voice.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from kizuki.analytics.contact_reasons import text_intents
from kizuki.analytics.voice import score_sentiment, voice_daily, voice_texts
from kizuki.analytics.voice_spikes import voice_spikes
from kizuki.analytics.voice_topics import voice_topics

if TYPE_CHECKING:
    from kizuki.analytics.pipeline import RunContext

__all__ = ["VOICE_TABLES", "voice_step"]

VOICE_TABLES = (
    "result_voice",
    "result_voice_daily",
    "result_voice_spikes",
    "result_voice_topics",
    "result_voice_model",
)
_VOICE_COLUMNS = ["text_id", "source", "channel", "ts", "customer_id", "intent", "sentiment",
                  "negative", "reader"]  # fmt: skip
_FRICTION = ("point_id", "likely_intent", "first_seen", "last_seen", "excess_sessions")


def voice_step(ctx: RunContext) -> dict[str, pd.DataFrame]:
    """The tables of :data:`VOICE_TABLES`."""
    config, store = ctx.settings.voice, ctx.store
    surveys = store.to_arrow(
        ctx.table("surveys").select(
            "response_id", "customer_id", "ts", "kind", "score", "comment", "contact_id"
        )
    ).to_pandas()
    contact_columns = ("contact_id", "customer_id", "channel", "opened_at", "subject", "text")
    contacts = store.to_arrow(
        ctx.contacts_with_model_intents().select(*contact_columns, "intent")
    ).to_pandas()
    mentions = store.to_arrow(
        ctx.table("mentions").select("mention_id", "ts", "source", "text")
    ).to_pandas()
    texts = voice_texts(surveys, contacts, mentions)
    missing = texts["intent"].isna() & (texts["source"] != "contact")
    model = ctx.cache.get("intent_model")
    if model is not None and missing.any():
        texts.loc[missing, "intent"] = text_intents(model, texts.loc[missing, "text"].tolist())
    scored, info = score_sentiment(
        texts,
        config,
        seed=ctx.settings.seed,
        ces_higher_is_easier=ctx.settings.kpis.ces_higher_is_easier,
    )
    daily = voice_daily(scored, ctx.timezone)
    incidents = store.to_arrow(
        ctx.table("incidents").select("incident_id", "started_at", "ended_at")
    ).to_pandas()
    spikes = voice_spikes(daily, scored, incidents, _friction(ctx), config, ctx.timezone)
    known = {
        str(intent): group["text"].tolist()[:20]
        for intent, group in texts[texts["source"] == "contact"]
        .dropna(subset=["intent"])
        .groupby("intent")
    }
    topics = voice_topics(scored, known, config, seed=ctx.settings.seed)
    return {
        "result_voice": scored.loc[:, _VOICE_COLUMNS],
        "result_voice_daily": daily,
        "result_voice_spikes": spikes,
        "result_voice_topics": topics,
        "result_voice_model": pd.DataFrame([info]),
    }


def _friction(ctx: RunContext) -> pd.DataFrame:
    """This run's friction points (empty where the step did not run)."""
    table = ctx.result_if_any("result_friction_points")
    if table is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _FRICTION})
    frame: pd.DataFrame = ctx.store.to_arrow(table.select(*_FRICTION)).to_pandas()
    return frame
