"""Suggest a journey map for a site Kizuki has never seen, from the events in the store.

:func:`suggest_journey` reads ``events`` in three small aggregate queries run by the engine
(page templates, sections, and where each event fires), decides the stages in Python from those
few hundred rows, and measures the map it built with one more query (the sessions and visitors
of every page pattern, and where in a visitor's path it is first seen). Nothing else is pulled
back; no event is loaded into Python.

How a page becomes part of a stage (docs/journey.md, "Suggesting a map"):

1. A page's *section* is its first path segment (``/products``); its *template* is the path
   with every later segment that holds a digit replaced by ``*``, and language codes too
   (``/help/ja/articles/faq-001`` → ``/help/*/articles/*``).
2. A section's kind is told by its name (``/cart`` → cart, ``/checkouts`` → checkout, ``/help``
   → help, the home page → visit), else by GA4's standard events fired on it (``view_item`` →
   product, ``view_item_list`` → browse, ``begin_checkout`` → checkout, ``login`` → account …),
   else it becomes a stage named after itself when enough sessions see it.
3. A sub-page whose first named segment tells another kind gets a pattern of its own
   (``/account/billing`` → billing inside ``/account``; ``/pages/faq`` → help).
4. Goal events: a stage's GA4 goal (``purchase`` for checkout, ``sign_up``, ``login``,
   ``add_to_cart``, ``tutorial_complete``), and any other event named like a completion
   (``*_complete``, ``*_create``, ``*_change`` …) that fires mostly on one stage's pages.
   A stage with a goal and a start (a start event such as ``begin_checkout``, else the page
   where the goal fires) is a flow, so ``unfinished_flow`` is measured on it.
5. Stages are ordered by where visitors first reach them (mean position among the patterns a
   visitor saw, 0 = first, 1 = last).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import yaml

from kizuki.analytics.sessions import sessionize
from kizuki.errors import NotFoundError
from kizuki.journey import Journey, _one, _specificity, _validate
from kizuki.journey_rules import KINDS, Draft, Unit, assemble, decide_units, records

__all__ = ["JourneySuggestion", "suggest_journey"]

#: Most page templates and sections pulled back for the decision (the busiest first).
TOP_TEMPLATES = 400
TOP_SECTIONS = 1000
#: Pages per event name pulled back to tell which stage an event belongs to.
TOP_PAGES = 20


@dataclass
class JourneySuggestion:
    """A suggested journey map, why each part is there, and the map as commented YAML.

    ``explanation`` has one row per page pattern and event: ``part`` (``stage``, ``help``,
    ``contact``, ``errors``), ``stage``, ``pattern``, ``evidence``, ``sessions``, ``share``
    (of all sessions), ``visitors`` and ``position`` (0 = first thing a visitor sees, 1 = last).
    """

    journey: Journey
    explanation: pd.DataFrame
    yaml: str
    totals: dict[str, int] = field(default_factory=dict)
    unplaced: list[tuple[str, float]] = field(default_factory=list)

    def write(self, path: str | Path) -> Path:
        """Write the commented YAML to ``path``; return it."""
        out = Path(path)
        out.write_text(self.yaml, encoding="utf-8")
        return out


# -- engine queries ----------------------------------------------------------------------------


def _sessions(events: ir.Table, gap_minutes: int) -> ir.Table:
    narrow = events.select(
        "event_id", "ts", "customer_id", "anonymous_id", "event_name", "page_path"
    )
    s = sessionize(narrow, gap_minutes)
    path = s.page_path
    section = path.re_extract(r"^(/[^/]*)", 1)
    rest = path.re_extract(r"^/[^/]*(.*)$", 1).re_replace(r"/[^/]*[0-9][^/]*", "/*")
    return s.select(
        "session_key",
        "visitor_id",
        "anonymous_id",
        "ts",
        "event_name",
        "page_path",
        _section=section,
        _template=section.concat(rest),
    )


def _event_counts(t: ir.Table, names: Iterable[str]) -> dict[str, ir.Value]:
    return {f"n__{n}": (t.event_name == n).cast("int64").sum() for n in names}


def _frame(expr: ir.Table) -> pd.DataFrame:
    return expr.to_pyarrow().to_pandas()  # type: ignore[no-any-return]


def suggest_journey(
    events: ir.Table,
    *,
    name: str = "suggested",
    gap_minutes: int = 30,
    min_share: float = 0.01,
    source: str = "",
) -> JourneySuggestion:
    """Propose a journey map from the page paths and GA4 events of ``events``.

    Parameters
    ----------
    events
        The canonical ``events`` table (the engine computes every count).
    name
        The map's ``name``.
    gap_minutes
        Inactivity that starts a new session (as ``analyze.signals.gap_minutes``).
    min_share
        A section that no name or event explains becomes a stage of its own when at least this
        share of sessions sees it; smaller ones are listed as not placed.
    source
        Where the events came from, for the YAML's header comment.

    Returns
    -------
    A :class:`JourneySuggestion`: the validated map, one explanation row per pattern, and the
    YAML text with a comment on every stage.

    Raises
    ------
    NotFoundError
        ``events`` has no page views to learn from.

    Examples
    --------
    >>> from kizuki.store import open_store
    >>> events = open_store("duckdb://").table("events")
    >>> suggest_journey(events)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    NotFoundError: no events with a page path ...
    """
    s = _sessions(events, gap_minutes).cache()
    pages = s.filter(s.page_path.notnull())
    names = _frame(
        s.group_by(name=s.event_name).aggregate(
            events=s.count(), on_pages=s.page_path.count(), sessions=s.session_key.nunique()
        )
    )
    totals = {str(r["name"]): int(r["on_pages"]) for r in records(names)}
    all_events = {str(r["name"]): int(r["events"]) for r in records(names)}
    event_sessions = {str(r["name"]): int(r["sessions"]) for r in records(names)}
    n_sessions = int(s.session_key.nunique().to_pyarrow().as_py() or 0)
    if pages.count().to_pyarrow().as_py() == 0:
        raise NotFoundError(
            "no events with a page path in the store; ingest a GA4 export "
            "(`kizuki ingest ga4 FILES`) before asking for a journey map"
        )
    standard = sorted({e for k in KINDS.values() for e in (*k.events, *k.goals)} & set(totals))
    counts = _event_counts(pages, standard)
    sections = _frame(
        pages.group_by("_section")
        .aggregate(sessions=pages.session_key.nunique(), **counts)
        .order_by([ibis.desc("sessions"), "_section"])
        .limit(TOP_SECTIONS)
    )
    templates = _frame(
        pages.group_by("_section", "_template")
        .aggregate(sessions=pages.session_key.nunique())
        .order_by([ibis.desc("sessions"), "_template"])
        .limit(TOP_TEMPLATES)
    )
    per_page = pages.group_by(name=pages.event_name, path=pages.page_path).aggregate(
        n=pages.count()
    )
    ranked = per_page.mutate(  # the busiest pages of every event: where its goal stage is
        r=ibis.row_number().over(
            ibis.window(group_by=per_page.name, order_by=[ibis.desc(per_page.n), per_page.path])
        )
    )
    top = _frame(ranked.filter(ranked.r <= TOP_PAGES))
    top_pages: dict[str, list[tuple[str, int]]] = {}
    for r in records(top.sort_values(["name", "r"])):
        top_pages.setdefault(str(r["name"]), []).append((str(r["path"]), int(r["n"])))

    units, unplaced, help_templates = decide_units(
        sections, templates, totals, n_sessions, min_share
    )
    journey_raw, drafts = assemble(units, help_templates, totals, all_events, top_pages)
    journey_raw["name"] = name
    journey_raw["description"] = "Suggested by `kizuki journey suggest`; edit and check it"
    stats, order = _pattern_stats(s, journey_raw, drafts, n_sessions)
    s_order = _stage_order(drafts, order)
    drafts.sort(
        key=lambda d: (s_order[d.name], list(KINDS).index(d.kind) if d.kind in KINDS else 99)
    )
    journey_raw["stages"] = [d.as_dict() for d in drafts]
    journey = _validate(journey_raw, "suggested")
    n_events = sum(all_events.values())
    totals_out = {
        "events": n_events,
        "sessions": n_sessions,
        "visitors": int(s.visitor_id.nunique().to_pyarrow().as_py() or 0),
    }
    explanation = _explanation(drafts, journey_raw, stats, units, event_sessions, n_sessions)
    text = _render(journey_raw, drafts, explanation, totals_out, unplaced, source)
    if _validate(yaml.safe_load(text), "suggested") != journey:
        raise AssertionError("the suggested YAML does not read back as the suggested map")
    return JourneySuggestion(journey, explanation, text, totals_out, unplaced)


def _pattern_stats(
    s: ir.Table, raw: dict[str, Any], drafts: list[Draft], n_sessions: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sessions and visitors of every page pattern of the map, and for every two patterns
    seen by one browser, how often the first comes after the second.

    Order is by browser (GA4's ``user_pseudo_id``), so a login that sets ``user_id`` does not
    start a new path; ``after`` counts 1 when the pattern is first seen later, 0.5 at the same
    time.
    """
    patterns = [u.pattern for d in drafts for u in d.units]
    patterns += raw["help"].get("content_pages", []) + raw["help"].get("search_pages", [])
    patterns += raw["contact"]["pages"] + raw["errors"]["pages"]
    patterns = list(dict.fromkeys(patterns))
    ranked = sorted(enumerate(patterns), key=lambda ip: (_specificity(ip[1]), -ip[0]), reverse=True)
    label = ibis.cases(*((_one(s.page_path, p), p) for _, p in ranked), else_=None)
    t = s.filter(s.page_path.notnull()).mutate(_p=label)
    t = t.filter(t._p.notnull())
    by_sessions = t.group_by("_p").aggregate(
        sessions=t.session_key.nunique(), visitors=t.visitor_id.nunique()
    )
    stats = _frame(by_sessions).rename(columns={"_p": "pattern"})
    stats["share"] = stats["sessions"] / max(n_sessions, 1)
    first = t.group_by(_b=t.anonymous_id, _p=t._p).aggregate(_ts=t.ts.min())
    other = first.select(_b2=first._b, _q=first._p, _ts2=first._ts)
    pairs = first.join(other, (first._b == other._b2) & (first._p != other._q))
    later = ibis.cases((pairs._ts > pairs._ts2, 1.0), (pairs._ts == pairs._ts2, 0.5), else_=0.0)
    order = _frame(
        pairs.group_by(pattern=pairs._p, other=pairs._q).aggregate(
            browsers=pairs.count(), after=later.sum()
        )
    )
    seen = order.groupby("pattern")[["browsers", "after"]].sum()
    stats["position"] = stats["pattern"].map(seen["after"] / seen["browsers"])
    return stats, order


def _stage_order(drafts: list[Draft], order: pd.DataFrame) -> dict[str, tuple[int, float]]:
    """Per stage: minus the stages it comes before (for most browsers that saw both), and the
    share of its pairs with another stage's pages in which it came later (0.5: nothing tells).
    """
    stage = {u.pattern: d.name for d in drafts for u in d.units}
    pairs = order.assign(a=order["pattern"].map(stage), b=order["other"].map(stage)).dropna()
    pairs = pairs[pairs["a"] != pairs["b"]]
    by = pairs.groupby(["a", "b"])[["after", "browsers"]].sum()
    late = by["after"] / by["browsers"]
    out = {}
    for d in drafts:
        mine = late[late.index.get_level_values(0) == d.name]
        rows = by[by.index.get_level_values(0) == d.name]
        share = float(rows["after"].sum() / rows["browsers"].sum()) if len(rows) else 0.5
        out[d.name] = (-int((mine < 0.5).sum()), share)
    return out


def _explanation(
    drafts: list[Draft],
    raw: dict[str, Any],
    stats: pd.DataFrame,
    units: list[Unit],
    event_sessions: Mapping[str, int],
    n_sessions: int,
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []

    def event_row(part: str, stage: str | None, what: str, name: str) -> None:
        n = event_sessions.get(name, 0)
        rows.append(
            {
                "part": part,
                "stage": stage,
                "event": name,
                "evidence": what,
                "sessions": n,
                "share": n / max(n_sessions, 1),
            }
        )

    for d in drafts:
        for u in d.units:
            rows.append(
                {"part": "stage", "stage": d.name, "pattern": u.pattern, "evidence": u.evidence}
            )
        for key, what in (("start_events", "start"), ("events", "event"), ("goals", "goal")):
            for e in getattr(d, key):
                note = next((n for n in d.notes if f"`{e}`" in n), "")
                event_row(
                    "stage", d.name, f"{what}, {note.split(': ', 1)[-1]}" if note else what, e
                )
    for part, key in (
        ("help", "content_pages"),
        ("help", "search_pages"),
        ("contact", "pages"),
        ("errors", "pages"),
    ):
        for p in raw[part].get(key, []):
            base = next(
                (
                    u.evidence
                    for u in units
                    if u.kind == part and p.startswith(u.pattern.removesuffix("**"))
                ),
                "",
            )
            base = base or next(
                (
                    u.evidence
                    for u in units
                    if u.kind == part and u.section == "/" + p.split("/")[1]
                ),
                "",
            )
            rows.append(
                {
                    "part": part,
                    "stage": None,
                    "pattern": p,
                    "evidence": f"{key.replace('_', ' ')}: {base}".rstrip(": "),
                }
            )
    for part, key in (
        ("help", "search_events"),
        ("help", "chatbot_events"),
        ("contact", "events"),
        ("errors", "events"),
    ):
        for e in raw[part].get(key, []):
            event_row(part, None, key.replace("_", " ").removesuffix("s"), e)
    columns = ["part", "stage", "pattern", "event", "evidence", "sessions", "share"]
    frame = pd.DataFrame(rows, columns=columns)
    by_pattern = stats.rename(columns={"sessions": "_s", "share": "_sh"})
    merged = frame.merge(by_pattern, on="pattern", how="left")
    merged["sessions"] = merged["sessions"].fillna(merged["_s"]).astype("Int64")
    merged["share"] = merged["share"].fillna(merged["_sh"])
    merged["visitors"] = merged["visitors"].astype("Int64")
    return merged[[*columns, "visitors", "position"]]


# -- the YAML ----------------------------------------------------------------------------------


def _flow(values: list[str]) -> str:
    return json.dumps(values, ensure_ascii=False)


def _pct(share: Any) -> str:
    return "—" if share is None or pd.isna(share) else f"{share:.1%}"


def _render(
    raw: dict[str, Any],
    drafts: list[Draft],
    explanation: pd.DataFrame,
    totals: Mapping[str, int],
    unplaced: list[tuple[str, float]],
    source: str,
) -> str:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    lines = [
        f"# Journey map suggested by `kizuki journey suggest` on {today}"
        + (f" from {source}" if source else "")
        + ".",
        f"# Learned from {totals['events']:,} events in {totals['sessions']:,} sessions "
        f"(30 minutes of inactivity end one) of {totals['visitors']:,} visitors.",
        "# Each stage's comment says which pages and events it came from and the share of",
        "# sessions that saw them; `position` is how late a browser first reaches a page (the",
        "# share of its other pages of this map it saw before: 0 = always first, 1 = always",
        "# last). A stage comes before another when most browsers that saw both saw it first.",
        "# Rename stages, move patterns, add `intents`, then run",
        "# `kizuki journey check --journey THIS_FILE`. Format: docs/journey.md.",
        f"name: {raw['name']}",
        f"description: {json.dumps(raw['description'])}",
        f"page_view_events: {_flow(raw['page_view_events'])}",
        "",
        "stages:",
    ]
    for d in drafts:
        lines.append(f"  # {d.name}:")
        for r in records(explanation[explanation["stage"] == d.name]):
            pos = "" if pd.isna(r["position"]) else f", position {r['position']:.2f}"
            what = r["pattern"] if isinstance(r["pattern"], str) else f"`{r['event']}`"
            lines.append(f"  #   {what}: {r['evidence']}; {_pct(r['share'])} of sessions{pos}")
        if d.goals and not (d.start_events or d.start_pages):
            lines.append("  #   no start: the goal is counted, `unfinished_flow` is not measured")
        body = d.as_dict()
        lines.append(f"  - name: {body.pop('name')}")
        for key, value in body.items():
            lines.append(f"    {key}: {_flow(value)}")
    lines.append("")
    for part, keys in (
        ("help", ("content_pages", "search_pages", "search_events", "chatbot_events")),
        ("contact", ("pages", "events")),
        ("errors", ("pages", "events")),
    ):
        lines.append(f"{part}:")
        rows = explanation[explanation["part"] == part]
        for r in records(rows):
            what = r["pattern"] if isinstance(r["pattern"], str) else f"`{r['event']}`"
            lines.append(f"  # {what}: {r['evidence']}; {_pct(r['share'])} of sessions")
        for key in keys:
            values = raw[part].get(key, [])
            if values:
                lines.append(f"  {key}: {_flow(values)}")
        if not any(raw[part].get(k) for k in keys):
            lines[-1] = f"{part}: {{}}   # none found"
    lines.append(f"rage_click_events: {_flow(raw['rage_click_events'])}")
    lines.append("# GA4's automatic events: not stages; `journey check` does not list them")
    lines.append(f"ignore_events: {_flow(raw['ignore_events'])}")
    if unplaced:
        lines.append(
            "# Not placed (no name or event tells their stage, each under the minimum share"
        )
        lines.append("# of sessions); add them to a stage if they matter:")
        lines += [f"#   {p}: {share:.1%} of sessions" for p, share in unplaced[:30]]
        if len(unplaced) > 30:
            lines.append(f"#   … and {len(unplaced) - 30} more sections")
    lines.append("# Help searches can be tied to intents: add `intents: {intent: [word, …]}`.")
    return "\n".join(lines) + "\n"
