"""The core object is the whole public surface: its names are pinned, and every result table
has a method that returns it."""

from __future__ import annotations

import inspect

import pytest

import kizuki
from kizuki.core import Kizuki
from kizuki.errors import NotFoundError
from kizuki.schema import RESULT_TABLES, RUNS_TABLE

#: Result table -> the Kizuki method that returns it, where the name is not the table's own.
METHOD_OF = {
    "result_staffing": "staffing_plan",
    "result_overview": "overview_table",
    "result_intent_model": "intent_model_info",
    RUNS_TABLE: "runs",
}


def test_the_public_names_are_pinned() -> None:
    assert kizuki.__all__ == [
        "Kizuki",
        "KizukiError",
        "RunRecord",
        "Settings",
        "__version__",
        "load_settings",
        "open",
    ]
    for name in kizuki.__all__:
        assert getattr(kizuki, name) is not None


@pytest.mark.parametrize("table", sorted(RESULT_TABLES))
def test_every_result_table_has_a_method_that_names_it(table: str) -> None:
    method = getattr(Kizuki, METHOD_OF.get(table, table.removeprefix("result_")), None)
    assert callable(method), f"Kizuki has no method for {table}"
    assert f"``{table}``" in (inspect.getdoc(method) or ""), "its docstring names the table"


@pytest.mark.parametrize("table", sorted(set(RESULT_TABLES) - {RUNS_TABLE}))
def test_every_result_method_says_what_to_run_before_analyze(table: str) -> None:
    kz = kizuki.open("duckdb://")
    method = getattr(kz, METHOD_OF.get(table, table.removeprefix("result_")))
    with pytest.raises(NotFoundError, match=f"{table}.*kizuki analyze"):
        method()


def test_an_unknown_result_table_is_refused_with_the_known_ones() -> None:
    with pytest.raises(NotFoundError, match="result_fix_first"):
        kizuki.open("duckdb://").result("result_nothing")


def test_runs_of_a_new_store_are_empty_and_it_closes_as_a_context() -> None:
    with kizuki.open("duckdb://") as kz:
        assert kz.runs().empty and kz.last_run() is None
        assert list(kz.runs().columns)[:3] == ["run_id", "kizuki_version", "status"]
