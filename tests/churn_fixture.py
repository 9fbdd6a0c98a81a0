"""A subscription business's customers, simulated with a known churn mechanism.

Churn is likelier for month-to-month contracts, in the first six months and the shorter the
tenure, for month-to-month customers paying more than 90 a month, and with more support
tickets; plan, paperless billing and ``noise`` play no part. The table is as messy as a real
export: ``total_charges`` is text with a few blanks (as in IBM Telco), ``support_tickets`` has
missing values, ``plan`` is a pandas category, ``paperless_billing`` a bool and ``customer_id``
an identifier.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["DRIVERS", "simulate_customers"]

#: The features that drive churn when they are at their risky values.
DRIVERS = ("tenure_months", "contract")


def simulate_customers(n: int, seed: int) -> tuple[pd.DataFrame, NDArray[np.float64]]:
    """``n`` customers (with ``churned`` Yes/No) and each one's true churn probability."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 73, n)
    contract = rng.choice(["month-to-month", "one-year", "two-year"], n, p=[0.5, 0.25, 0.25])
    monthly = rng.uniform(20, 120, n).round(2)
    tickets = rng.poisson(1.0, n).astype(float)
    tickets[rng.random(n) < 0.05] = np.nan
    total = np.array([f"{t * m:.2f}" for t, m in zip(tenure, monthly, strict=True)], dtype=object)
    total[rng.random(n) < 0.02] = " "
    monthly_contract = contract == "month-to-month"
    logit = (
        -2.4
        + 1.8 * monthly_contract
        + 1.5 * (tenure <= 6)
        - 0.03 * tenure
        + 0.9 * (monthly_contract & (monthly > 90))
        + 0.3 * np.nan_to_num(tickets)
    )
    probability = 1.0 / (1.0 + np.exp(-logit))
    churned = rng.random(n) < probability
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{seed:02d}{i:06d}" for i in range(n)],
            "tenure_months": tenure,
            "contract": contract,
            "monthly_charges": monthly,
            "total_charges": total,
            "support_tickets": tickets,
            "plan": pd.Categorical(rng.choice(["basic", "plus", "pro"], n)),
            "paperless_billing": rng.random(n) < 0.6,
            "noise": rng.normal(size=n),
            "churned": np.where(churned, "Yes", "No"),
        }
    )
    return frame, probability
