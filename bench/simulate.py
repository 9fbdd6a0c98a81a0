"""Benchmark the demo-company simulator: events/s including writing the GA4 Parquet file.

Each size runs in a fresh subprocess so its peak RSS is its own. Side by side, the "limit":
DuckDB reading the same GA4 file raw (``SELECT count(*), sum(event_timestamp)``), in events/s.

    .venv/bin/python bench/simulate.py                 # ~1e6 and ~1e7 events
    .venv/bin/python bench/simulate.py --customers 4500 45000 450000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# about 222 GA4 events per customer over the default 90 days
DEFAULT_CUSTOMERS = (4_500, 45_000)

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from kizuki.simulate import load_config, simulate_company

customers, days, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
marks = {}
def progress(step, done, total):
    now = time.perf_counter()
    marks.setdefault(step + ":first", now)
    marks[step + ":last"] = now
t0 = time.perf_counter()
result = simulate_company(load_config(None, customers=customers, days=days), out, progress=progress)
ga4_s = marks["tickets and tables:first"] - t0  # the GA4 writer has closed by then
print(json.dumps({
    "events": result.n_events, "seconds": result.seconds, "ga4_seconds": ga4_s,
    "tickets": result.n_tickets, "ga4_file": str(result.ga4_file),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def _duckdb_scan(path: str) -> float:
    import duckdb

    con = duckdb.connect()
    try:
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            con.execute(
                "SELECT count(*), sum(event_timestamp) FROM read_parquet(?)", [path]
            ).fetchall()
            best = min(best, time.perf_counter() - t)
        return best
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=list(DEFAULT_CUSTOMERS))
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args(argv)
    print(f"# kizuki simulate benchmark, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"# machine: {_machine()}")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# load average before the run (1, 5, 15 min): {load}")
    print("# events/s = all GA4 rows / whole simulate_company (GA4 Parquet, Zendesk, CSVs,")
    print("#   ground truth); ga4 ev/s = rows / time until the GA4 file was written and closed;")
    print("#   duckdb ev/s = rows / best of 3 `SELECT count(*), sum(event_timestamp)` on the file")
    header = (
        f"{'customers':>10} {'events':>12} {'seconds':>8} {'events/s':>11} {'ga4 ev/s':>11} "
        f"{'peak RSS MB':>11} {'file MB':>8} {'duckdb ev/s':>12}"
    )
    print(header)
    for customers in args.customers:
        with tempfile.TemporaryDirectory(prefix="kizuki-bench-") as tmp:
            proc = subprocess.run(
                [sys.executable, "-c", _CHILD, str(customers), str(args.days), tmp],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            size_mb = Path(r["ga4_file"]).stat().st_size / 2**20
            scan = _duckdb_scan(r["ga4_file"])
        print(
            f"{customers:>10,} {r['events']:>12,} {r['seconds']:>8.2f} "
            f"{r['events'] / r['seconds']:>11,.0f} {r['events'] / r['ga4_seconds']:>11,.0f} "
            f"{r['peak_rss_mb']:>11,.0f} {size_mb:>8.1f} {r['events'] / scan:>12,.0f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
