"""``kizuki search …``: search the store's help content, and measure search on judged queries.

``kizuki search "パスワード 忘れた"`` runs the ``query`` command (a first argument that is not a
subcommand is a query); ``kizuki search evaluate --corpus … --queries … --qrels …`` scores
search on a judged set; ``kizuki search query evaluate`` searches for the word "evaluate".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from kizuki.cli.options import JsonOpt, StoreOpt, open_kizuki, out

__all__ = ["app"]


class _QueryByDefault(TyperGroup):
    """A group whose first argument, when it is not a subcommand, is a query for ``query``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["query", *args]
        return super().parse_args(ctx, args)  # type: ignore[no-any-return]


app = typer.Typer(
    cls=_QueryByDefault,
    help='Search help content: kizuki search "パスワード 忘れた"; measure it: kizuki search '
    "evaluate.",
    no_args_is_help=True,
)

DenseOpt = Annotated[
    bool | None,
    typer.Option(
        "--dense/--no-dense",
        help="Use the sentence encoder's signals (kizuki[multilingual]); default: when "
        "installed and the content has at most 5,000 articles.",
        show_default=False,
    ),
]


@app.command("query")
def query(
    text: Annotated[str, typer.Argument(help="What to search for.", metavar="QUERY")],
    store: StoreOpt = None,
    k: Annotated[int, typer.Option("--k", help="Number of articles to show.", min=1)] = 5,
    dense: DenseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the help articles that best answer QUERY, with their scores."""
    from rich.table import Table

    kz = open_kizuki(store)
    kz.search_index(dense="auto" if dense is None else dense)
    hits = kz.search(text, k)
    if as_json:
        records = json.loads(hits.to_json(orient="records", force_ascii=False))
        out.print_json(json.dumps(records, ensure_ascii=False))
        return
    if hits.empty:
        out.print(f"no article matches {text!r}", highlight=False)
        return
    table = Table("rank", "score", "content_id", "title", "url")
    for row in hits.itertuples(index=False):
        url = getattr(row, "url", None)
        table.add_row(
            str(row.rank), f"{row.score:.3f}", str(row.content_id), str(row.title), str(url or "")
        )
    out.print(table)


@app.command("evaluate")
def evaluate(
    corpus: Annotated[
        Path, typer.Option("--corpus", help='Articles: {"doc_id": "Question: …\\nAnswer: …"}.')
    ],
    queries: Annotated[Path, typer.Option("--queries", help='Queries: {"query_id": "text"}.')],
    qrels: Annotated[
        Path, typer.Option("--qrels", help='Judgements: {"query_id": {"doc_id": grade}}.')
    ],
    dense: DenseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Score search on judged queries: hit@1, hit@5, MRR and nDCG@10 (a document of grade ≥ 1
    is relevant; nDCG uses the grades; queries without a relevant document count as misses)."""
    import kizuki

    scores = kizuki.open("duckdb://").evaluate_search(
        corpus, queries, qrels, dense="auto" if dense is None else dense
    )
    if as_json:
        out.print_json(json.dumps(scores, ensure_ascii=False))
        return
    for key in ("hit@1", "hit@5", "mrr", "ndcg@10"):
        out.print(f"{key:<20} {scores[key]:.4f}")
    out.print(
        f"{'queries':<20} {scores['n']:,}\n"
        f"{'without_relevant':<20} {scores['n_without_relevant']:,}\n"
        f"{'articles':<20} {scores['articles']:,}\n"
        f"{'signals':<20} {', '.join(scores['signals'])}",
        highlight=False,
    )
