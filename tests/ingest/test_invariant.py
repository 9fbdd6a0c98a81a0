"""rows_in == loaded + duplicate + quarantined, with exact counts, under generated corruption."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizuki.ingest import ingest_files
from kizuki.store import open_store

CORRUPTIONS = (
    "none",
    "missing_id",
    "bad_timestamp",
    "bad_enum",
    "too_few_fields",
    "too_many_fields",
)
HEADER = ["contact_id", "customer_id", "channel", "opened_at", "subject"]

row_spec = st.tuples(
    st.integers(0, 8),  # contact id from a small pool: duplicates happen
    st.sampled_from(CORRUPTIONS),
    st.sampled_from(
        ["2026-11-22T09:05:00+09:00", "2026/11/22 9:05", "2026年11月22日 9:05", "1795305900"]
    ),
    st.text(alphabet='abcあい, "\n', max_size=8),  # quoting, commas and newlines in values
)


def _render(specs: list[tuple[int, str, str, str]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEADER)
    for key, corruption, ts, subject in specs:
        row = [f"t{key}", "c1", "email", ts, subject]
        if corruption == "missing_id":
            row[0] = ""
        elif corruption == "bad_timestamp":
            row[3] = "2026/13/01 9:05"
        elif corruption == "bad_enum":
            row[2] = "fax"
        elif corruption == "too_few_fields":
            row = row[:3]
        elif corruption == "too_many_fields":
            row = [*row, "extra"]
        w.writerow(row)
    return out.getvalue()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=st.lists(row_spec, max_size=30), batch_rows=st.integers(1, 12))
def test_every_row_is_loaded_duplicate_or_quarantined(
    specs: list[tuple[int, str, str, str]], batch_rows: int
) -> None:
    valid_keys = [key for key, corruption, _, _ in specs if corruption == "none"]
    expected_loaded = len(set(valid_keys))
    expected = (
        len(specs),
        expected_loaded,
        len(valid_keys) - expected_loaded,
        len(specs) - len(valid_keys),
    )
    store = open_store("duckdb://")
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "contacts.csv"
        f.write_text(_render(specs), encoding="utf-8")
        (r,) = ingest_files(store, "csv", [f], batch_rows=batch_rows)
    assert r.rows_in == r.rows_loaded + r.rows_duplicate + r.rows_quarantined
    assert (r.rows_in, r.rows_loaded, r.rows_duplicate, r.rows_quarantined) == expected
    con = store.duckdb
    assert con.execute("SELECT count(*), count(DISTINCT contact_id) FROM contacts").fetchone() == (
        expected_loaded,
        expected_loaded,
    )
    assert (
        con.execute(
            "SELECT rows_in, rows_loaded, rows_duplicate, rows_quarantined FROM ingest_log"
        ).fetchone()
        == expected
    )
    assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (expected[3],)
    store.close()
