"""``kizuki analyze``, ``kizuki runs``, ``kizuki settings`` and ``kizuki journey check``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kizuki.cli import app
from kizuki.store import open_store

runner = CliRunner()


def test_journey_check_lists_unmatched_pages(tmp_path: Path) -> None:
    url = f"duckdb://{tmp_path / 'k.duckdb'}"
    store = open_store(url)
    store.duckdb.execute(
        "INSERT INTO events (event_id, ts, anonymous_id, event_name, page_path) VALUES "
        "('e1', TIMESTAMP '2026-01-01 10:00:00', 'v1', 'page_view', '/zz/unknown-page'),"
        "('e2', TIMESTAMP '2026-01-01 10:01:00', 'v1', 'page_view', '/zz/unknown-page')"
    )
    store.close()
    result = runner.invoke(app, ["journey", "check", "--store", url, "--journey", "demo"])
    assert result.exit_code == 0, result.output
    assert "/zz/unknown-page" in result.output
    assert "1 unmatched" in result.output


def test_journey_check_on_the_demo_store_with_its_own_map(demo_store: str) -> None:
    result = runner.invoke(app, ["journey", "check", "--store", demo_store, "--journey", "demo"])
    assert result.exit_code == 0, result.output
    assert "every page and event" in result.output


def test_analyze_takes_a_journey_and_rejects_a_missing_file(demo_store: str) -> None:
    result = runner.invoke(app, ["analyze", "--store", demo_store, "--journey", "demo"])
    assert result.exit_code == 0, result.output
    assert "result_silent_customers" in result.output
    result = runner.invoke(app, ["analyze", "--store", demo_store, "--journey", "/no/such.yaml"])
    assert result.exit_code == 1
    assert "such.yaml" in result.output


def test_analyze_records_the_run_and_runs_lists_it(demo_store: str, tmp_path: Path) -> None:
    args = ["analyze", "--store", demo_store, "--journey", "demo", "--no-contact-reasons"]
    result = runner.invoke(app, [*args, "--set", "analyze.silent.window_days=9"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["runs", "--store", demo_store, "--json"])
    assert result.exit_code == 0, result.output
    newest = json.loads(result.output)[0]
    assert newest["status"] == "completed"
    assert newest["config"]["silent"]["window_days"] == 9
    assert newest["config"]["journey"] == "demo" and newest["config"]["contact_reasons"] is False
    listed = runner.invoke(app, ["runs", "--store", demo_store])
    assert listed.exit_code == 0, listed.output
    assert newest["run_id"][:8] in listed.output
    assert "intents" in listed.output  # the steps it skipped


def test_a_settings_file_and_variables_reach_analyze(
    demo_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "kizuki.toml"
    config.write_text(
        f'store = "{demo_store}"\n[analyze]\njourney = "demo"\ncontact_reasons = false\n'
        "[analyze.friction]\npath_pages = 2\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("KIZUKI_ANALYZE__FIX_FIRST__HELP_LIFT_MIN", "3.5")
    result = runner.invoke(app, ["--config", str(config), "analyze"])
    assert result.exit_code == 0, result.output
    newest = json.loads(runner.invoke(app, ["runs", "--store", demo_store, "--json"]).output)[0]
    assert newest["config"]["friction"]["path_pages"] == 2
    assert newest["config"]["fix_first"]["help_lift_min"] == 3.5


def test_settings_prints_every_setting_with_its_meaning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIZUKI_LANG", "en")
    result = runner.invoke(app, ["settings", "--set", "analyze.seed=5"])
    assert result.exit_code == 0, result.output
    assert 'lang = "en"' in result.output
    assert "analyze.seed = 5" in result.output
    assert "analyze.silent.window_days = 14" in result.output
    assert "days after a session to count a contact" in result.output


def test_a_bad_setting_is_one_line_naming_the_key() -> None:
    result = runner.invoke(app, ["settings", "--set", "analyze.silent.window_days=0"])
    assert result.exit_code == 1
    assert "analyze.silent.window_days" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["settings", "--set", "analyze.silent.no_such=1"])
    assert result.exit_code == 1
    assert "analyze.silent.no_such" in result.output
