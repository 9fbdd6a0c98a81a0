"""The report's self-service section (Q4): per intent, the estimated self-service success with
its 95% interval beside the observed rate, the channel-fit recommendation in words, and the
intents where steering customers to self-service costs the most (docs/selfservice.md)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from kizuki.analytics.selfservice import DIGITAL_CHANNELS, SELF_SERVICE, SelfServiceConfig
from kizuki.report.charts import Chart
from kizuki.report.charts_selfservice import success_chart
from kizuki.report.context import ReportContext, Section

__all__ = [
    "article_titles",
    "intent_label",
    "json_list",
    "pct",
    "present",
    "selfservice_section",
    "step_note",
]

#: Intents in the mismatch ranking.
TOP_MISMATCH = 10
#: Intents drawn in the success chart (the most attempted).
CHART_INTENTS = 20
#: Articles named in one "improve content" recommendation.
NAMED_ARTICLES = 3
OUT_OF_SCOPE = "out_of_scope"


def present(value: Any) -> bool:
    """Whether ``value`` is a number or text (not None, not NaN)."""
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def pct(value: Any) -> str:
    """A share as a percentage (``0.853`` -> ``85.3%``), ``—`` when missing."""
    return f"{float(value):.1%}" if present(value) else "—"


def json_list(value: Any) -> list[str]:
    """A stored JSON list as strings (empty when missing or unreadable)."""
    try:
        items = json.loads(str(value)) if present(value) and value else []
    except json.JSONDecodeError:
        return []
    return [str(x) for x in items] if isinstance(items, list) else []


def intent_label(ctx: ReportContext, intent: Any) -> str:
    """An intent as the contact-reason section shows it: the team's own name, out of scope in
    the report's language, ``—`` when none is known."""
    if not present(intent) or not intent:
        return "—"
    return ctx.t("intents.out_of_scope") if intent == OUT_OF_SCOPE else str(intent)


def step_note(ctx: ReportContext, step: str) -> str:
    """Why a result of ``step`` is missing: the last run skipped the step (and why), or the
    store has not been analysed by a Kizuki that has it."""
    if ctx.run is not None:
        for record in ctx.run.steps:
            if record.get("step") == step and record.get("status") == "skipped":
                return ctx.t("selfservice.step_skipped", reason=str(record.get("reason") or ""))
    return ctx.t("report.not_analyzed")


def article_titles(ctx: ReportContext) -> tuple[dict[str, str], dict[str, list[str]]]:
    """content_id -> title, and intent -> its articles' ids (those in the report's language
    first), from ``result_content_articles`` (both empty before the content step)."""
    table = ctx.result("result_content_articles")
    if table is None:
        return {}, {}
    rows = table.select(["content_id", "intent", "title", "language"]).to_pylist()
    # a help centre in two languages holds each answer twice: name the reader's first
    rows.sort(key=lambda r: r["language"] != ctx.lang)
    titles: dict[str, str] = {}
    by_intent: dict[str, list[str]] = {}
    for r in rows:
        if present(r["title"]) and r["title"]:
            titles[str(r["content_id"])] = str(r["title"])
        if present(r["intent"]) and r["intent"]:
            by_intent.setdefault(str(r["intent"]), []).append(str(r["content_id"]))
    return titles, by_intent


def _config(ctx: ReportContext) -> SelfServiceConfig:
    """The settings that judged the results: the run's, else the current ones."""
    settings = ctx.settings if ctx.settings is not None else ctx.kz.settings.analyze
    return settings.selfservice


def _channel(ctx: ReportContext, channel: Any) -> str:
    return ctx.label(f"selfservice.channel.{channel}", str(channel)) if present(channel) else "—"


def _articles_text(ctx: ReportContext, ids: list[str], titles: Mapping[str, str]) -> str:
    """Up to :data:`NAMED_ARTICLES` articles by title (and id), and how many more."""
    named = [
        ctx.t("selfservice.article", title=titles[i], id=i) if i in titles else i
        for i in ids[:NAMED_ARTICLES]
    ]
    text = ctx.t("list.separator").join(named)
    if len(ids) > NAMED_ARTICLES:
        text += ctx.t("selfservice.more_articles", n=len(ids) - NAMED_ARTICLES)
    return text


def _recommendation(
    ctx: ReportContext,
    cfg: SelfServiceConfig,
    row: Mapping[str, Any],
    articles: list[str] | None,
    titles: Mapping[str, str],
) -> tuple[str, str]:
    """The recommendation's short name and what to do, in words."""
    code = row.get("recommendation")
    if code == "digital_first":
        text = ctx.t("selfservice.do.digital_first", low=pct(row.get("ci_low")),
                     target=f"{cfg.target:.0%}")  # fmt: skip
    elif code == "improve_content":
        text = (
            ctx.t("selfservice.do.improve_content", articles=_articles_text(ctx, articles, titles))
            if articles
            else ctx.t("selfservice.do.improve_no_articles")
        )
    elif code == "human":
        channel = row.get("best_human_channel")
        text = (
            ctx.t("selfservice.do.human", channel=_channel(ctx, channel))
            if present(channel) and channel
            else ctx.t("selfservice.do.human_any")
        )
    else:
        return "—", ctx.t("selfservice.do.too_few", min=cfg.min_attempts)
    attempts = row.get("attempts") or 0
    if attempts < cfg.min_attempts:  # the rule is applied, but on little evidence
        text += " " + ctx.t("selfservice.few_attempts", n=attempts, min=cfg.min_attempts)
    return ctx.t(f"selfservice.rec.{code}"), text


def _channel_order(channel: Any) -> tuple[int, str]:
    order = (SELF_SERVICE, *DIGITAL_CHANNELS)
    name = str(channel)
    return (order.index(name), name) if name in order else (len(order), name)


def _rate_cells(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "attempts": row.get("attempts"),
        "estimate": pct(row.get("success_rate")),
        "interval": (
            f"[{pct(row.get('ci_low'))}–{pct(row.get('ci_high'))}]"
            if present(row.get("ci_low")) and present(row.get("ci_high"))
            else ""
        ),
        "observed": pct(row.get("observed_rate")),
    }


def _mismatch(
    ctx: ReportContext, cfg: SelfServiceConfig, titles: Mapping[str, str]
) -> tuple[list[dict[str, Any]] | None, dict[str, list[str]]]:
    """The top of the mismatch ranking (None when the table is missing), and the articles of
    every ranked intent."""
    table = ctx.result("result_selfservice_mismatch")
    if table is None:
        return None, {}
    ranked = sorted(table.to_pylist(), key=lambda r: r["rank"])
    articles = {str(r["intent"]): json_list(r.get("articles")) for r in ranked}
    rows = []
    for r in ranked[:TOP_MISMATCH]:
        name, text = _recommendation(ctx, cfg, r, articles[str(r["intent"])], titles)
        rows.append(
            {
                "rank": r["rank"],
                "intent": intent_label(ctx, r["intent"]),
                "attempts": r.get("attempts"),
                "estimate": pct(r.get("success_rate")),
                "ci_high": pct(r.get("ci_high")),
                "failed": r.get("failed_attempts"),
                "customers": r.get("customers"),
                "revenue_at_risk": r.get("revenue_at_risk"),
                "rec_code": r.get("recommendation") or "",
                "rec_name": name,
                "rec_text": text,
            }
        )
    return rows, articles


def _success_chart(
    ctx: ReportContext, cfg: SelfServiceConfig, pooled: list[dict[str, Any]]
) -> tuple[Chart | None, int]:
    """The success chart of the most attempted intents (None: nothing to draw), and how many
    intents with attempts it leaves out."""
    tried = [r for r in pooled if (r.get("attempts") or 0) > 0 and present(r.get("success_rate"))]
    drawn = tried[:CHART_INTENTS]
    if not drawn:
        return None, 0

    def share(row: Mapping[str, Any], column: str) -> float:
        """``column``, or the estimate where the interval is unknown."""
        value: Any = row.get(column)
        return float(value if present(value) else row["success_rate"])

    estimate = (
        [float(r["success_rate"]) for r in drawn],
        [share(r, "ci_low") for r in drawn],
        [share(r, "ci_high") for r in drawn],
    )
    observed = [float(r["observed_rate"]) if present(r.get("observed_rate")) else 0.0
                for r in drawn]  # fmt: skip
    chart = success_chart(
        "chart-selfservice",
        [intent_label(ctx, r["intent"]) for r in drawn],
        (ctx.t("selfservice.estimate"), estimate),
        (ctx.t("selfservice.observed"), observed),
        target=(ctx.t("selfservice.target", target=f"{cfg.target:.0%}"), cfg.target),
        x_title=ctx.t("selfservice.success_axis"),
    )
    return chart, len(tried) - len(drawn)


def selfservice_section(ctx: ReportContext) -> Section | None:
    """Self-service and channel fit: success per intent against the target, what to do per
    intent, per channel, and the mismatch ranking; left out before any analysis."""
    key, title = "selfservice", ctx.t("section.selfservice.title")
    cfg = _config(ctx)
    data: dict[str, Any] = {
        "intro": ctx.t("section.selfservice.intro", target=f"{cfg.target:.0%}"),
        "missing": None,
    }
    table = ctx.result("result_selfservice")
    if table is None:
        if ctx.run is None:  # never analysed: the daily sections already say what to run
            return None
        data["missing"] = step_note(ctx, "selfservice")
        return Section(key, title, "selfservice.html.j2", data)
    rows = table.to_pylist()
    titles, by_intent = article_titles(ctx)
    mismatch, articles = _mismatch(ctx, cfg, titles)
    mismatch_total = len(articles)
    # an intent below min_attempts is not ranked: its articles come from the content step
    articles = {**by_intent, **articles}
    rank = {cid: i for i, cid in enumerate(c for ids in by_intent.values() for c in ids)}
    articles = {i: sorted(ids, key=lambda c: rank.get(c, len(rank))) for i, ids in articles.items()}
    pooled = sorted(
        (r for r in rows if r["channel"] == SELF_SERVICE),
        key=lambda r: (-(r.get("attempts") or 0), str(r["intent"])),
    )
    order = {str(r["intent"]): i for i, r in enumerate(pooled)}
    intents = []
    for r in pooled:
        name, text = _recommendation(ctx, cfg, r, articles.get(str(r["intent"])), titles)
        intents.append(
            {
                "intent": intent_label(ctx, r["intent"]),
                **_rate_cells(r),
                "rec_code": r.get("recommendation") or "",
                "rec_name": name,
                "rec_text": text,
            }
        )
    channels = [
        {
            "intent": intent_label(ctx, r["intent"]),
            "channel": _channel(ctx, r["channel"]),
            **_rate_cells(r),
            "rec_name": ctx.label(f"selfservice.rec.{r.get('recommendation')}", "—"),
        }
        for r in sorted(
            rows,
            key=lambda r: (
                order.get(str(r["intent"]), len(order)),
                str(r["intent"]),
                _channel_order(r["channel"]),
            ),
        )
    ]
    chart, chart_more = _success_chart(ctx, cfg, pooled)
    unlinked = sum(int(r.get("unlinked") or 0) for r in pooled)
    data |= {
        "explain": ctx.t("selfservice.explain"),
        "rule": ctx.t(
            "selfservice.rule",
            target=f"{cfg.target:.0%}",
            floor=f"{cfg.improve_floor:.0%}",
            min=cfg.min_attempts,
            window=f"{cfg.window_days:g}",
        ),
        "chart_more": chart_more,
        "intents": intents,
        "channels": channels,
        "unlinked": ctx.t("selfservice.unlinked", n=f"{unlinked:,}") if unlinked else "",
        "mismatch": mismatch,
        "mismatch_total": mismatch_total,
        "empty": not pooled,
    }
    charts = (chart,) if chart is not None else ()
    return Section(key, title, "selfservice.html.j2", data, charts)
