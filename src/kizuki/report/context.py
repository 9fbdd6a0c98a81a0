"""What every report section receives (:class:`ReportContext`) and returns (:class:`Section`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from kizuki.analytics.local_time import UTC_ZONE, local_time
from kizuki.analytics.sessions import DEFAULT_STAGES, OTHER_STAGE
from kizuki.i18n import Translate, catalog
from kizuki.report.charts import Chart, Partial
from kizuki.report.periods import partial_periods, zone_label

if TYPE_CHECKING:
    from kizuki.core import Kizuki, RunRecord
    from kizuki.settings import AnalyzeSettings

__all__ = ["ReportContext", "Section", "SectionBuilder", "stage_order"]


@dataclass(frozen=True)
class ReportContext:
    """What every section may use: the core object, the language, the data overview (read
    once for the whole report), the last recorded analyze run (None before the first) and the
    store's time zone, in which every time, day and week is shown."""

    kz: Kizuki
    lang: str
    t: Translate
    overview: Mapping[str, Any]
    run: RunRecord | None = None
    zone: str = UTC_ZONE

    def result(self, name: str) -> pa.Table | None:
        """The result table ``name`` as Arrow, or None when ``kizuki analyze`` has not made it."""
        return self.kz.result_table(name) if self.kz.has_result(name) else None

    @property
    def settings(self) -> AnalyzeSettings | None:
        """The settings of the run that wrote the results, None when it was not recorded."""
        return self.run.settings if self.run is not None else None

    def label(self, key: str, default: str) -> str:
        """The message ``key`` if the catalog has one, else ``default`` (e.g. a custom stage)."""
        return self.t(key) if key in catalog(self.lang) else default

    @property
    def zone_label(self) -> str:
        """The time zone with its offset over the data's period, e.g. ``Asia/Tokyo (UTC+09:00)``."""
        return zone_label(self.zone, self.overview.get("date_range", ()))

    def local(self, value: dt.datetime) -> dt.datetime:
        """``value`` (UTC; naive values are UTC) in the store's time zone."""
        return local_time(value, self.zone)

    def partial(self, xs: Iterable[dt.date], unit: str, tables: Iterable[str]) -> Partial:
        """The days (``unit`` "day") or weeks ("week") among ``xs`` that the data of ``tables``
        (from its first to its last time) covers only in part, with their labels and notes."""
        stats = [self.overview["tables"][name] for name in tables]
        firsts = [s["min_ts"] for s in stats if s["min_ts"] is not None]
        lasts = [s["max_ts"] for s in stats if s["max_ts"] is not None]
        days = 7 if unit == "week" else 1
        found = partial_periods(
            xs, days, min(firsts, default=None), max(lasts, default=None), self.zone
        )
        marks = {}
        for start, period in found.items():
            when = period.when.strftime("%m/%d %H:%M" if unit == "week" else "%H:%M")
            marks[start.isoformat()] = (
                self.t(f"partial.{unit}_{period.side}"),
                self.t(f"partial.note_{period.side}", when=when, share=f"{period.share:.0%}"),
            )
        return Partial(marks, days)

    def partial_note(self, partial: Partial, unit: str) -> str:
        """The line under a chart that says what its marked periods are (empty: none)."""
        return self.t(f"partial.explain_{unit}") if partial.marks else ""


@dataclass(frozen=True)
class Section:
    """One section of the report: an anchor, a title, a template and its data."""

    key: str
    title: str
    template: str
    data: Mapping[str, Any] = field(default_factory=dict)
    charts: tuple[Chart, ...] = ()


SectionBuilder = Callable[[ReportContext], "Section | None"]


#: Stages in journey order for display (the matching order of DEFAULT_STAGES differs).
JOURNEY_ORDER = ("visit", "signup", "setup", "use", "billing", "renewal", "help")


def stage_order(stages: set[str]) -> list[str]:
    """The stages in journey order, then the other stages by name."""
    ordered = [*JOURNEY_ORDER, *DEFAULT_STAGES, OTHER_STAGE]
    known = [s for s in dict.fromkeys(ordered) if s in stages]
    return known + sorted(stages - set(known))
