"""Cold start: with no intent labels, every contact gets a discovered topic as its reason."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("sudachipy")

from contact_scenario import NEW_TOPIC, PHRASES, contacts

from kizuki.analytics.pipeline import run_pipeline
from kizuki.journey import load_journey
from kizuki.settings import AnalyzeSettings
from kizuki.store import Store


@pytest.fixture
def analyzed(store: Store, build_table: Any) -> Store:
    unlabelled = [{**row, "intent": None} for row in contacts()]
    store.write_table("contacts", build_table("contacts", unlabelled))
    run_pipeline(store, AnalyzeSettings(), load_journey())
    return store


def _frame(store: Store, name: str):  # type: ignore[no-untyped-def]
    return store.to_arrow(store.table(name)).to_pandas()


def test_every_contact_gets_a_discovered_topic(analyzed: Store) -> None:
    info = _frame(analyzed, "result_intent_model").iloc[0]
    assert info["status"] == "discovered_topics"
    contacts = _frame(analyzed, "result_contact_intents")
    assert len(contacts) == 8 * 18 + 20
    assert (contacts["source"] == "topic").all()
    assert (contacts["intent"] != "").all()
    topics = _frame(analyzed, "result_new_topics")
    assert topics["contacts"].sum() == len(contacts)
    assert int(info["intents"]) == len(topics) >= 2


def test_topics_follow_the_texts(analyzed: Store) -> None:
    contacts = _frame(analyzed, "result_contact_intents").merge(
        _frame(analyzed, "contacts")[["contact_id", "text"]], on="contact_id"
    )
    # the never-labelled bookkeeping-law texts share no topic with the other texts
    law = contacts["text"].isin(NEW_TOPIC)
    assert not set(contacts.loc[law, "intent"]) & set(contacts.loc[~law, "intent"])
    # each topic is mostly of one planted intent: the topics follow the texts
    truth = {p: intent for intent, phrases in PHRASES.items() for p in phrases}
    truth |= {p: "law" for p in NEW_TOPIC}
    contacts["truth"] = contacts["text"].map(truth)
    purity = contacts.groupby("intent")["truth"].agg(lambda t: t.value_counts().iloc[0]).sum()
    assert purity >= 0.8 * len(contacts)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_report_says_the_reasons_are_discovered_topics(
    build_table: Any, tmp_path: Any, lang: str
) -> None:
    import kizuki
    from kizuki.i18n import translate
    from kizuki.report import render_report

    kz = kizuki.open("duckdb://")
    unlabelled = [{**row, "intent": None} for row in contacts()]
    kz.store.write_table("contacts", build_table("contacts", unlabelled))
    kz.analyze()
    html = render_report(kz, tmp_path / "r.html", lang=lang).read_text(encoding="utf-8")
    topics = _frame(kz.store, "result_new_topics")
    intro = translate("intents.model_topics", lang, labelled="0", topics=len(topics))
    assert intro.split("`")[0].strip()[:40] in html
    assert str(topics["label"].iloc[0]) in html


def test_label_next_starts_from_the_discovered_topics(build_table: Any) -> None:
    import kizuki

    kz = kizuki.open("duckdb://")
    unlabelled = [{**row, "intent": None} for row in contacts()]
    kz.store.write_table("contacts", build_table("contacts", unlabelled))
    kz.analyze()
    sheet = kz.label_next(5)
    assert sheet.attrs["strategy"] == "cold_start"
    topics = set(_frame(kz.store, "result_contact_intents")["intent"])
    assert len(sheet) == 5 and set(sheet["guess"]) <= topics
    assert sheet["why"].str.endswith("its discovered topic").all()
