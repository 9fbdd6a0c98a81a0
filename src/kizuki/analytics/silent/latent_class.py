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
(:func:`profile_hit_units`), whose posterior
(:func:`~kizuki.analytics.silent.profile_likelihood.hit_units_posterior`) gives the estimate and
its interval; the EM is accelerated by :func:`~kizuki.analytics.silent.squarem.squarem`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kizuki.analytics.silent.profile_likelihood import profile_grid
from kizuki.analytics.silent.squarem import Params, squarem
from kizuki.errors import ConfigError

__all__ = [
    "LatentClassFit",
    "bootstrap_hit_units",
    "chi2_sf",
    "fit_two_class",
    "posterior_hit",
    "profile_hit_units",
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

    Accelerated by SQUAREM (:func:`~kizuki.analytics.silent.squarem.squarem`): it reaches the
    point plain EM converges to in a fraction of the steps, above all on pages without a
    problem, whose flat likelihood plain EM creeps over (docs/silent.md, "Convergence"). With
    ``fix_pi`` the hit share stays at ``pi`` (the profile likelihood of
    :func:`profile_hit_units`).
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
