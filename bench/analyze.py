"""Benchmark ``kizuki analyze`` against a plain-pandas peer: events/s, peak memory, same numbers.

For each size the demo company is simulated (default config; customers scaled to about the
requested number of GA4 events, ~222 per customer over 90 days) and ingested into a DuckDB store
the way ``kizuki demo`` does it (canonical CSVs, GA4, Zendesk). That preparation is cached in
``--work`` (a rerun skips it) and is not part of any figure. Then, each in a fresh subprocess:

- ``kizuki analyze --journey demo --no-contact-reasons``: wall and CPU time, and peak RSS (the
  child's ``ru_maxrss``); the contact reasons (issue 4: training and running the intent model)
  are not part of what the peer computes, so they are left out unless ``--contact-reasons``
  asks for the whole run;
- ``bench/pandas_reference.py --check``: the same friction and silent-customer figures in plain
  pandas; its time is load + compute as it reports them (not its interpreter start nor the
  comparison), its peak RSS is taken before the comparison. ``--check`` makes it compare every
  column of Kizuki's result tables and fail on a difference.

``kizuki analyze`` also writes tables the peer does not compute (overview, daily counts, weekly
trend and paths), so the ratio is, if anything, unfair to Kizuki. Both sides run the same numpy
estimator (latent class model and bootstrap) on the same small inputs; "shared estimator s" is
its time in the peer, and "≈ without the estimator" takes it off both sides (assuming it costs
Kizuki the same), to compare the data work alone. A peer that runs past
``--pandas-timeout`` seconds or ``--pandas-max-gib`` of memory is stopped and recorded as such.

    .venv/bin/python bench/analyze.py                        # 1e6 and 1e7 events
    .venv/bin/python bench/analyze.py --sizes 200000 1000000
    .venv/bin/python bench/analyze.py --sizes 10000000 --pandas-timeout 1800
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

EVENTS_PER_CUSTOMER = 222  # the default company over 90 days (bench/simulate.py)
HERE = Path(__file__).resolve().parent

_PREPARE = r"""
import json, shutil, sys, time
from pathlib import Path
import kizuki
from kizuki.simulate import load_config, simulate_company

customers, days, seed = (int(a) for a in sys.argv[1:4])
directory = Path(sys.argv[4])
t0 = time.perf_counter()
config = load_config(None, customers=customers, days=days, seed=seed)
sim = simulate_company(config, directory / "data")
simulate_s = time.perf_counter() - t0
t0 = time.perf_counter()
kz = kizuki.open(f"duckdb://{directory / 'kizuki.duckdb'}")
for table, path in sim.canonical_files:
    kz.ingest("csv", [path], table=table)
kz.ingest("ga4", [sim.ga4_file])
kz.ingest("zendesk", [sim.zendesk_file])
events = int(kz.store.table("events").count().execute())
kz.close()
ingest_s = time.perf_counter() - t0
shutil.rmtree(directory / "data")
print(json.dumps({"customers": customers, "days": days, "seed": seed, "ga4_events": sim.n_events,
                  "events": events, "simulate_s": simulate_s, "ingest_s": ingest_s}))
"""


@dataclass
class Run:
    """One measured subprocess."""

    wall_s: float
    cpu_s: float
    peak_mib: float
    returncode: int | None
    stopped: str = ""  # why it was stopped, if it was
    output: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _machine() -> str:
    cpu = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = psutil.virtual_memory().total / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def measure(
    cmd: list[str], log: Path, *, timeout_s: float | None = None, max_gib: float | None = None
) -> Run:
    """Run ``cmd``; its wall and CPU seconds and peak RSS (from the kernel's ``wait4``)."""
    with log.open("w", encoding="utf-8") as out:
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        started = time.perf_counter()
        watch = psutil.Process(child.pid)
        stopped = ""
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.perf_counter() - started
            try:
                rss = watch.memory_info().rss
            except psutil.NoSuchProcess:
                rss = 0
            if timeout_s is not None and elapsed > timeout_s and not stopped:
                stopped = f"timed out after {timeout_s:.0f} s"
                child.send_signal(signal.SIGKILL)
            elif max_gib is not None and rss > max_gib * 2**30 and not stopped:
                stopped = f"stopped at {max_gib:.0f} GiB RSS after {elapsed:.0f} s"
                child.send_signal(signal.SIGKILL)
            time.sleep(0.1)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_mib=usage.ru_maxrss / 1024,
        returncode=child.returncode,
        stopped=stopped,
        output=log.read_text(encoding="utf-8", errors="replace"),
    )


def prepare(work: Path, events: int, days: int, seed: int) -> dict[str, Any]:
    """Simulate and ingest a store of about ``events`` events, or reuse the cached one."""
    customers = max(round(events * days / 90 / EVENTS_PER_CUSTOMER), 50)
    directory = work / f"store-c{customers}-d{days}-s{seed}"
    marker = directory / "prepared.json"
    if marker.is_file() and (directory / "kizuki.duckdb").is_file():
        info: dict[str, Any] = json.loads(marker.read_text(encoding="utf-8"))
        info["cached"] = True
    else:
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        cmd = [sys.executable, "-c", _PREPARE, str(customers), str(days), str(seed), str(directory)]
        run = measure(cmd, directory / "prepare.log")
        if run.returncode != 0:
            raise SystemExit(f"preparing the store failed; see {directory / 'prepare.log'}")
        info = json.loads(run.output.strip().splitlines()[-1])
        info["prepare_peak_mib"] = run.peak_mib
        marker.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        info["cached"] = False
    info["store"] = str(directory / "kizuki.duckdb")
    info["directory"] = str(directory)
    return info


def _kizuki_command() -> list[str]:
    script = Path(sys.executable).with_name("kizuki")
    if script.is_file():
        return [str(script)]
    found = shutil.which("kizuki")
    if found is None:
        raise SystemExit("the kizuki command is not installed; run `pip install -e .` first")
    return [found]


def run_kizuki(info: dict[str, Any], journey: str, *, contact_reasons: bool = False) -> Run:
    directory = Path(info["directory"])
    cmd = [*_kizuki_command(), "analyze", "--store", f"duckdb://{info['store']}"]
    cmd += ["--journey", journey]
    cmd.append("--contact-reasons" if contact_reasons else "--no-contact-reasons")
    run = measure(cmd, directory / "kizuki-analyze.log")
    if run.returncode != 0:
        raise SystemExit(f"kizuki analyze failed; see {directory / 'kizuki-analyze.log'}")
    return run


def run_pandas(
    info: dict[str, Any], journey: str, timeout_s: float, max_gib: float
) -> tuple[Run, list[str]]:
    """The pandas peer with ``--check``; the run and the differences it printed."""
    directory = Path(info["directory"])
    result = directory / "pandas-reference.json"
    result.unlink(missing_ok=True)
    cmd = [sys.executable, str(HERE / "pandas_reference.py"), "--store", info["store"]]
    cmd += ["--journey", journey, "--check", "--json", str(result)]
    run = measure(cmd, directory / "pandas-reference.log", timeout_s=timeout_s, max_gib=max_gib)
    problems: list[str] = []
    if result.is_file():
        run.extra = json.loads(result.read_text(encoding="utf-8"))
        if not run.extra.get("equal", False):
            problems.append(run.output)
    elif not run.stopped:
        problems.append(f"pandas reference failed ({run.returncode}):\n{run.output[-3000:]}")
    return run, problems


def _row(info: dict[str, Any], kz: Run, pd_run: Run | None) -> str:
    n = info["events"]
    cells = [f"{n:,}", f"{kz.wall_s:.1f}", f"{kz.cpu_s:.1f}", f"{n / kz.wall_s:,.0f}"]
    cells.append(f"{kz.peak_mib:,.0f}")
    if pd_run is None:
        return "| " + " | ".join(cells + ["—"] * 7) + " |"
    if pd_run.stopped or not pd_run.extra:
        state = pd_run.stopped or f"failed ({pd_run.returncode})"
        peak = f"≥ {pd_run.peak_mib:,.0f}" if pd_run.stopped else "—"
        return "| " + " | ".join([*cells, state, "—", "—", peak, "—", "—", "—"]) + " |"
    e = pd_run.extra
    seconds = e["load_s"] + e["compute_s"]
    shared = e["silent_estimate_s"]
    cells += [
        f"{seconds:.1f} ({e['load_s']:.1f} + {e['compute_s']:.1f})",
        f"{shared:.1f}",
        f"{e['compute_cpu_s']:.1f}",
        f"{e['peak_rss_mib']:,.0f}",
        f"**{seconds / kz.wall_s:.1f}×**",
        f"{(seconds - shared) / max(kz.wall_s - shared, 1e-9):.1f}×",
        "yes" if e.get("equal") else "**NO**",
    ]
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--journey", default="demo")
    parser.add_argument(
        "--work", type=Path, default=HERE / "out" / "analyze", help="stores cached between runs"
    )
    parser.add_argument("--pandas-timeout", type=float, default=1800.0, help="seconds")
    parser.add_argument(
        "--pandas-max-gib", type=float, default=18.0, help="stop the pandas peer past this RSS"
    )
    parser.add_argument("--skip-pandas", action="store_true", help="time kizuki only")
    parser.add_argument(
        "--contact-reasons",
        action="store_true",
        help="time the whole kizuki analyze, with the contact reasons the peer does not compute",
    )
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)

    print(f"# kizuki analyze vs plain pandas — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {_machine()}; load average at start: {os.getloadavg()[0]:.2f}")
    import duckdb
    import pandas

    print(f"duckdb {duckdb.__version__}, pandas {pandas.__version__}; journey {args.journey}")
    rows, failures = [], []
    for size in args.sizes:
        info = prepare(args.work, size, args.days, args.seed)
        how = "cached" if info["cached"] else "made"
        print(
            f"store {info['store']} ({how}): {info['events']:,} events, {info['customers']:,} "
            f"customers; simulate {info['simulate_s']:.1f} s, ingest {info['ingest_s']:.1f} s",
            flush=True,
        )
        kz = run_kizuki(info, args.journey, contact_reasons=args.contact_reasons)
        what = "with" if args.contact_reasons else "without"
        print(
            f"  kizuki analyze ({what} contact reasons): {kz.wall_s:.1f} s, {kz.peak_mib:,.0f} MiB",
            flush=True,
        )
        pd_run = None
        if not args.skip_pandas:
            pd_run, problems = run_pandas(
                info, args.journey, args.pandas_timeout, args.pandas_max_gib
            )
            failures += problems
            state = pd_run.stopped or f"{pd_run.wall_s:.1f} s wall (with the check)"
            print(f"  pandas reference: {state}", flush=True)
        rows.append(_row(info, kz, pd_run))

    print()
    print(
        "| events | kizuki s | kizuki CPU s | kizuki events/s | kizuki peak MiB "
        "| pandas s (load + compute) | of which shared estimator s | pandas CPU s "
        "| pandas peak MiB | pandas / kizuki | ≈ without the estimator | same numbers |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
    for row in rows:
        print(row)
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    for problem in failures:
        print(problem, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
