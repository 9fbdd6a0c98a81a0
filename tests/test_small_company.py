"""Issue 19's small Japanese company, end to end: its own CSV files (Shift_JIS, Japanese
headers and values, naive JST times, no event ids, broken rows) → ingest → analyze → report.

The one real problem (an error on ``/app/import`` for 45 of 300 customers) must reach the
silent-customer table, the export and the report with an interval that holds the truth, and
the quarantine listing must show every reason of every bad row.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

import kizuki
from kizuki.settings import Settings
from small_company_fixture import SmallCompany, write_small_company

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[SmallCompany, kizuki.Kizuki, list]:
    root = tmp_path_factory.mktemp("small-company")
    co = write_small_company(root / "files", seed=0)
    kz = kizuki.open(f"duckdb:///{root / 'kizuki.duckdb'}", settings=Settings(lang="ja"))
    # the shipped example mappings fit the company's layout (its own mapping files: below)
    results = kz.ingest("csv", [co.events], table="events", mapping=Path("ja-web-events"))
    results += kz.ingest("csv", [co.tickets], table="contacts", mapping=Path("ja-helpdesk-tickets"))
    kz.analyze()
    return co, kz, results


def test_naive_times_are_read_in_the_store_zone_and_said(company: tuple) -> None:
    co, _, (events, tickets) = company
    assert events.timezone == "Asia/Tokyo"
    assert events.naive_times >= events.rows_loaded  # every event time had no offset
    assert "Asia/Tokyo" in events.summary()
    assert events.rows_quarantined == co.bad_event_rows
    assert tickets.rows_quarantined == co.bad_ticket_rows
    assert tickets.rows_loaded + tickets.rows_quarantined == tickets.rows_in


def test_the_planted_page_is_reported_with_an_interval_that_holds_the_truth(
    company: tuple,
) -> None:
    co, kz, _ = company
    silent = kz.silent_customers()
    row = silent[silent["page_path"] == "/app/import"].iloc[0]
    assert bool(row["detected"])
    # 300 customers, and every session anchored at the page met the error: the two-class fit
    # is flat, the other pages are the background
    assert row["method"] == "signal_excess"
    eps = 1e-6  # persons per hit unit carry the posterior's 1e-12 clip
    assert row["affected_ci_low"] - eps <= len(co.affected) <= row["affected_ci_high"] + eps
    assert row["silent_ci_low"] - eps <= co.silent <= row["silent_ci_high"] + eps
    exported = kz.friction_export()
    assert exported.iloc[0]["page_path"] == "/app/import"
    assert exported.iloc[0]["method"] == "signal_excess"


def test_the_friction_point_gets_its_intent_from_the_tickets(company: tuple) -> None:
    _, kz, _ = company
    points = kz.friction_points()
    errors = points[(points["page_path"] == "/app/import") & (points["signal"] == "error")]
    assert errors.iloc[0]["likely_intent"] == "CSVインポート"
    assert errors.iloc[0]["contacted_intent_customers"] > 0


def test_the_report_shows_the_problem_in_japanese_local_time(
    company: tuple, tmp_path: Path
) -> None:
    _, kz, _ = company
    html = kz.report(tmp_path / "report.html", lang="ja").read_text(encoding="utf-8")
    shown = _visible_text(html)
    assert "/app/import" in shown
    assert "問題は検出されませんでした" not in shown
    assert "Asia/Tokyo" in shown
    assert "300 顧客" in shown  # no customers table: the ids seen in events and tickets
    assert "is missing" not in shown and "がありません" in shown  # reasons in Japanese


def _visible_text(html: str) -> str:
    """The report's text as a reader sees it (no scripts, styles, tags or hover titles)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_quarantine_listing_shows_every_reason(company: tuple) -> None:
    co, kz, _ = company
    listing = kz.quarantine()
    assert listing.rows == co.bad_event_rows + co.bad_ticket_rows
    rows = listing.to_arrow().to_pylist()
    both = next(r for r in rows if "T-90002" in str(r["raw"]))
    # the ticket with a bad date *and* no channel shows both reasons
    assert "opened_at (column '作成日時')" in both["reason"]
    assert "channel (column 'チャネル') is missing" in both["reason"]
    kinds = {g.reason_kind for g in listing.groups}
    assert any("channel" in k for k in kinds) and any("opened_at" in k for k in kinds)


def test_the_report_says_when_its_results_are_stale(tmp_path: Path) -> None:
    kz = kizuki.open(f"duckdb:///{tmp_path / 's.duckdb'}", settings=Settings(lang="ja"))
    first = tmp_path / "a.csv"
    first.write_text("user_id,timestamp,page,event\nU1,2026-11-02 09:00:00,/,page_view\n")
    kz.ingest("csv", [first], table="events", mapping=Path("ja-web-events"))
    kz.analyze()
    assert kz.results_stale() is None
    fresh = _visible_text(kz.report(tmp_path / "r.html").read_text(encoding="utf-8"))
    assert "kizuki analyze を実行してください" not in fresh
    more = tmp_path / "b.csv"
    more.write_text("user_id,timestamp,page,event\nU2,2026-11-03 09:00:00,/,page_view\n")
    kz.ingest("csv", [more], table="events", mapping=Path("ja-web-events"))
    assert kz.results_stale() is not None
    stale = _visible_text(kz.report(tmp_path / "r.html").read_text(encoding="utf-8"))
    assert "kizuki analyze を実行してください" in stale
