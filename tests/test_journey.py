"""The journey map: loading, validation errors, page matching and ``unmatched_pages``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from kizuki.core import Kizuki
from kizuki.errors import ConfigError, NotFoundError
from kizuki.journey import (
    HELP_STAGE,
    OTHER_STAGE,
    Journey,
    load_journey,
    match_pages,
    stage_of,
    unmatched_pages,
)
from kizuki.simulate import load_config
from kizuki.store import Store

UTC = dt.UTC


def stages_of(store: Store, journey: Journey, rows: list[tuple[str | None, str]]) -> list[str]:
    """The stage of each (page_path, event_name), computed by the engine."""
    table = pa.table(
        {
            "i": list(range(len(rows))),
            "page_path": pa.array([r[0] for r in rows], pa.string()),
            "event_name": [r[1] for r in rows],
        }
    )
    store.write_table("paths", table)
    t = store.table("paths")
    out = store.to_arrow(t.select("i", s=stage_of(journey, t.page_path, t.event_name)))
    return [r["s"] for r in sorted(out.to_pylist(), key=lambda r: r["i"])]


def small_journey(**extra: Any) -> Journey:
    raw: dict[str, Any] = {
        "name": "t",
        "stages": [
            {"name": "use", "pages": ["/app", "/account"]},
            {"name": "billing", "pages": ["/account/billing"], "events": ["purchase"]},
            {"name": "visit", "pages": ["/$", "/pricing$"]},
            {"name": "docs", "pages": ["/docs/*/intro", "/guide/**/end"]},
        ],
        "help": {"content_pages": ["/help/*/articles/*"], "search_pages": ["/help/*/search"]},
        "contact": {"pages": ["/contact"]},
    }
    raw.update(extra)
    return Journey.model_validate(raw)


@pytest.mark.parametrize("name", ["default", "demo"])
def test_shipped_maps_load(name: str) -> None:
    journey = load_journey(name=name)
    assert journey.name == name
    assert journey.stage_names[:3] == ["visit", "signup", "setup"]
    assert any(s.is_flow for s in journey.stages)


def test_demo_map_places_every_simulator_page_in_its_simulator_stage(store: Store) -> None:
    cfg = load_config(None)
    rows = [(page.path, "page_view") for st in cfg.journey.stages for page in st.pages]
    expected = [st.name for st in cfg.journey.stages for _ in st.pages]
    assert stages_of(store, load_journey(name="demo"), rows) == expected


def test_demo_map_knows_the_simulators_help_pages_and_goal_events(store: Store) -> None:
    cfg = load_config(None)
    journey = load_journey(name="demo")
    goals = {st.goal_event for st in cfg.journey.stages if st.goal_event}
    assert goals == set(journey.goal_events)
    rows = [("/help/ja/articles/faq-001", "page_view"), ("/help/en/search", "view_search_results"),
            ("/app/invoices", "chatbot_open"), (None, "sign_up")]  # fmt: skip
    assert stages_of(store, journey, rows) == [HELP_STAGE, HELP_STAGE, HELP_STAGE, "signup"]


@pytest.mark.parametrize(
    ("path", "event", "stage"),
    [
        ("/app", "page_view", "use"),  # a prefix matches itself
        ("/apple", "page_view", "use"),  # and anything that starts with it
        ("/account/profile", "page_view", "use"),
        ("/account/billing/card", "page_view", "billing"),  # the most specific prefix wins
        ("/", "page_view", "visit"),  # "/$" is the home page only
        ("/pricing", "page_view", "visit"),
        ("/pricing/enterprise", "page_view", OTHER_STAGE),  # "$" is exact
        ("/docs/ja/intro", "page_view", "docs"),  # "*" stays within a segment
        ("/docs/ja/x/intro", "page_view", OTHER_STAGE),
        ("/guide/a/b/c/end", "page_view", "docs"),  # "**" crosses segments
        ("/help/ja/articles/42", "page_view", HELP_STAGE),
        ("/contact", "page_view", HELP_STAGE),
        ("/app/x", "purchase", "billing"),  # a stage event wins over the page
        (None, "page_view", OTHER_STAGE),
    ],
)
def test_stage_of_follows_the_pattern_rules(
    store: Store, path: str | None, event: str, stage: str
) -> None:
    assert stages_of(store, small_journey(), [(path, event)]) == [stage]


def test_match_pages_gives_false_for_null_paths(store: Store) -> None:
    store.write_table("p", pa.table({"p": pa.array(["/help/x", None], pa.string())}))
    t = store.table("p")
    got = store.to_arrow(t.select(m=match_pages(t.p, ["/help"]))).column("m").to_pylist()
    assert got == [True, False]


def write_yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "journey.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("name: x\nstages: [{name: use, pages: [app]}]",
         ["stages[0].pages", "'app'", "start with '/'"]),
        ("name: x\nstages: [{name: use}, {name: use}]", ["'use'", "twice"]),
        ("name: x\nstages: [{name: help}]", ["'help'", "reserved"]),
        ("name: x\nstages: [{name: use, start_pages: [/a]}]", ["'use'", "goal_events"]),
        ("name: x\nstages: []", ["stages", "at least 1"]),
        ("name: x\nstages: [{name: Use}]", ["stages[0].name", "'Use'"]),
        ("name: x\nstages: [{name: use}]\nhelp: {content_pages: [faq]}",
         ["help.content_pages", "'faq'"]),
        ("name: x\nstages: [{name: use, colour: red}]", ["stages[0].colour", "'red'"]),
        ("name: x\nstages: [{name: use}]\nintents: {csv: csv}", ["intents.csv", "'csv'"]),
        ("- just a list", ["mapping"]),
        ("name: x\nstages: [{name: use, pages: [/a*$]}]", ["'/a*$'", "glob"]),
    ],
)  # fmt: skip
def test_bad_maps_raise_config_error_naming_key_and_value(
    tmp_path: Path, text: str, names: list[str]
) -> None:
    with pytest.raises(ConfigError) as info:
        load_journey(write_yaml(tmp_path, text))
    for part in names:
        assert part in str(info.value)


def test_unparsable_yaml_and_missing_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_journey(write_yaml(tmp_path, "name: [unclosed"))
    with pytest.raises(NotFoundError, match=r"nope\.yaml"):
        load_journey(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="'nonesuch'"):
        load_journey(name="nonesuch")


def test_a_copied_map_loads_from_a_path(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "src/kizuki/journeys/default.yaml").read_text("utf-8")
    assert load_journey(write_yaml(tmp_path, text)) == load_journey(name="default")


def test_unmatched_pages_lists_unplaced_pages_and_unknown_events(
    store: Store, build_table: Any
) -> None:
    t0 = dt.datetime(2026, 3, 1, tzinfo=UTC)
    rows = [
        ("e1", "c1", "page_view", "/app/x"),
        ("e2", "c1", "page_view", "/legal/terms"),
        ("e3", "c2", "page_view", "/legal/terms"),
        ("e4", "c2", "page_view", "/legal/privacy"),
        ("e5", "c2", "app_crash", None),
        ("e6", "c2", "purchase", None),  # a stage event: placed
        ("e7", "c2", "page_view", "/help/ja/articles/1"),  # help: placed
        ("e8", "c3", "session_start", None),  # ignored in the map
        ("e9", "c3", "app_crash", None),
    ]
    events = [
        {"event_id": e, "ts": t0, "customer_id": c, "event_name": n, "page_path": p}
        for e, c, n, p in rows
    ]
    store.write_table("events", build_table("events", events))
    journey = small_journey(ignore_events=["session_start"])
    got = unmatched_pages(store.table("events"), journey)
    assert got.to_dict("records") == [
        {"kind": "event", "name": "app_crash", "events": 2, "visitors": 2},
        {"kind": "page", "name": "/legal/terms", "events": 2, "visitors": 2},
        {"kind": "page", "name": "/legal/privacy", "events": 1, "visitors": 1},
    ]
    # the core object asks the same question of its store
    kz = Kizuki(store)
    assert kz.unmatched_pages(journey).equals(got)


def test_unmatched_pages_is_empty_when_everything_is_placed(store: Store) -> None:
    assert unmatched_pages(store.table("events"), small_journey()).empty


def test_journey_maps_are_plain_data() -> None:
    journey = load_journey(name="demo")
    assert Journey.model_validate(journey.model_dump()) == journey
