"""The DuckDB backend Kizuki opens: Ibis's own, with three time operations compiled faster.

For a ``TIMESTAMP WITH TIME ZONE`` Ibis compiles ``epoch_seconds()`` to
``EPOCH(CAST(ts AS TIMESTAMP))``, ``date()`` to ``CAST(ts AS DATE)`` and ``ts + interval`` to
DuckDB's ``+``: each goes through ICU's calendar in the session time zone, value by value
(its cost: docs/benchmarks.md, the time-function change of ``kizuki analyze``). An instant's
microseconds since the epoch (``epoch_us``, ``make_timestamptz``) need no conversion, so here
the same values come from them:
the epoch of the instant, its date in UTC whatever the session's time zone (Ibis sets UTC;
Kizuki's days are UTC days), and the instant a fixed number of hours, minutes or seconds later
or earlier (days and months keep ICU's calendar arithmetic). Timestamps without a time zone
compile as before. ``tests/test_duckdb_backend.py`` checks all three against Ibis's own SQL.
"""

from __future__ import annotations

from typing import Any

import ibis.expr.operations as ops
from ibis.backends.duckdb import Backend as _IbisBackend
from ibis.backends.sql.compilers.duckdb import DuckDBCompiler

__all__ = ["Backend", "UtcDuckDBCompiler"]


#: Microseconds in one of each interval unit that always lasts as long.
_FIXED_MICROS = {"h": 3_600_000_000, "m": 60_000_000, "s": 1_000_000, "ms": 1_000, "us": 1}


def _has_zone(op: ops.Value) -> bool:
    return bool(op.dtype.is_timestamp() and op.dtype.timezone is not None)


def _fixed_micros(op: ops.Value) -> int | None:
    """The microseconds of a literal interval of hours, minutes or seconds; else None."""
    if isinstance(op, ops.Literal) and op.dtype.is_interval():
        factor = _FIXED_MICROS.get(op.dtype.unit.short)
        if factor is not None and isinstance(op.value, int):
            return op.value * factor
    return None


class UtcDuckDBCompiler(DuckDBCompiler):  # type: ignore[misc]  # Ibis is untyped here
    """Ibis's DuckDB compiler; epoch seconds, dates and fixed shifts of zoned timestamps
    without ICU."""

    def visit_ExtractEpochSeconds(self, op: ops.ExtractEpochSeconds, *, arg: Any) -> Any:
        if _has_zone(op.arg):
            return self.f.epoch(arg)  # of the instant: no time-zone conversion
        return super().visit_ExtractEpochSeconds(op, arg=arg)

    def visit_Date(self, op: ops.Date, *, arg: Any) -> Any:
        if _has_zone(op.arg):
            # the UTC wall-clock time of the instant, as a plain timestamp, then its date
            return self.cast(self.f.make_timestamp(self.f.epoch_us(arg)), op.dtype)
        return super().visit_Date(op, arg=arg)

    def _shifted(self, op: ops.Binary, left: Any, later: bool) -> Any:
        micros = _fixed_micros(op.right)
        if not _has_zone(op.left) or micros is None:
            return None
        us = self.f.epoch_us(left)
        return self.f.make_timestamptz(us + micros if later else us - micros)

    def visit_TimestampAdd(self, op: ops.TimestampAdd, *, left: Any, right: Any) -> Any:
        fast = self._shifted(op, left, later=True)
        return fast if fast is not None else super().visit_TimestampAdd(op, left=left, right=right)

    def visit_TimestampSub(self, op: ops.TimestampSub, *, left: Any, right: Any) -> Any:
        fast = self._shifted(op, left, later=False)
        return fast if fast is not None else super().visit_TimestampSub(op, left=left, right=right)


class Backend(_IbisBackend):  # type: ignore[misc]
    """Ibis's DuckDB backend compiling with :class:`UtcDuckDBCompiler`."""

    compiler = UtcDuckDBCompiler()
