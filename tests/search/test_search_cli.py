"""``kizuki search QUERY`` and ``kizuki search evaluate``, and the core methods behind them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kizuki
from kizuki.cli import app
from kizuki.errors import ConfigError

runner = CliRunner()


def test_search_prints_the_top_articles(store_url: str) -> None:
    result = runner.invoke(app, ["search", "パスワード 忘れた", "--store", store_url, "--no-dense"])
    assert result.exit_code == 0, result.output
    assert "パスワードを忘れた場合" in result.output
    assert "score" in result.output


def test_search_json_lists_k_articles(store_url: str) -> None:
    result = runner.invoke(
        app, ["search", "--store", store_url, "--k", "2", "--json", "--no-dense", "請求書"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 2
    assert rows[0]["content_id"] == "bill"
    assert set(rows[0]) >= {"rank", "content_id", "title", "score", "url"}


def test_the_word_evaluate_can_be_searched_with_query(store_url: str) -> None:
    result = runner.invoke(app, ["search", "query", "evaluate", "--store", store_url, "--no-dense"])
    assert result.exit_code == 0, result.output


def test_search_evaluate_prints_the_metrics(judged_files: tuple[Path, Path, Path]) -> None:
    corpus, queries, qrels = judged_files
    args = ["search", "evaluate", "--corpus", str(corpus), "--queries", str(queries)]
    result = runner.invoke(app, [*args, "--qrels", str(qrels), "--no-dense"])
    assert result.exit_code == 0, result.output
    for key in ("hit@1", "hit@5", "mrr", "ndcg@10"):
        assert key in result.output
    result = runner.invoke(app, [*args, "--qrels", str(qrels), "--no-dense", "--json"])
    scores = json.loads(result.output)
    assert scores["n"] == 3
    assert scores["hit@1"] == 1.0


def test_search_evaluate_with_a_missing_file_is_one_line(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.json")
    result = runner.invoke(
        app, ["search", "evaluate", "--corpus", missing, "--queries", missing, "--qrels", missing]
    )
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_search_on_a_store_without_content_is_one_line(tmp_path: Path) -> None:
    url = f"duckdb://{tmp_path / 'empty.duckdb'}"
    result = runner.invoke(app, ["search", "anything", "--store", url, "--no-dense"])
    assert result.exit_code == 1
    assert "no help content" in result.output


def test_search_help_names_both_commands() -> None:
    result = runner.invoke(app, ["search", "--help"])
    assert result.exit_code == 0
    assert "evaluate" in result.output and "query" in result.output


def test_core_search_learns_from_the_search_log(store_url: str, tmp_path: Path) -> None:
    log = tmp_path / "searches.csv"
    rows = ["search_id,ts,query,clicked_content_id"]
    rows += [f"s{i},2026-01-0{1 + i % 9}T00:00:00Z,粗大な廃棄物 {i},garbage" for i in range(3)]
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with kizuki.open(store_url) as kz:
        before = kz.search_index(dense=False)
        assert "clicks_words" not in before.signals_
        kz.ingest("csv", [log], table="searches")
        after = kz.search_index(dense=False)
        assert after is not before and "clicks_words" in after.signals_
        assert kz.search_index(dense=False) is after  # cached until the data change
        assert after.search("粗大な廃棄物", k=1)["content_id"].iloc[0] == "garbage"


def test_core_evaluate_search(judged_files: tuple[Path, Path, Path]) -> None:
    with kizuki.open("duckdb://") as kz:
        scores = kz.evaluate_search(*judged_files, dense=False)
    assert scores["n"] == 3 and scores["articles"] == 7


def test_core_search_on_an_empty_store_is_a_config_error() -> None:
    with kizuki.open("duckdb://") as kz, pytest.raises(ConfigError, match="no help content"):
        kz.search("x")
