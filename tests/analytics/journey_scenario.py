"""A tiny journey and event scenario for the journey-stream and signal tests (DuckDB, Spark).

Every visitor acts out one signal (and its near misses); times are seconds after ``T0``.
Imported by the tests beside it (``from journey_scenario import ...``); not a test module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from kizuki.journey import Journey
from kizuki.schema import arrow_schema
from kizuki.store import Store

T0 = dt.datetime(2026, 4, 6, 9, 0, tzinfo=dt.UTC)

JOURNEY = Journey.model_validate(
    {
        "name": "t",
        "page_view_events": ["page_view"],
        "stages": [
            {
                "name": "signup",
                "pages": ["/signup"],
                "start_pages": ["/signup$"],
                "flow_pages": ["/signup"],
                "goal_events": ["sign_up"],
            },
            {"name": "use", "pages": ["/app"]},
        ],
        "help": {
            "content_pages": ["/help/articles/*"],
            "search_pages": ["/help/search"],
            "search_events": ["view_search_results"],
            "chatbot_events": ["chatbot_open"],
        },
        "errors": {"events": ["error"], "pages": ["/404"]},
        "rage_click_events": ["rage_click"],
        "intents": {"billing_q": ["invoice"]},
    }
)

CONTENT = [
    {"content_id": "k1", "kind": "faq", "title": "Invoices", "intents": '["billing_q"]',
     "url": "https://x.example/help/articles/1?x=1"},
    {"content_id": "k2", "kind": "faq", "title": "Login", "intents": '["login", "other"]',
     "url": "https://x.example/help/articles/2"},
]  # fmt: skip


class Events:
    """Builds event rows: ``add(visitor, second, name, page)``; ids count up per visitor."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.count: dict[str, int] = {}

    def add(self, visitor: str, second: float, name: str, page: str | None, *,
            anonymous: bool = False, event_id: str | None = None, properties: str | None = None,
            ) -> None:  # fmt: skip
        n = self.count.get(visitor, 0)
        self.count[visitor] = n + 1
        self.rows.append(
            {
                "event_id": event_id or f"{visitor}-{n:03d}",
                "ts": T0 + dt.timedelta(seconds=second),
                "customer_id": None if anonymous else visitor,
                "anonymous_id": visitor if anonymous else f"anon-{visitor}",
                "event_name": name,
                "page_path": page,
                "properties": properties,
            }
        )

    def pages(self, visitor: str, start: float, *steps: tuple[float, str]) -> None:
        for second, page in steps:
            self.add(visitor, start + second, "page_view", page)


def table_rows(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Canonical table ``name`` (all columns nullable; missing ones NULL)."""
    schema = pa.schema([f.with_nullable(True) for f in arrow_schema(name, with_batch_id=False)])
    return pa.Table.from_pylist(rows, schema=schema)


def at(second: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=second)


def search(sid: str, second: float, query: str, results: int, clicked: str | None = None
           ) -> dict[str, Any]:  # fmt: skip
    return {"search_id": sid, "ts": at(second), "customer_id": "c-s", "query": query,
            "results_count": results, "clicked_content_id": clicked}  # fmt: skip


def scenario() -> tuple[Events, list[dict[str, Any]]]:
    e = Events()
    # errors: an error event on a page, an error page after another page, and an anonymous
    # error on a help page before any journey page
    e.pages("c-err", 0, (0, "/app/a"))
    e.add("c-err", 10, "error", "/app/a", properties='{"n": 1, "error_message": "Boom \\"x\\""}')
    e.pages("c-err", 0, (15, "/app/b"), (20, "/404"))
    e.add("a-err", 0, "error", "/help/articles/9", anonymous=True)
    # loops: 3 views within exactly 300 s; 3 views 301 s apart (no); 4 views in 30 s
    e.pages("c-loop", 0, (0, "/app/l"), (100, "/app/l"), (300, "/app/l"))
    e.pages("c-loop", 4000, (0, "/app/l"), (100, "/app/l"), (301, "/app/l"))
    e.pages("c-loop", 9000, (0, "/app/m"), (10, "/app/m"), (20, "/app/m"), (30, "/app/m"))
    # a revisit with other pages between is no loop (loop_consecutive); a reload with a
    # non-page event between the views is
    e.pages("c-rev", 0, (0, "/app/n"), (10, "/app/o"), (20, "/app/n"), (30, "/app/p"),
            (40, "/app/n"))  # fmt: skip
    e.pages("c-rev", 4000, (0, "/app/n"), (10, "/app/n"))
    e.add("c-rev", 4015, "click", "/app/n")
    e.pages("c-rev", 4000, (20, "/app/n"))
    # searches: see SEARCHES
    e.pages("c-s", 0, (0, "/app/x"))
    for i, second in enumerate((10, 70, 131, 150)):
        e.add("c-s", second, "view_search_results", "/help/search", event_id=f"s{i + 1}")
    e.pages("c-s", 0, (200, "/app/x"))
    # help content: 3 views then exit; 2 views then back to the app; help then a goal;
    # a help view with no journey page before it
    e.pages("c-h", 0, (0, "/app/y"), (10, "/help/articles/1"), (20, "/help/articles/2"),
            (30, "/help/articles/1"))  # fmt: skip
    e.pages("c-h", 5000, (0, "/app/y"), (10, "/help/articles/2"), (20, "/help/articles/1"),
            (30, "/app/z"))  # fmt: skip
    e.pages("c-h", 10000, (0, "/app/y"), (10, "/help/articles/2"))
    e.add("c-h", 10020, "sign_up", None)
    e.pages("c-h", 15000, (0, "/help/articles/2"))
    # flows: left at the second page; finished; a goal before the start does not count
    e.pages("c-f1", 0, (0, "/signup"), (10, "/signup/details"))
    e.pages("c-f2", 0, (0, "/signup"), (10, "/signup/details"))
    e.add("c-f2", 20, "sign_up", "/signup/details")
    e.add("c-f3", 0, "sign_up", None)
    e.pages("c-f3", 0, (10, "/signup"))
    # rage clicks
    e.pages("c-r", 0, (0, "/app/r"))
    e.add("c-r", 5, "rage_click", "/app/r")
    e.add("c-r", 7, "chatbot_open", "/app/r")  # self-service activity, no struggle
    # dwell: 21 timed views of /app/d (10..29 s and 200 s), of /app/q (1..20 s and 50 s),
    # and 19 of /app/s (1..18 s and 500 s)
    for page, dwells in (
        ("/app/d", [*range(10, 30), 200]),
        ("/app/q", [*range(1, 21), 50]),
        ("/app/s", [*range(1, 19), 500]),
    ):
        for i, dwell in enumerate(dwells):
            visitor = f"d{page[-1]}{i:02d}"
            e.pages(visitor, 0, (0, page), (dwell, "/app/end"))
    searches = [
        search("s1", 10, "Invoice help", 0),
        search("s2", 70, "invoice pdf", 3),
        search("s3", 131, "password", 5),
        search("s4", 150, " PASSWORD ", 0),
        # a search the events do not have (another source), in a session of its own
        search("so1", 10000, "invoice", 0),
        # a clicked article's intent beats the keywords
        search("so2", 10010, "invoice", 0, clicked="k2"),
    ]
    return e, searches


def store_scenario(store: Store, build_table: Any) -> None:
    """Write the scenario's events and searches into ``store``."""
    events, searches = scenario()
    store.write_table("events", build_table("events", events.rows))
    store.write_table("searches", build_table("searches", searches))
