"""What ``kizuki export`` writes: the ranked friction-point table, as CSV or JSON.

The friction table has one row per page of ``result_silent_customers`` (the ``total`` row left
out), ranked by revenue at risk, then silent customers, then customers affected, so it can be
compared with the simulator's ``ground_truth/problems.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

from kizuki.errors import ConfigError

__all__ = ["EXPORT_COLUMNS", "ExportFormat", "friction_export_table", "write_export"]

#: Columns of :func:`friction_export_table`, in order (the first twelve are the contract).
EXPORT_COLUMNS = (
    "rank",
    "stage",
    "page_path",
    "signal",
    "intent",
    "affected",
    "contacted",
    "silent",
    "silent_ci_low",
    "silent_ci_high",
    "contact_rate",
    "revenue_at_risk",
    "revenue_at_risk_ci_low",
    "revenue_at_risk_ci_high",
    "affected_ci_low",
    "affected_ci_high",
    "goodman_silent",
    "survey_silent",
    "detected",
    "method",
    "p_value",
    "best_estimate",
    "silent_identified",
    "coverage",
    "diagnostic",
)
TOTAL_STAGE = "total"
ExportFormat = Literal["csv", "json"]


def friction_export_table(silent: pd.DataFrame) -> pd.DataFrame:
    """Rank the pages of a silent-customer table for export.

    Parameters
    ----------
    silent
        The table of :func:`kizuki.analytics.silent.silent_customers` (as stored in
        ``result_silent_customers``).

    Returns
    -------
    The columns :data:`EXPORT_COLUMNS`; ``rank`` starts at 1: the detected problems by revenue
    at risk (then silent, affected), then the pages whose problem is not significant by their
    ``p_value``. ``method`` says how the page was tested (``model``, ``small_sample``).
    ``silent`` is the best estimate of all silent customers of the page (extrapolated to
    visitors no identity links, docs/silent.md); ``silent_identified`` counts identified
    customers only; ``coverage`` is the identified share of the affected; ``diagnostic`` is
    empty when the figure is sound.

    Examples
    --------
    >>> t = pd.DataFrame({c: [1.0, 2.0] for c in EXPORT_COLUMNS[1:]})
    >>> t["stage"] = ["billing", "total"]
    >>> friction_export_table(t)["rank"].tolist()
    [1]
    """
    pages = silent[silent["stage"] != TOTAL_STAGE]
    detected = pages["detected"].fillna(False).astype(bool)
    # detected problems by money and people; then the rest by the strength of their evidence
    evidence = pages["p_value"].where(~detected, 0.0) if "p_value" in pages else 0.0
    ranked = (
        pages.assign(_detected=detected, _evidence=evidence)
        .sort_values(
            ["_detected", "_evidence", "revenue_at_risk", "silent", "affected"],
            ascending=[False, True, False, False, False],
            kind="stable",
        )
        .drop(columns=["_detected", "_evidence"])
        .reset_index(drop=True)
    )
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    for col in EXPORT_COLUMNS:
        if col not in ranked.columns:  # a store analysed before these columns existed
            ranked[col] = None
    out = ranked.loc[:, list(EXPORT_COLUMNS)]
    out["diagnostic"] = out["diagnostic"].fillna("")
    return out


def write_export(table: pd.DataFrame, out: str | Path, fmt: str) -> Path:
    """Write ``table`` to ``out`` as ``csv`` (UTF-8, header), ``json`` (an array of records)
    or ``parquet``.

    Raises
    ------
    ConfigError
        ``fmt`` is none of ``csv``, ``json`` and ``parquet``.
    """
    path = Path(out)
    if fmt == "csv":
        table.to_csv(path, index=False)
    elif fmt == "json":
        path.write_text(table.to_json(orient="records", force_ascii=False), encoding="utf-8")
    elif fmt == "parquet":
        table.to_parquet(path, index=False)
    else:
        raise ConfigError(f"unknown export format {fmt!r}; use 'csv', 'json' or 'parquet'")
    return path
