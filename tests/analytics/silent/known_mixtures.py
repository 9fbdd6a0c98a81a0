"""Known mixtures for the latent class tests: units drawn from hit and background classes.

Imported by the tests beside it (``from known_mixtures import ...``); not a test module.
"""

from __future__ import annotations

import numpy as np

#: per indicator: (hit-class category probabilities, background ones); category 0 = none
ERROR = ([0.6, 0.4, 0.0, 0.0], [0.985, 0.0, 0.01, 0.005])
LOOP = ([0.5, 0.5], [0.93, 0.07])
HELP = ([0.45, 0.45, 0.1, 0.0], [0.93, 0.005, 0.035, 0.03])


def draw_units(rng: np.random.Generator, n_hit: int, n_bg: int) -> tuple[np.ndarray, np.ndarray]:
    """Indicator codes of ``n_hit`` hit and ``n_bg`` background units, hit units first."""
    cols = []
    for hit_p, bg_p in (ERROR, LOOP, HELP):
        cols.append(
            np.concatenate(
                [rng.choice(len(hit_p), n_hit, p=hit_p), rng.choice(len(bg_p), n_bg, p=bg_p)]
            )
        )
    return np.stack(cols, axis=1), np.r_[np.ones(n_hit, bool), np.zeros(n_bg, bool)]


def as_patterns(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    uniq, counts = np.unique(codes, axis=0, return_counts=True)
    return uniq, counts.astype(float)


def draw_weak(rng: np.random.Generator, n_hit: int, n_bg: int) -> tuple[np.ndarray, np.ndarray]:
    """A weakly identified page, like the simulator's card page with the product's signals.

    The error is the problem's own (never in the background); loops are common in ordinary
    sessions (31%) but rare in the short sessions of people who only look for help (6% of the
    background), so loop and help depend on each other in the background, which the two-class
    model does not allow for (docs/silent.md gives the card page's measured rates).
    """
    err = np.r_[rng.random(n_hit) < 0.8, np.zeros(n_bg, bool)]
    short = rng.random(n_bg) < 0.06
    loop = np.r_[rng.random(n_hit) < 0.42, rng.random(n_bg) < np.where(short, 0.02, 0.31)]
    help_bg = np.where(
        short,
        rng.choice(3, n_bg, p=[0.76, 0.12, 0.12]),
        rng.choice(3, n_bg, p=[0.998, 0.001, 0.001]),
    )
    helped = np.r_[rng.choice(3, n_hit, p=[0.43, 0.39, 0.18]), help_bg]
    return as_patterns(np.stack([err.astype(int), loop.astype(int), helped], axis=1))


def draw_seekers(
    rng: np.random.Generator, n_hit: int, n_bg: int, n_seek: int
) -> tuple[np.ndarray, np.ndarray]:
    """Hit units, ordinary background (independent noise) and help seekers, who came with a
    question: help always (about the page's intent or another), never a loop or an error. Mixed
    into the background they make help without a loop common and help with one rare, as the
    simulator's self-service visitors do on its card page."""
    err = np.r_[
        np.where(rng.random(n_hit) < 0.8, 1, 0),
        np.where(rng.random(n_bg) < 0.01, 2, 0),
        np.zeros(n_seek, int),
    ]
    loop = np.r_[rng.random(n_hit) < 0.4, rng.random(n_bg) < 0.14, np.zeros(n_seek, bool)]
    helped = np.r_[
        rng.choice(3, n_hit, p=[0.55, 0.35, 0.10]),
        rng.choice(3, n_bg, p=[0.945, 0.005, 0.05]),
        rng.choice([1, 2], n_seek, p=[0.5, 0.5]),
    ]
    return as_patterns(np.stack([err, loop.astype(int), helped], axis=1))
