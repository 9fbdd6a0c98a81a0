"""The purchase-model methods of :class:`kizuki.core.Kizuki` (issue 23): which customers of a
business without contracts are still customers (docs/alive.md)."""

from __future__ import annotations

from datetime import date as Date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from kizuki.errors import ConfigError, IngestError, NotFoundError

if TYPE_CHECKING:
    from kizuki.models.alive import BGNBD

__all__ = ["AliveMethods"]


class AliveMethods:
    """Methods of :class:`~kizuki.core.Kizuki` for the BG/NBD purchase model."""

    def fit_alive(
        self,
        transactions: pd.DataFrame | str | Path,
        customer: str,
        date: str,
        until: str | Date | pd.Timestamp | None = None,
        unit: str = "week",
        *,
        penalizer: float = 0.0,
    ) -> BGNBD:
        """The BG/NBD model fitted to a purchase log (one row per purchase; a DataFrame, or a
        CSV or Parquet file): each customer's repeat purchase days, recency and time observed
        up to ``until`` (default: the last date), in ``unit`` (``"week"`` or ``"day"``).

        >>> import kizuki
        >>> log = pd.DataFrame({"customer": ["a", "a", "b"],
        ...                     "date": ["2026-01-01", "2026-02-01", "2026-01-10"]})
        >>> kizuki.open("duckdb://").fit_alive(log, "customer", "date").n_customers_
        2
        """
        try:
            from kizuki.models.alive import BGNBD, customer_summary
        except ImportError as exc:
            raise ConfigError(
                "the purchase model needs SciPy and scikit-learn, which are not installed; "
                "install them with: pip install 'kizuki[ml]'"
            ) from exc

        frame = transactions if isinstance(transactions, pd.DataFrame) else _read(transactions)
        summary = customer_summary(frame, customer, date, until=until, unit=unit)
        return BGNBD(penalizer=penalizer).fit(summary)


def _read(path: str | Path) -> pd.DataFrame:
    """A purchase log from a CSV (every column as text) or Parquet file."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"transactions file {str(path)!r} does not exist; check the path")
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if suffixes[-1:] == [".parquet"]:
            return pd.read_parquet(path)
        if ".csv" in suffixes[-2:]:  # also .csv.gz, .csv.zip
            return pd.read_csv(path, dtype=str)
    except (UnicodeDecodeError, ValueError, OSError) as exc:
        raise IngestError(f"cannot read transactions file {str(path)!r}: {exc}") from None
    raise ConfigError(
        f"transactions file {str(path)!r} is neither CSV (.csv) nor Parquet (.parquet)"
    )
