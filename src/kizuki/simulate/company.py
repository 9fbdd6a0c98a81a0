"""Run a whole simulation: population, problems, support, events, files and ground truth."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from kizuki.errors import ConfigError
from kizuki.progress import ProgressCallback, no_progress
from kizuki.simulate.canonical_tables import (
    chatbot_contact_rows,
    content_rows,
    customer_rows,
    incident_rows,
    subscription_rows,
)
from kizuki.simulate.canonical_writer import write_canonical
from kizuki.simulate.catalog import Catalog, build_catalog
from kizuki.simulate.clock import HOUR_US, MINUTE_US, Clock
from kizuki.simulate.config import SimConfig
from kizuki.simulate.defects import WriteStats
from kizuki.simulate.ga4_arrow import build_ga4_table, build_vocab
from kizuki.simulate.ga4_writer import Ga4Writer
from kizuki.simulate.ground_truth import problem_truth, write_ground_truth
from kizuki.simulate.hits import add_helpseeker_struggle, realistic_hits, write_hits
from kizuki.simulate.identity import simulate_second_devices, write_identities
from kizuki.simulate.linkage import retag_tickets, simulate_requesters
from kizuki.simulate.population import Population, simulate_population
from kizuki.simulate.problems import plant_incidents, plant_problems
from kizuki.simulate.realism import HelpSeekerRealism
from kizuki.simulate.sessions import Chunk, simulate_chunk_events
from kizuki.simulate.specs import ContactRequests, SelfServiceAttempts, SessionSpecs
from kizuki.simulate.support import (
    Tickets,
    add_recontacts,
    assign_channels,
    simulate_background,
    simulate_emerging,
)
from kizuki.simulate.text import TextMaker
from kizuki.simulate.voice import mention_rows, survey_rows
from kizuki.simulate.zendesk_writer import write_zendesk

__all__ = ["SimResult", "simulate_company"]

CANONICAL_TABLES = (
    "customers",
    "subscriptions",
    "content",
    "surveys",
    "incidents",
    "mentions",
    "contacts",
)


@dataclass
class SimResult:
    """Where a simulation wrote its files, and how much it made."""

    out_dir: Path
    canonical_files: list[tuple[str, Path]]
    ga4_file: Path
    zendesk_file: Path
    ground_truth_dir: Path
    n_events: int
    seconds: float
    n_customers: int = 0
    n_tickets: int = 0

    def summary(self) -> str:
        """A few human-readable lines."""
        rate = self.n_events / self.seconds if self.seconds > 0 else float("inf")
        return "\n".join(
            [
                f"simulated {self.n_customers:,} customers: {self.n_events:,} GA4 events, "
                f"{self.n_tickets:,} Zendesk tickets in {self.seconds:.1f} s "
                f"({rate:,.0f} events/s)",
                f"GA4:          {self.ga4_file}",
                f"Zendesk:      {self.zendesk_file}",
                f"canonical:    {', '.join(t for t, _ in self.canonical_files)} "
                f"in {self.out_dir / 'canonical'}",
                f"ground truth: {self.ground_truth_dir}",
            ]
        )


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def _alive(
    pop: Population, clock: Clock, ent: NDArray[np.int64], ts: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """Which records happen while their customer still has an account, inside the window."""
    stop = np.minimum(pop.churn_us[ent], clock.end_us)
    return np.asarray((ts < stop) & (ts >= clock.start_us), dtype=np.bool_)


def simulate_company(
    config: SimConfig,
    out_dir: Path,
    *,
    progress: ProgressCallback = no_progress,
    ga4_format: Literal["parquet", "jsonl"] = "parquet",
) -> SimResult:
    """Simulate the demo company and write its exports and ground truth into ``out_dir``.

    Parameters
    ----------
    config
        From :func:`~kizuki.simulate.load_config`.
    out_dir
        Created if missing; the simulator's sub-folders in it are replaced.
    progress
        Called as ``progress(step, completed, total)``.
    ga4_format
        ``parquet`` (default) or ``jsonl``.

    Examples
    --------
    >>> from kizuki.simulate import load_config, simulate_company
    >>> cfg = load_config(None, customers=200, days=30)
    >>> result = simulate_company(cfg, tmp_path)  # doctest: +SKIP
    """
    if ga4_format not in ("parquet", "jsonl"):
        raise ConfigError(f"ga4_format {ga4_format!r} is not supported; use 'parquet' or 'jsonl'")
    started = time.perf_counter()
    cfg = config
    out_dir = Path(out_dir)
    dirs = {name: out_dir / name for name in ("canonical", "ga4", "zendesk", "ground_truth")}
    for d in dirs.values():
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    seed = cfg.seed
    clock = Clock(cfg.start_date, cfg.end_date)
    cat = build_catalog(cfg)
    progress("population", 0, None)
    pop = simulate_population(cfg, clock, _rng(seed, 1))
    pop.second = simulate_second_devices(cfg, pop, clock, _rng(seed, 301))
    planted = plant_problems(cfg, cat, pop, clock, _rng(seed, 2))
    incidents = plant_incidents(cfg, cat, pop, clock, _rng(seed, 3))
    bg = simulate_background(cfg, cat, pop, clock, _rng(seed, 4))
    bg_sessions, bg_contacts, bg_attempts, bg_returns = bg
    # the realism knobs (all off in the default company) draw from generators of their own
    hits = realistic_hits(cfg, cat, pop, clock, planted.sessions, planted.hit_ent, planted.hit_ts)
    if cfg.realism.help_seekers != HelpSeekerRealism():
        add_helpseeker_struggle(cfg, cat, bg_sessions, _rng(seed, 405))

    # churn is final now: drop whatever would happen after a customer left
    contacts = ContactRequests.concat([planted.contacts, incidents.contacts, bg_contacts])
    contacts = add_recontacts(
        cfg,
        contacts.take(np.flatnonzero(_alive(pop, clock, contacts.ent, contacts.ts))),
        _rng(seed, 5),
    )
    contacts = contacts.take(np.flatnonzero(_alive(pop, clock, contacts.ent, contacts.ts)))
    attempts = SelfServiceAttempts.concat([planted.attempts, bg_attempts])
    attempts = attempts.take(np.flatnonzero(_alive(pop, clock, attempts.ent, attempts.ts)))
    hit_ent, hit_ts = [], []
    for ent, ts in zip(planted.hit_ent, planted.hit_ts, strict=True):
        keep = _alive(pop, clock, ent, ts)
        hit_ent.append(ent[keep])
        hit_ts.append(ts[keep])
    tickets = assign_channels(cfg, contacts, clock, _rng(seed, 6), pop.segment)
    tickets = _with_emerging(cfg, pop, clock, _within(tickets, clock), seed)
    retag_tickets(cfg, tickets)
    special = SessionSpecs.concat(
        [
            hits.sessions,
            incidents.sessions,
            bg_sessions,
            planted.returns,
            bg_returns,
            _cancel_sessions(cat, pop, clock),
        ]
    )
    special = special.take(np.flatnonzero(_alive(pop, clock, special.ent, special.ts + MINUTE_US)))
    special = special.take(np.argsort(special.ent, kind="stable"))

    ga4_path = dirs["ga4"] / f"events.{ga4_format}"
    ga4_stats = _write_ga4(cfg, cat, pop, clock, special, ga4_path, ga4_format, progress)

    progress("tickets and tables", 0, None)
    text = TextMaker(cfg, _rng(seed, 7))
    files: list[WriteStats] = [ga4_stats]
    z_path = dirs["zendesk"] / "tickets.jsonl"
    requesters = simulate_requesters(cfg, tickets, pop)
    z_stats, pii, people = write_zendesk(
        cfg, tickets, pop, clock, z_path, text, _rng(seed, 8), requesters
    )
    files.append(z_stats)
    rng = _rng(seed, 9)
    mention_truth: dict[str, list[str]] = {}
    tables: dict[str, Callable[[], dict[str, list[str]]]] = {
        "customers": lambda: customer_rows(cfg, pop, rng),
        "subscriptions": lambda: subscription_rows(cfg, pop, clock, rng),
        "content": lambda: content_rows(cfg, clock, text, rng),
        "surveys": lambda: survey_rows(cfg, pop, clock, planted, tickets, text, rng),
        "incidents": lambda: incident_rows(cfg),
        "mentions": lambda: mention_rows(cfg, clock, text, rng, mention_truth),
        "contacts": lambda: chatbot_contact_rows(cfg, pop, attempts, text, rng),
    }
    canonical: list[tuple[str, Path]] = []
    defect_rng = _rng(seed, 10)
    for i, (table, make) in enumerate(tables.items()):
        path = dirs["canonical"] / f"{table}.csv"
        files.append(write_canonical(table, make(), path, cfg.quality, defect_rng))
        canonical.append((table, path))
        progress("tickets and tables", i + 1, len(tables))

    truths = problem_truth(cfg, pop, clock, tickets, hit_ent, hit_ts, planted.eligible)
    write_ground_truth(
        cfg, pop, clock, truths, tickets, attempts, files, pii, dirs["ground_truth"],
        incident_hits=_incident_hits(cfg, cat, pop, special),
    )  # fmt: skip
    write_hits(dirs["ground_truth"] / "hits.csv", cfg, cat, pop, clock, hits)
    write_identities(dirs["ground_truth"] / "identities.csv", pop, people)
    _write_mention_truth(dirs["ground_truth"] / "mentions.csv", mention_truth)
    (out_dir / "config.yaml").write_text(cfg.to_yaml(), encoding="utf-8")
    return SimResult(
        out_dir=out_dir,
        canonical_files=canonical,
        ga4_file=ga4_path,
        zendesk_file=z_path,
        ground_truth_dir=dirs["ground_truth"],
        n_events=ga4_stats.rows,
        seconds=time.perf_counter() - started,
        n_customers=pop.n_customers,
        n_tickets=len(tickets),
    )


def _with_emerging(
    cfg: SimConfig, pop: Population, clock: Clock, tickets: Tickets, seed: int
) -> Tickets:
    """Add the tickets about emerging intents (own generators, so nothing else changes) and
    untag every ticket whose intent is not in the team's taxonomy."""
    new = simulate_emerging(cfg, pop, clock, _rng(seed, 11))
    new = new.take(np.flatnonzero(_alive(pop, clock, new.ent, new.ts)))
    if len(new):
        more = _within(assign_channels(cfg, new, clock, _rng(seed, 12), pop.segment), clock)
        tickets = Tickets.concat([tickets, more])
        tickets = tickets.take(np.argsort(tickets.opened_us, kind="stable"))
    in_taxonomy = np.array([i.in_taxonomy for i in cfg.intents], dtype=np.bool_)
    tickets.labelled &= in_taxonomy[tickets.intent]
    return tickets


def _within(tickets: Tickets, clock: Clock) -> Tickets:
    """Tickets opened inside the window (moving chats to opening hours can push past it)."""
    return tickets.take(np.flatnonzero(tickets.opened_us < clock.end_us))


def _cancel_sessions(cat: Catalog, pop: Population, clock: Clock) -> SessionSpecs:
    """Churned customers visit the cancellation page (if the journey has one) as they leave."""
    pages = [i for i, p in enumerate(cat.page_paths) if "cancel" in p]
    churned = np.flatnonzero(pop.churn_us < clock.end_us)
    if not pages:
        churned = churned[:0]
    ts = pop.churn_us[churned] - 10 * MINUTE_US
    page = pages[0] if pages else 0
    s = SessionSpecs.new(churned.astype(np.int64), ts, int(cat.page_stage[page]))
    s.page[:] = page
    s.n_browse[:] = 1
    return s


def _write_ga4(
    cfg: SimConfig,
    cat: Catalog,
    pop: Population,
    clock: Clock,
    special: SessionSpecs,
    path: Path,
    fmt: Literal["parquet", "jsonl"],
    progress: ProgressCallback,
) -> WriteStats:
    """Generate and write the GA4 events chunk by chunk of customers."""
    vocab = build_vocab(cfg, cat, clock)
    writer = Ga4Writer(path, fmt, cfg.quality, _rng(cfg.seed, 11))
    n_c, n_p = pop.n_customers, pop.n_prospects
    size = cfg.chunk_customers
    n_chunks = -(-n_c // size)
    try:
        for k in range(n_chunks):
            c0, c1 = k * size, min(n_c, (k + 1) * size)
            chunk = Chunk(k, c0, c1, n_p * c0 // n_c, n_p * c1 // n_c)
            lo, hi = np.searchsorted(special.ent, [c0, c1])
            part = special.take(np.arange(lo, hi))
            batch = simulate_chunk_events(cfg, cat, pop, clock, chunk, part, _rng(cfg.seed, 100, k))
            writer.write(build_ga4_table(batch, vocab, pop), batch.name)
            progress("GA4 events", c1, n_c)
    finally:
        stats = writer.close()
    return stats


def _write_mention_truth(path: Path, truth: dict[str, list[str]]) -> None:
    """``mentions.csv``: per mention what the simulator meant it to say (``kind``)."""
    import csv

    columns = ("mention_id", "kind", "lang")
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(zip(*(truth.get(c, []) for c in columns), strict=True))


def _incident_hits(
    cfg: SimConfig, cat: Catalog, pop: Population, sessions: SessionSpecs
) -> list[NDArray[np.int64]]:
    """Per incident (config order), the customers it hit: of its segment, a session that began
    while it lasted with an error on its page (or a page under it) — its outage sessions, and
    any other error there then. ``sessions``: the final special sessions (churn applied)."""
    seg_names = [s.name for s in cfg.segments]
    out = []
    for inc in cfg.incidents:
        start = int(inc.start.timestamp() * 1_000_000)
        end = start + int(inc.hours * HOUR_US)
        root = inc.page_path.rstrip("/")
        pages = [i for i, p in enumerate(cat.page_paths) if p == root or p.startswith(root + "/")]
        hit = (
            np.isin(sessions.page, pages)
            & (sessions.error >= 0)
            & (sessions.ts >= start)
            & (sessions.ts < end)
            & (pop.segment[sessions.ent] == seg_names.index(inc.segment))
        )
        out.append(np.unique(sessions.ent[hit]))
    return out
