"""The support-KPI and staffing methods of :class:`kizuki.core.Kizuki` (Q6, Q9)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from kizuki.analytics.kpis import KPI_COLUMNS
from kizuki.analytics.staffing import Staffing, agents_needed

__all__ = ["KPIMethods"]


class KPIMethods:
    """Methods of :class:`~kizuki.core.Kizuki` for support KPIs and staffing."""

    if TYPE_CHECKING:

        def result(self, name: str) -> pd.DataFrame: ...  # Kizuki's

    def kpis(self) -> pd.DataFrame:
        """Support KPIs per metric and slice (``result_kpis``, docs/metrics.md): e-mail first
        response, chat and phone service level and abandonment, re-contact rate, first-contact
        resolution, NPS, CSAT, CES, each with a 95% interval and its count."""
        return self.result("result_kpis")

    def kpi_alerts(self) -> pd.DataFrame:
        """Weeks and slices whose CSAT or NPS fell significantly below their baseline
        (``result_kpi_alerts``, docs/metrics.md "Satisfaction drop alerts")."""
        return self.result("result_kpi_alerts")

    def kpis_export(self) -> pd.DataFrame:
        """The table ``kizuki export kpis`` writes: :meth:`kpis` in a stable order, slices
        empty where a row covers all of that dimension."""
        table = self.kpis().loc[:, list(KPI_COLUMNS)].copy()
        slices = ["channel", "intent", "segment", "agent", "week"]
        filled = table[slices].notna().sum(axis=1)
        order = table.assign(_k=filled).sort_values(
            ["metric", "_k", *slices], na_position="first", kind="stable"
        )
        return order.drop(columns="_k").reset_index(drop=True)

    def export_kpis(self, out: str | Path, fmt: str = "csv") -> tuple[Path, int]:
        """Write :meth:`kpis_export` to ``out`` as ``csv`` or ``json``; return the path and
        the number of rows."""
        from kizuki.exports import write_export

        table = self.kpis_export()
        return write_export(table, out, fmt), len(table)

    def staffing_plan(self) -> pd.DataFrame:
        """Agents needed per chat/phone channel and hour of a typical week, from the store's
        contacts, and with the ``digital_first`` intents moved to self-service
        (``result_staffing``)."""
        return self.result("result_staffing")

    def staffing_summary(self) -> pd.DataFrame:
        """Per live channel of :meth:`staffing_plan`: the peak hour and its agents, the agent
        hours of a typical week and those moving the ``digital_first`` intents to
        self-service saves."""
        from kizuki.analytics.staffing_plan import plan_summary

        return plan_summary(self.staffing_plan())

    def staffing(
        self,
        arrivals_per_hour: float,
        aht_seconds: float,
        *,
        target_service_level: float = 0.8,
        within_seconds: float = 20.0,
        patience_seconds: float | None = None,
    ) -> Staffing:
        """The fewest chat or phone agents that answer ``target_service_level`` of the contacts
        within ``within_seconds``: Erlang C, or Erlang A where customers hang up after a mean
        ``patience_seconds`` (:mod:`kizuki.analytics.staffing`)."""
        return agents_needed(
            arrivals_per_hour,
            aht_seconds,
            target_service_level,
            within_seconds,
            patience_seconds=patience_seconds,
        )
