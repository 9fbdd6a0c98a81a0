"""Spikes of brand mentions against the simulator's incidents, over seeds (issue 22).

Per seed and configuration (default and ``hard``): simulate a company (mentions do not depend
on the number of customers), ingest its mentions and incidents, read their sentiment with the
dictionaries and run the spike tests (:func:`kizuki.analytics.voice_spikes.voice_spikes`,
defaults: 1% false alarms per source and kind over the period). Counts:

- per incident, the seeds whose mentions raised a volume spike on its day naming it;
- false spikes: volume spikes on days without an incident, and negativity spikes on days
  without one (the simulator's mentions turn negative only in incidents);
- macro-F1 of the mentions' sentiment against what the simulator meant (``incident`` counted
  as negative). The simulator writes few templates: this checks the plumbing, not the
  dictionaries (real-data figures: bench/sentiment.py).

    .venv/bin/python bench/voice.py --seeds 20        # ~2 min
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from collections import Counter
from pathlib import Path

import pandas as pd
from sklearn.metrics import f1_score

import kizuki
from kizuki.analytics.voice import VoiceConfig, score_sentiment, voice_daily, voice_texts
from kizuki.analytics.voice_spikes import voice_spikes
from kizuki.ingest import ingest_files
from kizuki.simulate import load_config, simulate_company

TZ = "Asia/Tokyo"
JST = dt.timezone(dt.timedelta(hours=9))


def one(config: str | None, seed: int, work: Path, voice: VoiceConfig) -> dict:
    cfg = load_config(config, customers=300, days=90, seed=seed)
    sim = simulate_company(cfg, work / "d")
    kz = kizuki.open(f"duckdb://{work / 'store.duckdb'}")
    files = [p for t, p in sim.canonical_files if t in ("mentions", "incidents")]
    ingest_files(kz.store, "csv", files, timezone=TZ)
    mentions = kz.store.to_arrow(kz.store.table("mentions")).to_pandas()
    incidents = kz.store.to_arrow(kz.store.table("incidents")).to_pandas()
    kz.close()
    empty_s = pd.DataFrame(columns=["response_id", "customer_id", "ts", "kind", "score",
                                    "comment", "contact_id"])  # fmt: skip
    empty_c = pd.DataFrame(columns=["contact_id", "customer_id", "channel", "opened_at",
                                    "subject", "text", "intent"])  # fmt: skip
    scored, _ = score_sentiment(voice_texts(empty_s, empty_c, mentions), voice)
    truth = pd.read_csv(sim.ground_truth_dir / "mentions.csv").rename(columns={"kind": "meant"})
    joined = scored.merge(truth, left_on="text_id", right_on="mention_id")
    f1 = f1_score(joined["meant"].replace({"incident": "negative"}), joined["sentiment"],
                  average="macro")  # fmt: skip
    spikes = voice_spikes(voice_daily(scored, TZ), scored, incidents, pd.DataFrame(),
                          voice, TZ)  # fmt: skip
    days = {str(i.id): i.start.astimezone(JST).date() for i in cfg.incidents}
    kept = set(incidents["incident_id"])
    detected = {
        i: any(
            r.start_day <= d <= r.end_day and i in json.loads(r.incident_ids)
            for r in spikes[spikes["kind"] == "volume"].itertuples()
        )
        for i, d in days.items()
        if i in kept
    }
    false = Counter(
        r.kind
        for r in spikes.itertuples()
        if not any(r.start_day <= d <= r.end_day for d in days.values())
    )
    return {
        "detected": detected,
        "false": dict(false),
        "f1": f1,
        "days": int(scored["ts"].dt.normalize().nunique()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--window-hours", type=int, default=VoiceConfig().window_hours)
    args = parser.parse_args()
    voice = VoiceConfig(window_hours=args.window_hours)
    for config in (None, "hard"):
        hits: Counter[str] = Counter()
        seen: Counter[str] = Counter()
        false: Counter[str] = Counter()
        f1s = []
        for seed in range(args.seeds):
            with tempfile.TemporaryDirectory() as tmp:
                r = one(config, seed, Path(tmp), voice)
            for i, ok in r["detected"].items():
                seen[i] += 1
                hits[i] += ok
            false.update(r["false"])
            f1s.append(r["f1"])
        name = config or "default"
        found = ", ".join(f"{i} {hits[i]}/{seen[i]}" for i in sorted(seen))
        print(
            f"| {name} | {found} | volume {false['volume']}, negativity {false['negativity']} "
            f"in {args.seeds} seeds | {sum(f1s) / len(f1s):.3f} |"
        )


if __name__ == "__main__":
    main()
