"""A two-class latent class model: how many sessions were hit by a problem, though none is labelled.

Each *unit* (a session that ended on a page) carries a few categorical indicators, for example
the error it showed there (none, or the error's kind), whether it looped, and what help it
looked for (none, or the help's intent). A unit is either *hit* by the page's problem or
*background*. Within each class the indicators are assumed independent (local independence);
the classes differ in how often, and with what, each indicator fires. The model is fitted by
EM on the counts of each indicator pattern, so it needs no labelled example: the excess
co-occurrence of signals over what independent background noise would produce identifies the
hit class. This is the latent-class form of capture-recapture: every indicator is a "list"
that catches a hit session with its own probability, and the background is estimated at the
same time instead of being assumed zero. Methods and assumptions: docs/silent.md.

Everything is numpy on small arrays (one row per distinct pattern); the EM is vectorised over
bootstrap replicates and over the points of the profile likelihood of the hit count
(:func:`profile_hit_units`), whose posterior (:func:`hit_units_posterior`) gives the estimate
and its interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kizuki.errors import ConfigError

__all__ = [
    "LatentClassFit",
    "bootstrap_hit_units",
    "chi2_sf",
    "fit_two_class",
    "hit_units_posterior",
    "posterior_hit",
    "profile_grid",
    "profile_hit_units",
    "squarem",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class LatentClassFit:
    """A fitted two-class model; class 0 is the *hit* class, class 1 the background.

    ``probs[j][c, k]`` is the probability that indicator ``j`` takes category ``k`` (0 = none)
    in class ``c``. ``g2`` is the likelihood-ratio statistic against independence (one class),
    ``p_value`` its chi-square tail with ``df`` degrees of freedom (approximate: the one-class
    model lies on the boundary of the two-class one).
    """

    n_units: float
    hit_share: float
    probs: tuple[F64, ...]
    log_likelihood: float
    g2: float
    df: int
    p_value: float
    iterations: int
    converged: bool

    @property
    def hit_units(self) -> float:
        """Expected number of hit units: ``hit_share × n_units``."""
        return self.hit_share * self.n_units


def chi2_sf(x: float, df: int) -> float:
    """Upper tail of the chi-square distribution (Wilson–Hilferty approximation).

    Examples
    --------
    >>> round(chi2_sf(3.84, 1), 2)
    0.05
    """
    if df < 1:
        raise ConfigError(f"df must be >= 1, got {df}")
    if x <= 0:
        return 1.0
    k = float(df)
    z = ((x / k) ** (1.0 / 3.0) - (1.0 - 2.0 / (9.0 * k))) / math.sqrt(2.0 / (9.0 * k))
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _one_hot(patterns: I64) -> list[F64]:
    """Per indicator, a (patterns × categories) 0/1 matrix."""
    out = []
    for j in range(patterns.shape[1]):
        k = int(patterns[:, j].max()) + 1
        m = np.zeros((patterns.shape[0], max(k, 2)))
        m[np.arange(patterns.shape[0]), patterns[:, j]] = 1.0
        out.append(m)
    return out


def _check(patterns: I64, counts: F64) -> None:
    if patterns.ndim != 2 or patterns.shape[0] != counts.shape[-1]:
        raise ConfigError(
            f"patterns must be (n_patterns, n_indicators) matching counts; got shapes "
            f"{patterns.shape} and {counts.shape}"
        )
    if patterns.size and patterns.min() < 0:
        raise ConfigError("pattern codes must be >= 0 (0 = the indicator did not fire)")
    if np.any(counts < 0):
        raise ConfigError("counts must be >= 0")


def _step(
    onehot: list[F64], counts: F64, pi: F64, probs: list[F64], smoothing: float, fix_pi: bool
) -> tuple[F64, list[F64], F64]:
    """One EM step for a batch: the updated ``pi``, ``probs`` and the log-likelihood (B,) of
    the parameters it was given."""
    log_lik = np.zeros((counts.shape[0], 2, counts.shape[1]))
    for oh, p in zip(onehot, probs, strict=True):
        log_lik += np.log(p) @ oh.T
    log_lik[:, 0, :] += np.log(pi)[:, None]
    log_lik[:, 1, :] += np.log1p(-pi)[:, None]
    top = log_lik.max(axis=1, keepdims=True)
    joint = np.exp(log_lik - top)
    total = joint.sum(axis=1, keepdims=True)
    resp = joint / total
    ll = (counts * (np.log(total[:, 0, :]) + top[:, 0, :])).sum(axis=1)
    weighted = resp * counts[:, None, :]
    if not fix_pi:
        class_n = weighted.sum(axis=2)
        n_total = counts.sum(axis=1)
        pi = np.clip(class_n[:, 0] / np.maximum(n_total, 1e-300), 1e-12, 1.0 - 1e-12)
    new_probs = []
    for oh in onehot:
        m = weighted @ oh + smoothing
        new_probs.append(m / m.sum(axis=2, keepdims=True))
    return pi, new_probs, ll


#: Times an extrapolation that leaves the parameter space is shortened before it is dropped.
_BACKTRACK = 8


def _sq_norm(parts: list[F64]) -> F64:
    """Squared norm per batch row of parameter arrays whose first axis is the batch."""
    return np.asarray(sum((p.reshape(p.shape[0], -1) ** 2).sum(axis=1) for p in parts), np.float64)


Params = list[F64]


def squarem(
    step: Callable[[Params], tuple[Params, F64]],
    params: Params,
    *,
    valid: Callable[[Params], NDArray[np.bool_]],
    tidy: Callable[[Params, NDArray[np.bool_]], Params] | None = None,
    max_iter: int,
    tol: float,
) -> tuple[Params, F64, int, bool]:
    """EM accelerated by SQUAREM (Varadhan & Roland 2008, scheme S3), over a batch.

    ``params`` are arrays whose first axis is the batch (B); ``step(params)`` is one EM step,
    returning the new parameters and the log-likelihood (B,) of the ones it was given. Two EM
    steps give a direction and a step length to extrapolate along; an extrapolation that
    ``valid`` rejects (outside the parameter space) is shortened towards the plain two steps,
    ``tidy(ext, ok)`` may then put it back in shape, and it gets one more EM step. A row whose
    extrapolation is invalid or lowers the likelihood keeps its plain two-step point, so the
    likelihood never decreases. ``max_iter`` counts EM steps; convergence is a change of the
    log-likelihood within ``tol`` (relative) between rounds. Returns the parameters, their
    predecessors' log-likelihood, the steps taken and whether every row converged.
    """

    def per_row(mask: NDArray[np.bool_], x: F64) -> NDArray[np.bool_]:
        return mask.reshape(-1, *([1] * (x.ndim - 1)))

    ll_old = np.full(params[0].shape[0], -np.inf)
    ll = ll_old
    steps = 0
    while steps < max_iter:
        p1, ll = step(params)
        steps += 1
        if np.all(np.abs(ll - ll_old) <= tol * (1.0 + np.abs(ll))):
            return p1, ll, steps, True
        ll_old = ll
        if steps >= max_iter:
            return p1, ll, steps, False
        p2, ll1 = step(p1)
        steps += 1
        r = [b - a for a, b in zip(params, p1, strict=True)]
        v = [c - 2.0 * b + a for a, b, c in zip(params, p1, p2, strict=True)]
        rr, vv = _sq_norm(r), _sq_norm(v)
        alpha = -np.sqrt(rr / np.maximum(vv, 1e-300))
        alpha = np.where(vv > 0, np.minimum(alpha, -1.0), -1.0)  # -1: the plain two steps
        for _ in range(_BACKTRACK):  # a step that leaves the space is shortened towards -1
            ext = []
            for x0, dr, dv in zip(params, r, v, strict=True):
                a = alpha.reshape(-1, *([1] * (x0.ndim - 1)))
                ext.append(x0 - 2.0 * a * dr + a * a * dv)
            ok = valid(ext)
            if ok.all():
                break
            alpha = np.where(ok, alpha, (alpha - 1.0) / 2.0)
        ext = [np.where(per_row(ok, e), e, b) for e, b in zip(ext, p2, strict=True)]
        if tidy is not None:
            ext = tidy(ext, ok)
        if steps >= max_iter:
            return p2, ll1, steps, False
        p3, ll_ext = step(ext)
        steps += 1
        better = ok & (ll_ext >= ll1)  # else the plain two steps
        params = [np.where(per_row(better, a), a, b) for a, b in zip(p3, p2, strict=True)]
    return params, ll, steps, False


def _em(
    onehot: list[F64],
    counts: F64,
    pi: F64,
    probs: list[F64],
    *,
    max_iter: int,
    tol: float,
    smoothing: float,
    fix_pi: bool = False,
) -> tuple[F64, list[F64], F64, int, bool]:
    """EM over a batch: counts (B, P), pi (B,), probs[j] (B, 2, K_j); returns ll (B,).

    Accelerated by SQUAREM (:func:`squarem`): it reaches the point plain EM converges to in a
    fraction of the steps (pages without a problem have a flat likelihood, where plain EM
    crept past 1,000 steps). With ``fix_pi`` the hit share stays at ``pi`` (the profile
    likelihood of :func:`profile_hit_units`).
    """

    def step(params: Params) -> tuple[Params, F64]:
        new_pi, new_probs, ll = _step(onehot, counts, params[-1], params[:-1], smoothing, fix_pi)
        return [*new_probs, new_pi], ll

    def valid(ext: Params) -> NDArray[np.bool_]:
        ok = (ext[-1] > 0.0) & (ext[-1] < 1.0)
        for e in ext[:-1]:
            ok &= (e > 0.0).all(axis=(1, 2))
        return ok

    params, ll, steps, converged = squarem(
        step, [*probs, pi], valid=valid, max_iter=max_iter, tol=tol
    )
    return params[-1], params[:-1], ll, steps, converged


def _independence_ll(onehot: list[F64], counts: F64) -> float:
    n = counts.sum()
    ll = 0.0
    for oh in onehot:
        marg = counts @ oh
        p = marg / n
        with np.errstate(divide="ignore"):
            logp = np.where(marg > 0, np.log(np.where(p > 0, p, 1.0)), 0.0)
        ll += float(marg @ logp)
    return ll


def _order_classes(pi: F64, probs: list[F64]) -> tuple[F64, list[F64]]:
    """Make class 0 the one whose indicators fire more often (the hit class)."""
    fire = np.zeros_like(probs[0][:, :, 0])
    for p in probs:
        fire = fire + (1.0 - p[:, :, 0])
    swap = fire[:, 1] > fire[:, 0]
    pi = np.where(swap, 1.0 - pi, pi)
    probs = [np.where(swap[:, None, None], p[:, ::-1, :], p) for p in probs]
    return pi, probs


def _start(patterns: I64, counts: F64, onehot: list[F64]) -> tuple[F64, list[F64]]:
    """EM's starting point for one fit: units with two or more signals lean to the hit class."""
    strong = (patterns > 0).sum(axis=1) >= 2
    resp0 = np.where(strong, 0.9, 0.02)
    w = np.stack([resp0 * counts, (1.0 - resp0) * counts])[None]
    pi0 = np.clip(w[:, 0].sum(axis=1) / max(float(counts.sum()), 1e-300), 1e-6, 1 - 1e-6)
    probs0 = []
    for oh in onehot:
        m = w @ oh + 1.0
        probs0.append(m / m.sum(axis=2, keepdims=True))
    return pi0, probs0


def fit_two_class(
    patterns: I64,
    counts: F64,
    *,
    max_iter: int = 1000,
    tol: float = 1e-9,
    smoothing: float = 1e-3,
) -> LatentClassFit:
    """Fit the two-class model to pattern counts.

    Parameters
    ----------
    patterns
        ``(n_patterns, n_indicators)`` category codes; 0 means the indicator did not fire.
    counts
        Units with each pattern.
    smoothing
        Pseudo-count added to every category of every class (keeps logarithms finite).

    Examples
    --------
    >>> pats = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
    >>> fit = fit_two_class(pats, np.array([9000.0, 400.0, 400.0, 200.0]))
    >>> 200 < fit.hit_units < 600
    True
    """
    patterns = np.asarray(patterns, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.float64)
    _check(patterns, counts)
    onehot = _one_hot(patterns)
    n = float(counts.sum())
    pi0, probs0 = _start(patterns, counts, onehot)
    pi, probs, ll, it, converged = _em(
        onehot, counts[None], pi0, probs0, max_iter=max_iter, tol=tol, smoothing=smoothing
    )
    pi, probs = _order_classes(pi, probs)
    ll1 = _independence_ll(onehot, counts)
    g2 = max(0.0, 2.0 * (float(ll[0]) - ll1))
    df = 1 + sum(oh.shape[1] - 1 for oh in onehot)
    return LatentClassFit(
        n_units=n,
        hit_share=float(pi[0]),
        probs=tuple(p[0] for p in probs),
        log_likelihood=float(ll[0]),
        g2=g2,
        df=df,
        p_value=chi2_sf(g2, df),
        iterations=it,
        converged=converged,
    )


def posterior_hit(fit: LatentClassFit, patterns: I64) -> F64:
    """Probability that a unit with each pattern is a hit unit."""
    patterns = np.asarray(patterns, dtype=np.int64)
    log_hit = np.full(patterns.shape[0], math.log(max(fit.hit_share, 1e-300)))
    log_bg = np.full(patterns.shape[0], math.log(max(1.0 - fit.hit_share, 1e-300)))
    for j, p in enumerate(fit.probs):
        codes = np.minimum(patterns[:, j], p.shape[1] - 1)
        log_hit += np.log(p[0, codes])
        log_bg += np.log(p[1, codes])
    return np.asarray(1.0 / (1.0 + np.exp(log_bg - log_hit)), dtype=np.float64)


def bootstrap_hit_units(
    fit: LatentClassFit,
    patterns: I64,
    counts: F64,
    rng: np.random.Generator,
    *,
    n_boot: int = 200,
    max_iter: int = 400,
    smoothing: float = 1e-3,
) -> F64:
    """Hit units in ``n_boot`` bootstrap replicates (units resampled with replacement).

    Resampling units is a multinomial draw of the pattern counts; each replicate is refitted
    by EM, started from ``fit`` (so class labels stay put).
    """
    patterns = np.asarray(patterns, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.float64)
    _check(patterns, counts)
    n = round(float(counts.sum()))
    if n == 0 or n_boot < 1:
        return np.zeros(max(n_boot, 0))
    draws = rng.multinomial(n, counts / counts.sum(), size=n_boot).astype(np.float64)
    onehot = _one_hot(patterns)
    pi0 = np.full(n_boot, fit.hit_share)
    probs0 = []
    for oh, p in zip(onehot, fit.probs, strict=True):
        k = oh.shape[1]
        padded = np.full((2, k), 1e-9)
        padded[:, : p.shape[1]] = p[:, :k]
        padded /= padded.sum(axis=1, keepdims=True)
        probs0.append(np.broadcast_to(padded, (n_boot, 2, k)).copy())
    pi, _probs, _ll, _it, _ok = _em(
        onehot, draws, pi0, probs0, max_iter=max_iter, tol=1e-9, smoothing=smoothing
    )
    return np.asarray(pi * draws.sum(axis=1), dtype=np.float64)


def profile_hit_units(
    fit: LatentClassFit,
    patterns: I64,
    counts: F64,
    *,
    points: int = 21,
    span: float = 1.2,
    max_span: float = 3.6,
    drop: float = 8.0,
    max_iter: int = 2000,
    smoothing: float = 1e-3,
) -> tuple[F64, F64]:
    """The profile log-likelihood of the number of hit units: ``(grid, loglik)``.

    For each hit count ``a`` on a grid around ``fit.hit_units`` (log-spaced, ``±span``), the
    model's other parameters are refitted by EM with the hit share held at ``a / n``. The grid
    widens (up to ``±max_span``) until both ends lie ``drop`` below the maximum, so that the
    likelihood the grid leaves out is negligible (e^-8).
    """
    patterns = np.asarray(patterns, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.float64)
    _check(patterns, counts)
    n = float(counts.sum())
    onehot = _one_hot(patterns)

    def loglik_at(grid: F64) -> F64:
        g = grid.size
        probs0 = []
        for oh, p in zip(onehot, fit.probs, strict=True):
            k = oh.shape[1]
            padded = np.full((2, k), 1e-9)
            padded[:, : p.shape[1]] = p[:, :k]
            padded /= padded.sum(axis=1, keepdims=True)
            probs0.append(np.broadcast_to(padded, (g, 2, k)).copy())
        batch = np.broadcast_to(counts, (g, counts.size)).copy()
        _pi, _probs, ll, _it, _ok = _em(
            onehot, batch, grid / n, probs0, max_iter=max_iter, tol=1e-10,
            smoothing=smoothing, fix_pi=True,
        )  # fmt: skip
        return ll

    return profile_grid(
        fit.hit_units, n, loglik_at, points=points, span=span, max_span=max_span, drop=drop
    )


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

    The profile likelihood (:func:`profile_hit_units`) stands in for the integrated one. Where
    the data identify the count well this is the maximum-likelihood estimate with its usual
    interval; where they do not (the likelihood is flat on one side, e.g. when few hit units
    lack the page's error and background help blurs the rest) the maximum sits at a boundary
    and underestimates, while the posterior mean and its interval keep the whole plausible
    range. The density is taken as linear between grid points, so the grid's spacing may vary
    (:func:`profile_grid` refines it where the likelihood is high).
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
