"""``kizuki intents …``: train, measure, apply and explore intent models (contact reasons)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from kizuki.cli.options import EncodingOpt, JsonOpt, StoreOpt, open_kizuki, out
from kizuki.errors import ConfigError

__all__ = ["app"]

app = typer.Typer(
    help="Contact reasons: train, evaluate and apply intent models; discover topics.",
    no_args_is_help=True,
)


class ModelKind(StrEnum):
    """Intent models ``--model`` chooses from."""

    auto = "auto"
    tfidf = "tfidf"
    encoder = "encoder"


ModelOpt = Annotated[
    ModelKind,
    typer.Option(
        "--model",
        envvar="KIZUKI_INTENT_MODEL",
        help="auto: chosen by language, data size and --time-budget (says what it picked); "
        "tfidf: word and character TF-IDF with a linear SVM (seconds); encoder: also fine-tune "
        "the packaged MiniLM sentence encoder (English; kizuki[embed]; minutes on a CPU).",
    ),
]
TimeBudgetOpt = Annotated[
    float,
    typer.Option(
        "--time-budget",
        help="Seconds --model auto may spend fine-tuning the encoder; also its hard limit.",
        min=1.0,
    ),
]


class TextSource(StrEnum):
    """Store texts that ``kizuki intents discover`` can read."""

    contacts = "contacts"
    searches = "searches"


@app.command("train")
def train(
    out_file: Annotated[Path, typer.Option("--out", help="Model file to write.")],
    data: Annotated[
        Path | None,
        typer.Option("--data", help="CSV with columns text,intent (default: the store's labels)."),
    ] = None,
    store: StoreOpt = None,
    encoding: EncodingOpt = "utf-8",
    oos_label: Annotated[
        str, typer.Option("--oos-label", help="Label of the model's out-of-scope answer.")
    ] = "out_of_scope",
    model: ModelOpt = ModelKind.auto,
    time_budget: TimeBudgetOpt = 600.0,
) -> None:
    """Train an intent model on labelled texts and save it (use it with `analyze --intent-model`).

    The labelled texts are a CSV file (--data) or, without one, the store's labelled contacts.
    """
    import time

    from kizuki.models.evaluate import read_labelled_csv

    kz = open_kizuki(store)
    frame = read_labelled_csv(data, encoding=encoding) if data else kz.labelled_texts()
    choice = kz.intent_model_choice(frame, model.value, time_budget_s=time_budget)
    out.print(f"model: {choice.model} ({choice.reason})", highlight=False)
    started = time.perf_counter()
    classifier = kz.train_intent_model(
        frame, oos_label=oos_label, model=choice.model, time_budget_s=time_budget
    )
    seconds = time.perf_counter() - started
    path = classifier.save(out_file)
    out.print(
        f"trained on {len(frame):,} texts, {frame['intent'].nunique()} intents in "
        f"{seconds:.1f} s ({len(frame) / max(seconds, 1e-9):,.0f} texts/s; features "
        f"{classifier.features_}); model: {Path(path).resolve()}",
        highlight=False,
    )


@app.command("evaluate")
def evaluate(
    train_file: Annotated[Path, typer.Option("--train", help="Training CSV (text,intent).")],
    test_file: Annotated[Path, typer.Option("--test", help="Test CSV (text,intent).")],
    oos_label: Annotated[
        str | None,
        typer.Option("--oos-label", help="Label that marks out-of-scope texts in the files."),
    ] = None,
    model: ModelOpt = ModelKind.auto,
    time_budget: TimeBudgetOpt = 600.0,
    as_json: JsonOpt = False,
    encoding: EncodingOpt = "utf-8",
) -> None:
    """Train on one labelled file and score the other: accuracy (a refused text counts as
    wrong), closed accuracy (the threshold left out), macro-F1 and, with out-of-scope texts in
    the test file, in-scope accuracy, out-of-scope recall and AUROC."""
    from kizuki.models.evaluate import evaluate_intents, read_labelled_csv

    train_df = read_labelled_csv(train_file, encoding=encoding)
    test_df = read_labelled_csv(test_file, encoding=encoding)
    scores = evaluate_intents(
        train_df, test_df, oos_label=oos_label, model_kind=model.value, time_budget_s=time_budget
    )
    if as_json:
        out.print_json(json.dumps(scores))
        return
    out.print(f"model: {scores['model']} ({scores['model_reason']})", highlight=False)
    for key in (
        "accuracy",
        "closed_accuracy",
        "macro_f1",
        "in_scope_accuracy",
        "oos_recall",
        "oos_precision",
        "auroc",
    ):
        value = scores.get(key)
        if key in scores:
            out.print(f"{key:<18} {'—' if value is None else f'{value:.4f}'}")
    out.print(
        f"{'test_rows':<18} {scores['n']:,}\n{'train_rows':<18} {scores['train_rows']:,}\n"
        f"{'intents':<18} {scores['intents']}\n"
        f"{'threshold':<18} {scores['threshold']:.4f}\n"
        f"{'features':<18} {scores['features']}\n"
        f"{'fit_seconds':<18} {scores['fit_seconds']}\n"
        f"{'train_per_s':<18} {scores['train_texts_per_second']}\n"
        f"{'predict_per_s':<18} {scores['predict_texts_per_second']}"
    )
    if scores["unseen_intents"]:
        out.print(f"intents in the test file but not in training: {scores['unseen_intents']}")


@app.command("predict")
def predict(
    model_file: Annotated[Path, typer.Option("--model", help="Model file from `intents train`.")],
    texts: Annotated[
        list[str] | None, typer.Argument(help="Texts to classify (default: lines of stdin).")
    ] = None,
) -> None:
    """Print the intent and confidence of each text (tab-separated)."""
    import numpy as np

    from kizuki.models.intents import IntentClassifier

    model = IntentClassifier.load(model_file)
    lines = texts if texts else [line.rstrip("\n") for line in sys.stdin]
    if not lines:
        return
    proba = np.asarray(model.in_scope_proba(lines))
    for text, intent, p in zip(lines, model.predict(lines), proba.max(axis=1), strict=True):
        sys.stdout.write(f"{intent}\t{p:.3f}\t{text}\n")


@app.command("discover")
def discover(
    data: Annotated[
        Path | None, typer.Argument(help="CSV file of texts (default: the store's texts).")
    ] = None,
    column: Annotated[str, typer.Option("--column", help="Text column of the CSV.")] = "text",
    store: StoreOpt = None,
    source: Annotated[
        TextSource, typer.Option("--source", help="Store texts to group: contacts or searches.")
    ] = TextSource.contacts,
    topics: Annotated[
        int | None,
        typer.Option("--topics", help="Number of topics (default: chosen from the texts)."),
    ] = None,
    examples: Annotated[int, typer.Option("--examples", help="Examples per topic.")] = 3,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            help="Seed of every random step: the same texts and seed give the same topics.",
        ),
    ] = 0,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write a text,intent CSV (intent = the topic's label) to review and "
            "pass to `kizuki intents train --data`.",
        ),
    ] = None,
    as_json: JsonOpt = False,
    encoding: EncodingOpt = "utf-8",
) -> None:
    """Group unlabelled texts into topics with labels and examples.

    Texts are grouped by their topic words: Japanese by part of speech,
    without particles or request words such as 教える or 必要; redaction
    placeholders such as <PHONE> and numbers are left out. The number of
    topics is chosen unless --topics is given.

    Runs are repeatable: the same texts, --seed and Kizuki version give
    the same topics. With --out the topics become intent labels: rename
    or merge them in the file, then `kizuki intents train --data FILE`.
    """
    from kizuki.models.topics import IntentDiscoverer

    texts = _csv_texts(data, column, encoding) if data else open_kizuki(store).texts(source.value)
    if len(texts) < 2:
        raise ConfigError(f"need at least 2 texts to group; found {len(texts)}")
    model = IntentDiscoverer(n_topics=topics, random_state=seed).fit(texts)
    if out_file is not None:
        _write_intents(out_file, texts, model.intent_labels())
    rows: list[dict[str, Any]] = [
        {
            "topic": int(t.topic_id),
            "size": int(t.size),
            "label": t.label,
            "examples": list(t.examples)[:examples],
        }
        for t in model.topics_
    ]
    if as_json:
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    out.print(f"{len(texts):,} texts in {len(rows)} topics")
    for row in sorted(rows, key=lambda r: -r["size"]):
        out.print(
            f"\n[bold]{row['topic']}[/bold] ({row['size']:,}) {row['label']}",
            highlight=False,
        )
        for ex in row["examples"]:
            out.print(f"  - {ex[:160]}", highlight=False, markup=False)
    if out_file is not None:
        out.print(f"\nwrote {len(texts):,} texts with their topic as intent: {out_file}")


def _write_intents(path: Path, texts: list[str], intents: list[str]) -> None:
    """Write ``text,intent`` rows as UTF-8 CSV; ConfigError if the file cannot be written."""
    import pandas as pd

    try:
        pd.DataFrame({"text": texts, "intent": intents}).to_csv(path, index=False)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None


def _csv_texts(path: Path, column: str, encoding: str) -> list[str]:
    """The non-blank texts of ``column`` of the CSV file ``path``."""
    import pandas as pd

    try:
        frame = pd.read_csv(path, encoding=encoding, dtype=str)
    except FileNotFoundError:
        raise ConfigError(f"text file {path} does not exist") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ConfigError(f"{path}: not a readable {encoding} CSV file ({exc})") from None
    if column not in frame.columns:
        raise ConfigError(f"{path}: no column {column!r}; found {list(frame)}")
    return [t for t in frame[column].fillna("").tolist() if t.strip()]


from kizuki.cli.intents_label import label_next  # noqa: E402

app.command("label-next")(label_next)
