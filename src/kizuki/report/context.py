"""What every report section receives (:class:`ReportContext`) and returns (:class:`Section`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from kizuki.analytics.sessions import DEFAULT_STAGES, OTHER_STAGE
from kizuki.i18n import Translate, catalog
from kizuki.report.charts import Chart

if TYPE_CHECKING:
    from kizuki.core import Kizuki, RunRecord
    from kizuki.settings import AnalyzeSettings

__all__ = ["ReportContext", "Section", "SectionBuilder", "stage_order"]


@dataclass(frozen=True)
class ReportContext:
    """What every section may use: the core object, the language, the data overview (read
    once for the whole report) and the last recorded analyze run (None before the first)."""

    kz: Kizuki
    lang: str
    t: Translate
    overview: Mapping[str, Any]
    run: RunRecord | None = None

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
