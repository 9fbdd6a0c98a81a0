"""Self-resolution and content gaps against the simulator's ground truth (issue 21).

For each config and seed: simulate the company, ingest it through the real connectors into a
fresh DuckDB store, run ``kizuki analyze`` (the ``selfservice`` step reads what the earlier
steps wrote), and compare with ``ground_truth/intents.json``:

- per intent with at least ``--min-attempts`` (200) self-service attempts in the truth: the
  estimated self-service success (``result_selfservice``, channel ``self_service``) against the
  truth's ``selfservice_success_rate`` (goal: within ±3 points), whether the 95% interval holds
  the truth, and the observed rate of DESIGN.md's plain definition beside it;
- the channel fit: where the truth is more than 5 points from 85%, the recommendation must be
  on the truth's side (``digital_first`` above, anything else below);
- content gaps: every intent with ``has_content: false`` and tickets must be listed as
  ``missing`` (an intent outside the taxonomy counts when a new topic is listed as missing),
  and no intent with content may be.

    .venv/bin/python bench/selfservice.py                       # default + hard, 2 seeds
    .venv/bin/python bench/selfservice.py --configs default --seeds 1 --customers 5000
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import kizuki
from kizuki.simulate import load_config, simulate_company

HERE = Path(__file__).parent
OUT = HERE / "out" / "selfservice.json"
TARGET = 0.85


def run_one(config: str, seed: int, customers: int, work: Path) -> dict[str, Any]:
    """Simulate, ingest, analyze and compare one company."""
    out = work / f"{config}-{seed}"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    cfg = load_config(None if config == "default" else config, seed=seed, customers=customers)
    sim = simulate_company(cfg, out / "data")
    with kizuki.open(f"duckdb:///{out / 'store.duckdb'}") as k:
        for table, path in sim.canonical_files:
            k.ingest("csv", [path], table=table)
        k.ingest("ga4", [sim.ga4_file])
        k.ingest("zendesk", [sim.zendesk_file])
        k.analyze()
        rates = k.result("result_selfservice")
        gaps = k.result("result_content_gaps")
    truth = json.loads((sim.ground_truth_dir / "intents.json").read_text(encoding="utf-8"))
    shutil.rmtree(out, ignore_errors=True)
    return {
        "config": config,
        "seed": seed,
        "customers": customers,
        "seconds": round(time.perf_counter() - started, 1),
        "intents": compare_rates(rates, truth),
        "gaps": compare_gaps(gaps, truth),
    }


def compare_rates(rates: Any, truth: dict[str, Any]) -> list[dict[str, Any]]:
    pooled = rates[rates["channel"] == "self_service"].set_index("intent")
    rows = []
    for name, t in truth.items():
        if name not in pooled.index or t["selfservice_success_rate"] is None:
            continue
        est = pooled.loc[name]
        true_rate = float(t["selfservice_success_rate"])
        side_needed = abs(true_rate - TARGET) > 0.05
        digital = est["recommendation"] == "digital_first"
        rows.append(
            {
                "intent": name,
                "truth_attempts": int(t["selfservice_attempts"]),
                "attempts": int(est["attempts"]),
                "truth": true_rate,
                "estimate": float(est["success_rate"]),
                "ci_low": float(est["ci_low"]),
                "ci_high": float(est["ci_high"]),
                "observed_rate": float(est["observed_rate"]),
                "error": float(est["success_rate"]) - true_rate,
                "covered": bool(est["ci_low"] <= true_rate <= est["ci_high"]),
                "recommendation": str(est["recommendation"]),
                "side_checked": side_needed,
                "side_ok": (digital == (true_rate >= TARGET)) if side_needed else None,
            }
        )
    return rows


def compare_gaps(gaps: Any, truth: dict[str, Any]) -> dict[str, Any]:
    missing = set(gaps.loc[gaps["gap"] == "missing", "intent"])
    planted = [n for n, t in truth.items() if not t["has_content"] and t["tickets"] > 0]
    found = {
        n: (n in missing)
        or (not truth[n]["in_taxonomy"] and any(i.startswith("new_") for i in missing))
        for n in planted
    }
    wrongly = sorted(n for n, t in truth.items() if t["has_content"] and n in missing)
    return {"planted": planted, "found": found, "listed_with_content": wrongly}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="default,hard")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--min-attempts", type=int, default=200)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory(prefix="kizuki-selfservice-") as tmp:
        for config in args.configs.split(","):
            for seed in range(1, args.seeds + 1):
                run = run_one(config, seed, args.customers, Path(tmp))
                runs.append(run)
                _print_run(run, args.min_attempts)
    _print_summary(runs, args.min_attempts)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"args": vars(args) | {"out": str(args.out)}, "runs": runs},
                                   indent=1), encoding="utf-8")  # fmt: skip
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _print_run(run: dict[str, Any], min_attempts: int) -> None:
    print(f"\n{run['config']} seed {run['seed']}, {run['customers']:,} customers "
          f"({run['seconds']} s)")  # fmt: skip
    print("| intent | attempts (truth) | truth | estimate [95%] | observed | error | fit |")
    print("|---|---|---|---|---|---|---|")
    for r in run["intents"]:
        if r["truth_attempts"] < min_attempts:
            continue
        side = "" if r["side_ok"] is None else (" ok" if r["side_ok"] else " WRONG SIDE")
        print(
            f"| {r['intent']} | {r['attempts']:,} ({r['truth_attempts']:,}) | {r['truth']:.3f} "
            f"| {r['estimate']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}] "
            f"| {r['observed_rate']:.3f} | {r['error']:+.3f} | {r['recommendation']}{side} |"
        )
    g = run["gaps"]
    print(f"content gaps: planted {g['planted']} found {g['found']}; "
          f"listed with content: {g['listed_with_content']}")  # fmt: skip


def _print_summary(runs: list[dict[str, Any]], min_attempts: int) -> None:
    print("\n| config | runs | intents ≥ min | within ±3 pts | max abs error | covered | side ok |")
    print("|---|---|---|---|---|---|---|")
    for config in dict.fromkeys(r["config"] for r in runs):
        rows = [
            i
            for r in runs
            if r["config"] == config
            for i in r["intents"]
            if i["truth_attempts"] >= min_attempts
        ]
        sides = [i["side_ok"] for i in rows if i["side_checked"]]
        within = sum(abs(i["error"]) <= 0.03 for i in rows)
        worst = max((abs(i["error"]) for i in rows), default=float("nan"))
        print(
            f"| {config} | {sum(r['config'] == config for r in runs)} | {len(rows)} "
            f"| {within} | {worst:.3f} | {sum(i['covered'] for i in rows)} "
            f"| {sum(bool(s) for s in sides)} of {len(sides)} |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
