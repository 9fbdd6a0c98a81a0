"""The silent-customer and friction-point sections of the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from markupsafe import escape

import kizuki
from kizuki.analytics.silent import SilentConfig
from kizuki.demo import run_demo
from kizuki.i18n import translate as plain_translate
from kizuki.settings import AnalyzeSettings


def translate(key: str, lang: str, **fields: object) -> str:
    """The message as the page holds it (HTML-escaped)."""
    return str(escape(plain_translate(key, lang, **fields)))


NEW_TITLES = ("section.silent.title", "section.fix_first.title", "section.friction.title")


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    result = run_demo(tmp_path_factory.mktemp("report_friction"), customers=300, days=30)
    return result.store_url


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_report_has_the_new_sections(demo_store: str, lang: str, tmp_path: Path) -> None:
    kz = kizuki.open(demo_store)
    html = kz.report(tmp_path / "r.html", lang=lang).read_text(encoding="utf-8")
    for key in NEW_TITLES:
        assert translate(key, lang) in html
    for chart_id in ("chart-friction-grid", "chart-friction-weekly"):
        assert f'id="{chart_id}"' in html
    assert translate("silent.assumptions", lang) in html


def test_a_small_store_reports_its_problems_with_the_method_that_found_them(
    demo_store: str, tmp_path: Path
) -> None:
    kz = kizuki.open(demo_store)
    silent = kz.silent_customers()
    checked = silent[silent["stage"] != "total"]
    found = checked[checked["detected"]]
    assert len(found)  # 300 customers: below the full model's size, yet answered
    assert set(found["method"]) <= {"small_sample", "signal_excess"}
    html = kz.report(tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    assert 'id="chart-iceberg"' in html
    assert "Small sample" in html
    assert str(found.iloc[0]["page_path"]) in html


def test_a_store_where_nothing_is_detected_says_so_instead_of_rows_of_zeros(
    demo_store: str, tmp_path: Path
) -> None:
    kz = kizuki.open(demo_store)
    # no class can raise a signal 1,000,000 times its background: nothing is a problem
    strict = SilentConfig(raise_lift=1e6)
    kz.analyze(settings=AnalyzeSettings(journey="demo", contact_reasons=False, silent=strict))
    silent = kz.silent_customers()
    checked = silent[silent["stage"] != "total"]
    assert not checked["detected"].any()
    html = kz.report(tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    assert translate("silent.none_detected", "en", n=f"{len(checked):,}") in html
    assert 'id="chart-iceberg"' not in html
    kz.analyze(settings=AnalyzeSettings(journey="demo", contact_reasons=False))


def test_the_assumptions_are_those_of_the_run(demo_store: str, tmp_path: Path) -> None:
    kz = kizuki.open(demo_store)
    settings = AnalyzeSettings(journey="demo", contact_reasons=False)
    kz.analyze(settings=settings.model_copy(update={"silent": SilentConfig(window_days=9)}))
    html = kz.report(tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    assert translate("silent.assume.measured", "en", window=9, boot=200) in html
    kz.analyze(settings=settings)
    html = kz.report(tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    assert translate("silent.assume.measured", "en", window=14, boot=200) in html


def test_old_store_without_results_still_renders(tmp_path: Path) -> None:
    kz = kizuki.open("duckdb://")
    kz.analyze()  # no events: friction and silent steps are skipped
    html = kz.report(tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    for key in NEW_TITLES:
        assert translate(key, "en") not in html
    assert 'id="chart-iceberg"' not in html
