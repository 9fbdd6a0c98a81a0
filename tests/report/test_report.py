"""The HTML report renders offline in Japanese and English with the store's numbers."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape

import kizuki
from kizuki.core import Kizuki
from kizuki.errors import ConfigError
from kizuki.i18n import translate
from kizuki.report import render_report
from kizuki.report.quarantine_reasons import translate_reason

UTC = dt.UTC
GENERATED = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 2, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def kz(build_table: Any) -> Kizuki:
    """1,234 events over three days, two contacts, quarantine and ingest log entries."""
    k = kizuki.open("duckdb://")
    pages = ["/app", "/billing", "/help/faq", "/signup", None]
    events = [
        {
            "event_id": f"e{i}",
            "ts": at(1 + i % 3, 8, i % 60),
            "customer_id": f"c{i % 7}",
            "event_name": "page_view",
            "page_path": pages[i % 5],
        }
        for i in range(1234)
    ]
    k.store.write_table("events", build_table("events", events))
    k.store.write_table(
        "contacts",
        build_table("contacts", [
            {"contact_id": "t1", "channel": "email", "opened_at": at(1, 9)},
            {"contact_id": "t2", "channel": "chat", "opened_at": at(2, 9)},
        ]),
    )  # fmt: skip
    k.store.write_table(
        "quarantine",
        build_table("quarantine", [
            {"batch_id": "b1", "source_row": i, "file": "/data/contacts.csv",
             "target_table": "contacts",
             "reason": f"opened_at (column '作成日時') '2026/13/{i:02d} 9:05' is not a date "
                       "(month 13)"}
            for i in range(17)
        ]),
    )  # fmt: skip
    k.store.write_table(
        "ingest_log",
        build_table("ingest_log", [
            {"batch_id": "b1", "source": "csv", "file": "/data/contacts.csv",
             "target_table": "contacts", "rows_in": 19, "rows_loaded": 2, "rows_duplicate": 0,
             "rows_quarantined": 17, "started_at": at(3, 0), "finished_at": at(3, 0, 1)},
        ]),
    )  # fmt: skip
    k.analyze()
    return k


@pytest.fixture(params=["ja", "en"])
def rendered(request: pytest.FixtureRequest, kz: Kizuki, tmp_path: Path) -> tuple[str, str]:
    lang: str = request.param
    path = render_report(kz, tmp_path / f"report-{lang}.html", lang=lang, generated_at=GENERATED)
    return lang, path.read_text(encoding="utf-8")


def test_report_has_the_section_headings_in_its_language(rendered: tuple[str, str]) -> None:
    lang, html = rendered
    assert f'<html lang="{lang}">' in html
    for key in [
        "report.title",
        "section.overview.title",
        "section.events_daily.title",
        "section.stage_daily.title",
        "section.quarantine.title",
        "section.ingest_log.title",
    ]:
        assert f">{translate(key, lang)}<" in html, key


def test_report_shows_the_store_numbers(rendered: tuple[str, str]) -> None:
    lang, html = rendered
    assert ">1,234<" in html  # events, in the KPI and the overview table
    assert ">17<" in html  # quarantined rows
    # the reason kind (values and numbers masked) and an example, in the report's language
    kind = translate_reason("opened_at (column '…') '…' is not a date (month N)", lang)
    example = translate_reason(
        "opened_at (column '作成日時') '2026/13/00 9:05' is not a date (month 13)", lang
    )
    assert ("列「作成日時」" in example) == (lang == "ja")
    assert str(escape(kind)) in html and str(escape(example)) in html
    assert ">19<" in html and "contacts.csv" in html  # the ingest log
    # 08:00 UTC is 17:00 in the store time zone (Asia/Tokyo, the default for ja settings)
    assert (
        translate("report.period", lang, start="2026-02-01 17:00", end="2026-02-03 17:59") in html
    )
    zone = translate("report.zone_note", lang, zone="Asia/Tokyo (UTC+09:00)")
    assert zone in html


def test_report_charts_hold_the_daily_counts(rendered: tuple[str, str]) -> None:
    _, html = rendered
    figures = {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(r'data-chart="([^"]+)">(.*?)</script>', html, flags=re.S)
    }
    assert {"chart-events-daily", "chart-stage-daily"} <= set(figures)
    bars = figures["chart-events-daily"]["data"][0]
    assert bars["x"] == ["2026-02-01", "2026-02-02", "2026-02-03"]
    assert bars["y"] == [412, 411, 411]  # 1,234 events, i % 3 picks the day
    assert sum(bars["y"]) == 1234
    for chart_id in figures:
        assert f'<div class="chart" id="{chart_id}">' in html


def test_report_is_self_contained(rendered: tuple[str, str]) -> None:
    _, html = rendered
    assert not re.search(r"<script[^>]*\bsrc=", html)
    assert not re.search(r"<link[^>]*\bhref=[\"']?(https?:)?//", html)
    assert not re.search(r"@import|url\(\s*[\"']?(https?:)?//", html)
    assert "Plotly.newPlot" in html and len(html) > 3_000_000  # plotly.js is embedded, once
    assert html.count("<script>") == 2  # the bundle and the bootstrap


def test_report_uses_the_japanese_font_stack(rendered: tuple[str, str]) -> None:
    _, html = rendered
    assert '"Hiragino Sans", "Noto Sans JP", "IPAPGothic", "IPAGothic"' in html


def test_japanese_report_translates_stages_and_tables(kz: Kizuki, tmp_path: Path) -> None:
    html = render_report(kz, tmp_path / "r.html", lang="ja").read_text(encoding="utf-8")
    assert "請求・支払い" in html and "Web・アプリのイベント" in html
    assert "Billing" not in html


def test_report_before_analyze_says_what_to_run(build_table: Any, tmp_path: Path) -> None:
    k = kizuki.open("duckdb://")
    html = render_report(k, tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    assert html.count(translate("report.not_analyzed", "en")) == 2
    assert translate("report.period_empty", "en") in html
    assert translate("quarantine.none", "en") in html
    assert "Plotly.newPlot" not in html  # no charts, no 4.8 MB bundle


def test_unknown_language_is_a_config_error(kz: Kizuki, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'fr' is not supported; use one of ja, en"):
        render_report(kz, tmp_path / "r.html", lang="fr")
    assert not (tmp_path / "r.html").exists()


def test_report_creates_its_folder_and_is_reachable_from_the_core(
    kz: Kizuki, tmp_path: Path
) -> None:
    path = kz.report(tmp_path / "new" / "dir" / "r.html", lang="en")
    assert path.exists() and "Data overview" in path.read_text(encoding="utf-8")


def test_report_names_the_run_it_shows(kz: Kizuki, tmp_path: Path) -> None:
    run = kz.last_run()
    assert run is not None
    html = kz.report(tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    when = run.finished_at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M")
    line = translate(
        "report.run", "en", when=when, version=run.kizuki_version, run=run.run_id[:8],
        journey="default",
    )  # fmt: skip
    assert str(escape(line)) in html
