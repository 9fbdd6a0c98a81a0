"""``kizuki intents label-next``: a CSV of the texts to label next, from a store or from files,
that ``kizuki intents train --data`` takes back once filled in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("sklearn")
pytest.importorskip("sudachipy")

from kizuki.cli import app
from kizuki.cli.options import state
from kizuki.models.intents import IntentClassifier
from kizuki.store import open_store

runner = CliRunner()

PHRASES = {
    "login": ["cannot log in", "login fails again", "ログインできない", "log in error"],
    "invoice": ["invoice pdf broken", "請求書が崩れる", "invoice layout wrong", "請求書PDF"],
    "cancel": ["cancel my plan", "解約したい", "stop my subscription", "退会方法"],
}
LABELLED = [(t, i) for i, ts in PHRASES.items() for t in ts]
UNLABELLED = [
    "cannot log in to see my invoice",
    "請求書を見てから解約したい",
    "ログインできないので退会したい",
    "login error on the invoice page",
    "where do I cancel",
]
COLUMNS = ["text", "guess", "confidence", "intent", "why"]


@pytest.fixture(autouse=True)
def _one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Train in this process: worker processes take longer to start than the model to fit."""
    monkeypatch.setenv("LOKY_MAX_CPU_COUNT", "1")


def _store(tmp_path: Path, build_table: Any, labelled: bool = True) -> str:
    rows = [
        {"contact_id": f"c{k:02d}", "text": text, "intent": intent if labelled else None}
        for k, (text, intent) in enumerate(LABELLED)
    ]
    rows += [
        {"contact_id": f"u{k:02d}", "text": text, "intent": None}
        for k, text in enumerate(UNLABELLED)
    ]
    url = f"duckdb://{tmp_path / 'k.duckdb'}"
    store = open_store(url)
    store.write_table("contacts", build_table("contacts", rows))
    store.close()
    return url


def _csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_store_contacts_the_model_is_least_sure_of(tmp_path: Path, build_table: Any) -> None:
    url = _store(tmp_path, build_table)
    out = tmp_path / "next.csv"
    result = runner.invoke(
        app, ["intents", "label-next", "--store", url, "--n", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "least sure of" in result.output and "trained on 12 labels, 3 intents" in result.output
    table = _read(out)
    assert list(table.columns) == ["contact_id", *COLUMNS]
    assert len(table) == 2
    assert set(table["contact_id"]) <= {f"u{k:02d}" for k in range(len(UNLABELLED))}
    assert set(table["guess"]) <= set(PHRASES)
    assert (table["intent"] == "").all()
    assert table["why"].str.startswith("uncertain: ").all()
    assert all(0 <= float(c) <= 1 for c in table["confidence"])


def test_a_store_without_labels_is_a_cold_start(tmp_path: Path, build_table: Any) -> None:
    url = _store(tmp_path, build_table, labelled=False)
    out = tmp_path / "next.csv"
    result = runner.invoke(
        app, ["intents", "label-next", "--store", url, "--n", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "cold start" in result.output
    table = _read(out)
    assert len(table) == 3 and (table["guess"] == "").all()
    assert table["why"].str.contains("no labels yet").all()


def test_files_instead_of_a_store_and_labels_are_not_chosen_again(tmp_path: Path) -> None:
    first = _csv(tmp_path / "a.csv", pd.DataFrame(LABELLED[:6], columns=["text", "intent"]))
    second = _csv(tmp_path / "b.csv", pd.DataFrame(LABELLED[6:], columns=["text", "intent"]))
    pool = _csv(tmp_path / "pool.csv", pd.DataFrame({"text": [*UNLABELLED, LABELLED[0][0]]}))
    out = tmp_path / "next.csv"
    args = ["intents", "label-next", "--data", str(pool), "--out", str(out), "--n", "10"]
    result = runner.invoke(app, [*args, "--labels", str(first), "--labels", str(second)])
    assert result.exit_code == 0, result.output
    table = _read(out)
    assert list(table.columns) == COLUMNS
    assert sorted(table["text"]) == sorted(UNLABELLED)
    assert not (tmp_path / "kizuki.duckdb").exists()


def test_a_saved_model_chooses(tmp_path: Path) -> None:
    texts, intents = zip(*LABELLED, strict=True)
    model = IntentClassifier(oos_threshold=None).fit(list(texts), list(intents))
    path = model.save(tmp_path / "m.joblib")
    pool = _csv(tmp_path / "pool.csv", pd.DataFrame({"body": UNLABELLED}))
    out = tmp_path / "next.csv"
    result = runner.invoke(
        app,
        [
            *("intents", "label-next", "--data", str(pool), "--column", "body"),
            *("--model", str(path), "--out", str(out), "--n", "2", "--seed", "3"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"the model {path} is least sure of" in result.output
    assert len(_read(out)) == 2


def test_the_filled_csv_trains_a_model_and_blank_rows_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # `intents train` opens the default store
    pool = _csv(tmp_path / "pool.csv", pd.DataFrame({"text": UNLABELLED}))
    out = tmp_path / "next.csv"
    result = runner.invoke(
        app, ["intents", "label-next", "--data", str(pool), "--out", str(out), "--n", "5"]
    )
    assert result.exit_code == 0, result.output
    table = _read(out)
    fill = {UNLABELLED[0]: "login", UNLABELLED[1]: "invoice", UNLABELLED[4]: "cancel"}
    table["intent"] = table["text"].map(fill).fillna("")
    table.to_csv(out, index=False)
    model = tmp_path / "m.joblib"
    trained = runner.invoke(app, ["intents", "train", "--data", str(out), "--out", str(model)])
    assert trained.exit_code == 0, trained.output
    assert "trained on 3 texts, 3 intents" in trained.output
    assert list(IntentClassifier.load(model).classes_) == ["cancel", "invoice", "login"]


def test_progress_is_shown_on_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state, "force_progress", True)
    labels = _csv(tmp_path / "l.csv", pd.DataFrame(LABELLED, columns=["text", "intent"]))
    pool = _csv(tmp_path / "pool.csv", pd.DataFrame({"text": UNLABELLED}))
    result = runner.invoke(
        app,
        [
            *("intents", "label-next", "--data", str(pool), "--labels", str(labels)),
            *("--out", str(tmp_path / "next.csv")),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "training the intent model on 12 labels" in result.output
    assert "scoring unlabelled texts" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--n", "0"], "--n must be at least 1; got 0"),
        (["--data", "missing.csv"], "text file missing.csv does not exist"),
        (["--data", "pool.csv", "--column", "body"], "no column 'body'; found ['text']"),
        (["--data", "pool.csv", "--labels", "nope.csv"], "labelled file nope.csv does not exist"),
        (["--data", "pool.csv", "--model", "nope.joblib"], "nope.joblib"),
    ],
    ids=["n-zero", "data-missing", "no-text-column", "labels-missing", "model-missing"],
)
def test_bad_input_is_one_line_and_exit_code_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    _csv(tmp_path / "pool.csv", pd.DataFrame({"text": UNLABELLED}))
    result = runner.invoke(app, ["intents", "label-next", *args])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "label-next.csv").exists()
