"""Time on help articles, per view, per article and per intent, on a tiny hand-built event table.

Times are seconds after T0; every expected number is worked out in the comments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kizuki.analytics.content_engagement import (
    ARTICLE_VIEW_COLUMNS,
    ENGAGEMENT_COLUMNS,
    INTENT_ENGAGEMENT_COLUMNS,
    EngagementConfig,
    article_views,
    engagement_per_article,
    engagement_per_intent,
)
from kizuki.analytics.journey_stream import journey_events
from kizuki.journey import Journey
from kizuki.store import Store

T0 = dt.datetime(2026, 4, 6, 9, 0, tzinfo=dt.UTC)
LOGIN = "/help/ja/articles/faq-login"
PAY = "/help/en/articles/faq-pay"

JOURNEY = Journey.model_validate(
    {
        "name": "t",
        "page_view_events": ["page_view"],
        "stages": [{"name": "use", "pages": ["/app"]}],
        "help": {"content_pages": ["/help/*/articles/*"], "chatbot_events": ["chatbot_open"]},
        "contact": {"pages": ["/contact"]},
    }
)

CONTENT = [
    {"content_id": "faq-login-ja", "kind": "faq", "title": "ログインできない", "language": "ja",
     "url": "https://example.com/help/ja/articles/faq-login",
     "intents": '["login_trouble", "password_reset"]'},
    {"content_id": "faq-pay-en", "kind": "faq", "title": "Card declined", "language": "en",
     "url": "https://example.com/help/en/articles/faq-pay/?ref=nav#top",
     "intents": '["payment_card_declined"]'},
    # no URL: found by the last path segment of a help-content page; a bare-string intent
    {"content_id": "pricing-faq", "kind": "faq", "title": "Pricing", "language": "en",
     "url": None, "intents": '"billing_q"'},
    {"content_id": "unviewed", "kind": "faq", "title": "Never read", "language": "en",
     "url": "/help/en/articles/unviewed", "intents": '["login_trouble"]'},
]  # fmt: skip

# (visitor, second, event, page); visitors starting with "a" are anonymous
EVENTS = [
    # c1: 40 s on LOGIN (the scroll on the article does not end the view), then 90 s on PAY:
    # the chatbot opened on the article does not end it, the contact click on /contact does
    ("c1", 0, "page_view", LOGIN),
    ("c1", 5, "scroll", LOGIN),
    ("c1", 40, "page_view", "/app"),
    ("c1", 100, "page_view", PAY),
    ("c1", 160, "chatbot_open", PAY),
    ("c1", 190, "contact_click", "/contact"),
    # c2: 2,100 s on LOGIN (kept in one session by scrolls), capped at 1,800
    ("c2", 0, "page_view", LOGIN),
    ("c2", 1000, "scroll", LOGIN),
    ("c2", 2000, "scroll", LOGIN),
    ("c2", 2100, "page_view", "/app"),
    # c3: LOGIN with a trailing slash for 30 s, then LOGIN again for 20 s (a new view)
    ("c3", 0, "page_view", LOGIN + "/"),
    ("c3", 30, "page_view", LOGIN),
    ("c3", 50, "page_view", "/app"),
    # a4 (anonymous): pricing-faq, matched by its id; floor(12.4) - floor(0.5) = 12 s
    ("a4", 0.5, "page_view", "/help/en/articles/pricing-faq"),
    ("a4", 12.4, "page_view", "/app"),
    # c5: 15 s on a help page that matches no content, then LOGIN as the last page: an exit,
    # even with a scroll on it afterwards
    ("c5", 0, "page_view", "/help/ja/articles/unknown-article"),
    ("c5", 15, "page_view", LOGIN),
    ("c5", 50, "scroll", LOGIN),
    # c6: PAY, then an hour of nothing: the next page is another session, so PAY is an exit
    ("c6", 0, "page_view", PAY),
    ("c6", 3600, "page_view", "/app"),
]


def _event_rows() -> list[dict[str, Any]]:
    rows = []
    for i, (visitor, second, name, page) in enumerate(EVENTS):
        anonymous = visitor.startswith("a")
        rows.append(
            {
                "event_id": f"e{i:03d}",
                "ts": T0 + dt.timedelta(seconds=second),
                "customer_id": None if anonymous else visitor,
                "anonymous_id": visitor if anonymous else f"anon-{visitor}",
                "event_name": name,
                "page_path": page,
            }
        )
    return rows


@pytest.fixture
def tables(store: Store, build_table: Any) -> tuple[Any, Any]:
    store.write_table("events", build_table("events", _event_rows()))
    store.write_table("content", build_table("content", CONTENT))
    content = store.table("content")
    stream = journey_events(store.table("events"), None, JOURNEY, content=content)
    return stream, content


def _by_key(rows: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in rows}


def test_each_view_lasts_until_the_next_page_or_an_event_elsewhere(
    store: Store, tables: tuple[Any, Any]
) -> None:
    stream, content = tables
    views = article_views(stream, content)
    assert views.columns == ARTICLE_VIEW_COLUMNS
    got = sorted(
        (r["visitor_id"], r["page_path"], r["content_id"], r["seconds"], r["is_exit"], r["capped"])
        for r in store.to_arrow(views).to_pylist()
    )
    assert got == sorted(
        [
            ("c1", LOGIN, "faq-login-ja", 40, False, False),
            ("c1", PAY, "faq-pay-en", 90, False, False),
            ("c2", LOGIN, "faq-login-ja", 1800, False, True),
            ("c3", LOGIN + "/", "faq-login-ja", 30, False, False),
            ("c3", LOGIN, "faq-login-ja", 20, False, False),
            ("a4", "/help/en/articles/pricing-faq", "pricing-faq", 12, False, False),
            ("c5", "/help/ja/articles/unknown-article", None, 15, False, False),
            ("c5", LOGIN, "faq-login-ja", None, True, False),
            ("c6", PAY, "faq-pay-en", None, True, False),
        ]
    )
    left = {
        (r["visitor_id"], r["page_path"]): r["left_at"] for r in store.to_arrow(views).to_pylist()
    }
    assert left[("c1", PAY)] == T0 + dt.timedelta(seconds=190)  # the contact click
    assert left[("c6", PAY)] is None


def test_per_article_median_mean_and_exits(store: Store, tables: tuple[Any, Any]) -> None:
    stream, content = tables
    out = engagement_per_article(article_views(stream, content), content)
    assert out.columns == ENGAGEMENT_COLUMNS
    rows = _by_key(store.to_arrow(out).to_pylist(), "page_path")
    assert set(rows) == {
        LOGIN,
        PAY,
        "/help/en/articles/pricing-faq",
        "/help/ja/articles/unknown-article",
    }

    login = rows[LOGIN]
    # timed views 40, 1800 (capped), 30, 20; c5's view is an exit
    assert login["content_id"] == "faq-login-ja"
    assert login["title"] == "ログインできない"
    assert login["language"] == "ja"
    assert (login["views"], login["visitors"], login["timed_views"]) == (5, 4, 4)
    assert (login["exit_views"], login["capped_views"]) == (1, 1)
    assert login["exit_share"] == pytest.approx(0.2)
    assert login["median_seconds"] == pytest.approx(35.0)  # (30 + 40) / 2
    assert login["mean_seconds"] == pytest.approx(472.5)  # 1890 / 4
    assert login["total_seconds"] == 1890

    pay = rows[PAY]
    assert (pay["views"], pay["timed_views"], pay["exit_views"]) == (2, 1, 1)
    assert (pay["median_seconds"], pay["mean_seconds"], pay["exit_share"]) == (90.0, 90.0, 0.5)

    assert rows["/help/en/articles/pricing-faq"]["median_seconds"] == 12.0
    unknown = rows["/help/ja/articles/unknown-article"]
    assert unknown["content_id"] is None
    assert (unknown["views"], unknown["median_seconds"], unknown["title"]) == (1, 15.0, None)


def test_an_article_with_only_exits_has_no_time(store: Store, build_table: Any) -> None:
    rows = [r for r in _event_rows() if r["customer_id"] == "c6"][:1]
    store.write_table("events", build_table("events", rows))
    store.write_table("content", build_table("content", CONTENT))
    content = store.table("content")
    stream = journey_events(store.table("events"), None, JOURNEY, content=content)
    out = store.to_arrow(engagement_per_article(article_views(stream, content), content))
    (row,) = out.to_pylist()
    assert (row["views"], row["exit_views"], row["timed_views"]) == (1, 1, 0)
    assert row["median_seconds"] is None and row["mean_seconds"] is None


def test_per_intent_counts_a_view_for_every_intent_of_its_article(
    store: Store, tables: tuple[Any, Any]
) -> None:
    stream, content = tables
    out = engagement_per_intent(article_views(stream, content), content)
    assert out.columns == INTENT_ENGAGEMENT_COLUMNS
    rows = _by_key(store.to_arrow(out).to_pylist(), "intent")
    # the unknown page has no intent; "unviewed" adds no views to login_trouble
    assert set(rows) == {"login_trouble", "password_reset", "payment_card_declined", "billing_q"}
    for intent in ("login_trouble", "password_reset"):
        r = rows[intent]
        assert (r["articles"], r["views"], r["timed_views"], r["exit_views"]) == (1, 5, 4, 1)
        assert r["median_seconds"] == pytest.approx(35.0)
    pay = rows["payment_card_declined"]
    assert (pay["views"], pay["median_seconds"]) == (2, 90.0)
    assert rows["billing_q"]["median_seconds"] == 12.0


def test_the_cap_is_configurable(store: Store, tables: tuple[Any, Any]) -> None:
    stream, content = tables
    views = article_views(stream, content, EngagementConfig(cap_seconds=60))
    out = _by_key(store.to_arrow(engagement_per_article(views, content)).to_pylist(), "page_path")
    # LOGIN: 40, 60 (capped), 30, 20; PAY: 90 -> 60
    assert out[LOGIN]["total_seconds"] == 150
    assert out[LOGIN]["capped_views"] == 1
    assert (out[PAY]["median_seconds"], out[PAY]["capped_views"]) == (60.0, 1)


def test_the_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="cap_seconds"):
        EngagementConfig(cap_seconds=0)
