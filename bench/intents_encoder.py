"""Banking77 intents with the fine-tuned MiniLM, alone and averaged with TF-IDF + LinearSVC.

Usage::

    python bench/intents_encoder.py                 # full train -> official test (the goal)
    python bench/intents_encoder.py --select        # 90/10 split of train: choose the ensemble
    python bench/intents_encoder.py --few-shot      # also 10 examples per intent, 5 seeds

The peer, TF-IDF word(1,2) + char_wb(2,5) with LinearSVC(C=0.5), runs in the same process on
the same split. The ensemble averages the fine-tuned model's probabilities with a softmax of the
SVM's decision values: ``w * p_encoder + (1 - w) * softmax(scale * svm)``. ``w`` and ``scale``
were chosen with ``--select`` on a stratified 10% validation slice of the training set (seed 0),
never on the test set, and are pinned below.

Goals (issue 4): accuracy >= 93.7%, training <= 10 min wall on 2 cores, prediction >= 1,000
texts/s. Writes bench/out/intents_encoder.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC

from kizuki.models.encoder import FineTunedEncoderClassifier

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "banking77"
OUT = Path(__file__).resolve().parent / "out" / "intents_encoder.json"

#: kept after two --select runs (validation accuracy, encoder / ensemble): 3 epochs at lr 1e-4
#: 92.7% / 93.3%; 5 epochs at lr 1.5e-4 92.9% / 93.2% for 1.6x the training time
BEST = {
    "n_layers": 6,
    "epochs": 3.0,
    "lr": 1e-4,
    "head_lr": 2e-3,
    "batch_size": 32,
    "max_length": 64,
    "label_smoothing": 0.1,
    "precision": "bf16",
    "max_train_seconds": 540.0,  # the schedule shortens itself to end within 9 min
    "num_threads": 2,
    "random_state": 0,
}
#: ensemble weight of the encoder and SVM softmax scale, chosen with --select (validation)
ENSEMBLE_WEIGHT = 0.7
SVM_SCALE = 10.0


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """``fn()``, its wall seconds and CPU seconds."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = fn()
    return result, time.perf_counter() - wall, cpu_seconds() - cpu


def tfidf_svm() -> Any:
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )
    return make_pipeline(features, LinearSVC(C=0.5))


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    return {
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, average="macro")), 4),
    }


def run_split(
    x_train: list[str],
    y_train: np.ndarray,
    x_eval: list[str],
    y_eval: np.ndarray,
    config: dict[str, Any],
    compare_inference: bool,
) -> dict[str, Any]:
    """Fit the SVM peer and the encoder on one split; evaluate both and their average."""
    out: dict[str, Any] = {"n_train": len(x_train), "n_eval": len(x_eval), "config": config}
    svm, wall, cpu = timed(lambda: tfidf_svm().fit(x_train, y_train))
    svm_dec, pwall, pcpu = timed(lambda: svm.decision_function(x_eval))
    out["tfidf_svm"] = {
        **scores(y_eval, svm.classes_[svm_dec.argmax(1)]),
        "train_wall_s": round(wall, 1),
        "train_cpu_s": round(cpu, 1),
        "predict_texts_per_s": round(len(x_eval) / pwall),
    }
    print("tfidf_svm", out["tfidf_svm"], flush=True)

    def progress(step: str, done: float, total: float | None) -> None:
        if int(done) % 50 == 0:
            print(f"  {step} {int(done)}/{total} {time.perf_counter() - t0:.0f}s", flush=True)

    t0 = time.perf_counter()
    clf = FineTunedEncoderClassifier(**config)
    _, wall, cpu = timed(lambda: clf.fit(x_train, y_train, callback=progress))
    proba, pwall, pcpu = timed(lambda: clf.predict_proba(x_eval))
    assert list(clf.classes_) == list(svm.classes_)
    out["encoder"] = {
        **scores(y_eval, clf.classes_[proba.argmax(1)]),
        "train_wall_s": round(wall, 1),
        "train_cpu_s": round(cpu, 1),
        "steps": clf.n_steps_,
        "stopped_early": clf.stopped_early_,
        "predict_texts_per_s": round(len(x_eval) / pwall),
        "predict_texts_per_cpu_s": round(len(x_eval) / pcpu),
    }
    print("encoder", out["encoder"], flush=True)
    out["ensemble_grid"] = {}
    for scale in (5.0, 10.0, 20.0):
        p_svm = softmax(scale * svm_dec)
        for w in np.round(np.arange(0.0, 1.01, 0.1), 1):
            pred = clf.classes_[(w * proba + (1 - w) * p_svm).argmax(1)]
            out["ensemble_grid"][f"w={w},scale={scale}"] = scores(y_eval, pred)["accuracy"]
    ens = ENSEMBLE_WEIGHT * proba + (1 - ENSEMBLE_WEIGHT) * softmax(SVM_SCALE * svm_dec)
    out["ensemble"] = {
        **scores(y_eval, clf.classes_[ens.argmax(1)]),
        "weight": ENSEMBLE_WEIGHT,
        "svm_scale": SVM_SCALE,
        "train_wall_s": round(out["encoder"]["train_wall_s"] + out["tfidf_svm"]["train_wall_s"], 1),
        "predict_texts_per_s": round(
            len(x_eval) / (pwall + len(x_eval) / out["tfidf_svm"]["predict_texts_per_s"])
        ),
    }
    print("ensemble", out["ensemble"], flush=True)
    if compare_inference:
        out["inference_variants"] = {}
        for name, params in {
            "fp32": {"precision": "fp32", "quantize_for_inference": False},
            "int8": {"quantize_for_inference": True},
        }.items():
            clf.set_params(**params)
            clf._prepare_inference()
            variant, vwall, vcpu = timed(lambda: clf.predict_proba(x_eval))
            out["inference_variants"][name] = {
                **scores(y_eval, clf.classes_[variant.argmax(1)]),
                "predict_texts_per_s": round(len(x_eval) / vwall),
                "predict_texts_per_cpu_s": round(len(x_eval) / vcpu),
            }
            print(name, out["inference_variants"][name], flush=True)
    return out


def few_shot(
    train: pd.DataFrame, test: pd.DataFrame, config: dict[str, Any], seeds: int, shots: int
) -> dict[str, Any]:
    """Mean test accuracy over ``seeds`` draws of ``shots`` training texts per intent."""
    results = []
    for seed in range(seeds):
        sample = train.groupby("category", group_keys=False).sample(n=shots, random_state=seed)
        x, y = sample["text"].tolist(), sample["category"].to_numpy()
        clf = FineTunedEncoderClassifier(**{**config, "random_state": seed})
        _, wall, cpu = timed(lambda: clf.fit(x, y))  # noqa: B023
        pred = clf.predict(test["text"].tolist())
        svm_pred = tfidf_svm().fit(x, y).predict(test["text"].tolist())
        results.append(
            {
                "seed": seed,
                "encoder": scores(test["category"].to_numpy(), pred),
                "tfidf_svm": scores(test["category"].to_numpy(), svm_pred),
                "train_wall_s": round(wall, 1),
                "train_cpu_s": round(cpu, 1),
            }
        )
        print("few-shot", results[-1], flush=True)
    return {
        "shots": shots,
        "config": config,
        "encoder_accuracy_mean": round(
            float(np.mean([r["encoder"]["accuracy"] for r in results])), 4
        ),
        "tfidf_svm_accuracy_mean": round(
            float(np.mean([r["tfidf_svm"]["accuracy"] for r in results])), 4
        ),
        "runs": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--select", action="store_true", help="validate on 10%% of train")
    parser.add_argument("--few-shot", action="store_true", help="also 10 per intent x 5 seeds")
    parser.add_argument("--compare-inference", action="store_true", help="fp32 and int8 too")
    parser.add_argument("--set", nargs="*", default=[], help="override config: key=value")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    config: dict[str, Any] = dict(BEST)
    for item in args.set:
        key, value = item.split("=", 1)
        config[key] = type(BEST.get(key, ""))(value) if key in BEST else json.loads(value)
    train = pd.read_csv(DATA / "train.csv")
    test = pd.read_csv(DATA / "test.csv")
    report: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus",
        "dataset": "banking77",
    }
    if args.select:
        tr, va = train_test_split(train, test_size=0.1, random_state=0, stratify=train["category"])
        report["validation"] = run_split(
            tr["text"].tolist(), tr["category"].to_numpy(), va["text"].tolist(),
            va["category"].to_numpy(), config, args.compare_inference,
        )  # fmt: skip
        best = max(report["validation"]["ensemble_grid"].items(), key=lambda kv: kv[1])
        print("best ensemble on validation:", best, flush=True)
    else:
        report["test"] = run_split(
            train["text"].tolist(), train["category"].to_numpy(), test["text"].tolist(),
            test["category"].to_numpy(), config, args.compare_inference,
        )  # fmt: skip
        report["test"].pop("ensemble_grid")  # never choose on test; the pinned weight is used
    if args.few_shot:
        fs_config = {**config, "epochs": 8.0, "batch_size": 16, "max_train_seconds": 300.0}
        report["few_shot"] = few_shot(train, test, fs_config, seeds=5, shots=10)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
