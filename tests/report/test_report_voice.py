"""The voice section: sentiment per source, the spikes with their examples (redacted) and
incidents, and which reader read the sentiment, in both languages."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from test_report_selfservice import sections, store_with, translate

DAY = dt.date(2026, 9, 8)
DAILY = [
    {"day": DAY - dt.timedelta(days=1), "source": "mention", "texts": 5, "negative": 1,
     "positive": 2, "negative_share": 0.2},
    {"day": DAY, "source": "mention", "texts": 24, "negative": 16, "positive": 2,
     "negative_share": 16 / 24},
    {"day": DAY, "source": "contact", "texts": 36, "negative": 26, "positive": 3,
     "negative_share": 26 / 36},
    {"day": DAY, "source": "survey", "texts": 10, "negative": 2, "positive": 6,
     "negative_share": 0.2},
]  # fmt: skip
SPIKES = [
    {"source": "mention", "kind": "volume", "start_day": DAY, "end_day": DAY,
     "window": "09:00-12:00", "days": 1, "texts": 24, "expected": 5.5, "negative": 16,
     "negative_share": 16 / 24, "baseline_share": None, "p_value": 4.9e-9, "threshold": 8.8e-5,
     "intent": "service_outage",
     "examples": json.dumps(["落ちてる？ 連絡は taro@example.com まで", "画面が開かない"],
                            ensure_ascii=False),
     "incident_ids": json.dumps(["INC-2026-031"]), "point_id": None},
]  # fmt: skip
TOPICS = [
    {"topic_id": "voice_0", "texts": 14, "sources": json.dumps(["mention", "survey"]),
     "language": "ja", "label": "文字化け / PDF", "terms": json.dumps(["文字化け", "PDF"]),
     "nearest_intent": "invoice_send_failed", "similarity": 0.41,
     "examples": json.dumps(["請求書のPDFが文字化けしてひどい"], ensure_ascii=False),
     "first_seen": dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
     "last_seen": dt.datetime(2026, 9, 20, tzinfo=dt.UTC)},
]  # fmt: skip
MODEL = [
    {"method": "learned", "labelled": 1047, "labelled_negative": 241, "labelled_neutral": 246,
     "labelled_positive": 560, "cv_macro_f1": 0.91, "texts": 75},
]  # fmt: skip


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    kz = store_with(
        {
            "result_voice_daily": DAILY,
            "result_voice_spikes": SPIKES,
            "result_voice_topics": TOPICS,
            "result_voice_model": MODEL,
        }
    )
    out = tmp_path_factory.mktemp("voice")
    return {lang: sections(kz, out, lang) for lang in ("ja", "en")}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_spikes_with_examples_incidents_and_window(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    html = rendered[lang]["voice"]
    assert translate("section.voice.title", lang) in html
    spikes = html.split('class="compact voice-spikes"')[1].split("</table>")[0]
    assert "2026-09-08" in spikes and "09:00-12:00" in spikes and "INC-2026-031" in spikes
    assert translate("voice.source.mention", lang) in spikes
    assert translate("voice.kind.volume", lang) in spikes
    assert "画面が開かない" in spikes and "5.5" in spikes
    # an example is redacted again before it is shown
    assert "taro@example.com" not in html and "&lt;EMAIL&gt;" in spikes


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_sentiment_per_source_and_the_reader(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    html = rendered[lang]["voice"]
    summary = html.split('class="compact voice-summary"')[1].split("</table>")[0]
    assert translate("voice.source.contact", lang) in summary
    assert "72%" in summary  # 26 of 36 contacts negative
    assert "60%" in summary and "17%" in summary  # all 75: 45 negative, 13 positive
    assert translate("voice.model.learned", lang, labelled="1,047", f1="0.91") in html
    assert 'id="chart-voice-negative"' in html


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_topics_no_intent_covers(rendered: dict[str, dict[str, str]], lang: str) -> None:
    html = rendered[lang]["voice"]
    topics = html.split('class="compact voice-topics"')[1].split("</table>")[0]
    assert "文字化け / PDF" in topics and "14" in topics
    assert translate("voice.source.survey", lang) in topics
    assert "請求書のPDFが文字化けしてひどい" in topics
    assert translate("voice.topics_title", lang) in html
