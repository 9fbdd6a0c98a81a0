"""Sentiment on real labelled data (issue 22): Kizuki against a plain TF-IDF + LR peer.

- English: the airline tweets (../shared/datasets/twitter_airline_support, 14,640 tweets,
  negative / neutral / positive by crowd workers), stratified 5-fold cross-validation.
- Japanese: chABSA sentences (securities-report sentences with positive / negative aspect
  sentiment; TIS Inc., CC BY 4.0; the sentence-level 70/30 split of
  github.com/sinjorjob/chABSA-dataset), its own train/test split; and the 100-post sample of
  WRIME (Japanese SNS posts; Kajiwara et al., NAACL 2021) read zero-shot, a post labelled by its
  three readers' average joy + trust against sadness + anger + fear + disgust. Neither is in
  the repository: ``--ja-dir`` (default ``../extra_datasets``) holds
  ``chabsa_sentences/{train,test}.tsv`` and ``wrime_sample/sample.tsv``.

Models, each fitted on the same folds:

- ``peer`` — ``TfidfVectorizer()`` + ``LogisticRegression(max_iter=1000)`` (words; SudachiPy
  words for Japanese);
- ``peer-tuned`` — the same with word 1–2-grams, ``sublinear_tf`` and balanced class weights;
- ``kizuki-lexicon`` — :func:`kizuki.models.sentiment.lexicon_labels`, nothing trained (a
  neutral answer counts as wrong on the two-label sets);
- ``kizuki`` — :class:`kizuki.models.sentiment.SentimentClassifier` (its ``auto`` recipe and
  the lexicon block);
- ``kizuki+use`` — the same on the recipe with the multilingual sentence encoder
  (``kizuki[multilingual]``; skipped where it is not installed).

Macro-F1 over the labels of each set; prints a Markdown table, writes bench/out/sentiment.json.

    .venv/bin/python bench/sentiment.py            # ~3 min on 2 cores
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from kizuki.models.intents.features import sentence_encoder_installed
from kizuki.models.sentiment import SentimentClassifier, lexicon_labels
from kizuki.models.text import tokenize

ROOT = Path(__file__).resolve().parents[1]
TWEETS = ROOT.parent / "shared" / "datasets" / "twitter_airline_support" / "tweets.csv"
Fit = Callable[[list[str], list[str]], Callable[[list[str]], list[str]]]


def _peer(tuned: bool, japanese: bool) -> Fit:
    def fit(texts: list[str], labels: list[str]) -> Callable[[list[str]], list[str]]:
        words: dict[str, Any] = {"tokenizer": tokenize, "token_pattern": None} if japanese else {}
        if tuned:
            vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, **words)
            lr = LogisticRegression(max_iter=1000, class_weight="balanced", C=4.0)
        else:
            vec, lr = TfidfVectorizer(**words), LogisticRegression(max_iter=1000)
        model = make_pipeline(vec, lr).fit(texts, labels)
        return lambda xs: list(model.predict(xs))

    return fit


def _kizuki(recipe: str) -> Fit:
    def fit(texts: list[str], labels: list[str]) -> Callable[[list[str]], list[str]]:
        model = SentimentClassifier(recipe=recipe).fit(texts, labels)
        return lambda xs: [str(x) for x in model.predict(xs)]

    return fit


def _lexicon(texts: list[str], labels: list[str]) -> Callable[[list[str]], list[str]]:
    return lexicon_labels


def _models(japanese: bool) -> dict[str, Fit]:
    models: dict[str, Fit] = {
        "peer": _peer(False, japanese),
        "peer-tuned": _peer(True, japanese),
        "kizuki-lexicon": _lexicon,
        "kizuki": _kizuki("auto"),
    }
    if sentence_encoder_installed():
        models["kizuki+use"] = _kizuki("ja-char+use" if japanese else "en-many+use")
    return models


def _score(truth: list[str], predicted: list[str], labels: list[str]) -> float:
    return float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0))


def english(folds: int) -> dict[str, Any]:
    frame = pd.read_csv(TWEETS)
    texts = frame["text"].astype(str).tolist()
    y = frame["airline_sentiment"].astype(str).to_numpy()
    labels = ["negative", "neutral", "positive"]
    out: dict[str, Any] = {"data": "airline tweets (en)", "n": len(texts), "folds": folds}
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, y))
    for name, fit in _models(japanese=False).items():
        started, scores = time.perf_counter(), []
        for train, test in splits:
            predict = fit([texts[i] for i in train], y[train].tolist())
            scores.append(_score(y[test].tolist(), predict([texts[i] for i in test]), labels))
        out[name] = {
            "macro_f1": float(np.mean(scores)),
            "sd": float(np.std(scores)),
            "seconds": time.perf_counter() - started,
        }
        print(f"  en {name}: {out[name]['macro_f1']:.4f}", file=sys.stderr)
    return out


def _chabsa(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        text, label = line.split("\t")[:2]
        texts.append(text)
        labels.append("positive" if label.strip() == "1" else "negative")
    return texts, labels


def japanese(ja_dir: Path) -> dict[str, Any]:
    train_x, train_y = _chabsa(ja_dir / "chabsa_sentences" / "train.tsv")
    test_x, test_y = _chabsa(ja_dir / "chabsa_sentences" / "test.tsv")
    labels = ["negative", "positive"]
    out: dict[str, Any] = {"data": "chABSA sentences (ja)", "train": len(train_x), "n": len(test_x)}
    for name, fit in _models(japanese=True).items():
        started = time.perf_counter()
        predicted = fit(train_x, train_y)(test_x)
        out[name] = {
            "macro_f1": _score(test_y, predicted, labels),
            "neutral_share": float(np.mean([p == "neutral" for p in predicted])),
            "seconds": time.perf_counter() - started,
        }
        print(f"  ja {name}: {out[name]['macro_f1']:.4f}", file=sys.stderr)
    return out


def wrime(ja_dir: Path) -> dict[str, Any]:
    frame = pd.read_csv(ja_dir / "wrime_sample" / "sample.tsv", sep="\t")
    readers = [f"客観{i}" for i in (1, 2, 3)]
    pos = sum(frame[f"{r}_{e}"] for r in readers for e in ("喜び", "信頼")) / 3
    neg = sum(frame[f"{r}_{e}"] for r in readers for e in ("悲しみ", "怒り", "恐れ", "嫌悪")) / 3
    net = pos - neg
    truth = np.where(net >= 0.5, "positive", np.where(net <= -0.5, "negative", "neutral"))
    predicted = lexicon_labels(frame["投稿本文"].astype(str).tolist())
    labels = ["negative", "neutral", "positive"]
    counts = {k: int((truth == k).sum()) for k in labels}
    return {
        "data": "WRIME sample (ja)",
        "n": len(frame),
        "labels": counts,
        "kizuki-lexicon": {"macro_f1": _score(truth.tolist(), predicted, labels)},
        "majority": {
            "macro_f1": _score(
                truth.tolist(), [max(counts, key=counts.__getitem__)] * len(truth), labels
            )
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--ja-dir", type=Path, default=ROOT.parent / "extra_datasets")
    parser.add_argument("--data", choices=["all", "en", "ja"], default="all")
    args = parser.parse_args()
    results = [english(args.folds)] if args.data in ("all", "en") else []
    if args.data in ("all", "ja") and (args.ja_dir / "chabsa_sentences" / "train.tsv").is_file():
        results.append(japanese(args.ja_dir))
    if args.data in ("all", "ja") and (args.ja_dir / "wrime_sample").is_dir():
        results.append(wrime(args.ja_dir))
    names = ["peer", "peer-tuned", "kizuki-lexicon", "kizuki", "kizuki+use", "majority"]
    print("| data | n | " + " | ".join(names) + " | kizuki ÷ best peer |")
    print("|---|---|" + "---|" * (len(names) + 1))
    for r in results:
        cells = [f"{r[m]['macro_f1']:.3f}" if m in r else "–" for m in names]
        peers = [r[m]["macro_f1"] for m in ("peer", "peer-tuned") if m in r]
        best = max((r[m]["macro_f1"] for m in ("kizuki", "kizuki+use") if m in r), default=None)
        ratio = f"{best / max(peers):.3f}" if peers and best else "–"
        print(f"| {r['data']} | {r['n']} | " + " | ".join(cells) + f" | {ratio} |")
    out = ROOT / "bench" / "out" / "sentiment.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
