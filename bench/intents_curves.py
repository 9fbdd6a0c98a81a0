"""Learning curves of intent models (issue 20): Kizuki's default against simple peers.

At 5, 10, 20 and 50 examples per intent and with all of them, over 5 draws, on Banking77
(English; official test set) and xSID-ja (Japanese; 399 texts of 9 intents, ``modify_alarm``
with its single example left out). xSID-ja has no training split: a draw takes k texts per
intent (at most all but one, so every intent is tested) and tests on all the others; "all" is
stratified 5-fold cross-validation, one fold per draw. Every model sees the same draws.

Peers (``TfidfVectorizer(sublinear_tf=True)`` + ``LinearSVC()``): character n-grams 1–2,
1–3 and 2–4 (``analyzer="char"``, lower-cased raw text) and words 1–2 (SudachiPy tokens for
Japanese). Kizuki:

- ``kizuki`` — ``IntentClassifier(oos_threshold=None)``: TF-IDF, its feature recipe chosen
  by the data (what ``--model auto`` trains where the encoder is left out: Japanese texts, no
  ``kizuki[embed]``, or over the time budget);
- ``kizuki-auto`` (with ``--auto``) — what ``kizuki intents evaluate --model auto`` trains:
  for English, TF-IDF with the fine-tuned sentence encoder (minutes per fit).

Accuracy is of the most probable intent (no out-of-scope answer).

    .venv/bin/python bench/intents_curves.py                         # TF-IDF rows (~10 min)
    .venv/bin/python bench/intents_curves.py --auto --data banking77 --sizes 10

Prints a Markdown table per data set; writes bench/out/intents_curves.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kizuki.models.intents import IntentClassifier
from kizuki.models.text import tokenize

HERE = Path(__file__).parent
DATASETS = HERE.parent.parent / "shared" / "datasets"
if not DATASETS.is_dir():
    DATASETS = Path("/work/shared/datasets")
PEERS = ("char 1-2", "char 1-3", "char 2-4", "word 1-2")
Split = tuple[tuple[list[str], np.ndarray], tuple[list[str], np.ndarray]]


def peer(name: str, japanese: bool) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    kind, span = name.split()
    low, high = (int(x) for x in span.split("-"))
    options: dict[str, Any] = {"ngram_range": (low, high), "sublinear_tf": True}
    if kind == "char":
        options["analyzer"] = "char"
    elif japanese:
        options.update(tokenizer=tokenize, token_pattern=None, lowercase=False)
    return make_pipeline(TfidfVectorizer(**options), LinearSVC())


def kizuki_auto(texts: list[str]) -> IntentClassifier:
    from kizuki.models.intents.choice import build_intent_classifier, choose_intent_model

    choice = choose_intent_model(texts, "auto", time_budget_s=3600)
    return build_intent_classifier(choice, time_budget_s=3600, oos_threshold=None)


def banking77(size: int | str, draw: int) -> Split:
    train = pd.read_csv(DATASETS / "banking77" / "train.csv")
    test = pd.read_csv(DATASETS / "banking77" / "test.csv")
    if size != "all":
        rng = np.random.default_rng(draw)
        keep = [
            i
            for _, group in train.groupby("category", sort=True)
            for i in rng.choice(group.index.to_numpy(), min(int(size), len(group)), replace=False)
        ]
        train = train.loc[sorted(keep)]
    return (
        (train["text"].astype(str).tolist(), train["category"].to_numpy(dtype=object)),
        (test["text"].astype(str).tolist(), test["category"].to_numpy(dtype=object)),
    )


def xsid_ja(size: int | str, draw: int) -> Split:
    from sklearn.model_selection import StratifiedKFold

    frame = pd.read_csv(DATASETS / "xsid_ja" / "xsid_ja.csv")
    frame = frame[frame["intent"] != "alarm/modify_alarm"].reset_index(drop=True)
    if size == "all":
        with warnings.catch_warnings():  # time_left_on_alarm has 4 texts: not in every fold
            warnings.filterwarnings("ignore", message="The least populated class")
            folds = list(
                StratifiedKFold(5, shuffle=True, random_state=0).split(frame, frame["intent"])
            )
        train_idx, test_idx = folds[draw % 5]
        train, test = frame.iloc[train_idx], frame.iloc[test_idx]
    else:
        rng = np.random.default_rng(draw)
        keep = [
            i
            for _, group in frame.groupby("intent", sort=True)
            for i in rng.choice(
                group.index.to_numpy(), min(int(size), len(group) - 1), replace=False
            )
        ]
        train, test = frame.loc[sorted(keep)], frame.drop(index=keep)
    return (
        (train["text"].astype(str).tolist(), train["intent"].to_numpy(dtype=object)),
        (test["text"].astype(str).tolist(), test["intent"].to_numpy(dtype=object)),
    )


DATA: dict[str, tuple[Callable[[int | str, int], Split], bool]] = {
    "banking77": (banking77, False),
    "xsid-ja": (xsid_ja, True),
}


def accuracy(model: Any, split: Split) -> tuple[float, float]:
    (texts, y), (test_texts, test_y) = split
    started = time.perf_counter()
    model.fit(texts, y)
    fit_s = time.perf_counter() - started
    if isinstance(model, IntentClassifier):
        pred = model.classes_[model.predict_proba(test_texts).argmax(axis=1)]
    else:
        pred = model.predict(test_texts)
    return float(np.mean(pred == test_y)), fit_s


def curve(data: str, sizes: list[int | str], draws: int, names: list[str]) -> list[dict[str, Any]]:
    load, japanese = DATA[data]
    rows = []
    for size in sizes:
        n_draws = 1 if (size == "all" and data == "banking77") else draws
        scores: dict[str, list[float]] = {name: [] for name in names}
        fits: dict[str, list[float]] = {name: [] for name in names}
        n_train = []
        for draw in range(n_draws):
            split = load(size, draw)
            n_train.append(len(split[0][0]))
            for name in names:
                if name == "kizuki":
                    model: Any = IntentClassifier(oos_threshold=None)
                elif name == "kizuki-auto":
                    model = kizuki_auto(split[0][0])
                else:
                    model = peer(name, japanese)
                acc, fit_s = accuracy(model, split)
                print(
                    f"  {data} {size}/intent draw {draw} {name}: {acc:.2%} ({fit_s:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
                scores[name].append(acc)
                fits[name].append(fit_s)
        row: dict[str, Any] = {"data": data, "per_intent": size, "draws": n_draws}
        row["n_train"] = float(np.mean(n_train))
        for name in names:
            row[name] = float(np.mean(scores[name]))
            row[f"{name} sd"] = float(np.std(scores[name], ddof=1)) if n_draws > 1 else 0.0
            row[f"{name} fit s"] = float(np.mean(fits[name]))
            row[f"{name} runs"] = scores[name]
        peers = [p for p in names if p in PEERS]
        if peers:
            best = max(peers, key=lambda p: row[p])
            row["best peer"] = best
            for ours in ("kizuki", "kizuki-auto"):
                if ours in names:
                    row[f"{ours} - best peer"] = row[ours] - row[best]
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if "runs" not in k}), flush=True)
    return rows


def markdown(rows: list[dict[str, Any]], names: list[str]) -> str:
    head = ["data", "per intent", "draws", *names, "best peer", "kizuki − best peer"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["data"], str(row["per_intent"]), str(row["draws"])]
        cells += [
            f"{row[n]:.1%} ± {row[f'{n} sd'] * 100:.1f}" if row["draws"] > 1 else f"{row[n]:.1%}"
            for n in names
        ]
        cells.append(row.get("best peer", ""))
        diffs = [
            f"{o}: {row[f'{o} - best peer'] * 100:+.1f} pt"
            for o in ("kizuki", "kizuki-auto")
            if f"{o} - best peer" in row
        ]
        cells.append("; ".join(diffs))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="banking77,xsid-ja", help="comma-separated")
    parser.add_argument("--sizes", default="5,10,20,50,all", help="examples per intent")
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--auto", action="store_true", help="add kizuki --model auto")
    parser.add_argument("--no-peers", action="store_true", help="Kizuki's rows only")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "intents_curves.json")
    args = parser.parse_args(argv)
    sizes: list[int | str] = [s if s == "all" else int(s) for s in args.sizes.split(",")]
    names = ([] if args.no_peers else list(PEERS)) + ["kizuki"]
    if args.auto:
        names.append("kizuki-auto")
    rows = []
    for data in args.data.split(","):
        rows += curve(data, sizes, args.draws, names)
    print(markdown(rows, names))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"args": vars(args) | {"out": str(args.out)}, "rows": rows}, indent=1)
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
