"""The report's sections: each is a function ``(ReportContext) -> Section | None``.

A section function reads what it needs from the store (result tables, or the data overview
computed once for the whole report), and returns the data its template
(``templates/sections/<template>``) shows, plus any charts. Returning None leaves the section
out. Later analyses (silent customers, friction points, contact reasons) add a function here
and a template, and list the function in :data:`SECTIONS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from kizuki.analytics.fix_first import PATH_SEPARATOR, FixFirstConfig, fix_first
from kizuki.analytics.sessions import DEFAULT_STAGES, OTHER_STAGE
from kizuki.analytics.silent import SilentConfig
from kizuki.ingest.redact import redact_text
from kizuki.report.charts import (
    Chart,
    bar_line_chart,
    heatmap_chart,
    iceberg_chart,
    lines_chart,
    rates_chart,
    risk_chart,
)
from kizuki.report.contact_reasons import contact_reasons_section
from kizuki.report.context import ReportContext, Section, SectionBuilder
from kizuki.schema import TABLES

__all__ = ["SECTIONS", "ReportContext", "Section", "SectionBuilder"]

#: The gap that ends a session in the result tables :func:`kizuki.analytics.run_all` writes.
SESSION_GAP_MINUTES = 30


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
    chart = bar_line_chart(
        "chart-events-daily",
        [r["day"].isoformat() for r in days],
        (ctx.t("chart.events"), [int(r["events"]) for r in days]),
        (ctx.t("chart.sessions"), [int(r["sessions"]) for r in days]),
        x_title=ctx.t("chart.day"),
    )
    intro = ctx.t("section.events_daily.intro")
    return Section(
        key, title, "chart.html.j2", {"intro": intro, "empty": not days}, charts=(chart,)
    )


#: Stages in journey order for display (the matching order of DEFAULT_STAGES differs).
JOURNEY_ORDER = ("visit", "signup", "setup", "use", "billing", "renewal", "help")


def _stage_order(stages: set[str]) -> list[str]:
    ordered = [*JOURNEY_ORDER, *DEFAULT_STAGES, OTHER_STAGE]
    known = [s for s in dict.fromkeys(ordered) if s in stages]
    return known + sorted(stages - set(known))


def stage_daily_section(ctx: ReportContext) -> Section:
    """Sessions per journey stage per day (from ``result_stage_daily``), and totals per stage."""
    key, title = "stage-daily", ctx.t("section.stage_daily.title")
    result = ctx.result("result_stage_daily")
    if result is None:
        return Section(key, title, "stage_daily.html.j2", {"missing": True})
    rows = sorted(result.to_pylist(), key=lambda r: (r["day"], r["stage"]))
    order = _stage_order({r["stage"] for r in rows})
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
    chart = lines_chart(
        "chart-stage-daily", series, x_title=ctx.t("chart.day"), y_title=ctx.t("chart.sessions")
    )
    intro = ctx.t("section.stage_daily.intro", gap=SESSION_GAP_MINUTES)
    data = {"intro": intro, "totals": totals, "empty": not rows}
    return Section(key, title, "stage_daily.html.j2", data, charts=(chart,))


def quarantine_section(ctx: ReportContext) -> Section:
    """Quarantined rows by file, table and kind of reason."""
    groups = ctx.overview["quarantine"]
    data = {"groups": groups, "total": sum(g["rows"] for g in groups)}
    return Section("quarantine", ctx.t("section.quarantine.title"), "quarantine.html.j2", data)


def _balanced(row: Mapping[str, Any]) -> bool:
    parts = [row.get(k) for k in ("rows_in", "rows_loaded", "rows_duplicate", "rows_quarantined")]
    if any(p is None for p in parts):
        return False
    rows_in, loaded, duplicate, quarantined = (int(p) for p in parts)  # type: ignore[arg-type]
    return rows_in == loaded + duplicate + quarantined


def ingest_log_section(ctx: ReportContext) -> Section:
    """One row per ingested file, with its row balance."""
    entries = [{**row, "balanced": _balanced(row)} for row in ctx.overview["ingest_log"]]
    return Section(
        "ingest-log", ctx.t("section.ingest_log.title"), "ingest_log.html.j2", {"log": entries}
    )


#: The sections of the report, in order.
#: Friction pages shown in the iceberg chart and the silent-customer table.
TOP_POINTS = 10


def _page_label(row: Mapping[str, Any]) -> str:
    return f"{row['page_path']} ({row['intent']})" if row.get("intent") else str(row["page_path"])


def silent_section(ctx: ReportContext) -> Section | None:
    """The iceberg (contacted vs silent per friction page) and the top pages with estimates."""
    result = ctx.result("result_silent_customers")
    if result is None:
        return None
    rows = result.to_pylist()
    total = next((r for r in rows if r["stage"] == "total"), None)
    pages = sorted(
        (r for r in rows if r["stage"] != "total"),
        key=lambda r: (-(r["revenue_at_risk"] or 0.0), -(r["silent"] or 0.0)),
    )[:TOP_POINTS]
    for r in pages:
        r["stage_label"] = ctx.label(f"stage.{r['stage']}", str(r["stage"]))
        r["label"] = _page_label(r)
        r["best_label"] = ctx.label(f"silent.best.{r['best_estimate']}", str(r["best_estimate"]))
    chart = iceberg_chart(
        "chart-iceberg",
        [r["label"] for r in pages],
        (ctx.t("silent.contacted"), [r["contacted"] or 0.0 for r in pages]),
        (ctx.t("silent.silent"), [r["silent"] or 0.0 for r in pages]),
        y_title=ctx.t("silent.customers"),
    )
    cfg = SilentConfig()
    assumptions = [
        ctx.t("silent.assume.measured", window=cfg.window_days, boot=cfg.n_boot),
        ctx.t("silent.assume.revenue", horizon=f"{cfg.horizon_months:g}"),
        ctx.t(
            "silent.assume.goodman",
            rate=f"{cfg.goodman_contact_rate:.0%}",
            low=f"{cfg.goodman_rate_low:.0%}",
            high=f"{cfg.goodman_rate_high:.0%}",
        ),
        ctx.t("silent.assume.survey"),
    ]
    data = {
        "intro": ctx.t("section.silent.intro"),
        "pages": pages,
        "total": total,
        "assumptions": assumptions,
        "empty": not pages,
    }
    charts = (chart,) if pages else ()
    return Section("silent", ctx.t("section.silent.title"), "silent.html.j2", data, charts)


def friction_section(ctx: ReportContext) -> Section | None:
    """Journey heat grid (stage × signal, customers affected) and the weekly trend by signal."""
    names = set(ctx.store.list_tables())
    if not {"result_signals", "result_friction_weekly"} <= names:
        return None
    sig = ctx.store.table("result_signals")
    grid = ctx.store.to_arrow(
        sig.group_by(["stage", "signal"]).aggregate(customers=sig.customer_id.nunique())
    ).to_pylist()
    stages = _stage_order({str(r["stage"]) for r in grid})
    signals = sorted({str(r["signal"]) for r in grid})
    cells = {(str(r["stage"]), str(r["signal"])): int(r["customers"]) for r in grid}
    charts: list[Chart] = []
    if grid:
        charts.append(
            heatmap_chart(
                "chart-friction-grid",
                [ctx.label(f"stage.{s}", s) for s in stages],
                [ctx.label(f"signal.{s}", s) for s in signals],
                [[cells.get((st, sg), 0) for sg in signals] for st in stages],
                value_name=ctx.t("friction.customers"),
            )
        )
    weekly = ctx.store.table("result_friction_weekly")
    by_week = ctx.store.to_arrow(
        weekly.group_by(["week_start", "signal"]).aggregate(sessions=weekly.sessions.sum())
    ).to_pylist()
    series: dict[str, tuple[list[str], list[float]]] = {}
    for signal in signals:
        of_signal = sorted(
            (r for r in by_week if r["signal"] == signal), key=lambda r: r["week_start"]
        )
        series[ctx.label(f"signal.{signal}", signal)] = (
            [r["week_start"].isoformat() for r in of_signal],
            [float(r["sessions"]) for r in of_signal],
        )
    if by_week:
        charts.append(
            lines_chart(
                "chart-friction-weekly",
                series,
                x_title=ctx.t("friction.week"),
                y_title=ctx.t("chart.sessions"),
            )
        )
    data = {
        "intro": ctx.t("section.friction.intro"),
        "trend_intro": ctx.t("friction.trend_intro"),
        "empty": not grid,
    }
    return Section(
        "friction", ctx.t("section.friction.title"), "friction.html.j2", data, tuple(charts)
    )


#: Problems shown in the "what to fix first" table and charts.
TOP_PROBLEMS = 10
#: Longest error message or search query shown in an example session.
DETAIL_CHARS = 60


def _pct(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):.1%}"


def _num(value: Any) -> float:
    """``value`` as a float, 0.0 for None/NaN (for charts)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0.0
    return float(value)


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _fix_first_rows(ctx: ReportContext) -> list[dict[str, Any]] | None:
    """``result_fix_first``; computed from the other result tables for a store analysed before
    it existed; None when there are no silent-customer results."""
    stored = ctx.result("result_fix_first")
    if stored is None:
        needed = ("result_silent_customers", "result_friction_points", "result_friction_paths")
        tables = [ctx.result(name) for name in needed]
        if any(t is None for t in tables):
            return None
        ranked = fix_first(*(t.to_pandas() for t in tables if t is not None))
        stored = pa.Table.from_pandas(ranked, preserve_index=False)
    rows: list[dict[str, Any]] = stored.to_pylist()
    return rows


def _action_text(ctx: ReportContext, row: Mapping[str, Any]) -> tuple[str, str]:
    """The suggested action as a sentence, and why (the rule that chose it)."""
    cfg = FixFirstConfig()
    intent = row.get("help_intent") or row.get("intent") or ctx.t("fix_first.this_problem")
    action = ctx.t(
        f"fix_first.action.{row['action']}",
        page=row["page_path"],
        intent=intent,
        silent=f"{round(_num(row.get('silent'))):,}",
    )
    help_signal = row.get("help_signal")
    reason = ctx.t(
        f"fix_first.reason.{row['action_reason']}",
        rate=_pct(row.get("contact_rate")),
        high=f"{cfg.high_contact_rate:.0%}",
        churn=_pct(row.get("excess_churn")),
        serious=f"{cfg.serious_excess_churn:.0%}",
        least=f"{cfg.min_excess_churn:.0%}",
        help=ctx.label(f"signal.{help_signal}", str(help_signal)),
        lift=f"{_num(row.get('help_lift')):.1f}",
    )
    return action, reason


def _step(ctx: ReportContext, event: Mapping[str, Any]) -> dict[str, Any]:
    """One event of an example session as a label (a page, or an event and its detail)."""
    detail = event.get("detail")
    detail = redact_text(str(detail))[:DETAIL_CHARS] if detail else None
    if event.get("help_kind") == "search":
        label = ctx.t("fix_first.search", query=detail or "")
        if event.get("results_count") == 0:
            label += " " + ctx.t("fix_first.no_results")
    elif event.get("event_name") in ("page_view", "screen_view") and event.get("page_path"):
        label = str(event["page_path"])
    else:
        label = str(event.get("event_name"))
        if detail:
            label += f": {detail}"
    return {"label": label, "signal": bool(event.get("is_signal")), "ts": event.get("ts")}


def _examples(ctx: ReportContext) -> dict[str, list[dict[str, Any]]]:
    """point_id -> its example sessions, each ``{visitor, start, steps}``, in example order."""
    table = ctx.result("result_friction_examples")
    if table is None:
        return {}
    rows = sorted(table.to_pylist(), key=lambda r: (r["point_id"], r["example_no"], r["step"]))
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        sessions = out.setdefault(r["point_id"], [])
        if not sessions or sessions[-1]["no"] != r["example_no"]:
            sessions.append(
                {
                    "no": r["example_no"],
                    "visitor": redact_text(str(r["visitor_id"])),
                    "start": r["session_start"],
                    "steps": [],
                }
            )
        sessions[-1]["steps"].append(_step(ctx, r))
    return out


def _split_paths(value: Any) -> list[str]:
    return str(value).split(PATH_SEPARATOR) if _present(value) and value else []


def _problem_label(row: Mapping[str, Any]) -> str:
    intent = f" ({row['intent']})" if row.get("intent") else ""
    return f"{row['rank']}. {row['page_path']}{intent}"


def fix_first_section(ctx: ReportContext) -> Section | None:
    """What to fix first: problems by money at risk, with the background, paths, examples and
    a suggested action; and the money-at-risk and background charts."""
    rows = _fix_first_rows(ctx)
    if rows is None:
        return None
    rows = sorted(rows, key=lambda r: r["rank"])[:TOP_PROBLEMS]
    examples = _examples(ctx)
    for r in rows:
        r["stage_label"] = ctx.label(f"stage.{r['stage']}", str(r["stage"]))
        r["signal_label"] = ctx.label(f"signal.{r['signal']}", str(r["signal"]))
        r["action_text"], r["reason_text"] = _action_text(ctx, r)
        r["action_label"] = ctx.t(f"fix_first.action_name.{r['action']}")
        r["rates"] = ctx.t(
            "fix_first.rates",
            page=_pct(r.get("page_rate")),
            background=_pct(r.get("background_rate")),
        )
        r["lift_text"] = (
            ctx.t("fix_first.lift", lift=f"{_num(r['lift']):.1f}")
            if _present(r.get("lift"))
            else ""
        )
        r["churn_text"] = ctx.t(
            "fix_first.churn",
            silent=_pct(r.get("churn_silent")),
            unaffected=_pct(r.get("churn_unaffected")),
        )
        r["before"] = (
            (r.get("paths_before") or "").split(PATH_SEPARATOR) if r.get("paths_before") else []
        )
        r["after"] = (
            (r.get("paths_after") or "").split(PATH_SEPARATOR) if r.get("paths_after") else []
        )
        r["examples"] = examples.get(str(r.get("point_id")), [])
        r["contact_rate_text"] = _pct(r.get("contact_rate"))
    charts: list[Chart] = []
    if rows:
        labels = [_problem_label(r) for r in rows]

        def interval(name: str) -> tuple[list[float], list[float], list[float]]:
            return (
                [_num(r.get(name)) for r in rows],
                [_num(r.get(f"{name}_ci_low")) for r in rows],
                [_num(r.get(f"{name}_ci_high")) for r in rows],
            )

        charts.append(
            risk_chart(
                "chart-fix-risk",
                labels,
                (ctx.t("fix_first.revenue_axis"), interval("revenue_at_risk")),
                (ctx.t("fix_first.affected_axis"), interval("affected")),
            )
        )
        rated = [r for r in rows if _present(r.get("page_rate"))]
        if rated:
            charts.append(
                rates_chart(
                    "chart-fix-background",
                    [_problem_label(r) for r in rated],
                    (ctx.t("fix_first.page_rate"), [_num(r["page_rate"]) for r in rated]),
                    (
                        ctx.t("fix_first.background_rate"),
                        [_num(r["background_rate"]) for r in rated],
                    ),
                    x_title=ctx.t("fix_first.rate_axis"),
                )
            )
    cfg = FixFirstConfig()
    rule = [
        ctx.t("fix_first.rule.route_to_human", high=f"{cfg.high_contact_rate:.0%}"),
        ctx.t("fix_first.rule.fix_bug", serious=f"{cfg.serious_excess_churn:.0%}"),
        ctx.t("fix_first.rule.proactive_message", least=f"{cfg.min_excess_churn:.0%}"),
        ctx.t("fix_first.rule.fix_help_content", lift=f"{cfg.help_lift_min:g}"),
        ctx.t("fix_first.rule.otherwise"),
    ]
    data = {
        "intro": ctx.t("section.fix_first.intro"),
        "risk_intro": ctx.t("fix_first.risk_intro"),
        "background_intro": ctx.t("fix_first.background_intro"),
        "rows": rows,
        "rule": rule,
        "empty": not rows,
    }
    return Section(
        "fix-first", ctx.t("section.fix_first.title"), "fix_first.html.j2", data, tuple(charts)
    )


SECTIONS: tuple[SectionBuilder, ...] = (
    overview_section,
    events_daily_section,
    stage_daily_section,
    silent_section,
    fix_first_section,
    friction_section,
    contact_reasons_section,
    quarantine_section,
    ingest_log_section,
)
