"""Churn risk on IBM Telco Customer Churn (issue 23): Kizuki against a plain logistic regression.

The data: ../shared/datasets/telco_churn/Telco-Customer-Churn.csv (7,043 customers, ``Churn``
Yes/No, 26.5% churned; ``customerID`` the id; ``TotalCharges`` text with 11 blanks), read as
text exactly as ``kizuki churn evaluate`` reads a file. Every row is scored on the same 5
shuffled stratified folds (``--seed``): ROC-AUC and Brier score, mean ± sample sd over folds.

Rows:

- ``peer`` — one-hot categories + median-imputed, standardised numbers +
  ``LogisticRegression(max_iter=1000)``;
- ``kizuki`` — :class:`kizuki.models.churn.ChurnClassifier` with its defaults (300 trees of 4
  leaves, learning rate 0.03, sigmoid calibration on out-of-fold log-odds); the goal:
  AUC ≥ 0.86 and a lower Brier score than the peer;
- what was tried on top, each honestly inside the training folds: ``calibration`` none and
  isotonic; ``lightgbm defaults`` (100 trees of 31 leaves, rate 0.1) without and with
  calibration; ``+ ratio features`` (TotalCharges / tenure and its gap to MonthlyCharges);
  ``nested grid`` — per outer fold, six hyperparameter sets compared by 3-fold CV on the outer
  training rows only (by AUC), the best refitted there and scored on the outer test fold.

Prints a Markdown table (ratios to the peer: AUC ÷ peer's, Brier ÷ peer's — higher AUC, lower
Brier are better), writes bench/out/churn.json.

    .venv/bin/python bench/churn.py                       # ~1.5 min on 2 cores
    .venv/bin/python bench/churn.py --quick --seed 1      # the peer and kizuki only (~10 s)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

import lightgbm
import numpy as np
import pandas as pd
import sklearn
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from kizuki import __version__
from kizuki.models.churn import ChurnClassifier, evaluate_churn
from kizuki.models.churn_features import binary_target, parse_numbers
from kizuki.models.churn_scores import summary

ROOT = Path(__file__).resolve().parents[1]
TELCO = ROOT.parent / "shared" / "datasets" / "telco_churn" / "Telco-Customer-Churn.csv"
LIGHTGBM_DEFAULTS = {
    "n_estimators": 100,
    "learning_rate": 0.1,
    "num_leaves": 31,
    "reg_lambda": 0.0,
    "subsample": 1.0,
    "colsample_bytree": 1.0,
}
#: The nested grid: (learning_rate, n_estimators, num_leaves, min_child_samples).
GRID = [
    (0.03, 300, 4, 20),  # the defaults
    (0.05, 800, 2, 20),  # stumps: an additive model
    (0.02, 500, 8, 40),
    (0.05, 200, 16, 50),
    (0.01, 1000, 4, 50),
    (0.1, 100, 31, 20),  # LightGBM's own defaults
]


def _with_ratio_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Telco plus the average monthly charge so far and its gap to the current charge."""
    total = parse_numbers(frame["TotalCharges"])
    tenure = parse_numbers(frame["tenure"]).replace(0, np.nan)
    average = total / tenure
    return frame.assign(
        AverageCharge=average, ChargeGap=parse_numbers(frame["MonthlyCharges"]) - average
    )


def _nested(frame: pd.DataFrame, folds: int, seed: int) -> dict[str, Any]:
    """The grid chosen by inner 3-fold CV (AUC) on each outer training set, scored outside."""
    y = binary_target(frame["Churn"], "Churn")
    X = frame.drop(columns=["Churn", "customerID"])
    started = time.perf_counter()
    auc: list[float] = []
    brier: list[float] = []
    chosen: list[list[float]] = []
    outer = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train, test in outer.split(X, y):
        inner = list(StratifiedKFold(3, shuffle=True, random_state=seed).split(train, y[train]))
        scores = []
        for rate, trees, leaves, child in GRID:
            params = {"learning_rate": rate, "n_estimators": trees}
            params |= {"num_leaves": leaves, "min_child_samples": child}
            # calibration is monotone: it leaves the AUC as it is, so the inner folds skip it
            model = ChurnClassifier(**params, calibration="none", random_state=seed)
            fold_auc = []
            for fit_rows, score_rows in inner:
                rows, held = train[fit_rows], train[score_rows]
                p = model.fit(X.iloc[rows], y[rows]).predict_proba(X.iloc[held])[:, 1]
                fold_auc.append(roc_auc_score(y[held], p))
            scores.append(float(np.mean(fold_auc)))
        rate, trees, leaves, child = GRID[int(np.argmax(scores))]
        chosen.append([rate, trees, leaves, child])
        best = ChurnClassifier(
            learning_rate=rate,
            n_estimators=trees,
            num_leaves=leaves,
            min_child_samples=child,
            random_state=seed,
        ).fit(X.iloc[train], y[train])
        p = best.predict_proba(X.iloc[test])[:, 1]
        auc.append(float(roc_auc_score(y[test], p)))
        brier.append(float(brier_score_loss(y[test], p)))
    return {
        "roc_auc": summary(auc),
        "brier": summary(brier),
        "seconds": round(time.perf_counter() - started, 2),
        "chosen": chosen,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, default=TELCO)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="only the peer and kizuki")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "churn.json")
    args = parser.parse_args()

    frame = pd.read_csv(args.csv, dtype=str)
    cv = {"target": "Churn", "id_column": "customerID", "folds": args.folds, "seed": args.seed}
    headline = evaluate_churn(frame, **cv, with_peer=True)
    rows: dict[str, dict[str, Any]] = {"peer": headline["peer"], "kizuki": headline}
    print(f"  kizuki and peer: {headline['seconds'] + headline['peer']['seconds']:.0f} s",
          file=sys.stderr)  # fmt: skip
    if not args.quick:
        variants: dict[str, tuple[pd.DataFrame, ChurnClassifier]] = {
            "kizuki, calibration none": (frame, ChurnClassifier(calibration="none")),
            "kizuki, calibration isotonic": (frame, ChurnClassifier(calibration="isotonic")),
            "lightgbm defaults, no calibration": (
                frame,
                ChurnClassifier(**LIGHTGBM_DEFAULTS, calibration="none"),
            ),
            "lightgbm defaults + sigmoid": (frame, ChurnClassifier(**LIGHTGBM_DEFAULTS)),
            "kizuki + ratio features": (_with_ratio_features(frame), ChurnClassifier()),
        }
        for name, (data, model) in variants.items():
            model.set_params(random_state=args.seed)
            rows[name] = evaluate_churn(data, **cv, model=model)
            print(f"  {name}: {rows[name]['seconds']:.0f} s", file=sys.stderr)
        rows["kizuki, nested grid"] = _nested(frame, args.folds, args.seed)
        print(f"  nested grid: {rows['kizuki, nested grid']['seconds']:.0f} s", file=sys.stderr)

    peer = rows["peer"]
    print(f"\nIBM Telco, {headline['n']:,} customers ({headline['positives']:,} churned), "
          f"{args.folds}-fold stratified CV, seed {args.seed}\n")  # fmt: skip
    print("| model | ROC-AUC | Brier | AUC ÷ peer | Brier ÷ peer | seconds |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        auc, brier = r["roc_auc"], r["brier"]
        print(
            f"| {name} | {auc['mean']:.4f} ± {auc['sd']:.4f} | "
            f"{brier['mean']:.4f} ± {brier['sd']:.4f} | "
            f"{auc['mean'] / peer['roc_auc']['mean']:.3f} | "
            f"{brier['mean'] / peer['brier']['mean']:.3f} | {r['seconds']:.1f} |"
        )
    goal = headline["roc_auc"]["mean"] >= 0.86 and headline["brier"]["mean"] < peer["brier"]["mean"]
    print(f"\ngoal (AUC ≥ 0.86 and a lower Brier than the peer): {'met' if goal else 'not met'}")

    result = {
        "data": str(args.csv.name),
        "n": headline["n"],
        "positives": headline["positives"],
        "folds": args.folds,
        "seed": args.seed,
        "goal_met": goal,
        "rows": {
            name: {k: r[k] for k in ("roc_auc", "brier", "seconds", "chosen") if k in r}
            for name, r in rows.items()
        },
        "machine": {
            "platform": platform.platform(),
            "processor": _cpu_model(),
            "python": platform.python_version(),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        },
        "versions": {
            "kizuki": __version__,
            "lightgbm": lightgbm.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "date": dt.date.today().isoformat(),
        "command": " ".join(["bench/churn.py", *sys.argv[1:]]),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"wrote {args.out}")


def _cpu_model() -> str:
    """The CPU's model name and core count (Linux), else the platform's word."""
    cores = f"{os.cpu_count()} cores"
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return f"{names[0] if names else platform.processor() or platform.machine()}, {cores}"


if __name__ == "__main__":
    main()
