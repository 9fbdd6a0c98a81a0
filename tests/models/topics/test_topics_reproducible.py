"""Same texts, same seed, same topics: in this process and in a fresh one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

from kizuki.models.topics import IntentDiscoverer

TEXTS = [
    *[f"{s}を教えてください" for s in ("粗大ゴミの出し方", "資源ゴミの出し方", "ゴミの分別")],
    *[f"{s}はどこで取れますか" for s in ("住民票の写し", "住民票", "戸籍謄本")],
    *[f"{s}が届きません" for s in ("パスワード再設定のメール", "請求書のメール", "認証コード")],
    *[f"{s}を解約したい" for s in ("有料プラン", "年間プラン", "アカウント")],
    "I forgot my password",
    "how do I reset my password",
    "please cancel my subscription",
    "cancel the subscription renewal",
]
# Fits the default discoverer (Japanese and English, k chosen) and prints its topics.
SCRIPT = textwrap.dedent(
    """
    import json, sys
    from kizuki.models.topics import IntentDiscoverer

    model = IntentDiscoverer(random_state=int(sys.argv[1])).fit(json.loads(sys.argv[2]))
    print(json.dumps({"labels": model.labels_.tolist(), "names": model.intent_labels()}))
    """
)


def test_a_fresh_process_gives_the_same_topics() -> None:
    # Another interpreter, with another string-hash seed: set and dict order, the SVD, k-means
    # and the consensus partitions must all repeat.
    model = IntentDiscoverer(random_state=5).fit(TEXTS)
    here = {"labels": model.labels_.tolist(), "names": model.intent_labels()}
    fresh = subprocess.run(
        [sys.executable, "-c", SCRIPT, "5", json.dumps(TEXTS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert json.loads(fresh.stdout) == here
    assert model.n_topics_ > 1


def test_the_default_seed_is_fixed_and_threaded_to_every_random_step(
    ja_sentences: tuple[list[str], np.ndarray],
) -> None:
    texts, _ = ja_sentences
    assert IntentDiscoverer().random_state == 0
    for params in ({"clustering": "kmeans"}, {"k_rule": "bic", "clustering": "kmeans"}, {}):
        a = IntentDiscoverer(embedding="tfidf", **params).fit(texts)  # type: ignore[arg-type]
        b = IntentDiscoverer(embedding="tfidf", **params).fit(texts)  # type: ignore[arg-type]
        assert np.array_equal(a.labels_, b.labels_) and a.topics_ == b.topics_
        assert np.allclose(a.cluster_centers_, b.cluster_centers_)
