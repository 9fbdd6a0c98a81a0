"""The self-service methods of :class:`kizuki.core.Kizuki` (Q4, Q5): self-resolution per
intent and channel with the channel fit, the mismatch ranking, the content gaps, and their
export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

__all__ = ["SELFSERVICE_EXPORT_COLUMNS", "SelfServiceMethods"]

#: Columns of ``kizuki export selfservice``, in order.
SELFSERVICE_EXPORT_COLUMNS = (
    "intent",
    "channel",
    "attempts",
    "successes",
    "success_rate",
    "ci_low",
    "ci_high",
    "recommendation",
)


class SelfServiceMethods:
    """Methods of :class:`~kizuki.core.Kizuki` over its self-service results."""

    if TYPE_CHECKING:

        def result(self, name: str) -> pd.DataFrame: ...  # Kizuki's

    def selfservice(self) -> pd.DataFrame:
        """Self-resolution per intent and channel (``result_selfservice``): the estimated
        success with its 95% interval, the observed rate, and the channel-fit recommendation
        (``digital_first``, ``improve_content``, ``human``); channel ``self_service`` is all
        digital channels together, the figure the 85% rule judges."""
        return self.result("result_selfservice")

    def selfservice_mismatch(self) -> pd.DataFrame:
        """Intents steered to self-service that fails them, ranked by revenue at risk
        (``result_selfservice_mismatch``)."""
        return self.result("result_selfservice_mismatch")

    def content_gaps(self) -> pd.DataFrame:
        """Intents with no help article, or whose articles do not resolve
        (``result_content_gaps``)."""
        return self.result("result_content_gaps")

    def channel_flows(self) -> pd.DataFrame:
        """Per intent, the paths customers take from channel to channel, where they end
        (resolved, escalated, abandoned, churned) and what they cost (``result_channel_flows``)."""
        return self.result("result_channel_flows")

    def channel_flow_summary(self) -> pd.DataFrame:
        """Per intent of :meth:`channel_flows`: episodes, the share of each outcome, the mean
        cost, the most travelled path and the path that loses the most customers."""
        from kizuki.analytics.channel_flows import flow_summary

        return flow_summary(self.channel_flows())

    def content_articles(self) -> pd.DataFrame:
        """Each help article: readability, time on it, how it is found, contacts after it, and
        its gap (``result_content_articles``)."""
        return self.result("result_content_articles")

    def content_intents(self) -> pd.DataFrame:
        """Time on help articles per intent (``result_content_intents``)."""
        return self.result("result_content_intents")

    def search_weekly(self) -> pd.DataFrame:
        """Help search per intent and week: hit rate, zero-result and reformulation rates
        (``result_search_weekly``)."""
        return self.result("result_search_weekly")

    def failed_queries(self) -> pd.DataFrame:
        """Help searches that found or opened nothing, by intent and query, most frequent first
        (``result_failed_queries``): the content to write next."""
        return self.result("result_failed_queries")

    def selfservice_export(self) -> pd.DataFrame:
        """The table ``kizuki export selfservice`` writes: one row per intent and channel
        (plus ``self_service`` per intent), columns :data:`SELFSERVICE_EXPORT_COLUMNS`."""
        table = self.selfservice()
        out = table.loc[:, list(SELFSERVICE_EXPORT_COLUMNS)].copy()
        out["recommendation"] = out["recommendation"].fillna("")
        return out.sort_values(["intent", "channel"]).reset_index(drop=True)

    def export_selfservice(self, out: str | Path, fmt: str = "csv") -> tuple[Path, int]:
        """Write :meth:`selfservice_export` to ``out`` as ``csv`` or ``json``; return the path
        and the number of rows."""
        from kizuki.exports import write_export

        table = self.selfservice_export()
        return write_export(table, out, fmt), len(table)
