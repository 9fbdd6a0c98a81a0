"""How :mod:`kizuki.journey_suggest` decides a journey map's stages from a few aggregates.

Everything here is plain Python over the small tables that the engine returned: sections and
page templates with their sessions, the standard GA4 events fired on them, and the busiest pages
of every event. The rules, in order (docs/journey.md, "Suggesting a map"):

1. A section's (first path segment's) kind is told by its name, else by the GA4 event of which
   at least half fires there, else it is a stage of its own when enough sessions see it.
2. A page template whose first named segment after the section tells another kind gets a pattern
   of its own (``/account/billing`` in ``/account``, ``/pages/faq`` in ``/pages``).
3. Help, contact and error pages go to those sections of the map; a help section that also holds
   search or contact pages is listed by its article templates.
4. Each stage takes its kind's GA4 events, goals and start events; an event named like a
   completion (``*_complete``, ``*_create``, ``*_change`` …) that fires mostly on one stage's
   pages becomes its goal, and the page where a goal fires starts the flow when nothing else does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kizuki.journey import _glob_regex, _specificity

__all__ = [
    "AUTOMATIC",
    "KINDS",
    "NOT_STAGES",
    "Draft",
    "Unit",
    "assemble",
    "decide_units",
    "matches",
]


@dataclass(frozen=True)
class Kind:
    """What tells a stage kind: words in a path segment, and GA4 events."""

    keywords: frozenset[str]
    events: tuple[str, ...] = ()  # GA4 events that tell the kind where they fire
    goals: tuple[str, ...] = ()  # GA4 goal events of the kind
    start_events: tuple[str, ...] = ()


def _kw(words: str) -> frozenset[str]:
    return frozenset(words.split())


#: Stage kinds, in the order a visitor usually meets them; ``visit`` is called ``browse`` on
#: a shop. ``help``, ``contact`` and ``errors`` become those sections of the map, not stages.
KINDS: dict[str, Kind] = {
    "visit": Kind(
        _kw(
            "features pricing plans case-studies customers blog news about about-us lp landing "
            "collections collection category categories shop catalog catalogue brands brand "
            "search sale lookbook"
        ),
        events=("view_item_list", "select_item", "view_promotion", "select_promotion"),
    ),
    "signup": Kind(
        _kw("signup sign-up sign_up register registration join trial free-trial create-account"),
        events=("sign_up", "generate_lead"),
        goals=("sign_up", "generate_lead"),
    ),
    "setup": Kind(
        _kw("setup set-up onboarding welcome getting-started get-started tutorial"),
        events=("tutorial_begin", "tutorial_complete"),
        goals=("tutorial_complete", "setup_complete", "onboarding_complete"),
        start_events=("tutorial_begin",),
    ),
    "product": Kind(
        _kw("products product p item items dp goods"),
        events=("view_item", "add_to_cart", "add_to_wishlist"),
        goals=("add_to_cart",),
    ),
    "cart": Kind(_kw("cart basket bag trolley"), events=("view_cart", "remove_from_cart")),
    "checkout": Kind(
        _kw("checkout checkouts payment payments pay shipping"),
        events=("begin_checkout", "add_shipping_info", "add_payment_info"),
        goals=("purchase",),
        start_events=("begin_checkout",),
    ),
    "purchase": Kind(
        _kw(
            "thank-you thank_you thankyou thanks order-complete order-confirmation confirmation "
            "complete order-received success"
        )
    ),
    "account": Kind(
        _kw("account accounts login log-in signin sign-in logout mypage profile my-account"),
        events=("login",),
        goals=("login",),
    ),
    "use": Kind(_kw("app dashboard workspace console projects")),
    "billing": Kind(_kw("billing receipts subscription subscriptions")),
    "renewal": Kind(_kw("plan upgrade renew renewal cancel downgrade")),
    "help": Kind(
        _kw(
            "help faq faqs support docs kb knowledge knowledge-base helpcenter help-center "
            "guide guides manual qa"
        )
    ),
    "contact": Kind(_kw("contact contact-us contacts inquiry inquiries otoiawase toiawase")),
    "errors": Kind(_kw("404 500 error errors not-found notfound")),
}
NOT_STAGES = ("help", "contact", "errors")
#: GA4's automatically collected and enhanced-measurement events: not stages, not goals.
AUTOMATIC = (
    *("session_start", "first_visit", "first_open", "user_engagement", "scroll", "click"),
    *("file_download", "video_start", "video_progress", "video_complete", "form_start"),
    *("form_submit", "app_remove", "os_update", "select_content"),
)
_SHOP_EVENTS = ("view_item", "view_item_list", "add_to_cart", "view_cart", "begin_checkout")
_COMPLETION = re.compile(
    r"_(complete|completed|create|created|change|changed|success|done|finish|finished|confirm)$"
)
_LANG = re.compile(r"^[a-z]{2}([-_][a-zA-Z]{2,4})?$")
_LANGS = _kw(
    "ja en zh ko fr de es it pt nl ru sv da no fi pl tr th vi id ms ar he hi cs hu el ro uk"
)


@dataclass
@dataclass
class Unit:
    """A page pattern of the suggested map and why it is there."""

    pattern: str
    kind: str
    evidence: str
    section: str


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _counts_of(row: Mapping[str, Any]) -> dict[str, int]:
    return {k[3:]: int(v) for k, v in row.items() if k.startswith("n__") and v}


# -- deciding ----------------------------------------------------------------------------------


def _keyword_kind(segment: str) -> str | None:
    seg = segment.lower()
    for kind, spec in KINDS.items():
        if seg in spec.keywords:
            return kind
    return None


def _is_wild(segment: str) -> bool:
    return (
        segment == "*"
        or segment in _LANGS
        or (
            bool(_LANG.match(segment))
            and segment not in (k for spec in KINDS.values() for k in spec.keywords)
        )
    )


def _generalise(template: str) -> str:
    """Language codes after the section become ``*`` (``/help/ja/x`` → ``/help/*/x``)."""
    parts = template.split("/")
    return "/".join(p if i < 2 or not _is_wild(p) else "*" for i, p in enumerate(parts))


def _event_kind(counts: Mapping[str, int], totals: Mapping[str, int]) -> tuple[str, str] | None:
    """The kind told by the standard event of which the most fires here (at least half)."""
    best: tuple[float, str, str] | None = None
    for kind, spec in KINDS.items():
        for name in spec.events:
            if counts.get(name) and totals.get(name):
                share = counts[name] / totals[name]
                if share >= 0.5 and (best is None or share > best[0]):
                    best = (share, kind, name)
    if best is None:
        return None
    return best[1], f"{best[0]:.0%} of `{best[2]}` events fire here"


#: Which kinds of sub-page get a pattern of their own inside a section of a known kind:
#: SaaS accounts and apps hold billing and plan pages; a checkout its thank-you page; any
#: section its help, contact and error pages (a help section only its contact pages).
_SPLITS = {
    "account": frozenset(KINDS) - {"visit", "account"},
    "use": frozenset(KINDS) - {"visit", "use"},
    "checkout": frozenset({"purchase", "help", "contact", "errors"}),
    "help": frozenset({"contact"}),
}


def _splits(kind: str | None, sub_kind: str) -> bool:
    if kind is None:
        return True
    return sub_kind in _SPLITS.get(kind, frozenset(NOT_STAGES) - {kind})


def _prefix(parts: list[str]) -> str:
    pattern = "/".join(parts)
    return pattern + "**" if "*" in pattern else pattern


def matches(path: str, pattern: str) -> bool:
    if "*" in pattern or "?" in pattern:
        return re.match(_glob_regex(pattern), path) is not None
    if pattern.endswith("$"):
        return path == pattern[:-1]
    return path.startswith(pattern)


def decide_units(
    sections: pd.DataFrame,
    templates: pd.DataFrame,
    totals: Mapping[str, int],
    sessions: int,
    min_share: float,
) -> tuple[list[Unit], list[tuple[str, float]], list[str]]:
    """Page patterns with their kinds, sections not placed (with share), help page templates."""
    units: list[Unit] = []
    unplaced: list[tuple[str, float]] = []
    by_section: dict[str, list[dict[str, Any]]] = {}
    for row in records(templates):
        by_section.setdefault(row["_section"], []).append(row)
    for row in records(sections):
        section, share = row["_section"], row["sessions"] / max(sessions, 1)
        counts = _counts_of(row)
        kind = "visit" if section == "/" else _keyword_kind(section[1:])
        evidence = "the home page" if section == "/" else f"name '{section[1:]}'"
        if kind is None and (told := _event_kind(counts, totals)):
            kind, evidence = told
        subs: dict[str, Unit] = {}
        rest_sessions = 0
        for t in by_section.get(section, []):
            parts = _generalise(t["_template"]).split("/")
            named = next((i for i in range(2, len(parts)) if not _is_wild(parts[i])), None)
            sub_kind = _keyword_kind(parts[named]) if named is not None else None
            if named is not None and sub_kind is not None and _splits(kind, sub_kind):
                pattern = _prefix(parts[: named + 1])
                subs.setdefault(pattern, Unit(pattern, sub_kind, f"name '{parts[named]}'", section))
            else:
                rest_sessions += int(t["sessions"])
        units.extend(subs.values())
        if section == "/":
            units.append(Unit("/$", "visit", evidence, section))
        elif kind is not None and (rest_sessions or not subs):
            units.append(Unit(section, kind, evidence, section))
        elif kind is None and (not subs or rest_sessions):
            left = rest_sessions / max(sessions, 1) if subs else share
            if left >= min_share and re.match(r"^/[A-Za-z][A-Za-z0-9_-]*$", section):
                units.append(Unit(section, "custom", "its share of sessions", section))
            elif left > 0:
                unplaced.append((section, left))
    help_templates = sorted(
        {
            _generalise(t)
            for t in templates["_template"]
            if any(u.kind == "help" and matches(t, u.pattern) for u in units)
        }
    )
    return units, unplaced, help_templates


def _help_parts(
    units: list[Unit], help_templates: list[str], search_pages: list[str]
) -> dict[str, list[str]]:
    """Help content and search page patterns; search pages take precedence over content."""
    search = sorted({_generalise(p) for p in search_pages})
    search += [t for t in help_templates if t.rsplit("/", 1)[-1] == "search" and t not in search]
    contact = [u.pattern for u in units if u.kind == "contact"]
    content = []
    for u in units:
        if u.kind != "help":
            continue
        inner = [t for t in help_templates if matches(t, u.pattern)]
        if any(matches(t, p) for t in inner for p in [*search, *contact]):
            # a help section holding search or contact pages: list its article templates
            # (search wins over content in the engine, contact would not)
            content += [
                t if "*" in t else t + "$"
                for t in inner
                if not any(matches(t, p) for p in [*search, *contact])
            ]
        else:
            content.append(u.pattern)
    return {"content_pages": content, "search_pages": [_exact(p) for p in search]}


def _exact(template: str) -> str:
    return template if "*" in template else template + "$"


@dataclass
class Draft:
    name: str
    kind: str
    units: list[Unit] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    start_events: list[str] = field(default_factory=list)
    start_pages: list[str] = field(default_factory=list)
    flow_pages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "pages": [u.pattern for u in self.units]}
        for key, value in (
            ("events", self.events),
            ("start_pages", self.start_pages),
            ("start_events", self.start_events),
            ("flow_pages", self.flow_pages),
            ("goal_events", self.goals),
        ):
            if value:
                out[key] = value
        return out


def _stage_name(unit: Unit, shop: bool) -> str:
    if unit.kind == "visit":
        return "browse" if shop else "visit"
    if unit.kind == "custom":
        return re.sub(r"[^a-z0-9_]", "_", unit.pattern[1:].lower()).strip("_") or "pages"
    return unit.kind


def _stage_of_path(drafts: list[Draft], path: str) -> Draft | None:
    best: tuple[int, int, Draft] | None = None
    for i, d in enumerate(drafts):
        for u in d.units:
            if matches(path, u.pattern):
                key = (_specificity(u.pattern), -i)
                if best is None or key > best[:2]:
                    best = (key[0], key[1], d)
    return best[2] if best else None


def _assign_events(
    drafts: list[Draft],
    totals: Mapping[str, int],
    top_pages: Mapping[str, list[tuple[str, int]]],
    claimed: set[str],
) -> None:
    """Give each stage its GA4 events, goals and start; completion-like events too."""
    by_kind = {d.kind: d for d in drafts}
    taken = set(claimed)

    def fires_on(name: str) -> tuple[Draft | None, float]:
        """The stage where most of the event fires (of its busiest pages), and that share."""
        per_stage: dict[str, int] = {}
        for path, n in top_pages.get(name, []):
            d = _stage_of_path(drafts, path)
            if d is not None:
                per_stage[d.name] = per_stage.get(d.name, 0) + n
        if not per_stage or not totals.get(name):
            return None, 0.0
        best = max(per_stage, key=lambda k: per_stage[k])
        return next(d for d in drafts if d.name == best), per_stage[best] / totals[name]

    for kind, spec in KINDS.items():
        d = by_kind.get(kind)
        for goal in spec.goals:
            if goal not in totals or goal in taken:
                continue
            target, share = d, 1.0
            if target is None:
                target, share = fires_on(goal)
                if target is None or share < 0.5:
                    continue
                target.notes.append(f"goal `{goal}`: {share:.0%} of it fires on these pages")
            target.goals.append(goal)
            taken.add(goal)
        if d is None:
            continue
        for name in spec.start_events:
            if name in totals and d.goals and name not in taken:
                d.start_events.append(name)
                taken.add(name)
        for name in spec.events:
            if name in totals and name not in taken:
                d.events.append(name)
                taken.add(name)
    custom = sorted(n for n in totals if _COMPLETION.search(n) and n not in taken)
    for name in custom:
        target, share = fires_on(name)
        if target is not None and share >= 0.6:
            target.goals.append(name)
            target.notes.append(f"goal `{name}`: {share:.0%} of it fires on these pages")
            taken.add(name)
    for d in drafts:
        if not d.goals or d.start_events or d.kind == "product":
            continue  # product views without a cart add are browsing, not a broken flow
        patterns = [u.pattern for u in d.units]
        if d.kind == "signup":
            d.start_pages, d.flow_pages = [_exact(p) for p in patterns], patterns
        elif d.kind in ("setup", "checkout"):
            d.start_pages = patterns
        else:
            # the page where the goal fires starts the flow, when one page holds most of it
            path, n = (top_pages.get(d.goals[0]) or [("", 0)])[0]
            if n >= 0.5 * totals[d.goals[0]] and _stage_of_path(drafts, path) is d:
                d.start_pages = [path + "$"]
        if d.kind == "checkout" and (d.start_pages or d.start_events):
            d.flow_pages = patterns


def assemble(
    units: list[Unit],
    help_templates: list[str],
    totals: Mapping[str, int],
    all_events: Mapping[str, int],
    top_pages: Mapping[str, list[tuple[str, int]]],
) -> tuple[dict[str, Any], list[Draft]]:
    """The map (a dict for :class:`~kizuki.journey.Journey`) and its stages, from the units;
    ``totals``: events per name on pages, ``all_events``: events per name."""
    shop = any(e in totals for e in _SHOP_EVENTS)
    drafts: dict[str, Draft] = {}
    for u in units:
        if u.kind in NOT_STAGES:
            continue
        stage = _stage_name(u, shop)
        drafts.setdefault(stage, Draft(stage, u.kind)).units.append(u)
    ordered = list(drafts.values())
    present = set(all_events)
    search_events = ["view_search_results"] if "view_search_results" in present else []
    search_pages = [p for p, _ in top_pages.get("view_search_results", [])]
    help_units = [u for u in units if u.kind == "help"]
    on_help = [p for p in search_pages if any(matches(p, u.pattern) for u in help_units)]
    searched = sum(n for p, n in top_pages.get("view_search_results", []) if p in on_help)
    help_search = bool(search_events) and searched >= 0.5 * totals.get("view_search_results", 1)
    claimed = set(search_events) if help_search else set()
    errors = sorted(
        n
        for n in present
        if n in ("error", "exception", "app_exception") or "error" in n or "exception" in n
    )
    chat = sorted(n for n in present if "chat" in n)
    contact_events = sorted(n for n in present if n.startswith("contact") or "ticket" in n)
    claimed |= {*errors, *chat, *contact_events}
    _assign_events(ordered, totals, top_pages, claimed)
    help_parts = _help_parts(units, help_templates, on_help if help_search else [])
    raw: dict[str, Any] = {
        "name": "suggested",
        "page_view_events": [n for n in ("page_view", "screen_view") if n in present]
        or ["page_view"],
        "stages": [d.as_dict() for d in ordered],
        "help": {
            **{k: v for k, v in help_parts.items() if v},
            **({"search_events": search_events} if help_search else {}),
            **({"chatbot_events": chat} if chat else {}),
        },
        "contact": {
            "pages": [u.pattern for u in units if u.kind == "contact"],
            "events": contact_events,
        },
        "errors": {"pages": [u.pattern for u in units if u.kind == "errors"], "events": errors},
        "rage_click_events": sorted(n for n in present if "rage" in n) or ["rage_click"],
        "ignore_events": [n for n in AUTOMATIC if n in present],
    }
    return raw, ordered
