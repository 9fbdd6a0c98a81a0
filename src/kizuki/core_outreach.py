"""The churn-risk and outreach methods of :class:`kizuki.core.Kizuki` (Q8, docs/outreach.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from kizuki.outreach.webhook import Delivery
    from kizuki.store import Store

__all__ = ["OutreachMethods"]


class OutreachMethods:
    """Methods of :class:`~kizuki.core.Kizuki` for churn risk and the outreach queue."""

    if TYPE_CHECKING:
        store: Store

        def result(self, name: str) -> pd.DataFrame: ...  # Kizuki's

    def churn_model(self) -> pd.DataFrame:
        """The run's churn model: what it learned from and its time-based validation
        (``result_churn_model``)."""
        return self.result("result_churn_model")

    def outreach_queue(self) -> pd.DataFrame:
        """Whom to contact before they leave, ranked by expected value saved, with the
        triggers, reasons, message and suppression (``result_outreach_queue``)."""
        return self.result("result_outreach_queue")

    def outreach_summary(self) -> dict[str, Any]:
        """Of :meth:`outreach_queue`: the customers to contact (not suppressed), their expected
        value saved in all, the suppressed rows, and the P(save | reached) used (``p_save``,
        ``p_save_from``: prior or outreach, ``outreach_reached``)."""
        queue = self.outreach_queue()
        live = queue[~queue["suppressed"].astype(bool)]
        model = self.churn_model()
        info = {k: v for k, v in model.iloc[0].items() if pd.notna(v)} if len(model) else {}
        return {
            "to_contact": len(live),
            "expected_value_saved": float(live["expected_value_saved"].sum()),
            "suppressed": len(queue) - len(live),
            "p_save": info.get("p_save"),
            "p_save_from": info.get("p_save_from") or "prior",
            "outreach_reached": int(info.get("outreach_reached") or 0),
        }

    def export_outreach(self, out: str | Path, fmt: str = "csv") -> tuple[Path, int]:
        """Write :meth:`outreach_queue` to ``out`` as ``csv``, ``json`` or ``parquet``; the
        path and the number of rows."""
        from kizuki.exports import write_export

        table = self.outreach_queue()
        return write_export(table, out, fmt), len(table)

    def deliver_outreach(
        self,
        url: str,
        secret: str,
        *,
        max_attempts: int = 5,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = 10.0,
    ) -> Delivery:
        """POST the queue's unsuppressed items not yet sent to the webhook ``url``, signed
        with ``secret``, retried with backoff; the state is kept in the store
        (:mod:`kizuki.outreach.webhook`)."""
        from kizuki.outreach.webhook import deliver_queue

        return deliver_queue(
            self.store.duckdb,  # the delivery state lives in the store (DuckDB stores)
            self.outreach_queue(),
            url,
            secret,
            max_attempts=max_attempts,
            backoff_seconds=backoff_seconds,
            timeout_seconds=timeout_seconds,
        )
