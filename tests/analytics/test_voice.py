"""The voice of the customer on hand-made frames: weak labels from survey scores, who reads
which text, daily counts in local days, and spikes that line up with incidents."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from kizuki.analytics.voice import (
    VoiceConfig,
    score_sentiment,
    voice_daily,
    voice_texts,
    weak_labels,
)
from kizuki.analytics.voice_spikes import SPIKE_COLUMNS, voice_spikes

TZ = "Asia/Tokyo"


def _surveys(rows: list[tuple[str, int, str]]) -> pd.DataFrame:
    n = len(rows)
    return pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(n)],
            "customer_id": [f"c{i}" for i in range(n)],
            "ts": pd.to_datetime(["2026-11-02T01:00:00Z"] * n, utc=True),
            "kind": [r[0] for r in rows],
            "score": [r[1] for r in rows],
            "comment": [r[2] for r in rows],
            "contact_id": ["t1"] + [None] * (n - 1),
        }
    )


def _contacts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_id": ["t1", "t2"],
            "customer_id": ["c0", "c9"],
            "channel": ["email", "chat"],
            "opened_at": pd.to_datetime(["2026-11-01T10:00:00Z", "2026-11-01T16:00:00Z"], utc=True),
            "subject": ["ログインできない", None],
            "text": ["エラーになります", ""],
            "intent": ["login", None],
        }
    )


def _mentions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mention_id": ["m1"],
            "ts": pd.to_datetime(["2026-11-01T15:30:00Z"], utc=True),
            "source": ["x"],
            "text": ["<HANDLE> 最高のサポート"],
        }
    )


def test_texts_of_the_three_sources() -> None:
    surveys = _surveys([("nps", 2, "遅い"), ("csat", 5, ""), ("ces", 6, "簡単でした")])
    texts = voice_texts(surveys, _contacts(), _mentions())
    # blank comments and the contact with no text are left out
    assert sorted(texts["text_id"]) == ["m1", "r0", "r2", "t1"]
    row = texts.set_index("text_id")
    assert row.loc["r0", "intent"] == "login"  # the survey about contact t1 takes its intent
    assert row.loc["t1", "text"] == "ログインできない エラーになります"
    assert (row.loc["m1", "source"], row.loc["m1", "channel"]) == ("mention", "x")


@pytest.mark.parametrize(
    ("kind", "score", "label"),
    [
        ("nps", 0, "negative"),
        ("nps", 6, "negative"),
        ("nps", 7, "neutral"),
        ("nps", 8, "neutral"),
        ("nps", 9, "positive"),
        ("csat", 2, "negative"),
        ("csat", 3, "neutral"),
        ("csat", 4, "positive"),
        ("ces", 3, "negative"),  # a 1-7 scale (7 seen): thirds at 3 and 5
        ("ces", 4, "neutral"),
        ("ces", 5, "positive"),
    ],
)
def test_weak_labels_from_scores(kind: str, score: int, label: str) -> None:
    frame = pd.DataFrame(
        {"kind": [kind, "ces", None], "score": [score, 7, np.nan], "source": "survey"}
    )
    assert weak_labels(frame).tolist()[0] == label
    assert weak_labels(frame).tolist()[2] is None  # a contact or mention has no label


def test_ces_on_a_five_point_scale() -> None:
    frame = pd.DataFrame({"kind": ["ces"] * 5, "score": [1, 2, 3, 4, 5]})
    assert weak_labels(frame).tolist() == [
        "negative", "negative", "neutral", "positive", "positive"
    ]  # fmt: skip


def _scored_surveys(n_each: int) -> pd.DataFrame:
    good = ["ありがとうございました、助かりました", "神対応でした", "とても便利"]
    bad = ["返信が遅い", "全然つながらない", "ひどい対応でした"]
    okay = ["まあまあです", "普通", "特になし"]
    rows = []
    for i in range(n_each):
        rows += [("nps", 10, good[i % 3]), ("nps", 1, bad[i % 3]), ("nps", 7, okay[i % 3])]
    return voice_texts(_surveys(rows), _contacts(), _mentions())


def test_learned_from_surveys_where_enough_are_scored_and_only_for_surveys() -> None:
    config = VoiceConfig(min_labelled=60, min_per_label=20)
    scored, info = score_sentiment(_scored_surveys(30), config)
    assert info["method"] == "learned" and info["labelled"] == 90
    assert info["labelled_negative"] == info["labelled_neutral"] == 30
    assert info["cv_macro_f1"] > 0.9
    readers = scored.groupby("source")["reader"].unique().to_dict()
    assert readers == {"survey": ["learned"], "contact": ["lexicon"], "mention": ["lexicon"]}
    assert set(scored.loc[scored["text"] == "普通", "sentiment"]) == {"neutral"}
    assert scored.set_index("text_id").loc["m1", "sentiment"] == "positive"


def test_the_dictionaries_read_everything_with_too_few_scored_comments() -> None:
    config = VoiceConfig(min_labelled=60, min_per_label=20)
    scored, info = score_sentiment(_scored_surveys(10), config)
    assert info["method"] == "lexicon" and info["cv_macro_f1"] is None
    assert set(scored["reader"]) == {"lexicon"}
    off = VoiceConfig(min_labelled=60, min_per_label=20, learn_from_surveys=False)
    assert score_sentiment(_scored_surveys(30), off)[1]["method"] == "lexicon"


def test_daily_counts_are_local_days() -> None:
    texts = voice_texts(_surveys([("nps", 2, "遅い")]), _contacts(), _mentions())
    scored, _ = score_sentiment(texts, VoiceConfig())
    daily = voice_daily(scored, TZ)
    # contact t2 has no text; t1 at 19:00 JST on 1 Nov; the mention at 00:30 JST on 2 Nov
    per = {(r.day, r.source): (r.texts, r.negative) for r in daily.itertuples()}
    assert per[(dt.date(2026, 11, 1), "contact")] == (1, 1)
    assert per[(dt.date(2026, 11, 2), "mention")] == (1, 0)
    assert per[(dt.date(2026, 11, 2), "survey")] == (1, 1)


def _scored_days(counts: list[int], negatives: list[int], source: str = "mention") -> pd.DataFrame:
    rows = []
    start = pd.Timestamp("2026-10-01T03:00:00Z")
    for d, (n, k) in enumerate(zip(counts, negatives, strict=True)):
        for j in range(n):
            rows.append(
                {
                    "text_id": f"{d}-{j}",
                    "source": source,
                    "ts": start + pd.Timedelta(days=d, minutes=j),
                    "intent": "outage" if j < k else "other",
                    "text": f"落ちてる {j}" if j < k else f"普通 {j}",
                    "sentiment": "negative" if j < k else "neutral",
                    "negative": 0.9 if j < k else 0.0,
                }
            )
    return pd.DataFrame(rows)


_INCIDENTS = pd.DataFrame(
    {
        "incident_id": ["INC-1", "INC-2"],
        "started_at": pd.to_datetime(["2026-10-21T00:00:00Z", "2026-10-05T00:00:00Z"], utc=True),
        "ended_at": pd.to_datetime(["2026-10-21T05:00:00Z", "2026-10-05T02:00:00Z"], utc=True),
    }
)
_FRICTION = pd.DataFrame(
    {
        "point_id": ["use|error|/app|outage"],
        "likely_intent": ["outage"],
        "first_seen": pd.to_datetime(["2026-10-20T00:00:00Z"], utc=True),
        "last_seen": pd.to_datetime(["2026-10-22T00:00:00Z"], utc=True),
        "excess_sessions": [12.0],
    }
)


def test_a_planted_spike_is_found_with_its_incident_and_friction_point() -> None:
    rng = np.random.default_rng(0)
    counts = rng.poisson(6, 30).tolist()
    negatives = [min(c, int(rng.binomial(c, 0.2))) for c in counts]
    counts[20], negatives[20] = 40, 35  # 21 Oct: the incident
    scored = _scored_days(counts, negatives)
    spikes = voice_spikes(voice_daily(scored, TZ), scored, _INCIDENTS, _FRICTION, VoiceConfig(), TZ)
    assert list(spikes.columns) == list(SPIKE_COLUMNS)
    assert set(spikes["kind"]) == {"volume", "negativity"}
    for spike in spikes.itertuples():
        assert spike.start_day == spike.end_day == dt.date(2026, 10, 21)
        assert json.loads(spike.incident_ids) == ["INC-1"]  # not INC-2, two weeks before
        assert spike.intent == "outage" and spike.point_id == "use|error|/app|outage"
        examples = json.loads(spike.examples)
        assert len(examples) == 3 and all(e.startswith("落ちてる") for e in examples)
    assert spikes["p_value"].lt(spikes["threshold"]).all()


def test_steady_days_raise_no_spike_and_survey_volume_is_not_tested() -> None:
    quiet = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        counts = rng.poisson(8, 60).tolist()
        negatives = [int(rng.binomial(c, 0.3)) for c in counts]
        scored = _scored_days(counts, negatives)
        spikes = voice_spikes(
            voice_daily(scored, TZ), scored, _INCIDENTS, _FRICTION, VoiceConfig(), TZ
        )
        quiet += not len(spikes)
    assert quiet >= 18  # at most alpha = 1% per source and kind: 2 kinds × 20 series
    sends = [2] * 20 + [60] + [2] * 9  # a survey wave is the team's own doing
    scored = _scored_days(sends, [0] * 30, source="survey")
    assert not len(
        voice_spikes(voice_daily(scored, TZ), scored, _INCIDENTS, _FRICTION, VoiceConfig(), TZ)
    )


def test_ces_on_an_effort_scale_is_turned_around() -> None:
    frame = pd.DataFrame({"kind": ["ces"] * 5, "score": [1, 2, 3, 4, 5]})
    assert weak_labels(frame, ces_higher_is_easier=False).tolist() == [
        "positive", "positive", "neutral", "negative", "negative"
    ]  # fmt: skip


def test_topics_among_negative_texts_no_intent_covers() -> None:
    from kizuki.analytics.voice_topics import TOPIC_COLUMNS, voice_topics

    garbled = [f"請求書のPDFが文字化けしてひどい {i}" for i in range(12)]
    crash = [f"The app crashes on startup, terrible {i}" for i in range(12)]
    rows = [
        {"text_id": f"m{i}", "source": "mention", "ts": pd.Timestamp("2026-10-01", tz="UTC")
         + pd.Timedelta(hours=i), "intent": None, "text": t, "sentiment": "negative"}
        for i, t in enumerate(garbled + crash)
    ]  # fmt: skip
    rows.append({**rows[0], "text_id": "known", "intent": "login"})  # has an intent: left out
    rows.append({**rows[0], "text_id": "happy", "sentiment": "positive"})  # not negative
    scored = pd.DataFrame(rows)
    known = {"login": ["ログインできない", "パスワードを忘れた"]}
    config = VoiceConfig(min_topic_texts=10, min_topic_size=5)
    topics = voice_topics(scored, known, config, seed=0)
    assert list(topics.columns) == list(TOPIC_COLUMNS)
    assert topics["texts"].sum() <= 24 and len(topics) >= 2
    labels = " ".join(topics["label"].astype(str)) + " ".join(topics["terms"])
    assert "crash" in labels.lower() or "startup" in labels.lower()
    assert json.loads(topics["sources"].iloc[0]) == ["mention"]
    assert all(len(json.loads(e)) <= 3 for e in topics["examples"])
    too_few = VoiceConfig(min_topic_texts=100)
    assert voice_topics(scored, known, too_few, seed=0).empty
