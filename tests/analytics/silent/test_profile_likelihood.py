"""The hit count's posterior over its profile likelihood: centred where the count is well
identified, less biased than the maximum where it is not.

Oracles: mixtures drawn from known parameters, and the likelihood-ratio interval read off a
dense grid.
"""

from __future__ import annotations

import numpy as np
import pytest
from known_mixtures import as_patterns, draw_units, draw_weak

from kizuki.analytics.silent.latent_class import fit_two_class, profile_hit_units
from kizuki.analytics.silent.profile_likelihood import hit_units_posterior


def test_posterior_of_a_well_identified_count_is_centred_on_the_maximum() -> None:
    """On a large page the count's likelihood is narrower than the coarse grid's step (6%):
    the refined grid must carry its posterior, which is then the usual normal-like interval
    around the maximum, as wide as the likelihood-ratio interval read off a dense grid."""
    pats, counts = as_patterns(draw_units(np.random.default_rng(5), 6_000, 24_000)[0])
    fit = fit_two_class(pats, counts)
    grid, loglik = profile_hit_units(fit, pats, counts)
    _mean, draws = hit_units_posterior(grid, loglik, np.random.default_rng(1), n_draws=4000)
    lo, med, hi = np.quantile(draws, [0.025, 0.5, 0.975])
    dense, dense_ll = profile_hit_units(fit, pats, counts, points=161, span=0.08, max_span=0.08)
    inside = dense[dense_ll >= dense_ll.max() - 1.92]  # chi2(1) 95% / 2
    assert dense[0] < inside[0] and inside[-1] < dense[-1]
    assert abs(med - fit.hit_units) < 0.01 * fit.hit_units
    assert lo == pytest.approx(inside[0], rel=0.01)
    assert hi == pytest.approx(inside[-1], rel=0.01)
    assert (hi - lo) < 0.12 * fit.hit_units  # narrower than two coarse steps


def test_posterior_mean_is_less_biased_than_the_maximum_where_the_page_is_weak() -> None:
    """The MLE sticks at 'every hit shows the error' and undercounts; the posterior does not."""
    mle, post, covered = [], [], 0
    for seed in range(8):
        rng = np.random.default_rng(300 + seed)
        pats, counts = draw_weak(rng, 200, 3200)
        fit = fit_two_class(pats, counts)
        mean, draws = hit_units_posterior(*profile_hit_units(fit, pats, counts), rng)
        mle.append(fit.hit_units)
        post.append(mean)
        covered += np.quantile(draws, 0.025) <= 200 <= np.quantile(draws, 0.975)
    assert abs(np.mean(post) - 200) < abs(np.mean(mle) - 200)
    assert np.mean(mle) < 170  # the bias is real in this setting (-20%) ...
    assert covered >= 7  # ... and the posterior's interval is honest about it
