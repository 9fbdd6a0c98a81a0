"""The BG/NBD "P(alive)" model (issue 23): the published CDNOW fit, speed against `lifetimes`,
and a million customers.

(a) CDNOW, the protocol of Fader, Hardie & Lee (2005): the 2,357-customer sample
    (`../shared/datasets/cdnow/cdnow_sample_transactions.csv`), one purchase per customer per
    day, calibration up to and including 1997-09-30, weeks. Our summary is checked against the
    published one (`cdnow_customers_summary.csv`, rounded to 2 decimals), then r, α, a, b and
    the log-likelihood are printed next to the paper's (goal: equal to 3 decimals).
(b) Fit time against `lifetimes` 0.11.3 `BetaGeoFitter` (goal: Kizuki ≥ 10× faster), both with
    their defaults, from the same per-customer arrays (frequency, recency, T), fit only, best of
    --repeats, on CDNOW and on 100,000 simulated customers. `lifetimes` is not a dependency of
    Kizuki: it runs in its own virtual environment, `bench/.venv-lifetimes`, made on the first
    run (`python -m venv`, `pip install lifetimes==0.11.3 'setuptools<82'`, ~30 s, needs PyPI),
    in a subprocess that times its own fits the same way.
(c) 1,000,000 customers simulated with the CDNOW parameters, T uniform on 26-78 weeks: fit time
    (best of 3, fit only; goal < 10 s), the parameters recovered, and the peak memory of one fit
    (tracemalloc, a separate run). Once with exact times (every row distinct) and once with
    times in whole days, as a summary of a real purchase log has them (rows repeat; the fit
    groups them).

Prints Markdown tables; writes bench/out/alive.json.

    .venv/bin/python bench/alive.py                   # ~1 min (+ ~30 s the first time)
    .venv/bin/python bench/alive.py --no-lifetimes    # without the peer
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
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy

import kizuki
from kizuki.models.alive import BGNBD, bgnbd_log_likelihood, customer_summary, simulate_bgnbd

HERE = Path(__file__).parent
CDNOW = HERE.parent.parent / "shared" / "datasets" / "cdnow"
PEER_VENV = HERE / ".venv-lifetimes"
PEER_PACKAGES = ["lifetimes==0.11.3", "setuptools<82"]
#: Fader, Hardie & Lee (2005), table of the BG/NBD estimates on the CDNOW sample.
PUBLISHED = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259, "log_likelihood": -9582.43}
PARAMS = ("r", "alpha", "a", "b")

#: Runs in the lifetimes environment: argv = arrays.npz, repeats; prints JSON.
PEER_SCRIPT = """
import json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
import lifetimes
from lifetimes import BetaGeoFitter
data = np.load(sys.argv[1])
seconds = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    model = BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
    seconds.append(time.perf_counter() - start)
params = {k: float(v) for k, v in model.params_.items()}
print(json.dumps({"seconds": seconds, "params": params, "lifetimes": lifetimes.__version__,
                  "numpy": np.__version__, "scipy": __import__("scipy").__version__}))
"""


def best_of(repeats: int, fit: Callable[[], BGNBD]) -> tuple[float, BGNBD]:
    """The shortest of ``repeats`` timed calls of ``fit``, and the model of the last."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit()
        seconds.append(time.perf_counter() - start)
    return min(seconds), model


def cdnow() -> tuple[dict[str, Any], pd.DataFrame]:
    """(a): our summary against the published one, and the fit against the paper."""
    transactions = pd.read_csv(CDNOW / "cdnow_sample_transactions.csv", dtype=str)
    summary = customer_summary(transactions, "customer_id", "date", until="1997-09-30")
    published = pd.read_csv(CDNOW / "cdnow_customers_summary.csv")
    same_ids = summary["customer_id"].astype(int).tolist() == published["ID"].tolist()
    diff = {c: float(np.abs(summary[c] - published[c]).max()) for c in ("recency", "T")}
    frequency_equal = bool((summary["frequency"] == published["frequency"]).all())
    model = BGNBD().fit(summary)
    ours = {**model.params_, "log_likelihood": model.log_likelihood_}
    on_published = BGNBD().fit(published)
    return {
        "customers": len(summary),
        "transactions": len(transactions),
        "summary": {
            "same_customers": same_ids,
            "frequency_equal": frequency_equal,
            "max_abs_diff_weeks": diff,
            # the published summary is rounded to 2 decimals
            "matches": same_ids and frequency_equal and max(diff.values()) <= 0.005 + 1e-9,
        },
        "published": PUBLISHED,
        "kizuki": ours,
        "abs_diff": {k: abs(ours[k] - PUBLISHED[k]) for k in PUBLISHED},
        "equal_to_3_decimals": all(abs(ours[k] - PUBLISHED[k]) < 0.0005 for k in PARAMS)
        and abs(ours["log_likelihood"] - PUBLISHED["log_likelihood"]) < 0.005,
        "kizuki_on_published_summary": {
            **on_published.params_,
            "log_likelihood": on_published.log_likelihood_,
        },
        "iterations": model.n_iter_,
    }, summary


def peer_python() -> Path | None:
    """The lifetimes environment's Python, made on first use; None if it cannot be made."""
    python = PEER_VENV / "bin" / "python"
    steps = [
        [sys.executable, "-m", "venv", str(PEER_VENV)],
        [str(python), "-m", "pip", "install", "--quiet", *PEER_PACKAGES],
    ]
    ready = [str(python), "-c", "import lifetimes"]
    if python.exists() and not subprocess.run(ready, capture_output=True).returncode:
        return python
    print(f"making {PEER_VENV} (lifetimes 0.11.3, once) ...", file=sys.stderr)
    for step in steps[python.exists() :]:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode:
            print(f"cannot make the lifetimes environment: {done.stderr[-2000:]}")
            return None
    return python


def peer_fit(python: Path, arrays: dict[str, np.ndarray], repeats: int) -> dict[str, Any]:
    """lifetimes' BetaGeoFitter on ``arrays`` in its own environment, timed there."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "arrays.npz"
        np.savez(path, **arrays)
        done = subprocess.run(
            [str(python), "-c", PEER_SCRIPT, str(path), str(repeats)],
            capture_output=True,
            text=True,
            check=True,
        )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def speed(name: str, arrays: dict[str, np.ndarray], repeats: int, python: Path | None) -> dict:
    """(b): Kizuki's and lifetimes' best fit time on the same arrays."""
    x, t_x, t = arrays["frequency"], arrays["recency"], arrays["T"]
    ours, model = best_of(repeats, lambda: BGNBD().fit(x, t_x, t))
    row: dict[str, Any] = {
        "data": name,
        "customers": len(x),
        "repeats": repeats,
        "kizuki_s": ours,
        "kizuki_params": model.params_,
        "kizuki_log_likelihood": model.log_likelihood_,
    }
    if python is not None:
        peer = peer_fit(python, arrays, repeats)
        row |= {
            "lifetimes_s": min(peer["seconds"]),
            "lifetimes_params": peer["params"],
            "lifetimes_log_likelihood": float(
                bgnbd_log_likelihood(x, t_x, t, **peer["params"]).sum()
            ),
            "ratio": min(peer["seconds"]) / ours,
            "peer_versions": {k: peer[k] for k in ("lifetimes", "numpy", "scipy")},
        }
    return row


def million(n: int, whole_days: bool, repeats: int) -> dict[str, Any]:
    """(c): fit time, recovered parameters and peak memory on ``n`` simulated customers."""
    truth = {k: PUBLISHED[k] for k in PARAMS}
    rng = np.random.default_rng(23)
    if whole_days:
        observed = rng.integers(26 * 7, 78 * 7 + 1, n) / 7
        x, t_x, t = simulate_bgnbd(n, **truth, T=observed, rng=rng)
        # a purchase log counts whole days: the first purchase at a random time of its day
        t_x = np.floor(rng.uniform(0, 1, n) + 7 * t_x) / 7
    else:
        x, t_x, t = simulate_bgnbd(n, **truth, T=rng.uniform(26, 78, n), rng=rng)
    seconds, model = best_of(repeats, lambda: BGNBD().fit(x, t_x, t))
    tracemalloc.start()
    BGNBD().fit(x, t_x, t)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    distinct = len(np.unique(np.column_stack([x, t_x, t]), axis=0))
    return {
        "customers": n,
        "times": "whole days" if whole_days else "exact",
        "distinct_rows": distinct,
        "repeats": repeats,
        "seconds": seconds,
        "iterations": model.n_iter_,
        "peak_mib": peak / 2**20,
        "truth": truth,
        "recovered": model.params_,
        "relative_error": {k: model.params_[k] / truth[k] - 1 for k in PARAMS},
    }


def machine() -> dict[str, Any]:
    """What ran the benchmark."""
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kizuki": kizuki.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }


def report(result: dict[str, Any]) -> None:
    """Print the Markdown tables."""
    c = result["cdnow"]
    print(
        f"\n(a) CDNOW, {c['customers']:,} customers: summary matches the published one: "
        f"{c['summary']['matches']} (max |diff| {c['summary']['max_abs_diff_weeks']})"
    )
    print("\n| | r | α | a | b | log-likelihood |\n|---|---:|---:|---:|---:|---:|")
    for label, values in (("published", c["published"]), ("Kizuki", c["kizuki"])):
        cells = " | ".join(f"{values[k]:.4f}" for k in PARAMS)
        print(f"| {label} | {cells} | {values['log_likelihood']:.2f} |")
    print(f"\nequal to 3 decimals: {c['equal_to_3_decimals']}")
    print("\n(b) fit time, best of the repeats (fit only, from the per-customer arrays)\n")
    print("| data | customers | Kizuki s | lifetimes s | ratio |\n|---|---:|---:|---:|---:|")
    for row in result["speed"]:
        peer = f"{row['lifetimes_s']:.4f}" if "lifetimes_s" in row else "–"
        ratio = f"**{row['ratio']:.1f}×**" if "ratio" in row else "–"
        print(
            f"| {row['data']} | {row['customers']:,} | {row['kizuki_s']:.4f} | {peer} | {ratio} |"
        )
    print("\n(c) simulated customers (truth: the CDNOW parameters; T uniform on 26-78 weeks)\n")
    print("| customers | times | distinct rows | fit s | peak MiB | r | α | a | b |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in result["synthetic"]:
        cells = " | ".join(
            f"{row['recovered'][k]:.4f} ({row['relative_error'][k]:+.1%})" for k in PARAMS
        )
        print(
            f"| {row['customers']:,} | {row['times']} | {row['distinct_rows']:,} | "
            f"{row['seconds']:.2f} | {row['peak_mib']:.0f} | {cells} |"
        )
    print(
        f"\nload average {result['load_before']} before, {result['load_after']} after; "
        f"{result['machine']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="Fits timed per size (best).")
    parser.add_argument("--customers", type=int, default=1_000_000, help="Size of (c).")
    parser.add_argument("--no-lifetimes", action="store_true", help="Skip the peer.")
    args = parser.parse_args()

    load_before = [round(v, 2) for v in os.getloadavg()]
    cdnow_result, summary = cdnow()
    python = None if args.no_lifetimes else peer_python()
    rng = np.random.default_rng(100)
    n = 100_000
    x, t_x, t = simulate_bgnbd(
        n, **{k: PUBLISHED[k] for k in PARAMS}, T=rng.uniform(26, 78, n), rng=rng
    )
    speeds = [
        speed(
            "CDNOW sample",
            {c: summary[c].to_numpy(np.float64) for c in ("frequency", "recency", "T")},
            args.repeats,
            python,
        ),
        speed(
            "simulated",
            {"frequency": x.astype(np.float64), "recency": t_x, "T": t},
            max(args.repeats // 2, 1),
            python,
        ),
    ]
    synthetic = [million(args.customers, whole_days, 3) for whole_days in (False, True)]
    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "python bench/alive.py " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "load_before": load_before,
        "load_after": [round(v, 2) for v in os.getloadavg()],
        "cdnow": cdnow_result,
        "speed": speeds,
        "synthetic": synthetic,
    }
    report(result)
    out = HERE / "out" / "alive.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
