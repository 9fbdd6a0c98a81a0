"""Who GA4 can tell apart: anonymous sessions, logins in mid-session and second devices.

With ``realism.identity`` off every logged-in session carries the customer's ``user_id`` from
its first event, on the customer's one device. With it on:

- a customer's session has no login at all with probability ``anonymous_session_share``;
- ``second_device_share`` of customers have a second device (a second ``user_pseudo_id``,
  another device category and browser), used for ``second_device_session_share`` of their
  sessions, which log in with probability ``second_device_login_share``;
- ``mid_session_login_share`` of logged-in sessions start anonymous: a ``login`` event is
  inserted partway through, and ``user_id`` is set from it onwards (GA4 sets ``user_id`` only
  after the site calls it at login).

The draws come from generators of their own (one per chunk), so the other events are the same.
``ground_truth/identities.csv`` maps every identifier to the customer it really belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from kizuki.simulate.catalog import Catalog
from kizuki.simulate.clock import Clock
from kizuki.simulate.config import SimConfig
from kizuki.simulate.population import Population, customer_ids, pseudo_ids
from kizuki.simulate.specs import SessionSpecs

if TYPE_CHECKING:  # sessions imports this module
    from kizuki.simulate.sessions import EventBatch

__all__ = [
    "DeviceSlots",
    "SecondDevices",
    "apply_identity",
    "device_slots",
    "simulate_second_devices",
    "write_identities",
]

I64 = NDArray[np.int64]


@dataclass
class SecondDevices:
    """Per customer: whether it has a second device, and that device's GA4 identity."""

    has: NDArray[np.bool_]
    pseudo_a: I64
    pseudo_b: I64
    device: NDArray[np.int8]
    browser: NDArray[np.int8]

    def pseudo_ids(self, first: int, stop: int) -> list[str]:
        """``user_pseudo_id`` of the second devices of customers ``first..stop-1``."""
        a = self.pseudo_a[first:stop].tolist()
        b = self.pseudo_b[first:stop].tolist()
        return [f"{x}.{y}" for x, y in zip(a, b, strict=True)]


def simulate_second_devices(
    cfg: SimConfig, pop: Population, clock: Clock, rng: np.random.Generator
) -> SecondDevices | None:
    """Give ``second_device_share`` of the customers a second device; None when none do."""
    share = cfg.realism.identity.second_device_share
    if share <= 0:
        return None
    n = pop.n_customers
    has = rng.random(n) < share
    # the other kind of device: a phone beside a desktop, a computer beside a phone
    primary = pop.device[:n]
    device = np.where(primary == 0, np.where(rng.random(n) < 0.85, 1, 2), 0).astype(np.int8)
    browser = rng.choice(4, size=n, p=[0.55, 0.3, 0.1, 0.05]).astype(np.int8)
    first_touch = clock.start_us // 1_000_000 - rng.integers(0, 400 * 86_400, n)
    return SecondDevices(
        has=has,
        pseudo_a=rng.integers(100_000_000, 2_147_483_647, n, dtype=np.int64),
        pseudo_b=first_touch.astype(np.int64),
        device=device,
        browser=browser,
    )


def apply_identity(
    cfg: SimConfig,
    cat: Catalog,
    pop: Population,
    batch: EventBatch,
    s: SessionSpecs,
    rng: np.random.Generator,
) -> EventBatch:
    """Decide each session's login and device; insert ``login`` events for mid-session logins.

    ``s`` are the batch's sessions in batch order.
    """
    idn = cfg.realism.identity
    n_s = len(s)
    u = rng.random((4, n_s))
    cust = s.ent < pop.n_customers
    second = pop.second
    alt = np.zeros(n_s, dtype=np.bool_)
    if second is not None:
        alt[cust] = second.has[s.ent[cust]]
        alt &= u[0] < idn.second_device_session_share
    logs_in = np.where(
        alt, u[1] < idn.second_device_login_share, u[1] >= idn.anonymous_session_share
    )
    logged = s.logged_in & cust & logs_in
    mid = logged & (u[2] < idn.mid_session_login_share)

    starts = np.flatnonzero(batch.is_session_start)
    sess = np.cumsum(batch.is_session_start) - 1
    total = np.diff(np.append(starts, len(batch)))
    # the login comes before event j (1 <= j < total): events before it have no user_id
    j = 1 + (u[3] * (total - 1)).astype(np.int64)
    login_at = np.where(mid, j, 0)
    batch.logged_in = logged[sess] & (batch.event_index >= login_at[sess])
    batch.second_device = alt[sess] if second is not None else None
    if not mid.any():
        return batch
    return _insert_logins(cat, batch, starts[mid] + j[mid])


def _insert_logins(cat: Catalog, b: EventBatch, pos: I64) -> EventBatch:
    """Insert a ``login`` event before each old event index in ``pos`` (same session)."""
    from kizuki.simulate.sessions import event_names  # sessions imports this module

    prev = pos - 1
    code = event_names(cat).index("login")
    n = pos.size
    ts = b.ts[prev] + (b.ts[pos] - b.ts[prev]) // 2
    values: dict[str, NDArray[np.generic]] = {
        "ent": b.ent[prev],
        "ts": ts,
        "name": np.full(n, code, dtype=np.int8),
        "loc": b.loc[prev],
        "lang": b.lang[prev],
        "session_id": b.session_id[prev],
        "session_number": b.session_number[prev],
        "event_index": np.zeros(n, dtype=np.int64),
        "logged_in": np.ones(n, dtype=np.bool_),
        "term": np.full(n, -1, dtype=np.int32),
        "results": np.zeros(n, dtype=np.int64),
        "content": np.full(n, -1, dtype=np.int32),
        "error": np.full(n, -1, dtype=np.int32),
        "engagement_ms": np.full(n, -1, dtype=np.int64),
        "referrer": np.full(n, -1, dtype=np.int8),
        "is_session_start": np.zeros(n, dtype=np.bool_),
    }
    for key, value in values.items():
        setattr(b, key, np.insert(getattr(b, key), pos, value))
    if b.second_device is not None:
        b.second_device = np.insert(b.second_device, pos, b.second_device[prev])
    idx = np.arange(len(b))
    b.event_index = idx - np.maximum.accumulate(np.where(b.is_session_start, idx, 0))
    return b


@dataclass
class DeviceSlots:
    """GA4 devices of a chunk: per event its slot, per slot the entity, device and pseudo id."""

    slot: NDArray[np.int64]
    entity: I64
    device: NDArray[np.int8]
    browser: NDArray[np.int8]
    pseudo: list[str]


def device_slots(b: EventBatch, pop: Population, local: I64, ents: I64) -> DeviceSlots:
    """One slot per entity of the chunk, and a second one per customer with a second device."""
    c = b.chunk
    n_all = pop.n_customers
    pseudo = pseudo_ids(pop, c.c0, c.c1) + pseudo_ids(pop, n_all + c.p0, n_all + c.p1)
    dev, browser = pop.device[ents], pop.browser[ents]
    second = pop.second
    if b.second_device is None or second is None:
        return DeviceSlots(local.astype(np.int64), ents, dev, browser, pseudo)
    n_local = ents.size
    cust = ents < n_all
    own = np.minimum(ents, n_all - 1)
    dev2 = np.where(cust, second.device[own], dev).astype(np.int8)
    browser2 = np.where(cust, second.browser[own], browser).astype(np.int8)
    pseudo2 = second.pseudo_ids(c.c0, c.c1) + pseudo[c.c1 - c.c0 :]
    return DeviceSlots(
        slot=local.astype(np.int64) + n_local * b.second_device,
        entity=np.concatenate([ents, ents]),
        device=np.concatenate([dev, dev2]),
        browser=np.concatenate([browser, browser2]),
        pseudo=pseudo + pseudo2,
    )


def write_identities(path: Path, pop: Population, requesters: list[tuple[int, str, int]]) -> None:
    """``identities.csv``: every identifier (``kind, value``) and its true ``customer_id``.

    Kinds: ``user_pseudo_id`` (GA4 devices; prospects have no customer),
    ``zendesk_requester_id`` and ``email`` (ticket requesters, from ``requesters``:
    ``(requester_id, email, entity)`` per ticket).
    """
    n = pop.n_customers
    ids = customer_ids(0, n)
    lines = ["kind,value,customer_id"]
    lines.extend(f"user_pseudo_id,{p},{c}" for p, c in zip(pseudo_ids(pop, 0, n), ids, strict=True))
    second = pop.second
    if second is not None:
        has = np.flatnonzero(second.has).tolist()
        pseudo2 = second.pseudo_ids(0, n)
        lines.extend(f"user_pseudo_id,{pseudo2[e]},{ids[e]}" for e in has)
    lines.extend(f"user_pseudo_id,{p}," for p in pseudo_ids(pop, n, pop.n_entities))
    seen_r: set[int] = set()
    seen_e: set[tuple[str, int]] = set()
    rows_r: list[str] = []
    rows_e: list[str] = []
    for requester, email, ent in requesters:
        if requester not in seen_r:
            seen_r.add(requester)
            rows_r.append(f"zendesk_requester_id,{requester},{ids[ent]}")
        if (email, ent) not in seen_e:
            seen_e.add((email, ent))
            rows_e.append(f"email,{email},{ids[ent]}")
    lines.extend(rows_r)
    lines.extend(rows_e)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
