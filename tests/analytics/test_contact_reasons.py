"""Contact reasons in the pipeline: labels kept, the rest classified, searches joined in the
engine, weekly counts that add up, a planted new topic proposed and a planted spike flagged."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("sudachipy")

from contact_scenario import NEW_TOPIC, PHRASES, START, contacts, searches

from kizuki.analytics.contact_reasons import IntentConfig
from kizuki.analytics.pipeline import STEPS, run_pipeline
from kizuki.journey import load_journey
from kizuki.settings import AnalyzeSettings
from kizuki.store import Store

#: Grouping settings for the scenario's small new topic (20 contacts).
SETTINGS = AnalyzeSettings(intents=IntentConfig(min_new_topic_texts=10, min_new_topic_size=4))


@pytest.fixture
def analyzed(store: Store, build_table: Any) -> Store:
    store.write_table("contacts", build_table("contacts", contacts()))
    store.write_table("searches", build_table("searches", searches()))
    written = run_pipeline(store, SETTINGS, load_journey())
    reasons = [t for s in STEPS if s.name in ("intents", "intent_trends") for t in s.writes]
    assert set(reasons) <= set(written)
    return store


def _frame(store: Store, name: str):  # type: ignore[no-untyped-def]
    return store.to_arrow(store.table(name)).to_pandas()


def test_labels_are_kept_and_the_rest_classified(analyzed: Store) -> None:
    contacts = _frame(analyzed, "result_contact_intents")
    assert len(contacts) == 8 * 18 + 20  # every contact once
    labelled = contacts[contacts["labelled_intent"] != ""]
    assert (labelled["intent"] == labelled["labelled_intent"]).all()
    assert (labelled["source"] == "label").all()
    known = contacts[(contacts["labelled_intent"] == "") & contacts["contact_id"].le("c0144")]
    # unlabelled contacts with a known wording get that intent back
    texts = dict(
        zip(
            _frame(analyzed, "contacts")["contact_id"],
            _frame(analyzed, "contacts")["text"],
            strict=True,
        )
    )
    truth = {p: intent for intent, phrases in PHRASES.items() for p in phrases}
    right = [
        truth[texts[c]] == i for c, i in zip(known["contact_id"], known["intent"], strict=True)
    ]
    assert sum(right) >= 0.9 * len(right)
    new = contacts[contacts["contact_id"] > "c0144"]
    assert (new["source"] == "out_of_scope").mean() >= 0.8
    assert contacts["confidence"].between(0, 1).all()
    assert set(contacts.loc[contacts["source"] != "label", "language"]) <= {"ja", "en"}


def test_searches_get_their_query_intent(analyzed: Store) -> None:
    searches = _frame(analyzed, "result_search_intents")
    assert len(searches) == 30
    login = searches[searches["search_id"].isin([f"s{i}" for i in range(0, 30, 3)])]
    assert (login["intent"] == "login_trouble").all()
    queries = _frame(analyzed, "result_query_intents")
    assert queries["searches"].sum() == 30 and len(queries) == 2


def test_weekly_counts_add_up(analyzed: Store) -> None:
    weekly = _frame(analyzed, "result_intent_weekly")
    contacts = _frame(analyzed, "result_contact_intents")
    assert weekly["contacts"].sum() == (contacts["intent"] != "").sum()
    assert weekly["searches"].sum() == 30
    assert weekly["week"].map(lambda d: d.weekday()).eq(0).all()


def test_new_topic_is_proposed_with_examples(analyzed: Store) -> None:
    topics = _frame(analyzed, "result_new_topics")
    new_ids = {f"c{n:04d}" for n in range(145, 165)}
    assert topics["label"].str.contains("電子|帳簿").any()
    about = topics[topics["label"].str.contains("電子|帳簿|タイムスタンプ|検索|保存")]
    members = {c for ids in topics["contact_ids"] for c in json.loads(ids)}
    assert len(members & new_ids) >= 15  # most of the new topic's contacts are proposed
    assert members <= new_ids
    top = about.sort_values("contacts", ascending=False).iloc[0]
    assert all(e in NEW_TOPIC for e in json.loads(top["examples"]))
    assert f"{top['contacts']:,}" in top["description_en"]
    assert top["first_seen"] >= START + dt.timedelta(weeks=6)


def test_the_burst_is_flagged_as_emerging(analyzed: Store) -> None:
    emerging = _frame(analyzed, "result_emerging_intents")
    flagged = emerging[emerging["flagged"]]
    assert flagged["topic"].str.startswith("new_").any()
    assert not flagged["topic"].isin(list(PHRASES)).any()  # flat weekly volumes
