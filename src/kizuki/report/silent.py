"""The report's silent-customer section: the iceberg chart (contacted vs silent per page) and
the pages with their estimates and intervals, and the assumptions of the run that made them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kizuki.report.charts import iceberg_chart
from kizuki.report.context import ReportContext, Section

__all__ = ["coverage_note", "silent_section"]

#: Friction pages shown in the iceberg chart and the silent-customer table.
TOP_POINTS = 10


def _page_label(row: Mapping[str, Any]) -> str:
    return f"{row['page_path']} ({row['intent']})" if row.get("intent") else str(row["page_path"])


def _assumptions(ctx: ReportContext) -> list[str]:
    """The estimate's assumptions, with the values of the run that made the table."""
    settings = ctx.settings
    if settings is None:
        return [ctx.t("report.run_unrecorded")]
    cfg = settings.silent
    return [
        ctx.t("silent.assume.measured", window=cfg.window_days, boot=cfg.n_boot),
        ctx.t("silent.assume.revenue", horizon=f"{cfg.horizon_months:g}"),
        ctx.t(
            "silent.assume.goodman",
            rate=f"{cfg.goodman_contact_rate:.0%}",
            low=f"{cfg.goodman_rate_low:.0%}",
            high=f"{cfg.goodman_rate_high:.0%}",
        ),
        ctx.t("silent.assume.survey"),
        ctx.t(
            "silent.assume.identity",
            window=f"{settings.identity.window_days:g}",
            ratio=f"{cfg.unidentified_contact_ratio:g}",
        ),
    ]


def coverage_note(ctx: ReportContext) -> dict[str, Any] | None:
    """The linked shares of ``result_coverage`` as text, and whether they are too low."""
    result = ctx.result("result_coverage")
    if result is None:
        return None
    share = {r["metric"]: r["share"] for r in result.to_pylist()}

    def pct(metric: str) -> str:
        v = share.get(metric)
        return "–" if v is None or v != v else f"{v:.0%}"

    settings = ctx.settings
    minimum = settings.silent.min_coverage if settings is not None else 0.3
    visitors = share.get("struggling_visitors")
    low = visitors is not None and visitors == visitors and visitors < minimum
    line = ctx.t(
        "silent.coverage",
        sessions=pct("sessions"),
        visitors=pct("struggling_visitors"),
        contacts=pct("contacts"),
        browsers=pct("browsers"),
    )
    return {"line": line, "low": ctx.t("silent.coverage_low", min=f"{minimum:.0%}") if low else ""}


def _diagnostics(ctx: ReportContext, row: Mapping[str, Any]) -> list[str]:
    """The page's diagnostics (``low_coverage,flat_likelihood`` …) as sentences."""
    codes = [c for c in str(row.get("diagnostic") or "").split(",") if c]
    return [ctx.label(f"silent.diag.{c}", c) for c in codes]


def _possible(row: Mapping[str, Any]) -> bool:
    """A page whose problem is not significant at its level but is on its own (estimated,
    intervals from 0)."""
    return "not_significant" in str(row.get("diagnostic") or "")


def _method_note(ctx: ReportContext, row: Mapping[str, Any], pages: int) -> str:
    """How the page's figures were produced, and why, in one sentence."""
    settings = ctx.settings
    cfg = settings.silent if settings is not None else None
    units = f"{float(row.get('units') or 0):,.0f}"
    p = row.get("p_value")
    p_text = "–" if p is None or p != p else f"{p:.1g}"
    level = (cfg.small_alpha if cfg is not None else 0.05) / max(pages, 1)
    if row.get("method") == "signal_excess":
        return ctx.t("silent.method.signal_excess", units=units, p=p_text, level=f"{level:.1g}")
    if row.get("method") == "small_sample":
        return ctx.t(
            "silent.method.small_sample",
            units=units,
            small=f"{cfg.small_units:,}" if cfg is not None else "2,000",
            level=f"{level:.1g}",
            pages=pages,
            p=p_text,
        )
    if row.get("method") == "model":
        return ctx.t("silent.method.model", units=units, p=p_text)
    return ""


def _small_note(ctx: ReportContext, checked: list[dict[str, Any]]) -> str:
    """Why nothing could be modelled, when no page had enough units with a signal."""
    if checked:
        return ""
    settings = ctx.settings
    n = settings.silent.min_units if settings is not None else 20
    return ctx.t("silent.nothing_modelled", min=n)


def silent_section(ctx: ReportContext) -> Section | None:
    """The iceberg (contacted vs silent per friction page) and the top pages with estimates;
    pages where nothing was detected are counted, not listed."""
    result = ctx.result("result_silent_customers")
    if result is None:
        if ctx.overview["tables"].get("events", {}).get("rows") and not ctx.overview["tables"].get(
            "contacts", {}
        ).get("rows"):
            data: dict[str, Any] = {
                "intro": ctx.t("section.silent.intro"),
                "needs": ctx.t("silent.needs_contacts"),
            }
            return Section("silent", ctx.t("section.silent.title"), "silent.html.j2", data)
        return None
    rows = result.to_pylist()
    total = next((r for r in rows if r["stage"] == "total"), None)
    checked = [r for r in rows if r["stage"] != "total"]
    # detected problems by money and people, then the possible ones by their evidence
    pages = sorted(
        (r for r in checked if r["detected"] or _possible(r)),
        key=lambda r: (
            not r["detected"],
            r["p_value"] if not r["detected"] else 0.0,
            -(r["revenue_at_risk"] or 0.0),
            -(r["silent"] or 0.0),
        ),
    )[:TOP_POINTS]
    for r in pages:
        r["stage_label"] = ctx.label(f"stage.{r['stage']}", str(r["stage"]))
        r["label"] = _page_label(r)
        r["best_label"] = ctx.label(f"silent.best.{r['best_estimate']}", str(r["best_estimate"]))
        r["diagnostics"] = _diagnostics(ctx, r)
        r["method_note"] = _method_note(ctx, r, len(checked))
        r.setdefault("coverage", None)  # a table written before identities were resolved
    chart = iceberg_chart(
        "chart-iceberg",
        [r["label"] for r in pages],
        (ctx.t("silent.contacted"), [r["contacted"] or 0.0 for r in pages]),
        (ctx.t("silent.silent"), [r["silent"] or 0.0 for r in pages]),
        y_title=ctx.t("silent.customers"),
    )
    data = {
        "intro": ctx.t("section.silent.intro"),
        "pages": pages,
        "undetected": sum(1 for r in checked if not r["detected"] and not _possible(r)),
        "small": _small_note(ctx, checked),
        "total": total,
        "assumptions": _assumptions(ctx),
        "coverage": coverage_note(ctx),
        "needs": None,
        "empty": not checked,
    }
    charts = (chart,) if pages else ()
    return Section("silent", ctx.t("section.silent.title"), "silent.html.j2", data, charts)
