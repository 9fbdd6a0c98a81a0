"""The report in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

Checks what only a browser can: the page runs without script errors and offline, every chart
is drawn, the drill-down opens, and every section fits its card at common widths in both
languages. Skipped where no ``chromium`` is installed (``make test`` installs it on
Debian/Ubuntu, see the Makefile's ``browser`` target).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_report_fix_first import silent_row, store_with, write

from kizuki.core import Kizuki
from kizuki.i18n import translate

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_report_renders_charts_offline_and_opens_drill_down(
    browser: Any, tmp_path: Path, lang: str
) -> None:
    path = store_with().report(tmp_path / f"report-{lang}.html", lang=lang)
    errors: list[str] = []
    requests: list[str] = []
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
    page.close()
    assert errors == []
    assert [u for u in requests if not u.startswith(("file:", "data:", "blob:"))] == []
    assert charts >= 2 and drawn == charts
    assert before and not any(before) and all(after)
    assert "/setup/company" in shown and "taro@example.com" not in shown


# -- layout: a store shaped like a real one (long paths, millions of yen, quiet pages) --------

#: (stage, page, intent, revenue at risk): the demo company's problems, long paths included.
PROBLEMS = [
    ("setup", "/setup/bank-link", "bank_link_error", 7_419_335.0),
    ("setup", "/setup/import", "csv_import_error", 3_515_062.0),
    ("billing", "/account/billing/payment-method", "payment_card_declined", 3_051_351.0),
    ("use", "/app/settings/members", "user_invite", 1_310_516.0),
    ("use", "/app/invoices", "invoice_pdf_layout", 722_178.0),
]
#: Pages checked where nothing was detected: all zeros, never listed.
QUIET = ["/account/cancel", "/account/plan/change", "/account/receipts", "/pricing", "/features"]


def quiet_row(page: str) -> dict[str, Any]:
    zeros = {
        key: 0.0
        for key in silent_row("/")
        if key.startswith(("affected", "contacted", "silent", "revenue", "goodman", "survey"))
    }
    return silent_row(page, **zeros, detected=False, intent=None, contact_rate=float("nan"))


def realistic_store() -> Kizuki:
    kz = store_with()
    silent = [
        silent_row(
            page,
            stage=stage,
            intent=intent,
            affected=583.0,
            affected_ci_low=445.0,
            affected_ci_high=715.0,
            silent=571.0,
            silent_ci_low=430.0,
            silent_ci_high=704.0,
            revenue_at_risk=revenue,
            revenue_at_risk_ci_low=revenue * 0.76,
            revenue_at_risk_ci_high=revenue * 1.38,
            goodman_silent=1_018.0,
            goodman_silent_low=127.0,
            goodman_silent_high=2_079.0,
        )
        for stage, page, intent, revenue in PROBLEMS
    ]
    total = silent_row("total", stage="total", page_path=None, detected=None, intent=None)
    write(kz, "result_silent_customers", [*silent, *map(quiet_row, QUIET), total])
    signals = ("error", "help_exit", "long_dwell", "loop", "unfinished_flow", "zero_result_search")
    stages = ("visit", "signup", "setup", "use", "billing", "renewal")
    write(
        kz,
        "result_signals",
        [
            {"customer_id": f"C{i}", "stage": stage, "signal": signal}
            for i, (stage, signal) in enumerate((st, sg) for st in stages for sg in signals)
        ],
    )
    monday = dt.date(2026, 8, 3)
    write(
        kz,
        "result_friction_weekly",
        [
            {"week_start": monday + dt.timedelta(weeks=w), "signal": signal, "sessions": 100 * w}
            for w in range(12)
            for signal in signals
        ],
    )
    write(
        kz,
        "result_events_daily",
        [
            {"day": monday + dt.timedelta(days=d), "events": 15_000 + d, "sessions": 2_000}
            for d in range(90)
        ],
    )
    return kz


@pytest.fixture(scope="module")
def realistic_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    kz = realistic_store()
    return {lang: kz.report(out / f"report-{lang}.html", lang=lang) for lang in ("ja", "en")}


#: Per table: how far it (or the scroll box it sits in) reaches past its card's content box.
TABLES_PAST_CARD = """
() => [...document.querySelectorAll('section.card table')].map(table => {
  const card = table.closest('section.card');
  const style = getComputedStyle(card);
  const right = card.getBoundingClientRect().right
    - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth);
  const box = table.closest('.table-scroll') || table;
  return {
    section: card.id,
    table: Math.round(table.getBoundingClientRect().right - right),
    box: Math.round(box.getBoundingClientRect().right - right),
  };
})
"""

#: Per chart: the tick labels and axis titles that the legend's box overlaps, and how far
#: the chart reaches past its card.
CHART_COLLISIONS = """
() => [...document.querySelectorAll('section.card .js-plotly-plot')].map(plot => {
  const card = plot.closest('section.card').getBoundingClientRect();
  const legend = plot.querySelector('.legend');
  const hits = [];
  if (legend) {
    const l = legend.getBoundingClientRect();
    plot.querySelectorAll('.xtick text, .ytick text, .g-xtitle text, .g-ytitle text')
      .forEach(label => {
        const b = label.getBoundingClientRect();
        if (b.width && b.height && b.left < l.right && b.right > l.left
            && b.top < l.bottom && b.bottom > l.top) hits.push(label.textContent);
      });
  }
  return {chart: plot.id, hits, past: Math.round(plot.getBoundingClientRect().right - card.right)};
})
"""


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize(
    "width, tables_fit", [(1300, True), (1024, True), (800, False)], ids=["1300", "1024", "800"]
)
def test_every_section_fits_its_card(
    browser: Any, realistic_reports: dict[str, Path], lang: str, width: int, tables_fit: bool
) -> None:
    """From 1024 px every table fits whole; narrower, a wide one scrolls in its own box."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(realistic_reports[lang].as_uri())
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot svg.main-svg').length")
    # automargin redraws a chart once its labels are measured: let those frames pass
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page_scroll = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    tables = page.evaluate(TABLES_PAST_CARD)
    charts = page.evaluate(CHART_COLLISIONS)
    silent = page.locator("#silent").inner_text()
    page.close()

    assert page_scroll <= 0, "the page scrolls sideways"
    assert len(tables) >= 3 and len(charts) >= 5
    reach = "table" if tables_fit else "box"
    assert [t for t in tables if t[reach] > 1] == [], f"tables past their card ({reach})"
    assert [c for c in charts if c["hits"] or c["past"] > 1] == []
    # quiet pages are one line, not rows of zeros
    assert translate("silent.undetected", lang, n=len(QUIET)) in silent
    assert not any(page in silent for page in QUIET)
    assert "/account/billing/" in silent
