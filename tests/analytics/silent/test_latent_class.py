"""The two-class latent class model: accelerated EM, fit, bootstrap, profile, posterior.

Oracles: mixtures drawn from known parameters (the estimator must recover the number of hit
units and cover it with its interval), and chi-square tables.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from known_mixtures import as_patterns, draw_units

from kizuki.analytics.silent.latent_class import (
    bootstrap_hit_units,
    chi2_sf,
    fit_two_class,
    posterior_hit,
    profile_hit_units,
)
from kizuki.analytics.silent.profile_likelihood import hit_units_posterior
from kizuki.errors import ConfigError


def _plain_em_loglik(pats: np.ndarray, counts: np.ndarray, steps: int) -> float:
    """The log-likelihood plain (unaccelerated) EM reaches in ``steps`` steps, from the start
    :func:`fit_two_class` uses."""
    from kizuki.analytics.silent.latent_class import _one_hot, _start, _step

    onehot = _one_hot(pats)
    pi, probs = _start(pats, counts, onehot)
    ll = np.array([-np.inf])
    for _ in range(steps):
        pi, probs, ll = _step(onehot, counts[None], pi, probs, 1e-3, False)
    return float(ll[0])


def test_accelerated_em_converges_where_plain_em_creeps_and_is_never_worse() -> None:
    # no problem at all: independent indicators, the two-class likelihood is flat
    rng = np.random.default_rng(3)
    pats = np.array(list(itertools.product(range(3), range(2), range(4))))
    marginals = [
        np.array([0.97, 0.02, 0.01]),
        np.array([0.9, 0.1]),
        np.array([0.94, 0.03, 0.02, 0.01]),
    ]
    p = np.prod([m[pats[:, j]] for j, m in enumerate(marginals)], axis=0)
    counts = rng.multinomial(20_000, p).astype(float)
    fit = fit_two_class(pats, counts)
    assert fit.converged and fit.iterations < 1000
    assert fit.log_likelihood >= _plain_em_loglik(pats, counts, 1000)
    assert fit.p_value > 0.01  # and nothing is detected
    # where the data hold a problem, the same maximum as plain EM run long
    codes, _ = draw_units(np.random.default_rng(1), 600, 20_000)
    pats, counts = as_patterns(codes)
    fit = fit_two_class(pats, counts)
    assert fit.converged and fit.iterations < 300
    assert fit.log_likelihood == pytest.approx(_plain_em_loglik(pats, counts, 3000), abs=1e-4)


def test_fit_recovers_the_hit_units_of_a_known_mixture_and_covers_them() -> None:
    rng = np.random.default_rng(1)
    codes, _ = draw_units(rng, 600, 20_000)
    pats, counts = as_patterns(codes)
    fit = fit_two_class(pats, counts)
    assert fit.converged
    assert abs(fit.hit_units - 600) / 600 < 0.12
    assert fit.p_value < 1e-12
    # class 0 is the problem: its error indicator fires far more often
    assert fit.probs[0][0, 0] < 0.8 < fit.probs[0][1, 0]
    draws = bootstrap_hit_units(fit, pats, counts, np.random.default_rng(2), n_boot=100)
    lo, hi = np.quantile(draws, [0.025, 0.975])
    assert lo < 600 < hi
    assert hi - lo < 400


def test_interval_covers_the_truth_in_most_repetitions() -> None:
    covered = 0
    for seed in range(10):
        rng = np.random.default_rng(100 + seed)
        pats, counts = as_patterns(draw_units(rng, 400, 8_000)[0])
        fit = fit_two_class(pats, counts)
        draws = bootstrap_hit_units(fit, pats, counts, rng, n_boot=80)
        lo, hi = np.quantile(draws, [0.025, 0.975])
        covered += lo <= 400 <= hi
    assert covered >= 8


def test_profile_peaks_at_the_maximum_likelihood_fit() -> None:
    pats, counts = as_patterns(draw_units(np.random.default_rng(7), 500, 10_000)[0])
    fit = fit_two_class(pats, counts)
    grid, loglik = profile_hit_units(fit, pats, counts)
    assert grid[0] < fit.hit_units < grid[-1]
    assert loglik.max() == pytest.approx(fit.log_likelihood, abs=0.05)
    assert loglik[0] < loglik.max() - 8 and loglik[-1] < loglik.max() - 8  # grid wide enough
    mean, draws = hit_units_posterior(grid, loglik, np.random.default_rng(1), n_draws=400)
    assert abs(mean - fit.hit_units) / fit.hit_units < 0.05  # well identified: mean ~ MLE
    lo, hi = np.quantile(draws, [0.025, 0.975])
    boot = bootstrap_hit_units(fit, pats, counts, np.random.default_rng(2), n_boot=200)
    b_lo, b_hi = np.quantile(boot, [0.025, 0.975])
    assert lo < fit.hit_units < hi
    assert 0.6 < (hi - lo) / (b_hi - b_lo) < 1.6  # as wide as the bootstrap's where both hold


def test_independent_background_noise_is_not_a_problem() -> None:
    rng = np.random.default_rng(3)
    codes, _ = draw_units(rng, 0, 20_000)
    fit = fit_two_class(*as_patterns(codes))
    assert fit.p_value > 1e-6


def test_posterior_separates_problem_signatures_from_noise() -> None:
    rng = np.random.default_rng(4)
    pats, counts = as_patterns(draw_units(rng, 500, 10_000)[0])
    fit = fit_two_class(pats, counts)
    post = posterior_hit(fit, np.array([[1, 1, 1], [0, 0, 0], [2, 0, 0]]))
    assert post[0] > 0.99
    assert post[1] < 0.05
    assert post[2] < 0.05  # a background error kind alone says little


@pytest.mark.parametrize(
    ("x", "df", "expected"),
    [(3.841, 1, 0.05), (18.307, 10, 0.05), (6.635, 1, 0.01), (0.0, 3, 1.0)],
    ids=["chi2_1_05", "chi2_10_05", "chi2_1_01", "zero"],
)
def test_chi2_tail_matches_tables(x: float, df: int, expected: float) -> None:
    assert chi2_sf(x, df) == pytest.approx(expected, abs=0.004)


def test_bad_patterns_raise_config_error() -> None:
    with pytest.raises(ConfigError, match="must be >= 0"):
        fit_two_class(np.array([[0, -1]]), np.array([3.0]))
    with pytest.raises(ConfigError, match="matching counts"):
        fit_two_class(np.array([[0, 1], [1, 0]]), np.array([3.0]))
    with pytest.raises(ConfigError, match="df must be"):
        chi2_sf(1.0, 0)
