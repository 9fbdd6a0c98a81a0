"""The result-table declarations: docs/data-model.md is generated from them, and the pipeline's
coercions keep a table exactly as computed when it already fits."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from kizuki.errors import SchemaError
from kizuki.schema import (
    RESULT_TABLES,
    TABLES,
    result_arrow,
    result_arrow_schema,
    result_columns,
    result_expr,
)

DOCS = Path(__file__).parents[2] / "docs"


def _generator() -> object:
    spec = importlib.util.spec_from_file_location("gen_data_model", DOCS / "gen_data_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_data_model_page_is_generated_from_the_declarations() -> None:
    page = (DOCS / "data-model.md").read_text(encoding="utf-8")
    assert page == _generator().render(), "run python docs/gen_data_model.py"  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(RESULT_TABLES))
def test_every_result_column_says_what_it_holds(name: str) -> None:
    rdef = RESULT_TABLES[name]
    assert name.startswith("result_") and name not in TABLES
    assert rdef.doc and all(c.doc for c in rdef.columns), name
    assert len(set(rdef.column_names)) == len(rdef.column_names)
    assert set(rdef.key) <= set(rdef.column_names)
    for column in rdef.columns:
        if column.type == "timestamp":
            assert column.unit == "UTC", (name, column.name)


def test_a_frame_is_put_in_declared_order_with_missing_columns_null() -> None:
    frame = pd.DataFrame({"intents": [3], "status": ["trained"], "cv_accuracy": [0.9]})
    table = result_arrow("result_intent_model", frame)
    assert table.schema == result_arrow_schema("result_intent_model")
    assert table.column_names == list(result_columns("result_intent_model"))
    assert table["model_file"].null_count == 1 and table["intents"].to_pylist() == [3]


def test_whole_numbers_held_as_floats_become_the_declared_integers() -> None:
    frame = pd.DataFrame({"rank": [1.0, 2.0], "affected": [3, 4], "action": [None, None]})
    table = result_arrow("result_fix_first", frame)
    assert table["rank"].type == pa.int64() and table["rank"].to_pylist() == [1, 2]
    assert table["affected"].type == pa.float64()
    assert table["action"].type == pa.string() and table["action"].null_count == 2


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"status": ["x"], "surprise": [1]}), "not declared"),
        (pd.DataFrame({"intents": ["three"]}), "does not fit"),
        (pd.DataFrame({"intents": [1.5]}), "does not fit"),
    ],
    ids=["undeclared column", "text for a number", "a fraction for an integer"],
)
def test_data_that_does_not_fit_its_declaration_is_refused(
    frame: pd.DataFrame, message: str
) -> None:
    with pytest.raises(SchemaError, match=message):
        result_arrow("result_intent_model", frame)


def test_an_unknown_result_table_is_refused() -> None:
    with pytest.raises(SchemaError, match="not a declared result table"):
        result_columns("result_nothing")


def test_an_expression_of_the_declared_types_is_written_untouched() -> None:
    expr = ibis.memtable(pa.table(
        {"day": pa.array([], pa.date32()), "events": pa.array([], pa.int64()),
         "sessions": pa.array([], pa.int64()), "visitors": pa.array([], pa.int64())}
    ))  # fmt: skip
    assert result_expr("result_events_daily", expr) is expr


def test_an_expression_is_ordered_and_cast_to_its_declaration() -> None:
    expr = ibis.memtable({"visitors": [1], "sessions": [2], "events": [3], "day": ["2026-01-02"]})
    fitted = result_expr("result_events_daily", expr)
    assert fitted.columns == result_columns("result_events_daily")
    assert fitted.schema()["day"].is_date() and fitted.schema()["events"].is_int64()


def test_an_expression_missing_a_column_is_refused() -> None:
    with pytest.raises(SchemaError, match=r"missing \['visitors'\]"):
        result_expr(
            "result_events_daily",
            ibis.memtable({"day": ["2026-01-02"], "events": [1], "sessions": [1]}),
        )
