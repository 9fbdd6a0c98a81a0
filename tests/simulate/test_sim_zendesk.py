"""The Zendesk export: ticket objects per line, Japanese text, PII, and the planted defects."""

from __future__ import annotations

import json
import re
from typing import Any

from kizuki.simulate import SimResult


def _lines(sim: SimResult) -> list[str]:
    return sim.zendesk_file.read_text(encoding="utf-8").splitlines()


def _tickets(sim: SimResult) -> list[dict[str, Any]]:
    out = []
    for line in _lines(sim):
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def _info(sim: SimResult) -> dict[str, Any]:
    data = json.loads((sim.ground_truth_dir / "malformed.json").read_text(encoding="utf-8"))
    return data["zendesk/tickets.jsonl"]  # type: ignore[no-any-return]


def test_lines_parse_except_the_planted_ones(medium_sim: SimResult) -> None:
    lines = _lines(medium_sim)
    info = _info(medium_sim)
    tickets = _tickets(medium_sim)
    assert len(lines) == info["rows"]
    assert len(lines) - len(tickets) == info["malformed"]["truncated_json"] >= 1
    no_id = sum("id" not in t for t in tickets)
    no_created = sum("created_at" not in t for t in tickets)
    bad_created = sum(t.get("created_at") == "2026-02-30T25:61:00Z" for t in tickets)
    assert no_id == info["malformed"].get("missing_id", 0)
    assert no_created == info["malformed"].get("missing_created_at", 0)
    assert bad_created == info["malformed"].get("bad_created_at", 0)
    ids = [t["id"] for t in tickets if "id" in t]
    assert len(ids) - len(set(ids)) == info["duplicates"] + bad_created + no_created


def test_tickets_have_the_documented_fields(medium_sim: SimResult) -> None:
    tickets = [t for t in _tickets(medium_sim) if "id" in t and "created_at" in t]
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    channels = set()
    for t in tickets:
        channels.add(t["via"]["channel"])
        assert iso.match(t["created_at"]) or t["created_at"] == "2026-02-30T25:61:00Z"
        assert t["status"] in {"new", "open", "pending", "hold", "solved", "closed"}
        assert re.match(r"^C\d{7}$", t["requester"]["external_id"])
        assert {"id", "name", "email"} <= set(t["requester"])
        assert set(t["metric_set"]["reply_time_in_minutes"]) == {"calendar", "business"}
        assert "solved_at" in t["metric_set"]
        assert t["satisfaction_rating"]["score"] in {"good", "bad", "offered", "unoffered"}
        assert t["comments"][0]["body"] == t["description"]
        if t["status"] in ("solved", "closed"):
            assert t["metric_set"]["solved_at"] is not None
    assert {"email", "web", "voice"} <= channels
    assert channels & {"chat", "native_messaging"}


def test_about_seventy_percent_carry_an_intent_tag(medium_sim: SimResult) -> None:
    tickets = _tickets(medium_sim)
    tagged = sum(any(tag.startswith("intent_") for tag in t["tags"]) for t in tickets)
    assert 0.6 < tagged / len(tickets) < 0.8


def test_texts_are_mostly_japanese_with_variety(medium_sim: SimResult) -> None:
    texts = [t["description"] for t in _tickets(medium_sim)]
    ja = [x for x in texts if re.search(r"[ぁ-んァ-ン一-龥]", x)]
    assert 0.7 < len(ja) / len(texts) < 0.98
    assert any("お世話になっております" in x for x in ja)  # keigo
    assert any(re.search(r"[Ａ-Ｚａ-ｚ０-９]", x) for x in ja)  # full-width letters/digits
    assert len(set(texts)) > 0.9 * len(texts)
    assert any(re.search(r"(INV-2026-\d{6}|ORD-\d{7})", x) for x in texts)  # not PII


def test_planted_pii_appears_in_ticket_texts(medium_sim: SimResult) -> None:
    pii = json.loads((medium_sim.ground_truth_dir / "pii.json").read_text(encoding="utf-8"))
    kinds = {p["kind"] for p in pii}
    assert {"email", "phone", "postal_code"} <= kinds
    by_id = {t["id"]: t["description"] for t in _tickets(medium_sim) if "id" in t}
    for p in pii:
        text = by_id[p["ticket_id"]]
        # full-width conversion may have touched the value: compare NFKC forms
        import unicodedata

        assert unicodedata.normalize("NFKC", p["value"]) in unicodedata.normalize("NFKC", text)
    phones = [p["value"] for p in pii if p["kind"] == "phone"]
    assert any(re.match(r"^0[789]0-\d{4}-\d{4}$", v) for v in phones)
