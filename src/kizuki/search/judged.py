"""Judged queries from files: the JSON layout of localgovFAQ and of many retrieval benchmarks.

- ``corpus.json``: ``{"doc_id": "Question: <title>\\nAnswer: <body>"}`` (a text without those
  markers: its first line is the title, the rest the body); a value may also be an object with
  ``title`` and ``body`` (or ``text``).
- ``queries.json``: ``{"query_id": "<query text>"}``.
- ``qrels.json``: ``{"query_id": {"doc_id": grade}}``, grade ≥ 1 relevant (2 = contains the
  answer, 1 = related, in localgovFAQ).

Examples
--------
>>> split_faq("Question: 住民票の写しを取りたい\\nAnswer: ■窓口で請求できます。")
('住民票の写しを取りたい', '■窓口で請求できます。')
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kizuki.errors import ConfigError, NotFoundError

__all__ = ["JudgedSet", "read_corpus", "read_judged", "read_qrels", "read_queries", "split_faq"]


@dataclass(frozen=True)
class JudgedSet:
    """Articles (``content_id, title, body``), queries (id → text) and judgements."""

    docs: pd.DataFrame
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def split_faq(text: str) -> tuple[str, str]:
    """``(title, body)`` of a ``"Question: …\\nAnswer: …"`` text (else first line, the rest)."""
    text = text.strip()
    if text.startswith("Question:") and "Answer:" in text:
        question, answer = text[len("Question:") :].split("Answer:", 1)
        return question.strip(), answer.strip()
    title, _, body = text.partition("\n")
    return title.strip(), body.strip()


def read_corpus(path: str | Path) -> pd.DataFrame:
    """The articles of a corpus file: ``content_id, title, body``."""
    data = _read_object(path, "corpus")
    rows = []
    for doc_id, value in data.items():
        if isinstance(value, str):
            title, body = split_faq(value)
        elif isinstance(value, dict):
            title = str(value.get("title") or "")
            body = str(value.get("body") or value.get("text") or "")
        else:
            raise ConfigError(
                f"{path}: document {doc_id!r} is a {type(value).__name__}; expected a text "
                "or an object with title and body"
            )
        rows.append((str(doc_id), title, body))
    return pd.DataFrame(rows, columns=["content_id", "title", "body"])


def read_queries(path: str | Path) -> dict[str, str]:
    """The queries of a queries file: id → text."""
    data = _read_object(path, "queries")
    bad = [k for k, v in data.items() if not isinstance(v, str)]
    if bad:
        raise ConfigError(f"{path}: query {bad[0]!r} is not a text; expected {{id: text}}")
    return {str(k): v for k, v in data.items()}


def read_qrels(path: str | Path) -> dict[str, dict[str, int]]:
    """The judgements of a qrels file: query id → {doc id: grade}."""
    data = _read_object(path, "qrels")
    qrels: dict[str, dict[str, int]] = {}
    for qid, judged in data.items():
        if not isinstance(judged, dict):
            raise ConfigError(
                f"{path}: judgements of query {qid!r} are a {type(judged).__name__}; "
                'expected {"doc_id": grade}'
            )
        try:
            qrels[str(qid)] = {str(d): int(g) for d, g in judged.items()}
        except (TypeError, ValueError):
            raise ConfigError(
                f"{path}: query {qid!r} has a grade that is not a whole number: {judged}"
            ) from None
    return qrels


def read_judged(corpus: str | Path, queries: str | Path, qrels: str | Path) -> JudgedSet:
    """The three files of a judged set; ConfigError when a file is not in the layout above."""
    return JudgedSet(read_corpus(corpus), read_queries(queries), read_qrels(qrels))


def _read_object(path: str | Path, what: str) -> dict[str, Any]:
    """The JSON object in ``path``; NotFoundError / ConfigError with the reason."""
    source = Path(path)
    if not source.is_file():
        raise NotFoundError(f"{what} file {source} does not exist")
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{source}: not a UTF-8 JSON file ({exc})") from None
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{source}: expected a non-empty JSON object of {what}")
    return data
