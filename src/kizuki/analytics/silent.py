"""Silent customers and money at risk, per friction page and in total (issue 3, Q1).

For every page where a problem shows (see :mod:`kizuki.analytics.estimate`):

- **affected** A: customers hit, estimated by a two-class latent class model over the sessions
  that ended on the page (signals that co-occur more than background noise would explain); the
  count is the posterior mean over its profile likelihood, not the maximum (docs/silent.md);
- **contacted** C: affected customers who contacted support about the page's intent within
  ``window_days``: labelled contacts after a session on the page, less the background rate of
  comparable customers, divided by the share of tickets that carry an intent label;
- **silent** S = A − C, the observed contact rate C / A;
- churn of the (probably) silent, of resolved contacters and of comparable unaffected
  customers, and **revenue at risk** = S × excess churn × monthly value × ``horizon_months``;
- beside them the Goodman estimate (contacts ÷ an assumed contact rate) and a survey-based
  one (excess dissatisfied survey answers among likely affected non-contacters).

Intervals are 95% percentiles: of the posterior of the hit count for A (flat prior, profile
likelihood; the estimate is its mean), and of a bootstrap (customers resampled, Poisson weights)
for the rest. Methods, assumptions and measured accuracy: docs/silent.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from kizuki.analytics.estimate import (
    LatentClassFit,
    fit_two_class,
    hit_units_posterior,
    posterior_hit,
)
from kizuki.analytics.seekers import (
    fit_with_seekers,
    posterior_hit_seekers,
    profile_hit_units_seekers,
)
from kizuki.analytics.sessions import DEFAULT_STAGES, OTHER_STAGE
from kizuki.analytics.silent_units import (
    UNIT_INDICATORS,
    incident_windows,
    session_units,
    unit_contacts,
    unit_patterns,
)

__all__ = [
    "SILENT_COLUMNS",
    "SilentConfig",
    "SilentInputs",
    "estimate_silent",
    "load_silent_inputs",
    "silent_customers",
]

F64 = NDArray[np.float64]

#: Columns of :func:`silent_customers`, in order.
SILENT_COLUMNS = (
    "stage",
    "page_path",
    "signal",
    "error_kind",
    "intent",
    "detected",
    "p_value",
    "units",
    "customers",
    "affected",
    "affected_ci_low",
    "affected_ci_high",
    "contacted",
    "contacted_ci_low",
    "contacted_ci_high",
    "silent",
    "silent_ci_low",
    "silent_ci_high",
    "contact_rate",
    "contact_rate_ci_low",
    "contact_rate_ci_high",
    "churn_silent",
    "churn_resolved",
    "churn_unaffected",
    "excess_churn",
    "excess_churn_ci_low",
    "excess_churn_ci_high",
    "monthly_value",
    "revenue_at_risk",
    "revenue_at_risk_ci_low",
    "revenue_at_risk_ci_high",
    "goodman_silent",
    "goodman_silent_low",
    "goodman_silent_high",
    "survey_silent",
    "survey_silent_ci_low",
    "survey_silent_ci_high",
    "survey_responses",
    "best_estimate",
)


class SilentConfig(BaseModel):
    """Parameters of the silent-customer estimate (documented in docs/silent.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_days: Annotated[
        int, Field(ge=1, description="days after a session to count a contact")
    ] = 14
    horizon_months: Annotated[float, Field(gt=0, description="months of revenue at risk")] = 12.0
    goodman_contact_rate: Annotated[
        float, Field(gt=0, le=1, description="assumed share of affected customers who contact")
    ] = 0.04
    goodman_rate_low: Annotated[float, Field(gt=0, le=1, description="minor irritations")] = 0.02
    goodman_rate_high: Annotated[float, Field(gt=0, le=1, description="serious problems")] = 0.25
    alpha: Annotated[
        float, Field(gt=0, lt=1, description="significance a page's problem class must reach")
    ] = 1e-6
    min_units: Annotated[int, Field(ge=1, description="units a page needs to be modelled")] = 200
    min_raised: Annotated[
        int, Field(ge=1, le=3, description="indicators the problem class must raise")
    ] = 2
    raise_lift: Annotated[
        float, Field(gt=1, description="hit/background firing ratio that counts as raised")
    ] = 2.0
    raise_min_rate: Annotated[
        float, Field(ge=0, lt=1, description="hit-class firing rate that counts as raised")
    ] = 0.05
    n_boot: Annotated[int, Field(ge=10, description="bootstrap replicates / posterior draws")] = 200
    help_prefixes: tuple[str, ...] = ("/help",)
    page_events: tuple[str, ...] = ("page_view",)
    gap_minutes: Annotated[int, Field(ge=1)] = 30
    use_session_id: bool = False
    incident_margin_minutes: Annotated[int, Field(ge=0)] = 60
    nps_detractor_max: Annotated[float, Field(description="NPS at or below: dissatisfied")] = 6.0
    csat_low_max: Annotated[float, Field(description="CSAT at or below: dissatisfied")] = 2.0
    ces_low_max: Annotated[float, Field(description="CES at or below: dissatisfied")] = 3.0


@dataclass(frozen=True)
class SilentInputs:
    """The small tables the estimator needs, already out of the engine (pandas)."""

    patterns: pd.DataFrame  # customer_id, page_path, error_kind, loop, help_kind, units
    contacts_after: pd.DataFrame  # customer_id, page_path, intent, + the unit's indicators
    customers: pd.DataFrame  # customer_id, monthly_value, churned, resolved_any, dissatisfied,
    #                          responded
    labelled_share: float
    human_contacts: int
    stages: dict[str, str]


def load_silent_inputs(
    *,
    events: ir.Table,
    signals: ir.Table,
    contacts: ir.Table,
    customers: ir.Table,
    subscriptions: ir.Table,
    surveys: ir.Table | None = None,
    incidents: ir.Table | None = None,
    config: SilentConfig | None = None,
) -> SilentInputs:
    """Run the engine-side queries and bring back the small tables :func:`estimate_silent` uses."""
    cfg = config or SilentConfig()
    windows = incident_windows(incidents) if incidents is not None else []
    units = session_units(
        events,
        signals,
        incidents=windows,
        help_prefixes=cfg.help_prefixes,
        page_events=cfg.page_events,
        gap_minutes=cfg.gap_minutes,
        use_session_id=cfg.use_session_id,
        incident_margin_minutes=cfg.incident_margin_minutes,
    ).cache()  # read by the patterns and by the contacts: computed once
    patterns = unit_patterns(units).to_pandas()
    after = unit_contacts(units, contacts, window_days=cfg.window_days).to_pandas()
    human = contacts.filter(contacts.channel != "chatbot")
    counts = human.aggregate(n=human.count(), labelled=human.intent.notnull().sum()).to_pandas()
    n_human = int(counts["n"].iloc[0])
    labelled = counts["labelled"].iloc[0]
    n_lab = 0 if pd.isna(labelled) else int(labelled)  # SUM over no rows: NULL (NaN on Spark)
    resolved = (
        human.filter(human.customer_id.notnull() & human.resolved_at.notnull())
        .select("customer_id")
        .distinct()
        .to_pandas()
    )
    cust = customers.select("customer_id", "monthly_value").to_pandas()
    ended = subscriptions.filter(
        subscriptions.status.isin(["churned", "cancelled"]) & subscriptions.ended_at.notnull()
    )
    churned = ended.select("customer_id").distinct().to_pandas()
    cust["churned"] = cust["customer_id"].isin(churned["customer_id"])
    cust["resolved_any"] = cust["customer_id"].isin(resolved["customer_id"])
    cust["responded"] = False
    cust["dissatisfied"] = False
    if surveys is not None:
        low = (
            ((surveys.kind == "nps") & (surveys.score <= cfg.nps_detractor_max))
            | ((surveys.kind == "csat") & (surveys.score <= cfg.csat_low_max))
            | ((surveys.kind == "ces") & (surveys.score <= cfg.ces_low_max))
        )
        sv = (
            surveys.filter(surveys.customer_id.notnull())
            .group_by("customer_id")
            .aggregate(dissatisfied=low.any())
            .to_pandas()
        )
        cust["responded"] = cust["customer_id"].isin(sv["customer_id"])
        bad = sv.loc[sv["dissatisfied"].astype(bool), "customer_id"]
        cust["dissatisfied"] = cust["customer_id"].isin(bad)
    stage_rows = signals.group_by(["page_path", "stage"]).aggregate(n=signals.count()).to_pandas()
    stages: dict[str, str] = {}
    if len(stage_rows):
        top = stage_rows.sort_values(["page_path", "n"], ascending=[True, False])
        top = top[top["stage"].notna()]
        stages = dict(top.drop_duplicates("page_path")[["page_path", "stage"]].itertuples(False))
    for page in patterns["page_path"].dropna().unique():
        if stages.get(page) is None:
            stages[page] = _default_stage(str(page))
    return SilentInputs(
        patterns=patterns,
        contacts_after=after,
        customers=cust,
        labelled_share=(n_lab / n_human) if n_human else 1.0,
        human_contacts=n_human,
        stages={str(k): str(v) for k, v in stages.items()},
    )


def _in_canonical_order(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` sorted by all its columns. Engines return rows in no set order, and float sums
    over them would otherwise differ in the last bits from one query plan (or engine) to
    another."""
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)


def _default_stage(page: str) -> str:
    """The stage of ``page`` by the default prefixes (when the signals carry none)."""
    for stage, prefixes in DEFAULT_STAGES.items():
        for prefix in prefixes:
            if page == prefix[:-1] if prefix.endswith("$") else page.startswith(prefix):
                return stage
    return OTHER_STAGE


def _codes(values: pd.Series) -> tuple[NDArray[np.int64], list[str]]:
    """Category codes with ``""``/False as 0 (the indicator did not fire)."""
    v = values.astype(str).replace({"False": "", "True": "loop"}).fillna("")
    cats = ["", *sorted(set(v.unique().tolist()) - {""})]
    codes = pd.Categorical(v, categories=cats).codes
    return np.asarray(codes, dtype=np.int64), cats


def _ci(draws: F64) -> tuple[float, float]:
    lo, hi = np.quantile(draws, [0.025, 0.975])
    return float(lo), float(hi)


def _wmean(w: F64, x: F64) -> F64:
    """Weighted means of ``x`` for every row of bootstrap weights ``w`` (B, n)."""
    den = w.sum(axis=1)
    return np.asarray(np.where(den > 0, (w @ x) / np.where(den > 0, den, 1.0), np.nan))


def _wratio(num: F64, den: F64) -> F64:
    """Row sums ``num / den`` (NaN where ``den`` sums to 0)."""
    n, d = num.sum(axis=1), den.sum(axis=1)
    return np.asarray(np.where(d > 0, n / np.where(d > 0, d, 1.0), np.nan))


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


def _strata_mixture(gr: _Groups, weights: F64, prior_rate: float) -> tuple[F64, F64]:
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


@dataclass
class _Groups:
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
    def of(cls, columns: dict[str, F64], value: F64, boot: NDArray[np.uint8]) -> _Groups:
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
class _CustomerWeights:
    """Poisson(1) bootstrap weights per customer, drawn once for all pages.

    One draw per customer and replicate (not per page) is cheaper, and it resamples a
    customer who is on several pages the same way on each, as the total row's sums need.
    """

    index: pd.Index
    table: NDArray[np.uint8]  # (customers, B)

    @classmethod
    def draw(cls, ids: pd.Series, n_boot: int, rng: np.random.Generator) -> _CustomerWeights:
        index = pd.Index(ids.dropna().unique()).sort_values()  # not the rows' order
        draws = rng.poisson(1.0, size=(len(index), n_boot))
        return cls(index, np.minimum(draws, 255).astype(np.uint8))  # P(> 255) is nil

    def rows(self, ids: pd.Series) -> NDArray[np.uint8]:
        """The weights of ``ids`` (all drawn), one customer per row."""
        at = self.index.get_indexer(pd.Index(ids))
        if (at < 0).any():  # -1 would silently take the last customer's weights
            raise ValueError("bootstrap weights asked for a customer that was not drawn")
        return np.asarray(self.table[at])


@dataclass
class _PageFit:
    page: str
    fit: LatentClassFit
    cats: list[list[str]]
    a_hat: float
    a_draws: F64
    cust: pd.DataFrame  # customer_id, w (posterior affected), units, top (likeliest unit's)
    helped: dict[str, set[Any]]  # help category -> customers with a unit that shows it
    post: pd.DataFrame  # error_kind, loop, help_kind -> post: a unit's posterior of a hit


def _fit_page(
    page: str, grp: pd.DataFrame, cfg: SilentConfig, rng: np.random.Generator
) -> _PageFit:
    ec, ecats = _codes(grp["error_kind"])
    lc, lcats = _codes(grp["loop"])
    hc, hcats = _codes(grp["help_kind"])
    codes = np.stack([ec, lc, hc], axis=1)
    # one number per pattern (mixed radix, so the same order as the rows') sorts far faster
    radix = codes.max(axis=0, initial=0) + 1
    flat = (codes[:, 0] * radix[1] + codes[:, 1]) * radix[2] + codes[:, 2]
    _, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
    uniq = codes[first]
    counts = np.bincount(inverse.ravel(), weights=grp["units"].to_numpy(float)).astype(np.float64)
    fit = fit_two_class(uniq, counts)
    if _is_problem(fit, cfg):
        # counted with the help seekers apart (kizuki.analytics.seekers); detection, the error
        # kind, the intent and the signal stay the two-class fit's
        three = fit_with_seekers(fit, uniq, counts)
        grid, loglik = profile_hit_units_seekers(three, uniq, counts)
        a_hat, draws = hit_units_posterior(grid, loglik, rng, n_draws=cfg.n_boot)
        post = posterior_hit_seekers(three, uniq)[inverse.ravel()]
    else:  # no problem on this page: nothing to estimate
        a_hat, draws = 0.0, np.zeros(cfg.n_boot)
        post = posterior_hit(fit, uniq)[inverse.ravel()]
    g = grp.assign(
        _log_miss=np.log1p(-np.minimum(post, 1 - 1e-12)) * grp["units"].to_numpy(float),
        _post=post,
    )
    by_pattern = g[[*UNIT_INDICATORS, "_post"]].drop_duplicates(list(UNIT_INDICATORS))
    by_pattern = by_pattern.rename(columns={"_post": "post"})
    g = g[g["customer_id"].notna()]
    per = g.groupby("customer_id", as_index=False).agg(
        _log_miss=("_log_miss", "sum"), units=("units", "sum"), top=("_post", "max")
    )
    per["w"] = 1.0 - np.exp(per["_log_miss"])
    cats = [ecats, lcats, hcats]
    helped = {str(h): set(ids) for h, ids in g.groupby("help_kind")["customer_id"] if h != ""}
    cust = per[["customer_id", "w", "units", "top"]]
    return _PageFit(page, fit, cats, a_hat, draws, cust, helped, by_pattern)


def _contacted_after_hit(pf: _PageFit, after: pd.DataFrame, intent: str | None) -> set[Any]:
    """Customers with a contact about ``intent`` after their likeliest hit unit on the page:
    the unit(s) with their highest posterior, so a contact that only followed a later, ordinary
    visit (a late contact, or one about something that happened since) is not the hit's."""
    mine = after[(after["page_path"] == pf.page) & (after["intent"] == intent)]
    if mine.empty:
        return set()
    mine = mine.merge(pf.post, on=list(UNIT_INDICATORS), how="inner")
    mine = mine.merge(pf.cust[["customer_id", "top"]], on="customer_id", how="inner")
    return set(mine.loc[mine["post"] >= mine["top"] - 1e-12, "customer_id"])


def _is_problem(fit: LatentClassFit, cfg: SilentConfig) -> bool:
    """Whether the page's two-class fit is a problem: significant against independence, and its
    hit class raises at least ``min_raised`` indicators (fires in at least ``raise_min_rate``
    of hit units and ``raise_lift`` times as often as in the background). One raised indicator
    is no co-occurrence: with enough units a heterogeneous background (sessions that loop a lot
    against short help-only ones) is significant on its own."""
    if not fit.p_value < cfg.alpha:
        return False
    raised = 0
    for p in fit.probs:
        hit, bg = 1.0 - p[0, 0], 1.0 - p[1, 0]
        raised += hit >= cfg.raise_min_rate and hit >= cfg.raise_lift * bg
    return raised >= cfg.min_raised


def _top(probs: F64, cats: list[str]) -> str | None:
    """The hit class's most likely category other than 'none'."""
    if len(cats) < 2:
        return None
    k = int(np.argmax(probs[0, 1 : len(cats)])) + 1
    return cats[k]


def _dominant_signal(fit: LatentClassFit) -> str:
    """The indicator whose firing rate the problem raises most (hit vs background odds)."""
    names = ("error", "loop", "help")
    best, best_lift = names[0], -np.inf
    for name, p in zip(names, fit.probs, strict=True):
        hit, bg = 1.0 - p[0, 0], 1.0 - p[1, 0]
        lift = hit / max(bg, 1e-9)
        if hit > 0.05 and lift > best_lift:
            best, best_lift = name, lift
    return best


def _page_intent(pf: _PageFit, after: pd.DataFrame, known: set[str]) -> str | None:
    """The hit class's likeliest help category that is a contact intent and fires more often
    than in the background, else the contact intent most enriched among likely-affected."""
    help_p = pf.fit.probs[2]
    cats = pf.cats[2]
    for code in np.argsort(-help_p[0, 1 : len(cats)]) + 1:
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


def _page_row(
    pf: _PageFit,
    inputs: SilentInputs,
    cfg: SilentConfig,
    rng: np.random.Generator,
    known: set[str],
    weights: _CustomerWeights,
) -> tuple[dict[str, Any], dict[str, F64]]:
    fit = pf.fit
    detected = _is_problem(fit, cfg)
    intent = _page_intent(pf, inputs.contacts_after, known) if detected else None
    cust = pf.cust.merge(inputs.customers, on="customer_id", how="left")
    n = len(cust)
    w = cust["w"].to_numpy(float)
    contacted = _contacted_after_hit(pf, inputs.contacts_after, intent)
    k = np.asarray(cust["customer_id"].isin(contacted), dtype=np.float64)
    churn = cust["churned"].fillna(False).to_numpy(float)
    value = cust["monthly_value"].fillna(0.0).to_numpy(float)
    resolved = cust["resolved_any"].fillna(False).to_numpy(float)
    responded = cust["responded"].fillna(False).to_numpy(float)
    dissat = cust["dissatisfied"].fillna(False).to_numpy(float)
    looked = pf.helped.get(intent, set()) if intent is not None else set()
    helped = np.asarray(cust["customer_id"].isin(looked), dtype=np.float64)

    b = cfg.n_boot
    boot = weights.rows(cust["customer_id"])
    gr = _Groups.of(
        {"w": w, "k": k, "churn": churn, "resolved": resolved, "responded": responded,
         "dissat": dissat, "helped": helped},
        value,
        boot,
    )  # fmt: skip
    a_draws = pf.a_draws if detected else np.zeros(b)
    a_hat = pf.a_hat if detected else 0.0
    lam_draws = rng.binomial(max(inputs.human_contacts, 1), inputs.labelled_share, b) / max(
        inputs.human_contacts, 1
    )
    lam_draws = np.maximum(lam_draws, 1e-9)
    if detected:
        prior = float(k.mean()) if k.size else 0.0
        post_hat, lab_hat = _strata_mixture(gr, gr.count, prior)
        post_b, lab_b = _strata_mixture(gr, gr.boot, prior)
        c_hat = float(min(lab_hat[0] / inputs.labelled_share, a_hat))
        c_draws = np.minimum(lab_b / lam_draws, a_draws)
    else:  # no problem class: the sessions' posterior is all there is
        post_hat, post_b = gr.w[None, :], np.broadcast_to(gr.w, gr.boot.shape)
        c_hat, c_draws = 0.0, np.zeros(b)
    s_hat, s_draws = a_hat - c_hat, a_draws - c_draws

    def groups(post: F64) -> dict[str, F64]:
        return {
            "silent": post * (1.0 - gr.k),
            "resolved": post * gr.k * gr.resolved,
            "unaffected": 1.0 - post,
        }

    g_hat, g_b = groups(post_hat), groups(post_b)
    churn_hat = {g: float(_wmean(gr.count * v, gr.churn)[0]) for g, v in g_hat.items()}
    churn_b = {g: _wmean(gr.boot * v, gr.churn) for g, v in g_b.items()}
    excess_hat = churn_hat["silent"] - churn_hat["unaffected"]
    excess_b = churn_b["silent"] - churn_b["unaffected"]
    value_hat = float(_wratio(g_hat["silent"] * gr.value, g_hat["silent"] * gr.count)[0])
    value_b = _wratio(g_b["silent"] * gr.boot_value, g_b["silent"] * gr.boot)
    rev_hat = s_hat * max(excess_hat, 0.0) * value_hat * cfg.horizon_months
    rev_b = s_draws * np.maximum(np.nan_to_num(excess_b), 0.0) * np.nan_to_num(value_b)
    rev_b = rev_b * cfg.horizon_months

    # survey: excess dissatisfied among likely-affected customers who did not contact
    nc = ((post_hat[0] >= 0.5) & (gr.k == 0)).astype(float)
    base = (post_hat[0] < 0.5).astype(float)

    def survey(weights: F64) -> F64:
        d1 = _wmean(weights * nc * gr.responded, gr.dissat)
        d0 = _wmean(weights * base * gr.responded, gr.dissat)
        excess = np.maximum(np.nan_to_num(d1 - d0), 0.0) / np.maximum(1.0 - np.nan_to_num(d0), 1e-9)
        return np.asarray(excess * (weights @ nc))

    survey_hat = float(survey(gr.count)[0])
    survey_b = survey(gr.boot)
    responses = int((gr.count[0] * nc * gr.responded).sum())

    good_low = c_hat / cfg.goodman_rate_high - c_hat
    good_high = c_hat / cfg.goodman_rate_low - c_hat
    good = c_hat / cfg.goodman_contact_rate - c_hat
    s_lo, s_hi = _ci(s_draws)
    if detected and s_hat > 0 and (s_hi - s_lo) <= s_hat:
        best = "measured"
    elif responses >= 30:
        best = "survey"
    else:
        best = "goodman"
    rate_b = c_draws / np.maximum(a_draws, 1e-9)
    row: dict[str, Any] = {
        "stage": inputs.stages.get(pf.page),
        "page_path": pf.page,
        "signal": _dominant_signal(fit) if detected else None,
        "error_kind": _top(fit.probs[0], pf.cats[0]) if detected else None,
        "intent": intent if detected else None,
        "detected": bool(detected),
        "p_value": fit.p_value,
        "units": fit.n_units,
        "customers": n,
        "affected": a_hat,
        "affected_ci_low": _ci(a_draws)[0],
        "affected_ci_high": _ci(a_draws)[1],
        "contacted": c_hat,
        "contacted_ci_low": _ci(c_draws)[0],
        "contacted_ci_high": _ci(c_draws)[1],
        "silent": s_hat,
        "silent_ci_low": s_lo,
        "silent_ci_high": s_hi,
        "contact_rate": c_hat / a_hat if a_hat > 0 else None,
        "contact_rate_ci_low": _ci(rate_b)[0] if detected else None,
        "contact_rate_ci_high": _ci(rate_b)[1] if detected else None,
        "churn_silent": churn_hat["silent"],
        "churn_resolved": churn_hat["resolved"],
        "churn_unaffected": churn_hat["unaffected"],
        "excess_churn": excess_hat,
        "excess_churn_ci_low": _ci(np.nan_to_num(excess_b))[0],
        "excess_churn_ci_high": _ci(np.nan_to_num(excess_b))[1],
        "monthly_value": value_hat,
        "revenue_at_risk": rev_hat,
        "revenue_at_risk_ci_low": _ci(rev_b)[0],
        "revenue_at_risk_ci_high": _ci(rev_b)[1],
        "goodman_silent": good,
        "goodman_silent_low": good_low,
        "goodman_silent_high": good_high,
        "survey_silent": survey_hat,
        "survey_silent_ci_low": _ci(survey_b)[0],
        "survey_silent_ci_high": _ci(survey_b)[1],
        "survey_responses": responses,
        "best_estimate": best,
    }
    draws = {"affected": a_draws, "contacted": c_draws, "silent": s_draws, "revenue": rev_b}
    return row, draws


def estimate_silent(
    inputs: SilentInputs,
    config: SilentConfig | None = None,
    *,
    rng: np.random.Generator | int | None = 0,
) -> pd.DataFrame:
    """The silent-customer table from :class:`SilentInputs` (pure; seeded).

    One row per modelled page, ranked by revenue at risk then silent customers (pages whose
    problem class is not significant come last with zero affected), and a last ``total`` row
    (``stage = "total"``, ``page_path`` null) summing the detected pages.
    """
    cfg = config or SilentConfig()
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    inputs = replace(
        inputs,
        patterns=_in_canonical_order(inputs.patterns),
        contacts_after=_in_canonical_order(inputs.contacts_after),
        customers=_in_canonical_order(inputs.customers),
    )
    pats = inputs.patterns
    known = set(inputs.contacts_after["intent"].dropna().astype(str))
    rows: list[dict[str, Any]] = []
    totals: dict[str, F64] = {}
    weights = _CustomerWeights.draw(pats["customer_id"], cfg.n_boot, gen)
    for page in sorted(pats["page_path"].dropna().unique()):
        grp = pats[pats["page_path"] == page]
        if float(grp["units"].sum()) < cfg.min_units:
            continue
        has_signal = (grp["error_kind"] != "") | grp["loop"].astype(bool) | (grp["help_kind"] != "")
        if not has_signal.any():
            continue
        pf = _fit_page(str(page), grp, cfg, gen)
        row, draws = _page_row(pf, inputs, cfg, gen, known, weights)
        rows.append(row)
        if row["detected"]:
            for key, d in draws.items():
                totals[key] = totals.get(key, 0.0) + d
    out = pd.DataFrame(rows, columns=list(SILENT_COLUMNS))
    if len(out):
        out = out.sort_values(
            ["detected", "revenue_at_risk", "silent"], ascending=[False, False, False]
        ).reset_index(drop=True)
    det = out[out["detected"]] if len(out) else out
    total: dict[str, Any] = dict.fromkeys(SILENT_COLUMNS)
    total.update(stage="total", detected=bool(len(det)), best_estimate="measured")
    for col in ("units", "affected", "contacted", "silent", "revenue_at_risk"):
        total[col] = float(det[col].sum()) if len(det) else 0.0
    for col in ("goodman_silent", "goodman_silent_low", "goodman_silent_high", "survey_silent"):
        total[col] = float(det[col].sum()) if len(det) else 0.0
    for key, col in (
        ("affected", "affected"),
        ("contacted", "contacted"),
        ("silent", "silent"),
        ("revenue", "revenue_at_risk"),
    ):
        if key in totals:
            total[f"{col}_ci_low"], total[f"{col}_ci_high"] = _ci(totals[key])
    if total["affected"]:
        total["contact_rate"] = total["contacted"] / total["affected"]
    return pd.concat([out, pd.DataFrame([total], columns=list(SILENT_COLUMNS))], ignore_index=True)


def silent_customers(
    *,
    events: ir.Table,
    signals: ir.Table,
    contacts: ir.Table,
    customers: ir.Table,
    subscriptions: ir.Table,
    surveys: ir.Table | None = None,
    incidents: ir.Table | None = None,
    config: SilentConfig | None = None,
    rng: np.random.Generator | int | None = 0,
) -> pd.DataFrame:
    """Silent customers and money at risk per friction page, and in total.

    Examples
    --------
    >>> from kizuki.store import open_store                       # doctest: +SKIP
    >>> st = open_store("duckdb:///kizuki.duckdb")                  # doctest: +SKIP
    >>> from kizuki.analytics.signals import find_struggle_signals  # doctest: +SKIP
    >>> silent_customers(events=st.table("events"), signals=..., contacts=st.table("contacts"),
    ...                  customers=st.table("customers"),
    ...                  subscriptions=st.table("subscriptions"))   # doctest: +SKIP
    """
    cfg = config or SilentConfig()
    inputs = load_silent_inputs(
        events=events,
        signals=signals,
        contacts=contacts,
        customers=customers,
        subscriptions=subscriptions,
        surveys=surveys,
        incidents=incidents,
        config=cfg,
    )
    return estimate_silent(inputs, cfg, rng=rng)
