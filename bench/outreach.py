"""The outreach queue against the simulator's truth (issue 23, acceptance 3).

Per world (default and ``hard``): simulate a company, ingest it, run ``kizuki analyze`` (for
the struggle signals and friction points), then build the queue as it would have been 30 days
before the end of the data — churn risk trained only on what came before that cut-off — and
compare with what the simulator says happened next (``--window``: 30 days by default):

- lift: the share of the queue's top 10% (by expected value saved, suppressed rows left out)
  who truly churned within the 30 days after the cut-off, over the base rate of all customers
  active at the cut-off (goal ≥ 3×); the same for the top 10% of all active customers by
  P(churn) alone; the ROC-AUC of P(churn);
- the incident trigger: customers it names against those the simulator's incidents truly hit
  in the 28 days before the cut-off (goal: all of them, and nobody else).

    .venv/bin/python bench/outreach.py [--customers 4000] [--seeds 1]     # ~3 min a world
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import pandas as pd
from sklearn.metrics import roc_auc_score

import kizuki
from kizuki.analytics.churn_risk import churn_risk
from kizuki.analytics.customer_features import active_subscriptions
from kizuki.analytics.incident_exposure import incident_hits
from kizuki.outreach.queue import OutreachConfig, outreach_queue
from kizuki.simulate import load_config, simulate_company

WINDOW = 30


def one(config: str | None, customers: int, seed: int, work: Path, window: int = WINDOW) -> dict:
    cfg = load_config(config, customers=customers, days=120, seed=seed)
    sim = simulate_company(cfg, work / "d")
    kz = kizuki.open(f"duckdb://{work / 'store.duckdb'}")
    for table, path in sim.canonical_files:
        kz.ingest("csv", [path], table=table)
    kz.ingest("ga4", [sim.ga4_file])
    kz.ingest("zendesk", [sim.zendesk_file])
    kz.analyze()
    t, settings = kz.store.table, OutreachConfig(window_days=window)
    end_us = kz.store.duckdb.execute("SELECT epoch_us(max(ts)) FROM events").fetchone()[0]
    end = pd.Timestamp(end_us, unit="us", tz="UTC")
    cutoff = (end - pd.Timedelta(days=window)).tz_convert("UTC").to_pydatetime()
    hits = incident_hits(t, before=cutoff)
    points = kz.result("result_friction_points")
    hot = points.loc[points["lift"] >= settings.friction_lift, ["signal", "page_path"]]
    signals = kz.result("result_signals").merge(hot, on=["signal", "page_path"])
    signals = signals[signals["customer_id"].notna()]
    scores, info = churn_risk(t, cutoff, window, hits=hits, signals=signals, seed=seed)
    incidents = kz.store.to_arrow(
        t("incidents").select("incident_id", "started_at", "title", "affected")
    ).to_pandas()
    queue = outreach_queue(
        scores, hits, cutoff, settings, incidents=incidents, opted_out=set(),
        history=pd.DataFrame(columns=["customer_id", "cause", "sent_at"]),
        base_rate=info.get("base_rate"),
    )  # fmt: skip
    truth = pd.read_csv(sim.ground_truth_dir / "customers.csv")
    when = pd.to_datetime(truth["churned_at"], utc=True)
    cut = pd.Timestamp(cutoff)
    left = set(truth.loc[(when >= cut) & (when < cut + pd.Timedelta(days=window)), "customer_id"])
    active = set(active_subscriptions(t, cutoff)["customer_id"])
    base = len(left & active) / len(active)
    live = queue[~queue["suppressed"]]
    top = live.head(max(1, len(live) // 10))
    by_risk = scores.sort_values("p_churn", ascending=False).head(len(scores) // 10)
    y = scores["customer_id"].isin(left)
    incidents_truth = json.loads((sim.ground_truth_dir / "incidents.json").read_text())
    want: set[str] = set()
    for inc in incidents_truth:
        start = pd.Timestamp(inc["start"]).tz_convert("UTC")
        if cut - pd.Timedelta(days=28) <= start < cut:
            want |= set(inc["hit_customers"]) & active
    named = set(queue.loc[queue["triggers"].str.contains('"incident"'), "customer_id"])
    kz.close()
    return {
        "world": config or "default",
        "seed": seed,
        "active": len(active),
        "base_rate": base,
        "queue": len(live),
        "top_decile_churn": float(top["customer_id"].isin(left).mean()),
        "lift_queue": float(top["customer_id"].isin(left).mean() / base),
        "lift_risk": float(by_risk["customer_id"].isin(left).mean() / base),
        "roc_auc": float(roc_auc_score(y, scores["p_churn"])),
        "validation_auc": info["roc_auc"],
        "incident_truth": len(want),
        "incident_missed": len(want - named),
        "incident_extra": len(named - want),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=4000)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--window", type=int, default=WINDOW, help="churn window, days")
    args = parser.parse_args()
    rows = []
    for config in (None, "hard"):
        for seed in range(args.seeds):
            with tempfile.TemporaryDirectory() as tmp:
                rows.append(one(config, args.customers, seed, Path(tmp), args.window))
            print(json.dumps(rows[-1]), flush=True)
    out = Path(__file__).resolve().parent / "out" / f"outreach_{args.window}d.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))
    print(
        "| world | seed | base rate | queue top 10% churned | lift (queue) "
        "| lift (P(churn) top 10%) | AUC | incident hit / missed / extra |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['world']} | {r['seed']} | {r['base_rate']:.3f} | {r['top_decile_churn']:.3f} "
            f"| {r['lift_queue']:.2f}× | {r['lift_risk']:.2f}× | {r['roc_auc']:.3f} "
            f"| {r['incident_truth']} / {r['incident_missed']} / {r['incident_extra']} |"
        )


if __name__ == "__main__":
    main()
