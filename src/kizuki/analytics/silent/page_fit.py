"""A page's hit model: which of its units a problem hit, and which customers it affected.

For one page, :func:`fit_page` codes the units' indicators (:func:`indicator_patterns`), fits
the two-class model (:mod:`~kizuki.analytics.silent.latent_class`) and, where it finds a
problem (:func:`is_problem`), counts the hit units with the help seekers apart
(:mod:`~kizuki.analytics.silent.help_seekers`). Each customer's posterior of having been hit is
then read off their units. The rest of this module reads the fit: the problem's error kind
(:func:`top_category`), its dominant signal, its contact intent (:func:`page_intent`) and the
customers who contacted about it after their hit (:func:`contacted_after_hit`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kizuki.analytics.silent.config import SilentConfig
from kizuki.analytics.silent.help_seekers import hit_units_with_seekers, posterior_hit_seekers
from kizuki.analytics.silent.latent_class import LatentClassFit, fit_two_class, posterior_hit
from kizuki.analytics.silent.signal_excess import Background, ExcessFit, fit_excess
from kizuki.analytics.silent.units import UNIT_INDICATORS

__all__ = [
    "IndicatorPatterns",
    "PageFit",
    "contacted_after_hit",
    "dominant_signal",
    "fit_page",
    "indicator_patterns",
    "is_problem",
    "page_intent",
    "page_method",
    "top_category",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def _codes(values: pd.Series) -> tuple[I64, list[str]]:
    """Category codes with ``""``/False as 0 (the indicator did not fire)."""
    v = values.astype(str).replace({"False": "", "True": "loop"}).fillna("")
    cats = ["", *sorted(set(v.unique().tolist()) - {""})]
    codes = pd.Categorical(v, categories=cats).codes
    return np.asarray(codes, dtype=np.int64), cats


@dataclass(frozen=True)
class IndicatorPatterns:
    """A page's units as distinct indicator patterns.

    Attributes
    ----------
    patterns
        ``(n_patterns, 3)`` category codes of ``error_kind, loop, help_kind``, in
        lexicographic order; 0 means the indicator did not fire.
    counts
        Units with each pattern.
    inverse
        The pattern of each row of the units table.
    categories
        Per indicator, the category of each code (``""`` first).
    """

    patterns: I64
    counts: F64
    inverse: I64
    categories: list[list[str]]


def indicator_patterns(units: pd.DataFrame) -> IndicatorPatterns:
    """The distinct indicator patterns of one page's rows of ``SilentInputs.patterns``.

    Examples
    --------
    >>> units = pd.DataFrame({"error_kind": ["", "E", ""], "loop": [False, True, False],
    ...                       "help_kind": ["", "", ""], "units": [5, 1, 2]})
    >>> p = indicator_patterns(units)
    >>> p.patterns.tolist(), p.counts.tolist(), p.categories[0]
    ([[0, 0, 0], [1, 1, 0]], [7.0, 1.0], ['', 'E'])
    """
    ec, ecats = _codes(units["error_kind"])
    lc, lcats = _codes(units["loop"])
    hc, hcats = _codes(units["help_kind"])
    codes = np.stack([ec, lc, hc], axis=1)
    # one number per pattern (mixed radix, so the same order as the rows') sorts far faster
    radix = codes.max(axis=0, initial=0) + 1
    flat = (codes[:, 0] * radix[1] + codes[:, 1]) * radix[2] + codes[:, 2]
    _, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
    uniq = codes[first]
    weights = units["units"].to_numpy(float)
    counts = np.bincount(inverse.ravel(), weights=weights).astype(np.float64)
    return IndicatorPatterns(uniq, counts, inverse.ravel(), [ecats, lcats, hcats])


@dataclass
class PageFit:
    """A page's fitted hit model and what it says of the page's customers."""

    page: str
    fit: LatentClassFit
    cats: list[list[str]]
    a_hat: float
    a_draws: F64
    cust: pd.DataFrame  # customer_id, w (posterior affected), units, top (likeliest unit's)
    helped: dict[str, set[Any]]  # help category -> customers with a unit that shows it
    post: pd.DataFrame  # error_kind, loop, help_kind -> post: a unit's posterior of a hit
    #: persons (any visitor) per hit unit: Σ persons P(hit at least once) / Σ units P(hit)
    persons_per_hit: float = 1.0
    #: of those, identified customers per hit unit
    customers_per_hit: float = 1.0
    #: whether the page has a problem (:func:`is_problem` at the page's significance level)
    detected: bool = False
    #: ``model`` (tested at ``alpha``) or ``small_sample`` (fewer than ``small_units`` units,
    #: tested at the family-wise ``small_alpha``)
    method: str = "model"
    #: a small-sample page that is not significant but whose hit class raises the indicators
    #: a problem raises: figures are estimated (intervals from 0), and the page ranks after
    #: the detected ones by its p-value
    suggestive: bool = False
    #: method ``signal_excess`` (:mod:`~kizuki.analytics.silent.signal_excess`): its p-value,
    #: signal, error kind and whether it raises an error, which the two-class fit's replace
    excess: ExcessFit | None = None
    #: the p-value of the test that detected the page where it was not the two-class fit's
    #: (the signal-excess test's)
    p_value: float | None = None


#: a small page's two-class p-value below which a problem-shaped fit is a possible problem
#: (the data lean towards it); above, the page is counted as checked and not estimated
POSSIBLE_BELOW = 0.5


def page_method(units: float, n_pages: int, cfg: SilentConfig) -> tuple[str, float]:
    """How a page of ``units`` units is tested, of ``n_pages`` modelled: ``("model", alpha)``,
    or below ``small_units`` ``("small_sample", small_alpha / n_pages)`` (never stricter than
    ``alpha``). A large page's test needs the strict level: with thousands of units a mildly
    heterogeneous background is significant; a small page's cannot reach it even when half its
    units show the problem, so it is held to a Bonferroni family-wise false-alarm rate."""
    if units >= cfg.small_units:
        return "model", cfg.alpha
    return "small_sample", max(cfg.alpha, cfg.small_alpha / max(n_pages, 1))


def fit_page(
    page: str,
    grp: pd.DataFrame,
    cfg: SilentConfig,
    rng: np.random.Generator,
    *,
    n_pages: int = 1,
    background: Background | None = None,
) -> PageFit:
    """The hit model of ``page`` from its rows ``grp`` of ``SilentInputs.patterns``.

    On a page with a problem the hit count is the help-seeker model's posterior mean, with
    ``cfg.n_boot`` draws; elsewhere it is 0. A customer's ``w`` is the chance that at least
    one of their units was hit. ``n_pages`` (the pages modelled) sets a small page's
    significance level (:func:`page_method`). A small page the two-class test does not detect
    is tested against ``background`` (the other pages) by its signals' excess
    (:func:`~kizuki.analytics.silent.signal_excess.fit_excess`, method ``signal_excess``).
    """
    pats = indicator_patterns(grp)
    uniq, counts = pats.patterns, pats.counts
    fit = fit_two_class(uniq, counts)
    method, alpha = page_method(float(counts.sum()), n_pages, cfg)
    detected = is_problem(fit, cfg, alpha)
    excess, p_value = None, None
    if not detected and method == "small_sample" and background is not None:
        tried = fit_excess(page, grp, background, cfg, rng)
        if tried.found and tried.p_value < alpha:
            detected, p_value = True, tried.p_value
            if not is_problem(fit, cfg, 1.0):
                # the two-class fit says nothing (e.g. every unit met the error): count the
                # excess; else it counts, hits without an error too, and the excess detects
                excess, method = tried, "signal_excess"
    # a small page whose hit class raises the indicators a problem raises, but which its
    # test cannot tell from none: estimated as if it were one, with intervals from 0
    suggestive = not detected and method == "small_sample" and is_problem(fit, cfg, POSSIBLE_BELOW)
    if excess is not None:
        a_hat, draws, post = excess.a_hat, excess.a_draws, excess.post
    elif detected or suggestive:
        # counted with the help seekers apart; detection, the error kind, the intent and the
        # signal stay the two-class fit's
        a_hat, draws, three = hit_units_with_seekers(
            fit, uniq, counts, rng, n_draws=cfg.n_boot, small=method == "small_sample"
        )
        post = posterior_hit_seekers(three, uniq)[pats.inverse]
    else:  # no problem on this page: nothing to estimate
        a_hat, draws = 0.0, np.zeros(cfg.n_boot)
        post = posterior_hit(fit, uniq)[pats.inverse]
    g = grp.assign(
        _log_miss=np.log1p(-np.minimum(post, 1 - 1e-12)) * grp["units"].to_numpy(float),
        _post=post,
    )
    by_pattern = g[[*UNIT_INDICATORS, "_post"]].drop_duplicates(list(UNIT_INDICATORS))
    by_pattern = by_pattern.rename(columns={"_post": "post"})
    persons, customers = _persons_per_hit(g, post)
    g = g[g["customer_id"].notna()]
    per = g.groupby("customer_id", as_index=False).agg(
        _log_miss=("_log_miss", "sum"), units=("units", "sum"), top=("_post", "max")
    )
    per["w"] = 1.0 - np.exp(per["_log_miss"])
    helped = {str(h): set(ids) for h, ids in g.groupby("help_kind")["customer_id"] if h != ""}
    cust = per[["customer_id", "w", "units", "top"]]
    return PageFit(
        page,
        fit,
        pats.categories,
        a_hat,
        draws,
        cust,
        helped,
        by_pattern,
        persons,
        customers,
        detected,
        method,
        suggestive,
        excess,
        p_value,
    )


def _persons_per_hit(g: pd.DataFrame, post: F64) -> tuple[float, float]:
    """Persons, and identified customers, per expected hit unit of the page.

    The hit count counts units; a person hit on several days has several hit units. Each
    person's chance of at least one hit, 1 − Π(1 − P(hit)) over their units, summed, over the
    units' summed posterior turns the count of hit units into one of persons (1 when everyone
    is hit once and has no other units). Identified customers are the share of that chance
    that falls on visitors with a ``customer_id``. Visitors are ``person_id`` when the
    patterns carry it, else ``customer_id``.
    """
    hits = float((post * g["units"].to_numpy(float)).sum())
    if hits <= 0:
        return 1.0, 1.0
    key = "person_id" if "person_id" in g.columns else "customer_id"
    ids = g[key].where(g[key].notna(), "<anonymous>")
    by = g.groupby(ids, dropna=False)
    w = 1.0 - np.exp(by["_log_miss"].sum())
    known = by["customer_id"].first().notna()
    if key == "customer_id":
        w = w[known]  # anonymous units without person ids: one pooled row, left out
    return float(w.sum()) / hits, float(w[known].sum()) / hits


def contacted_after_hit(pf: PageFit, after: pd.DataFrame, intent: str | None) -> set[Any]:
    """Customers with a contact about ``intent`` after their likeliest hit unit on the page:
    the unit(s) with their highest posterior, so a contact that only followed a later, ordinary
    visit (a late contact, or one about something that happened since) is not the hit's."""
    mine = after[(after["page_path"] == pf.page) & (after["intent"] == intent)]
    if mine.empty:
        return set()
    mine = mine.merge(pf.post, on=list(UNIT_INDICATORS), how="inner")
    mine = mine.merge(pf.cust[["customer_id", "top"]], on="customer_id", how="inner")
    return set(mine.loc[mine["post"] >= mine["top"] - 1e-12, "customer_id"])


def is_problem(fit: LatentClassFit, cfg: SilentConfig, alpha: float | None = None) -> bool:
    """Whether the page's two-class fit is a problem: significant against independence (at
    ``alpha``, default ``cfg.alpha``), and its
    hit class raises at least ``min_raised`` indicators (fires in at least ``raise_min_rate``
    of hit units and ``raise_lift`` times as often as in the background). One raised indicator
    is no co-occurrence: with enough units a heterogeneous background (sessions that loop a lot
    against short help-only ones) is significant on its own."""
    if not fit.p_value < (cfg.alpha if alpha is None else alpha):
        return False
    raised = 0
    for p in fit.probs:
        hit, bg = 1.0 - p[0, 0], 1.0 - p[1, 0]
        raised += hit >= cfg.raise_min_rate and hit >= cfg.raise_lift * bg
    return raised >= cfg.min_raised


def top_category(probs: F64, cats: list[str]) -> str | None:
    """The hit class's most likely category other than 'none'."""
    if len(cats) < 2:
        return None
    k = int(np.argmax(probs[0, 1 : len(cats)])) + 1
    return cats[k]


def dominant_signal(fit: LatentClassFit) -> str:
    """The indicator whose firing rate the problem raises most (hit vs background odds)."""
    names = ("error", "loop", "help")
    best, best_lift = names[0], -np.inf
    for name, p in zip(names, fit.probs, strict=True):
        hit, bg = 1.0 - p[0, 0], 1.0 - p[1, 0]
        lift = hit / max(bg, 1e-9)
        if hit > 0.05 and lift > best_lift:
            best, best_lift = name, lift
    return best


def page_intent(pf: PageFit, after: pd.DataFrame, known: set[str]) -> str | None:
    """The hit class's likeliest help category that is a contact intent and fires more often
    than in the background, else the contact intent most enriched among likely-affected."""
    help_p = pf.fit.probs[2]
    cats = pf.cats[2]
    codes: list[int] = []
    if pf.excess is None:
        codes = (np.argsort(-help_p[0, 1 : len(cats)]) + 1).tolist()
    for code in codes:  # the two-class fit's help category (flat under signal_excess)
        if cats[code] in known and help_p[0, code] > 2.0 * help_p[1, code]:
            return str(cats[code])
    mine = after[after["page_path"] == pf.page]
    if mine.empty:
        return None
    w = pf.cust.set_index("customer_id")["w"]
    total_w, n = float(w.sum()), len(w)
    best, best_lift = None, 1.0
    for intent, rows in mine.groupby("intent"):
        ids = rows["customer_id"].unique()
        if len(ids) < 3:
            continue
        ww = w.reindex(ids).fillna(0.0)
        lift = (float(ww.sum()) / max(total_w, 1e-9)) / (len(ids) / max(n, 1))
        if lift > best_lift:
            best, best_lift = str(intent), lift
    return best
