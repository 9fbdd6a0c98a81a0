"""``kizuki staffing``: the worked example in text and JSON, Erlang A, and a clear error."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kizuki.cli import app

runner = CliRunner()
EXAMPLE = ["staffing", "--arrivals-per-hour", "200", "--aht-seconds", "180"]


def test_prints_agents_service_level_and_speed_of_answer() -> None:
    result = runner.invoke(app, EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "agents             14" in result.output
    assert "88.8% within 20 s" in result.output
    assert "asa_seconds        7.8" in result.output


def test_json_with_a_stricter_target() -> None:
    args = [*EXAMPLE, "--target-sl", "0.9", "--within-seconds", "20", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["agents"] == 15 and record["model"] == "erlang_c"
    assert record["service_level"] >= 0.9


def test_patience_switches_to_erlang_a() -> None:
    result = runner.invoke(app, [*EXAMPLE, "--patience-seconds", "120", "--json"])
    record = json.loads(result.output)
    assert record["model"] == "erlang_a" and record["abandonment"] > 0
    assert record["agents"] < 14  # customers who hang up leave room for the rest


def test_bad_target_is_one_line_error() -> None:
    result = runner.invoke(app, [*EXAMPLE, "--target-sl", "80"])
    assert result.exit_code == 1
    assert "between 0 and 1" in result.output


def test_store_plans_each_hour_from_the_contacts(demo_store: str) -> None:
    result = runner.invoke(app, ["staffing", "--store", demo_store, "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan and {r["channel"] for r in plan} <= {"chat", "phone"}
    assert all(r["agents"] >= r["agents_if_self_service"] >= 0 for r in plan)
    text = runner.invoke(app, ["staffing", "--store", demo_store])
    assert "agent hours a typical week" in text.output


def test_rates_or_a_store_are_needed() -> None:
    result = runner.invoke(app, ["staffing", "--arrivals-per-hour", "200"])
    assert result.exit_code == 1
    assert "--store" in result.output
