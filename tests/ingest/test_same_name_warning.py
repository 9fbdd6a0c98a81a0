"""A corrected file loaded again without ``--replace`` is kept beside the first, and said so."""

from __future__ import annotations

from pathlib import Path

from kizuki.ingest import ingest_files
from kizuki.store import open_store


def _events(path: Path, hour: int) -> Path:
    rows = [f"U{i},2026-11-02 {hour:02d}:0{i}:00,/app,page_view" for i in range(5)]
    path.write_text("customer_id,ts,page_path,event_name\n" + "\n".join(rows) + "\n")
    return path


def test_a_corrected_file_without_replace_is_kept_and_named(tmp_path: Path) -> None:
    store = open_store("duckdb://")
    first = tmp_path / "a" / "events.csv"
    first.parent.mkdir()
    ingest_files(store, "csv", [_events(first, 9)], timezone="UTC")
    fixed = tmp_path / "b" / "events.csv"
    fixed.parent.mkdir()
    (result,) = ingest_files(store, "csv", [_events(fixed, 10)], timezone="UTC")
    assert result.rows_loaded == 5  # other times: other derived event ids
    assert result.same_name_batches
    assert any("--replace" in w for w in result.warnings())
    assert store.duckdb.execute("SELECT count(*) FROM events").fetchone() == (10,)
    (again,) = ingest_files(store, "csv", [_events(fixed, 11)], timezone="UTC", replace=True)
    assert not again.same_name_batches and not any("--replace" in w for w in again.warnings())
    assert store.duckdb.execute("SELECT count(*) FROM events").fetchone() == (5,)
