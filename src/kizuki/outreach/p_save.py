"""P(save | reached) learned from the team's own outreach (issue 23, docs/outreach.md).

Every delivered queue item records the customer's P(churn) when it was sent. Once a sent
item's window has passed, the churn it was expected to see is that P(churn) and the churn it
did see is whether the customer left within the window. Over all such items, with ``E`` the
expected and ``O`` the observed churners, the share of expected churn that did not happen is
``(E − O) / E``; it is shrunk towards the prior with the prior's weight ``k`` counted in
expected churners:

    P(save) = (k × prior + E − O) / (k + E),   clipped to [0, 1].

It leans on the model's calibration (``result_churn_model.brier``) and on the customers who
were reached being like those who were scored; a held-out group that is never contacted is the
stronger design, and a team that keeps one can put its measured rate in ``p_save``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["learned_p_save"]


def learned_p_save(
    sent: pd.DataFrame,
    churned_at: pd.Series,
    data_end: dt.datetime,
    window_days: int,
    *,
    prior: float,
    weight: float,
) -> tuple[float, dict[str, Any]]:
    """P(save | reached) and how it was found (``p_save_from``: prior or outreach;
    ``outreach_reached``: sent items whose window has passed).

    ``sent``: ``customer_id, sent_at, p_churn`` of delivered items; ``churned_at``:
    customer_id → when the customer left (missing: they did not).
    """
    info: dict[str, Any] = {"p_save": prior, "p_save_from": "prior", "outreach_reached": 0}
    if not len(sent):
        return prior, info
    window = pd.Timedelta(days=window_days)
    at = pd.to_datetime(sent["sent_at"], utc=True)
    p = pd.to_numeric(sent["p_churn"], errors="coerce")
    done = (at + window <= pd.Timestamp(data_end)) & p.notna()
    if not done.any():
        return prior, info
    rows = sent[done.to_numpy()]
    left = pd.to_datetime(rows["customer_id"].map(churned_at), utc=True)
    at = at[done]
    observed = float(((left >= at) & (left < at + window)).sum())
    expected = float(p[done].sum())
    value = float(np.clip((weight * prior + expected - observed) / (weight + expected), 0, 1))
    info.update(p_save=value, p_save_from="outreach", outreach_reached=int(done.sum()))
    return value, info
