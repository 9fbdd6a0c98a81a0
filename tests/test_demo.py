"""``kizuki demo``: the orchestration (with a stand-in simulator and ingest), and end to end."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import kizuki
from kizuki.demo import CONFIG_FILE, STORE_FILE, run_demo
from kizuki.errors import ConfigError
from kizuki.i18n import translate
from kizuki.ingest.result import IngestResult
from kizuki.store import Store


@dataclass
class FakeConfig:
    customers: int
    days: int
    seed: int


@dataclass
class FakeSim:
    out_dir: Path
    canonical_files: list[tuple[str, Path]]
    ga4_file: Path
    zendesk_file: Path

    def summary(self) -> str:
        return f"simulated into {self.out_dir}"


class Recorder:
    """Stand-ins for kizuki.simulate and kizuki.ingest that record how they were called."""

    def __init__(self) -> None:
        self.ingest_calls: list[tuple[str, str, str | None]] = []

    def load_config(
        self, path: Path | None, *, customers: int | None, days: int | None, seed: int | None
    ) -> FakeConfig:
        return FakeConfig(customers or 100, days or 30, 0 if seed is None else seed)

    def simulate_company(self, cfg: FakeConfig, out_dir: Path, *, progress: Any) -> FakeSim:
        files = {}
        for rel in ("canonical/customers.csv", "canonical/contacts.csv", "ga4/events.parquet",
                    "zendesk/tickets.jsonl"):  # fmt: skip
            path = out_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{cfg}\n", encoding="utf-8")
            files[rel] = path
        return FakeSim(
            out_dir,
            [
                ("customers", files["canonical/customers.csv"]),
                ("contacts", files["canonical/contacts.csv"]),
            ],
            files["ga4/events.parquet"],
            files["zendesk/tickets.jsonl"],
        )

    def ingest_files(
        self, store: Store, source: str, files: list[Path], *, table: str | None = None,
        progress: Any = None, **_: Any,
    ) -> list[IngestResult]:  # fmt: skip
        """Writes one ingest_log row per new file; a file already in the log is skipped."""
        (path,) = files
        self.ingest_calls.append((source, Path(path).name, table))
        seen = store.table("ingest_log").file.to_pyarrow().to_pylist()
        target = table or {"ga4": "events", "zendesk": "contacts"}[source]
        skipped = str(path) in seen
        if not skipped:
            now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
            row = {"batch_id": f"b{len(seen)}", "source": source, "file": str(path),
                   "checksum": "x", "target_table": target, "rows_in": 3, "rows_loaded": 3,
                   "rows_duplicate": 0, "rows_quarantined": 0, "derived": "{}",
                   "started_at": now, "finished_at": now}  # fmt: skip
            schema = store.table("ingest_log").schema().to_pyarrow()
            store.con.insert("ingest_log", pa.Table.from_pylist([row], schema=schema))
        return [IngestResult(f"b{len(seen)}", source, str(path), target, 3, 3, 0, 0, {}, skipped)]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    import kizuki.ingest.redact  # noqa: F401  # the report redacts with it: load the real one first

    simulate = types.ModuleType("kizuki.simulate")
    simulate.load_config = recorder.load_config  # type: ignore[attr-defined]
    simulate.simulate_company = recorder.simulate_company  # type: ignore[attr-defined]
    ingest = types.ModuleType("kizuki.ingest")
    ingest.ingest_files = recorder.ingest_files  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kizuki.simulate", simulate)
    monkeypatch.setitem(sys.modules, "kizuki.ingest", ingest)
    return recorder


def ingest_log_files(directory: Path) -> list[str]:
    kz = kizuki.open(f"duckdb://{directory / STORE_FILE}")
    try:
        return sorted(
            Path(f).name for f in kz.store.table("ingest_log").file.to_pyarrow().to_pylist()
        )
    finally:
        kz.close()


def test_demo_simulates_ingests_every_file_analyzes_and_reports(
    fake: Recorder, tmp_path: Path
) -> None:
    steps: list[tuple[str, float, float | None]] = []
    result = run_demo(tmp_path / "demo", config=None, customers=10, days=5, seed=3, lang="en",
                      progress=lambda *a: steps.append(a))  # fmt: skip
    assert fake.ingest_calls == [
        ("csv", "customers.csv", "customers"),
        ("csv", "contacts.csv", "contacts"),
        ("ga4", "events.parquet", None),
        ("zendesk", "tickets.jsonl", None),
    ]
    assert result.fresh_store
    assert result.report_path == (tmp_path / "demo" / "report.html").resolve()
    html = result.report_path.read_text(encoding="utf-8")
    assert translate("section.ingest_log.title", "en") in html and "tickets.jsonl" in html
    assert result.store_url == f"duckdb://{(tmp_path / 'demo' / STORE_FILE).resolve()}"
    assert result.tables_written == ["result_overview", "result_events_daily", "result_stage_daily"]
    assert [s for s in steps if s[0] == "demo"] == [("demo", i, 4) for i in range(5)]
    assert list(result.seconds) == ["simulate", "ingest", "analyze", "report"]
    saved = json.loads((tmp_path / "demo" / CONFIG_FILE).read_text(encoding="utf-8"))
    assert saved == {"customers": 10, "days": 5, "seed": 3}
    assert "0 files already ingested" in result.summary()
    assert "result_stage_daily" in result.summary()


def test_rerun_with_the_same_config_reuses_the_store(fake: Recorder, tmp_path: Path) -> None:
    run_demo(tmp_path, config=None, customers=10, days=5, seed=3, lang="ja",
             progress=lambda *a: None)  # fmt: skip
    again = run_demo(tmp_path, config=None, customers=10, days=5, seed=3, lang="ja",
                     progress=lambda *a: None)  # fmt: skip
    assert not again.fresh_store
    assert all(r.skipped for r in again.ingested)
    assert len(ingest_log_files(tmp_path)) == 4  # nothing ingested twice
    assert "4 files already ingested" in again.summary()


@pytest.mark.parametrize(
    "change", [{"seed": 4}, {"customers": 11}, {"days": 6}], ids=["seed", "customers", "days"]
)
def test_a_changed_config_starts_from_a_fresh_store(
    fake: Recorder, tmp_path: Path, change: dict[str, int]
) -> None:
    run_demo(tmp_path, config=None, customers=10, days=5, seed=3, lang="ja",
             progress=lambda *a: None)  # fmt: skip
    kz = kizuki.open(f"duckdb://{tmp_path / STORE_FILE}")
    kz.store.write_table("stray", pa.table({"x": [1]}))
    kz.close()
    args = {"customers": 10, "days": 5, "seed": 3, **change}
    result = run_demo(tmp_path, config=None, lang="ja", progress=lambda *a: None, **args)
    assert result.fresh_store
    kz = kizuki.open(result.store_url)
    assert "stray" not in kz.store.list_tables()
    kz.close()
    assert len(ingest_log_files(tmp_path)) == 4
    assert json.loads((tmp_path / CONFIG_FILE).read_text(encoding="utf-8")) == args


def test_a_store_without_its_config_file_is_replaced(fake: Recorder, tmp_path: Path) -> None:
    run_demo(tmp_path, config=None, customers=10, days=5, seed=3, lang="ja",
             progress=lambda *a: None)  # fmt: skip
    (tmp_path / CONFIG_FILE).unlink()
    result = run_demo(tmp_path, config=None, customers=10, days=5, seed=3, lang="ja",
                      progress=lambda *a: None)  # fmt: skip
    assert result.fresh_store and not any(r.skipped for r in result.ingested)


def test_unknown_language_fails_before_any_work(fake: Recorder, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'xx' is not supported"):
        run_demo(tmp_path / "d", config=None, customers=None, days=None, seed=None, lang="xx",
                 progress=lambda *a: None)  # fmt: skip
    assert fake.ingest_calls == [] and not (tmp_path / "d").exists()


@pytest.mark.slow
def test_demo_end_to_end_with_the_real_simulator_and_connectors(tmp_path: Path) -> None:
    if importlib.util.find_spec("kizuki.ingest.zendesk") is None:
        pytest.skip("the Zendesk connector (kizuki.ingest.zendesk) is not written yet")
    first = run_demo(tmp_path, config=None, customers=150, days=14, seed=11, lang="ja",
                     progress=lambda *a: None)  # fmt: skip
    assert first.fresh_store and first.report_path.exists()
    kz = kizuki.open(first.store_url)
    try:
        overview = kz.overview()
        assert overview["tables"]["events"]["rows"] > 0
        assert overview["tables"]["contacts"]["rows"] > 0
        for row in overview["ingest_log"]:
            assert row["rows_in"] == (
                row["rows_loaded"] + row["rows_duplicate"] + row["rows_quarantined"]
            )
        counts = {t: overview["tables"][t]["rows"] for t in overview["tables"]}
    finally:
        kz.close()
    again = run_demo(tmp_path, config=None, customers=150, days=14, seed=11, lang="en",
                     progress=lambda *a: None)  # fmt: skip
    assert not again.fresh_store and all(r.skipped for r in again.ingested)
    kz = kizuki.open(again.store_url)
    try:
        assert {t: v["rows"] for t, v in kz.overview()["tables"].items()} == counts
    finally:
        kz.close()
    assert "Data overview" in again.report_path.read_text(encoding="utf-8")
