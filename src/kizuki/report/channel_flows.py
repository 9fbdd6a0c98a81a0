"""The report's channel-ladder section (Q4): the paths customers take from one channel to the
next about one intent, where each path ends (resolved, escalated, abandoned, churned) and what
its steps cost — a Sankey diagram over all intents and one row per intent (docs/selfservice.md,
"Channel flows")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from kizuki.analytics.channel_flows import OUTCOMES
from kizuki.report.charts import Chart
from kizuki.report.charts_selfservice import sankey_chart
from kizuki.report.context import ReportContext, Section
from kizuki.report.selfservice import intent_label, present, step_note

__all__ = ["OUTCOMES", "channel_flows_section", "flow_links"]

#: Outcome colours: resolved green, escalated amber, abandoned and churned reds.
_OUTCOME_COLOURS = {
    "resolved": "#5a9e5a",
    "escalated": "#c9a227",
    "abandoned": "#e07a3f",
    "churned": "#b04a6b",
}
_STEP_COLOUR = "#2f6f8f"
#: Intents listed (the most episodes first).
TOP_INTENTS = 15
#: Paths drawn in the Sankey diagram (the most travelled; the rest are summed in the note).
SANKEY_PATHS = 40
_SEPARATOR = " → "
_MORE = "…"


def flow_links(
    paths: Mapping[tuple[str, str], float],
) -> tuple[list[tuple[str, str]], list[tuple[int, int, float]]]:
    """Nodes and links of a Sankey diagram from ``(path, outcome) -> episodes``.

    A node is a channel at one step (``"1:faq"``) or an outcome (``"=resolved"``); each path
    adds its episodes to the link between consecutive steps and from its last step to its
    outcome. Returns the node keys in first-seen order and the links as (source, target,
    episodes), both deterministic for the same input."""
    index: dict[str, int] = {}
    weights: dict[tuple[int, int], float] = defaultdict(float)

    def node(key: str) -> int:
        return index.setdefault(key, len(index))

    for (path, outcome), episodes in sorted(paths.items(), key=lambda kv: (-kv[1], kv[0])):
        channels = [c for c in path.split(_SEPARATOR) if c and c != _MORE]
        keys = [f"{i + 1}:{c}" for i, c in enumerate(channels)] + [f"={outcome}"]
        for a, b in pairwise(keys):
            weights[(node(a), node(b))] += float(episodes)
    nodes = [(key, key) for key in index]
    return nodes, [(s, t, w) for (s, t), w in weights.items()]


def _node_label(ctx: ReportContext, key: str) -> tuple[str, str]:
    if key.startswith("="):
        outcome = key[1:]
        return ctx.label(f"flows.outcome.{outcome}", outcome), _OUTCOME_COLOURS.get(
            outcome, "#8c8c8c"
        )
    step, channel = key.split(":", 1)
    name = ctx.label(f"selfservice.channel.{channel}", channel)
    return ctx.t("flows.step", n=step, channel=name), _STEP_COLOUR


def _sankey(ctx: ReportContext, rows: list[dict[str, Any]]) -> tuple[Chart | None, int]:
    """The diagram of the most travelled paths over all intents, and the episodes left out."""
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for r in rows:
        totals[(str(r["path"]), str(r["outcome"]))] += float(r["episodes"] or 0)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = dict(ranked[:SANKEY_PATHS])
    left_out = int(sum(v for _, v in ranked[SANKEY_PATHS:]))
    if not shown:
        return None, 0
    keys, links = flow_links(shown)
    nodes = [_node_label(ctx, key) for key, _ in keys]
    chart = sankey_chart("chart-flows", nodes, links, unit=ctx.t("flows.episodes_unit"))
    return chart, left_out


def _paths_text(ctx: ReportContext, path: str) -> str:
    steps = path.split(_SEPARATOR)
    return _SEPARATOR.join(
        c if c == _MORE else ctx.label(f"selfservice.channel.{c}", c) for c in steps
    )


def _per_intent(ctx: ReportContext) -> list[dict[str, Any]]:
    """Per intent (:meth:`~kizuki.Kizuki.channel_flow_summary`), in the report's words."""
    out: list[dict[str, Any]] = []
    for r in ctx.kz.channel_flow_summary().to_dict("records"):
        worst = str(r["losing_path"])
        out.append(
            {
                "intent": intent_label(ctx, r["intent"]),
                "episodes": int(r["episodes"]),
                **{o: f"{float(r[o]):.0%}" for o in OUTCOMES},
                "cost": float(r["cost_per_episode"]),
                "common": _paths_text(ctx, str(r["common_path"])),
                "worst": (
                    ctx.t("flows.lost_on", path=_paths_text(ctx, worst), n=f"{int(r['lost']):,}")
                    if worst
                    else "—"
                ),
            }
        )
    return out


def channel_flows_section(ctx: ReportContext) -> Section | None:
    """The channel ladder: a Sankey of the paths over all intents and, per intent, where the
    episodes end and what they cost; left out before any analysis."""
    key, title = "flows", ctx.t("section.flows.title")
    data: dict[str, Any] = {"intro": ctx.t("section.flows.intro"), "missing": None}
    table = ctx.result("result_channel_flows")
    if table is None:
        if ctx.run is None:
            return None
        data["missing"] = step_note(ctx, "selfservice")
        return Section(key, title, "flows.html.j2", data)
    rows = [r for r in table.to_pylist() if present(r.get("episodes"))]
    chart, left_out = _sankey(ctx, rows)
    intents = _per_intent(ctx)
    data |= {
        "intents": intents[:TOP_INTENTS],
        "more": max(len(intents) - TOP_INTENTS, 0),
        "left_out": left_out,
        "outcomes": OUTCOMES,
        "empty": not intents,
    }
    return Section(key, title, "flows.html.j2", data, (chart,) if chart is not None else ())
