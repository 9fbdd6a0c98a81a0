"""The report's contact-reason section: why customers contact us, the trend of each reason,
proposed new topics and reasons on the rise, with examples (docs/intents.md)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from kizuki.ingest.redact import redact_text
from kizuki.report.charts import Chart, lines_chart, stacked_bars_chart
from kizuki.report.context import ReportContext, Section

__all__ = ["contact_reasons_section", "example_texts"]

#: Intents drawn in the weekly trend chart (the largest by contacts).
TREND_INTENTS = 8
#: Longest example text shown.
EXAMPLE_CHARS = 160
OUT_OF_SCOPE = "out_of_scope"


def example_texts(value: Any, n: int | None = 3) -> list[str]:
    """Example texts stored as a JSON list (the first ``n``; None: all), shortened and
    redacted once more for display."""
    try:
        items = json.loads(str(value)) if value is not None else []
    except json.JSONDecodeError:
        items = []
    return [redact_text(str(x))[:EXAMPLE_CHARS] for x in items[:n]]


def _model_text(ctx: ReportContext, info: dict[str, Any] | None) -> str:
    if not info:
        return ""
    if info.get("status") == "discovered_topics":
        return ctx.t(
            "intents.model_topics",
            labelled=f"{int(info.get('labelled') or 0):,}",
            topics=int(info.get("intents") or 0),
        )
    if info.get("status") == "too_few_labels":
        return ctx.t("intents.model_too_few", labelled=f"{int(info.get('labelled') or 0):,}")
    if info.get("status") == "loaded":
        return ctx.t("intents.model_loaded", file=str(info.get("model_file", "")))
    return ctx.t(
        "intents.model_trained",
        n=f"{int(info.get('trained_on') or 0):,}",
        intents=int(info.get("intents") or 0),
        accuracy=f"{float(info.get('cv_accuracy') or 0.0):.1%}",
        macro_f1=f"{float(info.get('cv_macro_f1') or 0.0):.2f}",
    )


def _counts(ctx: ReportContext) -> tuple[list[dict[str, Any]], int]:
    """Contacts per intent split by where the intent came from, and searches per intent."""
    rows = ctx.kz.contact_intent_counts().to_dict("records")
    per: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"label": 0, "model": 0, "out_of_scope": 0, "searches": 0}
    )
    for r in rows:
        if r["intent"]:
            # a discovered topic (cold start) is the model's answer, not a team's label
            source = "model" if r["source"] == "topic" else str(r["source"])
            per[str(r["intent"])][source] += int(r["contacts"])
    queries = ctx.result("result_query_intents")
    if queries is not None:
        for r in queries.to_pylist():
            if r["intent"] and r["intent"] in per:
                per[str(r["intent"])]["searches"] += int(r["searches"])
    total = sum(v["label"] + v["model"] + v["out_of_scope"] for v in per.values())
    table = []
    for intent, v in per.items():
        n = v["label"] + v["model"] + v["out_of_scope"]
        table.append(
            {
                "intent": intent,
                # intents are the team's own names; out of scope is Kizuki's
                "label": ctx.t("intents.out_of_scope") if intent == OUT_OF_SCOPE else intent,
                "contacts": n,
                "labelled": v["label"],
                "classified": v["model"],
                "out_of_scope": v["out_of_scope"],
                "share": n / total if total else 0.0,
                "searches": v["searches"],
            }
        )
    # out-of-scope last, the rest by volume
    table.sort(key=lambda r: (r["intent"] == OUT_OF_SCOPE, -r["contacts"], r["intent"]))
    return table, total


def _trend_chart(ctx: ReportContext, top: list[str], extra: dict[str, str]) -> Chart | None:
    """Weekly contacts of the ``top`` intents and of the new topics ``extra`` (id -> name)."""
    weekly = ctx.result("result_intent_weekly")
    if weekly is None or weekly.num_rows == 0:
        return None
    series: dict[str, tuple[list[str], list[float]]] = {}
    rows = weekly.to_pylist()
    for intent in top + list(extra):
        mine = sorted((r for r in rows if r["intent"] == intent), key=lambda r: r["week"])
        if mine:
            series[extra.get(intent, intent)] = (
                [r["week"].isoformat() for r in mine],
                [float(r["contacts"]) for r in mine],
            )
    if not series:
        return None
    partial = ctx.partial({r["week"] for r in rows}, "week", ["contacts"])
    return lines_chart(
        "chart-intents-weekly",
        series,
        x_title=ctx.t("friction.week", zone=ctx.zone),
        y_title=ctx.t("intents.contacts"),
        partial=partial,
        note=ctx.partial_note(partial, "week"),
    )


def _new_topics(ctx: ReportContext) -> list[dict[str, Any]]:
    topics = ctx.result("result_new_topics")
    if topics is None:
        return []
    out = []
    for r in topics.to_pylist():
        first, last = r.get("first_seen"), r.get("last_seen")
        out.append(
            {
                "topic_id": r["topic_id"],
                "contacts": int(r["contacts"]),
                "label": r["label"],
                "description": r[f"description_{ctx.lang}"] or r["description_en"],
                "examples": example_texts(r["examples"]),
                "first_seen": ctx.local(first).date().isoformat() if first is not None else "—",
                "last_seen": ctx.local(last).date().isoformat() if last is not None else "—",
            }
        )
    return sorted(out, key=lambda r: -r["contacts"])


def _emerging(ctx: ReportContext, labels: dict[str, str]) -> list[dict[str, Any]]:
    flagged = ctx.result("result_emerging_intents")
    if flagged is None:
        return []
    rows = [r for r in flagged.to_pylist() if r.get("flagged")]
    # a partial latest week holds fewer contacts than a whole one: its rise is understated
    weeks = ctx.partial({r["week"] for r in rows}, "week", ["contacts"]).marks
    return [
        {
            "topic": labels.get(str(r["topic"]), str(r["topic"])),
            "week": r["week"].isoformat(),
            "partial": weeks.get(r["week"].isoformat()),
            "count": int(r["count"]),
            "baseline": float(r["baseline"]),
            "ratio": float(r["ratio"]) if r.get("ratio") is not None else None,
            "p_value": float(r["p_value"]),
            "examples": example_texts(r.get("examples")),
        }
        for r in sorted(rows, key=lambda r: float(r["p_value"]))
    ]


def contact_reasons_section(ctx: ReportContext) -> Section | None:
    """Contacts per intent, weekly trend, new topics and intents on the rise."""
    if not ctx.kz.has_result("result_contact_intents"):
        return None
    info_table = ctx.result("result_intent_model")
    info = info_table.to_pylist()[0] if info_table is not None and info_table.num_rows else None
    table, total = _counts(ctx)
    charts: list[Chart] = []
    if table:
        labels = [r["label"] for r in table]
        charts.append(
            stacked_bars_chart(
                "chart-intents",
                labels,
                {
                    ctx.t("intents.labelled"): [r["labelled"] for r in table],
                    ctx.t("intents.classified"): [r["classified"] for r in table],
                    ctx.t("intents.out_of_scope"): [r["out_of_scope"] for r in table],
                },
                x_title=ctx.t("intents.contacts"),
            )
        )
    new_topics = _new_topics(ctx)
    top = [r["intent"] for r in table if r["intent"] != OUT_OF_SCOPE][:TREND_INTENTS]
    topic_labels = {
        t["topic_id"]: t["label"]
        if t["label"] == t["topic_id"]
        else f"{t['label']} ({t['topic_id']})"
        for t in new_topics
    }
    trend = _trend_chart(ctx, top, topic_labels)
    if trend is not None:
        charts.append(trend)
    data = {
        "intro": ctx.t("section.intents.intro"),
        "model": _model_text(ctx, info),
        "rows": table,
        "total": total,
        "trend_intro": ctx.t("intents.trend_intro", n=len(top)),
        "new_topics": new_topics,
        "emerging": _emerging(ctx, topic_labels),
        "empty": total == 0,
    }
    return Section(
        "intents", ctx.t("section.intents.title"), "intents.html.j2", data, tuple(charts)
    )
