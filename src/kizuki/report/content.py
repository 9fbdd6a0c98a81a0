"""The report's help-content section (Q5): the content to write or rewrite (content gaps and
failed searches), the weekly search hit rate, the articles with readability flags or a gap,
and time on articles per intent (docs/selfservice.md, docs/content.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from kizuki.ingest.redact import redact_text
from kizuki.report.charts import Chart
from kizuki.report.charts_selfservice import rate_lines_chart
from kizuki.report.context import ReportContext, Section
from kizuki.report.selfservice import intent_label, json_list, pct, present, step_note

__all__ = ["content_section"]

#: Failed queries listed.
TOP_QUERIES = 15
#: Articles listed (those with a gap first, then the most viewed).
TOP_ARTICLES = 20
#: Intents drawn beside the overall hit rate: those with the lowest hit rate.
WORST_INTENTS = 4
#: Searches over the period below which an intent's hit rate is not ranked (too noisy).
MIN_SEARCHES = 20
#: Example failed queries shown per content gap, and their longest text.
EXAMPLE_QUERIES = 3
QUERY_CHARS = 80
#: Order of the gaps: what to write first, then what to rewrite.
GAP_ORDER = {"missing": 0, "not_resolving": 1, "does_not_resolve": 0, "not_found": 1}


def _seconds(value: Any) -> str:
    return f"{float(value):,.0f}" if present(value) else "—"


def _query(value: Any) -> str:
    return redact_text(str(value))[:QUERY_CHARS]


def _gaps(ctx: ReportContext, table: pa.Table) -> list[dict[str, Any]]:
    rows = sorted(
        table.to_pylist(),
        key=lambda r: (
            GAP_ORDER.get(str(r["gap"]), 2),
            -((r.get("contacts") or 0) + (r.get("failed_searches") or 0)),
            str(r["intent"]),
        ),
    )
    out = []
    for r in rows:
        label = r.get("label")
        out.append(
            {
                "name": f"{label} ({r['intent']})" if label else intent_label(ctx, r["intent"]),
                "topic": bool(label),
                "gap": str(r["gap"]),
                "action": ctx.label(f"content.gap.{r['gap']}", str(r["gap"])),
                "articles": r.get("articles"),
                "contacts": r.get("contacts"),
                "searches": r.get("searches"),
                "failed": r.get("failed_searches"),
                "success": pct(r.get("success_rate")),
                "examples": [
                    _query(q) for q in json_list(r.get("example_queries"))[:EXAMPLE_QUERIES]
                ],
            }
        )
    return out


def _queries(ctx: ReportContext, table: pa.Table) -> list[dict[str, Any]]:
    rows = sorted(table.to_pylist(), key=lambda r: (-(r.get("searches") or 0), str(r["query"])))[
        :TOP_QUERIES
    ]
    return [
        {
            "query": _query(r["query"]),
            "intent": intent_label(ctx, r.get("intent")),
            "topic": str(r.get("topic") or ""),
            "searches": r.get("searches"),
            "zero_results": r.get("zero_results"),
            "last_seen": r.get("last_seen"),
        }
        for r in rows
    ]


def _query_topics(table: pa.Table) -> list[dict[str, Any]]:
    """The discovered topics of failed queries with no known intent, the most failed searches
    first: searches, distinct queries and the most searched examples."""
    if "topic" not in table.column_names:
        return []
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in table.to_pylist():
        if r.get("topic"):
            groups[str(r["topic"])].append(r)
    out: list[dict[str, Any]] = []
    for topic, rows in groups.items():
        rows.sort(key=lambda r: (-(r.get("searches") or 0), str(r["query"])))
        out.append(
            {
                "topic": topic,
                "searches": sum(int(r.get("searches") or 0) for r in rows),
                "queries": len(rows),
                "examples": [_query(r["query"]) for r in rows[:EXAMPLE_QUERIES]],
            }
        )
    out.sort(key=lambda r: (-r["searches"], r["topic"]))
    return out[:TOP_QUERIES]


def _weighted(rows: list[Mapping[str, Any]], column: str) -> float | None:
    """The share ``column`` over ``rows`` weighted by their searches (None: no searches)."""
    known = [r for r in rows if present(r.get(column))]
    n = sum(int(r["searches"] or 0) for r in known)
    return sum(float(r[column]) * int(r["searches"] or 0) for r in known) / n if n else None


def _search_weekly(ctx: ReportContext, table: pa.Table) -> tuple[Chart | None, str]:
    """The weekly hit rate, over all searches and for the worst intents, and the period's
    figures in one line."""
    rows = table.to_pylist()
    if not rows:
        return None, ""
    by_week: dict[Any, list[Mapping[str, Any]]] = defaultdict(list)
    by_intent: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        by_week[r["week"]].append(r)
        if present(r.get("intent")) and r["intent"]:
            by_intent[str(r["intent"])].append(r)
    weeks = sorted(by_week)
    series: dict[str, tuple[list[str], list[float]]] = {}
    overall = [(w.isoformat(), _weighted(by_week[w], "hit_rate")) for w in weeks]
    series[ctx.t("content.all_searches")] = (
        [w for w, v in overall if v is not None],
        [v for _, v in overall if v is not None],
    )
    ranked = sorted(
        (
            (rate, intent)
            for intent, mine in by_intent.items()
            if sum(int(r["searches"] or 0) for r in mine) >= MIN_SEARCHES
            and (rate := _weighted(mine, "hit_rate")) is not None
        ),
    )[:WORST_INTENTS]
    for _, intent in ranked:
        mine = sorted(by_intent[intent], key=lambda r: r["week"])
        kept = [r for r in mine if present(r.get("hit_rate"))]
        series[intent_label(ctx, intent)] = (
            [r["week"].isoformat() for r in kept],
            [float(r["hit_rate"]) for r in kept],
        )
    partial = ctx.partial(weeks, "week", ["events", "searches"])
    chart = rate_lines_chart(
        "chart-search-weekly",
        series,
        x_title=ctx.t("friction.week", zone=ctx.zone),
        y_title=ctx.t("content.hit_rate"),
        partial=partial,
        note=ctx.partial_note(partial, "week"),
    )
    summary = ctx.t(
        "content.search_summary",
        searches=f"{sum(int(r['searches'] or 0) for r in rows):,}",
        hit=pct(_weighted(rows, "hit_rate")),
        zero=pct(_weighted(rows, "zero_result_rate")),
        reformulated=pct(_weighted(rows, "reformulation_rate")),
    )
    return chart, summary


def _flags(ctx: ReportContext, value: Any) -> list[str]:
    codes = [c for c in str(value or "").split(";") if c.strip()]
    return [ctx.label(f"content.flag.{c.strip()}", c.strip()) for c in codes]


def _articles(ctx: ReportContext, table: pa.Table) -> tuple[list[dict[str, Any]], int, int]:
    """The articles with a readability flag or a gap, the first :data:`TOP_ARTICLES`; how
    many such articles there are, and how many articles in all."""
    rows = table.to_pylist()
    marked = sorted(
        (r for r in rows if (r.get("flags") or "").strip() or (r.get("gap") or "").strip()),
        key=lambda r: (
            GAP_ORDER.get(str(r.get("gap") or ""), 2),
            -(r.get("views") or 0),
            str(r["content_id"]),
        ),
    )
    out = []
    for r in marked[:TOP_ARTICLES]:
        score, change = r.get("score"), r.get("score_change")
        out.append(
            {
                "title": r.get("title") or r["content_id"],
                "content_id": r["content_id"],
                "intent": intent_label(ctx, r.get("intent")),
                "language": r.get("language") or "—",
                "score": f"{float(score):.1f}" if present(score) else "—",
                "level": ctx.label(f"content.level.{r.get('level')}", str(r.get("level") or "")),
                "change": f"{float(change):+.1f}" if present(change) and change else "",
                "flags": _flags(ctx, r.get("flags")),
                "gap": ctx.label(f"content.gap.{r.get('gap')}", "") if r.get("gap") else "",
                "views": r.get("views"),
                "median_seconds": _seconds(r.get("median_seconds")),
                "search_share": pct(r.get("search_share")),
                "contact_after": pct(r.get("contact_after_share")),
            }
        )
    return out, len(marked), len(rows)


def _time_per_intent(ctx: ReportContext, table: pa.Table) -> list[dict[str, Any]]:
    rows = sorted(table.to_pylist(), key=lambda r: (-(r.get("views") or 0), str(r["intent"])))
    return [
        {
            "intent": intent_label(ctx, r["intent"]),
            "articles": r.get("articles"),
            "views": r.get("views"),
            "visitors": r.get("visitors"),
            "median_seconds": _seconds(r.get("median_seconds")),
            "mean_seconds": _seconds(r.get("mean_seconds")),
            "exit_share": pct(r.get("exit_share")),
            "hours": (
                f"{int(r['total_seconds']) / 3600:,.1f}" if present(r.get("total_seconds")) else "—"
            ),
        }
        for r in rows
    ]


def _part(ctx: ReportContext, table: pa.Table | None, step: str, empty_key: str) -> dict[str, Any]:
    """A subsection's state: why it has nothing to show (missing or empty), else no note."""
    if table is None:
        return {"note": step_note(ctx, step)}
    if table.num_rows == 0:
        return {"note": ctx.t(empty_key)}
    return {"note": None}


def content_section(ctx: ReportContext) -> Section | None:
    """Help content and search: gaps, failed queries, the weekly hit rate, flagged articles
    and time on articles; left out before any analysis."""
    key, title = "content", ctx.t("section.content.title")
    gaps = ctx.result("result_content_gaps")
    queries = ctx.result("result_failed_queries")
    weekly = ctx.result("result_search_weekly")
    articles = ctx.result("result_content_articles")
    per_intent = ctx.result("result_content_intents")
    data: dict[str, Any] = {"intro": ctx.t("section.content.intro"), "missing": None}
    if all(t is None for t in (gaps, queries, weekly, articles, per_intent)):
        if ctx.run is None:  # never analysed: the daily sections already say what to run
            return None
        data["missing"] = step_note(ctx, "content")
        return Section(key, title, "content.html.j2", data)
    charts: list[Chart] = []
    search = _part(ctx, weekly, "content", "content.no_searches")
    if weekly is not None and weekly.num_rows:
        chart, search["summary"] = _search_weekly(ctx, weekly)
        if chart is not None:
            charts.append(chart)
    flagged = _part(ctx, articles, "content", "content.no_articles")
    if articles is not None:
        flagged["rows"], flagged["marked"], flagged["total"] = _articles(ctx, articles)
        if articles.num_rows and not flagged["marked"]:
            flagged["note"] = ctx.t("content.no_flags", n=f"{articles.num_rows:,}")
    data |= {
        "gaps": {
            **_part(ctx, gaps, "selfservice", "content.no_gaps"),
            "rows": _gaps(ctx, gaps) if gaps is not None else [],
        },
        "queries": {
            **_part(ctx, queries, "content", "content.no_failed_queries"),
            "rows": _queries(ctx, queries) if queries is not None else [],
            "topics": _query_topics(queries) if queries is not None else [],
        },
        "search": {"summary": "", **search},
        "articles": {"rows": [], "marked": 0, "total": 0, **flagged},
        "time": {
            **_part(ctx, per_intent, "content", "content.no_views"),
            "rows": _time_per_intent(ctx, per_intent) if per_intent is not None else [],
        },
    }
    return Section(key, title, "content.html.j2", data, tuple(charts))
