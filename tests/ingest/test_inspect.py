"""``inspect_files`` / ``Kizuki.inspect`` / ``kizuki inspect``: what ingest would see, with
nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_ga4_variants import OPTIONAL_LATER, SCHEMA_2025, clean_rows, write_ndjson, write_parquet
from typer.testing import CliRunner

import kizuki
from kizuki.cli import app
from kizuki.errors import IngestError
from kizuki.ingest.inspect import inspect_files

runner = CliRunner()


def _ga4_files(tmp_path: Path) -> tuple[Path, Path]:
    rows = clean_rows()
    rows[5] = {**rows[5], "event_timestamp": None}  # would be quarantined
    schema = pa.schema([*SCHEMA_2025, pa.field("vendor_extra", pa.string())])
    parquet = write_parquet(tmp_path / "events.parquet", rows, schema)
    later = (*OPTIONAL_LATER, "batch_event_index")
    old = pa.schema([f for f in SCHEMA_2025 if f.name not in later])
    json_rows = [{k: v for k, v in r.items() if k in old.names} for r in rows]
    return parquet, write_ndjson(tmp_path / "events_20201101.json.gz", json_rows)


def test_ga4_inspection_counts_rows_fields_generation_and_names(tmp_path: Path) -> None:
    parquet, ndjson = _ga4_files(tmp_path)
    new, old = inspect_files("ga4", [parquet, ndjson])
    for i in (new, old):
        assert (i.rows, i.rows_valid, i.rows_quarantined) == (12, 11, 1)
        assert i.reasons == {"event_timestamp is missing or not an integer": 1}
        assert i.details["event_names"] == {"page_view": 8, "view_search_results": 3}
        assert i.details["share_with_user_id"] == round(7 / 11, 4)
        assert i.details["first_event_at"] == "2026-11-22 00:05:00+00"
        assert i.details["last_event_at"] == "2026-11-22 00:05:11+00"
        assert i.recognised["user_id"] == "events.customer_id"
    assert new.details["schema_generation"] == "2024"
    assert new.details["optional_fields"]["session_traffic_source_last_click"] is True
    assert new.unrecognised == ["vendor_extra"]
    assert new.fields["event_params"] == "list<struct<…>>"
    assert old.details["schema_generation"] == "2020"
    assert not any(old.details["optional_fields"].values())
    assert old.unrecognised == []
    assert json.loads(json.dumps(new.to_dict()))["file"] == "events.parquet"


def test_an_unreadable_field_is_listed_as_ignored(tmp_path: Path) -> None:
    schema = SCHEMA_2025.set(
        SCHEMA_2025.get_field_index("user_properties"), pa.field("user_properties", pa.string())
    )
    rows = [{**r, "user_properties": "[]"} for r in clean_rows()]
    (i,) = inspect_files("ga4", [write_parquet(tmp_path / "e.parquet", rows, schema)])
    assert i.ignored == ["user_properties (string)"]


def test_zendesk_inspection_counts_channels_and_their_mapping(tmp_path: Path) -> None:
    tickets = [
        {"id": 1, "created_at": "2026-11-22T00:00:00Z", "via": {"channel": "email"}},
        {"id": 2, "created_at": "2026-11-22T00:00:00Z", "via": {"channel": "email"}},
        {"id": 3, "created_at": "2026-11-22T00:00:00Z", "via": {"channel": "web"}},
        {"id": 4, "created_at": "2026-11-22T00:00:00Z", "via": {"channel": "carrier_pigeon"}},
    ]
    f = tmp_path / "tickets.jsonl"
    f.write_text("".join(json.dumps(t) + "\n" for t in tickets), encoding="utf-8")
    (i,) = inspect_files("zendesk", [f])
    assert i.rows == 4 and i.details["tickets"] == 4
    assert i.details["channels"] == {
        "email": {"tickets": 2, "channel": "email"},
        "web": {"tickets": 1, "channel": "form"},
        "carrier_pigeon": {"tickets": 1, "channel": "other"},
    }
    assert i.recognised["via"].startswith("contacts.channel")


def test_csv_inspection_shows_the_mapping_and_unknown_columns(tmp_path: Path) -> None:
    f = tmp_path / "customers.csv"
    f.write_text("顧客ID,created_at,favourite_colour\nc1,2026-11-22,red\n,2026-11-22,blue\n")
    (i,) = inspect_files("csv", [f], mapping={"customer_id": "顧客ID"})
    assert (i.rows, i.rows_valid, i.rows_quarantined) == (2, 1, 1)
    assert i.recognised == {"顧客ID": "customers.customer_id", "created_at": "customers.created_at"}
    assert i.unrecognised == ["favourite_colour"]
    assert i.ignored == ["favourite_colour"]


def test_inspect_writes_nothing_to_the_store(tmp_path: Path) -> None:
    parquet, _ = _ga4_files(tmp_path)
    url = f"duckdb://{tmp_path / 'k.duckdb'}"
    with kizuki.open(url) as kz:
        (i,) = kz.inspect("ga4", [parquet])
        assert i.rows == 12
        assert kz.store.duckdb.execute("SELECT count(*) FROM events").fetchone() == (0,)


def test_unknown_source_is_refused() -> None:
    with pytest.raises(IngestError, match="unknown source 'ga5'"):
        inspect_files("ga5", [])


def test_cli_inspect_prints_a_summary_or_json(tmp_path: Path) -> None:
    parquet, ndjson = _ga4_files(tmp_path)
    result = runner.invoke(app, ["inspect", "ga4", str(parquet), str(ndjson)])
    assert result.exit_code == 0, result.output
    assert "12 rows, 11 valid, 1 would be quarantined" in result.output
    assert "vendor_extra" in result.output and "(not recognised)" in result.output
    result = runner.invoke(app, ["inspect", "ga4", str(parquet), "--json"])
    assert result.exit_code == 0, result.output
    (found,) = json.loads(result.output)
    assert found["details"]["event_names"]["view_search_results"] == 3


def test_cli_ingest_dry_run_inspects_and_writes_nothing(tmp_path: Path) -> None:
    parquet, _ = _ga4_files(tmp_path)
    store = tmp_path / "k.duckdb"
    args = ["ingest", "ga4", str(parquet), "--store", f"duckdb://{store}", "--dry-run"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "would be quarantined" in result.output
    assert not store.exists()


def test_cli_inspect_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["inspect", "ga4", str(tmp_path / "nope.parquet")])
    assert result.exit_code == 1
    assert "does not exist" in result.output and "Traceback" not in result.output


def test_a_parquet_file_that_is_not_parquet_is_one_error(tmp_path: Path) -> None:
    f = tmp_path / "x.parquet"
    pq.write_table(pa.table({"a": [1]}), f)
    with pytest.raises(IngestError, match="not a GA4 export"):
        inspect_files("ga4", [f])
