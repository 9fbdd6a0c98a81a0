"""The ranked friction table of ``kizuki export friction``."""

from __future__ import annotations

import pandas as pd

from kizuki.exports import EXPORT_COLUMNS, friction_export_table


def test_export_table_ranks_by_revenue_then_silent() -> None:
    rows = {c: [0.0, 0.0, 0.0, 0.0] for c in EXPORT_COLUMNS[1:]}
    silent = pd.DataFrame(rows)
    silent["stage"] = ["use", "billing", "setup", "total"]
    silent["revenue_at_risk"] = [10.0, 50.0, 10.0, 70.0]
    silent["silent"] = [1.0, 5.0, 3.0, 9.0]
    ranked = friction_export_table(silent)
    assert ranked["stage"].tolist() == ["billing", "setup", "use"]
    assert ranked["rank"].tolist() == [1, 2, 3]
