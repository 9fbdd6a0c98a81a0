"""Canonical CSV files: schema columns, help content in two languages, chatbot contacts,
and exactly the planted defects."""

from __future__ import annotations

import csv
import json
import re
from typing import Any

from kizuki.schema import TABLES
from kizuki.simulate import SimResult
from kizuki.simulate.canonical_writer import RECIPES


def _rows(sim: SimResult, table: str) -> list[dict[str, str]]:
    with (sim.out_dir / "canonical" / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _info(sim: SimResult, table: str) -> dict[str, Any]:
    data = json.loads((sim.ground_truth_dir / "malformed.json").read_text(encoding="utf-8"))
    return data[f"canonical/{table}.csv"]  # type: ignore[no-any-return]


def test_every_table_has_the_schema_columns(small_sim: SimResult) -> None:
    tables = [t for t, _ in small_sim.canonical_files]
    assert tables == [
        "customers",
        "subscriptions",
        "content",
        "surveys",
        "incidents",
        "mentions",
        "contacts",
    ]
    for table, path in small_sim.canonical_files:
        with path.open(encoding="utf-8", newline="") as f:
            header = next(csv.reader(f))
        assert header == TABLES[table].column_names, table
        assert "batch_id" not in header


def test_help_content_has_forty_articles_in_both_languages(small_sim: SimResult) -> None:
    rows = [r for r in _rows(small_sim, "content") if r["content_id"] and r["kind"] == "faq"]
    by_article: dict[str, set[str]] = {}
    for r in rows:
        by_article.setdefault(r["content_id"].rsplit("-", 1)[0], set()).add(r["language"])
    complete = [a for a, langs in by_article.items() if langs == {"ja", "en"}]
    assert len(complete) >= 40
    ja = [r for r in rows if r["language"] == "ja"]
    assert all(re.search(r"[ぁ-んァ-ン一-龥]", r["title"]) for r in ja if r["title"])
    assert all(json.loads(r["intents"]) for r in rows)


def test_contacts_are_chatbot_conversations(small_sim: SimResult) -> None:
    rows = [r for r in _rows(small_sim, "contacts") if r["contact_id"]]
    assert rows
    good = [r for r in rows if r["channel"] == "chatbot"]
    assert len(rows) - len(good) == _info(small_sim, "contacts")["malformed"].get("invalid_enum", 0)
    assert all(re.match(r"^bot-\d{6}$", r["contact_id"]) for r in rows)
    assert all(r["text"].count("\n") >= 2 for r in good)


def test_surveys_hold_nps_and_ces_with_comments(medium_sim: SimResult) -> None:
    rows = _rows(medium_sim, "surveys")
    kinds = {r["kind"] for r in rows}
    assert {"nps", "ces"} <= kinds
    nps = [int(r["score"]) for r in rows if r["kind"] == "nps" and r["score"] != "11"]
    assert min(nps) >= 0 and max(nps) <= 10 and len(set(nps)) > 5
    assert sum(bool(r["comment"]) for r in rows) > 0.2 * len(rows)
    ces = [r for r in rows if r["kind"] == "ces"]
    assert all(r["contact_id"].isdigit() for r in ces)


def test_planted_defects_are_exactly_as_recorded(medium_sim: SimResult) -> None:
    for table, recipes in RECIPES.items():
        rows = _rows(medium_sim, table)
        info = _info(medium_sim, table)
        assert len(rows) == info["rows"], table
        key = TABLES[table].key
        for recipe in recipes:
            want = info["malformed"].get(recipe.kind, 0)
            got = sum(r[recipe.column] == recipe.value for r in rows)
            if recipe.value == "":
                # only planted rows leave these required fields empty
                assert got == want, (table, recipe.kind)
            else:
                assert got == want, (table, recipe.kind)
        keys = [r[key] for r in rows if r[key]]
        exact = {tuple(r.values()) for r in rows}
        assert len(rows) - len(exact) == info["duplicates"], table
        assert len(keys) >= len(set(keys))


def test_summary_names_customers_events_tickets_and_files(small_sim: SimResult) -> None:
    text = small_sim.summary()
    assert "400 customers" in text
    assert f"{small_sim.n_events:,} GA4 events" in text
    assert f"{small_sim.n_tickets:,} Zendesk tickets" in text
    assert "events/s" in text and str(small_sim.ga4_file) in text
    assert (small_sim.out_dir / "config.yaml").read_text(encoding="utf-8").startswith("seed: 7\n")
