"""The report's friction section: the journey heat grid (customers with each signal at each
stage) and the weekly trend of each signal."""

from __future__ import annotations

from kizuki.report.charts import Chart, heatmap_chart, lines_chart
from kizuki.report.context import ReportContext, Section, stage_order
from kizuki.report.silent import coverage_note

__all__ = ["friction_section"]


def friction_section(ctx: ReportContext) -> Section | None:
    """Journey heat grid (stage × signal, customers affected) and the weekly trend by signal."""
    if not all(ctx.kz.has_result(n) for n in ("result_signals", "result_friction_weekly")):
        return None
    grid = ctx.kz.friction_grid().to_dict("records")
    stages = stage_order({str(r["stage"]) for r in grid})
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
    by_week = ctx.kz.signal_weekly().to_dict("records")
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
        partial = ctx.partial({r["week_start"] for r in by_week}, "week", ["events"])
        charts.append(
            lines_chart(
                "chart-friction-weekly",
                series,
                x_title=ctx.t("friction.week", zone=ctx.zone),
                y_title=ctx.t("chart.sessions"),
                partial=partial,
                note=ctx.partial_note(partial, "week"),
            )
        )
    data = {
        "intro": ctx.t("section.friction.intro"),
        "trend_intro": ctx.t("friction.trend_intro"),
        "empty": not grid,
        "coverage": coverage_note(ctx),  # the grid counts identified customers only
    }
    return Section(
        "friction", ctx.t("section.friction.title"), "friction.html.j2", data, tuple(charts)
    )
