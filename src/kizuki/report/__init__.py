"""The HTML report: one self-contained file (plotly.js embedded, no network), Japanese or English.

The page is the Jinja2 template ``templates/report.html.j2`` filled with the sections of
:data:`kizuki.report.sections.SECTIONS`; every string comes from the i18n catalogs and every
number is defined in docs/metrics.md. Every time, day and week is the store time zone's
(``Settings.store_timezone``), the one ``kizuki analyze`` counted days and weeks in.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from kizuki.analytics.local_time import local_time
from kizuki.i18n import Translate, translator
from kizuki.report.charts import FONT_FAMILY, plotly_js
from kizuki.report.sections import SECTIONS, ReportContext, Section

if TYPE_CHECKING:
    from kizuki.core import Kizuki

__all__ = ["render_html", "render_report"]


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{round(value):,}"


def _file_name(value: str | None) -> str:
    return "—" if not value else Path(value).name


def _environment(zone: str) -> jinja2.Environment:
    def when(value: dt.datetime | dt.date | None) -> str:
        """A time in ``zone`` (naive times are UTC); a date as it is."""
        if value is None:
            return "—"
        if isinstance(value, dt.datetime):
            return local_time(value, zone).strftime("%Y-%m-%d %H:%M")
        return value.isoformat()

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("kizuki.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=_number, when=when, file_name=_file_name)
    return env


def _joined(t: Translate, items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c`` in the report's language."""
    if len(items) < 2:
        return "".join(items)
    return t("list.separator").join(items[:-1]) + t("list.and") + items[-1]


def _customers_kpi(ctx: ReportContext) -> tuple[str, int, str]:
    """The customers headline: distinct customer ids over the customers table, events and
    contacts; where not all of them are in the customers table, a note names the tables."""
    ids = ctx.overview["customer_ids"]
    note = ""
    if ids["distinct"] != ids["by_table"]["customers"]:
        found = [ctx.t(f"kpi.in.{name}") for name, n in ids["by_table"].items() if n]
        note = ctx.t("kpi.customers_seen", tables=_joined(ctx.t, found))
    return ctx.t("kpi.customers"), ids["distinct"], note


def render_html(ctx: ReportContext, *, generated_at: dt.datetime | None = None) -> str:
    """The report page for ``ctx`` as an HTML string."""
    from kizuki import __version__

    sections: list[Section] = [s for build in SECTIONS if (s := build(ctx)) is not None]
    has_charts = any(s.charts for s in sections)
    tables = ctx.overview["tables"]
    start, end = ctx.overview["date_range"]
    kpis = [
        _customers_kpi(ctx),
        (ctx.t("kpi.events"), tables["events"]["rows"], ""),
        (ctx.t("kpi.contacts"), tables["contacts"]["rows"], ""),
        (ctx.t("kpi.quarantined"), ctx.overview["quarantined_rows"], ""),
    ]
    template = _environment(ctx.zone).get_template("report.html.j2")
    return template.render(
        lang=ctx.lang,
        t=ctx.t,
        store_url=ctx.kz.url,
        run=ctx.run,
        generated_at=generated_at or dt.datetime.now(dt.UTC),
        period=(start, end),
        zone=ctx.zone_label,
        kpis=kpis,
        stale=ctx.kz.results_stale() is not None if ctx.run else False,
        sections=sections,
        plotly_js=Markup(plotly_js()) if has_charts else None,
        font_family=FONT_FAMILY,
        version=__version__,
    )


def render_report(
    kz: Kizuki, out: Path, *, lang: str = "ja", generated_at: dt.datetime | None = None
) -> Path:
    """Write the self-contained HTML report of ``kz``'s store to ``out`` and return ``out``.

    Parameters
    ----------
    kz
        The core object whose store is reported on (run ``kz.analyze()`` first for the charts).
    out
        The HTML file to write; its folder is created if needed.
    lang
        ``"ja"`` (default) or ``"en"``; anything else raises ConfigError.
    generated_at
        The time printed as "generated" (default: now), for reproducible output.

    Times, days and weeks are shown in ``kz.settings.store_timezone``.

    Examples
    --------
    >>> import kizuki, tempfile, pathlib
    >>> kz = kizuki.open("duckdb://")
    >>> path = render_report(kz, pathlib.Path(tempfile.mkdtemp()) / "r.html", lang="en")
    >>> "Data overview" in path.read_text(encoding="utf-8")
    True
    """
    t = translator(lang)
    ctx = ReportContext(
        kz=kz,
        lang=lang,
        t=t,
        overview=kz.overview(),
        run=kz.last_run(),
        zone=kz.settings.store_timezone,
    )
    html = render_html(ctx, generated_at=generated_at)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
