"""Help content and help search (Q5): per article, readability, engagement, how it is found and
whether contacts follow; per intent and week, the search hit rate; the failed queries.

- **Articles** (``result_content_articles``): readability (:mod:`kizuki.analytics.readability`,
  with the change since the previous run's scores), engagement time
  (:mod:`kizuki.analytics.content_engagement`), the share of views that came from a help
  search in the same session (``search_share``) or opened the session (``entry_share``: a
  direct link, a search engine), and the share of viewers who contacted a human about the
  article's intent within the window (``contact_after_share``). ``gap``: ``not_found`` — read,
  but never after a help search; ``does_not_resolve`` — at least ``contact_after_share`` of
  the viewers contacted afterwards.
- **Search weekly** (``result_search_weekly``): per local week and intent, help-search
  attempts (sessions), the hit rate (an article opened and no human contact about the intent
  within the window), the zero-result rate and the reformulation rate (two or more queries in
  the session).
- **Failed queries** (``result_failed_queries``): searches that found nothing or opened
  nothing, grouped by intent and normalised query, most frequent first: the content to write
  next. Kept queries with no known intent (none, or out of scope) are clustered by the topic
  discoverer (:class:`~kizuki.models.topics.IntentDiscoverer`, the run's seed) when there are
  at least ``min_topic_queries`` of them; ``topic`` holds the topic's label.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from kizuki.analytics.local_time import local_week_starts

if TYPE_CHECKING:
    from kizuki.analytics.pipeline import RunContext
    from kizuki.store import Store

__all__ = [
    "CONTENT_TABLES",
    "ContentConfig",
    "article_table",
    "content_step",
    "failed_queries",
    "group_failed_queries",
    "search_weekly",
]

CONTENT_TABLES = (
    "result_content_articles",
    "result_content_intents",
    "result_search_weekly",
    "result_failed_queries",
)


class ContentConfig(BaseModel):
    """Thresholds of the help-content step (``[analyze.content]``, docs/content.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_views: Annotated[
        int, Field(ge=1, description="views an article needs before it is called a gap")
    ] = 10
    contact_after_share: Annotated[
        float,
        Field(
            ge=0,
            le=1,
            description="share of viewers who contact afterwards that marks an article "
            "does_not_resolve",
        ),
    ] = 0.3
    failed_queries: Annotated[
        int, Field(ge=1, le=10_000, description="failed queries kept, most frequent first")
    ] = 200
    min_topic_queries: Annotated[
        int,
        Field(
            ge=2,
            description="failed queries with no known intent needed before they are grouped "
            "into discovered topics",
        ),
    ] = 20


def _view_context(stream: ir.Table, views: ir.Table) -> ir.Table:
    """Each view with ``from_search`` (a help search earlier in the session) and ``entry``
    (the session's first page view)."""
    is_page = stream.is_page.fill_null(False)
    firsts = stream.filter(is_page).group_by(_s1="session_key").aggregate(_first=stream.ts.min())
    searches = stream.filter(stream.help_kind == "search")
    first_search = searches.group_by(_s2="session_key").aggregate(_search=searches.ts.min())
    j = views.left_join(firsts, views.session_key == firsts._s1)
    j = j.left_join(first_search, j.session_key == first_search._s2)
    return j.select(
        "event_id",
        "session_key",
        "customer_id",
        "ts",
        "content_id",
        "seconds",
        "is_exit",
        from_search=(j._search < j.ts).fill_null(False),
        entry=(j._first == j.ts).fill_null(False),
    )


def article_table(
    views: pd.DataFrame,
    engagement: pd.DataFrame,
    readability: pd.DataFrame,
    changes: pd.DataFrame | None,
    contacts: pd.DataFrame,
    intents_of: dict[str, list[str]],
    window_days: float,
    config: ContentConfig,
) -> pd.DataFrame:
    """``result_content_articles`` from its parts (see the module docstring)."""
    v = views[views["content_id"].notna()].copy()
    v["ts"] = pd.to_datetime(v["ts"], utc=True)
    v["intent"] = [(intents_of.get(str(c)) or [""])[0] for c in v["content_id"]]
    human = contacts[(contacts["channel"] != "chatbot") & contacts["customer_id"].notna()]
    human = human.assign(opened_at=pd.to_datetime(human["opened_at"], utc=True))
    pairs = v[["event_id", "customer_id", "intent", "ts"]].merge(
        human[["customer_id", "intent", "opened_at"]], on=["customer_id", "intent"]
    )
    gap = pairs["opened_at"] - pairs["ts"]
    after = set(
        pairs.loc[(gap > pd.Timedelta(0)) & (gap <= pd.Timedelta(days=window_days)), "event_id"]
    )
    v["contact_after"] = v["event_id"].isin(after)
    v["linked"] = v["customer_id"].notna()
    per = v.groupby("content_id").agg(
        search_share=("from_search", "mean"),
        entry_share=("entry", "mean"),
        linked_views=("linked", "sum"),
        contacts_after=("contact_after", "sum"),
    )
    per["contact_after_share"] = per["contacts_after"] / per["linked_views"].where(
        per["linked_views"] > 0
    )
    eng = engagement.set_index("content_id")
    read = readability.set_index("content_id")
    ids = sorted(set(read.index) | set(eng.index.dropna()))
    out = pd.DataFrame({"content_id": ids})
    out["intent"] = [(intents_of.get(c) or [""])[0] for c in ids]
    for col in ("title", "language", "score", "level", "grade", "flags"):
        out[col] = out["content_id"].map(read[col]) if col in read else None
    out["title"] = out["title"].fillna(out["content_id"].map(eng["title"]))
    out["views"] = out["content_id"].map(eng["views"]).fillna(0).astype("int64")
    for col in ("median_seconds", "exit_share"):
        out[col] = out["content_id"].map(eng[col]).astype(float)
    for col in ("search_share", "entry_share", "contact_after_share"):
        out[col] = out["content_id"].map(per[col]).astype(float)
    out["score_change"] = (
        out["content_id"].map(changes.set_index("content_id")["score_change"]).astype(float)
        if changes is not None and len(changes)
        else np.nan
    )
    enough = out["views"] >= config.min_views
    out["gap"] = np.where(
        enough & (out["contact_after_share"] >= config.contact_after_share),
        "does_not_resolve",
        np.where(enough & (out["search_share"] == 0), "not_found", ""),
    )
    out["flags"] = out["flags"].fillna("")
    return out


def search_weekly(web: pd.DataFrame, contacted: pd.Series, timezone: str) -> pd.DataFrame:
    """``result_search_weekly`` from the web attempts (``searched`` ones) and whether each was
    followed by a human contact about its intent (aligned with ``web``)."""
    searches = web[web["searched"].astype(bool)].copy()
    searches["contacted"] = contacted[web["searched"].astype(bool)].to_numpy()
    if not len(searches):
        return pd.DataFrame(
            columns=[
                "week",
                "intent",
                "searches",
                "hit_rate",
                "zero_result_rate",
                "reformulation_rate",
            ]
        )
    searches["week"] = local_week_starts(pd.to_datetime(searches["ts"], utc=True), timezone)
    searches["hit"] = searches["viewed"].astype(bool) & ~searches["contacted"].astype(bool)
    searches["reformulated"] = searches["queries"] >= 2
    grouped = searches.groupby(["week", "intent"]).agg(
        searches=("hit", "size"),
        hit_rate=("hit", "mean"),
        zero_result_rate=("zero_results", "mean"),
        reformulation_rate=("reformulated", "mean"),
    )
    return grouped.reset_index().sort_values(["week", "intent"]).reset_index(drop=True)


def failed_queries(
    stream: ir.Table, query_intents: ir.Table | None, limit: int
) -> Callable[[Store], pd.DataFrame]:
    """``result_failed_queries``: searches with no result or with no article opened in the
    session, per (intent, normalised query: NFKC, lower case, single spaces), most frequent
    first. Returns a function of the store: the distinct raw queries are counted in the
    engine, their normal forms (few) merged in Python."""
    searches = stream.filter(stream.help_kind == "search")
    viewed = stream.filter(stream.help_kind == "content").select(_vs="session_key").distinct()
    s = searches.left_join(viewed, searches.session_key == viewed._vs)
    intent = s.intent
    if query_intents is not None:
        q = query_intents.select(_q="query", _qi="intent")
        s = s.left_join(q, s.query == q._q)
        intent = ibis.coalesce(s.intent, s._qi.nullif(""))
    zero = s.results_count.fill_null(1) == 0
    s = s.select(
        intent=intent.fill_null(""),
        query=s.query,
        ts=s.ts,
        zero=zero,
        failed=zero | s._vs.isnull(),
    )
    s = s.filter(s.failed & s.query.notnull())
    raw = s.group_by(["intent", "query"]).aggregate(
        searches=s.count(),
        zero_results=s.zero.cast("int64").sum(),
        last_seen=s.ts.max(),
    )

    def collect(store: Store) -> pd.DataFrame:
        frame = store.to_arrow(raw).to_pandas()
        frame["query"] = [_normal_query(q) for q in frame["query"]]
        frame = frame[frame["query"] != ""]
        merged = frame.groupby(["intent", "query"], as_index=False).agg(
            searches=("searches", "sum"),
            zero_results=("zero_results", "sum"),
            last_seen=("last_seen", "max"),
        )
        ranked = merged.sort_values(["searches", "intent", "query"], ascending=[False, True, True])
        top: pd.DataFrame = ranked.head(limit).reset_index(drop=True)
        return top

    return collect


def group_failed_queries(
    failed: pd.DataFrame, *, min_queries: int, seed: int, oos_label: str = "out_of_scope"
) -> pd.DataFrame:
    """``failed`` with a ``topic`` column: for the queries with no known intent (empty or
    ``oos_label``), the label of their discovered topic (each distinct query weighted once);
    empty for the others, and for all when fewer than ``min_queries`` have no intent."""
    out = failed.copy()
    out["topic"] = ""
    todo = out["intent"].fillna("").isin(("", oos_label)).to_numpy()
    if int(todo.sum()) < min_queries:
        return out
    from kizuki.models.topics import IntentDiscoverer

    texts = out.loc[todo, "query"].astype(str).tolist()
    model = IntentDiscoverer(random_state=seed).fit(texts)
    names = {int(t.topic_id): str(t.label) or f"topic {t.topic_id}" for t in model.topics_}
    out.loc[todo, "topic"] = [names[int(t)] for t in np.asarray(model.labels_)]
    return out


def _normal_query(query: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", str(query)).lower().split())


def content_step(ctx: RunContext) -> dict[str, object]:
    """The four tables of :data:`CONTENT_TABLES`."""
    from kizuki.analytics.content_engagement import (
        article_views,
        engagement_per_article,
        engagement_per_intent,
    )
    from kizuki.analytics.readability import score_readability
    from kizuki.analytics.selfservice_gaps import articles_by_intent

    settings = ctx.settings
    store = ctx.store
    content = ctx.table("content")
    stream = ctx.stream()
    queries = ctx.result_if_any("result_query_intents")
    readability = score_readability(content)
    changes = None
    if "result_content_articles" in store.list_tables():
        before = store.to_arrow(store.table("result_content_articles")).to_pandas()
        if len(before):
            changes = _changes(before, readability)
    views_expr = article_views(stream, content)
    views = store.to_arrow(_view_context(stream, views_expr)).to_pandas()
    engagement = store.to_arrow(engagement_per_article(views_expr, content)).to_pandas()
    web, contacts, attempts = _selfservice_inputs(ctx, stream, queries)
    frame = store.to_arrow(content.select("content_id", "intents")).to_pandas()
    intents_of: dict[str, list[str]] = {}
    for intent, ids in articles_by_intent(frame).items():
        for cid in ids:
            intents_of.setdefault(cid, []).append(intent)
    window = settings.selfservice.window_days
    # attempt_outcomes puts the web attempts first, in their order
    contacted = attempts["contacted"].iloc[: len(web)].reset_index(drop=True)
    return {
        "result_content_articles": article_table(
            views,
            engagement,
            readability,
            changes,
            contacts,
            intents_of,
            window,
            settings.content,
        ),
        "result_content_intents": store.to_arrow(
            engagement_per_intent(views_expr, content)
        ).to_pandas(),
        "result_search_weekly": search_weekly(web, contacted, ctx.timezone),
        "result_failed_queries": group_failed_queries(
            failed_queries(stream, queries, settings.content.failed_queries)(store),
            min_queries=settings.content.min_topic_queries,
            seed=settings.seed,
        ),
    }


def _selfservice_inputs(
    ctx: RunContext, stream: ir.Table, queries: ir.Table | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The web attempts, the contacts and every attempt's outcome: the self-service step's
    when it ran in this run (``selfservice_inputs``), else computed the same way."""
    from kizuki.analytics.selfservice import attempt_outcomes, chatbot_attempts, web_attempts

    cached = ctx.cache.get("selfservice_inputs")
    if cached is not None:
        web, contacts, attempts = cached
        return web, contacts, attempts
    config = ctx.settings.selfservice
    columns = ("contact_id", "customer_id", "channel", "opened_at", "status", "intent")
    contacts = ctx.store.to_arrow(ctx.contacts_with_model_intents().select(*columns)).to_pandas()
    web = ctx.store.to_arrow(web_attempts(stream, queries, config.return_minutes)).to_pandas()
    return web, contacts, attempt_outcomes(web, chatbot_attempts(contacts), contacts, config)


def _changes(before: pd.DataFrame, readability: pd.DataFrame) -> pd.DataFrame:
    """The score change of every article since the previous run (same language only)."""
    prev = before[["content_id", "score", "language"]].rename(
        columns={"score": "_before", "language": "_lang"}
    )
    now = readability[["content_id", "score", "language"]].merge(prev, on="content_id")
    same = now["language"] == now["_lang"]
    now["score_change"] = np.where(same, now["score"] - now["_before"], np.nan)
    return now[["content_id", "score_change"]]
