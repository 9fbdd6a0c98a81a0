"""The report's voice-of-the-customer section (Q9): sentiment per source, negative texts per
day, and spikes with their example texts, incidents and friction points."""

from __future__ import annotations

import json
from typing import Any

from kizuki.report.charts import lines_chart
from kizuki.report.contact_reasons import example_texts
from kizuki.report.context import ReportContext, Section
from kizuki.report.selfservice import intent_label, step_note

__all__ = ["voice_section"]

SOURCES = ("contact", "mention", "survey")


def _percent(value: Any) -> str:
    return "–" if value is None or value != value else f"{100 * float(value):.0f}%"


def _summary(ctx: ReportContext) -> list[dict[str, Any]]:
    table = ctx.kz.voice_summary()
    return [
        {
            "source": ctx.t(f"voice.source.{r['source']}"),
            "texts": int(r["texts"]),
            "negative": _percent(r["negative_share"]),
            "positive": _percent(r["positive_share"]),
        }
        for r in table.to_dict("records")
    ]


def _daily_chart(ctx: ReportContext, rows: list[dict[str, Any]]) -> Any:
    series: dict[str, tuple[list[str], list[float]]] = {}
    for source in SOURCES:
        mine = sorted((r for r in rows if r["source"] == source), key=lambda r: r["day"])
        if mine:
            series[ctx.t(f"voice.source.{source}")] = (
                [r["day"].isoformat() for r in mine],
                [int(r["negative"]) for r in mine],
            )
    if not series:
        return None
    return lines_chart(
        "chart-voice-negative",
        series,
        x_title=ctx.t("chart.day", zone=ctx.zone),
        y_title=ctx.t("voice.chart.negative"),
    )


def _spikes(ctx: ReportContext, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        days = r["start_day"].isoformat()
        if r["end_day"] != r["start_day"]:
            days += f" – {r['end_day'].isoformat()}"
        if r.get("window") and r["window"] != "day":
            days += f" ({r['window']})"
        kind = str(r["kind"])
        observed = r["texts"] if kind == "volume" else r["negative"]
        out.append(
            {
                "days": days,
                "source": ctx.t(f"voice.source.{r['source']}"),
                "kind": ctx.t(f"voice.kind.{kind}"),
                "observed": int(observed),
                "expected": f"{float(r['expected']):.1f}",
                "negative": _percent(r["negative_share"]),
                "intent": intent_label(ctx, r["intent"]) if r["intent"] else "–",
                "incidents": ", ".join(json.loads(r["incident_ids"] or "[]")) or "–",
                "point": r["point_id"] or "–",
                "examples": example_texts(r["examples"], n=None),
            }
        )
    return out


def _topics(ctx: ReportContext) -> list[dict[str, Any]]:
    table = ctx.result("result_voice_topics")
    if table is None:
        return []
    return [
        {
            "label": r["label"],
            "texts": int(r["texts"]),
            "sources": ", ".join(
                ctx.t(f"voice.source.{s}") for s in json.loads(r["sources"] or "[]")
            ),
            "nearest": intent_label(ctx, r["nearest_intent"]) if r["nearest_intent"] else "–",
            "examples": example_texts(r["examples"], n=None),
        }
        for r in sorted(table.to_pylist(), key=lambda r: -int(r["texts"]))
    ]


def _model_note(ctx: ReportContext) -> str:
    model = ctx.result("result_voice_model")
    if model is None or not model.num_rows:
        return ""
    info = model.to_pylist()[0]
    if info["method"] == "learned":
        return ctx.t(
            "voice.model.learned",
            labelled=f"{int(info['labelled']):,}",
            f1=f"{float(info['cv_macro_f1']):.2f}",
        )
    return ctx.t("voice.model.lexicon")


def _explain(ctx: ReportContext) -> str:
    from kizuki.analytics.voice import VoiceConfig

    config = ctx.settings.voice if ctx.settings is not None else VoiceConfig()
    return ctx.t(
        "voice.spikes_explain", days=config.baseline_days, alpha=f"{100 * config.alpha:g}%"
    )


def voice_section(ctx: ReportContext) -> Section | None:
    """What customers say; left out before any analysis."""
    key, title = "voice", ctx.t("section.voice.title")
    data: dict[str, Any] = {"intro": ctx.t("section.voice.intro"), "missing": None}
    daily = ctx.result("result_voice_daily")
    if daily is None:
        if ctx.run is None:
            return None
        data["missing"] = step_note(ctx, "voice")
        return Section(key, title, "voice.html.j2", data)
    rows = daily.to_pylist()
    spikes = ctx.result("result_voice_spikes")
    chart = _daily_chart(ctx, rows)
    data |= {
        "summary": _summary(ctx) if rows else [],
        "spikes": _spikes(ctx, spikes.to_pylist()) if spikes is not None else [],
        "topics": _topics(ctx),
        "model": _model_note(ctx),
        "explain": _explain(ctx),
        "empty": not rows,
    }
    return Section(key, title, "voice.html.j2", data, (chart,) if chart is not None else ())
