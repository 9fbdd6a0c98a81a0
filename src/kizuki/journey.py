"""The journey map: which pages and events belong to which stage, and where help and goals are.

A journey map is a YAML file (format in docs/journey.md) validated into a :class:`Journey`:
ordered stages with page-path patterns and event names, each optionally a *flow* with start
and goal events; help-content pages, help-search and chatbot entry points; contact entry
points; error pages and events; rage-click events; and keywords that tie a help search to an
intent. Two maps ship in ``kizuki/journeys/``: ``default`` (a subscription web service) and
``demo`` (the simulator's company).

A page pattern is one of

- a prefix: ``/app`` matches ``/app``, ``/app/x`` and ``/apple`` (any path that starts with it);
- an exact path: ``/pricing$`` matches ``/pricing`` only (``/$`` is the home page);
- a glob, when it holds ``*`` or ``?``: ``*`` matches within one path segment, ``**`` across
  segments and ``?`` one character (``/help/*/articles/*`` matches ``/help/ja/articles/faq-1``).

The functions here turn patterns into Ibis expressions, so matching runs inside the engine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kizuki.errors import ConfigError, NotFoundError

__all__ = [
    "HELP_STAGE",
    "JOURNEY_NAMES",
    "OTHER_STAGE",
    "Journey",
    "find_journey",
    "journey_path",
    "load_journey",
    "match_events",
    "match_pages",
    "stage_of",
    "unmatched_pages",
]

#: Stage of help, search, chatbot and contact pages (they belong to no journey stage).
HELP_STAGE = "help"
#: Stage of pages and events that nothing in the map matches.
OTHER_STAGE = "other"
#: The journey maps shipped with Kizuki.
JOURNEY_NAMES = ("default", "demo")

_DIR = Path(__file__).parent / "journeys"
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
EventName = Annotated[str, Field(min_length=1, max_length=200)]


def _check_pattern(value: str) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise ValueError(f"page pattern {value!r} must start with '/'")
    if value.endswith("$") and any(c in value for c in "*?"):
        raise ValueError(f"page pattern {value!r}: a glob is already exact; drop the '$'")
    return value


Pattern = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Patterns(_Model):
    @field_validator("*", mode="after")
    @classmethod
    def _patterns(cls, value: Any, info: Any) -> Any:
        if info.field_name.endswith("pages"):
            for v in value:
                _check_pattern(v)
        return value


class Stage(_Patterns):
    """One journey stage. A stage with ``goal_events`` and a start is a *flow*."""

    name: Name
    pages: list[Pattern] = []
    events: list[EventName] = []
    start_pages: list[Pattern] = []
    start_events: list[EventName] = []
    goal_events: list[EventName] = []
    flow_pages: list[Pattern] = []

    @model_validator(mode="after")
    def _flow(self) -> Stage:
        if (self.start_pages or self.start_events) and not self.goal_events:
            raise ValueError(
                f"stage {self.name!r} has a start (start_pages/start_events) but no goal_events; "
                "add the event that finishes the flow"
            )
        return self

    @property
    def is_flow(self) -> bool:
        return bool(self.goal_events) and bool(self.start_pages or self.start_events)

    @property
    def drop_off_pages(self) -> list[str]:
        """Pages whose last view is where an unfinished flow was left (``flow_pages``, else
        ``start_pages``; empty: any page of the stage)."""
        return self.flow_pages or self.start_pages


class Help(_Patterns):
    """Self-service entry points: help content, help search and the chatbot."""

    content_pages: list[Pattern] = []
    search_pages: list[Pattern] = []
    search_events: list[EventName] = []
    chatbot_pages: list[Pattern] = []
    chatbot_events: list[EventName] = []


class Contact(_Patterns):
    """Contact entry points: contact forms, chat launchers, phone pages."""

    pages: list[Pattern] = []
    events: list[EventName] = []


class Errors(_Patterns):
    """Error events (e.g. GA4 ``error`` / ``exception``) and error pages (``/404``)."""

    pages: list[Pattern] = []
    events: list[EventName] = []


class Journey(_Model):
    """A validated journey map (see docs/journey.md)."""

    name: str
    description: str = ""
    page_view_events: list[EventName] = ["page_view", "screen_view"]
    stages: Annotated[list[Stage], Field(min_length=1)]
    help: Help = Help()
    contact: Contact = Contact()
    errors: Errors = Errors()
    rage_click_events: list[EventName] = ["rage_click"]
    ignore_events: list[EventName] = []
    intents: dict[Name, list[Annotated[str, Field(min_length=1)]]] = {}

    @model_validator(mode="after")
    def _stage_names(self) -> Journey:
        seen: set[str] = set()
        for stage in self.stages:
            if stage.name in (HELP_STAGE, OTHER_STAGE):
                raise ValueError(
                    f"stage name {stage.name!r} is reserved (help and contact pages are in stage "
                    f"{HELP_STAGE!r}, unmatched ones in {OTHER_STAGE!r}); rename the stage"
                )
            if stage.name in seen:
                raise ValueError(f"stage {stage.name!r} is listed twice; stage names are unique")
            seen.add(stage.name)
        return self

    @property
    def stage_names(self) -> list[str]:
        return [s.name for s in self.stages]

    @property
    def goal_events(self) -> list[str]:
        """Every stage's goal events, in stage order, without repeats."""
        return list(dict.fromkeys(e for s in self.stages for e in s.goal_events))

    def help_pages(self) -> list[str]:
        """Every pattern of a help, search, chatbot or contact page."""
        h = self.help
        return [*h.content_pages, *h.search_pages, *h.chatbot_pages, *self.contact.pages]

    def known_events(self) -> set[str]:
        """Event names the map gives a meaning to (page views, stage, help, error, …)."""
        names = {*self.page_view_events, *self.rage_click_events, *self.ignore_events}
        for s in self.stages:
            names |= {*s.events, *s.start_events, *s.goal_events}
        h = self.help
        names |= {*h.search_events, *h.chatbot_events, *self.contact.events, *self.errors.events}
        return names


# -- loading -----------------------------------------------------------------------------------


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _validate(raw: Any, source: str) -> Journey:
    if not isinstance(raw, dict):
        raise ConfigError(
            f"journey map {source}: expected a mapping with 'name' and 'stages', "
            f"got {type(raw).__name__}"
        )
    try:
        return Journey.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _format_loc(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(
            f"journey map {source}: {loc}: {msg}; got {err.get('input')!r:.80}{more}. "
            "Fix the value in the YAML (format: docs/journey.md)."
        ) from None


def load_journey(path: str | Path | None = None, *, name: str = "default") -> Journey:
    """Read and validate a journey map.

    Parameters
    ----------
    path
        A YAML file; ``None`` reads the shipped map ``name``.
    name
        ``"default"`` (a subscription web service) or ``"demo"`` (the simulator's company).

    Raises
    ------
    ConfigError
        The YAML cannot be parsed, or a key has a bad value (the message names both).
    NotFoundError
        ``path`` does not exist.

    Examples
    --------
    >>> journey = load_journey(name="demo")
    >>> journey.stage_names[:3]
    ['visit', 'signup', 'setup']
    """
    if path is None:
        if name not in JOURNEY_NAMES:
            raise ConfigError(
                f"unknown journey map name {name!r}; use one of {list(JOURNEY_NAMES)} or a path"
            )
        source = _DIR / f"{name}.yaml"
    else:
        source = Path(path)
        if not source.is_file():
            raise NotFoundError(f"journey map {source} does not exist; give a YAML file path")
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"journey map {source} is not valid YAML: {exc}") from None
    return _validate(raw, str(source))


def find_journey(spec: str | Path) -> Journey:
    """A shipped journey map by name (``default``, ``demo``), else the YAML file ``spec``.

    >>> find_journey("demo").stage_names[:2]
    ['visit', 'signup']
    """
    if isinstance(spec, str) and spec in JOURNEY_NAMES:
        return load_journey(name=spec)
    return load_journey(spec)


# -- matching, as Ibis expressions ------------------------------------------------------------


def _glob_regex(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "^" + "".join(out) + "$"


def _specificity(pattern: str) -> int:
    """Characters a pattern fixes; the most specific matching pattern decides a page's stage."""
    return len(pattern.rstrip("$").replace("*", "").replace("?", ""))


def _one(path: ir.StringValue, pattern: str) -> ir.BooleanValue:
    if "*" in pattern or "?" in pattern:
        return path.re_search(_glob_regex(pattern))
    if pattern.endswith("$"):
        return path == pattern[:-1]
    return path.startswith(pattern)


def match_pages(path: ir.StringValue, patterns: list[str]) -> ir.BooleanValue:
    """True where ``path`` matches any of ``patterns`` (False for none; NULL paths give False)."""
    if not patterns:
        return ibis.literal(False)
    test = _one(path, patterns[0])
    for p in patterns[1:]:
        test = test | _one(path, p)
    return path.notnull() & test.fill_null(False)


def match_events(event_name: ir.StringValue, names: list[str]) -> ir.BooleanValue:
    """True where ``event_name`` is one of ``names``."""
    if not names:
        return ibis.literal(False)
    return event_name.isin(list(names)).fill_null(False)


def journey_path(journey: Journey, path: ir.StringValue) -> ir.StringValue:
    """The journey stage a page path matches, else NULL (help and unmatched pages)."""
    rules = sorted(
        ((_specificity(p), -i, p, s.name) for i, s in enumerate(journey.stages) for p in s.pages),
        key=lambda r: (r[0], r[1]),
        reverse=True,
    )
    if not rules:
        return ibis.null("string")
    return ibis.cases(*((_one(path, p), name) for _, _, p, name in rules), else_=None)


def stage_of(journey: Journey, path: ir.StringValue, event_name: ir.StringValue) -> ir.StringValue:
    """An event's stage: by event name (a stage's events, start or goal events), else by page.

    Help, search, chatbot and contact pages are in stage ``help``; anything else that nothing
    matches is in ``other``. Among page patterns the most specific match wins (the one fixing
    the most characters); ties go to the earlier stage.
    """
    by_event = [
        (match_events(event_name, [*s.events, *s.start_events, *s.goal_events]), s.name)
        for s in journey.stages
        if s.events or s.start_events or s.goal_events
    ]
    help_events = [*journey.help.search_events, *journey.help.chatbot_events]
    help_events += journey.contact.events
    by_page = journey_path(journey, path)
    is_help = match_pages(path, journey.help_pages()) | match_events(event_name, help_events)
    return ibis.cases(
        *by_event,
        (is_help, HELP_STAGE),
        (by_page.notnull(), by_page),
        else_=OTHER_STAGE,
    )


def unmatched_pages(events: ir.Table, journey: Journey) -> pd.DataFrame:
    """Pages and events of the store that the journey map does not place, with counts.

    Parameters
    ----------
    events
        The canonical ``events`` table.
    journey
        The journey map to check.

    Returns
    -------
    A DataFrame with ``kind`` (``page``: a page path no stage, help, contact or error pattern
    matches; ``event``: an event name without a page path that the map does not name),
    ``name``, ``events`` and ``visitors``, most events first.

    Examples
    --------
    >>> from kizuki.store import open_store
    >>> events = open_store("duckdb://").table("events")
    >>> unmatched_pages(events, load_journey()).columns.tolist()
    ['kind', 'name', 'events', 'visitors']
    """
    table = events
    path, name = table.page_path, table.event_name
    placed = (
        journey_path(journey, path).notnull()
        | match_pages(path, journey.help_pages())
        | match_pages(path, journey.errors.pages)
    )
    t = table.mutate(
        _kind=ibis.cases((path.isnull(), "event"), else_="page"),
        _name=ibis.coalesce(path, name),
        _visitor=ibis.coalesce(table.customer_id, table.anonymous_id),
    )
    pages = t.filter(path.notnull() & ~placed)
    named = match_events(name, sorted(journey.known_events()))
    bare = t.filter(path.isnull() & ~named)
    both = pages.union(bare)
    out = both.group_by(kind=both._kind, name=both._name).aggregate(
        events=both.count(), visitors=both._visitor.nunique()
    )
    frame: pd.DataFrame = out.to_pyarrow().to_pandas()
    frame = frame.sort_values(["events", "kind", "name"], ascending=[False, True, True])
    return frame.reset_index(drop=True)[["kind", "name", "events", "visitors"]]
