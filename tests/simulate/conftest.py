"""Small simulations shared by the simulator tests (each is made once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kizuki.simulate import SimResult, load_config, simulate_company


def _run(tmp: Path, **kw: int) -> SimResult:
    return simulate_company(load_config(None, **kw), tmp)


@pytest.fixture(scope="session")
def small_sim(tmp_path_factory: pytest.TempPathFactory) -> SimResult:
    """400 customers over 30 days: fast, for format checks."""
    return _run(tmp_path_factory.mktemp("small"), customers=400, days=30, seed=7)


@pytest.fixture(scope="session")
def medium_sim(tmp_path_factory: pytest.TempPathFactory) -> SimResult:
    """4,000 customers over 60 days: enough customers for rate checks."""
    return _run(tmp_path_factory.mktemp("medium"), customers=4000, days=60, seed=11)


@pytest.fixture(scope="session")
def hard_sim(tmp_path_factory: pytest.TempPathFactory) -> SimResult:
    """The shipped ``hard`` company, 3,000 customers over 30 days: every realism knob on."""
    cfg = load_config(Path("hard"), customers=3000, days=30, seed=5)
    return simulate_company(cfg, tmp_path_factory.mktemp("hard"))
