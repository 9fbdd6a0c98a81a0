"""Digital-content engagement time: how long visitors stay on help articles, per article and
per intent.

Everything here is an Ibis expression over the annotated event stream of
:func:`~kizuki.analytics.journey_stream.journey_events` (sessions per resolved person, help
pages recognised by the journey map's ``help.content_pages``), so it runs inside the engine;
only the per-article and per-intent tables are small. Definitions: docs/content.md.

- **An article view** is a page view (``is_page``) whose page is help content: its path, without
  query, fragment and trailing ``/``, equals the path of a content ``url``
  (``https://example.com/help/ja/articles/faq-login`` → ``/help/ja/articles/faq-login``), or
  the page is a help-content page of the journey map and its last path segment is a
  ``content_id``. A help-content page that matches no content is still an article view, with
  ``content_id`` NULL (reported under its path).
- **Time on the article** runs from the view to the first later event of the same session that
  is a page view or is on another page (a row without a page path, such as a search logged
  only in ``searches``, counts as another page). Events on the article itself (scroll,
  ``user_engagement``, a "was this helpful?" click) do not end it, and a reload is a new view.
  Whole seconds (each timestamp floored, as the dwell signal does), capped at
  ``cap_seconds`` (30 minutes by default; capped views are counted).
- **Exits**: a view with no such later event is the session's last page. Its time is unknown:
  it is counted in ``views`` and ``exit_views`` but not in the times (no guess is made).
- **Per intent**: a view counts for every intent in its content's ``intents`` (a JSON list).
"""

from __future__ import annotations

from typing import Annotated

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ARTICLE_VIEW_COLUMNS",
    "ENGAGEMENT_COLUMNS",
    "INTENT_ENGAGEMENT_COLUMNS",
    "EngagementConfig",
    "article_views",
    "engagement_per_article",
    "engagement_per_intent",
]

#: Columns of :func:`article_views`, in order.
ARTICLE_VIEW_COLUMNS = (
    "event_id",
    "session_key",
    "visitor_id",
    "customer_id",
    "ts",
    "page_path",
    "content_id",
    "left_at",
    "seconds",
    "is_exit",
    "capped",
)
_FIGURES = (
    "views",
    "visitors",
    "timed_views",
    "exit_views",
    "capped_views",
    "exit_share",
    "median_seconds",
    "mean_seconds",
    "total_seconds",
)
#: Columns of :func:`engagement_per_article`, in order.
ENGAGEMENT_COLUMNS = ("content_id", "page_path", "title", "language", *_FIGURES)
#: Columns of :func:`engagement_per_intent`, in order.
INTENT_ENGAGEMENT_COLUMNS = ("intent", "articles", *_FIGURES)


class EngagementConfig(BaseModel):
    """Settings of the engagement-time figures (docs/content.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cap_seconds: Annotated[
        int, Field(ge=1, description="time on an article is capped at this many seconds")
    ] = 1800


def _clean_path(path: ir.StringValue) -> ir.StringValue:
    """A path without query, fragment and trailing slashes ('' becomes NULL)."""
    return path.re_replace(r"[?#].*$", "").re_replace(r"/+$", "").nullif("")


def _url_path(url: ir.StringValue) -> ir.StringValue:
    """The path of a URL (a bare path stays as it is), cleaned like page paths."""
    return _clean_path(url.re_replace(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*", ""))


def _epoch_seconds(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Whole seconds since the epoch, floored the same way on every backend."""
    return ts.epoch_seconds().cast("float64").floor().cast("int64")


def _article_pages(stream: ir.Table, content: ir.Table) -> ir.Table:
    """Per distinct ``(page_path, help_kind)`` of page views that are articles: ``_pp``,
    ``_hk`` and ``_cid`` (the content id, or NULL). Matching once per distinct path is far
    cheaper than per view."""
    pages = stream.filter(stream.is_page.fill_null(False) & stream.page_path.notnull())
    paths = pages.select(_pp=pages.page_path, _hk=pages.help_kind).distinct()
    paths = paths.mutate(_np=_clean_path(paths._pp))
    by_url = content.select(_cpath=_url_path(content.url), _ucid=content.content_id)
    by_url = by_url.filter(by_url._cpath.notnull())
    by_url = by_url.group_by("_cpath").aggregate(_ucid=by_url._ucid.min())
    ids = content.select(_sid=content.content_id).distinct()
    is_help = (paths._hk == "content").fill_null(False)
    paths = paths.mutate(
        _slug=ibis.cases((is_help, paths._np.re_extract(r"([^/]+)$", 1)), else_=None),
        _is_help=is_help,
    )
    j = paths.left_join(by_url, paths._np == by_url._cpath).left_join(ids, paths._slug == ids._sid)
    j = j.mutate(_cid=ibis.coalesce(j._ucid, j._sid))
    j = j.filter(j._cid.notnull() | j._is_help)
    return j.select("_pp", "_hk", "_cid")


def article_views(
    stream: ir.Table, content: ir.Table, config: EngagementConfig | None = None
) -> ir.Table:
    """Every view of a help article with the time spent on it.

    Parameters
    ----------
    stream
        The annotated event stream of :func:`~kizuki.analytics.journey_stream.journey_events`
        (``event_id, ts, session_key, visitor_id, customer_id, page_path, is_page,
        help_kind, page_seq`` are read).
    content
        The canonical ``content`` table (``content_id``, ``url``).
    config
        The cap on time per view; defaults: :class:`EngagementConfig`.

    Returns
    -------
    Columns :data:`ARTICLE_VIEW_COLUMNS`: the view's ids, time and page, its ``content_id``
    (NULL for a help page that matches no content), ``left_at`` (the time of the event that
    ended it, NULL for an exit), ``seconds`` (capped at ``cap_seconds``, NULL for an exit),
    ``is_exit`` and ``capped``.

    Examples
    --------
    >>> from kizuki.analytics.journey_stream import journey_events
    >>> from kizuki.journey import load_journey
    >>> from kizuki.store import open_store
    >>> store = open_store("duckdb://")
    >>> stream = journey_events(store.table("events"), None, load_journey(name="demo"))
    >>> article_views(stream, store.table("content")).columns[-4:]
    ('left_at', 'seconds', 'is_exit', 'capped')
    """
    config = config or EngagementConfig()
    is_page = stream.is_page.fill_null(False)
    pages = _article_pages(stream, content)
    views = stream.filter(is_page & stream.page_path.notnull())
    views = views.join(
        pages,
        [views.page_path == pages._pp, views.help_kind.identical_to(pages._hk)],
    )
    views = views.select(
        "event_id",
        "session_key",
        "visitor_id",
        "customer_id",
        "ts",
        "page_path",
        "page_seq",
        content_id=views._cid,
    )
    # the next page view of the session is numbered page_seq + 1: a join, not a sort
    pv = stream.filter(is_page)
    following = pv.select(_ns=pv.session_key, _nseq=pv.page_seq - 1, _next=pv.ts)
    # other rows between this view and the next share its page_seq
    other = stream.filter(~is_page)
    other = other.select(
        _os=other.session_key, _oseq=other.page_seq, _opath=other.page_path, _ots=other.ts
    )
    key = views.select(_vid="event_id", _vs="session_key", _vseq="page_seq", _vpath="page_path")
    off = key.join(other, [key._vs == other._os, key._vseq == other._oseq])
    off = off.filter(~off._opath.identical_to(off._vpath))
    off = off.group_by(_ovid=off._vid).aggregate(_away=off._ots.min())
    nxt = views.left_join(
        following, [views.session_key == following._ns, views.page_seq == following._nseq]
    ).drop("_ns", "_nseq")
    # joined to the first join's result, not to `views`: `off` derives from `views`, and
    # Ibis 12 matched the wrong rows for a predicate on `views` itself (found by the tests)
    j = nxt.left_join(off, nxt.event_id == off._ovid)
    left_at = ibis.cases(
        (j._next.isnull(), j._away),
        (j._away.isnull(), j._next),
        (j._away < j._next, j._away),
        else_=j._next,
    )
    j = j.mutate(left_at=left_at)
    raw = _epoch_seconds(j.left_at) - _epoch_seconds(j.ts)
    cap = ibis.literal(config.cap_seconds, "int64")
    return j.select(
        "event_id",
        "session_key",
        "visitor_id",
        "customer_id",
        "ts",
        "page_path",
        "content_id",
        "left_at",
        seconds=ibis.cases((raw > cap, cap), else_=raw).cast("int64"),
        is_exit=j.left_at.isnull(),
        capped=(raw > cap).fill_null(False),
    )


def _figures(t: ir.Table) -> dict[str, ir.Value]:
    views = t.count()
    exits = t.is_exit.cast("int64").sum()
    return {
        "views": views,
        "visitors": t.visitor_id.nunique(),
        "timed_views": t.seconds.count(),
        "exit_views": exits,
        "capped_views": t.capped.cast("int64").sum(),
        "exit_share": exits.cast("float64") / views.cast("float64"),
        "median_seconds": t.seconds.median().cast("float64"),
        "mean_seconds": t.seconds.mean().cast("float64"),
        "total_seconds": t.seconds.sum().cast("int64"),
    }


def engagement_per_article(views: ir.Table, content: ir.Table) -> ir.Table:
    """Time on each help article: views, exits, median and mean seconds.

    Parameters
    ----------
    views
        :func:`article_views`.
    content
        The canonical ``content`` table (``title`` and ``language`` are joined on).

    Returns
    -------
    One row per ``content_id`` (and per path of help pages that match no content, with
    ``content_id`` NULL), columns :data:`ENGAGEMENT_COLUMNS`: ``page_path`` (the first of the
    article's paths), ``views``, ``visitors``, ``timed_views`` (views with a known time),
    ``exit_views``, ``capped_views``, ``exit_share``, ``median_seconds`` and
    ``mean_seconds`` (of timed views, NULL when none) and ``total_seconds``.
    """
    keyed = views.mutate(_key=ibis.coalesce(views.content_id, _clean_path(views.page_path)))
    per = keyed.group_by(["content_id", "_key"]).aggregate(
        page_path=keyed.page_path.min(), **_figures(keyed)
    )
    info = content.select(_cid=content.content_id, title=content.title, language=content.language)
    j = per.left_join(info, per.content_id == info._cid)
    return j.select(*ENGAGEMENT_COLUMNS).order_by(["content_id", "page_path"])


def _intent_pairs(content: ir.Table) -> ir.Table:
    """``(_icid, intent)``: one row per content and intent of its ``intents`` JSON list
    (a bare string is one intent)."""
    text = content.intents.cast("string")
    inner = text.re_replace(r"^\s*\[", "").re_replace(r"\]\s*$", "")
    parts = content.select(_icid=content.content_id, _part=inner.split(",")).unnest("_part")
    pairs = parts.select(
        "_icid", intent=parts._part.re_replace(r'^[\s"]+', "").re_replace(r'[\s"]+$', "")
    )
    return pairs.filter(pairs.intent.notnull() & (pairs.intent != "")).distinct()


def engagement_per_intent(views: ir.Table, content: ir.Table) -> ir.Table:
    """Time on help articles per intent (a view counts for each intent of its article).

    Parameters
    ----------
    views
        :func:`article_views`.
    content
        The canonical ``content`` table (``content_id``, ``intents``).

    Returns
    -------
    One row per intent, columns :data:`INTENT_ENGAGEMENT_COLUMNS`: ``articles`` (articles of
    the intent that were viewed) and the figures of :func:`engagement_per_article`. Views of
    help pages that match no content have no intent and are left out.
    """
    pairs = _intent_pairs(content)
    j = views.join(pairs, views.content_id == pairs._icid)
    per = j.group_by("intent").aggregate(articles=j.content_id.nunique(), **_figures(j))
    return per.select(*INTENT_ENGAGEMENT_COLUMNS).order_by("intent")
