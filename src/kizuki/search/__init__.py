"""Help-content search (``kizuki[search]``): an index over the ``content`` table, Japanese and
English, with BM25 over normalised words and character n-grams, optional sentence vectors,
signals learned from the search log's clicks, and a learned combination of them.

::

    >>> from kizuki.search import SearchIndex, evaluate, read_judged   # doctest: +SKIP
    >>> judged = read_judged("corpus.json", "queries.json", "qrels.json")  # doctest: +SKIP
    >>> index = SearchIndex.build(judged.docs)                            # doctest: +SKIP
    >>> evaluate(index, judged.queries, judged.qrels)                     # doctest: +SKIP

See docs/search.md.
"""

from kizuki.search.index import SIGNALS, SearchIndex
from kizuki.search.judged import JudgedSet, read_corpus, read_judged, read_qrels, read_queries
from kizuki.search.metrics import evaluate, score_rankings
from kizuki.search.tokens import char_terms, word_terms

__all__ = [
    "SIGNALS",
    "JudgedSet",
    "SearchIndex",
    "char_terms",
    "evaluate",
    "read_corpus",
    "read_judged",
    "read_qrels",
    "read_queries",
    "score_rankings",
    "word_terms",
]
