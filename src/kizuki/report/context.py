"""What every report section receives (:class:`ReportContext`) and returns (:class:`Section`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from kizuki.i18n import Translate, catalog
from kizuki.report.charts import Chart
from kizuki.store import Store

__all__ = ["ReportContext", "Section", "SectionBuilder"]


@dataclass(frozen=True)
class ReportContext:
    """What every section may use: the store, the language and the data overview."""

    store: Store
    lang: str
    t: Translate
    overview: Mapping[str, Any]

    def result(self, name: str) -> pa.Table | None:
        """The result table ``name`` as Arrow, or None when ``kizuki analyze`` has not made it."""
        if name not in self.store.list_tables():
            return None
        return self.store.to_arrow(self.store.table(name))

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
