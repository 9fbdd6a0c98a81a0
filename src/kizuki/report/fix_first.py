"""The report's "what to fix first" section: problems by money at risk, with the background,
paths, example sessions and a suggested action (the rule with the run's thresholds), and the
money-at-risk and background charts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from kizuki.analytics.fix_first import PATH_SEPARATOR, FixFirstConfig
from kizuki.analytics.friction import EXIT_MARK, START_MARK
from kizuki.ingest.redact import redact_text
from kizuki.report.charts import Chart, rates_chart, risk_chart
from kizuki.report.context import ReportContext, Section

__all__ = ["fix_first_section"]

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


def _action_text(
    ctx: ReportContext, cfg: FixFirstConfig, row: Mapping[str, Any]
) -> tuple[str, str]:
    """The suggested action as a sentence, and why (the rule that chose it, with the
    thresholds of the run that chose it)."""
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


def _paths(ctx: ReportContext, value: Any) -> list[str]:
    """Stored paths (one per line) with the session's start and exit marks in words."""
    marks = {START_MARK: ctx.t("fix_first.path_start"), EXIT_MARK: ctx.t("fix_first.path_exit")}
    return [
        " > ".join(marks.get(step, step) for step in path.split(" > "))
        for path in _split_paths(value)
    ]


def _problem_label(row: Mapping[str, Any]) -> str:
    intent = f" ({row['intent']})" if row.get("intent") else ""
    return f"{row['rank']}. {row['page_path']}{intent}"


def fix_first_section(ctx: ReportContext) -> Section | None:
    """What to fix first: problems by money at risk, with the background, paths, examples and
    a suggested action; and the money-at-risk and background charts."""
    stored = ctx.result("result_fix_first")
    if stored is None:
        return None
    key, title = "fix-first", ctx.t("section.fix_first.title")
    settings = ctx.settings
    if settings is None:  # thresholds unknown: the actions cannot be explained honestly
        data: dict[str, Any] = {
            "intro": ctx.t("section.fix_first.intro"),
            "missing_run": ctx.t("report.run_unrecorded"),
        }
        return Section(key, title, "fix_first.html.j2", data)
    cfg = settings.fix_first
    rows = sorted(stored.to_pylist(), key=lambda r: r["rank"])[:TOP_PROBLEMS]
    examples = _examples(ctx)
    for r in rows:
        r["stage_label"] = ctx.label(f"stage.{r['stage']}", str(r["stage"]))
        r["signal_label"] = ctx.label(f"signal.{r['signal']}", str(r["signal"]))
        r["action_text"], r["reason_text"] = _action_text(ctx, cfg, r)
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
        r["before"] = _paths(ctx, r.get("paths_before"))
        r["after"] = _paths(ctx, r.get("paths_after"))
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
    rule = [
        ctx.t("fix_first.rule.route_to_human", high=f"{cfg.high_contact_rate:.0%}"),
        ctx.t("fix_first.rule.fix_bug", serious=f"{cfg.serious_excess_churn:.0%}"),
        ctx.t("fix_first.rule.proactive_message", least=f"{cfg.min_excess_churn:.0%}"),
        ctx.t("fix_first.rule.fix_help_content", lift=f"{cfg.help_lift_min:g}"),
        ctx.t("fix_first.rule.otherwise"),
    ]
    data = {
        "intro": ctx.t("section.fix_first.intro"),
        "missing_run": None,
        "risk_intro": ctx.t("fix_first.risk_intro"),
        "background_intro": ctx.t("fix_first.background_intro"),
        "rows": rows,
        "rule": rule,
        "empty": not rows,
    }
    return Section(key, title, "fix_first.html.j2", data, tuple(charts))
