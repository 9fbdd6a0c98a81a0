"""Erlang C against the published worked example, Erlang A against Erlang C and against a
simulation of the queue, and the search for the fewest agents."""

from __future__ import annotations

import heapq

import numpy as np
import pytest

from kizuki.analytics.staffing import agents_needed, erlang_a, erlang_c
from kizuki.errors import ConfigError


def test_erlang_c_matches_the_published_example() -> None:
    """200 contacts an hour, 180 s handle time, 20 s target: 13 agents 79.6%, 14 agents
    88.8% with an average wait of 7.8 s (the standard worked example)."""
    thirteen = erlang_c(13, 200, 180, 20)
    fourteen = erlang_c(14, 200, 180, 20)
    assert round(thirteen.service_level * 100, 1) == 79.6
    assert round(fourteen.service_level * 100, 1) == 88.8
    assert round(fourteen.asa_seconds, 1) == 7.8
    assert fourteen.occupancy == pytest.approx(10 / 14)
    assert agents_needed(200, 180, 0.8, 20).agents == 14
    assert agents_needed(200, 180, 0.79, 20).agents == 13


def test_too_few_agents_never_catch_up() -> None:
    s = erlang_c(10, 200, 180, 20)  # 10 Erlangs of load on 10 agents
    assert s.service_level == 0.0 and s.asa_seconds == float("inf")


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    for agents in (11, 13, 16):
        a = erlang_a(agents, 200, 180, 20, patience_seconds=1e9)
        c = erlang_c(agents, 200, 180, 20)
        assert a.service_level == pytest.approx(c.service_level, abs=1e-6)
        assert a.asa_seconds == pytest.approx(c.asa_seconds, rel=1e-5)
        assert a.abandonment < 1e-6


def test_impatient_customers_shorten_the_queue_and_some_hang_up() -> None:
    a = erlang_a(13, 200, 180, 20, patience_seconds=60)
    c = erlang_c(13, 200, 180, 20)
    assert a.abandonment > 0.02
    assert a.asa_seconds < c.asa_seconds
    # even overloaded, a queue with abandonment is stable
    assert 0 < erlang_a(8, 200, 180, 20, patience_seconds=60).service_level < 1


def _simulate(agents: int, lam: float, aht: float, patience: float, t: float, n: int) -> tuple:
    """An M/M/N+M queue, first come first served: (answered within t, abandoned) shares."""
    rng = np.random.default_rng(3)
    arrivals = np.cumsum(rng.exponential(1 / lam, n))
    services = rng.exponential(aht, n)
    patiences = rng.exponential(patience, n)
    free = [0.0] * agents  # when each agent is next free
    heapq.heapify(free)
    within = abandoned = 0
    for at, service, wait_max in zip(arrivals, services, patiences, strict=True):
        start = max(at, free[0])
        if start - at > wait_max:
            abandoned += 1  # hangs up; the agent stays free for the next caller
            continue
        heapq.heapreplace(free, start + service)
        within += start - at <= t
    return within / n, abandoned / n


def test_erlang_a_agrees_with_a_simulated_queue() -> None:
    lam = 200 / 3600
    within, abandoned = _simulate(12, lam, 180, 90, 20, 200_000)
    model = erlang_a(12, 200, 180, 20, patience_seconds=90)
    assert model.service_level == pytest.approx(within, abs=0.01)
    assert model.abandonment == pytest.approx(abandoned, abs=0.005)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 180, 0.8, 20), "arrivals"),
        ((200, 0, 0.8, 20), "handle time"),
        ((200, 180, 1.2, 20), "service level"),
        ((200, 180, 0.8, -1), "target"),
    ],
)
def test_bad_input_is_a_clear_error(args: tuple, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        agents_needed(*args)
