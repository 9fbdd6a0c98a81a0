"""Benchmark GA4 ingest with validation: events/s and peak memory, next to DuckDB reading raw.

For each size a GA4 Parquet file is made (by the demo-company simulator when ``kizuki.simulate``
is installed, else by a small synthetic generator here; or pass ``--file``), then
``ingest_files(store, "ga4", [file])`` runs into a fresh DuckDB file store in a fresh
subprocess whose RSS is sampled (psutil) for its peak; "CPU s / 1M" is that process's CPU time
(user + system, all threads) per million events, the figure to compare while other work shares
the cores; "close s" is the store's close after it (DuckDB's final checkpoint), not counted in
the ingest time, and "store MiB" the store's size after it. The "raw" columns are DuckDB
reading the same file raw (``SELECT count(*), max(event_timestamp), max(length(event_name)),
max(len(event_params)) FROM read_parquet(...)``, or ``read_json`` for NDJSON) in another fresh
subprocess.

    .venv/bin/python bench/ingest.py                       # 1e6 and 1e7 events
    .venv/bin/python bench/ingest.py --sizes 1000000 --generator synthetic
    .venv/bin/python bench/ingest.py --sizes 1000000 --ga4-format jsonl
    .venv/bin/python bench/ingest.py --file events.parquet
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

_INGEST = r"""
import json, os, resource, sys, time
from kizuki.ingest import ingest_files
from kizuki.store import open_store
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
store = open_store("duckdb:///" + sys.argv[2])
t0, c0 = time.perf_counter(), cpu()
(r,) = ingest_files(store, "ga4", [sys.argv[1]], batch_rows=int(sys.argv[3]))
seconds, cpu_s = time.perf_counter() - t0, cpu() - c0
t0 = time.perf_counter()
store.close()
close = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "cpu": cpu_s, "close": close, "rows_in": r.rows_in,
                  "loaded": r.rows_loaded, "quarantined": r.rows_quarantined,
                  "searches": r.derived.get("searches", 0),
                  "store_mib": os.path.getsize(sys.argv[2]) / 2**20}))
"""

_RAW = r"""
import json, sys, time, duckdb
con = duckdb.connect()
t0 = time.perf_counter()
reader = ("read_parquet(?)" if sys.argv[1].endswith(".parquet")
          else "read_json(?, format = 'newline_delimited', ignore_errors = true)")
n = con.execute("SELECT count(*), max(event_timestamp), max(length(event_name)), "
                f"max(len(event_params)) FROM {reader}", [sys.argv[1]]).fetchone()[0]
print(json.dumps({"seconds": time.perf_counter() - t0, "rows_in": n}))
"""


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


def _run(code: str, *args: str) -> tuple[dict[str, float], float]:
    """Run ``code`` in a fresh Python; return its JSON answer and its peak RSS in MiB."""
    # The child's output goes to a file: a pipe nobody reads until the end can fill and stall it.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        child = psutil.Popen([sys.executable, "-c", code, *args], stdout=out)
        peak = 0
        while child.poll() is None:
            try:
                peak = max(peak, child.memory_info().rss)
            except psutil.NoSuchProcess:
                break
            time.sleep(0.05)
        if child.wait() != 0:
            raise SystemExit(f"benchmark child failed ({child.returncode})")
        out.seek(0)
        text = out.read()
    return json.loads(text.strip().splitlines()[-1]), peak / 2**20


# -- a minimal GA4-shaped Parquet generator (used when the simulator is not installed) --------
_VALUE = pa.struct(
    [
        ("string_value", pa.string()),
        ("int_value", pa.int64()),
        ("float_value", pa.float64()),
        ("double_value", pa.float64()),
    ]
)
_PARAM = pa.struct([("key", pa.string()), ("value", _VALUE)])
_DEVICE = pa.struct(
    [("category", pa.string()), ("operating_system", pa.string()), ("language", pa.string())]
)


def synthetic_ga4(path: Path, events: int, *, seed: int = 0, group: int = 250_000) -> None:
    """Write ``events`` GA4 export rows (6 params each, 10% help searches) in bounded memory."""
    rng = np.random.default_rng(seed)
    users = max(events // 200, 10)
    pseudo = pa.array([f"{u}.{1_700_000_000 + u}" for u in range(users)])
    user_ids = pa.array([f"cust-{u:07d}" for u in range(users)])
    pages = pa.array([f"https://example.jp/help/article/{i}?ref=nav" for i in range(200)])
    titles = pa.array([f"記事 {i}: ログインできない場合" for i in range(200)])
    terms = pa.array(["ログイン できない", "請求書 再発行", "password reset", "解約 方法"])
    names = pa.array(["page_view", "view_search_results", "click", "error"])
    keys = pa.array(
        [
            "ga_session_id",
            "page_location",
            "page_title",
            "engagement_time_msec",
            "search_term",
            "results_count",
            "content_id",
            "percent_scrolled",
        ]
    )
    schema = pa.schema(
        [
            ("event_date", pa.string()),
            ("event_timestamp", pa.int64()),
            ("event_name", pa.string()),
            ("event_params", pa.list_(_PARAM)),
            ("event_bundle_sequence_id", pa.int64()),
            ("batch_event_index", pa.int64()),
            ("user_id", pa.string()),
            ("user_pseudo_id", pa.string()),
            ("device", _DEVICE),
            ("platform", pa.string()),
        ]
    )
    t = 1_790_000_000_000_000
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, events, group):
            m = min(group, events - start)
            ts = t + np.cumsum(rng.integers(1, 2_000_000, m))
            t = int(ts[-1])
            user = rng.integers(0, users, m)
            name = rng.choice(4, m, p=[0.7, 0.1, 0.15, 0.05])
            search = name == 1
            page = rng.integers(0, 200, m)
            # 6 params per event, interleaved: slot s of event i is element 6 * i + s
            key_idx = (
                np.stack(
                    [
                        np.zeros(m),
                        np.ones(m),
                        np.full(m, 2),
                        np.full(m, 3),
                        np.where(search, 4, 6),
                        np.where(search, 5, 7),
                    ],
                    axis=1,
                )
                .astype(np.int64)
                .ravel()
            )
            s_pool = pa.concat_arrays(
                [pages, titles, terms, pa.array([f"faq-{i}" for i in range(200)])]
            )
            s_idx = np.stack(
                [
                    np.full(m, -1),
                    page,
                    200 + page,
                    np.full(m, -1),
                    np.where(search, 400 + page % 4, 404 + page),
                    np.full(m, -1),
                ],
                axis=1,
            ).ravel()
            ints = (
                np.stack(
                    [
                        ts // 1_800_000_000,
                        np.zeros(m),
                        np.zeros(m),
                        rng.integers(0, 60_000, m),
                        np.zeros(m),
                        np.where(search, rng.integers(0, 5, m), rng.integers(0, 100, m)),
                    ],
                    axis=1,
                )
                .astype(np.int64)
                .ravel()
            )
            has_int = np.tile(np.array([1, 0, 0, 1, 0, 1], dtype=bool), m)
            value = pa.StructArray.from_arrays(
                [
                    s_pool.take(pa.array(s_idx, mask=s_idx < 0)),
                    pa.array(ints, mask=~has_int),
                    pa.nulls(6 * m, pa.float64()),
                    pa.nulls(6 * m, pa.float64()),
                ],
                fields=list(_VALUE),
            )
            params = pa.ListArray.from_arrays(
                pa.array(np.arange(0, 6 * m + 1, 6, dtype=np.int32)),
                pa.StructArray.from_arrays(
                    [keys.take(pa.array(key_idx)), value], fields=list(_PARAM)
                ),
            )
            logged_in = user % 3 == 0
            table = pa.table(
                {
                    "event_date": pa.array(["20260922"] * m),
                    "event_timestamp": ts,
                    "event_name": names.take(pa.array(name)),
                    "event_params": params,
                    "event_bundle_sequence_id": rng.integers(0, 1 << 40, m),
                    "batch_event_index": np.zeros(m, np.int64),
                    "user_id": user_ids.take(pa.array(user, mask=~logged_in)),
                    "user_pseudo_id": pseudo.take(pa.array(user)),
                    "device": pa.StructArray.from_arrays(
                        [
                            pa.array(np.where(user % 2 == 0, "mobile", "desktop")),
                            pa.array(np.where(user % 2 == 0, "iOS", "Windows")),
                            pa.array(np.where(user % 5 == 0, "en-us", "ja-jp")),
                        ],
                        fields=list(_DEVICE),
                    ),
                    "platform": pa.array(["WEB"] * m),
                },
                schema=schema,
            )
            writer.write_table(table)


def simulated_ga4(out: Path, events: int, ga4_format: str = "parquet") -> Path:
    """The demo-company simulator's GA4 file with about ``events`` events."""
    from kizuki.simulate import load_config, simulate_company

    config = load_config(None, customers=max(events // 222, 50))
    result = simulate_company(config, out, ga4_format=ga4_format)  # type: ignore[arg-type]
    return Path(result.ga4_file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--file", type=Path, nargs="+", help="GA4 Parquet or NDJSON files to ingest instead"
    )
    parser.add_argument("--generator", choices=["auto", "simulate", "synthetic"], default="auto")
    parser.add_argument("--batch-rows", type=int, default=250_000)
    parser.add_argument(
        "--ga4-format",
        choices=["parquet", "jsonl"],
        default="parquet",
        help="file format the simulator writes (the synthetic generator writes Parquet)",
    )
    args = parser.parse_args()
    print(f"# GA4 ingest benchmark — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {_machine()}; load average at start: {os.getloadavg()[0]:.2f}")
    import duckdb

    print(f"duckdb {duckdb.__version__}, pyarrow {pa.__version__}, batch_rows {args.batch_rows}")
    generator = args.generator
    if generator == "auto":
        try:
            import kizuki.simulate  # noqa: F401

            generator = "simulate"
        except ImportError:
            generator = "synthetic"
    print()
    print(
        "| events | file MB | ingest s | ingest events/s | CPU s / 1M | ingest peak RSS MiB "
        "| close s | store MiB | DuckDB raw events/s | raw peak RSS MiB | ingest / raw |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="kizuki-bench-") as tmp:
        files = list(args.file or [])
        if not files:
            for n in args.sizes:
                if generator == "simulate":
                    files.append(simulated_ga4(Path(tmp) / f"sim-{n}", n, args.ga4_format))
                else:
                    files.append(Path(tmp) / f"ga4-{n}.parquet")
                    synthetic_ga4(files[-1], n)
        for i, f in enumerate(files):
            ingest, ingest_rss = _run(
                _INGEST, str(f), str(Path(tmp) / f"store-{i}.duckdb"), str(args.batch_rows)
            )
            raw, raw_rss = _run(_RAW, str(f))
            n = ingest["rows_in"]
            rate, raw_rate = n / ingest["seconds"], raw["rows_in"] / raw["seconds"]
            print(
                f"| {n:,} | {f.stat().st_size / 2**20:,.0f} | {ingest['seconds']:.1f} "
                f"| {rate:,.0f} | {ingest['cpu'] / n * 1e6:.2f} | {ingest_rss:,.0f} "
                f"| {ingest['close']:.1f} | {ingest['store_mib']:,.0f} "
                f"| {raw_rate:,.0f} | {raw_rss:,.0f} "
                f"| {rate / raw_rate:.3f} |"
            )
    fmt = args.ga4_format if generator == "simulate" and not args.file else "parquet/given"
    print(f"\ngenerator: {generator} ({fmt}); load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
