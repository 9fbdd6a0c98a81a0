"""Sessions and their events for one chunk of customers, fully vectorised.

A session is laid out as ``[session_start][browse page views (+ user_engagement)…][special
events…]`` where the special events, in this order, are: a page view of a special page (a
problem's or incident's page), an ``error``, two reloads (a loop), a help search
(``view_search_results``), an FAQ page view, ``chatbot_open`` and the stage's goal event; then,
for a session that goes on after a problem hit, page views of other pages. Every event's
position is computed from per-session counts, so events are written in order without sorting.
Who the visitor appears to be (logged in or not, which device) is settled afterwards by
:mod:`kizuki.simulate.identity` when the config's ``realism.identity`` asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kizuki.simulate.catalog import Catalog
from kizuki.simulate.clock import DAY_US, MINUTE_US, Clock
from kizuki.simulate.config import SimConfig
from kizuki.simulate.hits import pick_other_pages
from kizuki.simulate.identity import apply_identity
from kizuki.simulate.population import Population
from kizuki.simulate.specs import SessionSpecs

__all__ = ["BASE_EVENTS", "Chunk", "EventBatch", "event_names", "simulate_chunk_events"]

BASE_EVENTS = (
    "session_start",
    "page_view",
    "user_engagement",
    "error",
    "view_search_results",
    "chatbot_open",
)
_START, _PV, _ENG, _ERR, _SEARCH, _BOT = range(6)
# special-event columns of the per-session template
_T_PAGE, _T_ERR, _T_LOOP1, _T_LOOP2, _T_SEARCH, _T_FAQ, _T_BOT, _T_GOAL = range(8)
_T_NAMES = np.array([_PV, _ERR, _PV, _PV, _SEARCH, _PV, _BOT, -1], dtype=np.int8)
# mean gap before each event kind, in seconds (plus one second)
_GAP_S = np.array([0.0, 32.0, 14.0, 2.0, 18.0, 9.0])
_GOAL_GAP_S = 3.0
I64 = NDArray[np.int64]


def event_names(cat: Catalog) -> tuple[str, ...]:
    """Event-name codes: the base events, then the stages' goal events."""
    goals = [g for g in cat.goal_events if g is not None]
    extra = [g for i, g in enumerate(goals) if g not in BASE_EVENTS and g not in goals[:i]]
    more = [e for e in cat.extra_events if e not in BASE_EVENTS and e not in extra]
    return BASE_EVENTS + tuple(extra) + tuple(more)


@dataclass(frozen=True)
class Chunk:
    """A chunk of entities: customers ``c0..c1-1`` and prospects ``p0..p1-1``."""

    index: int
    c0: int
    c1: int
    p0: int
    p1: int

    @property
    def n_local(self) -> int:
        return (self.c1 - self.c0) + (self.p1 - self.p0)


@dataclass
class EventBatch:
    """The events of one chunk, in file order, as parallel arrays (codes, not text)."""

    chunk: Chunk
    ent: I64
    ts: I64
    name: NDArray[np.int8]
    loc: NDArray[np.int32]  # location code, see ga4_arrow.Locations
    lang: NDArray[np.int8]
    session_id: I64
    session_number: I64
    event_index: I64
    logged_in: NDArray[np.bool_]
    term: NDArray[np.int32]
    results: I64
    content: NDArray[np.int32]
    error: NDArray[np.int32]
    engagement_ms: I64
    referrer: NDArray[np.int8]  # -1: none
    is_session_start: NDArray[np.bool_]
    second_device: NDArray[np.bool_] | None = None  # per event; None: every visitor has one

    def __len__(self) -> int:
        return int(self.ts.size)


def _regular_sessions(
    cfg: SimConfig,
    cat: Catalog,
    pop: Population,
    clock: Clock,
    chunk: Chunk,
    rng: np.random.Generator,
) -> list[SessionSpecs]:
    out: list[SessionSpecs] = []
    cust = np.arange(chunk.c0, chunk.c1, dtype=np.int64)
    lo_all, hi_all = pop.active_range(clock)
    lo, hi = lo_all[cust], hi_all[cust]
    rate = pop.session_rate[cust]
    n = rng.poisson(rate * (hi - lo) / DAY_US)
    ent = np.repeat(cust, n)
    ts = clock.sample_times(rng, lo[ent - chunk.c0], hi[ent - chunk.c0])
    stage = rng.choice(cat.stage_mix.size, size=ent.size, p=cat.stage_mix).astype(np.int16)
    s = SessionSpecs.new(ent, ts, stage)
    s.goal[:] = rng.random(ent.size) < cfg.behaviour.goal_rate
    out.append(s)

    new = cust[pop.is_new[cust] & (pop.created_us[cust] < pop.churn_us[cust])]
    created = pop.created_us[new]
    stage_of = {name: i for i, name in enumerate(cat.stage_names)}
    visit, signup, setup = (stage_of.get(x, 0) for x in ("visit", "signup", "setup"))
    # anonymous visits before signing up
    k = 1 + rng.poisson(1.2, new.size)
    v_ent = np.repeat(new, k)
    v_hi = np.repeat(created, k) - MINUTE_US * 30
    v = SessionSpecs.new(v_ent, clock.sample_times(rng, v_hi - 12 * DAY_US, v_hi), visit)
    v.logged_in[:] = False
    out.append(v)
    # the sign-up session (the funnel: most reach the last page) and set-up sessions
    sg = SessionSpecs.new(new, created - 4 * MINUTE_US, signup)
    sg.n_browse[:] = len(cat.stage_pages[signup])
    sg.goal[:] = True
    out.append(sg)
    k = 1 + rng.poisson(0.8, new.size)
    su_ent = np.repeat(new, k)
    su_t = np.repeat(created, k) + (rng.random(su_ent.size) * 4 * DAY_US).astype(np.int64)
    su = SessionSpecs.new(su_ent, su_t, setup)
    su.n_browse[:] = np.where(rng.random(su_ent.size) < 0.8, len(cat.stage_pages[setup]), 2)
    su.goal[:] = rng.random(su_ent.size) < 0.6
    keep = su_t < np.minimum(pop.churn_us[su_ent], clock.end_us)
    out.append(su.take(np.flatnonzero(keep)))

    # prospects: a few anonymous visits that never become an account
    pros = np.arange(chunk.p0, chunk.p1, dtype=np.int64) + pop.n_customers
    k = 1 + rng.poisson(0.8, pros.size)
    p_ent = np.repeat(pros, k)
    p_lo = np.full(p_ent.size, clock.start_us)
    p_hi = np.full(p_ent.size, clock.end_us)
    p = SessionSpecs.new(p_ent, clock.sample_times(rng, p_lo, p_hi), visit)
    p.logged_in[:] = False
    out.append(p)
    return out


def _add_background_struggle(
    cfg: SimConfig,
    cat: Catalog,
    s: SessionSpecs,
    lang: NDArray[np.int8],
    rng: np.random.Generator,
) -> None:
    """Noise on ordinary sessions: errors, reloads, searches and chatbot opens."""
    b = cfg.behaviour
    n = len(s)
    err = rng.random(n) < b.background_error_rate
    s.error[:] = np.where(err, rng.integers(0, cat.n_background_errors, n), -1)
    s.loop[:] = rng.random(n) < b.background_loop_rate
    search = rng.random(n) < b.background_search_rate
    p_int = cat.intent_weight / cat.intent_weight.sum()
    intent = rng.choice(p_int.size, size=n, p=p_int).astype(np.int16)
    terms = cat.pick_terms(rng, intent, lang)
    s.term[:] = np.where(search, terms, -1)
    hits = search & cat.intent_has_content[intent] & (rng.random(n) >= 0.08)
    s.results[:] = np.where(hits, rng.integers(1, 13, n), 0)
    click = hits & (rng.random(n) < b.search_click_rate)
    s.content[:] = np.where(click, cat.pick_content(rng, intent), -1)
    s.chatbot[:] = rng.random(n) < b.background_chatbot_rate


def simulate_chunk_events(
    cfg: SimConfig,
    cat: Catalog,
    pop: Population,
    clock: Clock,
    chunk: Chunk,
    special: SessionSpecs,
    rng: np.random.Generator,
) -> EventBatch:
    """All sessions and events of one chunk's entities, in (entity, time) order."""
    regular = SessionSpecs.concat(_regular_sessions(cfg, cat, pop, clock, chunk, rng))
    _add_background_struggle(cfg, cat, regular, pop.lang[regular.ent], rng)
    s = SessionSpecs.concat([regular, special])
    s = s.take(np.lexsort((s.ts, s.ent)))
    n_s = len(s)
    lang_s = pop.lang[s.ent]

    # session numbers continue an existing customer's history
    first = np.ones(n_s, dtype=np.bool_)
    first[1:] = s.ent[1:] != s.ent[:-1]
    run_start = np.maximum.accumulate(np.where(first, np.arange(n_s), 0))
    history = (
        (pop.pseudo_a[s.ent] % 150)
        * (s.ent < pop.n_customers)
        * ~pop.is_new[np.minimum(s.ent, pop.n_customers - 1)]
    )
    session_number = np.arange(n_s) - run_start + 1 + history
    session_id = s.ts // 1_000_000

    # browse slots
    n_browse = np.where(
        s.n_browse >= 0, s.n_browse, 1 + rng.poisson(cfg.behaviour.pages_per_session, n_s)
    )
    n_browse = np.maximum(n_browse, 1).astype(np.int64)
    slot_sess = np.repeat(np.arange(n_s), n_browse)
    slot_first = np.concatenate([[0], np.cumsum(n_browse)[:-1]])
    slot_pos = np.arange(slot_sess.size) - slot_first[slot_sess]
    slot_page = _slot_pages(cat, s.stage, slot_sess, slot_pos, rng)
    eng = rng.random(slot_sess.size) < cfg.behaviour.engagement_share
    slot_size = 1 + eng.astype(np.int64)
    browse_events = np.bincount(slot_sess, weights=slot_size, minlength=n_s).astype(np.int64)
    last_page = slot_page[slot_first + n_browse - 1]

    goal_code = _goal_codes(cat)
    tmpl = np.zeros((n_s, 8), dtype=np.bool_)
    tmpl[:, _T_PAGE] = s.page >= 0
    tmpl[:, _T_ERR] = s.error >= 0
    tmpl[:, _T_LOOP1] = s.loop
    tmpl[:, _T_LOOP2] = s.loop
    tmpl[:, _T_SEARCH] = s.term >= 0
    tmpl[:, _T_FAQ] = s.content >= 0
    tmpl[:, _T_BOT] = s.chatbot
    tmpl[:, _T_GOAL] = s.goal & (goal_code[s.stage] >= 0)
    n_tmpl = tmpl.sum(axis=1)
    n_after = s.n_after.astype(np.int64)
    total = 1 + browse_events + n_tmpl + n_after
    offsets = np.concatenate([[0], np.cumsum(total)])
    n_e = int(offsets[-1])

    name = np.empty(n_e, dtype=np.int8)
    loc = np.empty(n_e, dtype=np.int32)
    n_pages = len(cat.page_paths)
    n_content = len(cat.content_ids)
    term = np.full(n_e, -1, dtype=np.int32)
    results = np.zeros(n_e, dtype=np.int64)
    content = np.full(n_e, -1, dtype=np.int32)
    error = np.full(n_e, -1, dtype=np.int32)
    engagement = np.full(n_e, -1, dtype=np.int64)

    # session_start: on the first browse page
    starts = offsets[:-1]
    name[starts] = _START
    loc[starts] = slot_page[slot_first]
    # browse page views and engagement
    cum = np.cumsum(slot_size)
    before = cum - slot_size - (cum - slot_size)[slot_first][slot_sess]
    pv_at = starts[slot_sess] + 1 + before
    name[pv_at] = _PV
    loc[pv_at] = slot_page
    eng_at = pv_at[eng] + 1
    name[eng_at] = _ENG
    loc[eng_at] = slot_page[eng]
    engagement[eng_at] = (rng.exponential(24_000.0, eng_at.size) + 300).astype(np.int64)
    # special events, in template order
    rows, cols = np.nonzero(tmpl)
    rank = np.cumsum(tmpl, axis=1)[rows, cols] - 1
    at = starts[rows] + 1 + browse_events[rows] + rank
    page_or_last = np.where(s.page[rows] >= 0, s.page[rows], last_page[rows])
    t_name = _T_NAMES[cols]
    t_name = np.where(cols == _T_GOAL, goal_code[s.stage[rows]], t_name)
    name[at] = t_name
    t_loc = page_or_last.astype(np.int64)
    is_search = cols == _T_SEARCH
    t_loc = np.where(is_search, n_pages + 2 * n_content + s.term[rows], t_loc)
    is_faq = cols == _T_FAQ
    t_loc = np.where(is_faq, n_pages + 2 * s.content[rows] + lang_s[rows], t_loc)
    loc[at] = t_loc
    term[at[is_search]] = s.term[rows[is_search]]
    results[at[is_search]] = s.results[rows[is_search]]
    content[at[is_faq]] = s.content[rows[is_faq]]
    is_err = cols == _T_ERR
    error[at[is_err]] = s.error[rows[is_err]]
    if n_after.any():  # sessions that go on after the hit: other pages, from their own stream
        a_sess = np.repeat(np.arange(n_s), n_after)
        a_rank = np.arange(a_sess.size) - np.repeat(np.cumsum(n_after) - n_after, n_after)
        a_at = starts[a_sess] + 1 + browse_events[a_sess] + n_tmpl[a_sess] + a_rank
        name[a_at] = _PV
        a_rng = _stream(cfg.seed, 200, chunk.index)
        avoid = np.where(s.page >= 0, s.page, last_page)[a_sess]
        loc[a_at] = pick_other_pages(cat, s.stage[a_sess], avoid, a_rng)

    # timestamps: per-event gaps accumulated within each session
    sess = np.repeat(np.arange(n_s), total)
    mean_gap = np.where(name < len(_GAP_S), _GAP_S[np.minimum(name, len(_GAP_S) - 1)], _GOAL_GAP_S)
    gap = ((rng.exponential(1.0, n_e) * mean_gap + 1.0) * 1_000_000).astype(np.int64)
    gap[starts] = 0
    csum = np.cumsum(gap)
    ts = s.ts[sess] + csum - csum[starts][sess]
    event_index = np.arange(n_e) - starts[sess]

    referrer = np.full(n_e, -1, dtype=np.int8)
    referrer[starts] = rng.choice(6, size=n_s, p=[0.35, 0.25, 0.1, 0.08, 0.07, 0.15]) - 1
    ent = s.ent[sess]
    batch = EventBatch(
        chunk=chunk,
        ent=ent,
        ts=ts,
        name=name,
        loc=loc,
        lang=lang_s[sess],
        session_id=session_id[sess],
        session_number=session_number[sess],
        event_index=event_index,
        logged_in=s.logged_in[sess] & (ent < pop.n_customers),
        term=term,
        results=results,
        content=content,
        error=error,
        engagement_ms=engagement,
        referrer=referrer,
        is_session_start=name == _START,
    )
    if cfg.realism.identity.enabled:
        batch = apply_identity(cfg, cat, pop, batch, s, _stream(cfg.seed, 300, chunk.index))
    return batch


def _stream(seed: int, *key: int) -> np.random.Generator:
    """A generator of its own for a realism knob, so the other draws do not shift."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def _goal_codes(cat: Catalog) -> NDArray[np.int8]:
    names = event_names(cat)
    return np.array(
        [names.index(g) if g is not None else -1 for g in cat.goal_events], dtype=np.int8
    )


def _slot_pages(
    cat: Catalog,
    stage: NDArray[np.int16],
    slot_sess: I64,
    slot_pos: I64,
    rng: np.random.Generator,
) -> NDArray[np.int32]:
    """Pages of the browse slots: in funnel order before the main stage, else by weight."""
    main = int(np.argmax(cat.stage_mix))
    slot_stage = stage[slot_sess]
    u = rng.random(slot_sess.size)
    pages = np.empty(slot_sess.size, dtype=np.int32)
    for st, (codes, p) in enumerate(zip(cat.stage_pages, cat.stage_page_p, strict=True)):
        mask = slot_stage == st
        if not mask.any():
            continue
        if st < main:
            pages[mask] = codes[slot_pos[mask] % codes.size]
        else:
            pick = np.searchsorted(np.cumsum(p), u[mask], side="right")
            pages[mask] = codes[np.minimum(pick, codes.size - 1)]
    return pages
