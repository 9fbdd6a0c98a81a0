"""``bench/accuracy_floor.py``: pages drawn from a fitted model, and the count's spread on them."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from kizuki.analytics.estimate import fit_two_class
from kizuki.analytics.seekers import SeekerFit, fit_with_seekers

BENCH = Path(__file__).parents[2] / "bench"


def _load_floor() -> ModuleType:
    sys.path.insert(0, str(BENCH))  # the script imports accuracy_silent as its neighbour
    try:
        spec = importlib.util.spec_from_file_location("accuracy_floor", BENCH / "accuracy_floor.py")
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(BENCH))


floor = _load_floor()


def _model() -> SeekerFit:
    """A page's fitted model: 8% hit units (error, loop, help), background, help seekers."""
    return SeekerFit(
        n_units=20_000.0,
        shares=np.array([0.08, 0.90, 0.02]),
        probs=(
            np.array([[0.5, 0.5, 0.0], [0.99, 0.0, 0.01], [1.0, 0.0, 0.0]]),
            np.array([[0.45, 0.55], [0.95, 0.05], [1.0, 0.0]]),
            np.array([[0.45, 0.4, 0.15], [0.94, 0.01, 0.05], [0.0, 0.6, 0.4]]),
        ),
        log_likelihood=0.0,
    )


def test_drawn_pages_follow_the_model() -> None:
    model = _model()
    rng = np.random.default_rng(3)
    patterns, counts, hits = floor.draw_page(model, 20_000, rng)
    assert counts.sum() == 20_000
    assert abs(hits - 1_600) < 4 * np.sqrt(20_000 * 0.08 * 0.92)
    for j, probs in enumerate(model.probs):
        margin = model.shares @ probs  # the category shares of the mixture
        seen = np.bincount(patterns[:, j], weights=counts, minlength=probs.shape[1]) / 20_000
        np.testing.assert_allclose(seen, margin, atol=0.01)
    # a page of help seekers only: each looks for help, none errs or loops
    seekers = dataclasses.replace(model, shares=np.array([0.0, 0.0, 1.0]))
    patterns, counts, hits = floor.draw_page(seekers, 500, rng)
    assert hits == 0
    assert (patterns[:, :2] == 0).all() and (patterns[:, 2] > 0).all()


def test_the_count_on_drawn_pages_has_the_spread_its_interval_claims() -> None:
    """Refitting drawn pages gives counts near the drawn truth; their spread is what the
    script reports, a few percent on a page this size."""
    model = _model()
    rng = np.random.default_rng(4)
    errors = []
    for _ in range(6):
        patterns, counts, hits = floor.draw_page(model, 20_000, rng)
        errors.append(floor.count_hits(patterns, counts, rng) / hits - 1.0)
    assert abs(float(np.mean(errors))) < 0.05
    assert 0.0 < float(np.std(errors)) < 0.1
    # the fitted model of a drawn page is the kind the script draws from
    patterns, counts, _ = floor.draw_page(model, 20_000, rng)
    refit = fit_with_seekers(fit_two_class(patterns, counts), patterns, counts)
    assert abs(refit.shares[0] - 0.08) < 0.02
