"""The channel-ladder section (Q4): the Sankey diagram's nodes and links add up to the paths'
episodes, and the per-intent table shows where episodes end, what they cost and the path that
loses the most customers, in both languages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_report_selfservice import sections, store_with, translate

from kizuki.report.channel_flows import flow_links

FLOWS = [
    {"intent": "bank_link_error", "path": "help_search → faq", "outcome": "abandoned",
     "episodes": 60, "cost_per_episode": 0.0, "total_cost": 0.0},
    {"intent": "bank_link_error", "path": "help_search → faq → phone", "outcome": "resolved",
     "episodes": 30, "cost_per_episode": 1500.0, "total_cost": 45_000.0},
    {"intent": "bank_link_error", "path": "help_search → chatbot → email", "outcome": "churned",
     "episodes": 10, "cost_per_episode": 1100.0, "total_cost": 11_000.0},
    {"intent": "password_reset", "path": "help_search", "outcome": "resolved",
     "episodes": 90, "cost_per_episode": 0.0, "total_cost": 0.0},
    {"intent": "password_reset", "path": "help_search → email", "outcome": "escalated",
     "episodes": 10, "cost_per_episode": 1000.0, "total_cost": 10_000.0},
]  # fmt: skip


def test_links_add_the_episodes_of_each_path_step_by_step() -> None:
    paths = {(r["path"], r["outcome"]): float(r["episodes"]) for r in FLOWS}
    nodes, links = flow_links(paths)
    keys = [k for k, _ in nodes]
    weight = {(keys[s], keys[t]): v for s, t, v in links}
    # every episode starts with a help search: 60 + 30 + 10 + 90 + 10
    assert sum(v for (a, _), v in weight.items() if a == "1:help_search") == 200
    assert weight[("1:help_search", "2:faq")] == 90
    assert weight[("2:faq", "=abandoned")] == 60
    assert weight[("2:faq", "3:phone")] == 30
    assert weight[("1:help_search", "=resolved")] == 90
    # what reaches the outcomes is all the episodes, each once
    assert sum(v for (_, b), v in weight.items() if b.startswith("=")) == 200
    assert flow_links(dict(reversed(list(paths.items())))) == (nodes, links)


def test_a_cut_path_ends_at_its_last_shown_step() -> None:
    nodes, links = flow_links({("faq → chatbot → email → phone → …", "resolved"): 4.0})
    assert [k for k, _ in nodes] == ["1:faq", "2:chatbot", "3:email", "4:phone", "=resolved"]
    assert [v for _, _, v in links] == [4.0] * 4


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    kz = store_with({"result_channel_flows": FLOWS})
    out = tmp_path_factory.mktemp("flows")
    return {lang: sections(kz, out, lang) for lang in ("ja", "en")}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_section_shows_outcomes_costs_and_the_losing_path(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    html = rendered[lang]["flows"]
    assert translate("section.flows.title", lang) in html
    rows = html.split("<tr>")
    bank = next(r for r in rows if "bank_link_error" in r)
    # 100 episodes: 30% resolved, 0% escalated, 60% abandoned, 10% churned
    cells = [c.split("</td>")[0] for c in bank.split('<td class="num">')[1:]]
    assert cells[:6] == ["100", "30%", "0%", "60%", "10%", "560"]
    search = translate("selfservice.channel.help_search", lang)
    faq = translate("selfservice.channel.faq", lang)
    assert translate("flows.lost_on", lang, path=f"{search} → {faq}", n="60") in bank
    # the intent with more episodes first (200 episodes in all, 100 each: the name decides)
    assert html.index("bank_link_error") < html.index("password_reset")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_sankey_labels_steps_and_outcomes_in_the_report_language(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    figure: dict[str, Any] = json.loads(json.loads(rendered[lang]["_charts"])["chart-flows"])
    trace = figure["data"][0]
    assert trace["type"] == "sankey"
    labels = trace["node"]["label"]
    assert translate("flows.outcome.abandoned", lang) in labels
    search = translate("selfservice.channel.help_search", lang)
    assert translate("flows.step", lang, n="1", channel=search) in labels
    assert sum(trace["link"]["value"]) == 200 + 90 + 30 + 10 + 10 + 10  # each step's link


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_empty_and_missing_flows_say_so(tmp_path: Path, lang: str) -> None:
    empty = sections(store_with({"result_channel_flows": []}), tmp_path, lang)["flows"]
    assert translate("flows.none", lang) in empty
    missing = sections(store_with({}), tmp_path, lang)["flows"]
    assert translate("report.not_analyzed", lang) in missing
