"""The support-KPI section: the period's KPIs in their units with intervals, the per-channel
table, the weekly chart and the alerts, in both languages."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from test_report_selfservice import sections, store_with, translate

WEEK = dt.date(2026, 9, 7)


def kpi(metric: str, value: float, lo: float | None, hi: float | None, n: int,
        **slices: Any) -> dict[str, Any]:  # fmt: skip
    row = {"metric": metric, "channel": None, "intent": None, "segment": None, "agent": None,
           "week": None, "value": value, "ci_low": lo, "ci_high": hi, "n": n}  # fmt: skip
    return {**row, **slices}


KPIS = [
    kpi("contacts", 1159, None, None, 1159),
    kpi("first_response_p50_seconds", 7920, 7560, 9000, 771),
    kpi("chat_service_level", 0.742, 0.683, 0.794, 233),
    kpi("nps", 16.3, 12.1, 20.5, 1499),
    kpi("csat", 0.806, 0.762, 0.844, 351),
    kpi("csat", 0.5, 0.3, 0.7, 20, week=WEEK),
    kpi("csat", 0.9, 0.7, 0.97, 22, week=WEEK - dt.timedelta(weeks=1)),
    kpi("chat_service_level", 0.742, 0.683, 0.794, 233, channel="chat"),
    kpi("contacts", 233, None, None, 233, channel="chat"),
    kpi("first_response_p50_seconds", 1800, 1500, 2100, 400, channel="email"),
]
ALERTS = [
    {"metric": "csat", "dimension": "segment", "slice": "smb", "week": WEEK, "value": 0.375,
     "baseline": 0.867, "n": 24, "baseline_n": 60, "p_value": 1.2e-5, "threshold": 0.0033},
]  # fmt: skip


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    kz = store_with({"result_kpis": KPIS, "result_kpi_alerts": ALERTS})
    out = tmp_path_factory.mktemp("kpis")
    return {lang: sections(kz, out, lang) for lang in ("ja", "en")}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_period_kpis_in_their_units_with_intervals(
    rendered: dict[str, dict[str, str]], lang: str
) -> None:
    html = rendered[lang]["kpis"]
    assert translate("section.kpis.title", lang) in html
    assert translate("kpis.hours", lang, n="2.2") in html  # 7,920 s
    assert translate("kpis.hours", lang, n="2.1") in html  # its lower bound
    assert "74.2%" in html and "[68.3% – 79.4%]" in html
    assert "+16.3" in html and "1,499" in html
    channels = html.split('class="compact kpi-channels"')[1]
    assert translate("kpis.minutes", lang, n="30.0") in channels  # e-mail, 1,800 s


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_alerts_name_the_slice_that_moved(rendered: dict[str, dict[str, str]], lang: str) -> None:
    html = rendered[lang]["kpis"]
    alerts = html.split('class="compact kpi-alerts"')[1].split("</table>")[0]
    assert "2026-09-07" in alerts and "smb" in alerts
    assert translate("kpis.dimension.segment", lang) in alerts
    assert "37.5%" in alerts and "86.7%" in alerts and "1.2e-05" in alerts


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_weekly_chart_and_quiet_weeks(
    rendered: dict[str, dict[str, str]], lang: str, tmp_path: Path
) -> None:
    figure = json.loads(json.loads(rendered[lang]["_charts"])["chart-kpis-weekly"])
    names = [t.get("name") for t in figure["data"]]
    assert translate("kpis.metric.csat", lang) in names
    quiet = sections(store_with({"result_kpis": KPIS, "result_kpi_alerts": []}), tmp_path, lang)
    assert translate("kpis.no_alerts", lang) in quiet["kpis"]
    missing = sections(store_with({}), tmp_path, lang)["kpis"]
    assert translate("report.not_analyzed", lang) in missing
