"""Tickets as a helpdesk holds them: requesters that do not link, tags missing not at random.

With ``realism.tickets`` off every ticket's requester is the customer's Zendesk user, with the
customer id as ``external_id``, and ``support.labelled_share`` of tickets are tagged at random.
The knobs change that:

- ``linked_share`` of tickets come from the customer's own user (``external_id`` set, the
  customer's main address, requester id ``362…`` + customer number). The rest do not link:
  ``guest_share`` of them from a one-off guest address (requester id ``364…``, stable per
  customer and address), the others from the customer's other address (requester id
  ``363…`` + customer number). Neither has an ``external_id``.
- ``tag_rate_by_channel`` gives each channel its own tag rate (channels not listed keep
  ``support.labelled_share``), and ``rare_tagger_share`` of the agents (drawn from the seed)
  tag at ``rare_tagger_factor`` times that rate.

Both draw from generators of their own, so the other tickets' fields are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kizuki.simulate.config import SimConfig
from kizuki.simulate.population import Population
from kizuki.simulate.support import Tickets
from kizuki.simulate.text import TextMaker

__all__ = [
    "GUEST_REQUESTER0",
    "MAIN_REQUESTER0",
    "OTHER_REQUESTER0",
    "Requesters",
    "retag_tickets",
    "simulate_requesters",
]

MAIN_REQUESTER0 = 362_000_000_001
OTHER_REQUESTER0 = 363_000_000_001
GUEST_REQUESTER0 = 364_000_000_001


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


@dataclass
class Requesters:
    """Per ticket: the requester's id, name, address and external id (None: not linked)."""

    ids: list[int]
    names: list[str]
    emails: list[str]
    external_ids: list[str | None]


class _Addresses:
    """Unique e-mail addresses: a clash gets a number before the ``@``."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, email: str, salt: int) -> str:
        local, _, domain = email.partition("@")
        out, k = email, 0
        while out in self.taken:
            k += 1
            out = f"{local}.{salt % 1000 + k}@{domain}"
        self.taken.add(out)
        return out


def simulate_requesters(cfg: SimConfig, tickets: Tickets, pop: Population) -> Requesters | None:
    """Who each ticket comes from when ``realism.tickets.linked_share`` < 1; else None."""
    t = cfg.realism.tickets
    if t.linked_share >= 1.0:
        return None
    rng = _rng(cfg.seed, 501)
    text = TextMaker(cfg, _rng(cfg.seed, 502))
    n = len(tickets)
    linked = rng.random(n) < t.linked_share
    guest = ~linked & (rng.random(n) < t.guest_share)
    addresses = _Addresses()
    main: dict[int, tuple[str, str]] = {}
    other: dict[int, str] = {}
    for ent in np.unique(tickets.ent).tolist():  # every customer's two addresses, in id order
        lang = int(pop.lang[ent])
        name, email = text.person(lang)
        main[ent] = (name, addresses.claim(email, ent))
        other[ent] = addresses.claim(text.person(lang)[1], ent)
    n_guests = 0
    out = Requesters([], [], [], [])
    for i, ent in enumerate(tickets.ent.tolist()):
        name, email = main[ent]
        if linked[i]:
            rid, ext = MAIN_REQUESTER0 + ent, f"C{ent + 1:07d}"
        elif guest[i]:  # a one-off address (a colleague's, a private one): a new user
            name, email = text.person(int(pop.lang[ent]))
            email = addresses.claim(email, ent)
            rid, ext = GUEST_REQUESTER0 + n_guests, None
            n_guests += 1
        else:
            email = other[ent]
            rid, ext = OTHER_REQUESTER0 + ent, None
        out.ids.append(rid)
        out.names.append(name)
        out.emails.append(email)
        out.external_ids.append(ext)
    return out


def retag_tickets(cfg: SimConfig, tickets: Tickets) -> None:
    """Redraw intent tags by channel and agent (``realism.tickets``); in place."""
    t = cfg.realism.tickets
    if not t.tagging_enabled:
        return
    rng = _rng(cfg.seed, 503)
    base = cfg.support.labelled_share
    rate = np.array([t.tag_rate_by_channel.get(c.name, base) for c in cfg.channels])
    agents = cfg.company.agents
    rare = np.zeros(agents, dtype=np.bool_)
    rare[rng.permutation(agents)[: round(t.rare_tagger_share * agents)]] = True
    p = rate[tickets.channel] * np.where(rare[tickets.agent], t.rare_tagger_factor, 1.0)
    in_taxonomy = np.array([i.in_taxonomy for i in cfg.intents], dtype=np.bool_)
    tickets.labelled = (rng.random(len(tickets)) < p) & in_taxonomy[tickets.intent]
