"""Satisfaction drop alerts against the simulator's truth (issue 22, acceptance 2).

For each seed, two companies: the default (incident INC-2026-031 makes the smb segment's
contacts 40 points less likely to be satisfied for 14 days) and the same company with no
incident at all (nothing to find). Each is simulated, its customers,
surveys and Zendesk tickets ingested through the real connectors into a fresh DuckDB store,
and the alerts computed as ``kizuki analyze`` does (``result_kpi_alerts``). Reported:

- detection: seeds where the incident's segment (or all customers) gets a CSAT alert in a
  week that starts no later than 7 days after the incident (goal: every seed);
- false alarms: the same alert (the incident's segment or all customers, its first week) in
  the companies with no incident (goal: quiet); every alert there, per store-week (real
  changes of the simulated world count too: satisfaction moves with the planted problems);
  and the test's own rate with the answers' weeks shuffled (no change of any kind left).

    .venv/bin/python bench/kpi_alerts.py --seeds 20                      # 5,000 customers
    .venv/bin/python bench/kpi_alerts.py --seeds 20 --customers 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

import kizuki
from kizuki.analytics.kpi_alerts import satisfaction_alerts
from kizuki.analytics.kpis import KPIConfig, contact_frame, survey_frame
from kizuki.ingest import ingest_files
from kizuki.simulate import load_config, simulate_company

TZ = "Asia/Tokyo"


def _alerts(
    directory: Path, seed: int, drop: bool, config: KPIConfig, customers: int | None
) -> dict[str, Any]:
    cfg = load_config(None, seed=seed, customers=customers)
    if not drop:  # the same company with no incident at all
        cfg = cfg.model_copy(update={"incidents": []})
    sim = simulate_company(cfg, directory / "data")
    kz = kizuki.open(f"duckdb://{directory / 'store.duckdb'}")
    for table, path in sim.canonical_files:
        if table in ("customers", "surveys"):
            ingest_files(kz.store, "csv", [path], table=table)
    ingest_files(kz.store, "zendesk", [sim.zendesk_file])
    st = kz.store
    contacts = st.to_arrow(st.table("contacts")).to_pandas()
    customers = st.to_arrow(st.table("customers")).to_pandas()
    surveys = st.to_arrow(st.table("surveys")).to_pandas()
    frame = contact_frame(contacts, customers, config, TZ)
    answers = survey_frame(surveys, frame, customers, TZ)
    alerts = satisfaction_alerts(
        answers,
        baseline_weeks=config.alert_baseline_weeks,
        alpha=config.alert_alpha,
        min_answers=config.alert_min_answers,
    )
    # the test's own false-alarm rate: the same answers with their weeks shuffled (no change
    # over time can remain, real or not)
    shuffled = answers.assign(week=answers["week"].sample(frac=1.0, random_state=seed).to_numpy())
    null = satisfaction_alerts(
        shuffled,
        baseline_weeks=config.alert_baseline_weeks,
        alpha=config.alert_alpha,
        min_answers=config.alert_min_answers,
    )
    kz.close()
    truth = json.loads((sim.ground_truth_dir / "incidents.json").read_text(encoding="utf-8"))
    weeks = len(set(answers["week"])) - config.alert_baseline_weeks
    return {"alerts": alerts, "null": null, "truth": truth, "weeks": max(weeks, 0)}


def _is_hit(row: pd.Series, incident: dict[str, Any]) -> bool:
    start = dt.datetime.fromisoformat(incident["start"]).date()
    in_time = start - dt.timedelta(days=6) <= row["week"] <= start + dt.timedelta(days=7)
    on_slice = row["dimension"] == "all" or (
        row["dimension"] == "segment" and row["slice"] == incident["segment"]
    )
    # the planted drop is in CSAT (the contacts' satisfaction); NPS moves for other reasons
    return bool(in_time and on_slice and row["metric"] == "csat")


def _in_drop(row: pd.Series, incident: dict[str, Any]) -> bool:
    start = dt.datetime.fromisoformat(incident["start"]).date()
    end = start + dt.timedelta(days=incident["satisfaction_days"])
    return bool(start - dt.timedelta(days=6) <= row["week"] < end)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--customers", type=int, default=None, help="default: the config's")
    args = parser.parse_args()
    config = KPIConfig()
    detected, quiet_alerts, quiet_weeks, quiet_stores, outside = 0, 0, 0, 0, 0
    same_alert, null_alerts, null_weeks = 0, 0, 0
    started = time.perf_counter()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        with tempfile.TemporaryDirectory() as tmp:
            found = _alerts(Path(tmp) / "drop", seed, True, config, args.customers)
            quiet = _alerts(Path(tmp) / "quiet", seed, False, config, args.customers)
        incident = next(i for i in found["truth"] if i["satisfaction_drop"] > 0)
        alerts = found["alerts"]
        hits = [r for _, r in alerts.iterrows() if _is_hit(r, incident)]
        stray = [r for _, r in alerts.iterrows() if not _in_drop(r, incident)]
        detected += bool(hits)
        outside += len(stray)
        quiet_alerts += len(quiet["alerts"])
        same_alert += any(_is_hit(r, incident) for _, r in quiet["alerts"].iterrows())
        # the per-week guarantee is on weeks with any alert (slices of a week overlap)
        null_alerts += found["null"]["week"].nunique() + quiet["null"]["week"].nunique()
        null_weeks += found["weeks"] + quiet["weeks"]
        quiet_weeks += quiet["weeks"]
        quiet_stores += bool(len(quiet["alerts"]))
        first = min((r["week"] for r in hits), default=None)
        print(
            f"seed {seed}: incident alert {'yes' if hits else 'NO'} (first week {first}; "
            f"CSAT during {incident['csat_good_during']}/{incident['csat_answers_during']}, "
            f"before {incident['csat_good_before']}/{incident['csat_answers_before']}); "
            f"alerts outside the drop {len(stray)}; no-incident company alerts "
            f"{len(quiet['alerts'])} in {quiet['weeks']} weeks",
            flush=True,
        )
    n = args.seeds
    print(
        f"\n{n} seeds ({time.perf_counter() - started:.0f} s): incident detected within its "
        f"first week in {detected}/{n}; companies with no incident: {quiet_alerts} alerts in "
        f"{quiet_weeks} store-weeks ({quiet_alerts / max(quiet_weeks, 1):.4f} per week; "
        f"{quiet_stores}/{n} stores with any alert); default companies: {outside} alerts "
        f"outside the drop; alpha {config.alert_alpha} per week\n"
        f"the same alert (incident segment or all, the incident's first week) in the "
        f"companies with no incident: {same_alert}/{n}; weeks shuffled (no change left): "
        f"{null_alerts} store-weeks with an alert of {null_weeks} "
        f"({null_alerts / max(null_weeks, 1):.4f})"
    )


if __name__ == "__main__":
    main()
