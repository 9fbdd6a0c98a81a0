"""Problem hits as real customers have them, and help seekers who also struggle.

With ``realism.hits`` and ``realism.help_seekers`` off, every affected customer is hit once, on
the problem's page, where the hit session ends; a reload is as likely with an error as without;
and help seekers never see an error or reload. The knobs change that:

- a problem with ``other_page_paths`` hits on any of its pages (chosen uniformly per hit);
- ``reload_risk_ratio_given_error``: a reload is that many times likelier in a hit with an
  error than in one without, keeping the problem's ``signal_loop`` as the overall rate;
- ``extra_hits_mean``: affected customers are hit again, Poisson(mean) more times, each 1 to
  ``extra_hit_days`` days after the first hit, in a session on a problem page with the
  problem's signals (no self-service: that came with the first hit);
- ``continue_after_hit_share`` of hit sessions go on to 1 + Poisson(``continue_pages_mean``)
  other pages after the hit;
- ``help_seekers.error_share`` / ``reload_share`` of background self-service sessions also show
  a background error / a reload.

Each knob draws from a generator of its own, so the rest of the simulation is unchanged.
``ground_truth/hits.csv`` lists every hit session.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kizuki.simulate.catalog import Catalog
from kizuki.simulate.clock import DAY_US, MINUTE_US, Clock, iso_jst
from kizuki.simulate.config import Problem, SimConfig
from kizuki.simulate.population import Population
from kizuki.simulate.specs import SessionSpecs

__all__ = [
    "HitSessions",
    "add_helpseeker_struggle",
    "pick_other_pages",
    "realistic_hits",
    "write_hits",
]

I64 = NDArray[np.int64]


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


@dataclass
class HitSessions:
    """Every planted hit session with its problem index and whether it is the first hit."""

    sessions: SessionSpecs
    problem: NDArray[np.int16]
    hit_us: I64  # the hit itself (the session starts a few minutes before)
    first: NDArray[np.bool_]


def pick_other_pages(
    cat: Catalog, stage: NDArray[np.int16], avoid: I64, rng: np.random.Generator
) -> NDArray[np.int32]:
    """A page of each session's stage (by weight), other than ``avoid`` where the stage has one."""
    out = np.empty(stage.size, dtype=np.int32)
    u = rng.random(stage.size)
    for st, (codes, p) in enumerate(zip(cat.stage_pages, cat.stage_page_p, strict=True)):
        mask = stage == st
        if not mask.any():
            continue
        pick = np.minimum(np.searchsorted(np.cumsum(p), u[mask], side="right"), codes.size - 1)
        same = codes[pick] == avoid[mask]
        pick = np.where(same & (codes.size > 1), (pick + 1) % codes.size, pick)
        out[mask] = codes[pick]
    return out


def _reload_probs(prob: Problem, ratio: float) -> tuple[float, float]:
    """P(reload | error), P(reload | no error) with that ratio and ``signal_loop`` overall."""
    e, rate = prob.signal_error, prob.signal_loop
    without = rate / (e * ratio + 1.0 - e)
    return min(1.0, ratio * without), min(1.0, without)


def _signals(
    cfg: SimConfig,
    cat: Catalog,
    s: SessionSpecs,
    problem: NDArray[np.int16],
    rng: np.random.Generator,
    redraw_error: bool,
) -> None:
    """Pages, errors and (correlated) reloads of hit sessions, per their problem."""
    h = cfg.realism.hits
    for p_i, prob in enumerate(cfg.problems):
        idx = np.flatnonzero(problem == p_i)
        k = idx.size
        pages = np.array([cat.page_code(p) for p in prob.page_paths], dtype=np.int32)
        u_page, u_err, u_loop = rng.random((3, k))
        if pages.size > 1:
            s.page[idx] = pages[(u_page * pages.size).astype(np.int64)]
        if redraw_error:
            code = cat.error_messages.index(prob.error_message)
            s.error[idx] = np.where(u_err < prob.signal_error, code, -1)
        if redraw_error or h.reload_risk_ratio_given_error != 1.0:
            with_err, without = _reload_probs(prob, h.reload_risk_ratio_given_error)
            s.loop[idx] = u_loop < np.where(s.error[idx] >= 0, with_err, without)


def realistic_hits(
    cfg: SimConfig,
    cat: Catalog,
    pop: Population,
    clock: Clock,
    first: SessionSpecs,
    hit_ent: list[I64],
    hit_ts: list[I64],
) -> HitSessions:
    """The problems' hit sessions with the ``realism.hits`` knobs applied (and repeat hits).

    ``first`` are the problems' own sessions (problem by problem, in ``hit_ent`` order).
    """
    h = cfg.realism.hits
    seed = cfg.seed
    sizes = [e.size for e in hit_ent]
    problem = np.repeat(np.arange(len(sizes), dtype=np.int16), sizes)
    ts = np.concatenate(hit_ts) if hit_ts else np.zeros(0, np.int64)
    first = first.take(np.arange(len(first)))  # a copy: the caller's stays as drawn
    _signals(cfg, cat, first, problem, _rng(seed, 401), redraw_error=False)
    parts = [first]
    probs, times, is_first = [problem], [ts], [np.ones(problem.size, dtype=np.bool_)]
    if h.extra_hits_mean > 0 and problem.size:
        rng = _rng(seed, 402)
        n = rng.poisson(h.extra_hits_mean, problem.size)
        src = np.repeat(np.arange(problem.size), n)
        days = 1.0 + rng.random(src.size) * (h.extra_hit_days - 1)
        t = ts[src] + (days * DAY_US).astype(np.int64)
        ent = first.ent[src]
        start = t - (rng.random(src.size) * 4 * MINUTE_US).astype(np.int64)
        alive = (start + MINUTE_US < np.minimum(pop.churn_us[ent], clock.end_us)) & (
            start >= clock.start_us
        )
        keep = np.flatnonzero(alive)
        more = SessionSpecs.new(ent[keep], start[keep], first.stage[src[keep]])
        more.n_browse[:] = rng.integers(0, 3, keep.size)
        more_problem = problem[src[keep]]
        more.page[:] = [cat.page_code(cfg.problems[p].page_path) for p in more_problem.tolist()]
        _signals(cfg, cat, more, more_problem, rng, redraw_error=True)
        parts.append(more)
        probs.append(more_problem)
        times.append(t[keep])
        is_first.append(np.zeros(keep.size, dtype=np.bool_))
    out = HitSessions(
        sessions=SessionSpecs.concat(parts),
        problem=np.concatenate(probs),
        hit_us=np.concatenate(times),
        first=np.concatenate(is_first),
    )
    if h.continue_after_hit_share > 0:
        rng = _rng(seed, 403)
        n_s = len(out.sessions)
        goes_on = rng.random(n_s) < h.continue_after_hit_share
        pages = 1 + rng.poisson(h.continue_pages_mean, n_s)
        out.sessions.n_after[:] = np.where(goes_on, pages, 0)
    return out


def add_helpseeker_struggle(
    cfg: SimConfig, cat: Catalog, s: SessionSpecs, rng: np.random.Generator
) -> None:
    """Give help seekers' sessions background errors and reloads (``realism.help_seekers``)."""
    hs = cfg.realism.help_seekers
    n = len(s)
    err, loop = rng.random((2, n))
    code = rng.integers(0, cat.n_background_errors, n)
    s.error[:] = np.where(err < hs.error_share, code, s.error)
    s.loop[:] = s.loop | (loop < hs.reload_share)


def write_hits(
    path: Path, cfg: SimConfig, cat: Catalog, pop: Population, clock: Clock, hits: HitSessions
) -> None:
    """``hits.csv``: one row per hit session that happened (inside the window, before churn)."""
    s = hits.sessions
    stop = np.minimum(pop.churn_us[s.ent], clock.end_us)
    keep = np.flatnonzero((s.ts + MINUTE_US < stop) & (s.ts >= clock.start_us))
    order = keep[np.lexsort((hits.hit_us[keep], s.ent[keep], hits.problem[keep]))]
    names = [p.name for p in cfg.problems]
    stamps = iso_jst(hits.hit_us[order]) if order.size else []
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(
            [
                "problem",
                "customer_id",
                "hit_at",
                "first_hit",
                "page_path",
                "ga_session_id",
                "error_message",
                "reload",
                "continued",
            ]
        )
        for row, i in enumerate(order.tolist()):
            err = int(s.error[i])
            w.writerow(
                [
                    names[int(hits.problem[i])],
                    f"C{int(s.ent[i]) + 1:07d}",
                    stamps[row],
                    int(hits.first[i]),
                    cat.page_paths[int(s.page[i])],
                    int(s.ts[i]) // 1_000_000,
                    cat.error_messages[err] if err >= 0 else "",
                    int(s.loop[i]),
                    int(s.n_after[i] > 0),
                ]
            )
