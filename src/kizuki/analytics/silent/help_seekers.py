"""The hit count with a third class: visitors who only came to look for help.

The two-class model (:mod:`kizuki.analytics.silent.latent_class`) takes every unit that is not
hit for one homogeneous background. Real pages also draw visitors with a question: they look for
help about the page and neither reload it nor meet an error there. Mixed into the background
they break its local independence (help without a loop becomes common, help with a loop rare),
and the two-class model then reads the hit units that showed no error as background: it
undercounts where the page's error is the main evidence (docs/silent.md).

Here the units are a mixture of three classes: *hit* (class 0), *ordinary background* (1), and
*help seekers* (2), whose indicators are fixed by definition: no error, no loop, some help.
Those structural zeros are what identifies the third class; the hit and ordinary classes are
as in the two-class model. The count of hit units is again the posterior mean over its profile
likelihood (flat prior), so
:func:`~kizuki.analytics.silent.profile_likelihood.hit_units_posterior` applies. On a detected
page :func:`hit_units_with_seekers` is that count; :func:`simulate_page` draws pages from a
fitted model (the ground truth for what the count can reach at a page's size).

Indicator order is the estimator's: ``(error, loop, help)``; category 0 is "did not fire".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kizuki.analytics.silent.latent_class import LatentClassFit
from kizuki.analytics.silent.profile_likelihood import hit_units_posterior, profile_grid
from kizuki.analytics.silent.squarem import squarem

__all__ = [
    "SeekerFit",
    "fit_with_seekers",
    "hit_units_with_seekers",
    "posterior_hit_seekers",
    "profile_hit_units_seekers",
    "simulate_page",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Classes of the model.
HIT, ORDINARY, SEEKER = 0, 1, 2
#: The indicator that help seekers always show (the others they never show).
HELP = 2


@dataclass(frozen=True)
class SeekerFit:
    """A fitted three-class model: ``shares`` (3,), ``probs[j]`` (3, K_j), its log-likelihood."""

    n_units: float
    shares: F64
    probs: tuple[F64, ...]
    log_likelihood: float

    @property
    def hit_units(self) -> float:
        """Expected number of hit units."""
        return float(self.shares[HIT]) * self.n_units


def _allowed(sizes: list[int]) -> list[F64]:
    """Per indicator, a (3, K) 0/1 mask of the categories each class may take."""
    out = []
    for j, k in enumerate(sizes):
        m = np.ones((3, k))
        if j == HELP:
            m[SEEKER, 0] = 0.0  # help seekers look for help
        else:
            m[SEEKER, 1:] = 0.0  # and neither err nor loop on the page
        out.append(m)
    return out


def _update(
    codes: I64,
    onehot: list[F64],
    allowed: list[F64],
    counts: F64,
    shares: F64,
    probs: list[F64],
    fixed_hit: F64 | None,
    smoothing: float,
) -> tuple[F64, list[F64], F64]:
    """One EM step for a batch: the new shares and probs, and the log-likelihood (B,) of the
    ones it was given."""
    with np.errstate(divide="ignore"):
        log_lik = np.log(shares)[:, :, None] + sum(
            np.log(p)[:, :, codes[:, j]] for j, p in enumerate(probs)
        )
    top = log_lik.max(axis=1, keepdims=True)  # finite: the ordinary class allows all
    joint = np.exp(log_lik - top)
    total = joint.sum(axis=1, keepdims=True)
    ll = (counts * (np.log(total[:, 0, :]) + top[:, 0, :])).sum(axis=1)
    resp = joint / total * counts[:, None, :]
    class_n = resp.sum(axis=2)
    if fixed_hit is None:
        shares = class_n / np.maximum(class_n.sum(axis=1, keepdims=True), 1e-300)
    else:
        rest = class_n[:, 1:] / np.maximum(class_n[:, 1:].sum(axis=1, keepdims=True), 1e-300)
        shares = np.concatenate([fixed_hit[:, None], rest * (1.0 - fixed_hit[:, None])], axis=1)
    shares = np.clip(shares, 1e-12, 1.0)
    new = []
    for oh, mask in zip(onehot, allowed, strict=True):
        m = (resp @ oh + smoothing) * mask
        new.append(m / m.sum(axis=2, keepdims=True))
    return shares, new, ll


def _em(
    codes: I64,
    counts: F64,
    shares: F64,
    probs: list[F64],
    *,
    fixed_hit: F64 | None,
    max_iter: int,
    tol: float,
    smoothing: float,
) -> tuple[F64, list[F64], F64]:
    """EM over a batch, shares (B, 3) and probs[j] (B, 3, K_j), accelerated by
    :func:`~kizuki.analytics.silent.squarem.squarem`; returns the log-likelihood (B,). With
    ``fixed_hit`` (B,) each row's hit share stays fixed (the profile likelihood)."""
    sizes = [p.shape[2] for p in probs]
    allowed = _allowed(sizes)
    onehot = [np.eye(k)[codes[:, j]] for j, k in enumerate(sizes)]

    def step(params: list[F64]) -> tuple[list[F64], F64]:
        sh, pr, ll = _update(
            codes, onehot, allowed, counts, params[0], params[1:], fixed_hit, smoothing
        )
        return [sh, *pr], ll

    def valid(ext: list[F64]) -> NDArray[np.bool_]:
        ok = (ext[0] > 0.0).all(axis=1)
        for e, mask in zip(ext[1:], allowed, strict=True):
            ok &= ((e > 0.0) | (mask[None] == 0.0)).all(axis=(1, 2))
        return np.asarray(ok, dtype=np.bool_)

    def tidy(ext: list[F64], ok: NDArray[np.bool_]) -> list[F64]:
        sh = np.where(ok[:, None], ext[0] / ext[0].sum(axis=1, keepdims=True), ext[0])
        if fixed_hit is not None:  # the hit share stays put, the others keep their ratio
            rest = sh[:, 1:] / sh[:, 1:].sum(axis=1, keepdims=True)
            sh = np.concatenate([fixed_hit[:, None], rest * (1.0 - fixed_hit[:, None])], 1)
        pr = [
            np.where(ok[:, None, None], np.clip(e, 0.0, None) * mask, e)
            for e, mask in zip(ext[1:], allowed, strict=True)
        ]
        return [sh, *pr]

    params, ll, _steps, _converged = squarem(
        step, [shares, *probs], valid=valid, tidy=tidy, max_iter=max_iter, tol=tol
    )
    return params[0], params[1:], ll


def _start(fit: LatentClassFit, sizes: list[int]) -> tuple[F64, list[F64]]:
    """From the two-class fit: hit and ordinary classes as fitted, help seekers 1% of units
    with the background's help categories."""
    probs = []
    allowed = _allowed(sizes)
    for j, (p, k) in enumerate(zip(fit.probs, sizes, strict=True)):
        three = np.full((3, k), 1e-9)
        three[:2, : p.shape[1]] = p[:, :k]
        if j == HELP:
            three[SEEKER, 1:] = three[ORDINARY, 1:] + 1e-6
        else:
            three[SEEKER, 0] = 1.0
        three *= allowed[j]
        probs.append(three / three.sum(axis=1, keepdims=True))
    hit = min(max(fit.hit_share, 1e-6), 0.98)
    shares = np.array([hit, (1.0 - hit) * 0.99, (1.0 - hit) * 0.01])
    return shares, probs


def fit_with_seekers(
    fit: LatentClassFit,
    patterns: I64,
    counts: F64,
    *,
    max_iter: int = 3000,
    tol: float = 1e-10,
    smoothing: float = 1e-3,
) -> SeekerFit:
    """The three-class model by EM, started from the page's two-class ``fit``."""
    codes = np.asarray(patterns, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.float64)
    sizes = [max(int(codes[:, j].max(initial=0)) + 1, 2) for j in range(codes.shape[1])]
    shares, probs = _start(fit, sizes)
    shares_b, probs_b, ll = _em(
        codes, counts[None], shares[None], [p[None] for p in probs],
        fixed_hit=None, max_iter=max_iter, tol=tol, smoothing=smoothing,
    )  # fmt: skip
    return SeekerFit(
        n_units=float(counts.sum()),
        shares=np.asarray(shares_b[0], np.float64),
        probs=tuple(np.asarray(p[0], np.float64) for p in probs_b),
        log_likelihood=float(ll[0]),
    )


def profile_hit_units_seekers(
    fit: SeekerFit,
    patterns: I64,
    counts: F64,
    *,
    points: int = 21,
    span: float = 1.2,
    max_span: float = 3.6,
    drop: float = 8.0,
    max_iter: int = 2000,
    tol: float = 1e-8,  # relative: ~1e-3 of a log-likelihood of 1e5, nothing to the posterior
    smoothing: float = 1e-3,
    fine_points: int = 41,
) -> tuple[F64, F64]:
    """The profile log-likelihood of the hit units, ``(grid, loglik)``, as
    :func:`~kizuki.analytics.silent.latent_class.profile_hit_units` but for the three-class
    model."""
    codes = np.asarray(patterns, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.float64)
    n = float(counts.sum())

    def loglik_at(grid: F64) -> F64:
        g = grid.size
        shares = np.broadcast_to(fit.shares, (g, 3)).copy()
        probs = [np.broadcast_to(p, (g, *p.shape)).copy() for p in fit.probs]
        batch = np.broadcast_to(counts, (g, counts.size)).copy()
        _s, _p, ll = _em(
            codes, batch, shares, probs,
            fixed_hit=grid / n, max_iter=max_iter, tol=tol, smoothing=smoothing,
        )  # fmt: skip
        return ll

    return profile_grid(
        fit.hit_units,
        n,
        loglik_at,
        points=points,
        span=span,
        max_span=max_span,
        drop=drop,
        fine_points=fine_points,
    )


def posterior_hit_seekers(fit: SeekerFit, patterns: I64) -> F64:
    """Probability that a unit with each pattern is a hit unit under the three-class model."""
    codes = np.asarray(patterns, dtype=np.int64)
    with np.errstate(divide="ignore"):
        log_lik = np.log(fit.shares)[:, None] + sum(
            np.log(p)[:, np.minimum(codes[:, j], p.shape[1] - 1)] for j, p in enumerate(fit.probs)
        )
    top = log_lik.max(axis=0)
    joint = np.exp(log_lik - top)
    return np.asarray(joint[HIT] / joint.sum(axis=0), dtype=np.float64)


#: the profile of a small page (fewer than ``SilentConfig.small_units`` units): its posterior
#: is wide, so a coarser grid and looser EM change its mean by little and cost a fifth
SMALL_PAGE_PROFILE = {"points": 11, "fine_points": 15, "max_iter": 500, "tol": 1e-7}


def hit_units_with_seekers(
    fit: LatentClassFit,
    patterns: I64,
    counts: F64,
    rng: np.random.Generator,
    *,
    n_draws: int,
    small: bool = False,
) -> tuple[float, F64, SeekerFit]:
    """The hit units of a page with a problem: posterior mean, ``n_draws`` draws, the model.

    The three-class model is fitted from the page's two-class ``fit``; its profile likelihood
    of the hit count is read as a posterior with a flat prior
    (:func:`~kizuki.analytics.silent.profile_likelihood.hit_units_posterior`); on a ``small``
    page with the coarser :data:`SMALL_PAGE_PROFILE`.

    Examples
    --------
    >>> from kizuki.analytics.silent.latent_class import fit_two_class
    >>> pats = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]])
    >>> counts = np.array([9000.0, 300.0, 300.0, 300.0, 200.0])
    >>> mean, draws, model = hit_units_with_seekers(
    ...     fit_two_class(pats, counts), pats, counts, np.random.default_rng(0), n_draws=20)
    >>> draws.shape, model.shares.shape
    ((20,), (3,))
    """
    three = fit_with_seekers(fit, patterns, counts)
    profile: dict[str, Any] = dict(SMALL_PAGE_PROFILE) if small else {}
    grid, loglik = profile_hit_units_seekers(three, patterns, counts, **profile)
    mean, draws = hit_units_posterior(grid, loglik, rng, n_draws=n_draws)
    return mean, draws, three


def simulate_page(fit: SeekerFit, n_units: int, rng: np.random.Generator) -> tuple[I64, F64, int]:
    """``n_units`` units drawn from a fitted three-class model: the page as the model sees it.

    Each unit draws its class from ``fit.shares``, then each indicator's category from that
    class's probabilities. Refitting drawn pages shows the spread of the count where its model
    holds exactly (bench/accuracy_floor.py).

    Returns
    -------
    The distinct indicator patterns (lexicographic order), the units with each, and the true
    number of hit units.

    Examples
    --------
    >>> model = SeekerFit(
    ...     n_units=100.0,
    ...     shares=np.array([0.1, 0.8, 0.1]),
    ...     probs=(np.array([[0.5, 0.5], [0.99, 0.01], [1.0, 0.0]]),
    ...            np.array([[0.5, 0.5], [0.95, 0.05], [1.0, 0.0]]),
    ...            np.array([[0.5, 0.5], [0.95, 0.05], [0.0, 1.0]])),
    ...     log_likelihood=0.0,
    ... )
    >>> patterns, counts, hits = simulate_page(model, 1000, np.random.default_rng(0))
    >>> int(counts.sum()), patterns.shape[1]
    (1000, 3)
    """
    shares = np.asarray(fit.shares, float) / float(np.sum(fit.shares))
    cls = rng.choice(len(shares), size=n_units, p=shares)
    codes = np.zeros((n_units, len(fit.probs)), dtype=np.int64)
    for j, probs in enumerate(fit.probs):
        for c in range(len(shares)):
            rows = np.flatnonzero(cls == c)
            p = np.asarray(probs[c], float)
            codes[rows, j] = rng.choice(p.size, size=rows.size, p=p / p.sum())
    uniq, inverse = np.unique(codes, axis=0, return_inverse=True)
    counts = np.bincount(inverse.ravel(), weights=np.ones(n_units), minlength=len(uniq))
    return uniq, np.asarray(counts, np.float64), int((cls == HIT).sum())
