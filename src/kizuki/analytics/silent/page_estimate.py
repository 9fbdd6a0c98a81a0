"""One page's row of the silent-customer table: its figures and their bootstrap intervals.

From the page's hit model (:class:`~kizuki.analytics.silent.page_fit.PageFit`),
:func:`page_row` estimates in turn

- **affected** A (the hit model's count), **contacted** C and **silent** S = A − C: the
  affected among customers who contacted support about the page's intent after their hit, by a
  contact model per stratum of help seeking (:func:`_strata_mixture`), divided by the share of
  contacts that carry an intent label (:func:`_counts`);
- churn of the silent, of resolved contacters and of unaffected customers, the excess churn of
  the silent and the **revenue at risk** (:func:`_churn_and_revenue`);
- the survey-based silent count (:func:`_survey_silent`) and Goodman's (:func:`_goodman`),
  and which of the three estimates to read (:func:`_best_estimate`).

Intervals are 95% percentiles: of the hit count's posterior draws for A, of the customer
bootstrap (:mod:`~kizuki.analytics.silent.bootstrap`) for the rest. Methods: docs/silent.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kizuki.analytics.silent.bootstrap import CustomerGroups, CustomerWeights, ci, wmean, wratio
from kizuki.analytics.silent.config import SilentConfig
from kizuki.analytics.silent.inputs import SilentInputs
from kizuki.analytics.silent.page_fit import (
    PageFit,
    contacted_after_hit,
    dominant_signal,
    page_intent,
    top_category,
)

__all__ = ["page_row"]

F64 = NDArray[np.float64]


def _contact_mixture(
    w: F64, k: F64, weights: F64, prior_rate: float, iters: int = 40, tol: float = 1e-13
) -> tuple[F64, F64]:
    """Posterior P(affected | sessions, contact) and the affected labelled contacters.

    The contact is one more indicator at the customer level: rate ``c`` among the affected,
    ``r`` (starting at ``prior_rate``) among the others, fitted by EM for every row of
    ``weights`` (B, n), with the sessions' posterior ``w`` as each customer's prior. Rows of
    ``w``/``k`` may be groups of identical customers with their counts summed in ``weights``.
    """
    b = weights.shape[0]
    hit = k == 1
    # posterior = 1 / (1 + prior odds against x likelihood ratio): one pass per half
    with np.errstate(divide="ignore"):
        odds = (1.0 - w) / w  # w = 0 gives inf, posterior 0
    odds1, odds0 = odds[hit], odds[~hit]
    w1, w0 = weights[:, hit], weights[:, ~hit]
    n1, n_all = w1.sum(axis=1), weights.sum(axis=1)
    c = np.full(b, 0.1)
    r = np.full(b, max(prior_rate, 1e-6))
    for _ in range(iters):
        post1 = 1.0 / (1.0 + odds1 * (r / c)[:, None])
        post0 = 1.0 / (1.0 + odds0 * ((1.0 - r) / (1.0 - c))[:, None])
        s1 = np.einsum("bg,bg->b", w1, post1)  # affected contacters
        s0 = np.einsum("bg,bg->b", w0, post0)
        c_new = np.clip(s1 / np.maximum(s1 + s0, 1e-9), 1e-6, 1 - 1e-6)
        r_new = np.clip((n1 - s1) / np.maximum(n_all - s1 - s0, 1e-9), 1e-6, 1 - 1e-6)
        step = max(float(np.abs(c_new - c).max()), float(np.abs(r_new - r).max()))
        c, r = c_new, r_new
        if step < tol:  # converged: later rounds change nothing that is reported
            break
    post = np.empty(weights.shape)
    post[:, hit], post[:, ~hit] = post1, post0
    return post, s1


def _strata_mixture(gr: CustomerGroups, weights: F64, prior_rate: float) -> tuple[F64, F64]:
    """:func:`_contact_mixture` separately for customers who looked for help about the intent
    on the page and those who did not: people who look for help and fail contact support far
    more often, problem or not, so one background contact rate for both would take the
    helped background contacters for affected ones."""
    post = np.empty(weights.shape)
    total = np.zeros(weights.shape[0])
    for mask in (gr.helped == 1, gr.helped == 0):
        if mask.any():
            p, s1 = _contact_mixture(gr.w[mask], gr.k[mask], weights[:, mask], prior_rate)
            post[:, mask] = p
            total += s1
    return post, total


@dataclass(frozen=True)
class _PageCustomers:
    """The page's identified customers, grouped alike, and the share who contacted."""

    groups: CustomerGroups
    n: int  # customers on the page
    contact_share: float  # who contacted about the intent after their likeliest hit unit


def _page_customers(
    pf: PageFit, inputs: SilentInputs, intent: str | None, weights: CustomerWeights
) -> _PageCustomers:
    """The page's customers with their outcomes and bootstrap weights, grouped for the sums."""
    cust = pf.cust.merge(inputs.customers, on="customer_id", how="left")
    w = cust["w"].to_numpy(float)
    contacted = contacted_after_hit(pf, inputs.contacts_after, intent)
    k = np.asarray(cust["customer_id"].isin(contacted), dtype=np.float64)
    churn = cust["churned"].fillna(False).to_numpy(float)
    value = cust["monthly_value"].fillna(0.0).to_numpy(float)
    resolved = cust["resolved_any"].fillna(False).to_numpy(float)
    responded = cust["responded"].fillna(False).to_numpy(float)
    dissat = cust["dissatisfied"].fillna(False).to_numpy(float)
    looked = pf.helped.get(intent, set()) if intent is not None else set()
    helped = np.asarray(cust["customer_id"].isin(looked), dtype=np.float64)
    groups = CustomerGroups.of(
        {"w": w, "k": k, "churn": churn, "resolved": resolved, "responded": responded,
         "dissat": dissat, "helped": helped},
        value,
        weights.rows(cust["customer_id"]),
    )  # fmt: skip
    return _PageCustomers(groups, len(cust), float(k.mean()) if k.size else 0.0)


@dataclass(frozen=True)
class _Counts:
    """Affected, contacted and silent customers (estimate and draws of each) — of all visitors
    and of identified customers — and each group's posterior of being affected: for the
    estimate (1, G) and per bootstrap replicate (B, G)."""

    affected: float
    affected_draws: F64
    contacted: float
    contacted_draws: F64
    silent: float
    silent_draws: F64
    post_hat: F64
    post_b: F64
    affected_identified: float = 0.0
    silent_identified: float = 0.0
    silent_identified_draws: F64 | None = None


def _share_draws(n: int, share: float, b: int, rng: np.random.Generator) -> F64:
    """Binomial draws of a share measured on ``n`` rows (at least 1e-9)."""
    draws = rng.binomial(max(n, 1), min(max(share, 0.0), 1.0), b) / max(n, 1)
    return np.asarray(np.maximum(draws, 1e-9), dtype=np.float64)


def _counts(
    pf: PageFit,
    pc: _PageCustomers,
    detected: bool,
    inputs: SilentInputs,
    cfg: SilentConfig,
    rng: np.random.Generator,
) -> _Counts:
    """A, C and S of the page: of identified customers, and extrapolated to all visitors.

    The hit count counts units; :attr:`PageFit.persons_per_hit` turns it into persons, and
    :attr:`PageFit.customers_per_hit` into identified customers (A_id). C_id is the contact
    model's affected labelled contacters divided by the labelled share of contacts and by the
    share linked to a customer (in the draws, binomial draws of those shares), at most A_id.
    Visitors no identity links are never silent merely because no contact links to them:
    they contact at the identified customers' rate C_id / A_id, within a factor
    ``unidentified_contact_ratio`` either way (drawn log-uniformly for the interval).
    Without a problem all are 0 and the sessions' posterior is each customer's."""
    gr, b = pc.groups, cfg.n_boot
    n = inputs.human_contacts
    lam = _share_draws(n, inputs.labelled_share, b, rng)
    if not detected:  # no problem class: the sessions' posterior is all there is
        zeros = np.zeros(b)
        post_b = np.broadcast_to(gr.w, gr.boot.shape)
        return _Counts(0.0, zeros, 0.0, zeros, 0.0, zeros, gr.w[None, :], post_b, 0.0, 0.0, zeros)
    units_hat, units_draws = pf.a_hat, pf.a_draws
    a_hat, a_draws = units_hat * pf.persons_per_hit, units_draws * pf.persons_per_hit
    id_hat, id_draws = units_hat * pf.customers_per_hit, units_draws * pf.customers_per_hit
    # the draws for identity come from a child generator: the main stream (and with it every
    # other page's draws) stays what it is on fully identified data
    extra = rng.spawn(1)[0]
    link = _share_draws(n, inputs.linked_share, b, extra)
    found = max(inputs.labelled_share, 1e-9) * max(inputs.linked_share, 1e-9)
    post_hat, lab_hat = _strata_mixture(gr, gr.count, pc.contact_share)
    post_b, lab_b = _strata_mixture(gr, gr.boot, pc.contact_share)
    c_id = float(min(lab_hat[0] / found, id_hat))
    c_id_draws = np.minimum(lab_b / (lam * link), id_draws)
    rate = c_id / id_hat if id_hat > 0 else 0.0
    rate_draws = c_id_draws / np.maximum(id_draws, 1e-9)
    spread = np.log(cfg.unidentified_contact_ratio)
    factor = np.exp(extra.uniform(-spread, spread, b))
    anon_hat, anon_draws = max(a_hat - id_hat, 0.0), np.maximum(a_draws - id_draws, 0.0)
    c_hat = c_id + anon_hat * rate
    c_draws = c_id_draws + anon_draws * np.minimum(rate_draws * factor, 1.0)
    return _Counts(
        affected=a_hat,
        affected_draws=a_draws,
        contacted=c_hat,
        contacted_draws=c_draws,
        silent=a_hat - c_hat,
        silent_draws=a_draws - c_draws,
        post_hat=post_hat,
        post_b=post_b,
        affected_identified=id_hat,
        silent_identified=id_hat - c_id,
        silent_identified_draws=id_draws - c_id_draws,
    )


def _error_raised(fit: Any, cfg: SilentConfig) -> bool:
    """Whether the hit class raises the error indicator (as :func:`is_problem` counts it)."""
    p = fit.probs[0]
    hit, bg = 1.0 - p[0, 0], 1.0 - p[1, 0]
    return bool(hit >= cfg.raise_min_rate and hit >= cfg.raise_lift * bg)


def _signal(pf: PageFit) -> str | None:
    return pf.excess.signal if pf.excess is not None else dominant_signal(pf.fit)


def _error_kind(pf: PageFit) -> str | None:
    if pf.excess is not None:
        return pf.excess.error_kind
    return top_category(pf.fit.probs[0], pf.cats[0])


def _diagnostic(
    detected: bool, counts: _Counts, linked_share: float, cfg: SilentConfig, pf: PageFit
) -> str | None:
    """Why a detected page's figures cannot be trusted, comma-separated, or None when sound:
    ``no_error_signal`` (the problem raises no error: with reloads and help alone, two
    indicators, the hit count is hardly identified), ``low_coverage`` (few of its affected
    visitors are identified customers, so S rests on the extrapolation), ``low_linkage`` (few
    contacts link to a customer, so C rests on the correction), ``flat_likelihood`` (the data
    hardly identify the affected count), ``signal_only`` (method ``signal_excess``: hits that
    show no signal are not counted)."""
    if not detected:
        return None
    if pf.excess is not None:
        notes = ["signal_only"] if pf.excess.error_raised else ["no_error_signal", "signal_only"]
    else:
        notes = [] if _error_raised(pf.fit, cfg) else ["no_error_signal"]
    coverage = counts.affected_identified / counts.affected if counts.affected > 0 else 1.0
    if coverage < cfg.min_coverage:
        notes.append("low_coverage")
    if linked_share < cfg.min_link_share:
        notes.append("low_linkage")
    lo, hi = ci(counts.affected_draws)
    if counts.affected > 0 and hi - lo > cfg.max_relative_width * counts.affected:
        notes.append("flat_likelihood")
    return ",".join(notes) or None


def _outcome_weights(gr: CustomerGroups, post: F64) -> dict[str, F64]:
    """Each group's weight as silent, as resolved contacter and as unaffected, by ``post``."""
    return {
        "silent": post * (1.0 - gr.k),
        "resolved": post * gr.k * gr.resolved,
        "unaffected": 1.0 - post,
    }


@dataclass(frozen=True)
class _Churn:
    """Churn per outcome (silent, resolved, unaffected), the excess churn of the silent, their
    monthly value and the revenue at risk, with draws where the table has an interval."""

    rate: dict[str, float]
    excess: float
    excess_draws: F64
    monthly_value: float
    revenue: float
    revenue_draws: F64


def _churn_and_revenue(gr: CustomerGroups, counts: _Counts, cfg: SilentConfig) -> _Churn:
    """Churn by outcome; revenue at risk = S × excess churn (if any) × monthly value of the
    silent × ``horizon_months``."""
    g_hat, g_b = _outcome_weights(gr, counts.post_hat), _outcome_weights(gr, counts.post_b)
    churn_hat = {g: float(wmean(gr.count * v, gr.churn)[0]) for g, v in g_hat.items()}
    churn_b = {g: wmean(gr.boot * v, gr.churn) for g, v in g_b.items()}
    excess_hat = churn_hat["silent"] - churn_hat["unaffected"]
    excess_b = churn_b["silent"] - churn_b["unaffected"]
    value_hat = float(wratio(g_hat["silent"] * gr.value, g_hat["silent"] * gr.count)[0])
    value_b = wratio(g_b["silent"] * gr.boot_value, g_b["silent"] * gr.boot)
    rev_hat = counts.silent * max(excess_hat, 0.0) * value_hat * cfg.horizon_months
    rev_b = counts.silent_draws * np.maximum(np.nan_to_num(excess_b), 0.0) * np.nan_to_num(value_b)
    rev_b = rev_b * cfg.horizon_months
    return _Churn(churn_hat, excess_hat, excess_b, value_hat, rev_hat, rev_b)


@dataclass(frozen=True)
class _Survey:
    """The survey-based silent count, its draws and the survey answers it rests on."""

    silent: float
    silent_draws: F64
    responses: int


def _survey_silent(gr: CustomerGroups, post_hat: F64) -> _Survey:
    """Likely-affected customers who did not contact, times their excess share of dissatisfied
    survey answers over unlikely-affected customers' (as a share of the satisfied)."""
    nc = ((post_hat[0] >= 0.5) & (gr.k == 0)).astype(float)
    base = (post_hat[0] < 0.5).astype(float)

    def survey(weights: F64) -> F64:
        d1 = wmean(weights * nc * gr.responded, gr.dissat)
        d0 = wmean(weights * base * gr.responded, gr.dissat)
        excess = np.maximum(np.nan_to_num(d1 - d0), 0.0) / np.maximum(1.0 - np.nan_to_num(d0), 1e-9)
        return np.asarray(excess * (weights @ nc))

    responses = int((gr.count[0] * nc * gr.responded).sum())
    return _Survey(float(survey(gr.count)[0]), survey(gr.boot), responses)


def _goodman(contacted: float, cfg: SilentConfig) -> tuple[float, float, float]:
    """Goodman's silent count, contacts ÷ contact rate − contacts: at the assumed rate, and at
    the rates of serious problems (low) and of minor irritations (high)."""
    good_low = contacted / cfg.goodman_rate_high - contacted
    good_high = contacted / cfg.goodman_rate_low - contacted
    good = contacted / cfg.goodman_contact_rate - contacted
    return good, good_low, good_high


def _best_estimate(
    detected: bool, silent: float, silent_ci: tuple[float, float], responses: int
) -> str:
    """The measured estimate where a problem is detected and its interval is no wider than it,
    else the survey's with 30 answers or more, else Goodman's."""
    s_lo, s_hi = silent_ci
    if detected and silent > 0 and (s_hi - s_lo) <= silent:
        return "measured"
    if responses >= 30:
        return "survey"
    return "goodman"


#: interval bounds that start at 0 on a page whose problem is not significant
_FROM_ZERO = (
    "affected_ci_low",
    "contacted_ci_low",
    "silent_ci_low",
    "silent_identified_ci_low",
    "revenue_at_risk_ci_low",
)


def page_row(
    pf: PageFit,
    inputs: SilentInputs,
    cfg: SilentConfig,
    rng: np.random.Generator,
    known: set[str],
    weights: CustomerWeights,
) -> tuple[dict[str, Any], dict[str, F64]]:
    """The page's row of the table (keys: the table's columns) and the draws of its
    affected, contacted, silent and revenue at risk, which the total row sums.

    ``known`` are the contact intents; ``weights`` the customers' bootstrap weights, drawn
    once for all pages. The page's problem, error kind, signal and intent are read off its
    two-class fit; a page without a problem keeps its row with zero affected.
    """
    fit = pf.fit
    detected = pf.detected
    estimated = detected or pf.suggestive
    intent = page_intent(pf, inputs.contacts_after, known) if estimated else None
    pc = _page_customers(pf, inputs, intent, weights)
    counts = _counts(pf, pc, estimated, inputs, cfg, rng)
    churn = _churn_and_revenue(pc.groups, counts, cfg)
    survey = _survey_silent(pc.groups, counts.post_hat)
    good, good_low, good_high = _goodman(counts.contacted, cfg)
    a_hat, a_draws = counts.affected, counts.affected_draws
    c_hat, c_draws = counts.contacted, counts.contacted_draws
    s_hat, s_draws = counts.silent, counts.silent_draws
    s_lo, s_hi = ci(s_draws)
    sid_draws = counts.silent_identified_draws
    if sid_draws is None:
        sid_draws = np.zeros(cfg.n_boot)
    rate_b = c_draws / np.maximum(a_draws, 1e-9)
    row: dict[str, Any] = {
        "stage": inputs.stages.get(pf.page),
        "page_path": pf.page,
        "signal": _signal(pf) if estimated else None,
        "error_kind": _error_kind(pf) if estimated else None,
        "intent": intent if estimated else None,
        "detected": bool(detected),
        "method": pf.method,
        "p_value": pf.p_value if pf.p_value is not None else fit.p_value,
        "units": fit.n_units,
        "customers": pc.n,
        "affected": a_hat,
        "affected_ci_low": ci(a_draws)[0],
        "affected_ci_high": ci(a_draws)[1],
        "contacted": c_hat,
        "contacted_ci_low": ci(c_draws)[0],
        "contacted_ci_high": ci(c_draws)[1],
        "silent": s_hat,
        "silent_ci_low": s_lo,
        "silent_ci_high": s_hi,
        "contact_rate": c_hat / a_hat if a_hat > 0 else None,
        "contact_rate_ci_low": ci(rate_b)[0] if estimated else None,
        "contact_rate_ci_high": ci(rate_b)[1] if estimated else None,
        "churn_silent": churn.rate["silent"],
        "churn_resolved": churn.rate["resolved"],
        "churn_unaffected": churn.rate["unaffected"],
        "excess_churn": churn.excess,
        "excess_churn_ci_low": ci(np.nan_to_num(churn.excess_draws))[0],
        "excess_churn_ci_high": ci(np.nan_to_num(churn.excess_draws))[1],
        "monthly_value": churn.monthly_value,
        "revenue_at_risk": churn.revenue,
        "revenue_at_risk_ci_low": ci(churn.revenue_draws)[0],
        "revenue_at_risk_ci_high": ci(churn.revenue_draws)[1],
        "goodman_silent": good,
        "goodman_silent_low": good_low,
        "goodman_silent_high": good_high,
        "survey_silent": survey.silent,
        "survey_silent_ci_low": ci(survey.silent_draws)[0],
        "survey_silent_ci_high": ci(survey.silent_draws)[1],
        "survey_responses": survey.responses,
        "best_estimate": _best_estimate(detected, s_hat, (s_lo, s_hi), survey.responses),
        "affected_identified": counts.affected_identified,
        "silent_identified": counts.silent_identified,
        "silent_identified_ci_low": ci(sid_draws)[0],
        "silent_identified_ci_high": ci(sid_draws)[1],
        "coverage": counts.affected_identified / a_hat if a_hat > 0 else None,
        "linked_share": inputs.linked_share,
        "diagnostic": _diagnostic(estimated, counts, inputs.linked_share, cfg, pf),
    }
    if pf.suggestive:  # not significant: the data do not exclude that nothing is wrong
        for col in _FROM_ZERO:
            row[col] = 0.0
        row["diagnostic"] = ",".join(filter(None, ["not_significant", row["diagnostic"]]))
    draws = {
        "affected": a_draws,
        "contacted": c_draws,
        "silent": s_draws,
        "revenue": churn.revenue_draws,
        "silent_identified": sid_draws,
    }
    return row, draws
