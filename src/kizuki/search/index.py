"""The help-content search index: BM25 fields, optional sentence vectors and click signals,
combined by learned weights.

Signals (each a score per article for a query; see docs/search.md):

==================  ===========================================================================
``words``           BM25 over the title and body words (:func:`~kizuki.search.tokens.word_terms`)
``chars``           BM25 over their character n-grams (:func:`~kizuki.search.tokens.char_terms`)
``title_words``     BM25 over the title's words only: the title's extra weight
``title_chars``     BM25 over the title's character n-grams only
``dense_title``     cosine of the query's and the title's sentence vectors (``dense``)
``dense_body``      cosine with the vector of the body's first ``dense_chars`` characters
``clicks_*``,       learned from (query, clicked content id) pairs of the search log
``popularity``      (:mod:`kizuki.search.clicks`)
==================  ===========================================================================

A query is scored on every signal over all articles; the best ``n_candidates`` of each signal
are the candidates, each signal is min-max normalised over them, and the score is the weighted
sum (:mod:`kizuki.search.ranker`). Default weights are equal (untuned);
:meth:`SearchIndex.fit_ranker` learns them from judged queries or clicks, and adds each
signal's z-score over the candidates as a second feature with its own weight.
"""

from __future__ import annotations

import copy
import pickle
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kizuki.errors import ConfigError, NotFittedError, NotFoundError
from kizuki.models.text import normalize
from kizuki.search.clicks import ClickModel
from kizuki.search.fields import Bm25Field, FloatArray, dense_available, encode
from kizuki.search.ranker import METRICS, fit_weights, normalise, standardise
from kizuki.search.tokens import char_keys, word_ids, word_terms

__all__ = ["DENSE_AUTO_MAX_DOCS", "SIGNALS", "SearchIndex"]

SIGNALS = (
    "words",
    "chars",
    "title_words",
    "title_chars",
    "dense_title",
    "dense_body",
    "clicks_words",
    "clicks_chars",
    "clicks_dense",
    "popularity",
)
#: ``dense="auto"`` encodes the articles when there are at most this many (the encoder reads
#: about 100–700 texts a second on one core).
DENSE_AUTO_MAX_DOCS = 5000
# signals scored over every article, which pick the candidates
_FULL_SIGNALS = frozenset(SIGNALS) - {"dense_body", "popularity"}
_FORMAT = "kizuki-search-index"
_FORMAT_VERSION = 2


class SearchIndex:
    """A search index over help content (``content_id, title, body``; Japanese and English).

    Parameters
    ----------
    k1, b : float
        BM25 parameters (Lucene's variant).
    dense : bool or "auto"
        Add the sentence-vector signals (``kizuki[multilingual]``); ``"auto"``: when the
        encoder is installed and there are at most :data:`DENSE_AUTO_MAX_DOCS` articles.
    dense_chars : int
        How much of the body the body vector reads.
    n_candidates : int
        Candidates taken from the top of each signal before the combination.
    weights : mapping, optional
        Starting weights of the signals (default: 1 each); :meth:`fit_ranker` learns them.

    Examples
    --------
    >>> docs = pd.DataFrame({"content_id": ["pw", "bill"],
    ...                      "title": ["パスワードを忘れた場合", "請求書の再発行"],
    ...                      "body": ["ログイン画面の「パスワードを忘れた」から再設定します。",
    ...                               "マイページから請求書をダウンロードできます。"]})
    >>> index = SearchIndex.build(docs, dense=False)
    >>> index.search("ﾊﾟｽﾜｰﾄﾞ 忘れた", k=1)["content_id"].tolist()
    ['pw']
    """

    def __init__(
        self,
        *,
        k1: float = 1.2,
        b: float = 0.75,
        dense: bool | Literal["auto"] = "auto",
        dense_chars: int = 200,
        n_candidates: int = 100,
        weights: Mapping[str, float] | None = None,
    ) -> None:
        self.k1 = k1
        self.b = b
        self.dense = dense
        self.dense_chars = dense_chars
        self.n_candidates = n_candidates
        self.weights = weights

    # -- building --------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        docs: pd.DataFrame,
        clicks: pd.DataFrame | Iterable[tuple[str, str]] | None = None,
        **params: Any,
    ) -> SearchIndex:
        """A new index with ``params`` (see the class) over ``docs``: :meth:`fit`."""
        return cls(**params).fit(docs, clicks)

    def fit(
        self,
        docs: pd.DataFrame,
        clicks: pd.DataFrame | Iterable[tuple[str, str]] | None = None,
    ) -> SearchIndex:
        """Index ``docs`` (columns ``content_id``, ``title``; optional ``body``, ``url``,
        ``language``, ``kind``) and learn the click signals from ``clicks``: (query, clicked
        content id) pairs, or a frame with ``query`` and ``content_id`` (or
        ``clicked_content_id``) columns. Pairs of unknown articles are left out
        (``clicks_ignored_``). Returns ``self``."""
        self._check_params()
        frame = _validate_docs(docs)
        titles = frame["title"].tolist()
        bodies = frame["body"].tolist()
        self._fields = _lexical_fields(titles, bodies, k1=self.k1, b=self.b)
        self.dense_ = (
            dense_available() and len(frame) <= DENSE_AUTO_MAX_DOCS
            if self.dense == "auto"
            else bool(self.dense)
        )
        self._title_vectors: FloatArray | None = None
        self._body_vectors: FloatArray | None = None
        if self.dense_:
            self._title_vectors = encode(titles)
            self._body_vectors = encode([body[: self.dense_chars] for body in bodies])
        self.docs_ = frame
        # the result columns as arrays: a frame built from a few rows of them is 4× faster
        # than taking rows of docs_
        self._columns = {
            c: frame[c].to_numpy(dtype=object)
            for c in ("content_id", "title", "url", "language", "kind")
            if c in frame
        }
        self._row = {cid: i for i, cid in enumerate(frame["content_id"])}
        self._set_clicks(clicks)
        self._requested: tuple[str, ...] | None = None
        self.signals_ = self._signals(None)
        self.weights_ = self._start_weights()
        self.z_weights_ = dict.fromkeys(self.signals_, 0.0)
        self.ranker_: dict[str, Any] = {"fitted": False}
        return self

    def _check_params(self) -> None:
        """ConfigError for a parameter out of its range."""
        if not (self.k1 > 0 and 0 <= self.b <= 1):
            raise ConfigError(f"k1 must be > 0 and b within [0, 1]; got k1={self.k1}, b={self.b}")
        if self.dense not in (True, False, "auto"):
            raise ConfigError(f"dense must be True, False or 'auto'; got {self.dense!r}")
        if int(self.n_candidates) < 1 or int(self.dense_chars) < 1:
            raise ConfigError(
                f"n_candidates and dense_chars must be ≥ 1; got {self.n_candidates}, "
                f"{self.dense_chars}"
            )
        unknown = sorted(set(self.weights or {}) - set(SIGNALS))
        if unknown:
            raise ConfigError(f"unknown signals in weights: {unknown}; known: {list(SIGNALS)}")

    def _set_clicks(self, clicks: pd.DataFrame | Iterable[tuple[str, str]] | None) -> None:
        """Keep the valid (query, row) click pairs and build the click model."""
        self.clicks_ignored_ = 0
        self._clicks: ClickModel | None = None
        self._click_queries: list[str] = []
        self._click_rows = np.zeros(0, dtype=np.int64)
        self._click_vectors: FloatArray | None = None
        if clicks is None:
            return
        pairs = _click_pairs(clicks)
        keep = [(q, self._row[c]) for q, c in pairs if q.strip() and c in self._row]
        self.clicks_ignored_ = len(pairs) - len(keep)
        if not keep:
            return
        self._click_queries = [q for q, _ in keep]
        self._click_rows = np.array([r for _, r in keep], dtype=np.int64)
        if self.dense_:
            unique = sorted(set(self._click_queries))
            vectors = encode(unique)
            at = {q: i for i, q in enumerate(unique)}
            self._click_vectors = vectors[[at[q] for q in self._click_queries]]
        self._clicks = self._click_model(np.ones(len(keep), dtype=bool))

    def _click_model(self, mask: NDArray[np.bool_]) -> ClickModel:
        """The click model of the click pairs selected by ``mask``."""
        return ClickModel(
            [q for q, m in zip(self._click_queries, mask, strict=True) if m],
            self._click_rows[mask],
            len(self.docs_),
            k1=self.k1,
            b=self.b,
            vectors=None if self._click_vectors is None else self._click_vectors[mask],
        )

    def _start_weights(self) -> dict[str, float]:
        given = self.weights or {}
        raw = {s: float(given.get(s, 1.0)) for s in self.signals_}
        if any(w < 0 for w in raw.values()) or not any(raw.values()):
            raise ConfigError(f"weights must be ≥ 0 and not all 0; got {raw}")
        total = sum(raw.values())
        return {s: w / total for s, w in raw.items()}

    def with_clicks(self, clicks: pd.DataFrame | Iterable[tuple[str, str]] | None) -> SearchIndex:
        """A copy of this index with the click signals learned from ``clicks`` instead (the
        articles are not indexed again); its weights start equal again."""
        self._check_fitted()
        new = copy.copy(self)
        new._set_clicks(clicks)
        new.signals_ = new._signals(self._requested)
        new.weights_ = new._start_weights()
        new.z_weights_ = dict.fromkeys(new.signals_, 0.0)
        new.ranker_ = {"fitted": False}
        return new

    def restrict(self, signals: Iterable[str]) -> SearchIndex:
        """A copy of this index that uses only ``signals`` (of those it has), with equal
        weights: for ablations."""
        self._check_fitted()
        wanted = tuple(signals)
        unknown = sorted(set(wanted) - set(SIGNALS))
        if unknown:
            raise ConfigError(f"unknown signals {unknown}; known: {list(SIGNALS)}")
        new = copy.copy(self)
        new._requested = wanted
        new.signals_ = new._signals(wanted)
        if not new.signals_:
            raise ConfigError(f"this index has none of the signals {list(wanted)}")
        new.weights = None
        new.weights_ = new._start_weights()
        new.z_weights_ = dict.fromkeys(new.signals_, 0.0)
        new.ranker_ = {"fitted": False}
        return new

    def _signals(self, wanted: Iterable[str] | None) -> tuple[str, ...]:
        """The signals this index has, in :data:`SIGNALS` order, among ``wanted`` (None: all)."""
        have = {"words", "chars", "title_words", "title_chars"}
        if self.dense_:
            have |= {"dense_title", "dense_body"}
        if self._clicks is not None:
            have |= {"clicks_words", "clicks_chars", "popularity"}
            have |= {"clicks_dense"} if self.dense_ else set()
        keep = set(SIGNALS if wanted is None else wanted)
        return tuple(s for s in SIGNALS if s in have and s in keep)

    # -- searching -------------------------------------------------------------------------
    def search(self, query: str, k: int = 5, *, explain: bool = False) -> pd.DataFrame:
        """The ``k`` best articles for ``query``: ``rank, content_id, title, score`` (the
        weighted sum of normalised signals, within [0, 1]) and ``url``, ``language``, ``kind``
        where the articles have them; with ``explain``, one column per signal (its normalised
        value). An empty or blank query gives an empty frame."""
        self._check_fitted()
        if not isinstance(query, str):
            raise ConfigError(f"query must be a str; got {type(query).__name__}")
        if int(k) < 1:
            raise ConfigError(f"k must be ≥ 1; got {k}")
        rows, scores, features = self._rank(query, int(k), self._clicks)
        out: dict[str, Any] = {"rank": np.arange(1, len(rows) + 1)}
        for name, values in self._columns.items():
            out[name] = values[rows]
            if name == "title":
                out["score"] = scores
        if explain:
            for j, signal in enumerate(self.signals_):
                out[signal] = features[:, j]
        return pd.DataFrame(out)

    def rank(self, queries: Sequence[str], k: int = 100) -> list[list[str]]:
        """The content ids of the ``k`` best articles for each of ``queries``, best first."""
        self._check_fitted()
        ids = self.docs_["content_id"].to_numpy()
        return [[str(c) for c in ids[self._rank(q, k, self._clicks)[0]]] for q in queries]

    def _rank(
        self, query: str, k: int, clicks: ClickModel | None
    ) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
        """Rows, scores and normalised features of the ``k`` best articles."""
        rows, raw = self._candidates(query, clicks)
        if not len(rows):
            empty = np.zeros(0)
            return rows, empty, np.zeros((0, len(self.signals_)))
        features = normalise(raw)
        weights = np.array([self.weights_[s] for s in self.signals_])
        scores = features @ weights
        z_weights = np.array([self.z_weights_[s] for s in self.signals_])
        if z_weights.any():
            scores = scores + standardise(raw) @ z_weights
        order = np.lexsort((np.arange(len(rows)), -scores))[:k]
        return rows[order], scores[order], features[order]

    def _candidates(
        self, query: str, clicks: ClickModel | None
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Candidate rows (in first-stage order) and their raw signal values."""
        words, chars = word_terms(query), char_keys([query])[1].tolist()
        if not words and not chars:
            return np.zeros(0, dtype=np.int64), np.zeros((0, len(self.signals_)))
        used = set(self.signals_)
        if not used & _FULL_SIGNALS:  # only body vectors or popularity: find by the text
            used |= {"words", "chars"}
        full: dict[str, FloatArray] = {}
        for name, terms in (("words", words), ("chars", chars)):
            for field in (name, f"title_{name}"):
                if field in used:
                    full[field] = self._fields[field].scores(terms)
        dense = bool(used & {"dense_title", "dense_body", "clicks_dense"})
        vector = encode([query])[0] if dense and self.dense_ else None
        if vector is not None and self._title_vectors is not None and "dense_title" in used:
            full["dense_title"] = self._title_vectors @ vector
        if clicks is not None:
            if "clicks_words" in used:
                full["clicks_words"] = clicks.words.scores(words)
            if "clicks_chars" in used:
                full["clicks_chars"] = clicks.chars.scores(chars)
            if vector is not None and "clicks_dense" in used:
                full["clicks_dense"] = clicks.dense(vector)
        rows = _top_union(full.values(), self.n_candidates)
        if not len(rows):
            return rows, np.zeros((0, len(self.signals_)))
        first_stage = np.sum([_max_normalised(v[rows]) for v in full.values()], axis=0)
        rows = rows[np.lexsort((rows, -first_stage))]
        columns = []
        for signal in self.signals_:
            if signal in full:
                columns.append(full[signal][rows])
            elif signal == "dense_body":
                assert self._body_vectors is not None and vector is not None
                columns.append(self._body_vectors[rows] @ vector)
            elif signal == "popularity" and clicks is not None:
                columns.append(clicks.popularity[rows])
            else:  # a click signal while fitting without clicks for this query
                columns.append(np.zeros(len(rows), dtype=np.float32))
        return rows, np.column_stack(columns).astype(np.float64)

    # -- learning the combination ----------------------------------------------------------
    def fit_ranker(
        self,
        queries: Mapping[str, str],
        qrels: Mapping[str, Mapping[str, int]],
        *,
        metric: str = "mrr",
        folds: int = 5,
        seed: int = 0,
        z_scores: bool = True,
    ) -> SearchIndex:
        """Learn the signal weights from judged ``queries`` (id → text) and ``qrels`` (id →
        {content_id: grade}, grade ≥ 1 relevant) by coordinate ascent on ``metric`` (``mrr``,
        ``hit@1`` or ``ndcg@10``); see :mod:`kizuki.search.ranker`. Each signal enters twice,
        min-max normalised (``weights_``) and, with ``z_scores``, z-scored over the candidates
        (``z_weights_``); the weights sum to 1.

        When the index has click signals, a judged query must not meet its own clicks: the
        queries are split into ``folds`` (shuffled with ``seed``) and each fold's features come
        from the clicks of the other queries (pairs whose normalised text equals a query of the
        fold are left out). Returns ``self``; ``ranker_`` says what was fitted."""
        self._check_fitted()
        if metric not in METRICS:
            raise ConfigError(f"unknown ranking metric {metric!r}; use one of {list(METRICS)}")
        if not queries:
            raise ConfigError("fit_ranker needs judged queries; got none")
        if folds < 2:
            raise ConfigError(f"folds must be ≥ 2; got {folds}")
        ids = list(queries)
        texts = [str(queries[q]) for q in ids]
        groups: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []
        if self._clicks is None:
            parts: list[tuple[NDArray[np.int64], ClickModel | None]] = [(np.arange(len(ids)), None)]
        else:
            fold_of = np.random.default_rng(seed).permutation(len(ids)) % folds
            click_texts = np.array([normalize(q) for q in self._click_queries], dtype=object)
            parts = []
            for f in range(folds):
                members = np.flatnonzero(fold_of == f)
                held = {normalize(texts[i]) for i in members}
                mask = np.array([q not in held for q in click_texts], dtype=bool)
                parts.append((members, self._click_model(mask) if mask.any() else None))
        for members, clicks in parts:
            for i in members:
                rows, raw = self._candidates(texts[i], clicks)
                judged = qrels.get(ids[i]) or {}
                grades = np.array(
                    [judged.get(str(c), 0) for c in self.docs_["content_id"].iloc[rows]],
                    dtype=np.float64,
                )
                forms = [normalise(raw), standardise(raw)] if z_scores else [normalise(raw)]
                groups.append((np.hstack(forms), grades))
        n = len(self.signals_)
        weights, score = fit_weights(groups, np.ones(len(forms) * n), metric=metric)
        weights = np.concatenate([weights, np.zeros(2 * n - len(weights))])
        self.weights_ = {s: float(w) for s, w in zip(self.signals_, weights[:n], strict=True)}
        self.z_weights_ = {s: float(w) for s, w in zip(self.signals_, weights[n:], strict=True)}
        self.ranker_ = {
            "fitted": True,
            "metric": metric,
            "train_score": score,
            "n_queries": len(ids),
            "n_used": sum(1 for _, g in groups if (g >= 1).any()),
        }
        return self

    # -- saving ----------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the index to ``path`` (a pickle with the Kizuki version); returns the path.
        Load it only from a file you trust, like any pickle."""
        from kizuki import __version__

        self._check_fitted()
        target = Path(path)
        payload = {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "kizuki_version": __version__,
            "index": self,
        }
        try:
            with target.open("wb") as handle:
                pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError as exc:
            raise ConfigError(f"cannot write the search index to {target}: {exc}") from None
        return target

    @classmethod
    def load(cls, path: str | Path) -> SearchIndex:
        """An index saved by :meth:`save`; warns when another Kizuki version wrote it."""
        from kizuki import __version__

        source = Path(path)
        if not source.is_file():
            raise NotFoundError(f"search index file {source} does not exist")
        try:
            with source.open("rb") as handle:
                payload = pickle.load(handle)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            raise ConfigError(f"{source} is not a Kizuki search index ({exc})") from None
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise ConfigError(f"{source} is not a Kizuki search index")
        if payload.get("format_version") != _FORMAT_VERSION:
            raise ConfigError(
                f"{source} is search index format {payload.get('format_version')}; this Kizuki "
                f"reads format {_FORMAT_VERSION}: build the index again"
            )
        if payload.get("kizuki_version") != __version__:
            warnings.warn(
                f"search index {source} was saved by Kizuki {payload.get('kizuki_version')}; "
                f"this is Kizuki {__version__}. Check its results or build it again.",
                UserWarning,
                stacklevel=2,
            )
        index: SearchIndex = payload["index"]
        return index

    def _check_fitted(self) -> None:
        if not hasattr(self, "docs_"):
            raise NotFittedError(
                "this SearchIndex has no content yet; call SearchIndex.build(docs) or fit(docs)"
            )

    def __repr__(self) -> str:
        size = f"{len(self.docs_):,} articles" if hasattr(self, "docs_") else "not built"
        return f"SearchIndex({size})"


def _lexical_fields(
    titles: Sequence[str], bodies: Sequence[str], *, k1: float, b: float
) -> dict[str, Bm25Field]:
    """The four BM25 fields: words and character n-grams of title + body, and of the title.

    Titles and bodies are read in one pass (``word_ids`` and ``char_keys`` over titles, then
    bodies); a term's article is its text's index modulo the number of articles."""
    n = len(titles)
    texts = [*titles, *bodies]
    terms, word_rows, word_terms_ = word_ids(texts)
    words = {term: i for i, term in enumerate(terms)}
    char_rows, keys = char_keys(texts)
    codes, uniques = pd.factorize(keys)
    chars = {int(key): i for i, key in enumerate(uniques.tolist())}
    char_codes = codes.astype(np.int64)
    in_title, in_title_chars = word_rows < n, char_rows < n
    params = {"k1": k1, "b": b}
    return {
        "words": Bm25Field(word_rows % n, word_terms_, n, words, **params),
        "chars": Bm25Field(char_rows % n, char_codes, n, chars, **params),
        "title_words": Bm25Field(word_rows[in_title], word_terms_[in_title], n, words, **params),
        "title_chars": Bm25Field(
            char_rows[in_title_chars], char_codes[in_title_chars], n, chars, **params
        ),
    }


def _validate_docs(docs: pd.DataFrame) -> pd.DataFrame:
    """The articles as a frame of strings; ConfigError for missing columns, ids or content."""
    if not isinstance(docs, pd.DataFrame):
        raise ConfigError(f"docs must be a pandas DataFrame; got {type(docs).__name__}")
    missing = [c for c in ("content_id", "title") if c not in docs.columns]
    if missing:
        raise ConfigError(
            f"docs lack the column(s) {missing}; need content_id and title (body, url, "
            f"language optional); found {list(docs.columns)}"
        )
    if docs.empty:
        raise ConfigError("no articles to index: the content is empty (ingest the content table)")
    if docs["content_id"].isna().any():
        raise ConfigError(
            f"{int(docs['content_id'].isna().sum())} article(s) have no content_id; every "
            "article needs one"
        )
    frame = pd.DataFrame({"content_id": docs["content_id"].astype(str)})
    duplicated = frame["content_id"][frame["content_id"].duplicated()].unique().tolist()
    if duplicated:
        raise ConfigError(f"content_id must be unique; repeated: {duplicated[:5]}")
    for column in ("title", "body"):
        values = docs[column] if column in docs.columns else pd.Series([""] * len(docs))
        frame[column] = [v if isinstance(v, str) else "" for v in values.tolist()]
    for column in ("url", "language", "kind"):
        if column in docs.columns:
            frame[column] = docs[column].tolist()
    if not any(t.strip() or b.strip() for t, b in zip(frame["title"], frame["body"], strict=True)):
        raise ConfigError("every article has an empty title and body: nothing to index")
    return frame


def _click_pairs(clicks: pd.DataFrame | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(query, content_id) pairs from a frame or an iterable; ConfigError if neither fits."""
    if isinstance(clicks, pd.DataFrame):
        target = "content_id" if "content_id" in clicks.columns else "clicked_content_id"
        if "query" not in clicks.columns or target not in clicks.columns:
            raise ConfigError(
                f"clicks need the columns query and content_id (or clicked_content_id); "
                f"found {list(clicks.columns)}"
            )
        frame = clicks[["query", target]].dropna()
        return [(str(q), str(c)) for q, c in zip(frame["query"], frame[target], strict=True)]
    pairs = []
    for item in clicks:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise ConfigError(f"each click must be a (query, content_id) pair; got {item!r}")
        if item[0] is not None and item[1] is not None:
            pairs.append((str(item[0]), str(item[1])))
    return pairs


def _top_union(scores: Iterable[FloatArray], n: int) -> NDArray[np.int64]:
    """Rows among the ``n`` highest positive scores of any of ``scores``."""
    picked: list[NDArray[np.int64]] = []
    for values in scores:
        positive = np.flatnonzero(values > 0)
        if len(positive) > n:
            positive = positive[np.argpartition(-values[positive], n - 1)[:n]]
        picked.append(positive.astype(np.int64))
    return np.unique(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)


def _max_normalised(values: FloatArray) -> NDArray[np.float64]:
    top = float(values.max()) if len(values) else 0.0
    return values.astype(np.float64) / top if top > 0 else np.zeros(len(values))
