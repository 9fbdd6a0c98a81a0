"""Same config and seed give the same bytes; another seed gives other data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kizuki.simulate import load_config, simulate_company

# The default company (300 customers, 10 days, seed 3) as it was before the realism knobs
# existed: with every knob off, the random streams must not shift. A deliberate change of the
# default company's data changes these; say so in the CHANGELOG. First 32 digits of SHA-256.
_PINNED = {
    "canonical/contacts.csv": "62be4bfd9b7681c8201841af3775af68",
    "canonical/content.csv": "5516f6f3af12668abe48e5b0d858a583",
    "canonical/customers.csv": "ec78aa7d513b0c2f1525ed51bb214589",
    "canonical/incidents.csv": "bd4e680aa0efa16b63a05784f9c7c43d",
    "canonical/mentions.csv": "c5ec529c5f752cb30628207f9c30a5e2",
    "canonical/subscriptions.csv": "eee3b4f576cbc78edb471c6bfdcb529f",
    "canonical/surveys.csv": "fbf38b5de078e841adc453b76646e1c6",
    "config.yaml": "da6dd06f26b65e82941a93c8149ec857",
    "ground_truth/customers.csv": "7c4b9c126736007be7668ef2e4647c4c",
    "ground_truth/intents.json": "357ae06d06b023dd2753600a9f369c5f",
    "ground_truth/malformed.json": "91e14deb32d673dbea93cf2ca982291a",
    "ground_truth/pii.json": "37517e5f3dc66819f61f5a7bb8ace192",
    "zendesk/tickets.jsonl": "ba381a9602d9104bb25f6d0ad05ee32f",
}
# the GA4 rows (not the Parquet bytes, which name the pyarrow version) and problems.json
# without the later ``page_paths`` key
_PINNED_GA4_ROWS = "5d35ad713b958866aa677e0c5419aa3c"
_PINNED_PROBLEMS = "ad666650eaaa1fdf1add20518f0371d7"


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_same_seed_gives_identical_files(tmp_path: Path, fmt: str) -> None:
    cfg = load_config(None, customers=300, days=20, seed=3)
    a = simulate_company(cfg, tmp_path / "a", ga4_format=fmt)  # type: ignore[arg-type]
    b = simulate_company(cfg, tmp_path / "b", ga4_format=fmt)  # type: ignore[arg-type]
    da, db = _digests(a.out_dir), _digests(b.out_dir)
    assert len(da) == 7 + 1 + 1 + 10 + 1  # canonical, ga4, zendesk, ground truth, config.yaml
    assert da == db
    assert a.n_events == b.n_events > 0


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    a = simulate_company(load_config(None, customers=300, days=20, seed=3), tmp_path / "a")
    b = simulate_company(load_config(None, customers=300, days=20, seed=4), tmp_path / "b")
    da, db = _digests(a.out_dir), _digests(b.out_dir)
    for name in (
        "ga4/events.parquet",
        "zendesk/tickets.jsonl",
        "canonical/customers.csv",
        "ground_truth/problems.json",
    ):
        assert da[name] != db[name], name


def test_rerun_replaces_previous_output(tmp_path: Path) -> None:
    simulate_company(load_config(None, customers=300, days=20, seed=3), tmp_path)
    stray = tmp_path / "ga4" / "old.parquet"
    stray.write_bytes(b"x")
    simulate_company(load_config(None, customers=300, days=20, seed=3), tmp_path)
    assert not stray.exists()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_default_company_is_unchanged_by_the_realism_knobs(tmp_path: Path) -> None:
    sim = simulate_company(load_config(None, customers=300, days=10, seed=3), tmp_path)
    digests = _digests(sim.out_dir)
    assert {k: digests[k][:32] for k in _PINNED} == _PINNED
    rows = pq.read_table(sim.ga4_file).to_pylist()
    text = json.dumps(rows, sort_keys=True, default=str, ensure_ascii=False)
    assert _sha(text.encode())[:32] == _PINNED_GA4_ROWS
    problems = json.loads((sim.ground_truth_dir / "problems.json").read_text(encoding="utf-8"))
    for p in problems:
        assert p.pop("page_paths") == [p["page_path"]]
    dumped = json.dumps(problems, ensure_ascii=False, indent=1) + "\n"
    assert _sha(dumped.encode())[:32] == _PINNED_PROBLEMS


def test_hard_company_is_deterministic_too(tmp_path: Path) -> None:
    cfg = load_config(Path("hard"), customers=300, days=20, seed=3)
    a = simulate_company(cfg, tmp_path / "a")
    b = simulate_company(cfg, tmp_path / "b")
    assert _digests(a.out_dir) == _digests(b.out_dir)


def _with_realism(tmp_path: Path, name: str, realism: Mapping[str, object]) -> Path:
    path = tmp_path / f"{name}.yaml"
    data = {"inherits": "default", "customers": 300, "days": 20, "seed": 3, "realism": realism}
    path.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML
    return path


def test_each_knob_draws_from_its_own_stream(tmp_path: Path) -> None:
    """Ticket knobs leave the GA4 file alone; GA4 knobs leave the tickets alone."""
    base = _digests(
        simulate_company(load_config(None, customers=300, days=20, seed=3), tmp_path / "d").out_dir
    )
    tickets_only = {"tickets": {"linked_share": 0.7, "tag_rate_by_channel": {"phone": 0.1}}}
    cfg = load_config(_with_realism(tmp_path, "t", tickets_only))
    t = _digests(simulate_company(cfg, tmp_path / "t").out_dir)
    assert t["ga4/events.parquet"] == base["ga4/events.parquet"]
    assert t["zendesk/tickets.jsonl"] != base["zendesk/tickets.jsonl"]
    ga4_only = {
        "identity": {"anonymous_session_share": 0.5, "mid_session_login_share": 0.3},
        "hits": {"continue_after_hit_share": 0.5, "reload_risk_ratio_given_error": 2.0},
        "help_seekers": {"error_share": 0.2},
    }
    cfg = load_config(_with_realism(tmp_path, "g", ga4_only))
    g = _digests(simulate_company(cfg, tmp_path / "g").out_dir)
    assert g["ga4/events.parquet"] != base["ga4/events.parquet"]
    for name in ("zendesk/tickets.jsonl", "ground_truth/problems.json", "canonical/surveys.csv"):
        assert g[name] == base[name], name
