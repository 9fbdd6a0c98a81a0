"""The self-service (Q4) and help-content (Q5) sections: figures, recommendations in words,
the charts, and short notes where a result table is missing or empty.

The store holds hand-made result tables (no simulation), so every shown value is known.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from markupsafe import escape

import kizuki
from kizuki.analytics.selfservice import SelfServiceConfig
from kizuki.core import Kizuki
from kizuki.i18n import translate as plain_translate
from kizuki.schema import RUNS_TABLE, result_arrow, result_arrow_schema
from kizuki.settings import AnalyzeSettings

T0 = dt.datetime(2026, 5, 4, 1, 0, tzinfo=dt.UTC)
MONDAY = dt.date(2026, 5, 4)


def translate(key: str, lang: str, **fields: Any) -> str:
    """The message as the page holds it (HTML-escaped)."""
    return str(escape(plain_translate(key, lang, **fields)))


def fit_row(
    intent: str,
    channel: str,
    attempts: int,
    interval: tuple[float, float, float],
    observed: float,
    recommendation: str | None,
    **values: Any,
) -> dict[str, Any]:
    rate, low, high = interval
    row = {
        "intent": intent, "channel": channel, "attempts": attempts,
        "successes": attempts * rate, "success_rate": rate, "ci_low": low, "ci_high": high,
        "observed_rate": observed, "contacted": 10, "seen_failures": 20,
        "contact_propensity": 0.4, "unlinked": 0, "recommendation": recommendation,
        "best_human_channel": None,
    }  # fmt: skip
    return {**row, **values}


SELFSERVICE = [
    fit_row("password_reset", "self_service", 400, (0.93, 0.89, 0.96), 0.97, "digital_first",
            unlinked=12),
    fit_row("password_reset", "help_search", 250, (0.91, 0.86, 0.95), 0.96, "digital_first"),
    fit_row("password_reset", "email", 40, (0.80, 0.65, 0.90), 0.80, None),
    fit_row("bank_link_error", "self_service", 300, (0.33, 0.27, 0.40), 0.89, "human",
            best_human_channel="phone", unlinked=30),
    fit_row("bank_link_error", "phone", 90, (0.88, 0.80, 0.93), 0.88, None),
    fit_row("csv_import_error", "self_service", 200, (0.62, 0.55, 0.70), 0.90, "improve_content"),
    fit_row("plan_change", "self_service", 12, (0.60, 0.35, 0.80), 0.75, "improve_content"),
    fit_row("rare_question", "self_service", 5, (0.70, 0.30, 0.95), 0.80, None),
]  # fmt: skip
MISMATCH = [
    {"rank": 1, "intent": "bank_link_error", "attempts": 300, "success_rate": 0.33,
     "ci_high": 0.40, "failed_attempts": 201.0, "customers": 180, "revenue_at_risk": 7_419_335.0,
     "recommendation": "human", "best_human_channel": "phone", "articles": "[]"},
    {"rank": 2, "intent": "csv_import_error", "attempts": 200, "success_rate": 0.62,
     "ci_high": 0.70, "failed_attempts": 76.0, "customers": 150, "revenue_at_risk": 1_310_516.0,
     "recommendation": "improve_content", "best_human_channel": "chat",
     "articles": json.dumps(["faq-import", "faq-csv"])},
]  # fmt: skip
GAPS = [
    {"intent": "csv_import_error", "label": "", "gap": "not_resolving", "articles": 2,
     "contacts": 300, "searches": 500, "failed_searches": 120, "success_rate": 0.42,
     "example_queries": json.dumps(["csv 取り込み できない"])},
    {"intent": "invoice_pdf_layout", "label": "", "gap": "missing", "articles": 0,
     "contacts": 40, "searches": 90, "failed_searches": 70, "success_rate": None,
     "example_queries": json.dumps(["請求書 PDF 崩れる", "invoice pdf layout"])},
    {"intent": "T3", "label": "領収書 再発行", "gap": "missing", "articles": 0,
     "contacts": 25, "searches": 0, "failed_searches": 0, "success_rate": None,
     "example_queries": "[]"},
]  # fmt: skip
FAILED_QUERIES = [
    {"intent": "invoice_pdf_layout", "query": "請求書 pdf 崩れる", "searches": 41,
     "zero_results": 39, "last_seen": T0},
    {"intent": "", "query": "taro@example.com ログイン", "searches": 3, "zero_results": 3,
     "last_seen": T0},
    {"intent": "out_of_scope", "query": "粗大ゴミ 冷蔵庫", "searches": 7, "zero_results": 7,
     "last_seen": T0, "topic": "粗大ゴミの出し方"},
    {"intent": "", "query": "粗大ゴミ ソファ", "searches": 5, "zero_results": 2,
     "last_seen": T0, "topic": "粗大ゴミの出し方"},
]  # fmt: skip
SEARCH_WEEKLY = [
    {"week": MONDAY + dt.timedelta(weeks=w), "intent": intent, "searches": n, "hit_rate": hit,
     "zero_result_rate": zero, "reformulation_rate": 0.1}
    for w in range(3)
    for intent, n, hit, zero in (("password_reset", 80, 0.8, 0.05),
                                 ("bank_link_error", 20, 0.2, 0.5))
]  # fmt: skip
ARTICLES = [
    {"content_id": "faq-import", "intent": "csv_import_error", "title": "CSVインポートの手順",
     "language": "ja", "score": 2.1, "level": "lower_advanced", "grade": None,
     "flags": "too_long;lacks_steps", "views": 900, "median_seconds": 95.0, "exit_share": 0.3,
     "search_share": 0.6, "entry_share": 0.2, "contact_after_share": 0.35, "score_change": -0.4,
     "gap": "does_not_resolve"},
    {"content_id": "faq-csv", "intent": "csv_import_error", "title": "CSV files",
     "language": "en", "score": 64.0, "level": "standard", "grade": 8.0, "flags": "",
     "views": 120, "median_seconds": 40.0, "exit_share": 0.2, "search_share": 0.0,
     "entry_share": 1.0, "contact_after_share": 0.05, "score_change": None, "gap": "not_found"},
    {"content_id": "faq-password", "intent": "password_reset", "title": "パスワードの再設定",
     "language": "ja", "score": 5.4, "level": "upper_elementary", "grade": None, "flags": "",
     "views": 3000, "median_seconds": 30.0, "exit_share": 0.4, "search_share": 0.7,
     "entry_share": 0.1, "contact_after_share": 0.01, "score_change": None, "gap": ""},
    {"content_id": "faq-plan", "intent": "plan_change", "title": "プランの変更",
     "language": "ja", "score": 5.0, "level": "upper_elementary", "flags": "", "views": 50,
     "gap": ""},
]  # fmt: skip
CONTENT_INTENTS = [
    {"intent": "password_reset", "articles": 1, "views": 3000, "visitors": 2500,
     "timed_views": 1800, "exit_views": 1200, "capped_views": 0, "exit_share": 0.4,
     "median_seconds": 30.0, "mean_seconds": 41.0, "total_seconds": 73_800},
]  # fmt: skip

TABLES: dict[str, list[dict[str, Any]]] = {
    "result_selfservice": SELFSERVICE,
    "result_selfservice_mismatch": MISMATCH,
    "result_content_gaps": GAPS,
    "result_failed_queries": FAILED_QUERIES,
    "result_search_weekly": SEARCH_WEEKLY,
    "result_content_articles": ARTICLES,
    "result_content_intents": CONTENT_INTENTS,
}


def record_run(kz: Kizuki, settings: AnalyzeSettings, steps: list[dict[str, str]]) -> None:
    """A ``result_runs`` row as ``kizuki analyze`` writes it, for hand-made result tables."""
    row = {
        "run_id": "test", "kizuki_version": kizuki.__version__, "status": "completed",
        "started_at": T0, "finished_at": T0, "config": settings.model_dump_json(),
        "journey": "{}", "inputs": "{}", "steps": json.dumps(steps), "tables_written": "[]",
    }  # fmt: skip
    kz.store.append_table(RUNS_TABLE, result_arrow(RUNS_TABLE, pd.DataFrame([row])))


def store_with(
    tables: dict[str, list[dict[str, Any]]] | None = None,
    *,
    settings: AnalyzeSettings | None = None,
    steps: list[dict[str, str]] | None = None,
) -> Kizuki:
    kz = kizuki.open("duckdb://")
    record_run(kz, settings or AnalyzeSettings(), steps or [])
    for name, rows in (TABLES if tables is None else tables).items():
        table = (
            result_arrow(name, pd.DataFrame(rows))
            if rows
            else (result_arrow_schema(name).empty_table())
        )
        kz.store.write_table(name, table)
    return kz


def sections(kz: Kizuki, tmp_path: Path, lang: str) -> dict[str, str]:
    html = kz.report(tmp_path / f"r-{lang}.html", lang=lang).read_text(encoding="utf-8")
    found = dict(re.findall(r'<section class="card" id="([^"]+)">(.*?)</section>', html, re.S))
    found["_charts"] = json.dumps(
        dict(re.findall(r'data-chart="([^"]+)">(.*?)</script>', html, re.S))
    )
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    kz = store_with()
    out = tmp_path_factory.mktemp("reports")
    return {lang: sections(kz, out, lang) for lang in ("ja", "en")}


def chart(found: dict[str, str], chart_id: str) -> dict[str, Any]:
    figure: dict[str, Any] = json.loads(json.loads(found["_charts"])[chart_id])
    return figure


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_sections_follow_the_contact_reasons_in_both_languages(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    found = rendered[lang]
    keys = [k for k in found if not k.startswith("_")]
    assert keys.index("selfservice") + 2 == keys.index("flows") + 1 == keys.index("content")
    assert translate("section.selfservice.title", lang) in found["selfservice"]
    assert translate("section.content.title", lang) in found["content"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_selfservice_shows_the_estimate_beside_the_observed_rate_and_why(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    html = rendered[lang]["selfservice"]
    assert translate("section.selfservice.intro", lang, target="85%") in html
    assert translate("selfservice.explain", lang) in html
    # bank link errors: 33% estimated against 89% with no contact afterwards
    assert "33.0%" in html and "[27.0%–40.0%]" in html and "89.0%" in html
    # most attempted first; the intent with too few attempts says so
    assert html.index("password_reset") < html.index("bank_link_error") < html.index("rare_q")
    assert translate("selfservice.do.too_few", lang, min=20) in html
    assert translate("selfservice.unlinked", lang, n="42") in html


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_recommendations_name_the_articles_and_the_human_channel(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    html = rendered[lang]["selfservice"]
    assert translate("selfservice.do.digital_first", lang, low="89.0%", target="85%") in html
    phone = plain_translate("selfservice.channel.phone", lang)
    assert translate("selfservice.do.human", lang, channel=phone) in html
    articles = plain_translate("list.separator", lang).join(
        [
            plain_translate(
                "selfservice.article", lang, title="CSVインポートの手順", id="faq-import"
            ),
            plain_translate("selfservice.article", lang, title="CSV files", id="faq-csv"),
        ]
    )
    assert translate("selfservice.do.improve_content", lang, articles=articles) in html
    # too few attempts to be ranked: its articles come from the content step
    plan = plain_translate("selfservice.article", lang, title="プランの変更", id="faq-plan")
    assert translate("selfservice.do.improve_content", lang, articles=plan) in html
    assert translate("selfservice.few_attempts", lang, n=12, min=20) in html
    for code in ("digital_first", "improve_content", "human"):
        assert translate(f"selfservice.rec.{code}", lang) in html


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_mismatch_ranks_intents_by_money_at_risk(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    html = rendered[lang]["selfservice"]
    ranking = html[html.index(translate("selfservice.mismatch_title", lang)) :]
    assert ranking.index("bank_link_error") < ranking.index("csv_import_error")
    assert "7,419,335" in ranking and "1,310,516" in ranking  # like the report's other money
    assert translate("selfservice.at_most", lang, high="40.0%") in ranking
    assert ">180<" in ranking and ">201<" in ranking


def test_success_chart_has_intervals_and_the_target_line(
    rendered: dict[str, dict[str, str]],
) -> None:
    figure = chart(rendered["en"], "chart-selfservice")
    estimate, observed, target = figure["data"]
    # the intent with too few attempts is drawn too: the chart shows every intent with attempts
    assert estimate["y"][:3] == ["password_reset", "bank_link_error", "csv_import_error"]
    assert estimate["x"][1] == 0.33 and observed["x"][1] == 0.89
    assert estimate["error_x"]["arrayminus"][1] == pytest.approx(0.06)
    assert estimate["error_x"]["array"][1] == pytest.approx(0.07)
    assert target["name"] == "Target 85%"
    assert figure["layout"]["shapes"][0]["x0"] == 0.85


def test_the_target_is_the_one_of_the_run_that_judged(tmp_path: Path) -> None:
    strict = AnalyzeSettings(selfservice=SelfServiceConfig(target=0.9, min_attempts=3))
    found = sections(store_with(settings=strict), tmp_path, "en")
    assert translate("section.selfservice.intro", "en", target="90%") in found["selfservice"]
    assert chart(found, "chart-selfservice")["layout"]["shapes"][0]["x0"] == 0.9
    assert translate("selfservice.do.too_few", "en", min=3) in found["selfservice"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_content_gaps_put_missing_articles_first_with_failed_queries(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    html = rendered[lang]["content"]
    gaps = html[: html.index(translate("content.queries_title", lang))]
    write, rewrite = (
        translate("content.gap.missing", lang),
        translate("content.gap.not_resolving", lang),
    )
    assert gaps.index(write) < gaps.index(rewrite)
    assert gaps.index("invoice_pdf_layout") < gaps.index("csv_import_error")
    assert "請求書 PDF 崩れる" in gaps and "invoice pdf layout" in gaps
    assert "領収書 再発行 (T3)" in gaps and translate("content.new_topic", lang) in gaps
    assert "42.0%" in gaps  # the rewrite's estimated success


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_failed_queries_are_listed_without_personal_data(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    html = rendered[lang]["content"]
    assert "請求書 pdf 崩れる" in html and ">41<" in html and ">39<" in html
    assert "@example.com" not in html
    # 01:00 UTC in the store time zone (Asia/Tokyo)
    assert "2026-05-04 10:00" in html


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_failed_queries_with_no_intent_are_summed_by_topic(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    html = rendered[lang]["content"]
    assert translate("content.query_topics_title", lang) in html
    topics = html.split('class="compact query-topics"')[1].split("</table>")[0]
    # 7 + 5 failed searches, 2 distinct queries, the most searched example first
    assert "粗大ゴミの出し方" in topics and ">12<" in topics and ">2<" in topics
    assert topics.index("粗大ゴミ 冷蔵庫") < topics.index("粗大ゴミ ソファ")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_search_hit_rate_per_week_overall_and_for_the_worst_intents(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    html = rendered[lang]["content"]
    # 300 searches; hit (80 × 0.8 + 20 × 0.2) / 100 = 68%, no results 14%
    summary = translate("content.search_summary", lang, searches="300", hit="68.0%",
                        zero="14.0%", reformulated="10.0%")  # fmt: skip
    assert summary in html
    figure = chart(rendered[lang], "chart-search-weekly")
    lines = {t["name"]: t["y"] for t in figure["data"]}
    assert lines[plain_translate("content.all_searches", lang)] == pytest.approx([0.68] * 3)
    assert lines["bank_link_error"] == [0.2] * 3
    assert figure["layout"]["yaxis"]["tickformat"] == ".0%"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_articles_with_flags_or_a_gap_and_time_per_intent(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    html = rendered[lang]["content"]
    articles = html[html.index(translate("content.articles_title", lang)) :]
    assert "CSVインポートの手順" in articles and "CSV files" in articles
    assert "パスワードの再設定" not in articles  # no flag, no gap: not listed
    for key in ("content.flag.too_long", "content.flag.lacks_steps",
                "content.gap.does_not_resolve", "content.gap.not_found",
                "content.level.lower_advanced"):  # fmt: skip
        assert translate(key, lang) in articles, key
    assert "too_long" not in articles
    assert "(-0.4)" in articles and "35.0%" in articles
    assert translate("content.articles_count", lang, marked="2", total="4") in articles
    time = html[html.index(translate("content.time_title", lang)) :]
    assert ">2,500<" in time and ">41<" in time and ">20.5<" in time  # 73,800 s = 20.5 h


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_empty_tables_say_so_briefly(tmp_path: Path, lang: str) -> None:
    found = sections(store_with({name: [] for name in TABLES}), tmp_path, lang)
    assert translate("selfservice.none", lang) in found["selfservice"]
    for key in ("content.no_gaps", "content.no_failed_queries", "content.no_searches",
                "content.no_articles", "content.no_views"):  # fmt: skip
        assert translate(key, lang) in found["content"], key
    assert "chart-selfservice" not in found["_charts"]
    assert "chart-search-weekly" not in found["_charts"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_missing_tables_say_why(tmp_path: Path, lang: str) -> None:
    # before any analysis the sections are left out (the daily ones say what to run)
    found = sections(kizuki.open("duckdb://"), tmp_path, lang)
    assert "selfservice" not in found and "content" not in found
    # analysed by a Kizuki without these steps: run kizuki analyze again
    found = sections(store_with({}), tmp_path, lang)
    assert translate("report.not_analyzed", lang) in found["selfservice"]
    assert translate("report.not_analyzed", lang) in found["content"]
    # the self-service step ran, the content step was skipped (no content table)
    skipped = [{"step": "content", "status": "skipped", "reason": "no content"}]
    only = {n: TABLES[n] for n in ("result_selfservice", "result_selfservice_mismatch",
                                   "result_content_gaps")}  # fmt: skip
    found = sections(store_with(only, steps=skipped), tmp_path, lang)
    html = found["content"]
    assert "invoice_pdf_layout" in html  # the gaps come from the self-service step
    assert html.count(translate("selfservice.step_skipped", lang, reason="no content")) == 4
    # without article titles, articles are named by id
    articles = plain_translate("list.separator", lang).join(["faq-import", "faq-csv"])
    assert (
        translate("selfservice.do.improve_content", lang, articles=articles)
        in (found["selfservice"])
    )


def test_a_channel_without_a_recommendation_shows_a_dash(
    rendered: dict[str, dict[str, str]],
) -> None:
    html = rendered["en"]["selfservice"]
    by_channel = html[html.index(translate("selfservice.by_channel", "en")) :]
    assert "E-mail" in by_channel and "Phone" in by_channel
    assert "Self-service (all digital)" in by_channel
