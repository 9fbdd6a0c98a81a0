"""Same config and seed give the same bytes; another seed gives other data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kizuki.simulate import load_config, simulate_company


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
    assert len(da) == 7 + 1 + 1 + 5 + 1  # canonical, ga4, zendesk, ground truth, config.yaml
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
