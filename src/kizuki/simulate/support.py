"""Support activity: background self-service and contacts, re-contacts, channels and timings.

Background noise that no planted problem explains: customers search the help site, use the
chatbot and open tickets about any intent (weighted by ``intents[].weight``). Every human
contact then gets a channel, a first response and a resolution drawn from that channel's
distributions; email-like channels wait for business hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kizuki.simulate.catalog import Catalog
from kizuki.simulate.clock import DAY_US, HOUR_US, MINUTE_US, Clock
from kizuki.simulate.config import SimConfig
from kizuki.simulate.population import MONTH_DAYS, NEVER, Population
from kizuki.simulate.problems import add_selfservice, return_sessions
from kizuki.simulate.specs import Columns, ContactRequests, SelfServiceAttempts, SessionSpecs

__all__ = [
    "STATUSES",
    "Tickets",
    "add_recontacts",
    "assign_channels",
    "simulate_background",
    "simulate_emerging",
]

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
CSAT = ("unoffered", "offered", "good", "bad")


@dataclass
class Tickets(Columns):
    """Human contacts with channel, timing, status and satisfaction; sorted by open time."""

    ent: NDArray[np.int64]
    opened_us: NDArray[np.int64]
    intent: NDArray[np.int16]
    origin: NDArray[np.int16]
    resolved: NDArray[np.bool_]
    channel: NDArray[np.int8]  # index into cfg.channels
    first_response_us: NDArray[np.int64]  # NEVER: no reply before the window ended
    solved_us: NDArray[np.int64]  # NEVER: not solved
    status: NDArray[np.int8]  # index into STATUSES
    agent: NDArray[np.int32]
    csat: NDArray[np.int8]  # index into CSAT
    labelled: NDArray[np.bool_]


def _per_customer_counts(
    rng: np.random.Generator, pop: Population, clock: Clock, per_month: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    lo, hi = pop.active_range(clock)
    months = (hi - lo) / (MONTH_DAYS * DAY_US)
    n = rng.poisson(per_month * months)
    ent = np.repeat(np.arange(pop.n_customers, dtype=np.int64), n)
    return ent, clock.sample_times(rng, lo[ent], hi[ent])


def simulate_background(
    cfg: SimConfig, cat: Catalog, pop: Population, clock: Clock, rng: np.random.Generator
) -> tuple[SessionSpecs, ContactRequests, SelfServiceAttempts, SessionSpecs]:
    """Self-service attempts and contacts about any intent, unrelated to planted problems, and
    the sessions back in the product after the attempts."""
    p_intent = cat.intent_weight / cat.intent_weight.sum()
    sup = cfg.support
    # self-service attempts; failures contact support within a week 60% of the time
    ent, ts = _per_customer_counts(rng, pop, clock, sup.background_selfservice_per_month)
    k = ent.size
    intent = rng.choice(p_intent.size, size=k, p=p_intent).astype(np.int16)
    chatbot = rng.random(k) < cfg.selfservice.chatbot_share
    rate = np.array([i.selfservice_success for i in cfg.intents])[intent]
    # a help search cannot solve an intent the help centre has no article for (the bot can)
    success = (rng.random(k) < rate) & (chatbot | cat.intent_has_content[intent])
    sessions = SessionSpecs.new(ent, ts - MINUTE_US, cat.intent_stage[intent])
    sessions.n_browse[:] = rng.integers(0, 3, k)
    add_selfservice(cat, sessions, rng, intent, pop.lang[ent], ~chatbot, success)
    sessions.chatbot[:] = chatbot
    returns = return_sessions(cfg, sessions, rng, np.ones(k, dtype=np.bool_), success)
    attempts = SelfServiceAttempts(
        ent=ent,
        ts=ts,
        intent=intent,
        chatbot=chatbot,
        success=success,
        origin=np.full(k, -1, dtype=np.int16),
    )
    follow = ~success & (rng.random(k) < 0.6)
    f_delay = ((0.05 + rng.random(k) * 6.9) * DAY_US).astype(np.int64)
    after_ss = ContactRequests(
        ent=ent[follow],
        ts=(ts + f_delay)[follow],
        intent=intent[follow],
        origin=np.full(int(follow.sum()), -3, dtype=np.int16),
        resolved=rng.random(int(follow.sum())) < sup.resolution_rate,
    )
    # contacts with no self-service before them
    c_ent, c_ts = _per_customer_counts(rng, pop, clock, sup.background_contacts_per_month)
    m = c_ent.size
    direct = ContactRequests(
        ent=c_ent,
        ts=c_ts,
        intent=rng.choice(p_intent.size, size=m, p=p_intent).astype(np.int16),
        origin=np.full(m, -1, dtype=np.int16),
        resolved=rng.random(m) < sup.resolution_rate,
    )
    return sessions, ContactRequests.concat([after_ss, direct]), attempts, returns


def simulate_emerging(
    cfg: SimConfig, pop: Population, clock: Clock, rng: np.random.Generator
) -> ContactRequests:
    """Contacts about intents that emerge partway through the period (``Intent.emerges``).

    Drawn from their own generator, so the rest of the simulation is unchanged by them.
    """
    parts: list[ContactRequests] = []
    days = int((clock.end_us - clock.start_us) // DAY_US)
    for index, intent in enumerate(cfg.intents):
        e = intent.emerges
        if e is None or e.start_day >= days:
            continue
        day = np.arange(e.start_day, days)
        ramp = np.linspace(0.0, 1.0, day.size)
        per_day = e.per_1000_customers_first_day + ramp * (
            e.per_1000_customers_last_day - e.per_1000_customers_first_day
        )
        n = rng.poisson(per_day * pop.n_customers / 1000.0)
        start = clock.start_us + np.repeat(day, n) * DAY_US
        ts = start + (rng.random(start.size) * DAY_US).astype(np.int64)
        k = ts.size
        parts.append(
            ContactRequests(
                ent=rng.integers(0, pop.n_customers, k).astype(np.int64),
                ts=ts,
                intent=np.full(k, index, dtype=np.int16),
                origin=np.full(k, -5, dtype=np.int16),
                resolved=rng.random(k) < cfg.support.resolution_rate,
            )
        )
    if not parts:
        return ContactRequests(
            ent=np.zeros(0, np.int64),
            ts=np.zeros(0, np.int64),
            intent=np.zeros(0, np.int16),
            origin=np.zeros(0, np.int16),
            resolved=np.zeros(0, np.bool_),
        )
    return ContactRequests.concat(parts)


def add_recontacts(
    cfg: SimConfig, contacts: ContactRequests, rng: np.random.Generator
) -> ContactRequests:
    """Unresolved contacts come back about the same intent 1-10 days later (35%)."""
    again = ~contacts.resolved & (rng.random(len(contacts)) < 0.35)
    n = int(again.sum())
    follow = ContactRequests(
        ent=contacts.ent[again],
        ts=contacts.ts[again] + ((1.0 + rng.random(n) * 9.0) * DAY_US).astype(np.int64),
        intent=contacts.intent[again],
        origin=np.full(n, -4, dtype=np.int16),
        resolved=rng.random(n) < cfg.support.resolution_rate,
    )
    return ContactRequests.concat([contacts, follow])


def satisfaction_drop(
    cfg: SimConfig, segment: NDArray[np.int16], ent: NDArray[np.int64], ts: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Per contact, how much less likely a good CSAT is: the ``satisfaction_drop`` of each
    incident whose hit segment the customer is in, for ``satisfaction_days`` from its start."""
    drop = np.zeros(ent.size)
    names = [s.name for s in cfg.segments]
    for inc in cfg.incidents:
        if inc.satisfaction_drop <= 0:
            continue
        start = int(inc.start.timestamp() * 1_000_000)
        end = start + int(inc.satisfaction_days * DAY_US)
        mine = (segment[ent] == names.index(inc.segment)) & (ts >= start) & (ts < end)
        drop = np.where(mine, np.maximum(drop, inc.satisfaction_drop), drop)
    return drop


def assign_channels(
    cfg: SimConfig,
    contacts: ContactRequests,
    clock: Clock,
    rng: np.random.Generator,
    segment: NDArray[np.int16] | None = None,
) -> Tickets:
    """Draw channel, first response, resolution, status, agent and CSAT for each contact
    (``segment``: each customer's, for the incidents' satisfaction drop)."""
    order = np.lexsort((contacts.ent, contacts.ts))
    c = contacts.take(order)
    n = len(c)
    chans = cfg.channels
    share = np.array([ch.share for ch in chans])
    channel = rng.choice(len(chans), size=n, p=share / share.sum()).astype(np.int8)
    med_fr = np.array([ch.first_response_minutes for ch in chans])[channel]
    sig_fr = np.array([ch.first_response_sigma for ch in chans])[channel]
    med_res = np.array([ch.resolution_hours for ch in chans])[channel]
    sig_res = np.array([ch.resolution_sigma for ch in chans])[channel]
    business = np.array([ch.business_hours for ch in chans])[channel]
    # phone and chat only open in business hours: off-hours contacts move to the next opening
    live = np.isin(channel, [i for i, ch in enumerate(chans) if ch.name in ("phone", "chat")])
    opened = np.where(live & business, clock.next_business_us(c.ts), c.ts)
    base = np.where(business, clock.next_business_us(opened), opened)
    fr = base + (med_fr * rng.lognormal(0.0, 1.0, n) ** sig_fr * MINUTE_US).astype(np.int64)
    fr = np.maximum(fr, opened + 1_000_000)
    res = fr + (med_res * rng.lognormal(0.0, 1.0, n) ** sig_res * HOUR_US).astype(np.int64)
    # unresolved contacts are still often closed by the agent
    closed_anyway = ~c.resolved & (rng.random(n) < 0.5)
    solved = (c.resolved | closed_anyway) & (res < clock.end_us)
    first_response = np.where(fr < clock.end_us, fr, NEVER)
    solved_us = np.where(solved, res, NEVER)
    old = solved & (res < clock.end_us - 4 * DAY_US)
    open_status = rng.choice([1, 2, 3], size=n, p=[0.5, 0.4, 0.1])
    status = np.where(
        old, 5, np.where(solved, 4, np.where(first_response == NEVER, 0, open_status))
    )
    offered = solved & (rng.random(n) < cfg.surveys.csat_offer_rate)
    answered = offered & (rng.random(n) < cfg.surveys.csat_response_rate)
    p_good = np.where(c.resolved, 0.86, 0.3)
    if segment is not None:
        p_good = p_good - satisfaction_drop(cfg, segment, c.ent, opened)
    good = rng.random(n) < p_good
    csat = np.where(answered, np.where(good, 2, 3), np.where(offered, 1, 0))
    return Tickets(
        ent=c.ent,
        opened_us=opened,
        intent=c.intent,
        origin=c.origin,
        resolved=c.resolved,
        channel=channel,
        first_response_us=first_response,
        solved_us=solved_us,
        status=status.astype(np.int8),
        agent=rng.integers(0, cfg.company.agents, n).astype(np.int32),
        csat=csat.astype(np.int8),
        labelled=rng.random(n) < cfg.support.labelled_share,
    )
