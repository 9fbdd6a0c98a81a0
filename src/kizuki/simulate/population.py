"""Who the company's customers (and anonymous prospects) are, and when each would churn anyway.

Customers get a segment, language, value, sign-up time, device and a GA4 pseudo id; each also
gets a *base* churn time drawn from its segment's monthly hazard. Problems may bring churn
forward later (see :mod:`kizuki.simulate.problems`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from kizuki.simulate.clock import DAY_US, Clock
from kizuki.simulate.config import SimConfig

if TYPE_CHECKING:
    from kizuki.simulate.identity import SecondDevices

__all__ = ["NEVER", "Population", "customer_ids", "simulate_population"]

NEVER = np.iinfo(np.int64).max
MONTH_DAYS = 30.44


@dataclass
class Population:
    """Per-entity arrays; entities ``0..n_customers-1`` are customers, the rest prospects."""

    n_customers: int
    n_prospects: int
    segment: NDArray[np.int16]  # customers only
    value: NDArray[np.float64]  # monthly value, customers only
    created_us: NDArray[np.int64]  # customers only
    is_new: NDArray[np.bool_]  # signed up during the window
    churn_us: NDArray[np.int64]  # final churn time (NEVER if none); updated by problems
    base_churn_us: NDArray[np.int64]
    lang: NDArray[np.int8]  # all entities
    device: NDArray[np.int8]  # all entities: 0 desktop, 1 mobile, 2 tablet
    browser: NDArray[np.int8]  # all entities
    pseudo_a: NDArray[np.int64]  # user_pseudo_id = f"{a}.{b}"
    pseudo_b: NDArray[np.int64]
    session_rate: NDArray[np.float64]  # sessions per day, all entities
    second: SecondDevices | None = None  # customers' second devices (realism.identity)

    @property
    def n_entities(self) -> int:
        return self.n_customers + self.n_prospects

    def active_range(self, clock: Clock) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Per customer, the part of the window in which the customer has an account."""
        lo = np.maximum(self.created_us, clock.start_us)
        hi = np.minimum(self.churn_us, clock.end_us)
        return lo, np.maximum(hi, lo)


def customer_ids(first: int, stop: int) -> list[str]:
    """Customer ids of entities ``first..stop-1`` (``C0000001`` for entity 0)."""
    return [f"C{i:07d}" for i in range(first + 1, stop + 1)]


def pseudo_ids(pop: Population, first: int, stop: int) -> list[str]:
    """GA4 ``user_pseudo_id`` of entities ``first..stop-1``."""
    a = pop.pseudo_a[first:stop].tolist()
    b = pop.pseudo_b[first:stop].tolist()
    return [f"{x}.{y}" for x, y in zip(a, b, strict=True)]


def simulate_population(cfg: SimConfig, clock: Clock, rng: np.random.Generator) -> Population:
    """Draw customers and prospects."""
    n = cfg.customers
    m = round(n * cfg.prospects_per_customer)
    shares = np.array([s.share for s in cfg.segments])
    segment = rng.choice(len(shares), size=n, p=shares / shares.sum()).astype(np.int16)
    base_value = np.array([s.monthly_value for s in cfg.segments])[segment]
    sigma = np.array([s.value_sigma for s in cfg.segments])[segment]
    value = np.round(base_value * rng.lognormal(0.0, 1.0, n) ** sigma, -1)
    ja_share = np.array([s.ja_share for s in cfg.segments])[segment]
    lang_c = (rng.random(n) >= ja_share).astype(np.int8)
    lang_p = (rng.random(m) >= 0.85).astype(np.int8)

    is_new = rng.random(n) < cfg.new_customer_share
    old_created = clock.start_us - (rng.random(n) * 3 * 365 * DAY_US).astype(np.int64) - DAY_US
    new_created = clock.sample_times(
        rng, np.full(n, clock.start_us + DAY_US), np.full(n, clock.end_us - DAY_US)
    )
    created = np.where(is_new, new_created, old_created)

    hazard = np.array([s.monthly_churn for s in cfg.segments])[segment]
    months = rng.exponential(1.0, n) / np.maximum(hazard, 1e-12)
    base_churn = np.maximum(created, clock.start_us) + (months * MONTH_DAYS * DAY_US).astype(
        np.int64
    )
    base_churn = np.where(hazard > 0, base_churn, NEVER)
    base_churn = np.where(base_churn < clock.end_us, base_churn, NEVER)

    e = n + m
    b = cfg.behaviour
    u = rng.random(e)
    device = np.where(u < b.tablet_share, 2, np.where(u < b.tablet_share + b.mobile_share, 1, 0))
    browser = rng.choice(4, size=e, p=[0.62, 0.2, 0.12, 0.06]).astype(np.int8)
    rate = b.sessions_per_day * rng.lognormal(-0.5 * b.sessions_sigma**2, b.sessions_sigma, e)
    first_touch = clock.start_us // 1_000_000 - rng.integers(0, 900 * 86_400, e)
    return Population(
        n_customers=n,
        n_prospects=m,
        segment=segment,
        value=value,
        created_us=created.astype(np.int64),
        is_new=is_new,
        churn_us=base_churn.copy(),
        base_churn_us=base_churn,
        lang=np.concatenate([lang_c, lang_p]),
        device=device.astype(np.int8),
        browser=browser,
        pseudo_a=rng.integers(100_000_000, 2_147_483_647, e, dtype=np.int64),
        pseudo_b=first_touch.astype(np.int64),
        session_rate=rate,
    )
