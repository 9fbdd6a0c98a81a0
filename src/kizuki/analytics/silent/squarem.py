"""SQUAREM: EM accelerated by squared extrapolation (Varadhan & Roland 2008), over a batch of fits.

Both latent class models (:mod:`~kizuki.analytics.silent.latent_class`,
:mod:`~kizuki.analytics.silent.help_seekers`) fit by EM, vectorised over bootstrap replicates
or the points of a profile likelihood; :func:`squarem` accelerates any such batched EM step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["Params", "squarem"]

F64 = NDArray[np.float64]
#: A model's parameters: arrays whose first axis is the batch.
Params = list[F64]

#: Times an extrapolation that leaves the parameter space is shortened before it is dropped.
_BACKTRACK = 8


def _sq_norm(parts: list[F64]) -> F64:
    """Squared norm per batch row of parameter arrays whose first axis is the batch."""
    return np.asarray(sum((p.reshape(p.shape[0], -1) ** 2).sum(axis=1) for p in parts), np.float64)


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
