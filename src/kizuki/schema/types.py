"""The small type vocabulary of Kizuki's tables, and how each name maps to Ibis and Arrow.

``string``, ``int64``, ``float64``, ``bool``, ``timestamp`` (UTC, microseconds), ``date`` (a
UTC calendar day) and ``json`` (a JSON document stored as text, so every backend can hold it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import ibis.expr.datatypes as dt
import pyarrow as pa

__all__ = [
    "ARROW_TYPES",
    "IBIS_TYPES",
    "Check",
    "Column",
    "ColumnType",
    "TableDef",
]

ColumnType = Literal["string", "int64", "float64", "bool", "timestamp", "date", "json"]

IBIS_TYPES: dict[str, dt.DataType] = {
    "string": dt.string,
    "int64": dt.int64,
    "float64": dt.float64,
    "bool": dt.boolean,
    "timestamp": dt.Timestamp(timezone="UTC", scale=6),
    "date": dt.date,
    "json": dt.string,
}

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "json": pa.string(),
}


@dataclass(frozen=True)
class Column:
    """One column of a table: its name, type, and what it holds.

    ``unit`` says what a number counts or measures (``customers``, ``share 0–1``,
    ``currency``); ``required``, ``enum`` and ``redact`` are the ingest rules of canonical
    tables (a required value, the allowed values, free text whose PII is redacted).
    """

    name: str
    type: ColumnType
    required: bool = False
    enum: tuple[str, ...] | None = None
    redact: bool = False
    doc: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Check:
    """A row rule beyond types: a SQL boolean over the typed row, and the reason when false."""

    sql: str
    reason: str


@dataclass(frozen=True)
class TableDef:
    """A table: its key and columns (canonical tables also get ``batch_id`` in the store)."""

    name: str
    key: str
    columns: tuple[Column, ...]
    checks: tuple[Check, ...] = field(default_factory=tuple)
    doc: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)
