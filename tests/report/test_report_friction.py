"""The silent-customer and friction-point sections of the report."""

from __future__ import annotations

from pathlib import Path

import pytest

import kizuki
from kizuki.demo import run_demo
from kizuki.i18n import translate

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
    for chart_id in ("chart-iceberg", "chart-friction-grid", "chart-friction-weekly"):
        assert f'id="{chart_id}"' in html
    assert translate("silent.assumptions", lang) in html
    assert translate("silent.total", lang) in html


def test_old_store_without_results_still_renders(tmp_path: Path) -> None:
    kz = kizuki.open("duckdb://")
    kz.analyze()  # no events: friction and silent steps are skipped
    html = kz.report(tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    for key in NEW_TITLES:
        assert translate(key, "en") not in html
    assert 'id="chart-iceberg"' not in html
