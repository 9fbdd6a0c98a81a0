"""Intent classification benchmark: Kizuki's IntentClassifier against TF-IDF + LinearSVC (issue 4).

Every row is measured in this run, the peer on the same split:

- ``banking77``: full train / official test (accuracy, macro-F1, fit seconds, prediction
  texts/s in wall and CPU time, first call with an empty token cache).
- ``banking77-10shot``: 10 training texts per intent, one draw per seed (mean ± sd).
- ``banking77-oos``: 10 intents (drawn with ``--oos-seed``) are left out of training; their test
  texts are out of scope. In-scope accuracy with the threshold against the same model closed
  (no threshold), OOS recall, AUROC of ``oos_score`` (in-scope vs out-of-scope test texts) and
  the threshold chosen. The peer rejects on its top SVM score with the same rule (held-out
  in-scope accuracy may drop by one point, cross-validated decision scores).
- ``xsid-ja``: train on split=valid (150), test on split=test (250); and stratified 5-fold CV on
  all 400 (some intents have 1–5 examples, so folds miss them: read it as a sanity check).
- ``sim-ja`` / ``sim-en``: a simulated company's Zendesk tickets (subject + description) with
  their ``intent_<name>`` tag (tickets without one have no truth and are left out), the earlier
  70% by ``created_at`` for training, the rest for testing.

The peer is ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)`` + ``LinearSVC()``; on
Japanese its words are SudachiPy tokens (``kizuki.models.text.tokenize``), since the default
token pattern finds no word boundaries in Japanese.

    .venv/bin/python bench/intents.py                          # everything (~5 min on 2 cores)
    .venv/bin/python bench/intents.py --sections full,oos      # a part
    .venv/bin/python bench/intents.py --encoder                # + the fine-tuned encoder rows

Prints a Markdown table; writes bench/out/intents.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kizuki.models import text as text_module
from kizuki.models.intents import IntentClassifier
from kizuki.models.text import tokenize

HERE = Path(__file__).parent
DATASETS = HERE.parent.parent / "shared" / "datasets"
if not DATASETS.is_dir():
    DATASETS = Path("/work/shared/datasets")
SECTIONS = ("full", "fewshot", "oos", "xsid", "sim")
OOS = "out_of_scope"


class Peer:
    """TF-IDF word (1-2) + LinearSVC, rejecting on the top SVM score when asked."""

    def __init__(self, japanese: bool = False, reject: bool = False) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        options: dict[str, Any] = {"ngram_range": (1, 2), "sublinear_tf": True}
        if japanese:
            options.update(tokenizer=tokenize, token_pattern=None, lowercase=False)
        self.vectorizer = TfidfVectorizer(**options)
        self.svm = LinearSVC()
        self.reject = reject
        self.threshold = -np.inf

    def fit(self, texts: list[str], y: np.ndarray) -> Peer:
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        features = self.vectorizer.fit_transform(texts)
        self.svm.fit(features, y)
        if self.reject:
            folds = StratifiedKFold(5, shuffle=True, random_state=0)
            scores = cross_val_predict(self.svm, features, y, cv=folds, method="decision_function")
            classes = self.svm.classes_
            top = scores.max(axis=1)
            right = np.sort(top[classes[scores.argmax(axis=1)] == y])
            self.threshold = float(right[int(0.01 * len(y))])
        return self

    def scores(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.svm.decision_function(self.vectorizer.transform(texts)))

    def predict(self, texts: list[str]) -> np.ndarray:
        scores = self.scores(texts)
        labels = self.svm.classes_[scores.argmax(axis=1)].astype(object)
        labels[scores.max(axis=1) < self.threshold] = OOS
        return labels

    def oos_score(self, texts: list[str]) -> np.ndarray:
        return -self.scores(texts).max(axis=1)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """``fn()``, its wall seconds and its CPU seconds (all threads of this process)."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    out = fn()
    return out, time.perf_counter() - wall, cpu_seconds() - cpu


def closed_scores(model: Any, texts: list[str], y: np.ndarray, japanese: bool) -> dict[str, Any]:
    """Accuracy, macro-F1 and prediction speed of a model without out-of-scope answers."""
    from sklearn.metrics import f1_score

    text_module._tokenize_normalized.cache_clear()
    if isinstance(model, IntentClassifier):
        predict = lambda: model.classes_[model.predict_proba(texts).argmax(axis=1)]  # noqa: E731
    else:
        predict = lambda: model.svm.classes_[model.scores(texts).argmax(axis=1)]  # noqa: E731
    pred, wall, cpu = timed(predict)
    return {
        "accuracy": float(np.mean(pred == y)),
        "macro_f1": float(f1_score(y, pred, average="macro", labels=np.unique(y))),
        "predict_texts_per_s_wall": len(texts) / wall,
        "predict_texts_per_s_cpu": len(texts) / cpu if cpu > 0 else float("inf"),
    }


def models(japanese: bool, encoder: bool, reject: bool = False) -> dict[str, Callable[[], Any]]:
    """The models of a row, by name: Kizuki's, the peer, and the ensemble if asked."""
    out: dict[str, Callable[[], Any]] = {
        "kizuki": lambda: IntentClassifier(oos_threshold="auto" if reject else None),
        "peer": lambda: Peer(japanese=japanese, reject=reject),
    }
    if encoder:
        from kizuki.models.encoder import FineTunedEncoderClassifier

        out["kizuki+encoder"] = lambda: IntentClassifier(
            oos_threshold="auto" if reject else None, encoder=FineTunedEncoderClassifier()
        )
    return out


def closed_rows(
    dataset: str,
    train: tuple[list[str], np.ndarray],
    test: tuple[list[str], np.ndarray],
    japanese: bool,
    encoder: bool,
) -> list[dict[str, Any]]:
    rows = []
    for name, make in models(japanese, encoder).items():
        model, fit_wall, fit_cpu = timed(lambda make=make: make().fit(*train))
        row = {"dataset": dataset, "model": name, "n_train": len(train[0]), "n_test": len(test[0])}
        row |= {"fit_s_wall": fit_wall, "fit_s_cpu": fit_cpu}
        row |= closed_scores(model, *test, japanese=japanese)
        rows.append(row)
        print(fmt(row), file=sys.stderr, flush=True)
    return rows


def banking77() -> tuple[tuple[list[str], np.ndarray], tuple[list[str], np.ndarray]]:
    def load(name: str) -> tuple[list[str], np.ndarray]:
        frame = pd.read_csv(DATASETS / "banking77" / f"{name}.csv")
        return frame["text"].astype(str).tolist(), frame["category"].to_numpy(dtype=object)

    return load("train"), load("test")


def section_full(encoder: bool) -> list[dict[str, Any]]:
    train, test = banking77()
    return closed_rows("banking77", train, test, japanese=False, encoder=encoder)


def section_fewshot(seeds: int, encoder: bool) -> list[dict[str, Any]]:
    (texts, y), test = banking77()
    per_seed: dict[str, list[dict[str, Any]]] = {}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        keep = np.concatenate(
            [rng.choice(np.flatnonzero(y == label), 10, replace=False) for label in np.unique(y)]
        )
        train = ([texts[i] for i in keep], y[keep])
        for row in closed_rows(f"banking77-10shot seed {seed}", train, test, False, encoder):
            per_seed.setdefault(row["model"], []).append(row)
    rows = []
    for name, runs in per_seed.items():
        row: dict[str, Any] = {"dataset": f"banking77-10shot ({seeds} seeds)", "model": name}
        row |= {"n_train": runs[0]["n_train"], "n_test": runs[0]["n_test"]}
        for key in ("accuracy", "macro_f1", "fit_s_cpu"):
            values = np.array([r[key] for r in runs])
            row[key] = float(values.mean())
            row[f"{key}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        row["runs"] = runs
        rows.append(row)
    return rows


def section_oos(oos_seed: int, encoder: bool) -> list[dict[str, Any]]:
    from sklearn.metrics import roc_auc_score

    (texts, y), (test_texts, test_y) = banking77()
    held = np.random.default_rng(oos_seed).choice(np.unique(y), 10, replace=False)
    keep = ~np.isin(y, held)
    train = ([t for t, k in zip(texts, keep, strict=True) if k], y[keep])
    in_scope = ~np.isin(test_y, held)
    rows = []
    for name, make in models(False, encoder, reject=True).items():
        model, fit_wall, fit_cpu = timed(lambda make=make: make().fit(*train))
        pred = model.predict(test_texts)
        if isinstance(model, IntentClassifier):
            closed = model.classes_[model.predict_proba(test_texts).argmax(axis=1)]
            threshold = model.threshold_
        else:
            closed = model.svm.classes_[model.scores(test_texts).argmax(axis=1)]
            threshold = model.threshold
        closed_acc = float(np.mean(closed[in_scope] == test_y[in_scope]))
        acc = float(np.mean(pred[in_scope] == test_y[in_scope]))
        row = {
            "dataset": "banking77-oos (10 intents held out)",
            "model": name,
            "n_train": len(train[0]),
            "n_test": len(test_texts),
            "held_out_intents": sorted(held.tolist()),
            "fit_s_cpu": fit_cpu,
            "fit_s_wall": fit_wall,
            "in_scope_accuracy_closed": closed_acc,
            "in_scope_accuracy": acc,
            "in_scope_accuracy_drop": closed_acc - acc,
            "oos_recall": float(np.mean(pred[~in_scope] == OOS)),
            "oos_auroc": float(roc_auc_score(~in_scope, model.oos_score(test_texts))),
            "threshold": threshold,
            "curve": tradeoff_curve(model.oos_score(test_texts), closed, test_y, in_scope),
        }
        rows.append(row)
        print(fmt(row), file=sys.stderr, flush=True)
        for point in row["curve"]:
            print(
                f"  refuse top {point['refused_in_scope']:.0%} of in-scope scores: in-scope "
                f"accuracy {point['in_scope_accuracy']:.2%} (-{point['accuracy_lost']:.2%}), "
                f"OOS recall {point['oos_recall']:.2%}",
                file=sys.stderr,
            )
    return rows


#: Shares of in-scope test texts refused at the curve's points.
CURVE_REFUSALS = (0.0, 0.01, 0.02, 0.05, 0.10, 0.20, 0.30, 0.50)


def tradeoff_curve(
    score: np.ndarray, closed: np.ndarray, truth: np.ndarray, in_scope: np.ndarray
) -> list[dict[str, float]]:
    """In-scope accuracy against out-of-scope recall as the threshold on ``score`` (higher =
    more likely out of scope) moves: one point per share of in-scope texts refused."""
    score = np.asarray(score, dtype=float)
    right = closed == truth
    base = float(np.mean(right[in_scope]))
    points = []
    for share in CURVE_REFUSALS:
        cut = np.inf if share == 0 else float(np.quantile(score[in_scope], 1 - share))
        refused = score >= cut
        accuracy = float(np.mean(right[in_scope] & ~refused[in_scope]))
        points.append(
            {
                "refused_in_scope": float(np.mean(refused[in_scope])),
                "in_scope_accuracy": accuracy,
                "accuracy_lost": base - accuracy,
                "oos_recall": float(np.mean(refused[~in_scope])),
            }
        )
    return points


def section_xsid(encoder: bool) -> list[dict[str, Any]]:
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    frame = pd.read_csv(DATASETS / "xsid_ja" / "xsid_ja.csv")
    texts, y = frame["text"].astype(str).tolist(), frame["intent"].to_numpy(dtype=object)
    valid = (frame["split"] == "valid").to_numpy()

    def subset(mask: np.ndarray) -> tuple[list[str], np.ndarray]:
        return [t for t, k in zip(texts, mask, strict=True) if k], y[mask]

    rows = closed_rows("xsid-ja valid→test", subset(valid), subset(~valid), True, encoder)
    # Intents with fewer than 5 examples cannot be in every fold; sklearn warns, we say so.
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    import warnings

    for name, make in models(True, encoder).items():
        pred = np.empty(len(y), dtype=object)
        fit_cpu = 0.0
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The least populated class")
            splits = list(folds.split(texts, y))
        for train_idx, test_idx in splits:
            train = ([texts[i] for i in train_idx], y[train_idx])
            model, _, cpu = timed(lambda make=make, train=train: make().fit(*train))
            fit_cpu += cpu
            test = [texts[i] for i in test_idx]
            if isinstance(model, IntentClassifier):
                pred[test_idx] = model.classes_[model.predict_proba(test).argmax(axis=1)]
            else:
                pred[test_idx] = model.svm.classes_[model.scores(test).argmax(axis=1)]
        row = {
            "dataset": "xsid-ja 5-fold CV (all 400)",
            "model": name,
            "n_train": len(y),
            "n_test": len(y),
            "fit_s_cpu": fit_cpu,
            "accuracy": float(np.mean(pred == y)),
            "macro_f1": float(f1_score(y, pred, average="macro")),
        }
        rows.append(row)
        print(fmt(row), file=sys.stderr, flush=True)
    return rows


def simulated_tickets(customers: int, seed: int) -> pd.DataFrame:
    """Labelled Zendesk tickets of a simulated company: text, intent, language, created_at."""
    from kizuki.simulate import load_config, simulate_company

    with tempfile.TemporaryDirectory() as tmp:
        result = simulate_company(load_config(None, customers=customers, seed=seed), Path(tmp))
        records = []
        with result.zendesk_file.open(encoding="utf-8") as f:
            for line in f:
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # the simulator plants malformed lines; ingest quarantines them
    rows = []
    for ticket in records:
        tags = ticket.get("tags") or []
        intents = [t.removeprefix("intent_") for t in tags if t.startswith("intent_")]
        langs = [t.removeprefix("lang_") for t in tags if t.startswith("lang_")]
        if len(intents) != 1 or not ticket.get("created_at"):
            continue
        text = f"{ticket.get('subject') or ''}\n{ticket.get('description') or ''}"
        rows.append((ticket["created_at"], text, intents[0], langs[0] if langs else "?"))
    return pd.DataFrame(rows, columns=["created_at", "text", "intent", "lang"])


def section_sim(customers: int, seed: int, encoder: bool) -> list[dict[str, Any]]:
    tickets = simulated_tickets(customers, seed).sort_values("created_at", kind="stable")
    rows = []
    for lang in ("ja", "en"):
        part = tickets[tickets["lang"] == lang]
        cut = int(0.7 * len(part))
        train, test = part.iloc[:cut], part.iloc[cut:]
        train = train[train["intent"].isin(set(train["intent"]))]
        rows += closed_rows(
            f"sim-{lang} ({customers:,} customers, time split 70/30)",
            (train["text"].tolist(), train["intent"].to_numpy(dtype=object)),
            (test["text"].tolist(), test["intent"].to_numpy(dtype=object)),
            japanese=lang == "ja",
            encoder=encoder,
        )
    return rows


COLUMNS = [
    ("dataset", "dataset", "{}"),
    ("model", "model", "{}"),
    ("n_train", "train", "{:,}"),
    ("n_test", "test", "{:,}"),
    ("accuracy", "accuracy", "{:.2%}"),
    ("macro_f1", "macro-F1", "{:.3f}"),
    ("fit_s_cpu", "fit CPU s", "{:.1f}"),
    ("fit_s_wall", "fit wall s", "{:.1f}"),
    ("predict_texts_per_s_wall", "predict/s wall", "{:,.0f}"),
    ("predict_texts_per_s_cpu", "predict/s CPU", "{:,.0f}"),
    ("in_scope_accuracy_closed", "in-scope acc closed", "{:.2%}"),
    ("in_scope_accuracy", "in-scope acc", "{:.2%}"),
    ("oos_recall", "OOS recall", "{:.2%}"),
    ("oos_auroc", "AUROC", "{:.3f}"),
    ("threshold", "threshold", "{:.3f}"),
]


def fmt(row: dict[str, Any]) -> str:
    return " ".join(f"{key}={row[key]}" for key, *_ in COLUMNS if key in row)


def cell(row: dict[str, Any], key: str, pattern: str) -> str:
    if key not in row:
        return ""
    value = pattern.format(row[key])
    if f"{key}_sd" in row:
        value += " ± " + pattern.format(row[f"{key}_sd"]).rstrip("%")
    return value


def markdown(rows: list[dict[str, Any]]) -> str:
    used = [c for c in COLUMNS if any(c[0] in r for r in rows)]
    lines = ["| " + " | ".join(c[1] for c in used) + " |", "|" + "---|" * len(used)]
    lines += ["| " + " | ".join(cell(r, k, p) for k, _, p in used) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated")
    parser.add_argument("--seeds", type=int, default=5, help="10-shot draws")
    parser.add_argument("--oos-seed", type=int, default=0, help="draw of the held-out intents")
    parser.add_argument("--customers", type=int, default=20_000, help="simulated company size")
    parser.add_argument("--sim-seed", type=int, default=11)
    parser.add_argument("--encoder", action="store_true", help="add the fine-tuned encoder")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "intents.json")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    encoder = args.encoder
    if encoder:
        try:
            from kizuki.models.encoder import FineTunedEncoderClassifier  # noqa: F401
        except ImportError as err:
            print(f"--encoder: kizuki.models.encoder is not usable ({err}); skipped")
            encoder = False
    rows: list[dict[str, Any]] = []
    runners: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "full": lambda: section_full(encoder),
        "fewshot": lambda: section_fewshot(args.seeds, encoder),
        "oos": lambda: section_oos(args.oos_seed, encoder),
        "xsid": lambda: section_xsid(encoder),
        "sim": lambda: section_sim(args.customers, args.sim_seed, encoder),
    }
    for section in sections:
        rows += runners[section]()
    table = markdown(rows)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"args": vars(args) | {"out": str(args.out)}, "rows": rows}, indent=1),
        encoding="utf-8",
    )
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
