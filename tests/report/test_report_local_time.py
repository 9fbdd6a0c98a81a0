"""The report as a team in Japan reads it: local times, days and weeks, a headline that counts
the customers the data names, and partial first and last periods marked as partial."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pytest
from markupsafe import escape

import kizuki
from kizuki.core import Kizuki
from kizuki.i18n import translate
from kizuki.report import render_report
from kizuki.report.charts import Partial, bar_line_chart, lines_chart
from kizuki.report.periods import PARTIAL_BELOW, partial_periods, zone_label
from kizuki.schema import arrow_schema
from kizuki.settings import Settings

UTC = dt.UTC
GENERATED = dt.datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def figures(html: str) -> dict[str, Any]:
    return {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(r'data-chart="([^"]+)">(.*?)</script>', html, flags=re.S)
    }


# -- the calendar ---------------------------------------------------------------------------
def test_the_zone_is_named_with_its_offset() -> None:
    assert zone_label("Asia/Tokyo") == "Asia/Tokyo (UTC+09:00)"
    assert zone_label("UTC") == "UTC"
    winter, summer = dt.datetime(2026, 1, 5, tzinfo=UTC), dt.datetime(2026, 7, 5, tzinfo=UTC)
    assert zone_label("America/New_York", [winter]) == "America/New_York (UTC-05:00)"
    assert zone_label("America/New_York", [winter, summer]) == (
        "America/New_York (UTC-05:00 / UTC-04:00)"
    )
    assert zone_label("Asia/Kolkata", [winter]) == "Asia/Kolkata (UTC+05:30)"


def jst(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A time in Tokyo in November 2026."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=ZoneInfo("Asia/Tokyo"))


MONDAYS = [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16), dt.date(2026, 11, 23)]


def test_a_last_week_that_ends_on_wednesday_is_partial() -> None:
    # Monday 11-02 10:47 to Wednesday 11-25 19:57 in Tokyo
    got = partial_periods(MONDAYS, 7, jst(2, 10, 47), jst(25, 19, 57), "Asia/Tokyo")
    assert list(got) == [dt.date(2026, 11, 23)]  # the first week lacks only Monday morning
    last = got[dt.date(2026, 11, 23)]
    assert last.side == "end" and last.when.strftime("%m/%d %H:%M") == "11/25 19:57"
    assert last.share == pytest.approx((2 * 24 + 19 + 57 / 60) / (7 * 24))


def test_the_week_is_the_store_time_zones() -> None:
    # Sunday 11-22 20:00 UTC is Monday 11-23 05:00 in Tokyo: the Tokyo week of 11-23 has begun,
    # the UTC week of 11-16 is almost over
    end = dt.datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    start = dt.datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
    assert list(partial_periods(MONDAYS[:3], 7, start, end, "UTC")) == []
    tokyo = partial_periods(MONDAYS, 7, start, end, "Asia/Tokyo")
    assert tokyo[dt.date(2026, 11, 23)].share == pytest.approx(5 / (7 * 24))
    assert dt.date(2026, 11, 2) not in tokyo  # its first 9 h of 168 missing: 95% is enough


def test_partial_days_count_the_hours_of_a_daylight_saving_day() -> None:
    # New York, 2026-03-08 has 23 hours; the data runs from midnight to 21:00 local (20 h)
    first = dt.datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # 00:00 EST
    last = dt.datetime(2026, 3, 9, 1, 0, tzinfo=UTC)  # 21:00 EDT
    got = partial_periods([dt.date(2026, 3, 8)], 1, first, last, "America/New_York")
    assert got[dt.date(2026, 3, 8)].share == pytest.approx(20 / 23)
    assert PARTIAL_BELOW > 20 / 23


def test_no_data_means_no_partial_period() -> None:
    assert partial_periods(MONDAYS, 7, None, None, "UTC") == {}


def test_charts_mark_partial_periods_with_a_band_light_bars_and_a_dashed_line() -> None:
    partial = Partial({"2026-11-03": ("途中までの日", "データは 19:57 まで")}, days=1)
    chart = bar_line_chart(
        "c", ["2026-11-01", "2026-11-02", "2026-11-03"], ("イベント数", [10, 12, 3]),
        ("セッション数", [5, 6, 1]), x_title="日付", partial=partial, note="灰色の帯",
    )  # fmt: skip
    figure = json.loads(chart.figure_json)
    bars, solid, dashed, marker = figure["data"]
    assert bars["marker"]["opacity"] == [1.0, 1.0, 0.35]
    assert "データは 19:57 まで" in bars["customdata"][2]
    assert solid["y"] == [5, 6, None] and dashed["y"] == [None, 6, 1]
    assert dashed["line"]["dash"] == "dash" and dashed["hoverinfo"] == "skip"
    assert marker["x"] == ["2026-11-03"] and marker["customdata"] == ["データは 19:57 まで"]
    (band,) = figure["layout"]["shapes"]
    assert (band["x0"], band["x1"]) == ("2026-11-02 12:00:00", "2026-11-03 12:00:00")
    assert figure["layout"]["annotations"][0]["text"] == "途中までの日"
    assert chart.note == "灰色の帯"


def test_charts_without_partial_periods_are_unchanged() -> None:
    plain = lines_chart("c", {"a": (["2026-11-02"], [1.0])}, x_title="x", y_title="y")
    marked = lines_chart("c", {"a": (["2026-11-02"], [1.0])}, x_title="x", y_title="y",
                         partial=Partial({}, days=7))  # fmt: skip
    assert plain == marked
    assert "shapes" not in json.loads(plain.figure_json)["layout"]


# -- the report -------------------------------------------------------------------------------
def _store(build_table: Any, zone: str | None, lang: str = "ja") -> Kizuki:
    """Events every three hours from Monday 2026-11-02 00:00 UTC to Wednesday 11-25 09:00 UTC,
    by three customers; contacts by two of them and one other; no customers table."""
    kz = kizuki.open("duckdb://", settings=Settings(timezone=zone, lang=lang))
    start = dt.datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
    times = [start + dt.timedelta(hours=3 * i) for i in range(23 * 8 + 4)]
    events = [
        {"event_id": f"e{i}", "ts": ts, "customer_id": f"c{i % 3}", "event_name": "page_view",
         "page_path": "/app"}
        for i, ts in enumerate(times)
    ]  # fmt: skip
    kz.store.write_table("events", build_table("events", events))
    contacts = [
        {"contact_id": f"t{i}", "customer_id": c, "channel": "email",
         "opened_at": start + dt.timedelta(days=i)}
        for i, c in enumerate(["c0", "c1", "c9"])
    ]  # fmt: skip
    kz.store.write_table("contacts", build_table("contacts", contacts))
    kz.analyze(contact_reasons=False)
    return kz


def _rows(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows of canonical table ``name`` (the other columns null), for a module fixture."""
    schema = pa.schema([f.with_nullable(True) for f in arrow_schema(name)])
    data = [{"batch_id": "test", **row} for row in rows]
    return pa.table({f.name: [r.get(f.name) for r in data] for f in schema}, schema=schema)


@pytest.fixture(scope="module")
def tokyo(tmp_path_factory: pytest.TempPathFactory) -> str:
    kz = _store(_rows, "Asia/Tokyo")
    path = tmp_path_factory.mktemp("tokyo") / "r.html"
    return render_report(kz, path, lang="ja", generated_at=GENERATED).read_text(encoding="utf-8")


def test_times_are_shown_in_the_store_time_zone(tokyo: str) -> None:
    # 00:00 and 09:00 UTC
    assert translate("report.period", "ja", start="2026-11-02 09:00", end="2026-11-25 18:00") in (
        tokyo
    )
    assert translate("report.generated", "ja", when="2026-11-26 12:00") in tokyo
    assert translate("report.zone_note", "ja", zone="Asia/Tokyo (UTC+09:00)") in tokyo
    assert "UTC です" not in tokyo


def test_days_on_the_charts_are_local_days(tokyo: str) -> None:
    daily = figures(tokyo)["chart-events-daily"]
    assert daily["layout"]["xaxis"]["title"]["text"] == translate(
        "chart.day", "ja", zone="Asia/Tokyo"
    )
    days = daily["data"][0]["x"]
    assert days[0] == "2026-11-02" and days[-1] == "2026-11-25"
    # 00:00 UTC is 09:00 in Tokyo: the first Tokyo day has 5 events (09:00 to 21:00), a whole
    # day 8
    counts = dict(zip(days, daily["data"][0]["y"], strict=True))
    assert counts["2026-11-02"] == 5 and counts["2026-11-10"] == 8


def test_the_first_and_last_day_are_marked_partial(tokyo: str) -> None:
    daily = figures(tokyo)["chart-events-daily"]
    labels = {a["x"]: a["text"] for a in daily["layout"]["annotations"]}
    assert labels == {
        "2026-11-02": translate("partial.day_start", "ja"),
        "2026-11-25": translate("partial.day_end", "ja"),
    }
    assert translate("partial.explain_day", "ja") in tokyo


def test_the_headline_counts_customers_seen_in_events_and_contacts(tokyo: str) -> None:
    note = translate(
        "kpi.customers_seen", "ja",
        tables=translate("kpi.in.events", "ja") + translate("list.and", "ja")
        + translate("kpi.in.contacts", "ja"),
    )  # fmt: skip
    assert note == "イベントと問い合わせに現れた ID"
    head = tokyo[tokyo.index('class="kpis"') :]
    assert re.search(
        r'<div class="kpi-value">4</div><div class="kpi-label">顧客</div>'
        r'<div class="kpi-note">' + re.escape(str(escape(note))),
        head,
    )


def test_a_complete_customers_table_needs_no_note(build_table: Any, tmp_path: Path) -> None:
    kz = kizuki.open("duckdb://", settings=Settings(timezone="UTC"))
    customers = [{"customer_id": c, "created_at": GENERATED} for c in ("c0", "c1")]
    kz.store.write_table("customers", build_table("customers", customers))
    kz.store.write_table(
        "contacts",
        build_table("contacts", [{"contact_id": "t1", "customer_id": "c1", "channel": "chat",
                                  "opened_at": GENERATED}]),
    )  # fmt: skip
    html = render_report(kz, tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    assert '<div class="kpi-value">2</div><div class="kpi-label">Customers</div></div>' in html


def test_english_settings_show_utc(build_table: Any, tmp_path: Path) -> None:
    kz = _store(build_table, None, lang="en")  # en: UTC unless a time zone is set
    html = render_report(kz, tmp_path / "r.html", lang="en").read_text(encoding="utf-8")
    assert translate("report.zone_note", "en", zone="UTC") in html
    assert translate("report.period", "en", start="2026-11-02 00:00", end="2026-11-25 09:00") in (
        html
    )
    daily = figures(html)["chart-events-daily"]
    assert daily["data"][0]["x"][0] == "2026-11-02"
    assert dict(zip(daily["data"][0]["x"], daily["data"][0]["y"], strict=True))["2026-11-02"] == 8
    # the first UTC day is whole; the last ends at 09:00
    assert [a["x"] for a in daily["layout"]["annotations"]] == ["2026-11-25"]


def test_a_partial_last_week_is_marked_in_the_contact_trend_and_the_rise_table(
    build_table: Any, tmp_path: Path
) -> None:
    from kizuki.schema import result_arrow

    kz = kizuki.open("duckdb://", settings=Settings(timezone="Asia/Tokyo"))
    # contacts from Monday 11-02 to Wednesday 11-25 (Tokyo)
    opened = [jst(2, 9), jst(10, 12), jst(18, 12), jst(25, 17)]
    kz.store.write_table("contacts", build_table("contacts", [
        {"contact_id": f"t{i}", "customer_id": "c1", "channel": "email", "opened_at": at}
        for i, at in enumerate(opened)
    ]))  # fmt: skip
    weeks = [dt.date(2026, 11, 2) + dt.timedelta(weeks=i) for i in range(4)]
    tables = {
        "result_contact_intents": pd.DataFrame(
            {"contact_id": [f"t{i}" for i in range(4)], "opened_at": opened,
             "intent": "csv_import", "source": "label", "confidence": 1.0}
        ),
        "result_intent_weekly": pd.DataFrame(
            {"week": weeks, "intent": "csv_import", "contacts": [9, 10, 11, 4], "searches": 0}
        ),
        "result_emerging_intents": pd.DataFrame(
            {"topic": ["csv_import"], "week": [weeks[-1]], "count": [4], "baseline": [1.0],
             "ratio": [4.0], "p_value": [0.01], "q_value": [0.01], "flagged": [True],
             "examples": ["[]"]}
        ),
    }  # fmt: skip
    for name, frame in tables.items():
        kz.store.write_table(name, result_arrow(name, frame))
    html = render_report(kz, tmp_path / "r.html", lang="ja").read_text(encoding="utf-8")
    trend = figures(html)["chart-intents-weekly"]
    assert trend["layout"]["xaxis"]["title"]["text"] == translate(
        "friction.week", "ja", zone="Asia/Tokyo"
    )
    (mark,) = trend["layout"]["annotations"]  # the first week starts Monday 09:00: whole enough
    assert (mark["x"], mark["text"]) == ("2026-11-23", translate("partial.week_end", "ja"))
    note = translate("partial.note_end", "ja", when="11/25 17:00", share="39%")  # 65 h of 168
    assert mark["hovertext"] == note
    assert f'<span class="sub partial" title="{escape(note)}">途中までの週</span>' in html
    assert translate("partial.explain_week", "ja") in html
