"""The customer bootstrap: weights drawn once per customer, summed over groups of alike customers.

Every interval of the silent-customer table but the affected count's is a percentile of a
Poisson(1) bootstrap that resamples customers (:class:`CustomerWeights`). A page's estimates are
weighted sums over its customers, and customers with the same model inputs share every term but
their monthly value, so :class:`CustomerGroups` sums their weights per group and the sums run
over groups instead of customers. :func:`wmean` and :func:`wratio` are those sums for every
replicate at once; :func:`ci` reads the interval off the draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["CustomerGroups", "CustomerWeights", "ci", "wmean", "wratio"]

F64 = NDArray[np.float64]


def ci(draws: F64) -> tuple[float, float]:
    """The 95% percentile interval of ``draws``."""
    lo, hi = np.quantile(draws, [0.025, 0.975])
    return float(lo), float(hi)


def wmean(w: F64, x: F64) -> F64:
    """Weighted means of ``x`` for every row of bootstrap weights ``w`` (B, n)."""
    den = w.sum(axis=1)
    return np.asarray(np.where(den > 0, (w @ x) / np.where(den > 0, den, 1.0), np.nan))


def wratio(num: F64, den: F64) -> F64:
    """Row sums ``num / den`` (NaN where ``den`` sums to 0)."""
    n, d = num.sum(axis=1), den.sum(axis=1)
    return np.asarray(np.where(d > 0, n / np.where(d > 0, d, 1.0), np.nan))


@dataclass
class CustomerGroups:
    """A page's customers grouped by identical (w, k, churn, resolved, responded, dissat).

    Every estimate is a weighted sum over customers, and all customers of a group share the
    terms but ``value``; summing their (bootstrap) weights per group gives the same sums on
    far fewer columns (tens of thousands of customers, a few hundred groups).
    ``boot`` holds each customer's bootstrap weights in a row (n, B), small whole numbers.
    """

    w: F64
    k: F64
    churn: F64
    resolved: F64
    responded: F64
    dissat: F64
    helped: F64
    count: F64  # (1, G) customers per group
    value: F64  # (1, G) summed monthly value
    boot: F64  # (B, G) summed bootstrap weights
    boot_value: F64  # (B, G) summed bootstrap weight x monthly value

    @classmethod
    def of(cls, columns: dict[str, F64], value: F64, boot: NDArray[np.uint8]) -> CustomerGroups:
        """Group customers by ``columns`` (one value per customer each, in the order of the
        fields above), with their monthly ``value`` and bootstrap weights ``boot``."""
        keys = np.stack(list(columns.values()), axis=1)
        order = np.lexsort(keys.T[::-1])
        ranked = keys[order]
        new_group = np.r_[True, (ranked[1:] != ranked[:-1]).any(axis=1)] if len(keys) else []
        starts = np.flatnonzero(new_group)
        inverse = np.empty(len(keys), dtype=np.int64)
        inverse[order] = np.cumsum(new_group) - 1
        uniq = ranked[starts]
        g = uniq.shape[0]
        if g == 0:  # no identified customer on the page
            summed, summed_value = np.zeros((boot.shape[1], 0)), np.zeros((boot.shape[1], 0))
        else:  # customers in rows: the gather and the sums run over contiguous memory
            by_customer = boot[order]
            summed = np.add.reduceat(by_customer, starts, axis=0, dtype=np.int64)
            summed = summed.T.astype(np.float64)
            weighted = by_customer * value[order][:, None]
            summed_value = np.ascontiguousarray(np.add.reduceat(weighted, starts, axis=0).T)
        col = {name: np.ascontiguousarray(uniq[:, i]) for i, name in enumerate(columns)}
        return cls(
            w=col["w"],
            k=col["k"],
            churn=col["churn"],
            resolved=col["resolved"],
            responded=col["responded"],
            dissat=col["dissat"],
            helped=col["helped"],
            count=np.bincount(inverse, minlength=g).astype(np.float64)[None, :],
            value=np.asarray(np.bincount(inverse, weights=value, minlength=g), np.float64)[None],
            boot=summed,
            boot_value=summed_value,
        )


@dataclass(frozen=True)
class CustomerWeights:
    """Poisson(1) bootstrap weights per customer, drawn once for all pages.

    One draw per customer and replicate (not per page) is cheaper, and it resamples a
    customer who is on several pages the same way on each, as the total row's sums need.
    """

    index: pd.Index
    table: NDArray[np.uint8]  # (customers, B)

    @classmethod
    def draw(cls, ids: pd.Series, n_boot: int, rng: np.random.Generator) -> CustomerWeights:
        index = pd.Index(ids.dropna().unique()).sort_values()  # not the rows' order
        draws = rng.poisson(1.0, size=(len(index), n_boot))
        return cls(index, np.minimum(draws, 255).astype(np.uint8))  # P(> 255) is nil

    def rows(self, ids: pd.Series) -> NDArray[np.uint8]:
        """The weights of ``ids`` (all drawn), one customer per row."""
        at = self.index.get_indexer(pd.Index(ids))
        if (at < 0).any():  # -1 would silently take the last customer's weights
            raise ValueError("bootstrap weights asked for a customer that was not drawn")
        return np.asarray(self.table[at])
