"""Accuracy of the silent-customer estimate against the simulator's ground truth.

For each config and seed: simulate the company, ingest it with ``kizuki.ingest.ingest_files``
into a fresh DuckDB store (one thread), compute the signals exactly as ``kizuki analyze`` does
(:func:`journey_events` with the demo journey map, :func:`signals_from_events`, plus the
self-service activity signals), run the product's silent-customer estimate, rank the pages as
``kizuki export friction`` does, and compare every planted problem with
``ground_truth/problems.json``. The goals it measures: docs/silent.md, "Against the goals".

The truth is S as docs/silent.md defines it: affected − those who opened a ticket about the
problem's intent within 14 days of the hit (``silent_in_window``; the simulator also plants
late contacts, 15–45 days after, which the older any-time ``silent`` list counts as contacts).

Prints one table per config and size: per problem the truth and estimate of the first seed
with its 95% interval, the mean signed and absolute error of S over seeds, and the number of
seeds within ±10%, with the truth inside the interval, and with the problem among the top
(planted + 2) ranked friction points.

    .venv/bin/python bench/accuracy_silent.py                        # 3 configs x 10 seeds
    .venv/bin/python bench/accuracy_silent.py --configs default --seeds 3 --customers 20000
    .venv/bin/python bench/accuracy_silent.py --cache /tmp/acc       # keep the stores

``--cache DIR`` keeps each run's store (with its signals) and truth; a later run with the same
DIR reads the estimator's inputs from it again without simulating, which is how changes to the
estimator are measured on the same data. After a change to the signals' definitions, add
``--resignal`` to recompute the cached stores' signals first.
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

import numpy as np
import pandas as pd

from kizuki.analytics.identity import browser_links, resolve_contacts
from kizuki.analytics.journey_stream import journey_events
from kizuki.analytics.signals import ACTIVITY_SIGNALS, SignalConfig, signals_from_events
from kizuki.analytics.silent import (
    SilentConfig,
    SilentInputs,
    estimate_silent,
    load_silent_inputs,
)
from kizuki.exports import friction_export_table
from kizuki.ingest import ingest_files
from kizuki.journey import Journey, load_journey
from kizuki.simulate import load_config, simulate_company
from kizuki.store import open_store

HERE = Path(__file__).parent
CONFIGS: dict[str, Path | str | None] = {
    "default": None,
    "low_contact": HERE / "configs" / "low_contact.yaml",
    "high_contact": HERE / "configs" / "high_contact.yaml",
    "hard": "hard",  # the shipped config: kizuki simulate --config hard
}
TRUTH_KEYS = (
    "name",
    "page_path",
    "intent",
    "n_affected",
    "n_silent",
    "n_silent_in_window",
    "n_contacted_in_window",
    "window_days",
    "page_paths",
)


def build_store(config: Path | str | None, seed: int, customers: int | None, out: Path) -> None:
    """Simulate, ingest and compute the product's signals into ``out/store.duckdb``."""
    timing: dict[str, float] = {}
    t0 = time.perf_counter()
    sim = simulate_company(load_config(config, seed=seed, customers=customers), out / "data")
    timing["simulate_s"] = time.perf_counter() - t0
    store = open_store(f"duckdb:///{out / 'store.duckdb'}")
    store.duckdb.execute("SET threads=1")
    t0 = time.perf_counter()
    for table, path in sim.canonical_files:
        ingest_files(store, "csv", [path], table=table)
    ingest_files(store, "ga4", [sim.ga4_file])
    ingest_files(store, "zendesk", [sim.zendesk_file])
    timing["ingest_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    journey = load_journey(name="demo")
    t = store.table
    links = browser_links(t("events"), t("identities"))
    stream = journey_events(t("events"), t("searches"), journey, content=t("content"), links=links)
    store.write_table("work_journey_events", stream)
    store.write_table(
        "work_contacts", resolve_contacts(t("contacts"), t("identities"), t("customers"))
    )
    write_signals(store, journey)
    timing["signals_s"] = time.perf_counter() - t0
    timing["events"] = float(sim.n_events)
    store.close()
    raw = json.loads((sim.ground_truth_dir / "problems.json").read_text(encoding="utf-8"))
    truth = [{k: p.get(k, [p["page_path"]] if k == "page_paths" else None) for k in TRUTH_KEYS}
             for p in raw]  # fmt: skip
    (out / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    (out / "timing.json").write_text(json.dumps(timing), encoding="utf-8")
    shutil.rmtree(out / "data")


def write_signals(store: Any, journey: Journey) -> None:
    """The steps of ``kizuki analyze`` that the estimate reads: the struggle and activity
    signals of the stored journey stream."""
    stream = store.table("work_journey_events")
    store.write_table("result_signals", signals_from_events(stream, journey))
    activity = signals_from_events(stream, journey, SignalConfig(signals=ACTIVITY_SIGNALS))
    store.write_table("work_activity_signals", activity)


def resignal(store_dir: Path) -> None:
    """Recompute a cached store's signals with this checkout's definitions."""
    store = open_store(f"duckdb:///{store_dir / 'store.duckdb'}")
    store.duckdb.execute("SET threads=1")
    try:
        write_signals(store, load_journey(name="demo"))
    finally:
        store.close()


def load_inputs(store_dir: Path, config: SilentConfig | None = None) -> SilentInputs:
    """The estimator's inputs from a built store, read as ``kizuki analyze`` reads them."""
    store = open_store(f"duckdb:///{store_dir / 'store.duckdb'}")
    store.duckdb.execute("SET threads=1")
    t = store.table
    try:
        return load_silent_inputs(
            events=t("work_journey_events"),
            signals=t("result_signals").union(t("work_activity_signals")),
            contacts=t("work_contacts"),
            customers=t("customers"),
            subscriptions=t("subscriptions"),
            surveys=t("surveys"),
            incidents=t("incidents"),
            config=config or SilentConfig(),
        )
    finally:
        store.close()


def load_or_build(
    name: str,
    seed: int,
    customers: int | None,
    cache: Path | None,
    *,
    again: bool = False,
    config: SilentConfig | None = None,
) -> tuple[SilentInputs, list[dict[str, Any]], dict[str, float]]:
    """Build the store (or reuse the cached one, with its signals recomputed if ``again``)
    and read the inputs, truth and timings."""
    with tempfile.TemporaryDirectory(prefix="kizuki-acc-") as d:
        where = cache / f"{name}-{customers or 'cfg'}-{seed}" if cache else Path(d) / "run"
        if not (where / "timing.json").is_file():
            if where.exists():
                shutil.rmtree(where)
            where.mkdir(parents=True)
            build_store(CONFIGS[name], seed, customers, where)
        elif again:
            resignal(where)
        t0 = time.perf_counter()
        inputs = load_inputs(where, config)
        truth = json.loads((where / "truth.json").read_text(encoding="utf-8"))
        timing = json.loads((where / "timing.json").read_text(encoding="utf-8"))
        timing["inputs_s"] = time.perf_counter() - t0
    return inputs, truth, timing


#: the estimates summed over the pages of a problem that spans several
_SUMMED = ("affected", "contacted", "silent", "silent_ci_low", "silent_ci_high")


def compare(table: pd.DataFrame, truth: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per planted problem: truth, estimate, interval, rank."""
    ranked = friction_export_table(table)["page_path"].tolist()
    pages = table[table["stage"] != "total"]
    by_silent = pages[pages["detected"]].sort_values("silent", ascending=False)
    by_silent_pages = by_silent["page_path"].tolist()
    k = len(truth) + 2
    planted = {p for t in truth for p in (t.get("page_paths") or [t["page_path"]])}
    others = sorted(set(by_silent_pages) - planted)  # detected, but no problem was planted
    rows = []
    for t in truth:
        hit = pages[pages["page_path"] == t["page_path"]]
        r = hit.iloc[0] if len(hit) else None
        # a problem on several pages: the estimates of all of them, summed (interval bounds
        # too, which widens the interval)
        spans = pages[pages["page_path"].isin(t.get("page_paths") or [t["page_path"]])]

        def get(col: str, r: Any = r, spans: pd.DataFrame = spans) -> float:
            if len(spans) > 1 and col in _SUMMED:
                return float(spans[col].fillna(0.0).sum())
            return float(r[col]) if r is not None and pd.notna(r[col]) else 0.0

        true_s = float(t["n_silent_in_window"])
        rows.append(
            {
                "problem": t["name"],
                "true_affected": float(t["n_affected"]),
                "est_affected": get("affected"),
                "true_contacted": float(t["n_contacted_in_window"]),
                "est_contacted": get("contacted"),
                "true_silent": true_s,
                "true_silent_any_time": float(t["n_silent"]),
                "est_silent": get("silent"),
                "lo": get("silent_ci_low"),
                "hi": get("silent_ci_high"),
                "err_pct": (get("silent") - true_s) / true_s * 100 if true_s else 0.0,
                "diagnostic": ",".join(
                    sorted({d for d in spans["diagnostic"].dropna() for d in str(d).split(",")})
                ),
                "coverage": get("coverage"),
                "intent_ok": r is not None and r["intent"] == t["intent"],
                "top_k": t["page_path"] in ranked[:k],
                "top_k_silent": t["page_path"] in by_silent_pages[:k],
                "others_detected": others,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument(
        "--configs",
        "--config",
        nargs="+",
        default=["default", "low_contact", "high_contact"],
        choices=list(CONFIGS),
    )
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument(
        "--customers", type=int, nargs="+", default=[0], help="sizes (0: the config's, 5,000)"
    )
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--cache", type=Path, help="keep/reuse the estimator inputs here")
    ap.add_argument(
        "--resignal",
        action="store_true",
        help="recompute the signals of cached stores (after a change to their definitions)",
    )
    ap.add_argument("--json", type=Path, help="also write every per-seed row here")
    ap.add_argument(
        "--loop-anchors",
        action="store_true",
        help="analyze.silent.loop_anchors: a session without an error belongs to its first "
        "reload's page",
    )
    args = ap.parse_args(argv)
    cfg = SilentConfig(n_boot=args.n_boot, loop_anchors=args.loop_anchors)
    everything: dict[str, Any] = {}
    for customers in args.customers:
        for name in args.configs:
            per_seed = []
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                t0 = time.perf_counter()
                inputs, truth, timing = load_or_build(
                    name, seed, customers or None, args.cache, again=args.resignal, config=cfg
                )
                t1 = time.perf_counter()
                table = estimate_silent(inputs, cfg, rng=np.random.default_rng(seed))
                est_s = time.perf_counter() - t1
                per_seed.append(compare(table, truth))
                print(
                    f"  {name} n={customers or 'cfg'} seed {seed}: {time.perf_counter() - t0:.1f} s"
                    f" (estimate {est_s:.1f} s, {timing})",
                    file=sys.stderr,
                )
            everything[f"{name}/{customers or 'cfg'}"] = per_seed
            _print_table(name, customers, per_seed)
        _print_summary(
            {k: v for k, v in everything.items() if k.endswith(f"/{customers or 'cfg'}")}
        )
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1, default=float), encoding="utf-8")
    return 0


def _print_table(name: str, customers: int, per_seed: list[list[dict[str, Any]]]) -> None:
    n = len(per_seed)
    size = f"{customers:,} customers" if customers else "the config's 5,000 customers"
    print(f"\n#### config `{name}`, {size} ({n} seeds)\n")
    print(
        "| problem | true S (seed 1) | est. S (seed 1) | 95% CI (seed 1) | mean error % "
        "| sd % | mean abs error % | within ±10% | within ±15% | CI covers truth "
        "| in top planted+2 | intent | flagged | median CI width (× true S) |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for i, first in enumerate(per_seed[0]):
        rows = [s[i] for s in per_seed]
        errs = np.array([r["err_pct"] for r in rows])
        within = int(np.sum(np.abs(errs) <= 10))
        cover = sum(r["lo"] <= r["true_silent"] <= r["hi"] for r in rows)
        top = sum(bool(r["top_k"]) for r in rows)
        intent = sum(bool(r["intent_ok"]) for r in rows)
        within15 = int(np.sum(np.abs(errs) <= 15))
        flags = sorted({r.get("diagnostic") or "" for r in rows} - {""})
        flagged = sum(bool(r.get("diagnostic")) for r in rows)
        widths = [r["hi"] - r["lo"] for r in rows]
        relative = [
            w / r["true_silent"] for w, r in zip(widths, rows, strict=True) if r["true_silent"]
        ]
        width = f"{np.median(widths):.0f} ({np.median(relative) if relative else 0.0:.1f}×)"
        print(
            f"| {first['problem']} | {first['true_silent']:.0f} | {first['est_silent']:.0f} | "
            f"[{first['lo']:.0f}, {first['hi']:.0f}] | {errs.mean():+.1f} | "
            f"{errs.std(ddof=1) if n > 1 else 0.0:.1f} | {np.abs(errs).mean():.1f} | "
            f"{within}/{n} | {within15}/{n} | {cover}/{n} | {top}/{n} | {intent}/{n} | "
            f"{flagged}/{n} {' '.join(flags)} | {width} |"
        )


def _print_summary(runs: dict[str, list[list[dict[str, Any]]]]) -> None:
    rows = [r for per_seed in runs.values() for seed in per_seed for r in seed]
    if not rows:
        return
    n = len(rows)
    within = sum(abs(r["err_pct"]) <= 10 for r in rows)
    within15 = sum(abs(r["err_pct"]) <= 15 for r in rows)
    cover = sum(r["lo"] <= r["true_silent"] <= r["hi"] for r in rows)
    sound = [r for r in rows if not r.get("diagnostic")]
    sound15 = sum(abs(r["err_pct"]) <= 15 for r in sound)
    sound_cover = sum(r["lo"] <= r["true_silent"] <= r["hi"] for r in sound)
    seeds_all_top = sum(
        all(bool(r["top_k"]) for r in seed)
        for per_seed in runs.values()
        for seed in per_seed
        if seed
    )
    top = sum(bool(r["top_k"]) for r in rows)
    top_s = sum(bool(r["top_k_silent"]) for r in rows)
    intent = sum(bool(r["intent_ok"]) for r in rows)
    errs = np.array([r["err_pct"] for r in rows])
    seeds = [seed for per_seed in runs.values() for seed in per_seed if seed]
    others = sum(len(seed[0].get("others_detected", [])) for seed in seeds)
    print(
        f"\nall {n} (config, seed, problem) cases: within ±10% {within}/{n}, "
        f"within ±15% {within15}/{n}, CI covers {cover}/{n}; without a diagnostic "
        f"{len(sound)}/{n}: within ±15% {sound15}/{len(sound)}, CI covers "
        f"{sound_cover}/{len(sound)}; seeds with every planted problem in the top planted+2 "
        f"{seeds_all_top}/{sum(len(v) for v in runs.values())}; "
        f"top planted+2 (export rank) {top}/{n}, (by silent) {top_s}/{n}, intent {intent}/{n}, "
        f"mean abs error {np.abs(errs).mean():.1f}%, mean signed {errs.mean():+.1f}%; "
        f"pages detected where nothing was planted: {others} in {len(seeds)} stores"
    )


if __name__ == "__main__":
    raise SystemExit(main())
