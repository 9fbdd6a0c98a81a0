"""A page's hit model: its indicator patterns, and when its two-class fit counts as a problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
from known_mixtures import draw_weak

from kizuki.analytics.silent import SilentConfig
from kizuki.analytics.silent.latent_class import fit_two_class
from kizuki.analytics.silent.page_fit import indicator_patterns, is_problem


def test_a_heterogeneous_background_alone_is_not_a_problem() -> None:
    """Loopers and help-only visitors make two classes that beat independence at scale, but
    their 'hit' class raises one indicator only; a real problem raises two or more."""
    cfg = SilentConfig()
    noise = fit_two_class(*draw_weak(np.random.default_rng(9), 0, 60_000))
    assert noise.p_value < cfg.alpha  # significant: G2 grows with the units
    assert not is_problem(noise, cfg)
    problem = fit_two_class(*draw_weak(np.random.default_rng(9), 300, 60_000))
    assert is_problem(problem, cfg)


def test_indicator_patterns_are_distinct_rows_in_order_with_summed_units() -> None:
    units = pd.DataFrame(
        {
            "error_kind": ["", "Timeout", "", "Boom", "Timeout", ""],
            "loop": [False, True, False, False, True, True],
            "help_kind": ["", "bank_link", "", "", "bank_link", "chatbot"],
            "units": [4, 1, 2, 1, 3, 1],
        }
    )
    got = indicator_patterns(units)
    # categories: "" first, then sorted; False/True of the loop become ""/"loop"
    assert got.categories == [["", "Boom", "Timeout"], ["", "loop"], ["", "bank_link", "chatbot"]]
    assert got.patterns.tolist() == [[0, 0, 0], [0, 1, 2], [1, 0, 0], [2, 1, 1]]
    assert got.counts.tolist() == [6.0, 1.0, 1.0, 4.0]
    assert got.inverse.tolist() == [0, 3, 0, 2, 3, 1]
