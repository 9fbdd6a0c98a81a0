"""The outreach queue against the simulator's truth (issue 23, acceptance 3).

Per world (default and ``hard``): simulate a company, ingest it, run ``kizuki analyze`` (for
the struggle signals and friction points), then build the queue as it would have been 30 days
before the end of the data — churn risk trained only on what came before that cut-off — and
compare with what the simulator says happened next (``--window``: 30 days by default):

- lift: the share of the queue's top 10% (by expected value saved, suppressed rows left out)
  who truly churned within the 30 days after the cut-off, over the base rate of all customers
  active at the cut-off (goal ≥ 3×); the same for the queue ordered by P(churn) alone
  (``rank_by = "p_churn"``) and for the top 10% of all active customers by P(churn); the
  ROC-AUC of P(churn);
- the ceiling: the churn lift of the best top 10% anyone could pick at the cut-off (an oracle
  that knows which problem and incident hits before it end in churn; the rest by their
  segment's hazard);
- value lift: monthly value lost to churn per chosen customer over the same per active
  customer — what a queue ranked by expected value is meant to find;
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
from kizuki.analytics.customer_features import active_subscriptions, friction_signals
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
    store = kz.store
    signals = store.to_arrow(
        friction_signals(
            store.table("result_signals"),
            store.table("result_friction_points"),
            settings.friction_lift,
        )
    ).to_pandas()
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
    risky_queue = live.sort_values("p_churn", ascending=False).head(len(top))
    y = scores["customer_id"].isin(left)
    incidents_truth = json.loads((sim.ground_truth_dir / "incidents.json").read_text())
    want: set[str] = set()
    for inc in incidents_truth:
        start = pd.Timestamp(inc["start"]).tz_convert("UTC")
        if cut - pd.Timedelta(days=28) <= start < cut:
            want |= set(inc["hit_customers"]) & active
    named = set(queue.loc[queue["triggers"].str.contains('"incident"'), "customer_id"])
    value = active_subscriptions(t, cutoff).set_index("customer_id")["monthly_value"]
    segments = kz.store.to_arrow(t("customers").select("customer_id", "segment")).to_pandas()
    kz.close()
    ceiling = _ceiling(sim, cfg, cut, left, active, segments, len(active) // 10)
    return {
        "world": config or "default",
        "seed": seed,
        "active": len(active),
        "base_rate": base,
        "queue": len(live),
        "top_decile_churn": float(top["customer_id"].isin(left).mean()),
        "lift_queue": float(top["customer_id"].isin(left).mean() / base),
        "lift_risk": float(by_risk["customer_id"].isin(left).mean() / base),
        "lift_queue_by_risk": float(risky_queue["customer_id"].isin(left).mean() / base),
        "lift_ceiling": ceiling / base,
        "value_lift_queue": _value_lift(top["customer_id"], left, active, value),
        "value_lift_risk": _value_lift(by_risk["customer_id"], left, active, value),
        "roc_auc": float(roc_auc_score(y, scores["p_churn"])),
        "validation_auc": info["roc_auc"],
        "incident_truth": len(want),
        "incident_missed": len(want - named),
        "incident_extra": len(named - want),
    }


def _value_lift(chosen: pd.Series, left: set, active: set, value: pd.Series) -> float:
    """Monthly value lost to churn per chosen customer over the same per active customer: the
    money an expected-value queue is meant to find."""
    lost = value.reindex(sorted(left & active)).fillna(0.0).sum() / len(active)
    mine = value.reindex([c for c in chosen if c in left]).fillna(0.0).sum() / max(1, len(chosen))
    return float(mine / lost) if lost else float("nan")


def _ceiling(sim, cfg, cut, left: set, active: set, segments: pd.DataFrame, k: int) -> float:
    """The churn rate of the best top-``k`` anyone could pick at the cut-off: every customer a
    planted problem or incident hit before the cut-off who then churned in the window (an
    oracle that knows which of those hits will end in churn), then the rest by their
    segment's configured churn hazard (base churn is memoryless: nothing else foretells it)."""
    truth_dir = sim.ground_truth_dir
    caused: set[str] = set()
    for prob in json.loads((truth_dir / "problems.json").read_text()):
        at = pd.to_datetime(pd.Series(prob["hit_at"], dtype=object), utc=True)
        before = {c for c, ts in zip(prob["affected"], at, strict=True) if ts < cut}
        caused |= before & left & active
    for inc in json.loads((truth_dir / "incidents.json").read_text()):
        if pd.Timestamp(inc["start"]).tz_convert("UTC") < cut:
            caused |= set(inc["hit_customers"]) & left & active
    hazard = {s.name: s.monthly_churn for s in cfg.segments}
    rest = segments[segments["customer_id"].isin(active - caused)].copy()
    rest["h"] = rest["segment"].map(hazard).fillna(0.0)
    rest = rest.sort_values("h", ascending=False).head(max(0, k - len(caused)))
    picked = sorted(caused)[:k]
    hits = len(picked) + int(rest["customer_id"].isin(left).sum())
    return hits / k


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
        "| lift (queue by P(churn)) | lift (P(churn) top 10%) | ceiling "
        "| value lift (queue / P(churn)) | AUC | incident hit / missed / extra |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['world']} | {r['seed']} | {r['base_rate']:.3f} | {r['top_decile_churn']:.3f} "
            f"| {r['lift_queue']:.2f}× | {r['lift_queue_by_risk']:.2f}× | {r['lift_risk']:.2f}× "
            f"| {r['lift_ceiling']:.2f}× "
            f"| {r['value_lift_queue']:.2f}× / {r['value_lift_risk']:.2f}× | {r['roc_auc']:.3f} "
            f"| {r['incident_truth']} / {r['incident_missed']} / {r['incident_extra']} |"
        )


if __name__ == "__main__":
    main()
