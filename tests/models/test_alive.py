"""The BG/NBD model (issue 23): summaries computed by hand, the closed forms against numerical
integration of the model's definition, recovery of simulated parameters, and the contract.

Oracles: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way". The individual
BG/NBD likelihood given (λ, p) is integrated over Gamma(r, α) × Beta(a, b) with SciPy's
``dblquad``, independently of the closed form in :mod:`kizuki.models.alive`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from kizuki.errors import ConfigError, NotFittedError, NotFoundError
from kizuki.models.alive import (
    BGNBD,
    _Objective,
    bgnbd_log_likelihood,
    customer_summary,
    simulate_bgnbd,
)

#: Fader, Hardie & Lee (2005), CDNOW: r, α (per week), a, b.
CDNOW = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}


def fitted(params: dict[str, float] = CDNOW) -> BGNBD:
    """A model with the given parameters, as if fitted."""
    model = BGNBD()
    model.r_, model.alpha_, model.a_, model.b_ = (params[k] for k in ("r", "alpha", "a", "b"))
    model.log_likelihood_, model.n_customers_, model.n_iter_ = -1.0, 1, 1
    return model


# -- the summary -----------------------------------------------------------------------------

LOG = pd.DataFrame(
    {
        "who": ["a", "a", "a", "a", "b", "c", "c", "d"],
        "when": [
            "2026-01-01",
            "2026-01-01",  # same day: one purchase day
            "2026-01-08",
            "2026-01-22",
            "2026-01-15",
            "2026-01-03",
            "2026-02-20",  # after the cut-off of the until tests
            "2026-02-10",  # first purchase after the cut-off: dropped there
        ],
        "amount": [1, 2, 3, 4, 5, 6, 7, 8],
    }
)


def test_summary_counts_repeat_purchase_days_up_to_the_last_date() -> None:
    summary = customer_summary(LOG, "who", "when", unit="day")
    # last date 2026-02-20: a 01-01 → 50 days, b 01-15 → 36, c 01-03 → 48, d 02-10 → 10
    assert summary.to_dict("list") == {
        "customer_id": ["a", "b", "c", "d"],
        "frequency": [2, 0, 1, 0],
        "recency": [21.0, 0.0, 48.0, 0.0],
        "T": [50.0, 36.0, 48.0, 10.0],
    }
    assert summary.dtypes.to_dict() == {
        "customer_id": LOG["who"].dtype,
        "frequency": np.dtype("int64"),
        "recency": np.dtype("float64"),
        "T": np.dtype("float64"),
    }


def test_summary_until_leaves_out_later_purchases_and_later_customers() -> None:
    summary = customer_summary(LOG, "who", "when", until="2026-01-31", unit="day")
    assert summary.to_dict("list") == {
        "customer_id": ["a", "b", "c"],
        "frequency": [2, 0, 0],
        "recency": [21.0, 0.0, 0.0],
        "T": [30.0, 16.0, 28.0],
    }


def test_summary_in_weeks_is_days_over_seven() -> None:
    days = customer_summary(LOG, "who", "when", until="2026-01-31", unit="day")
    weeks = customer_summary(LOG, "who", "when", until="2026-01-31")
    np.testing.assert_allclose(weeks[["recency", "T"]], days[["recency", "T"]] / 7)
    assert weeks["frequency"].tolist() == days["frequency"].tolist()


def test_summary_reads_timestamps_on_their_own_day_and_yyyymmdd_numbers() -> None:
    stamps = pd.DataFrame(
        {
            "c": [1, 1, 2, 2],
            "t": ["2026-01-01T23:30+09:00", "2026-01-02T00:10+09:00", "19970101", "1997-01-08"],
        }
    )
    summary = customer_summary(stamps, "c", "t", until="2026-01-02", unit="day")
    assert summary["frequency"].tolist() == [1, 1]
    numbers = pd.DataFrame({"c": [1, 1], "t": [19970101, 19970115]})
    assert customer_summary(numbers, "c", "t")["recency"].tolist() == [2.0]


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (LOG, {"date": "day"}, r"no column 'day'; their columns are 'who', 'when', 'amount'"),
        (LOG.assign(who=[None, *LOG["who"][1:]]), {}, r"row 0: column 'who' has no customer"),
        (
            LOG.assign(when=[*LOG["when"][:5], "2026/13/01", *LOG["when"][6:]]),
            {},
            r"row 5: when '2026/13/01' is not a date \(1 of 8 rows",
        ),
        (LOG, {"until": "1997-02-30"}, r"until '1997-02-30' is not a date"),
        (LOG, {"unit": "month"}, r"unit 'month' is not a time unit; give one of: day, week"),
    ],
    ids=["missing-column", "missing-customer", "bad-date", "bad-until", "bad-unit"],
)
def test_summary_errors_name_the_column_and_value(
    frame: pd.DataFrame, kwargs: dict[str, str], message: str
) -> None:
    args = {"customer": "who", "date": "when"} | kwargs
    with pytest.raises(ConfigError, match=message):
        customer_summary(frame, **args)


# -- the closed forms against the model's definition ------------------------------------------


def _integrate(integrand: Callable[[float, float], float], params: dict[str, float]) -> float:
    """∫∫ integrand(λ, p) dGamma(λ; shape r, rate α) dBeta(p; a, b), numerically.

    In u = λ^s (s = min(r, 1)) and v = p^c (c = min(a, 1)) the densities have no singularity
    at 0 (λ^(r-1) dλ = u^(r/s-1) du / s), which adaptive quadrature needs to be quick and exact.
    """
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    s, c = min(r, 1.0), min(a, 1.0)
    log_gamma_norm = r * math.log(alpha) - math.lgamma(r) - math.log(s)
    log_beta_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) - math.log(c)

    def f(v: float, u: float) -> float:
        lam, p = u ** (1 / s), v ** (1 / c)
        density = math.exp(log_gamma_norm - alpha * lam + log_beta_norm) * (1 - p) ** (b - 1)
        return integrand(lam, p) * density * u ** (r / s - 1) * v ** (a / c - 1)

    return float(integrate.dblquad(f, 0, np.inf, 0, 1, epsabs=0.0, epsrel=1e-10)[0])


def _individual_likelihood(x: int, t_x: float, t: float) -> Callable[[float, float], float]:
    """The BG/NBD likelihood given (λ, p) (Fader, Hardie & Lee 2005, eq. 3): alive at T after
    x purchases, or gone after the x-th."""

    def f(lam: float, p: float) -> float:
        alive = (1 - p) ** x * lam**x * math.exp(-lam * t)
        gone = p * (1 - p) ** (x - 1) * lam**x * math.exp(-lam * t_x) if x > 0 else 0.0
        return alive + gone

    return f


CASES = [(2, 30.43, 38.86), (0, 0.0, 38.86), (7, 20.0, 30.0)]


@pytest.mark.parametrize(("x", "t_x", "t"), CASES, ids=["x2", "x0", "x7"])
def test_log_likelihood_of_one_customer_matches_numerical_integration(
    x: int, t_x: float, t: float
) -> None:
    by_integration = math.log(_integrate(_individual_likelihood(x, t_x, t), CDNOW))
    closed_form = bgnbd_log_likelihood([x], [t_x], [t], **CDNOW)[0]
    assert closed_form == pytest.approx(by_integration, abs=1e-9)


@pytest.mark.parametrize(
    ("params", "horizon"),
    [(CDNOW, 39.0), ({"r": 0.5, "alpha": 3.0, "a": 2.5, "b": 4.0}, 104.0)],
    ids=["cdnow-a<1", "a>1-two-years"],
)
def test_expected_purchases_match_numerical_integration(
    params: dict[str, float], horizon: float
) -> None:
    model = fitted(params)
    for x, t_x, t in CASES:

        def purchases(lam: float, p: float, x: int = x, t: float = t) -> float:
            # alive at T (the first term of eq. 3), then 1/p (1 - exp(-λpt)) purchases in t
            alive = (1 - p) ** x * lam**x * math.exp(-lam * t)
            return alive * -math.expm1(-lam * p * horizon) / p

        expected = _integrate(purchases, params) / _integrate(
            _individual_likelihood(x, t_x, t), params
        )
        assert model.expected_purchases(horizon, x, t_x, t)[0] == pytest.approx(expected, 1e-9)


def test_gradient_matches_finite_differences() -> None:
    from scipy.optimize import approx_fprime

    rng = np.random.default_rng(3)
    x, t_x, t = simulate_bgnbd(2_000, 0.5, 3.0, 1.5, 3.0, rng.uniform(20, 40, 2_000), rng)
    objective = _Objective(x.astype(float), t_x, t, penalizer=0.01)
    theta = np.log([0.3, 5.0, 0.9, 2.0])
    numeric = approx_fprime(theta, lambda z: objective(z)[0], 1e-7)
    np.testing.assert_allclose(objective(theta)[1], numeric, rtol=1e-4, atol=1e-7)


# -- fitting ----------------------------------------------------------------------------------


def test_simulated_purchases_match_the_papers_expectation() -> None:
    # a new customer's E[X(t)] (eq. 9) is eq. 10 at x = t_x = T = 0; 4 standard errors
    rng = np.random.default_rng(7)
    x, _, _ = simulate_bgnbd(100_000, **CDNOW, T=52.0, rng=rng)
    expected = fitted().expected_purchases(52.0, 0, 0.0, 0.0)[0]
    assert abs(x.mean() - expected) < 4 * x.std() / np.sqrt(len(x))


def test_fit_recovers_simulated_parameters() -> None:
    # Over 200 seeds of 20,000 customers (T uniform on 26-78 weeks) the estimates' relative
    # sd was r 1.5%, α 2.6%, a 5.9%, b 7.9% and their mean within 0.3% of the truth: each
    # tolerance is 4 of those sd.
    rng = np.random.default_rng(2026)
    n = 20_000
    x, t_x, t = simulate_bgnbd(n, **CDNOW, T=rng.uniform(26, 78, n), rng=rng)
    model = BGNBD().fit(x, t_x, t)
    for name, tolerance in {"r": 0.06, "alpha": 0.10, "a": 0.24, "b": 0.32}.items():
        assert model.params_[name] == pytest.approx(CDNOW[name], rel=tolerance), name
    assert model.n_customers_ == n
    assert model.log_likelihood_ == pytest.approx(
        bgnbd_log_likelihood(x, t_x, t, **model.params_).sum(), rel=1e-12
    )


def test_a_summary_frame_an_array_and_three_arrays_are_alike() -> None:
    rng = np.random.default_rng(1)
    x, t_x, t = simulate_bgnbd(3_000, **CDNOW, T=39.0, rng=rng)
    frame = pd.DataFrame({"customer_id": range(3_000), "frequency": x, "recency": t_x, "T": t})
    model = BGNBD().fit(frame)
    assert BGNBD().fit(np.column_stack([x, t_x, t])).params_ == model.params_
    assert BGNBD().fit(x, t_x, t).params_ == model.params_
    np.testing.assert_array_equal(model.p_alive(frame), model.p_alive(x, t_x, t))
    np.testing.assert_array_equal(
        model.expected_purchases(10.0, frame), model.expected_purchases(10.0, x, t_x, t)
    )


def test_penalizer_shrinks_the_parameters() -> None:
    rng = np.random.default_rng(1)
    x, t_x, t = simulate_bgnbd(3_000, **CDNOW, T=39.0, rng=rng)
    plain, shrunk = BGNBD().fit(x, t_x, t), BGNBD(penalizer=0.1).fit(x, t_x, t)
    assert sum(v**2 for v in shrunk.params_.values()) < sum(v**2 for v in plain.params_.values())
    assert shrunk.log_likelihood_ < plain.log_likelihood_


def test_p_alive_is_one_without_repeat_purchases_and_falls_with_time_since() -> None:
    model = fitted()
    assert model.p_alive([0, 0], [0.0, 0.0], [1.0, 80.0]).tolist() == [1.0, 1.0]
    since = model.p_alive(3, 10.0, np.array([10.0, 20.0, 40.0, 80.0]))
    assert since[0] > since[1] > since[2] > since[3] > 0
    # by hand: 1 / (1 + a/(b+x-1) ((α+T)/(α+t_x))^(r+x)) at x=3, t_x=10, T=20
    odds = 0.7929 / (2.4259 + 2) * ((4.4136 + 20) / (4.4136 + 10)) ** 3.2426
    assert since[1] == pytest.approx(1 / (1 + odds), rel=1e-12)


# -- the contract -----------------------------------------------------------------------------


def test_clone_keeps_the_hyperparameters_only() -> None:
    model = BGNBD(penalizer=0.01, tol=1e-8, max_iter=50)
    copy = clone(model)
    assert copy.get_params() == {"penalizer": 0.01, "tol": 1e-8, "max_iter": 50}
    assert not hasattr(copy, "r_")


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.params_,
        lambda m: m.p_alive(1, 1.0, 2.0),
        lambda m: m.expected_purchases(1.0, 1, 1.0, 2.0),
        lambda m: m.save("never.json"),
    ],
    ids=["params_", "p_alive", "expected_purchases", "save"],
)
def test_not_fitted_raises_naming_fit(call: object) -> None:
    with pytest.raises(NotFittedError, match=r"BGNBD is not fitted yet; call BGNBD.fit first"):
        call(BGNBD())  # type: ignore[operator]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1, -1], [1.0, 0.0], [2.0, 2.0]), r"row 1: frequency -1.*whole number >= 0"),
        (([1.5], [1.0], [2.0]), r"row 0: frequency 1.5.*whole number"),
        (([1, 1], [1.0, 3.0], [2.0, 2.0]), r"row 1: frequency 1, recency 3, T 2: T must be >="),
        (([0], [1.0], [2.0]), r"recency must be 0 when frequency is 0"),
        (([1], [np.nan], [2.0]), r"recency must be >= 0"),
        (([1, 2], [1.0], [2.0, 3.0, 4.0]), r"numbers of one length"),
        ((pd.DataFrame({"frequency": [1], "T": [2.0]}),), r"no column 'recency'"),
        (([], [], []), r"no customers"),
    ],
    ids=[
        "negative",
        "fractional",
        "T<recency",
        "recency-without-repeats",
        "nan",
        "lengths",
        "frame-column",
        "empty",
    ],
)
def test_fit_refuses_invalid_summaries(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        BGNBD().fit(*args)  # type: ignore[arg-type]


def test_too_few_iterations_warn_that_the_fit_did_not_converge() -> None:
    x, t_x, t = simulate_bgnbd(500, **CDNOW, T=39.0, rng=np.random.default_rng(0))
    with pytest.warns(ConvergenceWarning, match=r"did not converge in 2 iterations"):
        BGNBD(max_iter=2).fit(x, t_x, t)


def test_fit_refuses_invalid_hyperparameters() -> None:
    with pytest.raises(ConfigError, match=r"penalizer >= 0.*got penalizer=-1"):
        BGNBD(penalizer=-1).fit([1], [1.0], [2.0])


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    x, t_x, t = simulate_bgnbd(2_000, **CDNOW, T=39.0, rng=rng)
    model = BGNBD(penalizer=0.001).fit(x, t_x, t)
    path = model.save(tmp_path / "alive.json")
    loaded = BGNBD.load(path)
    assert loaded.get_params() == model.get_params()
    assert loaded.params_ == model.params_
    assert (loaded.log_likelihood_, loaded.n_customers_) == (
        model.log_likelihood_,
        model.n_customers_,
    )
    np.testing.assert_array_equal(loaded.p_alive(x, t_x, t), model.p_alive(x, t_x, t))


def test_load_warns_when_another_version_saved_it(tmp_path: Path) -> None:
    path = fitted().save(tmp_path / "alive.json")
    record = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(record | {"kizuki_version": "0.0.1"}), encoding="utf-8")
    with pytest.warns(UserWarning, match=r"saved by Kizuki 0.0.1"):
        assert BGNBD.load(path).r_ == CDNOW["r"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"does not exist"),
        ("not json", r"is not a Kizuki BG/NBD model"),
        ('{"format": "kizuki-intent-model"}', r"is not a Kizuki BG/NBD model"),
        ('{"format": "kizuki-bgnbd", "format_version": 99}', r"format version 99"),
    ],
    ids=["missing", "not-json", "other-format", "other-format-version"],
)
def test_load_refuses_what_is_not_a_saved_model(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "model.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(NotFoundError, match=message):
        BGNBD.load(path)


def test_simulation_is_reproducible_and_refuses_bad_parameters() -> None:
    draws = [simulate_bgnbd(100, **CDNOW, T=39.0, rng=np.random.default_rng(4)) for _ in "ab"]
    for first, second in zip(*draws, strict=True):
        np.testing.assert_array_equal(first, second)
    with pytest.raises(ConfigError, match=r"r, alpha, a, b > 0.*r=0"):
        simulate_bgnbd(10, 0.0, 1.0, 1.0, 1.0, 39.0, np.random.default_rng(0))
