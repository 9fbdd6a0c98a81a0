"""The silent-customer section: detected pages in the table and the iceberg, the others counted
in one line, and the assumptions of the run that made the table."""

from __future__ import annotations

import json
import re
from pathlib import Path

from markupsafe import escape
from test_report_fix_first import store_with

from kizuki.analytics.silent import SilentConfig
from kizuki.i18n import translate
from kizuki.settings import AnalyzeSettings


def silent_html(html: str) -> str:
    match = re.search(r'<section class="card" id="silent">(.*?)</section>', html, re.S)
    assert match, "the silent section is missing"
    return match.group(1)


def test_detected_pages_are_listed_and_drawn_and_the_others_counted(tmp_path: Path) -> None:
    kz = store_with()
    html = kz.report(tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    section = silent_html(html)
    assert "/<wbr>account/<wbr>card" in section and "/<wbr>setup/<wbr>import" in section
    assert "quiet" not in section  # /app/quiet: nothing detected
    assert str(escape(translate("silent.undetected_one", "en"))) in section
    figure = re.search(r'data-chart="chart-iceberg">(.*?)</script>', html, re.S)
    assert figure, "the iceberg chart is missing"
    drawn = json.dumps(json.loads(figure.group(1)), ensure_ascii=False)
    assert "/account/card" in drawn and "/app/quiet" not in drawn


def test_the_assumptions_state_the_settings_of_the_run(tmp_path: Path) -> None:
    settings = AnalyzeSettings(silent=SilentConfig(window_days=5, n_boot=50, horizon_months=6))
    html = store_with(settings=settings).report(tmp_path / "r.html", lang="ja").read_text("utf-8")
    section = silent_html(html)
    assert str(escape(translate("silent.assume.measured", "ja", window=5, boot=50))) in section
    assert str(escape(translate("silent.assume.revenue", "ja", horizon="6"))) in section


def test_without_a_run_record_the_assumptions_are_not_guessed(tmp_path: Path) -> None:
    html = store_with(settings=None).report(tmp_path / "r.html", lang="en").read_text("utf-8")
    section = silent_html(html)
    assert str(escape(translate("report.run_unrecorded", "en"))) in section
    assert (
        str(escape(translate("silent.assume.goodman", "en", rate="4%", low="2%", high="25%")))
        not in section
    )


def test_every_diagnostic_and_method_the_estimator_writes_reads_in_both_languages() -> None:
    from kizuki.analytics.silent import page_estimate
    from kizuki.i18n import catalog

    source = Path(page_estimate.__file__).read_text(encoding="utf-8")
    codes = set(
        re.findall(
            r'"(no_error_signal|low_coverage|low_linkage|flat_likelihood|'
            r'not_significant|signal_only)"',
            source,
        )
    )
    assert len(codes) == 6
    for lang in ("en", "ja"):
        keys = catalog(lang)
        for code in codes:
            assert f"silent.diag.{code}" in keys, (lang, code)
        for method in ("model", "small_sample", "signal_excess"):
            assert f"silent.method.{method}" in keys, (lang, method)
