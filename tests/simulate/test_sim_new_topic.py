"""The emerging, untagged topic: when it appears, that it is never tagged, that it adds tickets
without changing who else contacted support, when, or how it ended."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from kizuki.simulate import load_config, simulate_company
from kizuki.simulate.clock import DAY_US, Clock
from kizuki.simulate.population import simulate_population
from kizuki.simulate.support import simulate_emerging

NEW = "e_bookkeeping_rules"


def _tickets(path: Path) -> list[dict[str, object]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # the simulator plants broken lines on purpose
    return rows


def test_emerging_contacts_start_on_their_day_and_rise() -> None:
    cfg = load_config(None, customers=3000, days=90, seed=3)
    clock = Clock(cfg.start_date, cfg.end_date)
    pop = simulate_population(cfg, clock, np.random.default_rng(1))
    new = simulate_emerging(cfg, pop, clock, np.random.default_rng(2))
    index = [i.name for i in cfg.intents].index(NEW)
    start = next(i for i in cfg.intents if i.name == NEW).emerges
    assert start is not None
    day = (new.ts - clock.start_us) // DAY_US
    assert len(new) > 20
    assert (new.intent == index).all() and (new.origin == -5).all()
    assert day.min() >= start.start_day
    early = int((day < start.start_day + 15).sum())
    late = int((day >= start.start_day + 15).sum())
    assert late > early  # the rate rises


def test_new_topic_is_untagged_and_leaves_other_tickets_alone(tmp_path: Path) -> None:
    cfg = load_config(None, customers=800, days=90, seed=5)
    without = cfg.model_copy(
        update={
            "intents": [
                i.model_copy(update={"emerges": None}) if i.name == NEW else i for i in cfg.intents
            ]
        }
    )
    a = simulate_company(cfg, tmp_path / "a")
    b = simulate_company(without, tmp_path / "b")
    truth = json.loads((tmp_path / "a" / "ground_truth" / "intents.json").read_text("utf-8"))
    assert truth[NEW]["in_taxonomy"] is False
    assert truth[NEW]["tickets"] > 0 and truth[NEW]["tickets_labelled"] == 0
    with_new = _tickets(a.zendesk_file)
    plain = _tickets(b.zendesk_file)
    assert not any(f"intent_{NEW}" in t["tags"] for t in with_new)  # type: ignore[operator]

    def key(t: dict[str, object]) -> tuple[object, ...]:
        # wording is drawn ticket by ticket in time order, so texts after the first new
        # ticket change; who opened what when, and its outcome, do not
        rating = t["satisfaction_rating"]
        score = rating.get("score") if isinstance(rating, dict) else None
        return (t["requester_id"], t["created_at"], t["status"], score)

    assert {key(t) for t in plain} <= {key(t) for t in with_new}
    assert len(with_new) - len(plain) == truth[NEW]["tickets"]
