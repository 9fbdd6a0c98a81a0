"""What to fix first: the action rule and the ranked table (hand-made data)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from kizuki.analytics.fix_first import (
    FIX_FIRST_COLUMNS,
    FixFirstConfig,
    fix_first,
    suggest_action,
)
from kizuki.errors import SchemaError

# -- the action rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signal", "contact_rate", "excess_churn", "help_evidence", "expected"),
    [
        ("error", 0.15, 0.30, True, ("route_to_human", "high_contact_rate")),
        ("loop", 0.40, 0.0, False, ("route_to_human", "high_contact_rate")),
        ("error", 0.1499, 0.15, True, ("fix_bug", "serious_churn")),
        ("rage_click", 0.02, 0.20, False, ("fix_bug", "serious_churn")),
        ("error", 0.02, 0.1499, True, ("proactive_message", "silent_churn")),
        ("unfinished_flow", 0.02, 0.30, False, ("proactive_message", "silent_churn")),
        ("error", 0.02, 0.0499, True, ("fix_help_content", "help_struggle")),
        ("loop", 0.02, 0.30, True, ("fix_help_content", "help_struggle")),
        ("error", 0.02, 0.01, False, ("fix_bug", "product_fault")),
        ("long_dwell", 0.02, 0.30, False, ("fix_help_content", "page_struggle")),
        ("error", math.nan, math.nan, False, ("fix_bug", "product_fault")),
        ("error", None, None, True, ("fix_help_content", "help_struggle")),
    ],
    ids=[
        "contact-rate-at-threshold-routes-to-human",
        "any-signal-with-high-contact-routes-to-human",
        "error-with-serious-churn-is-a-bug",
        "rage-click-with-serious-churn-is-a-bug",
        "error-with-moderate-churn-gets-proactive-message",
        "unfinished-flow-with-serious-churn-gets-proactive-message",
        "error-below-churn-threshold-with-help-evidence-gets-help",
        "loop-with-churn-but-help-evidence-gets-help",
        "error-without-churn-or-help-evidence-is-a-bug",
        "no-error-no-evidence-gets-help",
        "unknown-rates-count-as-zero",
        "none-rates-count-as-zero",
    ],
)
def test_suggest_action_takes_the_first_rule_that_holds(
    signal: str,
    contact_rate: float | None,
    excess_churn: float | None,
    help_evidence: bool,
    expected: tuple[str, str],
) -> None:
    assert suggest_action(signal, contact_rate, excess_churn, help_evidence) == expected


def test_suggest_action_uses_the_given_thresholds() -> None:
    strict = FixFirstConfig(high_contact_rate=0.5, serious_excess_churn=0.9)
    assert suggest_action("error", 0.3, 0.3, False, strict) == ("proactive_message", "silent_churn")


# -- the ranked table -------------------------------------------------------------------------


def silent_row(page: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "stage": "use",
        "page_path": page,
        "signal": "error",
        "error_kind": f"E at {page}",
        "intent": None,
        "detected": True,
        "affected": 100.0,
        "affected_ci_low": 80.0,
        "affected_ci_high": 120.0,
        "contacted": 10.0,
        "silent": 90.0,
        "silent_ci_low": 70.0,
        "silent_ci_high": 110.0,
        "contact_rate": 0.1,
        "churn_silent": 0.2,
        "churn_unaffected": 0.1,
        "excess_churn": 0.1,
        "revenue_at_risk": 1000.0,
        "revenue_at_risk_ci_low": 500.0,
        "revenue_at_risk_ci_high": 1500.0,
    }
    return {**row, **values}


def point(page: str, signal: str, intent: str | None, **values: Any) -> dict[str, Any]:
    row = {
        "point_id": f"use|{signal}|{page}|{intent or ''}",
        "stage": "use",
        "signal": signal,
        "page_path": page,
        "intent": intent,
        "customers": 50,
        "page_sessions": 1000,
        "page_rate": 0.05,
        "background_rate": 0.01,
        "lift": 5.0,
        "excess_sessions": 40.0,
    }
    return {**row, **values}


def paths_of(point_id: str, direction: str, paths: list[str]) -> list[dict[str, Any]]:
    return [
        {"point_id": point_id, "direction": direction, "rank": i + 1, "path": p}
        for i, p in enumerate(paths)
    ]


@pytest.fixture
def tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    silent = pd.DataFrame(
        [
            silent_row("/a", revenue_at_risk=500.0, affected=300.0, intent="a_help"),
            silent_row("/b", revenue_at_risk=9000.0, affected=50.0, contact_rate=0.3),
            silent_row("/c", revenue_at_risk=500.0, silent=95.0, excess_churn=0.0),
            silent_row("/quiet", detected=False, revenue_at_risk=0.0),
            silent_row("/total-like", stage="total", page_path=None, revenue_at_risk=1e9),
        ]
    )
    points = pd.DataFrame(
        [
            point("/a", "error", None, excess_sessions=10.0),
            point("/a", "error", "a_help", excess_sessions=5.0),  # the problem's own intent wins
            point("/a", "help_exit", "a_help", lift=3.0, excess_sessions=7.0),
            point("/a", "zero_result_search", "a_help", lift=8.0, excess_sessions=9.0),
            point("/a", "zero_result_search", "other", lift=50.0, excess_sessions=99.0),
            point("/b", "error", None),
            point("/c", "loop", None),  # no error point at /c
            point("/c", "help_exit", None, lift=1.9),  # below the help-evidence lift
        ]
    )
    paths = pd.DataFrame(
        paths_of("use|error|/a|a_help", "before", ["(start) > /x", "/y", "/z", "/w"])
        + paths_of("use|error|/a|a_help", "after", ["(exit)"])
        + paths_of("use|error|/b|", "after", ["/b > (exit)"])
    )
    return silent, points, paths


def test_fix_first_ranks_detected_problems_by_money_then_silent(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    out = fix_first(*tables)
    assert tuple(out.columns) == FIX_FIRST_COLUMNS
    # /a and /c tie on money: /c has more silent customers; undetected and total rows are out
    assert out["page_path"].tolist() == ["/b", "/c", "/a"]
    assert out["rank"].tolist() == [1, 2, 3]
    assert out["rank_customers"].tolist() == [3, 2, 1]  # affected 50, 100, 300


def test_fix_first_joins_the_point_help_evidence_paths_and_action(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    rows = fix_first(*tables).set_index("page_path")
    a = rows.loc["/a"]
    assert a["point_id"] == "use|error|/a|a_help"
    assert (a["help_signal"], a["help_intent"], a["help_lift"]) == (
        "zero_result_search",
        "a_help",
        8.0,
    )
    assert a["paths_before"] == "(start) > /x\n/y\n/z"  # top 3, in rank order
    assert a["paths_after"] == "(exit)"
    assert (a["action"], a["action_reason"]) == ("proactive_message", "silent_churn")

    b = rows.loc["/b"]
    assert b["point_id"] == "use|error|/b|"  # no point with its intent: the one without
    assert (b["action"], b["action_reason"]) == ("route_to_human", "high_contact_rate")
    assert pd.isna(b["paths_before"]) and b["paths_after"] == "/b > (exit)"
    assert (b["page_rate"], b["background_rate"], b["lift"]) == (0.05, 0.01, 5.0)

    c = rows.loc["/c"]
    assert pd.isna(c["point_id"]) and pd.isna(c["signal_customers"])
    assert pd.isna(c["help_signal"])  # lift 1.9 < 2
    assert (c["action"], c["action_reason"]) == ("fix_bug", "product_fault")


def test_fix_first_without_detected_problems_is_empty_with_its_columns(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    silent, points, paths = tables
    out = fix_first(silent.assign(detected=False), points, paths)
    assert out.empty
    assert tuple(out.columns) == FIX_FIRST_COLUMNS


def test_fix_first_names_missing_columns(
    tables: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> None:
    silent, points, paths = tables
    with pytest.raises(SchemaError, match=r"result_friction_points lacks the columns \['lift'\]"):
        fix_first(silent, points.drop(columns="lift"), paths)
