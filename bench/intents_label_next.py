"""Label what matters next, simulated on Banking77 (issue 20): Kizuki's choice against random.

A team starts with a small seed set (``--seed-per-intent`` texts of each of the 77 intents,
2 by default: 154 labels), then labels ``--batch`` texts a round for ``--rounds`` rounds. The
texts come from the rest of the official training set (9,849 unlabelled texts), and their labels
from Banking77 itself (a perfect annotator). Two teams:

- ``kizuki``: the batch is :func:`kizuki.models.intents.label_next.select_to_label` over the
  model trained on the labels so far (what ``kizuki intents label-next`` does);
- ``random``: the batch is drawn at random (it also goes on to ``--random-rounds`` rounds, to
  see how many random labels match Kizuki's last round).

After each round the model, :class:`~kizuki.models.intents.IntentClassifier` with
``oos_threshold=None`` and ``n_jobs=1``, is refitted on the labels so far and scored on the
official test set (3,080 texts). Everything is repeated for ``--draws`` draws (the seed set and
the random batches differ; the choice's k-means is seeded by the draw too).

    .venv/bin/python bench/intents_label_next.py     # ~3 min on 2 idle cores

Prints a Markdown table (mean ± sd over the draws); writes bench/out/intents_label_next.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kizuki.models.intents import IntentClassifier
from kizuki.models.intents.label_next import select_to_label

HERE = Path(__file__).parent
DATASETS = HERE.parent.parent / "shared" / "datasets"
if not DATASETS.is_dir():
    DATASETS = Path("/work/shared/datasets")


def banking77() -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """Texts and intents of the official training and test sets."""
    train = pd.read_csv(DATASETS / "banking77" / "train.csv")
    test = pd.read_csv(DATASETS / "banking77" / "test.csv")
    return (
        train["text"].astype(str).tolist(),
        train["category"].to_numpy(dtype=object),
        test["text"].astype(str).tolist(),
        test["category"].to_numpy(dtype=object),
    )


def run_team(
    strategy: str,
    draw: int,
    data: tuple[list[str], np.ndarray, list[str], np.ndarray],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Accuracy after each round of one team for one draw."""
    texts, intents, test_texts, test_intents = data
    seed_rng = np.random.default_rng(draw)  # the same seed set for both teams of a draw
    labelled = np.zeros(len(texts), dtype=bool)
    for intent in np.unique(intents):
        rows = np.flatnonzero(intents == intent)
        labelled[seed_rng.choice(rows, args.seed_per_intent, replace=False)] = True
    rng = np.random.default_rng([draw, 1 if strategy == "kizuki" else 2])
    rounds = args.rounds if strategy == "kizuki" else max(args.rounds, args.random_rounds)
    accuracy, labels, choose_s = [], [], []
    for round_ in range(rounds + 1):
        model = IntentClassifier(oos_threshold=None, n_jobs=1, random_state=0)
        model.fit([texts[i] for i in np.flatnonzero(labelled)], intents[labelled])
        accuracy.append(float(np.mean(model.predict(test_texts) == test_intents)))
        labels.append(int(labelled.sum()))
        if round_ == rounds:
            break
        pool = np.flatnonzero(~labelled)
        started = time.perf_counter()
        if strategy == "kizuki":
            chosen = select_to_label([texts[i] for i in pool], args.batch, model, random_state=rng)
            picked = pool[chosen["position"].to_numpy()]
        else:
            picked = rng.choice(pool, args.batch, replace=False)
        choose_s.append(time.perf_counter() - started)
        labelled[picked] = True
    print(
        f"{strategy:<7} draw {draw}: " + " ".join(f"{a:.3f}" for a in accuracy),
        file=sys.stderr,
        flush=True,
    )
    return {
        "strategy": strategy,
        "draw": draw,
        "labels": labels,
        "accuracy": accuracy,
        "choose_seconds": choose_s,
    }


def labels_to_reach(target: float, runs: list[dict[str, Any]]) -> float | None:
    """Labels at which the mean random curve reaches ``target`` (linear interpolation)."""
    labels = runs[0]["labels"]
    mean = np.mean([r["accuracy"] for r in runs], axis=0)
    for i in range(1, len(mean)):
        if mean[i] >= target:
            share = (target - mean[i - 1]) / (mean[i] - mean[i - 1])
            return float(labels[i - 1] + share * (labels[i] - labels[i - 1]))
    return None


def summary(runs: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """Per round: mean and sd of both teams' accuracy and of their paired difference."""
    kizuki = [r for r in runs if r["strategy"] == "kizuki"]
    random = [r for r in runs if r["strategy"] == "random"]
    k = np.array([r["accuracy"] for r in kizuki])
    rnd = np.array([r["accuracy"][: args.rounds + 1] for r in random])
    rows = []
    for round_ in range(args.rounds + 1):
        diff = k[:, round_] - rnd[:, round_]
        rows.append(
            {
                "round": round_,
                "labels": kizuki[0]["labels"][round_],
                "kizuki": float(k[:, round_].mean()),
                "kizuki_sd": float(k[:, round_].std(ddof=1)),
                "random": float(rnd[:, round_].mean()),
                "random_sd": float(rnd[:, round_].std(ddof=1)),
                "difference": float(diff.mean()),
                "difference_sd": float(diff.std(ddof=1)),
                "kizuki_better_draws": int((diff > 0).sum()),
            }
        )
    target = rows[-1]["kizuki"]
    return {
        "rows": rows,
        "random_labels_to_match_kizuki": labels_to_reach(target, random),
        "kizuki_choose_seconds_mean": float(
            np.mean([s for r in kizuki for s in r["choose_seconds"]])
        ),
    }


def markdown(result: dict[str, Any], args: argparse.Namespace) -> str:
    def pct(mean: float, sd: float) -> str:
        return f"{100 * mean:.1f} ± {100 * sd:.1f}"

    lines = [
        "| round | labels | Kizuki's choice (%) | random (%) | difference (pt) | Kizuki ahead |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['round']} | {row['labels']} | {pct(row['kizuki'], row['kizuki_sd'])} | "
            f"{pct(row['random'], row['random_sd'])} | "
            f"{100 * row['difference']:+.1f} ± {100 * row['difference_sd']:.1f} | "
            f"{row['kizuki_better_draws']}/{args.draws} |"
        )
    match = result["random_labels_to_match_kizuki"]
    lines.append("")
    lines.append(
        "Random labelling reaches Kizuki's last-round accuracy at "
        + (
            f"~{match:.0f} labels"
            if match is not None
            else f"more than {args.seed_per_intent * 77 + args.random_rounds * args.batch} labels"
        )
        + f"; choosing a batch takes {result['kizuki_choose_seconds_mean']:.1f} s."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=50, help="labels per round")
    parser.add_argument("--seed-per-intent", type=int, default=2)
    parser.add_argument("--random-rounds", type=int, default=10, help="rounds of random labels")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "intents_label_next.json")
    args = parser.parse_args(argv)
    # Two examples of each of 77 intents split in folds leave more classes than half the rows.
    warnings.filterwarnings("ignore", message="The number of unique classes is greater than 50%")
    data = banking77()
    started = time.perf_counter()
    runs = [
        run_team(strategy, draw, data, args)
        for draw in range(args.draws)
        for strategy in ("kizuki", "random")
    ]
    result = summary(runs, args)
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(markdown(result, args))
    print(f"\n{result['seconds']:.0f} s in all")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "args": vars(args) | {"out": str(args.out)},
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                **result,
                "runs": runs,
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
