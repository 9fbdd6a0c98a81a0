"""The report's support-KPI section (Q6): the whole period's KPIs with their 95% intervals,
the KPIs per channel, CSAT and the chat service level per week, and the satisfaction drop
alerts (docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kizuki.report.charts import Chart
from kizuki.report.charts_selfservice import rate_lines_chart
from kizuki.report.context import ReportContext, Section
from kizuki.report.selfservice import intent_label, present, step_note

__all__ = ["kpis_section"]

#: The whole period's KPIs, in the order shown.
HEADLINE = (
    "contacts",
    "first_response_p50_seconds",
    "first_response_p90_seconds",
    "email_answered_within_share",
    "resolution_p50_seconds",
    "chat_service_level",
    "chat_abandonment_rate",
    "phone_service_level",
    "phone_abandonment_rate",
    "recontact_rate",
    "first_contact_resolution",
    "deflection",
    "nps",
    "csat",
    "ces",
)
#: Columns of the per-channel table.
PER_CHANNEL = (
    "contacts",
    "first_response_p50_seconds",
    "chat_service_level",
    "phone_service_level",
    "recontact_rate",
    "csat",
)
WEEKLY = ("csat", "chat_service_level", "phone_service_level")
_SHARES = {
    "email_answered_within_share", "chat_service_level", "chat_abandonment_rate",
    "phone_service_level", "phone_abandonment_rate", "recontact_rate",
    "first_contact_resolution", "csat",
}  # fmt: skip


def _format(ctx: ReportContext, metric: str, value: Any) -> str:
    """A KPI in its unit: shares as %, seconds as hours (or minutes), NPS in points."""
    if not present(value):
        return "—"
    v = float(value)
    if metric in _SHARES:
        return f"{v:.1%}"
    if metric.endswith("_seconds"):
        return (
            ctx.t("kpis.hours", n=f"{v / 3600:.1f}")
            if v >= 3600
            else ctx.t("kpis.minutes", n=f"{v / 60:.1f}")
        )
    if metric == "nps":
        return f"{v:+.1f}"
    if metric == "contacts":
        return f"{v:,.0f}"
    return f"{v:.2f}"


def _slice_rows(rows: list[dict[str, Any]], **where: Any) -> dict[str, dict[str, Any]]:
    """metric -> the row whose slices are exactly ``where`` (others empty)."""
    dims = ("channel", "intent", "segment", "agent", "week")
    out = {}
    for r in rows:
        if all((r.get(d) is None) == (d not in where) for d in dims) and all(
            r.get(d) == v for d, v in where.items()
        ):
            out[str(r["metric"])] = r
    return out


def _headline(ctx: ReportContext, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    total = _slice_rows(rows)
    out = []
    for metric in HEADLINE:
        r = total.get(metric)
        if r is None:
            continue
        ci = (
            f"[{_format(ctx, metric, r['ci_low'])} – {_format(ctx, metric, r['ci_high'])}]"
            if present(r.get("ci_low")) and present(r.get("ci_high"))
            else ""
        )
        out.append(
            {
                "name": ctx.t(f"kpis.metric.{metric}"),
                "value": _format(ctx, metric, r["value"]),
                "ci": ci,
                "n": r["n"],
            }
        )
    return out


def _per_channel(ctx: ReportContext, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    channels = sorted({str(r["channel"]) for r in rows if r.get("channel") and not r.get("week")})
    out = []
    for channel in channels:
        mine = _slice_rows(rows, channel=channel)
        out.append(
            {
                "channel": ctx.label(f"selfservice.channel.{channel}", channel),
                "cells": [
                    _format(ctx, m, mine[m]["value"]) if m in mine else "—" for m in PER_CHANNEL
                ],
            }
        )
    return out


def _weekly_chart(ctx: ReportContext, rows: list[dict[str, Any]]) -> Chart | None:
    series: dict[str, tuple[list[str], list[float]]] = {}
    for metric in WEEKLY:
        points = sorted(
            (r["week"], float(r["value"]))
            for r in rows
            if r["metric"] == metric
            and r.get("week") is not None
            and not any(r.get(d) for d in ("channel", "intent", "segment", "agent"))
            and present(r.get("value"))
        )
        if len(points) >= 2:
            series[ctx.t(f"kpis.metric.{metric}")] = (
                [w.isoformat() for w, _ in points],
                [v for _, v in points],
            )
    if not series:
        return None
    return rate_lines_chart(
        "chart-kpis-weekly",
        series,
        x_title=ctx.t("friction.week", zone=ctx.zone),
        y_title=ctx.t("kpis.share_axis"),
    )


def _alerts(ctx: ReportContext, rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in sorted(rows, key=lambda r: (r["week"], r["p_value"])):
        dim = str(r["dimension"])
        where = (
            ctx.t("kpis.all_customers")
            if dim == "all"
            else f"{ctx.t(f'kpis.dimension.{dim}')}: "
            + (intent_label(ctx, r["slice"]) if dim == "intent" else str(r["slice"]))
        )
        metric = str(r["metric"])
        out.append(
            {
                "week": r["week"].isoformat(),
                "metric": ctx.t(f"kpis.metric.{metric}"),
                "where": where,
                "value": _format(ctx, metric, r["value"]),
                "baseline": _format(ctx, metric, r["baseline"]),
                "n": r["n"],
                "p": f"{float(r['p_value']):.1e}",
            }
        )
    return out


def kpis_section(ctx: ReportContext) -> Section | None:
    """Support KPIs: the period, per channel, per week, and the drop alerts; left out before
    any analysis."""
    key, title = "kpis", ctx.t("section.kpis.title")
    data: dict[str, Any] = {"intro": ctx.t("section.kpis.intro"), "missing": None}
    table = ctx.result("result_kpis")
    if table is None:
        if ctx.run is None:
            return None
        data["missing"] = step_note(ctx, "kpis")
        return Section(key, title, "kpis.html.j2", data)
    rows = table.to_pylist()
    alerts = ctx.result("result_kpi_alerts")
    chart = _weekly_chart(ctx, rows)
    data |= {
        "headline": _headline(ctx, rows),
        "columns": [ctx.t(f"kpis.metric.{m}") for m in PER_CHANNEL],
        "channels": _per_channel(ctx, rows),
        "alerts": _alerts(ctx, alerts.to_pylist()) if alerts is not None else [],
        "empty": not rows,
    }
    return Section(key, title, "kpis.html.j2", data, (chart,) if chart is not None else ())
