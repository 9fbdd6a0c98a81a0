"""Reading judged sets in the JSON layout of localgovFAQ."""

from __future__ import annotations

from pathlib import Path

import pytest

from kizuki.errors import ConfigError, NotFoundError
from kizuki.search import read_judged
from kizuki.search.judged import split_faq


def test_question_and_answer_become_title_and_body(judged_files: tuple[Path, Path, Path]) -> None:
    judged = read_judged(*judged_files)
    row = judged.docs.set_index("content_id").loc["pw"]
    assert row["title"] == "パスワードを忘れた場合"
    assert row["body"].startswith("ログイン画面")
    assert judged.queries["0"] == "パスワード忘れた"
    assert judged.qrels["1"] == {"bill": 2, "cancel": 0}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Question: 質問\nAnswer: 回答\n", ("質問", "回答"), id="faq"),
        pytest.param("題名\n本文\n続き", ("題名", "本文\n続き"), id="plain"),
        pytest.param("題名だけ", ("題名だけ", ""), id="title-only"),
    ],
)
def test_split_faq(text: str, expected: tuple[str, str]) -> None:
    assert split_faq(text) == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("{not json", "not a UTF-8 JSON", id="bad-json"),
        pytest.param("[]", "non-empty JSON object", id="list"),
        pytest.param('{"q": {"d": "high"}}', "whole number", id="bad-grade"),
        pytest.param('{"q": ["d"]}', "expected", id="bad-judgements"),
    ],
)
def test_bad_qrels_are_config_errors(tmp_path: Path, content: str, message: str) -> None:
    corpus, queries, _ = (tmp_path / n for n in ("c.json", "q.json", "r.json"))
    corpus.write_text('{"1": "Question: a\\nAnswer: b"}', encoding="utf-8")
    queries.write_text('{"q": "a"}', encoding="utf-8")
    (tmp_path / "r.json").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        read_judged(corpus, queries, tmp_path / "r.json")


def test_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="corpus file"):
        read_judged(tmp_path / "c.json", tmp_path / "q.json", tmp_path / "r.json")
