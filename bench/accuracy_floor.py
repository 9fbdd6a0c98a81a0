"""How close the silent count can get at a given size: its spread where its model holds exactly.

The accuracy goal (docs/silent.md, "Against the goals") asks for every planted problem's silent
count within ±10% of the truth in every seed. Whether that is possible at a given number of
customers is a question about the data, not only the estimator: the hit units that show no
signal are never seen, and the model that counts them is identified only by how the three
indicators (error, loop, help) co-occur. This script measures the spread that remains when the
model is exactly right.

For each planted problem's page in a store cached by ``bench/accuracy_silent.py --cache DIR``
it fits the page's model as Kizuki does (two classes, then help seekers apart), draws
``--draws`` pages of the same number of units *from that fitted model*
(:func:`kizuki.analytics.silent.help_seekers.simulate_page`), counts their hit units
again with the product's estimator (posterior mean over the profile likelihood), and reports
the spread of the relative error. Maximum likelihood is asymptotically efficient, so an
estimator that reads the same indicators cannot have a much smaller spread (Cramér–Rao): this
is what the data carry at that size.

From the spread of A it derives the spread of S (``× A / S``, the contact counts' own error
left out, so the figure is a floor), the chance that one seed lands within ±10% (normal, no
bias), that all ten seeds of a problem do, and that every case of a ten-seed run does.

    .venv/bin/python bench/accuracy_floor.py --cache /tmp/acc                     # 5,000 customers
    .venv/bin/python bench/accuracy_floor.py --cache /tmp/acc --customers 20000
    .venv/bin/python bench/accuracy_floor.py --cache /tmp/acc --customers 80000
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from accuracy_silent import CONFIGS, load_inputs
from kizuki.analytics.silent.help_seekers import (
    fit_with_seekers,
    hit_units_with_seekers,
    simulate_page,
)
from kizuki.analytics.silent.latent_class import fit_two_class
from kizuki.analytics.silent.page_fit import indicator_patterns


def page_patterns(patterns: Any, page: str) -> tuple[np.ndarray, np.ndarray]:
    """The page's distinct indicator patterns and their unit counts, as the estimator fits them."""
    pats = indicator_patterns(patterns[patterns["page_path"] == page])
    return pats.patterns, pats.counts


def count_hits(patterns: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> float:
    """The product's count of hit units on a detected page."""
    fit = fit_two_class(patterns, counts)
    return hit_units_with_seekers(fit, patterns, counts, rng, n_draws=10)[0]


def spread(store_dir: Path, draws: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Per planted problem: the estimator's relative error over pages drawn from its own fit."""
    inputs = load_inputs(store_dir)
    truth = json.loads((store_dir / "truth.json").read_text(encoding="utf-8"))
    rows = []
    for t in truth:
        patterns, counts = page_patterns(inputs.patterns, t["page_path"])
        fit = fit_with_seekers(fit_two_class(patterns, counts), patterns, counts)
        n_units = round(float(counts.sum()))
        errors = []
        for _ in range(draws):
            pats, cnts, hits = simulate_page(fit, n_units, rng)
            errors.append(count_hits(pats, cnts, rng) / max(hits, 1) - 1.0)
        err = np.asarray(errors) * 100.0
        a_over_s = t["n_affected"] / max(t["n_silent_in_window"], 1)
        sd_s = float(err.std(ddof=1)) * a_over_s
        one = math.erf(10.0 / (sd_s * math.sqrt(2.0))) if sd_s > 0 else 1.0
        rows.append(
            {
                "problem": t["name"],
                "units": n_units,
                "hit_units": fit.hit_units,
                "bias_a": float(err.mean()),
                "sd_a": float(err.std(ddof=1)),
                "sd_s": sd_s,
                "p_one": one,
                "p_ten": one**10,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--cache", type=Path, required=True, help="bench/accuracy_silent.py --cache")
    ap.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    ap.add_argument("--customers", type=int, default=0, help="0: the config's 5,000")
    ap.add_argument("--seed", type=int, default=1, help="which cached store of each config")
    ap.add_argument("--draws", type=int, default=40, help="pages drawn per problem")
    args = ap.parse_args(argv)
    size = f"{args.customers:,} customers" if args.customers else "the config's 5,000 customers"
    rng = np.random.default_rng(args.seed)
    all_ten = 1.0
    for name in args.configs:
        where = args.cache / f"{name}-{args.customers or 'cfg'}-{args.seed}"
        if not (where / "timing.json").is_file():
            ap.error(f"{where} is not a cached store; run bench/accuracy_silent.py --cache first")
        t0 = time.perf_counter()
        rows = spread(where, args.draws, rng)
        print(f"  {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        print(f"\n#### config `{name}`, {size} (seed {args.seed}, {args.draws} drawn pages)\n")
        print(
            "| problem | units on page | hit units | mean error of A % | sd of A % | sd of S % "
            "(floor) | P(one seed within ±10%) | P(10 of 10 seeds) |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            all_ten *= r["p_ten"]
            print(
                f"| {r['problem']} | {r['units']:,} | {r['hit_units']:,.0f} | {r['bias_a']:+.1f} | "
                f"{r['sd_a']:.1f} | {r['sd_s']:.1f} | {r['p_one']:.2f} | {r['p_ten']:.2f} |"
            )
    print(
        f"\nchance that every case of a 10-seed run lands within ±10% ({', '.join(args.configs)};"
        f" no bias, the spreads above): {all_ten:.2g}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
