"""Is a customer still a customer? The BG/NBD model of purchases without a contract (issue 23).

Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way: An Alternative to the
Pareto/NBD Model", *Marketing Science* 24(2), 275–284. While alive, a customer buys as a
Poisson process of rate λ; after each repeat purchase they drop out for good with probability
p. Across customers λ ~ Gamma(r, α) (shape r, rate α) and p ~ Beta(a, b). From a customer's
repeat purchases ``x``, the time of the last one ``t_x`` and the time observed ``T`` (all from
their first purchase; :func:`customer_summary`), with ``B`` the beta function:

- likelihood (eq. 6): ``L = B(a, b+x)/B(a, b) · Γ(r+x) αʳ / Γ(r) ·
  [(α+T)^-(r+x) + 1{x>0} · a/(b+x−1) · (α+t_x)^-(r+x)]``
- P(alive) (Fader, Hardie & Lee 2008, "Computing P(alive) using the BG/NBD model"):
  ``1 / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))``
- expected purchases in the next t (eq. 10): ``(a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ·
  ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))] · P(alive)``, computed here as ``1 −
  ₂F₁(r+x, a−1; a+b+x−1; −t/(α+T))`` (Pfaff's transformation; same value, no huge power).

:class:`BGNBD` fits r, α, a, b by maximum likelihood (L-BFGS-B over their logarithms, with the
analytic gradient); identical (x, t_x, T) rows are fitted once with their count as weight, and
terms that depend on ``x`` alone are computed once per distinct ``x``.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> x, t_x, T = simulate_bgnbd(5_000, r=0.25, alpha=4.0, a=0.8, b=2.5, T=39.0, rng=rng)
>>> model = BGNBD().fit(x, t_x, T)
>>> round(model.r_, 2), round(model.alpha_, 1)
(0.25, 4.1)
>>> model.p_alive([0, 3, 3], [0.0, 30.0, 5.0], 39.0).round(2).tolist()  # 3 buys: lately, early
[1.0, 0.71, 0.03]
"""

from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator

from kizuki.errors import ConfigError, NotFoundError
from kizuki.models.alive_data import customer_summary, summary_arrays
from kizuki.models.base import check_fitted, warn_if_other_version

__all__ = ["BGNBD", "bgnbd_log_likelihood", "customer_summary", "simulate_bgnbd"]

FORMAT = "kizuki-bgnbd"
FORMAT_VERSION = 1
PARAMS = ("r", "alpha", "a", "b")
Floats = NDArray[np.float64]


def bgnbd_log_likelihood(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    r: float,
    alpha: float,
    a: float,
    b: float,
) -> Floats:
    """Each customer's BG/NBD log-likelihood (eq. 6 of the paper) at the given parameters.

    >>> round(float(bgnbd_log_likelihood([2], [30.43], [38.86], 0.2426, 4.4136, 0.7929,
    ...                                  2.4259)[0]), 4)
    -9.4597
    """
    from scipy.special import betaln, gammaln

    x, t_x, t = summary_arrays(frequency, recency, T)

    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    alive = -(r + x) * np.log(alpha + t)
    with np.errstate(divide="ignore"):
        gone = np.where(
            x > 0,
            np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return np.asarray(head + np.logaddexp(alive, gone), dtype=np.float64)


class BGNBD(BaseEstimator):  # type: ignore[misc]
    """The BG/NBD model: how many more purchases, and P(alive), for each customer.

    Parameters
    ----------
    penalizer
        Adds ``penalizer · (r² + α² + a² + b²)`` to the mean negative log-likelihood per
        customer (0: plain maximum likelihood). A small value (0.001–0.1) keeps a and b finite
        when few customers buy again.
    tol
        Convergence tolerance of L-BFGS-B (on the relative change of the objective and on the
        gradient in log-parameters).
    max_iter
        Most iterations of L-BFGS-B.

    Attributes
    ----------
    r_, alpha_, a_, b_ : float
        The fitted parameters (``alpha_`` in the time unit of the summary).
    log_likelihood_ : float
        The total log-likelihood of the fitted customers (without the penalty).
    n_customers_ : int
        Customers fitted.
    n_iter_ : int
        Iterations of L-BFGS-B.
    """

    def __init__(self, penalizer: float = 0.0, tol: float = 1e-10, max_iter: int = 1000) -> None:
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter

    def fit(
        self,
        X: pd.DataFrame | ArrayLike,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
    ) -> BGNBD:
        """Fit r, α, a, b by maximum likelihood; returns ``self``.

        ``X`` is a summary (:func:`customer_summary`: columns ``frequency``, ``recency``,
        ``T``), an (n, 3) array of them, or the frequencies with ``recency`` and ``T`` given.
        """
        from scipy.optimize import minimize
        from sklearn.exceptions import ConvergenceWarning

        if self.penalizer < 0 or not self.tol > 0 or self.max_iter < 1:
            raise ConfigError(
                f"BGNBD needs penalizer >= 0, tol > 0 and max_iter >= 1; got penalizer="
                f"{self.penalizer!r}, tol={self.tol!r}, max_iter={self.max_iter!r}"
            )
        x, t_x, t = summary_arrays(X, recency, T)
        if not len(x):
            raise ConfigError("BGNBD.fit got no customers; give at least one")
        objective = _Objective(x, t_x, t, self.penalizer)
        start = np.log([1.0, max(float(np.mean(t)), 1e-3), 1.0, 1.0])
        # OpenBLAS threads cost milliseconds per L-BFGS-B step and per dot product on a busy
        # machine (up to 25x the whole fit of CDNOW); one thread is faster here
        with _blas_threads().limit(limits=1, user_api="blas"):
            result = minimize(
                objective,
                start,
                jac=True,
                method="L-BFGS-B",
                bounds=[(-30.0, 30.0)] * 4,
                options={"maxiter": self.max_iter, "ftol": self.tol, "gtol": self.tol},
            )
            log_likelihood = objective.log_likelihood(np.exp(result.x))[0]
        if not result.success:
            warnings.warn(
                f"BGNBD did not converge in {result.nit} iterations ({result.message}); "
                "raise max_iter or tol, or set a small penalizer",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.r_, self.alpha_, self.a_, self.b_ = (float(v) for v in np.exp(result.x))
        self.log_likelihood_ = log_likelihood
        self.n_customers_ = len(x)
        self.n_iter_ = int(result.nit)
        return self

    @property
    def params_(self) -> dict[str, float]:
        """The fitted ``{"r", "alpha", "a", "b"}``."""
        check_fitted(self, "r_", "BGNBD.fit")
        return {"r": self.r_, "alpha": self.alpha_, "a": self.a_, "b": self.b_}

    def p_alive(
        self,
        frequency: pd.DataFrame | ArrayLike,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
    ) -> Floats:
        """P(still a customer at T) for each customer (of a summary, or of the three arrays);
        1 where ``frequency`` is 0."""
        from scipy.special import expit

        p = self.params_
        x, t_x, t = summary_arrays(frequency, recency, T)
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        log_odds_gone = (
            np.log(a)
            - np.log(b + np.maximum(x, 1) - 1)
            + (r + x) * (np.log(alpha + t) - np.log(alpha + t_x))
        )
        return np.where(x > 0, expit(-log_odds_gone), 1.0)

    def expected_purchases(
        self,
        t: ArrayLike,
        frequency: pd.DataFrame | ArrayLike,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
    ) -> Floats:
        """Expected purchases of each customer (of a summary, or of the three arrays) in the
        next ``t`` time units (eq. 10)."""
        from scipy.special import hyp2f1

        p = self.params_
        x, t_x, big_t = summary_arrays(frequency, recency, T)
        horizon = np.asarray(t, dtype=np.float64)
        if np.any(~np.isfinite(horizon) | (horizon < 0)):
            raise ConfigError(f"t must be finite and >= 0; got {t!r}")
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        a_minus_1 = a - 1 if abs(a - 1) > 1e-9 else 1e-9  # eq. 10 is 0/0 at a = 1
        c = a_minus_1 + b + x
        not_yet = 1.0 - hyp2f1(r + x, a_minus_1, c, -horizon / (alpha + big_t))
        return np.asarray(c / a_minus_1 * not_yet * self.p_alive(x, t_x, big_t))

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to ``path`` as JSON with the Kizuki version; the path."""
        from kizuki import __version__

        record = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kizuki_version": __version__,
            "hyperparameters": self.get_params(),
            "params": self.params_,
            "log_likelihood": self.log_likelihood_,
            "n_customers": self.n_customers_,
            "n_iter": self.n_iter_,
        }
        path = Path(path)
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> BGNBD:
        """A model written by :meth:`save`; warns when another Kizuki version wrote it.

        Raises
        ------
        NotFoundError
            ``path`` does not exist or is not a saved BG/NBD model of this format version.
        """
        path = Path(path)
        if not path.is_file():
            raise NotFoundError(f"BG/NBD model file {str(path)!r} does not exist; check the path")
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            record = None
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            raise NotFoundError(
                f"{str(path)!r} is not a Kizuki BG/NBD model (no '{FORMAT}' format); give a "
                "file written by BGNBD.save"
            )
        if record.get("format_version") != FORMAT_VERSION:
            raise NotFoundError(
                f"{str(path)!r} is a BG/NBD model of format version "
                f"{record.get('format_version')!r}; this Kizuki reads version {FORMAT_VERSION}. "
                "Refit and save the model with this version."
            )
        warn_if_other_version(record.get("kizuki_version"), repr(str(path)))
        model = cls(**record["hyperparameters"])
        model.r_, model.alpha_, model.a_, model.b_ = (float(record["params"][k]) for k in PARAMS)
        model.log_likelihood_ = float(record["log_likelihood"])
        model.n_customers_ = int(record["n_customers"])
        model.n_iter_ = int(record["n_iter"])
        return model


def simulate_bgnbd(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: ArrayLike,
    rng: np.random.Generator,
) -> tuple[NDArray[np.int64], Floats, Floats]:
    """``(frequency, recency, T)`` of ``n`` customers drawn from the BG/NBD process.

    ``T`` is one observation length for all, or one per customer. Exact and vectorised: of the
    N ~ Poisson(λT) purchases a customer would make while alive, the first J ~ Geometric(p)
    happen (they leave after the J-th); the time of the x-th of N uniform purchase times is
    ``T · Beta(x, N − x + 1)``.

    >>> x, t_x, T = simulate_bgnbd(3, 0.24, 4.4, 0.79, 2.4, 39.0, np.random.default_rng(1))
    >>> bool(np.all((0 <= t_x) & (t_x <= T)))
    True
    """
    t = np.broadcast_to(np.asarray(T, dtype=np.float64), (n,)).copy()
    if min(r, alpha, a, b) <= 0 or np.any(~np.isfinite(t) | (t < 0)):
        raise ConfigError(
            f"simulate_bgnbd needs r, alpha, a, b > 0 and T >= 0; got r={r}, alpha={alpha}, "
            f"a={a}, b={b}, T from {t.min() if n else 0} to {t.max() if n else 0}"
        )
    rate = rng.gamma(r, 1.0 / alpha, size=n)
    p = np.clip(rng.beta(a, b, size=n), 1e-12, 1.0)
    would_buy = rng.poisson(rate * t)
    buys_before_leaving = rng.geometric(p)
    x = np.minimum(would_buy, buys_before_leaving)
    share = rng.beta(np.maximum(x, 1), would_buy - x + 1)
    return x.astype(np.int64), np.where(x > 0, t * share, 0.0), t


@functools.cache
def _blas_threads() -> Any:
    """The process's BLAS thread pools (found once: a few milliseconds)."""
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

    return ThreadpoolController()


class _Objective:
    """Mean negative log-likelihood per customer and its gradient in log-parameters, over the
    distinct (x, t_x, T) rows weighted by their counts."""

    def __init__(self, x: Floats, t_x: Floats, t: Floats, penalizer: float) -> None:
        self.n = float(len(x))
        self.penalizer = penalizer
        zero = x == 0
        self.t0, self.w0 = np.unique(t[zero], return_counts=True)  # x = 0: only T matters
        self.x1, self.t_x1, self.t1, self.w1 = _distinct_rows(x[~zero], t_x[~zero], t[~zero])
        self.xs, inverse = np.unique(np.append(self.x1, 0.0), return_inverse=True)
        self.x_weights = np.bincount(inverse, weights=np.append(self.w1, self.w0.sum()))

    def __call__(self, theta: Floats) -> tuple[float, Floats]:
        """``(objective, gradient)`` at ``theta = log(r, α, a, b)``."""
        params = np.exp(theta)
        ll, grad = self.log_likelihood(params)
        value = -ll / self.n + self.penalizer * float(params @ params)
        return value, -grad * params / self.n + 2.0 * self.penalizer * params**2

    def log_likelihood(self, params: Floats) -> tuple[float, Floats]:
        """The total log-likelihood at ``(r, α, a, b)`` and its gradient in them."""
        from scipy.special import digamma, gammaln

        r, alpha, a, b = params
        xs, wx = self.xs, self.x_weights
        # terms of x alone, once per distinct x
        ll = wx @ (
            gammaln(r + xs)
            - gammaln(r)
            + r * np.log(alpha)
            + gammaln(a + b)
            + gammaln(b + xs)
            - gammaln(b)
            - gammaln(a + b + xs)
        )
        d_r = wx @ (digamma(r + xs) - digamma(r) + np.log(alpha))
        d_alpha = r / alpha * wx.sum()
        d_a = wx @ (digamma(a + b) - digamma(a + b + xs))
        d_b = wx @ (digamma(a + b) + digamma(b + xs) - digamma(b) - digamma(a + b + xs))
        # customers with no repeat purchase: (α+T)^-r
        log_t0 = np.log(alpha + self.t0)
        ll -= r * (self.w0 @ log_t0)
        d_r -= self.w0 @ log_t0
        d_alpha -= r * (self.w0 @ (1.0 / (alpha + self.t0)))
        # the others: alive at T, or gone after the last purchase (weights: P(gone | data))
        rx, w = r + self.x1, self.w1
        a_t, a_tx = alpha + self.t1, alpha + self.t_x1
        log_t, log_tx = np.log(a_t), np.log(a_tx)
        b_x1 = b + self.x1 - 1
        gone = np.log(a) - np.log(b_x1) - rx * log_tx
        both = np.logaddexp(-rx * log_t, gone)
        ll += w @ both
        w_gone = w * np.exp(gone - both)
        d_r -= w @ log_t - w_gone @ (log_t - log_tx)
        d_alpha -= (w * rx) @ (1.0 / a_t) + (w_gone * rx) @ (1.0 / a_tx - 1.0 / a_t)
        d_a += w_gone.sum() / a
        d_b -= w_gone @ (1.0 / b_x1)
        return float(ll), np.array([d_r, d_alpha, d_a, d_b])


def _distinct_rows(x: Floats, t_x: Floats, t: Floats) -> tuple[Floats, Floats, Floats, Floats]:
    """The distinct ``(x, t_x, T)`` rows and how often each occurs.

    A lexsort (~10x faster than ``np.unique(axis=0)``), skipped when most T differ (exact
    times, as from a simulation): the rows could then shrink by less than half, which the sort
    would cost more than it saves.
    """
    if 2 * len(np.unique(t)) > len(t):
        return x, t_x, t, np.ones(len(x))
    order = np.lexsort((t, t_x, x))
    x, t_x, t = x[order], t_x[order], t[order]
    new = np.ones(len(x), dtype=bool)
    new[1:] = (x[1:] != x[:-1]) | (t_x[1:] != t_x[:-1]) | (t[1:] != t[:-1])
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, len(x))).astype(np.float64)
    return x[starts], t_x[starts], t[starts], counts
