"""The canonical schema is defined once and documented where users read it."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from kizuki.schema import SYSTEM_TABLES, TABLES, arrow_schema, ibis_schema

DOC = (Path(__file__).parents[2] / "docs" / "data-model.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_canonical_table_and_column_is_documented(name: str) -> None:
    assert f"### `{name}`" in DOC
    for column in TABLES[name].columns:
        assert f"| `{column.name}` |" in DOC.split(f"### `{name}`")[1], column.name


@pytest.mark.parametrize("name", sorted(SYSTEM_TABLES))
def test_every_system_table_is_documented(name: str) -> None:
    assert f"### `{name}`" in DOC


@pytest.mark.parametrize("name", sorted(TABLES))
def test_key_is_a_required_column_and_batch_id_is_added(name: str) -> None:
    tdef = TABLES[name]
    assert tdef.column(tdef.key).required
    assert list(ibis_schema(name))[-1] == "batch_id"
    assert arrow_schema(name).field("batch_id").type == pa.string()


def test_timestamps_are_utc_everywhere() -> None:
    for name in TABLES:
        for field in arrow_schema(name):
            if pa.types.is_timestamp(field.type):
                assert field.type.tz == "UTC", (name, field.name)
