"""The small page's signal-excess test and count (kizuki.analytics.silent.signal_excess)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kizuki.analytics.silent import SilentConfig, estimate_silent
from kizuki.analytics.silent.inputs import SilentInputs
from kizuki.analytics.silent.signal_excess import Background, binomial_sf, fit_excess


@pytest.mark.parametrize(("k", "n", "p"), [(0, 5, 0.3), (3, 10, 0.1), (10, 10, 0.5), (7, 40, 0.02)])
def test_binomial_tail_is_exact(k: int, n: int, p: float) -> None:
    brute = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))
    assert binomial_sf(k, n, p) == pytest.approx(brute, rel=1e-9, abs=1e-300)


def _rows(page: str, n: int, error: str = "", customers: int | None = None) -> pd.DataFrame:
    ids = [f"{page}-{i % (customers or n)}" for i in range(n)]
    return pd.DataFrame(
        {
            "person_id": ids,
            "customer_id": ids,
            "page_path": page,
            "error_kind": error,
            "loop": False,
            "help_kind": "",
            "units": 1,
        }
    )


def _store(error_units: int) -> pd.DataFrame:
    """Four quiet pages of 60 units with a stray generic error each, and /import whose
    ``error_units`` of 40 units met ImportError (every session there ended at the page)."""
    quiet = [_rows(p, 60) for p in ("/a", "/b", "/c", "/d")]
    for q in quiet:
        q.loc[0, "error_kind"] = "HTTP 502"
    hit = _rows("/import", error_units, "ImportError")
    calm = _rows("/import-ok", 40 - error_units).assign(page_path="/import")
    return pd.concat([*quiet, hit, calm], ignore_index=True)


def test_an_error_every_session_of_a_small_page_met_is_found_and_counted() -> None:
    pats = _store(40)
    bg = Background.of(pats)
    cfg = SilentConfig()
    fit = fit_excess(
        "/import", pats[pats.page_path == "/import"], bg, cfg, np.random.default_rng(0)
    )
    assert fit.error_kind == "ImportError" and fit.signal == "error"
    assert fit.p_value < 1e-30
    assert fit.a_hat == pytest.approx(40, abs=0.5)
    lo, hi = np.quantile(fit.a_draws, [0.025, 0.975])
    assert lo <= 40 <= hi
    quiet = fit_excess("/a", pats[pats.page_path == "/a"], bg, cfg, np.random.default_rng(0))
    assert not quiet.found  # one generic error in 60 units is the background's rate


def _inputs(pats: pd.DataFrame) -> SilentInputs:
    customers = pd.DataFrame(
        {
            "customer_id": pats["customer_id"].unique(),
            "monthly_value": 10.0,
            "churned": False,
            "resolved_any": False,
            "responded": False,
            "dissatisfied": False,
        }
    )
    after = pd.DataFrame(
        columns=["customer_id", "page_path", "intent", "error_kind", "loop", "help_kind"]
    )
    return SilentInputs(pats, after, customers, 1.0, 0, {p: "use" for p in pats.page_path})


def test_the_table_reports_the_small_page_by_the_signal_excess_method() -> None:
    table = estimate_silent(_inputs(_store(40)), SilentConfig(n_boot=50), rng=0)
    row = table[table["page_path"] == "/import"].iloc[0]
    assert bool(row["detected"]) and row["method"] == "signal_excess"
    assert row["affected_ci_low"] <= 40 <= row["affected_ci_high"] + 1e-6
    assert "signal_only" in row["diagnostic"]
    others = table[table["page_path"].isin(["/a", "/b", "/c", "/d"])]
    assert not others["detected"].any()
