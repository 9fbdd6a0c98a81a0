"""What to fix first: detected problems ranked by money at risk, each with a suggested action.

:func:`fix_first` joins three small result tables in pandas (no events):

- ``result_silent_customers`` gives the rows: every page whose problem the silent-customer
  estimator detected, with affected and silent customers, contact rate, excess churn and
  revenue at risk (95% intervals);
- ``result_friction_points`` gives, for each row, its *friction point* (the point at the page
  with the row's signal; its intent when it has one, else the point without intent) with the
  signal's rate on the page against its background rate, and the strongest *help evidence*
  (a failed-help signal about the row's intent at the page);
- ``result_friction_paths`` gives the point's most common paths before and after.

The suggested action follows :func:`suggest_action`, a documented rule (docs/silent.md,
"What to fix first") with thresholds in :class:`FixFirstConfig`.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from kizuki.errors import SchemaError

__all__ = [
    "ACTIONS",
    "FIX_FIRST_COLUMNS",
    "HELP_SIGNALS",
    "FixFirstConfig",
    "fix_first",
    "suggest_action",
]

Action = Literal["route_to_human", "fix_bug", "proactive_message", "fix_help_content"]
#: The suggested actions, in the order the rule tries them.
ACTIONS: tuple[Action, ...] = ("route_to_human", "fix_bug", "proactive_message", "fix_help_content")
#: Signals that say a customer looked for an answer and did not find it.
HELP_SIGNALS = ("zero_result_search", "search_reformulation", "repeated_help_views", "help_exit")
#: Signals of a product fault (the customer cannot get past it alone).
BUG_SIGNALS = ("error", "rage_click")
FAULT_SIGNALS = (*BUG_SIGNALS, "unfinished_flow")

#: Columns of :func:`fix_first`, in order.
FIX_FIRST_COLUMNS = (
    "rank",
    "rank_customers",
    "stage",
    "page_path",
    "intent",
    "signal",
    "error_kind",
    "point_id",
    "affected",
    "affected_ci_low",
    "affected_ci_high",
    "contacted",
    "silent",
    "silent_ci_low",
    "silent_ci_high",
    "contact_rate",
    "churn_silent",
    "churn_unaffected",
    "excess_churn",
    "revenue_at_risk",
    "revenue_at_risk_ci_low",
    "revenue_at_risk_ci_high",
    "signal_customers",
    "page_sessions",
    "page_rate",
    "background_rate",
    "lift",
    "help_signal",
    "help_intent",
    "help_lift",
    "action",
    "action_reason",
    "paths_before",
    "paths_after",
)
_SILENT_NEEDS = (
    "stage",
    "page_path",
    "signal",
    "error_kind",
    "intent",
    "detected",
    "affected",
    "silent",
    "contact_rate",
    "excess_churn",
    "revenue_at_risk",
)
_POINT_NEEDS = (
    "point_id",
    "stage",
    "signal",
    "page_path",
    "intent",
    "customers",
    "page_sessions",
    "page_rate",
    "background_rate",
    "lift",
    "excess_sessions",
)
_PATH_NEEDS = ("point_id", "direction", "rank", "path")
PATH_SEPARATOR = "\n"


class FixFirstConfig(BaseModel):
    """Thresholds of the suggested-action rule (docs/silent.md, "What to fix first")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    high_contact_rate: Annotated[
        float, Field(ge=0.0, le=1.0, description="contact rate from which to route to a human")
    ] = 0.15
    serious_excess_churn: Annotated[
        float, Field(ge=0.0, le=1.0, description="excess churn that makes a bug urgent")
    ] = 0.15
    min_excess_churn: Annotated[
        float, Field(ge=0.0, le=1.0, description="excess churn worth a proactive message")
    ] = 0.05
    help_lift_min: Annotated[
        float, Field(ge=1.0, description="lift of a help signal that counts as help evidence")
    ] = 2.0
    top_paths: Annotated[int, Field(ge=1, le=10, description="example paths per direction")] = 3


def _number(value: Any) -> float:
    """``value`` as a float, 0.0 for None/NaN (an unknown rate or churn triggers nothing)."""
    if value is None:
        return 0.0
    number = float(value)
    return 0.0 if math.isnan(number) else number


def suggest_action(
    signal: str | None,
    contact_rate: float | None,
    excess_churn: float | None,
    has_help_evidence: bool,
    config: FixFirstConfig | None = None,
) -> tuple[Action, str]:
    """The suggested action for a problem and the reason code; the first rule that holds wins.

    1. contact rate ≥ ``high_contact_rate``: ``route_to_human`` (``high_contact_rate``);
    2. an error or rage click with excess churn ≥ ``serious_excess_churn``: ``fix_bug``
       (``serious_churn``);
    3. an error, rage click or unfinished flow with excess churn ≥ ``min_excess_churn``:
       ``proactive_message`` (``silent_churn``);
    4. help evidence at the page: ``fix_help_content`` (``help_struggle``);
    5. an error or rage click: ``fix_bug`` (``product_fault``);
    6. otherwise ``fix_help_content`` (``page_struggle``).

    Examples
    --------
    >>> suggest_action("error", 0.02, 0.10, True)
    ('proactive_message', 'silent_churn')
    >>> suggest_action("loop", 0.30, 0.0, False)
    ('route_to_human', 'high_contact_rate')
    """
    config = config or FixFirstConfig()
    rate, churn = _number(contact_rate), _number(excess_churn)
    if rate >= config.high_contact_rate:
        return "route_to_human", "high_contact_rate"
    if signal in BUG_SIGNALS and churn >= config.serious_excess_churn:
        return "fix_bug", "serious_churn"
    if signal in FAULT_SIGNALS and churn >= config.min_excess_churn:
        return "proactive_message", "silent_churn"
    if has_help_evidence:
        return "fix_help_content", "help_struggle"
    if signal in BUG_SIGNALS:
        return "fix_bug", "product_fault"
    return "fix_help_content", "page_struggle"


def _check(frame: pd.DataFrame, needs: tuple[str, ...], name: str) -> None:
    missing = [c for c in needs if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{name} lacks the columns {missing}; run `kizuki analyze` again to rewrite it"
        )


def _same(left: Any, right: Any) -> bool:
    """Equal, with None and NaN equal to each other."""
    return (pd.isna(left) and pd.isna(right)) or (
        not pd.isna(left) and not pd.isna(right) and left == right
    )


def _strongest(points: pd.DataFrame) -> pd.Series:
    """The point with the most excess sessions (ties: smallest point id)."""
    best: pd.Series = points.sort_values(
        ["excess_sessions", "point_id"], ascending=[False, True]
    ).iloc[0]
    return best


def _main_point(row: pd.Series, points: pd.DataFrame) -> pd.Series | None:
    """The friction point of a problem: its page and signal, with its intent or without one."""
    at = points[(points["page_path"] == row["page_path"]) & (points["signal"] == row["signal"])]
    for wanted in (row["intent"], None):
        same = at[[_same(i, wanted) for i in at["intent"]]]
        if len(same):
            return _strongest(same)
    return None


def _help_point(row: pd.Series, points: pd.DataFrame, config: FixFirstConfig) -> pd.Series | None:
    """The strongest failed-help signal at the page about the problem's intent (any when None)."""
    at = points[
        (points["page_path"] == row["page_path"])
        & points["signal"].isin(HELP_SIGNALS)
        & (points["lift"].fillna(0.0) >= config.help_lift_min)
    ]
    if not pd.isna(row["intent"]):
        at = at[at["intent"] == row["intent"]]
    return _strongest(at) if len(at) else None


def _paths(paths: pd.DataFrame, point: str | None, direction: str, top: int) -> str | None:
    if point is None:
        return None
    rows = paths[(paths["point_id"] == point) & (paths["direction"] == direction)]
    rows = rows.sort_values("rank").head(top)
    return PATH_SEPARATOR.join(rows["path"].astype(str)) if len(rows) else None


def _get(point: pd.Series | None, column: str) -> Any:
    return None if point is None else point[column]


def fix_first(
    silent: pd.DataFrame,
    points: pd.DataFrame,
    paths: pd.DataFrame,
    config: FixFirstConfig | None = None,
) -> pd.DataFrame:
    """Detected problems ranked by revenue at risk, with context and a suggested action.

    Parameters
    ----------
    silent
        ``result_silent_customers`` (:func:`kizuki.analytics.silent.silent_customers`).
    points
        ``result_friction_points`` (:func:`kizuki.analytics.friction.find_friction_points`).
    paths
        ``result_friction_paths`` (:func:`kizuki.analytics.friction.friction_paths`).
    config
        Thresholds of the action rule; :class:`FixFirstConfig` defaults when None.

    Returns
    -------
    One row per detected page problem, the columns :data:`FIX_FIRST_COLUMNS` (docs/metrics.md):
    ``rank`` 1 has the most revenue at risk (ties: more silent customers, then page path);
    ``rank_customers`` orders by affected customers instead. Empty (with those columns) when
    nothing was detected.

    Examples
    --------
    >>> import pandas as pd
    >>> silent = pd.DataFrame([{"stage": "setup", "page_path": "/setup", "signal": "error",
    ...     "error_kind": "E1", "intent": "setup_help", "detected": True, "affected": 100.0,
    ...     "silent": 90.0, "contact_rate": 0.1, "excess_churn": 0.2,
    ...     "revenue_at_risk": 5000.0}])
    >>> empty = pd.DataFrame(columns=["point_id", "stage", "signal", "page_path", "intent",
    ...     "customers", "page_sessions", "page_rate", "background_rate", "lift",
    ...     "excess_sessions"])
    >>> fix_first(silent, empty, pd.DataFrame(columns=["point_id", "direction", "rank", "path"]))[
    ...     ["rank", "page_path", "action"]].to_dict("records")
    [{'rank': 1, 'page_path': '/setup', 'action': 'fix_bug'}]
    """
    config = config or FixFirstConfig()
    _check(silent, _SILENT_NEEDS, "result_silent_customers")
    _check(points, _POINT_NEEDS, "result_friction_points")
    _check(paths, _PATH_NEEDS, "result_friction_paths")
    found = silent[(silent["stage"] != "total") & silent["detected"].fillna(False).astype(bool)]
    rows: list[dict[str, Any]] = []
    for _, row in found.iterrows():
        main = _main_point(row, points)
        helped = _help_point(row, points, config)
        action, reason = suggest_action(
            row["signal"], row["contact_rate"], row["excess_churn"], helped is not None, config
        )
        point = _get(main, "point_id")
        rows.append(
            {
                **{c: row.get(c) for c in FIX_FIRST_COLUMNS if c in silent.columns},
                "point_id": point,
                "signal_customers": _get(main, "customers"),
                "page_sessions": _get(main, "page_sessions"),
                "page_rate": _get(main, "page_rate"),
                "background_rate": _get(main, "background_rate"),
                "lift": _get(main, "lift"),
                "help_signal": _get(helped, "signal"),
                "help_intent": _get(helped, "intent"),
                "help_lift": _get(helped, "lift"),
                "action": action,
                "action_reason": reason,
                "paths_before": _paths(paths, point, "before", config.top_paths),
                "paths_after": _paths(paths, point, "after", config.top_paths),
            }
        )
    out = pd.DataFrame(rows, columns=[c for c in FIX_FIRST_COLUMNS if c != "rank_customers"])
    if not len(out):
        return pd.DataFrame(columns=list(FIX_FIRST_COLUMNS))
    revenue = out["revenue_at_risk"].astype("float64").fillna(0.0)
    out = (
        out.assign(_revenue=revenue, _silent=out["silent"].astype("float64").fillna(0.0))
        .sort_values(["_revenue", "_silent", "page_path"], ascending=[False, False, True])
        .reset_index(drop=True)
    )
    out["rank"] = range(1, len(out) + 1)
    by_customers = out.assign(_affected=out["affected"].astype("float64").fillna(0.0))
    order = by_customers.sort_values(["_affected", "rank"], ascending=[False, True]).index
    out.loc[order, "rank_customers"] = range(1, len(out) + 1)
    out["rank_customers"] = out["rank_customers"].astype("int64")
    return out[list(FIX_FIRST_COLUMNS)]
