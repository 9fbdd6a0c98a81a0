"""Agents needed for a chat or phone service level: Erlang C, and Erlang A where customers
abandon (Q6, docs/staffing.md).

Both are M/M/N queues in steady state: contacts arrive at random (Poisson, ``arrivals`` per
hour), handle times are exponential (mean ``aht_seconds``), ``agents`` serve in parallel.

- **Erlang C** (nobody hangs up): the offered load is ``A = arrivals × AHT`` Erlangs; with
  ``N > A`` agents the chance to wait is ``C(N, A) = N·B / (N − A·(1 − B))`` with ``B`` the
  Erlang B blocking probability (computed by its stable recursion), the service level (share
  answered within ``t``) is ``1 − C·exp(−(N − A)·t / AHT)`` and the average speed of answer
  ``C·AHT / (N − A)``.
- **Erlang A** (M/M/N+M, Palm's model): a waiting customer hangs up at rate ``1 / patience``.
  The queue is a birth-death chain (states 0 … N + K, cut where the tail is below 1e-12);
  an arrival that finds ``j`` waiting is answered after ``j + 1`` departures ahead of it, each
  a race against its own patience, so its chance to be answered within ``t`` is a
  hypoexponential distribution, computed exactly with a matrix exponential. The service level
  counts abandoned contacts as not answered within ``t``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kizuki.errors import ConfigError

__all__ = ["Staffing", "agents_needed", "erlang_a", "erlang_c"]

#: The most agents searched for one target.
MAX_AGENTS = 100_000
#: States of the Erlang A chain beyond which the tail probability is ignored.
_TAIL = 1e-12


@dataclass(frozen=True)
class Staffing:
    """One staffing level and what it gives."""

    agents: int
    service_level: float  # share answered within the target seconds (of all offered)
    asa_seconds: float  # average speed of answer (mean wait of those answered; Erlang C: all)
    wait_probability: float  # share of arrivals that wait at all
    occupancy: float  # share of agent time busy
    abandonment: float = 0.0  # share of arrivals that hang up (Erlang A)


def _check(arrivals_per_hour: float, aht_seconds: float, within_seconds: float) -> None:
    if not arrivals_per_hour > 0:
        raise ConfigError(f"arrivals per hour must be > 0, got {arrivals_per_hour}")
    if not aht_seconds > 0:
        raise ConfigError(f"handle time must be > 0 seconds, got {aht_seconds}")
    if not within_seconds >= 0:
        raise ConfigError(f"the target must be >= 0 seconds, got {within_seconds}")


def _erlang_b(agents: int, load: float) -> float:
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(
    agents: int, arrivals_per_hour: float, aht_seconds: float, within_seconds: float
) -> Staffing:
    """Erlang C service level, average speed of answer and wait probability of ``agents``.

    >>> s = erlang_c(14, 200, 180, 20)
    >>> round(s.service_level, 3), round(s.asa_seconds, 1)
    (0.888, 7.8)
    """
    _check(arrivals_per_hour, aht_seconds, within_seconds)
    load = arrivals_per_hour * aht_seconds / 3600.0
    if agents <= load:  # the queue grows without end
        return Staffing(agents, 0.0, math.inf, 1.0, 1.0)
    b = _erlang_b(agents, load)
    wait = agents * b / (agents - load * (1.0 - b))
    level = 1.0 - wait * math.exp(-(agents - load) * within_seconds / aht_seconds)
    asa = wait * aht_seconds / (agents - load)
    return Staffing(agents, level, asa, wait, load / agents)


def erlang_a(
    agents: int,
    arrivals_per_hour: float,
    aht_seconds: float,
    within_seconds: float,
    patience_seconds: float,
) -> Staffing:
    """Erlang A (M/M/N+M): waiting customers hang up after an exponential patience with mean
    ``patience_seconds``. ``service_level`` is the share of all arrivals answered within
    ``within_seconds``; ``asa_seconds`` the mean wait of those answered."""
    _check(arrivals_per_hour, aht_seconds, within_seconds)
    if not patience_seconds > 0:
        raise ConfigError(f"patience must be > 0 seconds, got {patience_seconds}")
    if agents < 1:
        raise ConfigError(f"agents must be >= 1, got {agents}")
    lam, mu, theta = arrivals_per_hour / 3600.0, 1.0 / aht_seconds, 1.0 / patience_seconds
    # unnormalised state probabilities (log space): up to N agents busy, then j waiting
    logs = [0.0]
    for n in range(1, agents + 1):
        logs.append(logs[-1] + math.log(lam / (n * mu)))
    j = 0
    while True:
        j += 1
        logs.append(logs[-1] + math.log(lam / (agents * mu + j * theta)))
        if j > 10 and logs[-1] - max(logs) < math.log(_TAIL):
            break
    p = np.exp(np.array(logs) - max(logs))
    p /= p.sum()
    waiting = p[agents:]  # an arrival finds j = 0, 1, … waiting (PASTA), all agents busy
    rates = agents * mu + np.arange(waiting.size) * theta  # departures ahead when j are ahead
    answered_within = 0.0
    answered = 0.0
    wait_answered = 0.0
    for j, pj in enumerate(waiting):
        if pj < _TAIL:
            continue
        steps = rates[: j + 1][::-1]  # j ahead, then j-1, …, then 0 ahead: a server frees
        total = steps + theta  # leave the step by a departure ahead or by hanging up
        advance = float(np.prod(steps / total))  # answered at all
        answered += pj * advance
        wait_answered += pj * advance * float(np.sum(1.0 / total))
        answered_within += pj * advance * _hypoexp_cdf(total, within_seconds)
    free = float(p[:agents].sum())
    level = free + answered_within
    asa = wait_answered / (free + answered) if free + answered > 0 else 0.0
    busy = float(np.dot(np.minimum(np.arange(p.size), agents), p)) / agents
    return Staffing(
        agents, float(level), float(asa), 1.0 - free, busy, float(1.0 - free - answered)
    )


def _hypoexp_cdf(rates: np.ndarray, t: float) -> float:
    """P(sum of independent exponentials with ``rates`` ≤ t), by the matrix exponential of the
    chain that passes through them in order."""
    if t <= 0:
        return 0.0
    from scipy.linalg import expm

    q = np.diag(-rates) + np.diag(rates[:-1], 1)
    still = expm(q * t)[0].sum()
    return float(min(max(1.0 - still, 0.0), 1.0))


def agents_needed(
    arrivals_per_hour: float,
    aht_seconds: float,
    target_service_level: float,
    within_seconds: float,
    *,
    patience_seconds: float | None = None,
) -> Staffing:
    """The fewest agents whose service level reaches ``target_service_level`` (Erlang C, or
    Erlang A with ``patience_seconds``)."""
    if not 0 < target_service_level < 1:
        raise ConfigError(
            f"the target service level must be between 0 and 1, got {target_service_level}"
        )
    _check(arrivals_per_hour, aht_seconds, within_seconds)
    load = arrivals_per_hour * aht_seconds / 3600.0
    agents = max(1, math.floor(load) + (1 if patience_seconds is None else 0))
    while agents <= MAX_AGENTS:
        s = (
            erlang_c(agents, arrivals_per_hour, aht_seconds, within_seconds)
            if patience_seconds is None
            else erlang_a(agents, arrivals_per_hour, aht_seconds, within_seconds, patience_seconds)
        )
        if s.service_level >= target_service_level:
            return s
        agents += 1
    raise ConfigError(f"more than {MAX_AGENTS:,} agents needed: check the arrivals and handle time")
