"""The ground truth is consistent with itself and with the exports."""

from __future__ import annotations

import csv
import json
import math

from kizuki.simulate import SimResult


def _problems(sim: SimResult) -> list[dict[str, object]]:
    data = json.loads((sim.ground_truth_dir / "problems.json").read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


def test_silent_is_affected_minus_contacted(medium_sim: SimResult) -> None:
    problems = _problems(medium_sim)
    assert len(problems) == 5
    for p in problems:
        affected, contacted, silent = (set(p[k]) for k in ("affected", "contacted", "silent"))  # type: ignore[call-overload]
        assert contacted <= affected
        assert silent == affected - contacted
        assert set(p["churned"]) <= affected  # type: ignore[arg-type]
        for key in ("affected", "contacted", "silent", "churned"):
            assert p[key] == sorted(p[key])  # type: ignore[type-var]
        assert p["n_silent"] == len(silent) and p["n_contacted"] == len(contacted)


def test_counts_follow_the_configured_rates(medium_sim: SimResult) -> None:
    for p in _problems(medium_sim):
        n_aff, eligible = int(p["n_affected"]), int(p["eligible_customers"])  # type: ignore[call-overload]
        share = float(p["share_affected"])  # type: ignore[arg-type]
        expected = share * eligible
        assert abs(n_aff - expected) < 4 * math.sqrt(expected) + 2, p["name"]
        rate = float(p["contact_rate"])  # type: ignore[arg-type]
        observed = int(p["n_contacted"])  # type: ignore[call-overload]
        # contacts near the end of the window fall outside it; background contacts add a few
        assert 0.4 * rate * n_aff - 3 <= observed <= 1.8 * rate * n_aff + 4, p["name"]
        assert int(p["n_silent"]) > int(p["n_contacted"])  # type: ignore[call-overload]


def test_unresolved_problems_raise_churn(medium_sim: SimResult) -> None:
    with (medium_sim.ground_truth_dir / "customers.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4000
    hit = [r for r in rows if r["problems"]]
    clean = [r for r in rows if not r["problems"]]
    churn = lambda rs: sum(int(r["churned"]) for r in rs) / len(rs)  # noqa: E731
    assert churn(hit) > churn(clean) > 0
    assert all(bool(r["churned_at"]) == (r["churned"] == "1") for r in rows)


def test_ground_truth_churn_matches_subscriptions(medium_sim: SimResult) -> None:
    with (medium_sim.ground_truth_dir / "customers.csv").open(encoding="utf-8") as f:
        churned = {r["customer_id"] for r in csv.DictReader(f) if r["churned"] == "1"}
    with (medium_sim.out_dir / "canonical" / "subscriptions.csv").open(encoding="utf-8") as f:
        subs = {r["customer_id"] for r in csv.DictReader(f) if r["status"] == "churned"}
    assert subs - {""} == churned


def test_intents_report_true_selfservice_rates(medium_sim: SimResult) -> None:
    data = json.loads((medium_sim.ground_truth_dir / "intents.json").read_text(encoding="utf-8"))
    assert len(data) >= 12
    assert data["csv_import_error"]["has_content"] is False
    for name, d in data.items():
        if d["selfservice_attempts"]:
            rate = d["selfservice_successes"] / d["selfservice_attempts"]
            assert d["selfservice_success_rate"] == round(rate, 6), name
    # password resets mostly work by themselves; garbled CSV imports mostly do not
    assert data["password_reset"]["selfservice_success_rate"] > 0.7
    assert data["csv_import_error"]["selfservice_success_rate"] < 0.35


def test_contacts_within_the_window_follow_the_delays(medium_sim: SimResult) -> None:
    for p in _problems(medium_sim):
        affected = p["affected"]
        delays = p["contact_delay_days"]
        assert isinstance(affected, list) and isinstance(delays, list)
        assert len(delays) == len(affected) == len(p["hit_at"])  # type: ignore[arg-type]
        window = float(p["window_days"])  # type: ignore[arg-type]
        assert window == 14
        soon = {c for c, d in zip(affected, delays, strict=True) if d is not None and d <= window}
        ever = {c for c, d in zip(affected, delays, strict=True) if d is not None}
        assert all(d is None or d >= 0 for d in delays)
        assert set(p["contacted_in_window"]) == soon  # type: ignore[call-overload]
        assert set(p["silent_in_window"]) == set(affected) - soon  # type: ignore[call-overload]
        assert set(p["contacted"]) == ever  # type: ignore[call-overload]
        assert p["n_contacted_in_window"] == len(soon)
        assert p["n_silent_in_window"] == len(affected) - len(soon)
        # the simulator plants late contacts (15-45 days): some contacters are outside N days
        assert len(soon) <= len(ever)
        assert str(p["hit_at"][0]).endswith("+09:00")  # type: ignore[index]
    late = sum(
        int(p["n_contacted"]) - int(p["n_contacted_in_window"])  # type: ignore[call-overload]
        for p in _problems(medium_sim)
    )
    assert late > 0
