"""The churn-risk methods of :class:`kizuki.core.Kizuki`: how well a churn model predicts who
leaves, measured on a customer file (docs/churn.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from kizuki.errors import ConfigError, NotFoundError

__all__ = ["ChurnMethods"]


class ChurnMethods:
    """Methods of :class:`~kizuki.core.Kizuki` for churn risk (no store needed)."""

    def evaluate_churn(
        self,
        csv: str | Path | pd.DataFrame,
        target: str,
        id_column: str | None = None,
        folds: int = 5,
        seed: int = 0,
        *,
        with_peer: bool = False,
        encoding: str = "utf-8",
    ) -> dict[str, Any]:
        """ROC-AUC and Brier score (mean and sd over ``folds`` stratified folds) of the churn
        model on a customer table: a CSV file (read as text; numbers are recognised per column)
        or a DataFrame, one row per customer, ``target`` saying who churned; with
        ``with_peer``, a plain logistic regression on the same folds beside it
        (:func:`kizuki.models.churn.evaluate_churn`).

        Raises
        ------
        NotFoundError
            The file does not exist.
        ConfigError
            The file cannot be read, a column is missing, the target is not two values, or
            LightGBM / scikit-learn are not installed.
        """
        try:
            from kizuki.models.churn import evaluate_churn
        except ModuleNotFoundError as exc:
            raise ConfigError(
                f"the churn model needs {exc.name}; install it with: pip install 'kizuki[churn]'"
            ) from exc

        frame = csv if isinstance(csv, pd.DataFrame) else _read_customers(Path(csv), encoding)
        return evaluate_churn(frame, target, id_column, folds, seed, with_peer=with_peer)


def _read_customers(path: Path, encoding: str) -> pd.DataFrame:
    """A customer CSV with every column as text (blanks and NA markers missing)."""
    if not path.is_file():
        raise NotFoundError(f"customer file {str(path)!r} does not exist; check the path")
    try:
        frame = pd.read_csv(path, dtype=str, encoding=encoding)
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid {encoding} ({exc.reason} at byte {exc.start}); "
            "pass the file's encoding, e.g. --encoding cp932"
        ) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ConfigError(f"{path}: not a readable CSV file ({exc})") from exc
    if frame.empty:
        raise ConfigError(f"{path}: has a header but no customers")
    return frame
