"""The three-class model with help seekers apart, and its simulator.

Oracles: mixtures with planted help seekers (the count must lose the two-class undercount) and
without (it must change nothing), and pages drawn from a known fitted model (the drawn pages
must follow it, and the count refitted on them must land near the drawn truth).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from known_mixtures import as_patterns, draw_seekers, draw_units

from kizuki.analytics.silent.help_seekers import (
    SeekerFit,
    fit_with_seekers,
    hit_units_with_seekers,
    posterior_hit_seekers,
    profile_hit_units_seekers,
    simulate_page,
)
from kizuki.analytics.silent.latent_class import fit_two_class, posterior_hit, profile_hit_units
from kizuki.analytics.silent.profile_likelihood import hit_units_posterior


def test_help_seekers_apart_remove_the_undercount_they_cause() -> None:
    two, three, covered = [], [], 0
    for seed in range(6):
        rng = np.random.default_rng(500 + seed)
        pats, counts = draw_seekers(rng, 300, 12_000, 200)
        fit = fit_two_class(pats, counts)
        two.append(hit_units_posterior(*profile_hit_units(fit, pats, counts), rng)[0])
        seekers = fit_with_seekers(fit, pats, counts)
        grid, loglik = profile_hit_units_seekers(seekers, pats, counts)
        mean, draws = hit_units_posterior(grid, loglik, rng, n_draws=400)
        three.append(mean)
        covered += np.quantile(draws, 0.025) <= 300 <= np.quantile(draws, 0.975)
        assert seekers.log_likelihood > fit.log_likelihood  # the third class fits better
        # it finds the seekers (200), and with them some ordinary units that look alike (help,
        # no loop, no error): which of the two those are does not matter to the hit count
        assert 150 < seekers.shares[2] * counts.sum() < 500
    assert np.mean(two) < 0.92 * 300  # the two-class count is short by more than 8% ...
    assert abs(np.mean(three) - 300) < 0.04 * 300  # ... the three-class one is not
    assert covered >= 5


def test_help_seekers_apart_change_nothing_where_there_are_none() -> None:
    pats, counts = as_patterns(draw_units(np.random.default_rng(11), 500, 10_000)[0])
    fit = fit_two_class(pats, counts)
    seekers = fit_with_seekers(fit, pats, counts)
    post = posterior_hit_seekers(seekers, pats)
    assert seekers.shares[2] < 0.01
    assert seekers.hit_units == pytest.approx(fit.hit_units, rel=0.03)
    np.testing.assert_allclose(post, posterior_hit(fit, pats), atol=0.05)
    grid, loglik = profile_hit_units_seekers(seekers, pats, counts)
    mean = hit_units_posterior(grid, loglik, np.random.default_rng(1))[0]
    assert mean == pytest.approx(
        hit_units_posterior(*profile_hit_units(fit, pats, counts), np.random.default_rng(1))[0],
        rel=0.03,
    )


# -- pages drawn from a fitted model ------------------------------------------------------------


def _model() -> SeekerFit:
    """A page's fitted model: 8% hit units (error, loop, help), background, help seekers."""
    return SeekerFit(
        n_units=20_000.0,
        shares=np.array([0.08, 0.90, 0.02]),
        probs=(
            np.array([[0.5, 0.5, 0.0], [0.99, 0.0, 0.01], [1.0, 0.0, 0.0]]),
            np.array([[0.45, 0.55], [0.95, 0.05], [1.0, 0.0]]),
            np.array([[0.45, 0.4, 0.15], [0.94, 0.01, 0.05], [0.0, 0.6, 0.4]]),
        ),
        log_likelihood=0.0,
    )


def _count_hits(patterns: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> float:
    """The product's count of hit units on a page with a problem (bench/accuracy_floor.py's)."""
    fit = fit_two_class(patterns, counts)
    return hit_units_with_seekers(fit, patterns, counts, rng, n_draws=10)[0]


def test_drawn_pages_follow_the_model() -> None:
    model = _model()
    rng = np.random.default_rng(3)
    patterns, counts, hits = simulate_page(model, 20_000, rng)
    assert counts.sum() == 20_000
    assert abs(hits - 1_600) < 4 * np.sqrt(20_000 * 0.08 * 0.92)
    for j, probs in enumerate(model.probs):
        margin = model.shares @ probs  # the category shares of the mixture
        seen = np.bincount(patterns[:, j], weights=counts, minlength=probs.shape[1]) / 20_000
        np.testing.assert_allclose(seen, margin, atol=0.01)
    # a page of help seekers only: each looks for help, none errs or loops
    seekers = dataclasses.replace(model, shares=np.array([0.0, 0.0, 1.0]))
    patterns, counts, hits = simulate_page(seekers, 500, rng)
    assert hits == 0
    assert (patterns[:, :2] == 0).all() and (patterns[:, 2] > 0).all()


def test_the_count_on_drawn_pages_has_the_spread_its_interval_claims() -> None:
    """Refitting drawn pages gives counts near the drawn truth; their spread is what
    bench/accuracy_floor.py reports, a few percent on a page this size."""
    model = _model()
    rng = np.random.default_rng(4)
    errors = []
    for _ in range(6):
        patterns, counts, hits = simulate_page(model, 20_000, rng)
        errors.append(_count_hits(patterns, counts, rng) / hits - 1.0)
    assert abs(float(np.mean(errors))) < 0.05
    assert 0.0 < float(np.std(errors)) < 0.1
    # the fitted model of a drawn page is the kind the simulator draws from
    patterns, counts, _ = simulate_page(model, 20_000, rng)
    refit = fit_with_seekers(fit_two_class(patterns, counts), patterns, counts)
    assert abs(refit.shares[0] - 0.08) < 0.02
