"""Every table Kizuki keeps, declared once: the canonical tables ingest loads
(:mod:`kizuki.schema.canonical`), the result tables analyses write
(:mod:`kizuki.schema.results`), and the type vocabulary both use (:mod:`kizuki.schema.types`).
"""

from kizuki.schema.canonical import (
    CHANNELS,
    SCHEMA_VERSION,
    SURVEY_KINDS,
    SYSTEM_TABLES,
    TABLES,
    arrow_schema,
    ibis_schema,
)
from kizuki.schema.results import (
    RESULT_TABLES,
    RUNS_TABLE,
    ResultDef,
    result_arrow,
    result_arrow_schema,
    result_columns,
    result_expr,
    result_ibis_schema,
)
from kizuki.schema.types import Check, Column, ColumnType, TableDef

__all__ = [
    "CHANNELS",
    "RESULT_TABLES",
    "RUNS_TABLE",
    "SCHEMA_VERSION",
    "SURVEY_KINDS",
    "SYSTEM_TABLES",
    "TABLES",
    "Check",
    "Column",
    "ColumnType",
    "ResultDef",
    "TableDef",
    "arrow_schema",
    "ibis_schema",
    "result_arrow",
    "result_arrow_schema",
    "result_columns",
    "result_expr",
    "result_ibis_schema",
]
