"""The "what to fix first" section: ranked problems, background, drill-down, and graceful gaps.

The store holds hand-made result tables (no simulation), so every shown value is known.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from markupsafe import escape

import kizuki
from kizuki.analytics.fix_first import FixFirstConfig, fix_first
from kizuki.core import Kizuki
from kizuki.i18n import translate as plain_translate
from kizuki.schema import RUNS_TABLE, result_arrow
from kizuki.settings import AnalyzeSettings

T0 = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)


def translate(key: str, lang: str, **fields: Any) -> str:
    """The message as the page holds it (HTML-escaped: ' is &#39;)."""
    return str(escape(plain_translate(key, lang, **fields)))


def silent_row(page: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "stage": "setup", "page_path": page, "signal": "error", "error_kind": "E: boom",
        "intent": "import_help", "detected": True, "p_value": 0.0, "units": 1000.0,
        "customers": 800.0, "affected": 120.0, "affected_ci_low": 100.0,
        "affected_ci_high": 140.0, "contacted": 6.0, "contacted_ci_low": 3.0,
        "contacted_ci_high": 9.0, "silent": 114.0, "silent_ci_low": 95.0, "silent_ci_high": 133.0,
        "contact_rate": 0.05, "contact_rate_ci_low": 0.02, "contact_rate_ci_high": 0.08,
        "churn_silent": 0.25, "churn_resolved": 0.1, "churn_unaffected": 0.05,
        "excess_churn": 0.2, "excess_churn_ci_low": 0.1, "excess_churn_ci_high": 0.3,
        "monthly_value": 5000.0, "revenue_at_risk": 1_368_000.0,
        "revenue_at_risk_ci_low": 600_000.0, "revenue_at_risk_ci_high": 2_000_000.0,
        "goodman_silent": 144.0, "goodman_silent_low": 18.0, "goodman_silent_high": 294.0,
        "survey_silent": 30.0, "survey_silent_ci_low": 10.0, "survey_silent_ci_high": 50.0,
        "survey_responses": 40.0, "best_estimate": "measured",
    }  # fmt: skip
    return {**row, **values}


SILENT = [
    silent_row("/setup/import"),
    silent_row(
        "/account/card",
        stage="billing",
        intent="card_help",
        error_kind="Declined",
        contact_rate=0.3,
        revenue_at_risk=9_000_000.0,
        affected=60.0,
    ),
    silent_row("/app/quiet", detected=False, revenue_at_risk=0.0),
    silent_row("total", stage="total", page_path=None, detected=None),
]


def point(stage: str, page: str, signal: str, intent: str | None, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "point_id": f"{stage}|{signal}|{page}|{intent or ''}", "stage": stage, "signal": signal,
        "page_path": page, "intent": intent, "customers": 90, "page_sessions": 2000,
        "page_rate": 0.05, "background_rate": 0.01, "lift": 5.0, "excess_sessions": 80.0,
    }  # fmt: skip
    return {**row, **values}


POINTS = [
    point("setup", "/setup/import", "error", None),
    point("setup", "/setup/import", "zero_result_search", "import_help", lift=12.0),
    point("billing", "/account/card", "error", None, page_rate=0.2, background_rate=0.02),
]
PATHS = [
    {"point_id": "setup|error|/setup/import|", "stage": "setup", "signal": "error",
     "page_path": "/setup/import", "intent": None, "direction": d, "rank": 1, "path": p,
     "sessions": 10, "share": 0.5}
    for d, p in (("before", "(start) > /setup/company"), ("after", "/help/search > (exit)"))
]  # fmt: skip


def example_row(step: int, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "point_id": "setup|error|/setup/import|", "example_no": 1, "session_key": "V123:4",
        "visitor_id": "V123", "session_start": T0, "step": step,
        "ts": T0 + dt.timedelta(minutes=step), "event_name": "page_view",
        "page_path": "/setup/import", "stage": "setup", "help_kind": None, "detail": None,
        "results_count": None, "is_signal": False,
    }  # fmt: skip
    return {**row, **values}


EXAMPLES = [
    example_row(1, page_path="/setup/company"),
    example_row(2, event_name="error", detail="E: boom for taro@example.com", is_signal=True),
    example_row(3, event_name="view_search_results", page_path="/help/search",
                help_kind="search", detail="インポート 文字化け", results_count=0),
    example_row(1, example_no=2, session_key="hanako@example.com:1",
                visitor_id="hanako@example.com"),
]  # fmt: skip


def write(kz: Kizuki, name: str, rows: list[dict[str, Any]]) -> None:
    table = pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)
    # an all-None column (e.g. intent) has no type; the store needs one
    schema = pa.schema(
        [f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
    )
    kz.store.write_table(name, table.cast(schema))


def record_run(kz: Kizuki, settings: AnalyzeSettings) -> None:
    """A ``result_runs`` row as ``kizuki analyze`` writes it, for hand-made result tables."""
    row = {
        "run_id": "test", "kizuki_version": kizuki.__version__, "status": "completed",
        "started_at": T0, "finished_at": T0, "config": settings.model_dump_json(),
        "journey": "{}", "inputs": "{}", "steps": "[]", "tables_written": "[]",
    }  # fmt: skip
    kz.store.append_table(RUNS_TABLE, result_arrow(RUNS_TABLE, pd.DataFrame([row])))


def store_with(
    *,
    fix_first_table: bool = True,
    examples: bool = True,
    settings: AnalyzeSettings | None = AnalyzeSettings(),
) -> Kizuki:
    kz = kizuki.open("duckdb://")
    if settings is not None:
        record_run(kz, settings)
    write(kz, "result_silent_customers", SILENT)
    write(kz, "result_friction_points", POINTS)
    write(kz, "result_friction_paths", PATHS)
    if fix_first_table:
        config = settings.fix_first if settings is not None else FixFirstConfig()
        ranked = fix_first(pd.DataFrame(SILENT), pd.DataFrame(POINTS), pd.DataFrame(PATHS), config)
        kz.store.write_table("result_fix_first", result_arrow("result_fix_first", ranked))
    if examples:
        schema = pa.schema(
            [(k, pa.timestamp("us", tz="UTC") if k in ("ts", "session_start") else
              pa.int64() if k in ("example_no", "step", "results_count") else
              pa.bool_() if k == "is_signal" else pa.string()) for k in EXAMPLES[0]]
        )  # fmt: skip
        kz.store.write_table("result_friction_examples", pa.Table.from_pylist(EXAMPLES, schema))
    return kz


def section_html(kz: Kizuki, tmp_path: Path, lang: str) -> str:
    html = kz.report(tmp_path / f"r-{lang}.html", lang=lang).read_text(encoding="utf-8")
    match = re.search(r'<section class="card" id="fix-first">(.*?)</section>', html, re.S)
    assert match, "the fix-first section is missing"
    return match.group(1)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_problems_are_ranked_by_money_with_actions_and_background(
    tmp_path: Path, lang: str
) -> None:
    html = section_html(store_with(), tmp_path, lang)
    assert translate("section.fix_first.title", lang) in html
    # the card problem has more money at risk: first; the undetected page is not listed
    assert html.index("/account/card") < html.index("/setup/import")
    assert "/app/quiet" not in html
    assert translate("fix_first.by_customers", lang, n=2) in html  # card: fewer affected
    # contact rate 30% routes to a human; import: excess churn 20% on an error is a bug
    assert translate("fix_first.action_name.route_to_human", lang) in html
    assert translate("fix_first.action_name.fix_bug", lang) in html
    assert "9,000,000" in html and "[600,000–2,000,000]" in html
    # the background: the signal's rate on the page against its rate elsewhere
    assert translate("fix_first.rates", lang, page="20.0%", background="2.0%") in html
    assert translate("fix_first.lift", lang, lift="5.0") in html
    assert translate("fix_first.rates_note", lang) in html
    for chart in ("chart-fix-risk", "chart-fix-background"):
        assert f'id="{chart}"' in html


def test_drill_down_shows_paths_and_marked_example_sessions_without_pii(tmp_path: Path) -> None:
    html = section_html(store_with(), tmp_path, "en")
    assert html.count("<details>") == 2  # one per problem row
    assert "(start) &gt; /setup/company" in html and "/help/search &gt; (exit)" in html
    # 09:00 UTC in the store time zone (Asia/Tokyo, the default of ja settings)
    assert translate("fix_first.session", "en", visitor="V123", start="2026-05-01 18:00") in html
    assert '<li class="signal"' in html and "⚠ error: E: boom for &lt;EMAIL&gt;" in html
    assert "search “インポート 文字化け” (0 results)" in html
    assert "@example.com" not in html
    # the card problem has no stored examples
    assert translate("fix_first.no_examples", "en") in html


def test_the_rule_and_reasons_state_the_thresholds_of_the_run(tmp_path: Path) -> None:
    strict = FixFirstConfig(high_contact_rate=0.5, serious_excess_churn=0.1)
    html = section_html(store_with(settings=AnalyzeSettings(fix_first=strict)), tmp_path, "en")
    assert translate("fix_first.rule.route_to_human", "en", high="50%") in html
    assert translate("fix_first.rule.fix_bug", "en", serious="10%") in html
    # with contact rate 30% < 50%, the card problem is no longer routed to a human
    assert translate("fix_first.action_name.route_to_human", "en") not in html


def test_a_store_analysed_before_fix_first_leaves_the_section_out(tmp_path: Path) -> None:
    kz = store_with(fix_first_table=False, examples=False)
    html = kz.report(tmp_path / "r.html", lang="ja").read_text(encoding="utf-8")
    assert 'id="fix-first"' not in html  # never recomputed in the report: run analyze


def test_results_without_a_run_record_do_not_guess_their_thresholds(tmp_path: Path) -> None:
    html = section_html(store_with(settings=None), tmp_path, "en")
    assert translate("report.run_unrecorded", "en") in html
    assert translate("fix_first.action_name.fix_bug", "en") not in html


def test_nothing_detected_says_so(tmp_path: Path) -> None:
    kz = kizuki.open("duckdb://")
    record_run(kz, AnalyzeSettings())
    write(kz, "result_silent_customers", [silent_row("/app/quiet", detected=False)])
    write(kz, "result_friction_points", POINTS)
    write(kz, "result_friction_paths", PATHS)
    ranked = fix_first(pd.DataFrame([silent_row("/x", detected=False)]),
                       pd.DataFrame(POINTS), pd.DataFrame(PATHS))  # fmt: skip
    kz.store.write_table("result_fix_first", result_arrow("result_fix_first", ranked))
    html = section_html(kz, tmp_path, "en")
    assert translate("fix_first.none", "en") in html
    assert "chart-fix-risk" not in html and "<details>" not in html


def test_no_silent_results_leaves_the_section_out(tmp_path: Path) -> None:
    kz = kizuki.open("duckdb://")
    html = kz.report(tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    assert translate("section.fix_first.title", "en") not in html
    assert 'id="fix-first"' not in html


def test_the_report_stays_self_contained(tmp_path: Path) -> None:
    html = store_with().report(tmp_path / "r.html", lang="ja").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc=", html)
    assert html.count('type="application/json" data-chart="chart-fix-') == 2  # drawn offline
