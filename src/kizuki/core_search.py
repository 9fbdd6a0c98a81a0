"""The help-content search methods of :class:`kizuki.core.Kizuki` (Q5): an index over the
store's ``content`` table, with click signals and a learned ranking from its ``searches`` log,
and the evaluation of search on judged queries (:mod:`kizuki.search`, docs/search.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from kizuki.errors import ConfigError

if TYPE_CHECKING:
    from kizuki.search import SearchIndex
    from kizuki.settings import Settings
    from kizuki.store import Store

__all__ = ["MIN_CLICK_QUERIES", "SearchMethods"]

#: The search log trains the ranking (its clicks as judgements) from this many distinct
#: clicked queries on; below, the signals keep equal weights.
MIN_CLICK_QUERIES = 30


class SearchMethods:
    """Methods of :class:`~kizuki.core.Kizuki` over its help content and search log."""

    store: Store
    settings: Settings

    def search(self, query: str, k: int = 5, *, explain: bool = False) -> pd.DataFrame:
        """The ``k`` help articles that best answer ``query``: ``rank, content_id, title,
        score, url, language, kind`` (:meth:`kizuki.search.SearchIndex.search`), from
        :meth:`search_index`.

        >>> import kizuki
        >>> kizuki.open("duckdb://").search("パスワード 忘れた")  # doctest: +SKIP
        """
        return self.search_index().search(query, k, explain=explain)

    def search_index(self, *, dense: bool | str = "auto", refresh: bool = False) -> SearchIndex:
        """The search index over the store's ``content`` table, with click signals learned from
        the ``searches`` log's (query, clicked_content_id) pairs; with at least
        :data:`MIN_CLICK_QUERIES` distinct clicked queries, the signal weights are fitted on
        those clicks (each query's features from the other queries' clicks). Built on first
        use and kept until the content or the log changes (or ``refresh``)."""
        from kizuki.search import SearchIndex

        content = self._search_content()
        clicks = self._search_clicks()
        key = (
            self.store.url,
            dense,
            pd.util.hash_pandas_object(content, index=False).sum(),
            pd.util.hash_pandas_object(clicks, index=False).sum(),
        )
        cached: tuple[Any, SearchIndex] | None = getattr(self, "_search_cache", None)
        if cached is not None and cached[0] == key and not refresh:
            return cached[1]
        if content.empty:
            raise ConfigError(
                f"store {self.store.url} has no help content to search; ingest the content "
                "table first (kizuki ingest csv content.csv --table content)"
            )
        index = SearchIndex.build(content, clicks if not clicks.empty else None, dense=dense)
        known = clicks[clicks["content_id"].isin(set(content["content_id"]))]
        if known["query"].nunique() >= MIN_CLICK_QUERIES:
            queries, qrels = _clicks_as_judgements(known)
            index.fit_ranker(queries, qrels, seed=self.settings.analyze.seed)
        self._search_cache = (key, index)
        return index

    def evaluate_search(
        self,
        corpus_path: str | Path,
        queries_path: str | Path,
        qrels_path: str | Path,
        *,
        dense: bool | str = "auto",
    ) -> dict[str, Any]:
        """Search quality on a judged set in the JSON layout of localgovFAQ
        (:mod:`kizuki.search.judged`): ``hit@1, hit@5, mrr, ndcg@10, n,
        n_without_relevant`` (:func:`kizuki.search.evaluate`) of an index built over the
        corpus file with equal signal weights (nothing is learned from the judgements)."""
        from kizuki.search import SearchIndex, evaluate, read_judged

        judged = read_judged(corpus_path, queries_path, qrels_path)
        index = SearchIndex.build(judged.docs, dense=dense)
        scores = evaluate(index, judged.queries, judged.qrels)
        scores["articles"] = len(judged.docs)
        scores["signals"] = list(index.signals_)
        return scores

    def _search_content(self) -> pd.DataFrame:
        """The store's help content: content_id, title, body, url, language, kind."""
        columns = ["content_id", "title", "body", "url", "language", "kind"]
        if "content" not in self.store.list_tables():
            return pd.DataFrame(columns=columns)
        expr = self.store.table("content").select(*columns).order_by("content_id")
        frame: pd.DataFrame = self.store.to_arrow(expr).to_pandas()
        return frame

    def _search_clicks(self) -> pd.DataFrame:
        """The search log's (query, content_id) pairs with a click."""
        if "searches" not in self.store.list_tables():
            return pd.DataFrame({"query": [], "content_id": []}, dtype=object)
        table = self.store.table("searches")
        expr = (
            table.filter(table.clicked_content_id.notnull() & table.query.notnull())
            .select("query", content_id=table.clicked_content_id)
            .order_by(["query", "content_id"])
        )
        frame: pd.DataFrame = self.store.to_arrow(expr).to_pandas()
        return frame


def _clicks_as_judgements(
    clicks: pd.DataFrame,
) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """One judged query per distinct query text, its clicked articles of grade 1."""
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for i, (query, group) in enumerate(clicks.groupby("query", sort=True)):
        qid = f"q{i}"
        queries[qid] = str(query)
        qrels[qid] = dict.fromkeys(group["content_id"].astype(str), 1)
    return queries, qrels
