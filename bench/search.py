"""Help-content search (issue 21): Kizuki's index against plain ``bm25s`` on localgovFAQ.

Data: ../shared/datasets/localgovfaq_dev (1,786 FAQ entries of Amagasaki City, 375 real
citizens' questions with graded judgements; Sakata et al., SIGIR 2019). A document of grade ≥ 1
is relevant for hit@k and MRR; nDCG@10 uses the grades (kizuki.search.metrics).

Peers (``bm25s`` 0.3.16, k1 1.5, b 0.75, its defaults, over title + body):
- ``bm25s char 2-grams``: character bigrams of the raw text;
- ``bm25s whitespace``: ``bm25s.tokenize`` without stop words (``\\w\\w+`` runs: Japanese
  splits only at spaces and punctuation).

Kizuki rows (the ablation): each adds one thing to the row above. Every learned weight is
fitted by 5-fold cross-validation over the queries (fit on 4/5, score the other 1/5, the same
folds for every row); "clicks" rows learn the click signals from the judgements of the training
queries only, as if they were the store's search log, and the ranker's own features of a
training query never see that query's clicks (SearchIndex.fit_ranker).

Timings: p50/p99 per-query latency of ``SearchIndex.search`` over a synthetic 10,000-article
corpus (words drawn from the FAQ vocabulary), and the build time of 100,000 articles; both
without the sentence encoder (``dense=False``). The latency of dense rows is measured on the
real corpus.

    .venv/bin/python bench/search.py                 # everything (~8 min on 2 cores)
    .venv/bin/python bench/search.py --no-dense      # lexical rows and timings only
    .venv/bin/python bench/search.py --no-timings

Prints a Markdown table; writes bench/out/search.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kizuki.search import SearchIndex, read_judged, score_rankings
from kizuki.search.fields import dense_available

HERE = Path(__file__).parent
DATASETS = HERE.parent.parent / "shared" / "datasets"
if not DATASETS.is_dir():
    DATASETS = Path("/work/shared/datasets")
DATA = DATASETS / "localgovfaq_dev"
FOLDS = 5
SEED = 0
DEPTH = 100
LEXICAL = ("words", "chars", "title_words", "title_chars")
DENSE = ("dense_title", "dense_body")
CLICKS = ("clicks_words", "clicks_chars", "clicks_dense", "popularity")
LEXICAL_CLICKS = ("clicks_words", "clicks_chars", "popularity")
Qrels = dict[str, dict[str, int]]


def peer(docs: pd.DataFrame, kind: str) -> Callable[[str], list[str]]:
    import bm25s

    texts = (docs["title"] + "\n" + docs["body"]).tolist()
    ids = docs["content_id"].tolist()

    def bigrams(text: str) -> list[str]:
        return [text[i : i + 2] for i in range(len(text) - 1) if not text[i : i + 2].isspace()]

    if kind == "char":
        model = bm25s.BM25()
        model.index([bigrams(t) for t in texts], show_progress=False)

        def tokens(q: str) -> list[str]:
            return bigrams(q)
    else:
        model = bm25s.BM25()
        corpus = bm25s.tokenize(texts, stopwords=None, show_progress=False, return_ids=False)
        model.index(corpus, show_progress=False)

        def tokens(q: str) -> list[str]:
            return list(
                bm25s.tokenize([q], stopwords=None, return_ids=False, show_progress=False)[0]
            )

    def search(query: str) -> list[str]:
        known = [model.vocab_dict[t] for t in tokens(query) if t in model.vocab_dict]
        if not known:
            return []
        scores = model.get_scores_from_ids(known)
        top = np.argsort(-scores, kind="stable")[:DEPTH]
        return [ids[i] for i in top if scores[i] > 0]

    return search


def folds_of(qids: Sequence[str]) -> np.ndarray:
    return np.random.default_rng(SEED).permutation(len(qids)) % FOLDS


def click_pairs(
    qids: Sequence[str], queries: dict[str, str], qrels: Qrels
) -> list[tuple[str, str]]:
    """Training queries as a search log: one click per relevant document (grade ≥ 1)."""
    return [(queries[q], d) for q in qids for d, g in qrels.get(q, {}).items() if g >= 1]


def run_variant(
    base: SearchIndex,
    signals: Sequence[str],
    queries: dict[str, str],
    qrels: Qrels,
    *,
    learned: bool,
    clicks: bool,
    z_scores: bool = True,
) -> tuple[dict[str, Any], dict[str, float] | None]:
    """Scores of one row, by 5-fold cross-validation where anything is learned."""
    qids = list(queries)
    rankings: dict[str, list[str]] = {}
    weights: list[dict[str, float]] = []
    if not learned and not clicks:
        index = base.restrict(signals)
        ranks = index.rank([queries[q] for q in qids], DEPTH)
        return score_rankings(dict(zip(qids, ranks, strict=True)), qrels), None
    fold = folds_of(qids)
    for f in range(FOLDS):
        train = [q for q, k in zip(qids, fold, strict=True) if k != f]
        test = [q for q, k in zip(qids, fold, strict=True) if k == f]
        index = base.with_clicks(click_pairs(train, queries, qrels) if clicks else None)
        index = index.restrict(signals)
        if learned:
            index.fit_ranker({q: queries[q] for q in train}, qrels, seed=SEED, z_scores=z_scores)
            z = {f"{s}:z": w for s, w in index.z_weights_.items() if z_scores}
            weights.append({**index.weights_, **z})
        ranks = index.rank([queries[q] for q in test], DEPTH)
        rankings.update(zip(test, ranks, strict=True))
    mean = {s: float(np.mean([w[s] for w in weights])) for s in weights[0]} if weights else None
    return score_rankings({q: rankings[q] for q in qids}, qrels), mean


def accuracy(dense: bool) -> list[dict[str, Any]]:
    judged = read_judged(DATA / "corpus.json", DATA / "queries.json", DATA / "qrels.json")
    queries, qrels, docs = judged.queries, judged.qrels, judged.docs
    rows: list[dict[str, Any]] = []
    for name, kind in (("bm25s char 2-grams (peer)", "char"), ("bm25s whitespace (peer)", "ws")):
        search = peer(docs, kind)
        started = time.perf_counter()
        ranks = {q: search(t) for q, t in queries.items()}
        ms = (time.perf_counter() - started) / len(queries) * 1000
        rows.append({"system": name, **score_rankings(ranks, qrels), "ms_per_query": ms})
        print(_line(rows[-1]), flush=True)
    started = time.perf_counter()
    base = SearchIndex.build(docs, dense=dense)
    build_s = time.perf_counter() - started
    print(f"(Kizuki index over {len(docs):,} articles, dense={dense}: {build_s:.1f} s)", flush=True)
    # (name, signals, learned, clicks, z-scores)
    variants: list[tuple[str, tuple[str, ...], bool, bool, bool]] = [
        ("kizuki: BM25 words", ("words",), False, False, False),
        ("+ char n-grams", ("words", "chars"), False, False, False),
        ("+ title fields (equal weights)", LEXICAL, False, False, False),
        ("+ learned combination, min-max only (CV)", LEXICAL, True, False, False),
        ("+ z-scores in the combination (CV)", LEXICAL, True, False, True),
        ("+ clicks of other queries (CV)", LEXICAL + LEXICAL_CLICKS, True, True, True),
    ]
    if dense:
        variants += [
            ("lexical + dense (equal weights)", LEXICAL + DENSE, False, False, False),
            ("lexical + dense, learned, min-max only (CV)", LEXICAL + DENSE, True, False, False),
            ("lexical + dense, learned (CV)", LEXICAL + DENSE, True, False, True),
            (
                "lexical + dense + clicks, min-max only (CV)",
                LEXICAL + DENSE + CLICKS,
                True,
                True,
                False,
            ),
            ("lexical + dense + clicks, learned (CV)", LEXICAL + DENSE + CLICKS, True, True, True),
        ]
    for name, signals, learned, clicks, z_scores in variants:
        started = time.perf_counter()
        scores, weights = run_variant(
            base, signals, queries, qrels, learned=learned, clicks=clicks, z_scores=z_scores
        )
        seconds = time.perf_counter() - started
        row = {"system": name, "signals": list(signals), **scores, "seconds": round(seconds, 1)}
        if weights:
            row["mean_weights"] = {k: round(v, 3) for k, v in weights.items()}
        rows.append(row)
        print(_line(row), flush=True)
    if dense:
        index = base.restrict(LEXICAL + DENSE)
        rows.append({"system": "dense query latency (real corpus)", **_latency(index, queries)})
    return rows


def synthetic_docs(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` articles of random FAQ words (a title of 3–6, a body of 20–60)."""
    judged = read_judged(DATA / "corpus.json", DATA / "queries.json", DATA / "qrels.json")
    from kizuki.models.text import tokenize

    vocab = sorted({w for t in judged.docs["title"] for w in tokenize(t) if len(w) > 1})
    rng = np.random.default_rng(seed)
    words = np.array(vocab, dtype=object)
    titles = ["".join(words[rng.integers(0, len(words), rng.integers(3, 7))]) for _ in range(n)]
    bodies = [
        "。".join(
            "".join(words[rng.integers(0, len(words), 6)]) for _ in range(rng.integers(4, 10))
        )
        for _ in range(n)
    ]
    return pd.DataFrame(
        {"content_id": [f"a{i}" for i in range(n)], "title": titles, "body": bodies}
    )


def _latency(index: SearchIndex, queries: dict[str, str]) -> dict[str, Any]:
    texts = list(queries.values())
    for q in texts[:20]:
        index.search(q, k=5)
    times = []
    for q in texts:
        started = time.perf_counter()
        index.search(q, k=5)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 3),
        "p99_ms": round(float(np.percentile(times, 99)), 3),
        "queries": len(times),
    }


def timings() -> dict[str, Any]:
    judged = read_judged(DATA / "corpus.json", DATA / "queries.json", DATA / "qrels.json")
    docs10k = synthetic_docs(10_000, seed=1)
    index = SearchIndex.build(docs10k, dense=False)
    latency = _latency(index, judged.queries)
    print(f"latency over 10,000 articles: p50 {latency['p50_ms']} ms, p99 {latency['p99_ms']} ms")
    docs100k = synthetic_docs(100_000, seed=2)
    started = time.perf_counter()
    SearchIndex.build(docs100k, dense=False)
    build_s = time.perf_counter() - started
    print(f"build of 100,000 articles: {build_s:.1f} s", flush=True)
    return {"latency_10k": latency, "build_100k_s": round(build_s, 1)}


def _line(row: dict[str, Any]) -> str:
    return (
        f"| {row['system']:<40} | {row['hit@1']:.3f} | {row['hit@5']:.3f} | {row['mrr']:.3f} "
        f"| {row['ndcg@10']:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-dense", action="store_true", help="leave out the dense rows")
    parser.add_argument("--no-timings", action="store_true", help="leave out the timings")
    args = parser.parse_args()
    dense = not args.no_dense and dense_available()
    print("| system | hit@1 | hit@5 | MRR | nDCG@10 |\n|---|---|---|---|---|", flush=True)
    rows = accuracy(dense)
    result: dict[str, Any] = {
        "data": "localgovfaq_dev (1,786 FAQ, 375 queries)",
        "folds": FOLDS,
        "seed": SEED,
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "rows": rows,
    }
    if not args.no_timings:
        result["timings"] = timings()
    out = HERE / "out" / "search.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
