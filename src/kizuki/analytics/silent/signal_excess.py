"""A small page's problem from its signals' excess over the other pages (method ``signal_excess``).

The latent class model separates hit units from the page's own background by how the
indicators co-occur. On a small page that can fail even when the problem is plain: when every
session anchored at the page met its error, there is no background on the page to tell apart
(the two-class fit is flat, p = 1). Then the other pages are the background:

- an error kind is *raised* on the page when it fires in at least ``raise_min_rate`` of the
  page's units, in at least 2 of them, and ``raise_lift`` times as often as in the units of all
  other pages (rates smoothed by half a unit); loops and help categories are not tested this
  way (see :data:`_TESTED`);
- the page's *signal units* are those with a raised category: ``k`` of its ``n`` units, where
  the other pages' units show one at the rate ``p0``;
- the exact binomial test ``P(X ≥ k | n, p0)`` is the page's p-value, held to the same
  family-wise level as the small-sample latent class test;
- hit units always signal and the others at ``p0``: ``A = n (k/n − p0) / (1 − p0)``. A is a
  count of the store's own units, not a rate, so its draws are ``k − F`` with the background's
  false signals ``F ~ Binomial(n − A, p0*)`` and ``p0*`` from the Jeffreys posterior
  ``Beta(k_bg + ½, n_bg − k_bg + ½)`` of the other pages' rate;
- each signal unit's chance of being a hit is ``A / k``; units without a signal are not hits.

Hits that show no signal at all are not counted: on pages where a problem can pass unseen the
figure is a lower bound (diagnostic ``signal_only``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kizuki.analytics.silent.config import SilentConfig
from kizuki.analytics.silent.units import UNIT_INDICATORS

__all__ = ["Background", "ExcessFit", "binomial_sf", "fit_excess"]

F64 = NDArray[np.float64]

#: the indicator names of :data:`UNIT_INDICATORS`, as the table's ``signal`` column names them
_SIGNALS = {"error_kind": "error", "loop": "loop", "help_kind": "help"}
#: the indicators whose categories are tested. Errors only: help categories are page-specific
#: by nature (receipt questions on the receipts page) and some pages are reloaded more than
#: others, so against the other pages both are raised on pages without any problem (measured:
#: 1–3 such pages per 300-customer store); an error kind concentrated on one page is not.
_TESTED = ("error_kind",)


def binomial_sf(k: int, n: int, p: float) -> float:
    """``P(X ≥ k)`` for ``X ~ Binomial(n, p)``, exactly (log-space sum).

    Examples
    --------
    >>> round(binomial_sf(3, 3, 0.5), 3)
    0.125
    >>> binomial_sf(0, 10, 0.2)
    1.0
    """
    if k <= 0:
        return 1.0
    if k > n or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    i = np.arange(k, n + 1, dtype=np.float64)
    log_c = math.lgamma(n + 1) - np.array([math.lgamma(x + 1) + math.lgamma(n - x + 1) for x in i])
    terms = log_c + i * math.log(p) + (n - i) * math.log1p(-p)
    top = float(terms.max())
    return float(min(1.0, math.exp(top) * float(np.exp(terms - top).sum())))


def _categories(frame: pd.DataFrame) -> pd.DataFrame:
    """Per row of the patterns, its fired categories as ``(indicator, category)`` columns."""
    return pd.DataFrame(
        {
            "error_kind": frame["error_kind"].fillna("").astype(str),
            "loop": np.where(frame["loop"].astype(bool), "loop", ""),
            "help_kind": frame["help_kind"].fillna("").astype(str),
            "units": frame["units"].to_numpy(float),
        },
        index=frame.index,
    )


@dataclass(frozen=True)
class Background:
    """Unit counts per fired category over all modelled pages, to take a page's own out of."""

    cats: pd.DataFrame  # every modelled row's categories and units, with its page
    totals: dict[tuple[str, str], float]
    units: float

    @classmethod
    def of(cls, patterns: pd.DataFrame) -> Background:
        """The counts of ``patterns`` (the modelled pages' rows of ``SilentInputs.patterns``)."""
        cats = _categories(patterns).assign(page_path=patterns["page_path"].to_numpy())
        totals: dict[tuple[str, str], float] = {}
        for ind in UNIT_INDICATORS:
            fired = cats[cats[ind] != ""]
            for value, units in fired.groupby(ind)["units"].sum().items():
                totals[(ind, str(value))] = float(units)
        return cls(cats, totals, float(cats["units"].sum()))


@dataclass(frozen=True)
class ExcessFit:
    """A page's signal-excess estimate (see the module docstring)."""

    p_value: float
    signal: str | None  # the raised indicator with the largest lift
    error_kind: str | None  # the most frequent raised error kind
    error_raised: bool
    a_hat: float
    a_draws: F64
    post: F64  # per row of the page's patterns: its chance of being a hit unit

    @property
    def found(self) -> bool:
        """Whether any category is raised (else nothing was estimated)."""
        return self.signal is not None


def fit_excess(
    page: str,
    grp: pd.DataFrame,
    background: Background,
    cfg: SilentConfig,
    rng: np.random.Generator,
) -> ExcessFit:
    """The signal-excess estimate of ``page`` from its rows ``grp`` of the patterns."""
    mine = _categories(grp)
    n = float(mine["units"].sum())
    others = background.cats[background.cats["page_path"] != page]
    n_bg = background.units - n
    raised: dict[str, set[str]] = {}
    best: tuple[float, str | None] = (0.0, None)
    kinds: dict[str, float] = {}
    for ind in _TESTED:
        fired = mine[mine[ind] != ""]
        for value, units in fired.groupby(ind)["units"].sum().items():
            k = float(units)
            bg = background.totals.get((ind, str(value)), 0.0) - k
            rate, bg_rate = k / n, (bg + 0.5) / (n_bg + 1.0)
            if k >= 2 and rate >= cfg.raise_min_rate and rate >= cfg.raise_lift * bg_rate:
                raised.setdefault(ind, set()).add(str(value))
                lift = rate / bg_rate
                if lift > best[0]:
                    best = (lift, _SIGNALS[ind])
                if ind == "error_kind":
                    kinds[str(value)] = k
    empty = np.zeros(len(grp))
    if not raised:
        return ExcessFit(1.0, None, None, False, 0.0, np.zeros(cfg.n_boot), empty)

    def signals(frame: pd.DataFrame) -> NDArray[np.bool_]:
        hit = np.zeros(len(frame), dtype=bool)
        for ind, values in raised.items():
            hit |= frame[ind].isin(list(values)).to_numpy()
        return hit

    on_page = signals(mine)
    k = float(mine["units"].to_numpy()[on_page].sum())
    k_bg = float(others["units"].to_numpy()[signals(others)].sum())
    p0 = (k_bg + 0.5) / (n_bg + 1.0)
    p_value = binomial_sf(round(k), round(n), p0)
    a_hat = float(np.clip(n * (k / n - p0) / (1.0 - p0), 0.0, n))
    # A is a count of this store's units, not a rate: what is uncertain is how many of the k
    # signals are the background's (F ~ Binomial(n − A, p0), p0 from its Jeffreys posterior)
    q0 = rng.beta(k_bg + 0.5, n_bg - k_bg + 0.5, cfg.n_boot)
    false = rng.binomial(max(round(n - a_hat), 0), q0).astype(float)
    draws = np.clip(k - false, 0.0, k)
    post = np.where(on_page, min(a_hat / k, 1.0) if k > 0 else 0.0, 0.0)
    error_kind = max(kinds, key=lambda v: (kinds[v], v)) if kinds else None
    return ExcessFit(
        p_value, best[1], error_kind, "error_kind" in raised, a_hat, draws, post.astype(float)
    )
