"""The report's sections: each is a function ``(ReportContext) -> Section | None``.

A section function asks the core object for what it needs (result tables, summaries, the data
overview and the last run, read once for the whole report) and returns the data its template
(``templates/sections/<template>``) shows, plus any charts; None leaves the section out. This
module holds the data-overview sections and :data:`SECTIONS`, the order of all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kizuki.report.channel_flows import channel_flows_section
from kizuki.report.charts import bar_line_chart, lines_chart
from kizuki.report.contact_reasons import contact_reasons_section
from kizuki.report.content import content_section
from kizuki.report.context import ReportContext, Section, SectionBuilder, stage_order
from kizuki.report.fix_first import fix_first_section
from kizuki.report.friction import friction_section
from kizuki.report.kpis import kpis_section
from kizuki.report.outreach import outreach_section
from kizuki.report.quarantine_reasons import translate_reason
from kizuki.report.selfservice import selfservice_section
from kizuki.report.silent import silent_section
from kizuki.report.voice import voice_section
from kizuki.schema import TABLES

__all__ = ["SECTIONS", "ReportContext", "Section", "SectionBuilder"]


def overview_section(ctx: ReportContext) -> Section:
    """Rows, first and last time per canonical table."""
    rows = [
        {
            "name": name,
            "description": ctx.t(f"table.{name}"),
            "rows": stats["rows"],
            "min_ts": stats["min_ts"],
            "max_ts": stats["max_ts"],
        }
        for name, stats in ctx.overview["tables"].items()
        if name in TABLES
    ]
    return Section(
        "overview", ctx.t("section.overview.title"), "overview.html.j2", {"tables": rows}
    )


def events_daily_section(ctx: ReportContext) -> Section:
    """Events and sessions per day (from ``result_events_daily``)."""
    key, title = "events-daily", ctx.t("section.events_daily.title")
    daily = ctx.result("result_events_daily")
    if daily is None:
        return Section(key, title, "chart.html.j2", {"missing": True})
    days = sorted(daily.to_pylist(), key=lambda r: r["day"])
    partial = ctx.partial([r["day"] for r in days], "day", ["events"])
    chart = bar_line_chart(
        "chart-events-daily",
        [r["day"].isoformat() for r in days],
        (ctx.t("chart.events"), [int(r["events"]) for r in days]),
        (ctx.t("chart.sessions"), [int(r["sessions"]) for r in days]),
        x_title=ctx.t("chart.day", zone=ctx.zone),
        partial=partial,
        note=ctx.partial_note(partial, "day"),
    )
    intro = ctx.t("section.events_daily.intro")
    return Section(
        key, title, "chart.html.j2", {"intro": intro, "empty": not days}, charts=(chart,)
    )


def stage_daily_section(ctx: ReportContext) -> Section:
    """Sessions per journey stage per day (from ``result_stage_daily``), and totals per stage."""
    key, title = "stage-daily", ctx.t("section.stage_daily.title")
    result = ctx.result("result_stage_daily")
    if result is None:
        return Section(key, title, "stage_daily.html.j2", {"missing": True})
    rows = sorted(result.to_pylist(), key=lambda r: (r["day"], r["stage"]))
    order = stage_order({r["stage"] for r in rows})
    series: dict[str, tuple[list[str], list[float]]] = {}
    totals = []
    for stage in order:
        of_stage = [r for r in rows if r["stage"] == stage]
        name = ctx.label(f"stage.{stage}", stage)
        series[name] = ([r["day"].isoformat() for r in of_stage], [r["sessions"] for r in of_stage])
        totals.append(
            {
                "stage": name,
                "sessions": sum(int(r["sessions"]) for r in of_stage),
                "visitors": sum(int(r["visitors"]) for r in of_stage),
                "events": sum(int(r["events"]) for r in of_stage),
            }
        )
    partial = ctx.partial({r["day"] for r in rows}, "day", ["events"])
    chart = lines_chart(
        "chart-stage-daily",
        series,
        x_title=ctx.t("chart.day", zone=ctx.zone),
        y_title=ctx.t("chart.sessions"),
        partial=partial,
        note=ctx.partial_note(partial, "day"),
    )
    settings = ctx.settings
    intro = (
        ctx.t("section.stage_daily.intro", gap=settings.signals.gap_minutes)
        if settings is not None
        else ctx.t("report.run_unrecorded")
    )
    data = {"intro": intro, "totals": totals, "empty": not rows}
    return Section(key, title, "stage_daily.html.j2", data, charts=(chart,))


def quarantine_section(ctx: ReportContext) -> Section:
    """Quarantined rows by file, table and kind of reason, the reasons in the report's
    language (stored in English)."""
    groups = [
        {
            **g,
            "reason_text": translate_reason(g["reason_kind"], ctx.lang),
            "example_text": translate_reason(g["example_reason"], ctx.lang),
        }
        for g in ctx.overview["quarantine"]
    ]
    data = {"groups": groups, "total": sum(g["rows"] for g in groups)}
    return Section("quarantine", ctx.t("section.quarantine.title"), "quarantine.html.j2", data)


def _balanced(row: Mapping[str, Any]) -> bool:
    parts = [row.get(k) for k in ("rows_in", "rows_loaded", "rows_duplicate", "rows_quarantined")]
    if any(p is None for p in parts):
        return False
    rows_in, loaded, duplicate, quarantined = (int(p) for p in parts)  # type: ignore[arg-type]
    return rows_in == loaded + int(row.get("rows_updated") or 0) + duplicate + quarantined


def ingest_log_section(ctx: ReportContext) -> Section:
    """One row per ingested file, with its row balance."""
    entries = [{**row, "balanced": _balanced(row)} for row in ctx.overview["ingest_log"]]
    return Section(
        "ingest-log", ctx.t("section.ingest_log.title"), "ingest_log.html.j2", {"log": entries}
    )


#: The sections of the report, in order.
SECTIONS: tuple[SectionBuilder, ...] = (
    overview_section,
    events_daily_section,
    stage_daily_section,
    silent_section,
    fix_first_section,
    friction_section,
    contact_reasons_section,
    selfservice_section,
    channel_flows_section,
    content_section,
    kpis_section,
    voice_section,
    outreach_section,
    quarantine_section,
    ingest_log_section,
)
