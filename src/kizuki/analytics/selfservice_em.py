"""The true outcome of self-service attempts, estimated from what the data shows (EM).

Whether an attempt solved the customer's problem is not recorded; what is recorded depends on
it (docs/selfservice.md, "How success is estimated"). Per intent, a latent success ``Z``:

- a success opens an article (help search) and brings no human contact; the customer goes back
  to the product afterwards with probability ``r_S``;
- a failure opens an article with probability ``v`` (help search), contacts a human within the
  window with probability ``q`` and goes back to the product with probability ``r_F``;
- a chatbot conversation's outcome is its status (solved, else failed), a contact after it a
  failure.

So a search that opened nothing, a contact, or a new search mark a failure; the rest are a
mixture that the contact rate ``q`` and the return-to-product rates separate. EM fits
``P(Z=1)`` per intent and channel, and ``v``, ``q``, ``r_S`` and ``r_F`` per intent, each
shrunk towards all intents' with ``prior_strength`` pseudo-counts; intervals come from a
bootstrap over attempts (percentiles).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["AttemptArrays", "EMFit", "bootstrap_successes", "fit_outcomes"]

F64 = NDArray[np.float64]
_SEARCH, _FAQ, _BOT = 0, 1, 2
_ITERATIONS = 200
_TOLERANCE = 1e-7


@dataclass(frozen=True)
class AttemptArrays:
    """Linked attempts as arrays: ``intent`` and ``channel`` codes (0 search, 1 FAQ, 2 chatbot),
    ``viewed``, ``contacted`` (or searched again), ``returned``, ``solved`` (chatbot)."""

    intent: NDArray[np.intp]
    channel: NDArray[np.intp]
    viewed: NDArray[np.bool_]
    contacted: NDArray[np.bool_]
    returned: NDArray[np.bool_]
    solved: NDArray[np.bool_]
    n_intents: int

    def take(self, rows: NDArray[np.intp]) -> AttemptArrays:
        return AttemptArrays(
            self.intent[rows],
            self.channel[rows],
            self.viewed[rows],
            self.contacted[rows],
            self.returned[rows],
            self.solved[rows],
            self.n_intents,
        )


@dataclass(frozen=True)
class EMFit:
    """The fitted model: ``weight`` = P(success) of every attempt, and the parameters."""

    weight: F64
    q: F64
    v: F64
    r_success: F64
    r_failure: F64
    iterations: int


def _sums(index: NDArray[np.intp], values: F64, n: int) -> F64:
    return np.bincount(index, weights=values, minlength=n).astype(float)


def fit_outcomes(
    data: AttemptArrays, prior_strength: float = 10.0, start: EMFit | None = None
) -> EMFit:
    """EM over the attempts (see the module docstring)."""
    k = data.n_intents
    web = data.channel != _BOT
    search = data.channel == _SEARCH
    # failures seen: nothing opened after a search, a contact or a new search, a failed bot
    sure_fail = data.contacted | (search & ~data.viewed) | ((data.channel == _BOT) & ~data.solved)
    sure_success = (data.channel == _BOT) & data.solved & ~data.contacted
    mixed = web & ~sure_fail
    cell = data.intent * 3 + data.channel
    s = np.full(k * 3, 0.5)
    if start is None:
        q, v = np.full(k, 0.3), np.full(k, 0.5)
        r_s, r_f = np.full(k, 0.7), np.full(k, 0.3)
    else:
        q, v = start.q.copy(), start.v.copy()
        r_s, r_f = start.r_success.copy(), start.r_failure.copy()
    ret = data.returned.astype(float)
    weight = np.where(sure_success, 1.0, 0.0)
    iteration = 0
    while iteration < _ITERATIONS:
        iteration += 1
        v_eff = np.where(search, v[data.intent], 1.0)
        rs, rf = r_s[data.intent], r_f[data.intent]
        like_s = s[cell] * np.where(data.returned, rs, 1 - rs)
        like_f = (1 - s[cell]) * v_eff * (1 - q[data.intent]) * np.where(data.returned, rf, 1 - rf)
        post = like_s / np.maximum(like_s + like_f, 1e-300)
        new_weight = np.where(mixed, post, np.where(sure_success, 1.0, 0.0))
        fail = 1.0 - new_weight
        n_cell = np.bincount(cell, minlength=k * 3).astype(float)
        s = np.divide(_sums(cell, new_weight, k * 3), n_cell, out=np.full(k * 3, 0.5),
                      where=n_cell > 0)  # fmt: skip
        fail_i = _sums(data.intent, fail, k)
        contact_i = _sums(data.intent, fail * data.contacted, k)
        q_all = contact_i.sum() / max(fail_i.sum(), 1e-12)
        q = (contact_i + prior_strength * q_all) / (fail_i + prior_strength)
        fail_search = _sums(data.intent, fail * search, k)
        view_search = _sums(data.intent, fail * search * data.viewed, k)
        v_all = view_search.sum() / max(fail_search.sum(), 1e-12)
        v = (view_search + prior_strength * v_all) / (fail_search + prior_strength)
        # going back to the product, per intent, shrunk towards all intents'
        w_web, f_web = new_weight * web, fail * web
        s_n, s_ret = _sums(data.intent, w_web, k), _sums(data.intent, w_web * ret, k)
        f_n, f_ret = _sums(data.intent, f_web, k), _sums(data.intent, f_web * ret, k)
        r_s_all = s_ret.sum() / max(s_n.sum(), 1e-12)
        r_f_all = f_ret.sum() / max(f_n.sum(), 1e-12)
        r_s = (s_ret + prior_strength * r_s_all) / (s_n + prior_strength)
        r_f = (f_ret + prior_strength * r_f_all) / (f_n + prior_strength)
        change = float(np.max(np.abs(new_weight - weight))) if len(weight) else 0.0
        weight = new_weight
        if change < _TOLERANCE:
            break
    return EMFit(weight, q, v, r_s, r_f, iteration)


def bootstrap_successes(
    data: AttemptArrays,
    groupings: list[tuple[NDArray[np.intp], int]],
    fit: EMFit,
    *,
    prior_strength: float,
    draws: int,
    seed: int,
) -> list[tuple[F64, F64]]:
    """For each ``(groups, n_groups)`` of ``groupings``: the 2.5% and 97.5% percentiles of
    each group's success share over ``draws`` bootstrap resamples of the attempts (EM refitted
    on each, started at ``fit``)."""
    rng = np.random.default_rng(seed)
    n = len(data.intent)
    shares = [np.full((draws, size), np.nan) for _, size in groupings]
    for b in range(draws):
        rows = rng.integers(0, n, n)
        refit = fit_outcomes(data.take(rows), prior_strength, start=fit)
        for (groups, size), out in zip(groupings, shares, strict=True):
            g = groups[rows]
            total = np.bincount(g, minlength=size).astype(float)
            won = np.bincount(g, weights=refit.weight, minlength=size)
            out[b] = np.divide(won, total, out=np.full(size, np.nan), where=total > 0)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a group empty in every draw
        return [
            (np.nanpercentile(x, 2.5, axis=0), np.nanpercentile(x, 97.5, axis=0)) for x in shares
        ]
