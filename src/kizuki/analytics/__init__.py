"""Analytics: pure functions of store tables, and :func:`run_all`, which writes their results.

Each analysis is an Ibis expression over canonical tables that runs inside the store's engine;
:func:`run_all` writes every result into the store as a ``result_*`` table, which the report,
the API and notebooks read. The result tables and their columns are listed in
docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from kizuki.analytics.overview import data_overview
from kizuki.analytics.sessions import DEFAULT_STAGES, daily_counts, stage_daily_counts
from kizuki.progress import ProgressCallback, no_progress
from kizuki.store import Store

__all__ = ["RESULT_TABLES", "run_all"]

STEP = "analyze"


def _write_overview(store: Store) -> None:
    tables = data_overview(store)["tables"]
    timestamp = pa.timestamp("us", tz="UTC")
    store.write_table(
        "result_overview",
        pa.table(
            {
                "table_name": pa.array(list(tables), pa.string()),
                "rows": pa.array([t["rows"] for t in tables.values()], pa.int64()),
                "min_ts": pa.array([t["min_ts"] for t in tables.values()], timestamp),
                "max_ts": pa.array([t["max_ts"] for t in tables.values()], timestamp),
            }
        ),
    )


def _write_events_daily(store: Store) -> None:
    store.write_table("result_events_daily", daily_counts(store.table("events")))


def _write_stage_daily(store: Store) -> None:
    store.write_table(
        "result_stage_daily", stage_daily_counts(store.table("events"), DEFAULT_STAGES)
    )


#: Result table -> the function that (re)writes it, in the order :func:`run_all` runs them.
RESULT_TABLES: dict[str, Callable[[Store], None]] = {
    "result_overview": _write_overview,
    "result_events_daily": _write_events_daily,
    "result_stage_daily": _write_stage_daily,
}


def run_all(store: Store, *, progress: ProgressCallback = no_progress) -> list[str]:
    """Compute every analysis and (over)write its ``result_*`` table; return the names written.

    Examples
    --------
    >>> from kizuki.store import open_store
    >>> run_all(open_store("duckdb://"))
    ['result_overview', 'result_events_daily', 'result_stage_daily']
    """
    written: list[str] = []
    total = len(RESULT_TABLES)
    progress(STEP, 0, total)
    for name, write in RESULT_TABLES.items():
        write(store)
        written.append(name)
        progress(STEP, len(written), total)
    return written
