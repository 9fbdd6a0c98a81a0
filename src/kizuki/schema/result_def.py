"""What a result table is (:class:`ResultDef`) and the helpers that declare its columns; the
declarations themselves are in :mod:`kizuki.schema.results` and its companions."""

from __future__ import annotations

from dataclasses import dataclass

from kizuki.schema.types import Column, ColumnType

__all__ = ["MONEY", "SHARE", "ResultDef", "column", "interval"]


@dataclass(frozen=True)
class ResultDef:
    """A result table: what one row is (``key``), its columns, and a one-line description."""

    name: str
    doc: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def column(name: str, type_: ColumnType, doc: str, unit: str = "") -> Column:
    """One column of a result table."""
    return Column(name, type_, doc=doc, unit=unit)


SHARE = "share 0–1"
MONEY = "currency (the customers' monthly_value unit)"


def interval(name: str, type_: ColumnType, doc: str, unit: str = "") -> tuple[Column, ...]:
    """A figure and its 95% interval (``name``, ``name_ci_low``, ``name_ci_high``)."""
    return (
        column(name, type_, doc, unit),
        column(f"{name}_ci_low", type_, f"95% interval of {name}: lower bound", unit),
        column(f"{name}_ci_high", type_, f"95% interval of {name}: upper bound", unit),
    )
