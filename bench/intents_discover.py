"""Benchmark topic discovery (IntentDiscoverer) on real and simulated inquiries, labels unseen.

Scores the clusters against the true intents (used only for scoring): NMI, ARI and clustering
accuracy (the best one-to-one mapping of clusters to intents, Hungarian algorithm). Seeds vary
k-means starts and the LSA's SVD; each figure is mean ± sd over the seeds. Peer in the same run:
TF-IDF (words, sublinear) + k-means with k given.

- Banking77 official test texts (3,080, 77 intents): k given = 77 and k chosen by the discoverer,
  embeddings MiniLM (frozen), TF-IDF LSA and both concatenated, Ward and k-means.
  Goal: NMI >= 0.78 and ACC >= 0.60 (published best fully unsupervised, USNID: NMI 75.3,
  ACC 54.8).
- xSID-ja (400 Japanese utterances, 10 intents): k given and k chosen by each rule (the
  default for LSA is the consensus rule; "bic" is the rule before issue 20).
- localgovFAQ development queries (375 real citizens' questions to Amagasaki City, no intent
  labels): the number of topics, the largest topic's share (goal: none over 25%), the sizes and
  the example topics; and, as a check of the grouping, how often two questions that the same
  FAQ entry answers (grade 2 in qrels) land in one topic ("same-answer pairs"), and that rate
  over the rate for two random questions ("lift").
- The simulator's Japanese Zendesk tickets with an ``intent_<name>`` tag; and the untagged
  tickets, among which a new topic emerges (``e_bookkeeping_rules``): does
  ``propose_new_topics`` find it, and does ``emerging_topics`` flag it?

MiniLM vectors are cached in bench/out/ (keyed by a hash of the texts).

    .venv/bin/python bench/intents_discover.py            # 5 seeds
    .venv/bin/python bench/intents_discover.py --seeds 1  # quick look
    .venv/bin/python bench/intents_discover.py --only xsid --only localgov --seeds 3
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from kizuki.models.emerging import emerging_topics
from kizuki.models.topics import IntentDiscoverer, propose_new_topics
from kizuki.models.topics import embedding as topic_embedding
from kizuki.models.topics.words import strip_placeholders

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
if not DATASETS.exists():
    DATASETS = Path("/work/shared/datasets")
OUT = Path(__file__).resolve().parent / "out"
NEW_TOPIC = "e_bookkeeping_rules"


# -- metrics ------------------------------------------------------------------------------


def clustering_accuracy(truth: np.ndarray, labels: np.ndarray) -> float:
    """Share of texts in the best one-to-one matching of clusters to intents."""
    _, t = np.unique(truth, return_inverse=True)
    _, p = np.unique(labels, return_inverse=True)
    table = np.zeros((p.max() + 1, t.max() + 1))
    np.add.at(table, (p, t), 1)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / len(truth))


def scores(truth: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    return {
        "nmi": float(normalized_mutual_info_score(truth, labels)),
        "ari": float(adjusted_rand_score(truth, labels)),
        "acc": clustering_accuracy(truth, labels),
        "k": float(len(np.unique(labels))),
    }


# -- cached MiniLM -------------------------------------------------------------------------


def cached_minilm(texts: Sequence[str]) -> np.ndarray:
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = OUT / f"minilm_{key}.npy"
    if path.exists():
        return np.load(path)
    from kizuki.models.encoder import SentenceEncoder

    vectors = SentenceEncoder().encode(list(texts)).astype(np.float64)
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def use_cache(texts: Sequence[str]) -> None:
    """Let the discoverer read MiniLM vectors of ``texts`` from the cache (bench only)."""
    stripped = [strip_placeholders(t) for t in texts]  # what the discoverer encodes
    table = dict(zip(stripped, cached_minilm(stripped), strict=True))
    original: Callable[[Sequence[str]], np.ndarray] = topic_embedding._minilm_vectors

    def lookup(docs: Sequence[str]) -> np.ndarray:
        if all(d in table for d in docs):
            return np.vstack([table[d] for d in docs])
        return original(docs)

    topic_embedding._minilm_vectors = lookup  # type: ignore[assignment]


# -- runs ----------------------------------------------------------------------------------


def run(texts: list[str], truth: np.ndarray, seeds: Sequence[int], **params: Any) -> dict[str, Any]:
    per_seed, cpu = [], []
    for seed in seeds:
        started = time.process_time()
        model = IntentDiscoverer(random_state=seed, **params).fit(texts)
        cpu.append(time.process_time() - started)
        per_seed.append(scores(truth, model.labels_))
    return summarise(per_seed, cpu, params)


def peer_tfidf_kmeans(texts: list[str], truth: np.ndarray, k: int, seeds: Sequence[int]) -> Any:
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    from kizuki.models.text import tokenize

    per_seed, cpu = [], []
    for seed in seeds:
        started = time.process_time()
        matrix = TfidfVectorizer(analyzer=tokenize, sublinear_tf=True).fit_transform(texts)
        labels = KMeans(k, n_init=3, random_state=seed).fit_predict(matrix)
        cpu.append(time.process_time() - started)
        per_seed.append(scores(truth, labels))
    return summarise(per_seed, cpu, {"peer": "TF-IDF + KMeans", "n_topics": k})


def summarise(
    per_seed: list[dict[str, float]], cpu: list[float], params: dict[str, Any]
) -> dict[str, Any]:
    frame = pd.DataFrame(per_seed)
    return {
        "params": params,
        "mean": frame.mean().to_dict(),
        "sd": frame.std(ddof=1).fillna(0.0).to_dict()
        if len(frame) > 1
        else dict.fromkeys(frame, 0.0),
        "cpu_s": float(np.mean(cpu)),
        "per_seed": per_seed,
    }


def row(name: str, result: dict[str, Any]) -> str:
    m, s = result["mean"], result["sd"]
    k = f"{m['k']:.0f}" if s["k"] == 0 else f"{m['k']:.1f} ± {s['k']:.1f}"
    cells = [f"{m[x]:.3f} ± {s[x]:.3f}" for x in ("nmi", "ari", "acc")]
    return f"| {name} | {k} | " + " | ".join(cells) + f" | {result['cpu_s']:.1f} |"


HEADER = "| method | k | NMI | ARI | ACC | CPU s |\n|---|---|---|---|---|---|"


def table(title: str, results: dict[str, dict[str, Any]]) -> None:
    print(f"\n### {title}\n\n{HEADER}")
    for name, result in results.items():
        print(row(name, result))


# -- datasets ------------------------------------------------------------------------------


def banking77(seeds: Sequence[int]) -> dict[str, Any]:
    test = pd.read_csv(DATASETS / "banking77" / "test.csv")
    texts, truth = test["text"].tolist(), pd.factorize(test["category"])[0]
    use_cache(texts)
    results: dict[str, dict[str, Any]] = {}
    one = seeds[:1]  # Ward on fixed vectors is deterministic
    for embedding in ("minilm", "tfidf", "minilm+tfidf"):
        for clustering in ("ward", "kmeans"):
            runs = one if (clustering == "ward" and embedding == "minilm") else seeds
            results[f"{embedding} + {clustering}, k=77"] = run(
                texts, truth, runs, n_topics=77, embedding=embedding, clustering=clustering
            )
    for embedding, clustering in (("minilm", "ward"), ("minilm", "kmeans"), ("tfidf", "ward")):
        rule = "consensus" if embedding == "tfidf" else "BIC"
        results[f"{embedding} + {clustering}, k chosen ({rule})"] = run(
            texts, truth, seeds, embedding=embedding, clustering=clustering
        )
    results["peer: TF-IDF + KMeans, k=77"] = peer_tfidf_kmeans(texts, truth, 77, seeds)
    table("Banking77 test (3,080 texts, 77 intents)", results)
    return results


def xsid_ja(seeds: Sequence[int]) -> dict[str, Any]:
    data = pd.read_csv(DATASETS / "xsid_ja" / "xsid_ja.csv")
    texts, truth = data["text"].tolist(), pd.factorize(data["intent"])[0]
    k = int(truth.max()) + 1
    use_cache(texts)
    results = {
        f"tfidf + ward, k={k}": run(texts, truth, seeds, n_topics=k, embedding="tfidf"),
        f"tfidf + kmeans, k={k}": run(
            texts, truth, seeds, n_topics=k, embedding="tfidf", clustering="kmeans"
        ),
        f"minilm (English model) + ward, k={k}": run(
            texts, truth, seeds[:1], n_topics=k, embedding="minilm"
        ),
        "default (tfidf, consensus), k chosen": run(texts, truth, seeds),
        "tfidf + ward, k chosen by BIC": run(texts, truth, seeds, embedding="tfidf", k_rule="bic"),
        "tfidf + kmeans, k chosen by BIC": run(
            texts, truth, seeds, embedding="tfidf", clustering="kmeans", k_rule="bic"
        ),
        f"peer: TF-IDF + KMeans, k={k}": peer_tfidf_kmeans(texts, truth, k, seeds),
    }
    table(f"xSID-ja ({len(texts)} utterances, {k} intents)", results)
    return results


def localgov(seeds: Sequence[int]) -> dict[str, Any]:
    """Real citizens' questions, no intent labels: topic count and sizes, same-answer pairs."""
    folder = DATASETS / "localgovfaq_dev"
    queries = json.loads((folder / "queries.json").read_text(encoding="utf-8"))
    qrels = json.loads((folder / "qrels.json").read_text(encoding="utf-8"))
    ids, texts = list(queries), list(queries.values())
    answers = [{d for d, grade in qrels.get(i, {}).items() if grade == 2} for i in ids]
    pairs = [
        (a, b) for a in range(len(ids)) for b in range(a + 1, len(ids)) if answers[a] & answers[b]
    ]
    results: dict[str, Any] = {}
    models: dict[str, IntentDiscoverer] = {}
    for name, params in (
        ("default (tfidf, consensus), k chosen", {}),
        ("tfidf + ward, k chosen by BIC", {"embedding": "tfidf", "k_rule": "bic"}),
    ):
        per_seed, cpu = [], []
        for seed in seeds:
            started = time.process_time()
            model = IntentDiscoverer(random_state=seed, **params).fit(texts)  # type: ignore[arg-type]
            cpu.append(time.process_time() - started)
            per_seed.append(_size_stats(model.labels_, pairs))
            models.setdefault(name, model)
        results[name] = {"per_seed": per_seed, "cpu_s": float(np.mean(cpu))}
    k = models["default (tfidf, consensus), k chosen"].n_topics_
    per_seed, cpu = [], []
    for seed in seeds:
        from sklearn.cluster import KMeans
        from sklearn.feature_extraction.text import TfidfVectorizer

        from kizuki.models.text import tokenize

        started = time.process_time()
        matrix = TfidfVectorizer(analyzer=tokenize, sublinear_tf=True).fit_transform(texts)
        labels = KMeans(k, n_init=3, random_state=seed).fit_predict(matrix)
        cpu.append(time.process_time() - started)
        per_seed.append(_size_stats(labels, pairs))
    results[f"peer: TF-IDF + KMeans, k={k} (the default's)"] = {
        "per_seed": per_seed,
        "cpu_s": float(np.mean(cpu)),
    }
    print(
        f"\n### localgovFAQ dev queries ({len(texts)} questions, {len(pairs)} same-answer pairs;"
        " first seed's sizes)\n\n| method | topics | largest share | sizes (largest 10) | "
        "same-answer pairs together | lift | CPU s |\n|---|---|---|---|---|---|---|"
    )
    for name, result in results.items():
        first, frame = result["per_seed"][0], pd.DataFrame(result["per_seed"])
        k_cell = f"{frame['topics'].mean():.1f}" + (
            f" ± {frame['topics'].std(ddof=1):.1f}" if len(frame) > 1 else ""
        )
        print(
            f"| {name} | {k_cell} | {frame['largest_share'].mean():.2f} "
            f"(max {frame['largest_share'].max():.2f}) | {first['sizes'][:10]} | "
            f"{frame['pairs_together'].mean():.2f} | {frame['lift'].mean():.1f} | "
            f"{result['cpu_s']:.1f} |"
        )
    model = models["default (tfidf, consensus), k chosen"]
    print("\nDefault, first seed: every topic (label, size, 2 examples)\n")
    results["topics"] = []
    for topic in model.topics_:
        examples = [e.replace("\n", " ")[:60] for e in topic.examples[:2]]
        results["topics"].append({"label": topic.label, "size": topic.size, "examples": examples})
        print(f"- {topic.label} ({topic.size}): " + " / ".join(f"「{e}」" for e in examples))
    return results


def _size_stats(labels: np.ndarray, pairs: list[tuple[int, int]]) -> dict[str, Any]:
    sizes = np.bincount(labels)
    together = float(np.mean([labels[a] == labels[b] for a, b in pairs]))
    chance = float((sizes.astype(float) ** 2).sum() / len(labels) ** 2)
    return {
        "topics": len(sizes),
        "largest_share": float(sizes.max() / len(labels)),
        "sizes": sorted(sizes.tolist(), reverse=True),
        "pairs_together": together,
        "lift": together / chance,
    }


def read_tickets(path: Path) -> pd.DataFrame:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            ticket = json.loads(line)
        except json.JSONDecodeError:
            continue  # the simulator plants broken lines on purpose
        try:
            created = pd.Timestamp(ticket["created_at"]).tz_convert("Asia/Tokyo")
        except (KeyError, TypeError, ValueError):
            continue  # and bad timestamps
        tags = ticket.get("tags") or []
        intent = next((t[len("intent_") :] for t in tags if t.startswith("intent_")), None)
        rows.append(
            {
                "text": f"{ticket.get('subject', '')}\n{ticket.get('description', '')}",
                "description": ticket.get("description", ""),
                "intent": intent,
                "ja": "lang_ja" in tags,
                "created_at": created,
            }
        )
    return pd.DataFrame(rows)


def simulated(seeds: Sequence[int], customers: int) -> dict[str, Any]:
    from kizuki.simulate import load_config, simulate_company

    cfg = load_config(None, customers=customers, days=90, seed=3)
    with tempfile.TemporaryDirectory() as tmp:
        result = simulate_company(cfg, Path(tmp))
        tickets = read_tickets(result.zendesk_file)
    new_intent = next(i for i in cfg.intents if i.name == NEW_TOPIC)
    phrasings = [*new_intent.phrasings_ja, *new_intent.phrasings_en]
    tickets["is_new"] = tickets["description"].map(lambda d: any(p in d for p in phrasings))
    ja = tickets[tickets["ja"]]
    tagged = ja[ja["intent"].notna()]
    texts, truth = tagged["text"].tolist(), pd.factorize(tagged["intent"])[0]
    k = int(truth.max()) + 1
    results: dict[str, Any] = {
        f"tfidf + ward, k={k}": run(texts, truth, seeds, n_topics=k, embedding="tfidf"),
        f"tfidf + kmeans, k={k}": run(
            texts, truth, seeds, n_topics=k, embedding="tfidf", clustering="kmeans"
        ),
        "default (tfidf, consensus), k chosen": run(texts, truth, seeds, embedding="tfidf"),
        "tfidf + ward, k chosen by BIC": run(texts, truth, seeds, embedding="tfidf", k_rule="bic"),
        f"peer: TF-IDF + KMeans, k={k}": peer_tfidf_kmeans(texts, truth, k, seeds),
    }
    table(
        f"Simulated Japanese tickets ({len(texts)} tagged, {k} intents; "
        f"{customers:,} customers, 90 days)",
        results,
    )
    results["new_topic"] = new_topic(ja, tagged, seeds[0])
    return results


def new_topic(ja: pd.DataFrame, tagged: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Untagged tickets -> proposals; which one is the emerging topic, and is it flagged?"""
    untagged = ja[ja["intent"].isna()].reset_index(drop=True)
    known = {name: group["text"].tolist() for name, group in tagged.groupby("intent")}
    discoverer = IntentDiscoverer(embedding="tfidf", random_state=seed)
    started = time.process_time()
    proposals = propose_new_topics(untagged["text"].tolist(), known, discoverer=discoverer)
    cpu = time.process_time() - started
    model = discoverer.set_params().fit(untagged["text"].tolist())
    untagged["topic"] = [f"new_{i}" for i in model.labels_]
    n_new = int(untagged["is_new"].sum())
    best = untagged[untagged["is_new"]]["topic"].value_counts()
    found: dict[str, Any] = {"untagged": len(untagged), "new_topic_tickets": n_new}
    if n_new and len(best):
        top = best.index[0]
        members = untagged["topic"] == top
        found.update(
            topic=top,
            recall=float(best.iloc[0] / n_new),
            precision=float(untagged.loc[members, "is_new"].mean()),
            label=model.topics_[int(top.split("_")[1])].label,
        )
        weekly = pd.concat(
            [
                tagged.assign(topic=tagged["intent"])[["topic", "created_at", "text"]],
                untagged[["topic", "created_at", "text"]],
            ]
        )
        flags = emerging_topics(weekly, time_col="created_at", recent_weeks=2)
        found["flagged_topics"] = flags.loc[flags["flagged"], "topic"].tolist()
        found["new_topic_flagged"] = top in found["flagged_topics"]
        new_row = flags[flags["topic"] == top].iloc[0]
        found["new_topic_test"] = {
            "count": int(new_row["count"]),
            "baseline": float(new_row["baseline"]),
            "q_value": float(new_row["q_value"]),
        }
    found["proposals"] = [
        {
            "size": p.topic.size,
            "label": p.topic.label,
            "en": p.description_en,
            "ja": p.description_ja,
        }
        for p in proposals[:5]
    ]
    found["propose_cpu_s"] = cpu
    print(f"\n### New topic among {len(untagged)} untagged Japanese tickets\n")
    print(
        f"- tickets about {NEW_TOPIC}: {n_new}; best-matching topic {found.get('topic')}: "
        f"recall {found.get('recall', 0):.2f}, precision {found.get('precision', 0):.2f}, "
        f"label {found.get('label')!r}"
    )
    print(f"- flagged by emerging_topics (last 2 weeks): {found.get('flagged_topics')}")
    for p in found["proposals"][:3]:
        print(f"- {p['ja']}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--customers", type=int, default=6000)
    parser.add_argument(
        "--only",
        choices=["banking77", "xsid", "localgov", "sim"],
        action="append",
        help="data sets to run (repeatable; default all)",
    )
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    out: dict[str, Any] = {"seeds": seeds}
    started = time.process_time()
    only = set(args.only or ["banking77", "xsid", "localgov", "sim"])
    if "banking77" in only:
        out["banking77"] = banking77(seeds)
    if "xsid" in only:
        out["xsid_ja"] = xsid_ja(seeds)
    if "localgov" in only:
        out["localgov"] = localgov(seeds)
    if "sim" in only:
        out["simulated_ja"] = simulated(seeds, args.customers)
    out["cpu_s_total"] = time.process_time() - started
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    OUT.mkdir(parents=True, exist_ok=True)
    name = (
        "intents_discover.json"
        if args.only is None
        else f"intents_discover_{'_'.join(sorted(only))}.json"
    )
    (OUT / name).write_text(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    cpu, rss = out["cpu_s_total"], out["peak_rss_mb"]
    print(f"\nCPU {cpu:.0f} s, peak RSS {rss:.0f} MB; wrote {OUT / name}")


if __name__ == "__main__":
    main()
