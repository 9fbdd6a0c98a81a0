"""The count of hit units: its profile likelihood on a grid, and its posterior mean and draws.

A page's hit count is estimated as the posterior mean over its profile likelihood (flat prior on
the count), not as the maximum: where the data identify the count poorly the maximum sits at a
boundary and underestimates (docs/silent.md). Both latent class models give their profile
likelihood through :func:`profile_grid` and read it with :func:`hit_units_posterior`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["hit_units_posterior", "profile_grid"]

F64 = NDArray[np.float64]


def profile_grid(
    centre: float,
    n: float,
    loglik_at: Callable[[F64], F64],
    *,
    points: int = 21,
    span: float = 1.2,
    max_span: float = 3.6,
    drop: float = 8.0,
    fine_points: int = 41,
) -> tuple[F64, F64]:
    """``(grid, loglik_at(grid))`` on a log-spaced grid of hit counts around ``centre`` (of
    ``n`` units), widened (up to ``±max_span``) until both ends lie ``drop`` below the top,
    then refined: ``fine_points`` more between the coarse points next to the region within
    ``drop`` of the top. The coarse grid only finds that region: its step (12% with the
    defaults) is wider than a well-identified count's whole interval on a large page, where
    the posterior would otherwise sit on two or three grid points."""
    centre = min(max(centre, 1.0), 0.5 * n)
    while True:
        grid = centre * np.exp(np.linspace(-span, span, points))
        grid = grid[(grid >= 0.5) & (grid <= 0.999 * n)]
        ll = loglik_at(grid)
        top = float(ll.max())
        wide_enough = ll[0] < top - drop or grid[0] <= 0.5 * math.exp(span / points)
        wide_enough &= ll[-1] < top - drop or grid[-1] >= 0.999 * n / math.exp(span / points)
        if wide_enough or span >= max_span:
            break
        span, points = min(2.0 * span, max_span), 2 * points - 1
    if fine_points > 0:
        near = np.flatnonzero(ll >= top - drop)
        lo, hi = grid[max(near[0] - 1, 0)], grid[min(near[-1] + 1, grid.size - 1)]
        fine = np.exp(np.linspace(math.log(lo), math.log(hi), fine_points + 2)[1:-1])
        grid = np.concatenate([grid, fine])
        ll = np.concatenate([ll, loglik_at(fine)])
        order = np.argsort(grid, kind="stable")
        grid, ll = grid[order], ll[order]
    return np.asarray(grid, np.float64), np.asarray(ll, np.float64)


def hit_units_posterior(
    grid: F64, loglik: F64, rng: np.random.Generator, *, n_draws: int = 200
) -> tuple[float, F64]:
    """Posterior mean of the hit units and ``n_draws`` draws from it, flat prior on the count.

    The profile likelihood (:func:`~kizuki.analytics.silent.latent_class.profile_hit_units`,
    :func:`~kizuki.analytics.silent.help_seekers.profile_hit_units_seekers`) stands in for the
    integrated one. Where the data identify the count well this is the maximum-likelihood
    estimate with its usual interval; where they do not (the likelihood is flat on one side,
    e.g. when few hit units lack the page's error and background help blurs the rest) the
    maximum sits at a boundary and underestimates, while the posterior mean and its interval
    keep the whole plausible range. The density is taken as linear between grid points, so the
    grid's spacing may vary (:func:`profile_grid` refines it where the likelihood is high).

    Examples
    --------
    >>> grid = np.linspace(50.0, 150.0, 101)
    >>> loglik = -0.5 * ((grid - 100.0) / 10.0) ** 2
    >>> mean, draws = hit_units_posterior(grid, loglik, np.random.default_rng(0), n_draws=50)
    >>> round(mean, 6), draws.shape
    (100.0, (50,))
    """
    grid = np.asarray(grid, np.float64)
    dens = np.exp(loglik - loglik.max())  # flat prior on the count
    # piecewise-linear density between grid points (trapezoids), whatever their spacing
    width = np.diff(grid)
    mass = 0.5 * (dens[:-1] + dens[1:]) * width
    total = float(mass.sum())
    if total <= 0.0:  # a single grid point
        return float(grid[0]), np.full(n_draws, float(grid[0]))
    # ∫ x·f(x) over each segment, f linear: w/6·(f0·(2·x0 + x1) + f1·(x0 + 2·x1))
    x0, x1 = grid[:-1], grid[1:]
    moment = width / 6.0 * (dens[:-1] * (2 * x0 + x1) + dens[1:] * (x0 + 2 * x1))
    mean = float(moment.sum() / total)
    cdf = np.r_[0.0, np.cumsum(mass)] / total  # draws: each segment's mass, uniform within it
    draws = np.interp(rng.random(n_draws), cdf, grid)
    return mean, np.asarray(draws, np.float64)
