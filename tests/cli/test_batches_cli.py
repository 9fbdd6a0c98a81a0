"""``kizuki batches list|delete``, ``kizuki ingest --replace`` and ``kizuki quarantine``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import kizuki
from kizuki.cli import app
from kizuki.cli.options import out
from kizuki.schema import RUNS_TABLE, result_arrow

runner = CliRunner()

CSV = (
    "イベントID,日時,ユーザー,イベント,ページ\n"
    "e1,2026-11-02 09:00:00,a1,page_view,/app/import\n"
    "e2,2026-11-02 09:01:00,a1,error,/app/import\n"
    "e3,2026/13/01 9:05,a2,,/app\n"  # a bad month and no event name
)
MAPPING = "event_id: イベントID\nts: 日時\nanonymous_id: ユーザー\nevent_name: イベント\n"


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables and messages on one line each, as on a wide terminal."""
    monkeypatch.setattr(out, "width", 240)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """A store URL, an events file, a mapping without page_path and the corrected one."""
    (tmp_path / "events.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "wrong.yaml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "right.yaml").write_text(MAPPING + "page_path: ページ\n", encoding="utf-8")
    return {
        "store": f"duckdb://{tmp_path / 'k.duckdb'}",
        "events": str(tmp_path / "events.csv"),
        "wrong": str(tmp_path / "wrong.yaml"),
        "right": str(tmp_path / "right.yaml"),
        "dir": str(tmp_path),
    }


def _ingest(files: dict[str, str], mapping: str, *extra: str) -> str:
    args = ["ingest", "csv", files["events"], "--store", files["store"]]
    result = runner.invoke(app, [*args, "--mapping", files[mapping], *extra])
    assert result.exit_code == 0, result.output
    return result.output


def _batches(files: dict[str, str], *extra: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["batches", "list", "--store", files["store"], "--json", *extra])
    assert result.exit_code == 0, result.output
    batches: list[dict[str, object]] = json.loads(result.output)
    return batches


def _record_run(url: str) -> None:
    now = dt.datetime.now(dt.UTC)
    row = {"run_id": "r1", "kizuki_version": "test", "status": "completed", "started_at": now}
    row |= {"finished_at": now, "config": "{}", "journey": "{}", "inputs": "{}", "steps": "[]"}
    row |= {"tables_written": "[]", "error": None}
    with kizuki.open(url) as kz:
        kz.store.append_table(RUNS_TABLE, result_arrow(RUNS_TABLE, pd.DataFrame([row])))


def test_replace_then_list_then_delete(files: dict[str, str]) -> None:
    _ingest(files, "wrong")
    again = _ingest(files, "right")
    assert "already ingested" in again and "pass --replace" in again
    (first,) = _batches(files)
    assert (first["rows_in"], first["rows_loaded"], first["rows_quarantined"]) == (3, 2, 1)
    assert first["status"] == "current" and first["timezone"] == "Asia/Tokyo"

    replaced = _ingest(files, "right", "--replace")
    assert f"replaced {first['batch_id']}" in replaced
    assert "results are stale" not in replaced  # nothing analyzed yet
    (second,) = _batches(files)
    assert second["batch_id"] != first["batch_id"]
    every = {b["batch_id"]: (b["status"], b["removed_by"]) for b in _batches(files, "--all")}
    assert every == {
        first["batch_id"]: ("removed", second["batch_id"]),
        second["batch_id"]: ("current", None),
    }
    table = runner.invoke(app, ["batches", "list", "--store", files["store"], "--all"])
    assert table.exit_code == 0 and "removed by" in table.output

    _record_run(files["store"])
    prefix = str(second["batch_id"])[:20]
    kept = runner.invoke(app, ["batches", "delete", prefix, "--store", files["store"]], input="n\n")
    assert kept.exit_code == 1 and "delete batch" in kept.output
    assert len(_batches(files)) == 1
    deleted = runner.invoke(app, ["batches", "delete", prefix, "--store", files["store"], "--yes"])
    assert deleted.exit_code == 0, deleted.output
    assert f"deleted batch {second['batch_id']}" in deleted.output
    assert "events: 2 rows removed" in deleted.output
    assert "quarantine: 1 rows removed" in deleted.output
    assert "results are stale until the next `kizuki analyze`" in deleted.output
    assert _batches(files) == []
    again_missing = runner.invoke(app, ["batches", "delete", prefix, "--store", files["store"]])
    assert again_missing.exit_code == 1 and "was removed at" in again_missing.output


def test_replace_after_analyze_says_results_are_stale(files: dict[str, str]) -> None:
    _ingest(files, "wrong")
    _record_run(files["store"])
    output = _ingest(files, "right", "--replace")
    assert "results are stale until the next `kizuki analyze`" in output
    assert "1 batch removed" in output


def test_quarantine_lists_every_reason_of_a_row(files: dict[str, str]) -> None:
    _ingest(files, "right")
    store = ["--store", files["store"]]
    shown = runner.invoke(app, ["quarantine", *store])
    assert shown.exit_code == 0, shown.output
    # the kinds, values masked (mapped columns are named in the reasons)
    assert "'…' is not a date (month N)" in shown.output and "'…') is missing" in shown.output
    assert "'2026/13/01 9:05' is not a date (month 13)" in shown.output
    assert "events.csv:4" in shown.output

    as_json = runner.invoke(app, ["quarantine", *store, "--json", "--reason-like", "event_name"])
    assert as_json.exit_code == 0, as_json.output
    found = json.loads(as_json.output)
    assert found["rows"] == 1
    ((group),) = found["groups"]
    assert group["reason_kind"].startswith("event_name") and group["rows"] == 1
    (example,) = group["examples"]
    assert "'2026/13/01 9:05' is not a date" in example["reason"].split("; ")[0]
    assert example["reason"].split("; ")[1].endswith("is missing")

    out = Path(files["dir"]) / "q.csv"
    written = runner.invoke(app, ["quarantine", *store, "--csv", str(out), "--limit", "1"])
    assert written.exit_code == 0, written.output
    assert (
        "wrote 1 quarantined rows" in written.output and "1 more kinds of reason" in written.output
    )
    assert out.read_text(encoding="utf-8").count("\n") == 2  # header and the row

    none = runner.invoke(app, ["quarantine", *store, "--reason-like", "nothing like this"])
    assert none.exit_code == 0 and "no quarantined rows" in none.output
    unknown = runner.invoke(app, ["quarantine", *store, "--batch", "nope"])
    assert unknown.exit_code == 1 and "no batch 'nope'" in unknown.output
