"""The report in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

Checks what only a browser can: the page runs without script errors and offline, every chart
is drawn, and the drill-down opens. Skipped where no ``chromium`` is installed (``make test``
installs it on Debian/Ubuntu, see the Makefile's ``browser`` target).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_report_fix_first import store_with

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_report_renders_charts_offline_and_opens_drill_down(tmp_path: Path, lang: str) -> None:
    path = store_with().report(tmp_path / f"report-{lang}.html", lang=lang)
    errors: list[str] = []
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length > 0")
        charts = page.evaluate("document.querySelectorAll('.js-plotly-plot').length")
        drawn = page.evaluate(
            "[...document.querySelectorAll('.js-plotly-plot')]"
            ".filter(d => d.querySelector('svg.main-svg')).length"
        )
        drill = page.locator("#fix-first details:has(summary)")
        before = [d.evaluate("d => d.open") for d in drill.all()]
        for d in drill.all():
            d.locator("summary").first.click()
        after = [d.evaluate("d => d.open") for d in drill.all()]
        shown = "\n".join(d.inner_text() for d in drill.all())
        browser.close()
    assert errors == []
    assert [u for u in requests if not u.startswith(("file:", "data:", "blob:"))] == []
    assert charts >= 2 and drawn == charts
    assert before and not any(before) and all(after)
    assert "/setup/company" in shown and "taro@example.com" not in shown
