"""Accuracy of the silent-customer estimator against the simulator's ground truth (issue 3, #1).

For each config and seed: simulate the company, ingest it with ``kizuki.ingest.ingest_files``
into a fresh DuckDB store, build a minimal signals table (below), run
:func:`kizuki.analytics.silent.silent_customers`, and compare every planted problem's estimate
(the row of its page) with ``ground_truth/problems.json``. Prints one table per config:
problem, true silent, estimated silent (the first seed's, with its 95% interval), mean error,
and over all seeds: the share within ±10%, the share whose interval holds the truth, and the
share where the problem is among the top (planted + 2) pages by estimated silent customers.

    .venv/bin/python bench/accuracy_silent.py                        # 3 configs x 10 seeds
    .venv/bin/python bench/accuracy_silent.py --configs default --seeds 3

The signals table here is a stand-in for ``kizuki.analytics.signals`` (kept in bench/ so
src/ holds one definition): errors with their message as ``detail``; loops (the same page
viewed three times in a row); help searches (intent from the help article viewed right after
the same query anywhere in the data; zero-result searches keep their own name) and chatbot
opens (intent from the chatbot conversation in ``contacts`` within 30 minutes). Session keys
follow ``kizuki.analytics.sessions.sessionize`` (30-minute gap).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from kizuki.analytics.silent import SilentConfig, silent_customers
from kizuki.ingest import ingest_files
from kizuki.simulate import load_config, simulate_company
from kizuki.store import Store, open_store

HERE = Path(__file__).parent
CONFIGS = {
    "default": None,
    "low_contact": HERE / "configs" / "low_contact.yaml",
    "high_contact": HERE / "configs" / "high_contact.yaml",
}

SIGNALS_SQL = r"""
CREATE OR REPLACE TABLE bench_signals AS
WITH ev AS (
  SELECT *, coalesce(customer_id, anonymous_id) AS visitor_id,
         lag(ts) OVER (PARTITION BY coalesce(customer_id, anonymous_id)
                       ORDER BY ts, event_id) AS prev_ts
  FROM events
), numbered AS (
  SELECT *, visitor_id || ':' || CAST(sum(CASE WHEN prev_ts IS NULL
                                     OR ts > prev_ts + INTERVAL 30 MINUTE THEN 1 ELSE 0 END)
           OVER (PARTITION BY visitor_id ORDER BY ts, event_id ROWS UNBOUNDED PRECEDING) AS VARCHAR)
         AS session_key
  FROM ev
), pv AS (
  SELECT *, lag(page_path) OVER w AS p1, lag(page_path, 2) OVER w AS p2,
            lead(page_path) OVER w AS next_page
  FROM numbered WHERE event_name = 'page_view'
  WINDOW w AS (PARTITION BY session_key ORDER BY ts, event_id)
), article AS (
  SELECT regexp_replace(url, '^https?://[^/]+', '') AS path,
         json_extract_string(intents, '$[0]') AS intent
  FROM content
), searched AS (
  SELECT n.session_key, n.visitor_id, n.customer_id, n.ts, n.page_path, s.query, s.results_count,
         (SELECT p.page_path FROM pv p WHERE p.session_key = n.session_key AND p.ts > n.ts
          ORDER BY p.ts LIMIT 1) AS next_page
  FROM numbered n JOIN searches s ON s.search_id = n.event_id
), qmap AS (
  SELECT query, arg_max(intent, n) AS intent FROM (
    SELECT s.query, a.intent, count(*) AS n FROM searched s JOIN article a ON a.path = s.next_page
    GROUP BY ALL) GROUP BY query
)
SELECT visitor_id, customer_id, session_key, ts, NULL::VARCHAR AS stage, 'error' AS signal,
       page_path,
       NULL::VARCHAR AS intent, json_extract_string(properties, '$.error_message') AS detail
FROM numbered WHERE event_name = 'error'
UNION ALL
SELECT visitor_id, customer_id, session_key, ts, NULL, 'loop', page_path, NULL, NULL
FROM pv WHERE page_path = p1 AND page_path = p2 AND page_path NOT LIKE '/help%'
UNION ALL
SELECT s.visitor_id, s.customer_id, s.session_key, s.ts, NULL,
       CASE WHEN s.results_count = 0 THEN 'zero_result_search' ELSE 'help_search' END,
       s.page_path, q.intent, s.query
FROM searched s LEFT JOIN qmap q USING (query)
UNION ALL
SELECT n.visitor_id, n.customer_id, n.session_key, n.ts, NULL, 'chatbot', n.page_path,
       (SELECT b.intent FROM contacts b
        WHERE b.channel = 'chatbot' AND b.customer_id = n.customer_id
          AND b.opened_at BETWEEN n.ts - INTERVAL 30 MINUTE AND n.ts + INTERVAL 30 MINUTE
        ORDER BY abs(epoch(b.opened_at) - epoch(n.ts)) LIMIT 1), NULL
FROM numbered n WHERE n.event_name = 'chatbot_open'
"""


def build_store(
    config: Path | None, seed: int, tmp: Path, *, detail: bool = True
) -> tuple[Store, list[dict[str, object]]]:
    """Simulate, ingest and add the bench signals table; return the store and the truth."""
    cfg = load_config(config, seed=seed)
    sim = simulate_company(cfg, tmp / "data")
    store = open_store(f"duckdb:///{tmp / 'store.duckdb'}")
    for table, path in sim.canonical_files:
        ingest_files(store, "csv", [path], table=table)
    ingest_files(store, "ga4", [sim.ga4_file])
    ingest_files(store, "zendesk", [sim.zendesk_file])
    store.duckdb.execute(SIGNALS_SQL)
    if not detail:  # errors without their message, as kizuki.analytics.signals gives them today
        store.duckdb.execute("UPDATE bench_signals SET detail = NULL")
    truth = json.loads((sim.ground_truth_dir / "problems.json").read_text(encoding="utf-8"))
    return store, truth


def run_one(
    config: Path | None, seed: int, cfg: SilentConfig, *, detail: bool = True
) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="kizuki-acc-") as d:
        store, truth = build_store(config, seed, Path(d), detail=detail)
        t0 = time.perf_counter()
        result = silent_customers(
            events=store.table("events"),
            signals=store.table("bench_signals"),
            contacts=store.table("contacts"),
            customers=store.table("customers"),
            subscriptions=store.table("subscriptions"),
            surveys=store.table("surveys"),
            incidents=store.table("incidents"),
            config=cfg,
            rng=np.random.default_rng(seed),
        )
        seconds = time.perf_counter() - t0
        store.duckdb.close()
    pages = result[result["stage"] != "total"]
    ranked = pages[pages["detected"]].sort_values("silent", ascending=False)["page_path"].tolist()
    k = len(truth) + 2
    rows = []
    for t in truth:
        hit = pages[pages["page_path"] == t["page_path"]]
        r = hit.iloc[0] if len(hit) else None
        est = float(r["silent"]) if r is not None else 0.0
        lo = float(r["silent_ci_low"]) if r is not None else 0.0
        hi = float(r["silent_ci_high"]) if r is not None else 0.0
        rows.append(
            {
                "problem": t["name"],
                "true_affected": t["n_affected"],
                "est_affected": float(r["affected"]) if r is not None else 0.0,
                "true_silent": t["n_silent"],
                "est_silent": est,
                "lo": lo,
                "hi": hi,
                "intent_ok": r is not None and r["intent"] == t["intent"],
                "top_k": t["page_path"] in ranked[:k],
                "seconds": seconds,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--json", type=Path, help="also write every per-seed row here")
    ap.add_argument(
        "--no-detail", action="store_true", help="drop error messages (errors are one kind)"
    )
    args = ap.parse_args(argv)
    cfg = SilentConfig(n_boot=args.n_boot)
    everything: dict[str, list[list[dict[str, object]]]] = {}
    for name in args.configs:
        per_seed = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            t0 = time.perf_counter()
            per_seed.append(run_one(CONFIGS[name], seed, cfg, detail=not args.no_detail))
            print(f"  {name} seed {seed}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        everything[name] = per_seed
        _print_table(name, per_seed)
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1, default=float), encoding="utf-8")
    return 0


def _print_table(name: str, per_seed: list[list[dict[str, object]]]) -> None:
    n = len(per_seed)
    print(f"\n### config `{name}` ({n} seeds)\n")
    print(
        "| problem | true S (seed 1) | est. S (seed 1) | 95% CI (seed 1) | error % (seed 1) "
        "| mean abs error % | within ±10% | CI covers truth | in top planted+2 | intent |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for i, first in enumerate(per_seed[0]):
        errs = []
        within = cover = top = intent = 0
        for rows in per_seed:
            r = rows[i]
            ts, es = float(r["true_silent"]), float(r["est_silent"])  # type: ignore[arg-type]
            err = (es - ts) / ts * 100 if ts else 0.0
            errs.append(abs(err))
            within += abs(err) <= 10
            cover += float(r["lo"]) <= ts <= float(r["hi"])  # type: ignore[arg-type]
            top += bool(r["top_k"])
            intent += bool(r["intent_ok"])
        t1, e1 = float(first["true_silent"]), float(first["est_silent"])  # type: ignore[arg-type]
        print(
            f"| {first['problem']} | {t1:.0f} | {e1:.0f} | [{float(first['lo']):.0f}, "  # type: ignore[arg-type]
            f"{float(first['hi']):.0f}] | {(e1 - t1) / t1 * 100:+.1f} | {np.mean(errs):.1f} | "  # type: ignore[arg-type]
            f"{within}/{n} | {cover}/{n} | {top}/{n} | {intent}/{n} |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
