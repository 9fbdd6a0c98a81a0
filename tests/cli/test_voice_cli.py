"""``kizuki sentiment`` (texts in, labels out; no store) and ``kizuki voice`` on an analysed
store."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kizuki.cli import app

runner = CliRunner()


def test_sentiment_of_texts_in_both_languages() -> None:
    result = runner.invoke(app, ["sentiment", "とても使いやすいです", "Awful, still broken"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("positive") and "とても使いやすいです" in lines[0]
    assert lines[1].startswith("negative")


def test_sentiment_reads_stdin_and_writes_json() -> None:
    result = runner.invoke(
        app, ["sentiment", "--json"], input="ログインできない\n\n住所の変更方法\n"
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["sentiment"] for r in rows] == ["negative", "neutral"]
    assert rows[0]["polarity"] < 0 and rows[0]["text"] == "ログインできない"


def test_sentiment_without_texts_is_one_line_error() -> None:
    result = runner.invoke(app, ["sentiment"], input="")
    assert result.exit_code == 1
    assert "give texts as arguments" in result.output


def test_voice_before_analyze_says_what_to_do(tmp_path: object) -> None:
    result = runner.invoke(app, ["voice", "--store", f"duckdb://{tmp_path}/s.duckdb"])
    assert result.exit_code == 1
    assert "kizuki analyze" in result.output
