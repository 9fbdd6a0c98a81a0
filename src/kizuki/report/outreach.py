"""The report's outreach section (Q8): whom to contact first, why, and the expected value."""

from __future__ import annotations

import json
from typing import Any

from kizuki.report.context import ReportContext, Section
from kizuki.report.selfservice import step_note

__all__ = ["outreach_section"]

ROWS = 20


def _rows(ctx: ReportContext, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lang = "ja" if ctx.lang == "ja" else "en"
    out = []
    for r in rows[:ROWS]:
        cause = str(r["cause"]).split(":")[0]
        out.append(
            {
                "rank": int(r["rank"]),
                "customer": r["customer_id"],
                "cause": ctx.t(f"outreach.cause.{cause}")
                + (f" ({r['incident_id']})" if r["incident_id"] else ""),
                "triggers": ", ".join(
                    ctx.t(f"outreach.cause.{c}") for c in json.loads(r["triggers"] or "[]")
                ),
                "p_churn": f"{100 * float(r['p_churn']):.1f}%",
                "value": f"{float(r['expected_value_saved']):,.0f}",
                "reasons": r[f"reasons_{lang}"] or "–",
                "help": _help(ctx, r),
                "suppressed": ctx.t(f"outreach.suppressed.{r['suppressed_reason']}")
                if r["suppressed"]
                else "",
            }
        )
    return out


def _help(ctx: ReportContext, row: dict[str, Any]) -> str:
    """The article and channel that resolved the row's problem best for others, if known."""
    if not row.get("intent"):
        return ""
    channel = ctx.t(f"selfservice.channel.{row['channel']}")
    title = row.get("article_title")
    return (
        f"「{title}」 / {channel}"
        if title and ctx.lang == "ja"
        else (f"“{title}” / {channel}" if title else channel)
    )


def _explain(ctx: ReportContext, summary: dict[str, Any]) -> str:
    from kizuki.outreach.queue import OutreachConfig

    config = ctx.settings.outreach if ctx.settings is not None else OutreachConfig()
    months = f"{config.value_months:g}"
    p = summary["p_save"]
    share = f"{100 * float(p):.0f}%" if p is not None else "–"
    if summary["p_save_from"] == "outreach":
        return ctx.t(
            "outreach.explain.learned",
            months=months,
            p_save=share,
            reached=f"{summary['outreach_reached']:,}",
        )
    return ctx.t("outreach.explain", months=months, p_save=share)


def _model(ctx: ReportContext) -> str:
    model = ctx.result("result_churn_model")
    if model is None or not model.num_rows:
        return ""
    info = model.to_pylist()[0]
    if info["status"] != "trained":
        return ctx.t("outreach.model.too_few")
    if info["roc_auc"] is None:
        return ctx.t("outreach.model.trained", churners=f"{int(info['train_churners']):,}")
    return ctx.t(
        "outreach.model.validated",
        churners=f"{int(info['train_churners']):,}",
        days=int(info["window_days"]),
        auc=f"{float(info['roc_auc']):.2f}",
        base=f"{100 * float(info['base_rate']):.1f}%",
    )


def outreach_section(ctx: ReportContext) -> Section | None:
    """The outreach queue's first rows; left out before any analysis."""
    key, title = "outreach", ctx.t("section.outreach.title")
    data: dict[str, Any] = {"intro": ctx.t("section.outreach.intro"), "missing": None}
    queue = ctx.result("result_outreach_queue")
    if queue is None:
        if ctx.run is None:
            return None
        data["missing"] = step_note(ctx, "outreach")
        return Section(key, title, "outreach.html.j2", data)
    rows = queue.to_pylist()
    summary = ctx.kz.outreach_summary()
    data |= {
        "rows": _rows(ctx, rows),
        "count": summary["to_contact"],
        "suppressed": summary["suppressed"],
        "value": f"{summary['expected_value_saved']:,.0f}",
        "model": _model(ctx),
        "explain": _explain(ctx, summary),
        "empty": not rows,
    }
    return Section(key, title, "outreach.html.j2", data)
