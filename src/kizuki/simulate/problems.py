"""Planted problems and incidents: who is hit, what they do about it, who leaves.

For each problem a share ``share_affected`` of the customers with an account gets a *hit*
session on the problem's page, showing its signals with some probability (error event,
reloads, a help search that finds nothing when the intent has no article). Of those who try
self-service (``selfservice.attempt_rate``: search or chatbot), ``selfservice_success`` are
resolved; the others contact support about the intent with a probability chosen so that about
``contact_rate`` of all affected customers contact (mostly within ``contact_window_days``,
some later). Support resolves ``support.resolution_rate`` of contacts; customers left
unresolved churn with extra probability ``churn_uplift_if_unresolved``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kizuki.simulate.catalog import Catalog
from kizuki.simulate.clock import DAY_US, HOUR_US, MINUTE_US, Clock
from kizuki.simulate.config import SimConfig
from kizuki.simulate.population import NEVER, Population
from kizuki.simulate.specs import ContactRequests, SelfServiceAttempts, SessionSpecs

__all__ = ["Planted", "add_selfservice", "plant_incidents", "plant_problems"]

I64 = NDArray[np.int64]


@dataclass
class Planted:
    """What the planted problems (or incidents) produced, before the final churn filter."""

    sessions: SessionSpecs
    contacts: ContactRequests
    attempts: SelfServiceAttempts
    returns: SessionSpecs  # sessions back in the product after self-service
    hit_ent: list[I64]  # per problem: affected customers
    hit_ts: list[I64]  # per problem: time of the hit
    hit_unresolved: list[
        NDArray[np.bool_]
    ]  # per problem: neither self-service nor support fixed it
    eligible: list[int]  # per problem: customers who could be hit


def plant_problems(
    cfg: SimConfig, cat: Catalog, pop: Population, clock: Clock, rng: np.random.Generator
) -> Planted:
    """Hit customers with the configured problems; moves ``pop.churn_us`` forward for churners."""
    sessions: list[SessionSpecs] = []
    contacts: list[ContactRequests] = []
    attempts: list[SelfServiceAttempts] = []
    returns: list[SessionSpecs] = []
    hit_ent: list[I64] = []
    hit_ts: list[I64] = []
    hit_unresolved: list[NDArray[np.bool_]] = []
    eligible_counts: list[int] = []
    main_stage = int(np.argmax(cat.stage_mix))
    ss = cfg.selfservice
    sup = cfg.support
    for p_i, prob in enumerate(cfg.problems):
        lo, hi = pop.active_range(clock)
        stage = cat.stage_names.index(prob.stage)
        early = stage < main_stage
        eligible = hi - lo > DAY_US
        affected = np.flatnonzero(eligible & (rng.random(pop.n_customers) < prob.share_affected))
        k = affected.size
        eligible_counts.append(int(eligible.sum()))
        t = clock.sample_times(rng, lo[affected], hi[affected])
        if early:  # new customers meet set-up problems right after signing up
            new = pop.is_new[affected]
            soon = pop.created_us[affected] + (rng.random(k) * 3 * DAY_US).astype(np.int64)
            t = np.where(new & (soon < hi[affected]), soon, t)
        lang = pop.lang[affected]
        intent = np.full(k, cat.intent_names.index(prob.intent), dtype=np.int16)

        attempt = rng.random(k) < ss.attempt_rate
        chatbot = attempt & (rng.random(k) < ss.chatbot_share)
        ss_ok = attempt & (rng.random(k) < prob.selfservice_success)
        # a help search cannot solve an intent the help centre has no article for (the bot can)
        ss_ok &= chatbot | bool(cat.intent_has_content[cat.intent_names.index(prob.intent)])
        q = min(
            1.0, prob.contact_rate / max(1e-9, 1.0 - ss.attempt_rate * prob.selfservice_success)
        )
        contact = ~ss_ok & (rng.random(k) < q)
        late = rng.random(k) < sup.late_contact_share
        window = float(sup.contact_window_days)
        soon_days = np.minimum(rng.exponential(window / 5.0, k), window - 0.01)
        late_days = window + 1.0 + rng.random(k) * 30.0
        t_contact = t + ((np.where(late, late_days, soon_days) * DAY_US).astype(np.int64))
        t_contact += (rng.random(k) * 30 * MINUTE_US).astype(np.int64) + MINUTE_US
        support_ok = contact & (rng.random(k) < sup.resolution_rate)
        unresolved = ~ss_ok & ~support_ok
        churns = unresolved & (rng.random(k) < prob.churn_uplift_if_unresolved)
        delay = rng.gamma(2.0, cfg.churn.problem_delay_days / 2.0, k) * DAY_US
        t_churn = t + delay.astype(np.int64)
        t_churn = np.where(contact, np.maximum(t_churn, t_contact + DAY_US), t_churn)
        churn_at = np.where(churns & (t_churn < clock.end_us), t_churn, NEVER)
        pop.churn_us[affected] = np.minimum(pop.churn_us[affected], churn_at)

        s = SessionSpecs.new(affected, t - (rng.random(k) * 4 * MINUTE_US).astype(np.int64), stage)
        s.page[:] = cat.page_code(prob.page_path)
        err_code = cat.error_messages.index(prob.error_message)
        s.error[:] = np.where(rng.random(k) < prob.signal_error, err_code, -1)
        s.loop[:] = rng.random(k) < prob.signal_loop
        s.n_browse[:] = rng.integers(0, 3, k)
        add_selfservice(cat, s, rng, intent, lang, attempt & ~chatbot, ss_ok)
        s.chatbot[:] = chatbot
        returns.append(return_sessions(cfg, s, rng, attempt, ss_ok))
        sessions.append(s)
        hit_ent.append(affected.astype(np.int64))
        hit_ts.append(t)
        hit_unresolved.append(unresolved)
        c_idx = np.flatnonzero(contact)
        contacts.append(
            ContactRequests(
                ent=affected[c_idx].astype(np.int64),
                ts=t_contact[c_idx],
                intent=intent[c_idx],
                origin=np.full(c_idx.size, p_i, dtype=np.int16),
                resolved=support_ok[c_idx],
            )
        )
        a_idx = np.flatnonzero(attempt)
        attempts.append(
            SelfServiceAttempts(
                ent=affected[a_idx].astype(np.int64),
                ts=t[a_idx] + 2 * MINUTE_US,
                intent=intent[a_idx],
                chatbot=chatbot[a_idx],
                success=ss_ok[a_idx],
                origin=np.full(a_idx.size, p_i, dtype=np.int16),
            )
        )
    return Planted(
        sessions=SessionSpecs.concat(sessions) if sessions else _no_sessions(),
        contacts=ContactRequests.concat(contacts) if contacts else _no_contacts(),
        attempts=SelfServiceAttempts.concat(attempts) if attempts else _no_attempts(),
        returns=SessionSpecs.concat(returns) if returns else _no_sessions(),
        hit_ent=hit_ent,
        hit_ts=hit_ts,
        hit_unresolved=hit_unresolved,
        eligible=eligible_counts,
    )


def return_sessions(
    cfg: SimConfig,
    s: SessionSpecs,
    rng: np.random.Generator,
    attempted: NDArray[np.bool_],
    success: NDArray[np.bool_],
) -> SessionSpecs:
    """After an attempt the customer comes back to the product in a new session 35–90 minutes
    later (past the 30-minute session gap: the attempt's session still ends at the help), more
    often after a success (``selfservice.return_after_success`` / ``return_after_failure``)."""
    ss = cfg.selfservice
    p = np.where(success, ss.return_after_success, ss.return_after_failure)
    back = np.flatnonzero(attempted & (rng.random(len(s)) < p))
    delay = ((35.0 + rng.random(back.size) * 55.0) * MINUTE_US).astype(np.int64)
    out = SessionSpecs.new(s.ent[back], s.ts[back] + delay, s.stage[back])
    out.n_browse[:] = 1 + rng.poisson(ss.return_pages_mean, back.size)
    return out


def add_selfservice(
    cat: Catalog,
    s: SessionSpecs,
    rng: np.random.Generator,
    intent: NDArray[np.int16],
    lang: NDArray[np.int8],
    searches: NDArray[np.bool_],
    success: NDArray[np.bool_],
) -> None:
    """Give ``searches`` sessions a help search for their intent and maybe an FAQ view."""
    has = cat.intent_has_content[intent]
    terms = cat.pick_terms(rng, intent, lang)
    s.term[:] = np.where(searches, terms, -1)
    n = intent.size
    s.results[:] = np.where(searches & has, rng.integers(1, 9, n), 0)
    views = searches & has & (success | (rng.random(n) < 0.6))
    s.content[:] = np.where(views, cat.pick_content(rng, intent), -1)


def plant_incidents(
    cfg: SimConfig, cat: Catalog, pop: Population, clock: Clock, rng: np.random.Generator
) -> Planted:
    """Outage sessions (errors on the incident page) and contacts from the hit segment;
    ``hit_ent`` and ``hit_ts`` hold, per incident in config order, the customers it hit (those
    of its segment who visited its page during it) and when."""
    sessions: list[SessionSpecs] = []
    contacts: list[ContactRequests] = []
    hit_ent: list[I64] = []  # per incident (in config order): the customers it hit
    hit_ts: list[I64] = []
    seg_names = [s.name for s in cfg.segments]
    for inc in cfg.incidents:
        start = int(inc.start.timestamp() * 1_000_000)
        length = int(inc.hours * HOUR_US)
        if start >= clock.end_us or start + length <= clock.start_us:
            hit_ent.append(np.zeros(0, np.int64))
            hit_ts.append(np.zeros(0, np.int64))
            continue
        lo, hi = pop.active_range(clock)
        seg = seg_names.index(inc.segment)
        hit = (pop.segment == seg) & (lo <= start) & (hi > start + length)
        visitors = np.flatnonzero(hit & (rng.random(pop.n_customers) < inc.visit_rate))
        k = visitors.size
        t = start + (rng.random(k) * length).astype(np.int64)
        hit_ent.append(visitors.astype(np.int64))
        hit_ts.append(t)
        s = SessionSpecs.new(visitors, t, int(cat.page_stage[cat.page_code(inc.page_path)]))
        s.page[:] = cat.page_code(inc.page_path)
        s.error[:] = cat.error_messages.index(inc.error_message)
        s.loop[:] = rng.random(k) < 0.6
        s.n_browse[:] = rng.integers(0, 2, k)
        sessions.append(s)
        c = rng.random(k) < inc.contact_rate
        n_c = int(c.sum())
        contacts.append(
            ContactRequests(
                ent=visitors[c].astype(np.int64),
                ts=t[c] + (rng.exponential(40.0, n_c) * MINUTE_US).astype(np.int64) + MINUTE_US,
                intent=np.full(n_c, cat.intent_names.index(inc.intent), dtype=np.int16),
                origin=np.full(n_c, -2, dtype=np.int16),
                resolved=np.ones(n_c, dtype=np.bool_),
            )
        )
    return Planted(
        sessions=SessionSpecs.concat(sessions) if sessions else _no_sessions(),
        contacts=ContactRequests.concat(contacts) if contacts else _no_contacts(),
        attempts=_no_attempts(),
        returns=_no_sessions(),
        hit_ent=hit_ent,
        hit_ts=hit_ts,
        hit_unresolved=[],
        eligible=[],
    )


def _no_sessions() -> SessionSpecs:
    return SessionSpecs.new(np.zeros(0, np.int64), np.zeros(0, np.int64), 0)


def _no_contacts() -> ContactRequests:
    e = np.zeros(0, np.int64)
    return ContactRequests(e, e, e.astype(np.int16), e.astype(np.int16), e.astype(np.bool_))


def _no_attempts() -> SelfServiceAttempts:
    e = np.zeros(0, np.int64)
    return SelfServiceAttempts(
        e, e, e.astype(np.int16), e.astype(np.bool_), e.astype(np.bool_), e.astype(np.int16)
    )
