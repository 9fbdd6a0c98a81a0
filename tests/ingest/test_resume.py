"""Re-ingesting changes nothing; a run killed with SIGKILL resumes to the same tables."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kizuki.ingest import ingest_files
from kizuki.store import Store, open_store

Checksums = Callable[[Store], dict[str, tuple[int, str]]]

CHILD = """
import sys
from kizuki.ingest import ingest_files
from kizuki.store import open_store
store = open_store(sys.argv[1])
def report(step, done, total):
    print(done, flush=True)
ingest_files(store, "csv", [sys.argv[2]], batch_rows=int(sys.argv[3]), progress=report)
store.close()
"""


def _events_csv(path: Path, n: int) -> Path:
    """``n`` event rows with duplicates, bad timestamps and short rows spread through the file."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write("event_id,ts,anonymous_id,event_name,page_path,properties\n")
        for i in range(n):
            key = i - 7 if i % 101 == 0 and i else i  # a duplicate of an earlier row
            if i % 997 == 5:
                fh.write(f"e{i},2026/13/01 9:05,a{i % 50},page_view,/p,{{}}\n")
            elif i % 1999 == 3:
                fh.write(f"e{i},2026-11-22\n")
            else:
                fh.write(
                    f"e{key},2026-11-{1 + i % 28:02d}T09:{i % 60:02d}:00+09:00,a{i % 50},"
                    f'page_view,/p/{i % 13},"{{""n"": {i}}}"\n'
                )
    return path


def test_reingesting_the_same_file_changes_nothing(
    store: Store, tmp_path: Path, checksums: Checksums
) -> None:
    f = _events_csv(tmp_path / "events.csv", 3_000)
    (first,) = ingest_files(store, "csv", [f], batch_rows=700)
    assert first.rows_quarantined > 0 and first.rows_duplicate > 0 and not first.skipped
    before = checksums(store)
    (again,) = ingest_files(store, "csv", [f], batch_rows=500)
    assert again.skipped and "already ingested" in again.summary()
    assert (again.rows_in, again.rows_loaded, again.batch_id) == (
        first.rows_in,
        first.rows_loaded,
        first.batch_id,
    )
    assert checksums(store) == before
    # the same rows in a file with another checksum are a new batch, all duplicates
    copy = tmp_path / "copy" / "events.csv"
    copy.parent.mkdir()
    copy.write_bytes(f.read_bytes() + b"e_new,2026-11-22,a1,page_view,/x,{}\n")
    (third,) = ingest_files(store, "csv", [copy])
    assert (third.rows_loaded, third.rows_duplicate) == (
        1,
        first.rows_loaded + first.rows_duplicate,
    )


@pytest.mark.slow
def test_sigkill_mid_ingest_then_resume_gives_the_same_tables(
    tmp_path: Path, checksums: Checksums
) -> None:
    f = _events_csv(tmp_path / "events.csv", 240_000)
    batch_rows = 10_000

    reference = open_store(f"duckdb:///{tmp_path / 'reference.duckdb'}")
    (expected,) = ingest_files(reference, "csv", [f], batch_rows=batch_rows)
    want = checksums(reference)
    reference.close()

    url = f"duckdb:///{tmp_path / 'killed.duckdb'}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(f), str(batch_rows)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    reports = []
    for line in child.stdout:
        reports.append(int(float(line)))
        if len(reports) >= 4:  # three chunks committed; the fourth is under way
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, "the child finished before it was killed"

    killed = open_store(url)
    progress = killed.duckdb.execute("SELECT last_row, rows_in FROM ingest_progress").fetchall()
    assert len(progress) == 1 and progress[0][1] >= 3 * batch_rows  # committed chunks are kept
    assert killed.duckdb.execute("SELECT count(*) FROM ingest_log").fetchone() == (0,)
    (resumed,) = ingest_files(killed, "csv", [f], batch_rows=batch_rows)
    assert json.dumps(resumed.__dict__, default=str) == json.dumps(expected.__dict__, default=str)
    got = checksums(killed)
    killed.close()
    assert got == want
    assert got["ingest_progress"] == (0, got["ingest_progress"][1])
