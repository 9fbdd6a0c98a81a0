"""The analysis pipeline on a small simulated store: every declared table written as declared,
the run recorded with its settings, steps skipped when their inputs are empty."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from contact_scenario import contacts, searches
from pydantic import BaseModel

import kizuki
from kizuki.analytics.contact_reasons import IntentConfig
from kizuki.analytics.identity import browser_links, resolve_contacts
from kizuki.analytics.journey_stream import journey_events
from kizuki.analytics.pipeline import STEPS, run_pipeline
from kizuki.analytics.signals import ACTIVITY_SIGNALS, SignalConfig, signals_from_events
from kizuki.analytics.silent import silent_customers
from kizuki.core import Kizuki
from kizuki.errors import NotFoundError
from kizuki.journey import load_journey
from kizuki.schema import RESULT_TABLES, RUNS_TABLE, result_columns, result_ibis_schema
from kizuki.settings import AnalyzeSettings, leaf_settings
from kizuki.store import open_store

Analyzed = tuple[Kizuki, list[str], list[tuple[str, float, float | None]]]
ANALYSES = [name for name in RESULT_TABLES if name != RUNS_TABLE]
CONTACT_REASONS = [t for s in STEPS if s.name in ("intents", "intent_trends") for t in s.writes]


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Kizuki:
    from kizuki.simulate import load_config, simulate_company

    directory = tmp_path_factory.mktemp("pipeline")
    sim = simulate_company(load_config(None, customers=300, days=30, seed=7), directory / "data")
    kz = kizuki.open(f"duckdb://{Path(directory) / 'kizuki.duckdb'}")
    for table, path in sim.canonical_files:
        kz.ingest("csv", [path], table=table)
    kz.ingest("ga4", [sim.ga4_file])
    kz.ingest("zendesk", [sim.zendesk_file])
    return kz


@pytest.fixture(scope="module")
def analyzed(
    small_store: Kizuki,
) -> Analyzed:
    calls: list[tuple[str, float, float | None]] = []
    written = small_store.analyze(
        journey="demo", progress=lambda step, done, total: calls.append((step, done, total))
    )
    return small_store, written, calls


def test_every_declared_result_is_written_in_declared_order(
    analyzed: Analyzed,
) -> None:
    kz, written, calls = analyzed
    assert written == ANALYSES
    n = len(STEPS)
    assert calls[0] == ("analyze", 0, n) and calls[-1] == ("analyze", n, n)
    assert kz.friction_points()["sessions"].sum() > 0


@pytest.mark.parametrize("name", ANALYSES)
def test_each_result_table_has_its_declared_columns_and_types(
    analyzed: Analyzed, name: str
) -> None:
    kz = analyzed[0]
    stored = kz.store.table(name).schema()
    declared = result_ibis_schema(name)
    assert tuple(stored.names) == result_columns(name)
    for column in declared.names:
        have, want = stored[column], declared[column]
        if want.is_timestamp():
            assert have.is_timestamp() and have.timezone in ("UTC", "Etc/UTC"), column
        else:
            assert have.copy(nullable=True) == want.copy(nullable=True), column
    assert tuple(kz.result(name).columns) == result_columns(name)


@pytest.mark.parametrize("name", [n for n in ANALYSES if RESULT_TABLES[n].key])
def test_each_result_table_has_one_row_per_declared_key(analyzed: Analyzed, name: str) -> None:
    frame = analyzed[0].result(name)
    key = list(RESULT_TABLES[name].key)
    # this small store has no new topics, and no intent with the 20 attempts the mismatch
    # ranking needs
    assert len(frame) > 0 or name in (
        "result_new_topics",
        "result_selfservice_mismatch",
        "result_kpi_alerts",  # a small store has too few survey answers for an alert
        "result_voice_spikes",  # …and too few days and texts for a spike
        "result_voice_topics",  # …or negative mentions no intent covers
    ), name
    assert not frame.duplicated(key).any(), f"{name}: {key} is not unique"


def test_the_run_is_recorded_with_its_settings_inputs_and_tables(
    analyzed: Analyzed,
) -> None:
    kz, written, _ = analyzed
    run = kz.last_run()
    assert run is not None and run.status == "completed"
    assert run.kizuki_version == kizuki.__version__
    assert run.finished_at >= run.started_at
    assert run.settings == kz.settings.analyze.model_copy(update={"journey": "demo"})
    assert run.journey["stages"][0]["name"] == "visit"  # the demo map, not the default
    assert run.inputs["events"] == kz.overview()["tables"]["events"]["rows"]
    assert run.tables_written == written
    assert [s["step"] for s in run.steps] == [s.name for s in STEPS]
    assert all(s["status"] == "ran" for s in run.steps)


def test_the_estimate_made_beside_the_friction_steps_is_the_direct_one(
    analyzed: Analyzed,
) -> None:
    # the pipeline estimates in a worker thread while the engine computes the friction
    # tables; the table must be the one the plain, one-thread call gives
    kz = analyzed[0]
    journey = load_journey(name="demo")
    t = kz.store.table
    links = browser_links(t("events"), t("identities"))
    stream = journey_events(
        t("events"), t("searches"), journey, content=t("content"), links=links
    ).cache()
    activity = signals_from_events(stream, journey, SignalConfig(signals=ACTIVITY_SIGNALS))
    direct = silent_customers(
        events=stream,
        signals=t("result_signals").union(activity),
        contacts=resolve_contacts(t("contacts"), t("identities"), t("customers")),
        customers=t("customers"),
        subscriptions=t("subscriptions"),
        surveys=t("surveys"),
        incidents=t("incidents"),
        rng=np.random.default_rng(0),
    )
    written = kz.silent_customers()
    assert len(written) > 1
    pd.testing.assert_frame_equal(written, direct, check_dtype=False, check_exact=True)


def test_every_analysis_setting_is_read_by_a_run(
    small_store: Kizuki, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, build_table: Any
) -> None:
    # a setting that no run reads has no effect: record every field read on the config models
    read: set[tuple[str, str]] = set()

    def recording(cls: type[BaseModel]) -> object:
        original = cls.__getattribute__

        def getattribute(self: BaseModel, name: str) -> object:
            if name in cls.model_fields:
                read.add((cls.__name__, name))
            return original(self, name)

        return getattribute

    models: dict[tuple[str, ...], type[BaseModel]] = {(): AnalyzeSettings}
    for name, info in AnalyzeSettings.model_fields.items():
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            models[(name,)] = info.annotation
    for cls in models.values():
        monkeypatch.setattr(cls, "__getattribute__", recording(cls))
    small_store.analyze(settings=AnalyzeSettings(journey="demo"))
    small_store.report(tmp_path / "report.html")
    # new topics need out-of-scope contacts, which this small store lacks: the contact scenario
    reasons = kizuki.open("duckdb://")
    reasons.store.write_table("contacts", build_table("contacts", contacts()))
    reasons.store.write_table("searches", build_table("searches", searches()))
    grouped = IntentConfig(min_new_topic_texts=10, min_new_topic_size=4)
    reasons.analyze(settings=AnalyzeSettings(intents=grouped))
    unread = [
        ".".join(path)
        for path, _ in leaf_settings(AnalyzeSettings)
        if (models[path[:-1]].__name__, path[-1]) not in read
    ]
    assert not unread, f"settings no run reads: {unread}"


def test_a_silent_setting_changes_the_result_and_is_recorded(small_store: Kizuki) -> None:
    base = AnalyzeSettings(journey="demo", contact_reasons=False)
    small_store.analyze(settings=base)
    before = small_store.silent_customers()
    # pages with fewer session units than min_units are not modelled
    fewer = base.model_copy(update={"silent": base.silent.model_copy(update={"min_units": 400})})
    small_store.analyze(settings=fewer)
    after = small_store.silent_customers()
    assert len(after) < len(before)
    run = small_store.last_run()
    assert run is not None and run.settings is not None
    assert run.settings.silent.min_units == 400
    assert json.loads(small_store.runs()["config"].iloc[0])["silent"]["min_units"] == 400


def test_the_seed_comes_from_the_settings(small_store: Kizuki) -> None:
    base = AnalyzeSettings(journey="demo", contact_reasons=False)
    small_store.analyze(settings=base.model_copy(update={"seed": 1}))
    one = small_store.silent_customers()
    small_store.analyze(settings=base.model_copy(update={"seed": 1}))
    again = small_store.silent_customers()
    small_store.analyze(settings=base)
    zero = small_store.silent_customers()
    pd.testing.assert_frame_equal(one, again, check_exact=True)
    assert not one["silent_ci_low"].equals(zero["silent_ci_low"])  # other bootstrap draws


def test_an_error_in_the_estimator_thread_reaches_the_caller_and_the_run_is_recorded(
    small_store: Kizuki, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> pd.DataFrame:
        raise RuntimeError("estimator failed")

    monkeypatch.setattr("kizuki.analytics.pipeline.estimate_silent", fail)
    with pytest.raises(RuntimeError, match="estimator failed"):
        small_store.analyze(journey="demo", contact_reasons=False)
    failed = small_store.runs().iloc[0]
    assert failed["status"] == "failed"
    assert failed["error"] == "RuntimeError: estimator failed"


def test_contact_reasons_can_be_left_out(small_store: Kizuki) -> None:
    calls: list[tuple[str, float, float | None]] = []
    written = small_store.analyze(
        journey="demo",
        contact_reasons=False,
        progress=lambda step, done, total: calls.append((step, done, total)),
    )
    assert written == [name for name in ANALYSES if name not in CONTACT_REASONS]
    n = len(STEPS) - 2  # the two contact-reason steps
    assert calls[-1] == ("analyze", n, n)


def test_steps_without_events_are_skipped_with_a_note() -> None:
    calls: list[str] = []
    store = open_store("duckdb://")
    written = run_pipeline(
        store, AnalyzeSettings(), load_journey(), progress=lambda step, d, t: calls.append(step)
    )
    assert written == ["result_overview", "result_events_daily", "result_stage_daily"]
    assert "analyze: skipped signals (no events)" in calls
    assert "analyze: skipped intents (no contacts)" in calls
    assert "analyze: skipped voice (no surveys or contacts or mentions)" in calls


def test_silent_customers_are_skipped_without_contacts() -> None:
    store = open_store("duckdb://")
    store.duckdb.execute(
        "INSERT INTO events (event_id, ts, anonymous_id, event_name, page_path) VALUES "
        "('e1', TIMESTAMP '2026-01-01 10:00:00', 'v1', 'page_view', '/pricing'),"
        "('e2', TIMESTAMP '2026-01-01 10:01:00', 'v1', 'error', '/signup')"
    )
    calls: list[str] = []
    written = run_pipeline(
        store, AnalyzeSettings(), load_journey(), progress=lambda step, d, t: calls.append(step)
    )
    assert "result_friction_points" in written
    assert "result_silent_customers" not in written
    assert "analyze: skipped silent (no contacts)" in calls


def test_results_before_analyze_say_what_to_do() -> None:
    kz = kizuki.open("duckdb://")
    with pytest.raises(NotFoundError, match="kizuki analyze"):
        kz.friction_points()
    with pytest.raises(NotFoundError, match="result_silent_customers"):
        kz.silent_customers()
    assert kz.last_run() is None


def test_selfservice_results_and_their_export(analyzed: Analyzed, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kizuki.cli import app
    from kizuki.core_selfservice import SELFSERVICE_EXPORT_COLUMNS

    kz = analyzed[0]
    table = kz.selfservice()
    pooled = table[table["channel"] == "self_service"]
    assert len(pooled) > 0
    assert (
        (pooled["ci_low"] <= pooled["success_rate"]) & (pooled["success_rate"] <= pooled["ci_high"])
    ).all()
    # silent failures: the estimate is never above the plain "no contact" rate by much
    assert (pooled["success_rate"] <= pooled["observed_rate"] + 0.05).all()
    assert set(pooled["recommendation"]) <= {"digital_first", "improve_content", "human"}
    path, rows = kz.export_selfservice(tmp_path / "selfservice.csv")
    frame = pd.read_csv(path)
    assert tuple(frame.columns) == SELFSERVICE_EXPORT_COLUMNS and rows == len(table)
    out = tmp_path / "selfservice.json"
    result = CliRunner().invoke(
        app, ["export", "selfservice", "--store", kz.url, "--format", "json", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text(encoding="utf-8"))
    assert len(records) == rows and set(records[0]) == set(SELFSERVICE_EXPORT_COLUMNS)
    gaps = kz.content_gaps()
    assert set(gaps["gap"]) <= {"missing", "not_resolving"}
    # the simulated help centre has no article about CSV import
    assert "csv_import_error" in set(gaps.loc[gaps["gap"] == "missing", "intent"])


def test_voice_results_and_the_voice_command(analyzed: Analyzed) -> None:
    from typer.testing import CliRunner

    from kizuki.cli import app

    kz = analyzed[0]
    voice = kz.voice()
    assert set(voice["source"]) == {"survey", "contact", "mention"}
    assert set(voice["sentiment"]) <= {"negative", "neutral", "positive"}
    assert voice["negative"].between(0, 1).all()
    summary = kz.voice_summary().set_index("source")
    assert summary.loc["all", "texts"] == len(voice)
    assert summary.loc["mention", "texts"] == (voice["source"] == "mention").sum()
    result = CliRunner().invoke(app, ["voice", "--store", kz.url, "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert {r["source"] for r in record["summary"]} == {"survey", "contact", "mention", "all"}
    assert record["model"][0]["texts"] == len(voice)
