"""The customer's voice: NPS waves, CES after contacts (``surveys``) and brand ``mentions``.

NPS scores drop for customers still stuck with a planted problem, CES is low after contacts
that did not resolve anything, and mentions turn negative and spike during incidents.
"""

from __future__ import annotations

import hashlib

import numpy as np

from kizuki.simulate.clock import DAY_US, HOUR_US, Clock, iso_jst
from kizuki.simulate.config import SimConfig
from kizuki.simulate.population import NEVER, Population
from kizuki.simulate.problems import Planted
from kizuki.simulate.support import Tickets
from kizuki.simulate.text import TextMaker
from kizuki.simulate.zendesk_writer import ticket_ids

__all__ = ["mention_rows", "survey_rows"]

Columns = dict[str, list[str]]
_NPS_HEALTHY = np.array([1, 1, 1, 2, 2, 3, 5, 9, 16, 22, 20], dtype=np.float64)


def survey_rows(
    cfg: SimConfig,
    pop: Population,
    clock: Clock,
    planted: Planted,
    tickets: Tickets,
    text: TextMaker,
    rng: np.random.Generator,
) -> Columns:
    """NPS responses every ``nps_interval_days`` and CES responses after solved tickets."""
    sv = cfg.surveys
    n = pop.n_customers
    # the earliest time each customer was left stuck with a problem, and which one
    stuck_at = np.full(n, NEVER, dtype=np.int64)
    stuck_problem = np.full(n, -1, dtype=np.int64)
    for p_i, (ent, ts, unres) in enumerate(
        zip(planted.hit_ent, planted.hit_ts, planted.hit_unresolved, strict=True)
    ):
        who_p, when_p = ent[unres], ts[unres]
        earlier = when_p < stuck_at[who_p]
        stuck_at[who_p[earlier]] = when_p[earlier]
        stuck_problem[who_p[earlier]] = p_i
    rows: list[tuple[int, str, int, int, str, str]] = []  # ts, kind, ent, score, comment, contact
    lo, hi = pop.active_range(clock)
    wave = clock.start_us + sv.nps_interval_days * DAY_US // 2
    p = _NPS_HEALTHY / _NPS_HEALTHY.sum()
    while wave < clock.end_us:
        who = np.flatnonzero((lo <= wave) & (hi > wave) & (rng.random(n) < sv.nps_response_rate))
        ts = wave + (rng.random(who.size) * 3 * DAY_US).astype(np.int64)
        score = rng.choice(11, size=who.size, p=p)
        stuck = stuck_at[who] < ts
        score = np.clip(score - np.where(stuck, rng.integers(2, 6, who.size), 0), 0, 10)
        for e, t, s, st in zip(
            who.tolist(), ts.tolist(), score.tolist(), stuck.tolist(), strict=True
        ):
            label = None
            if st:
                prob = cfg.problems[int(stuck_problem[e])]
                intent = next(i for i in cfg.intents if i.name == prob.intent)
                label = intent.label_ja if pop.lang[e] == 0 else intent.label_en
            comment = (
                text.nps_comment(s, int(pop.lang[e]), label)
                if rng.random() < sv.comment_rate
                else ""
            )
            rows.append((t, "nps", e, s, comment, ""))
        wave += sv.nps_interval_days * DAY_US
    ids = ticket_ids(len(tickets))
    solved = np.flatnonzero(tickets.solved_us != NEVER)
    answer = solved[rng.random(solved.size) < sv.ces_response_rate]
    ces_ts = tickets.solved_us[answer] + (rng.random(answer.size) * 2 * DAY_US).astype(np.int64)
    ok = tickets.resolved[answer]
    ces = np.where(
        ok,
        rng.choice([4, 5, 6, 7], answer.size, p=[0.1, 0.25, 0.35, 0.3]),
        rng.choice([1, 2, 3, 4, 5], answer.size, p=[0.25, 0.3, 0.25, 0.15, 0.05]),
    )
    for j, t, s in zip(answer.tolist(), ces_ts.tolist(), ces.tolist(), strict=True):
        if t >= clock.end_us:
            continue
        e = int(tickets.ent[j])
        comment = text.ces_comment(int(pop.lang[e])) if rng.random() < sv.comment_rate else ""
        rows.append((t, "ces", e, s, comment, str(ids[j])))
    rows.sort(key=lambda r: (r[0], r[2], r[1]))
    counters = {"nps": 0, "ces": 0}
    out: Columns = {
        k: []
        for k in ("response_id", "customer_id", "ts", "kind", "score", "comment", "contact_id")
    }
    stamps = iso_jst(np.array([r[0] for r in rows], dtype=np.int64))
    for (_, kind, e, s, comment, contact), stamp in zip(rows, stamps, strict=True):
        counters[kind] += 1
        out["response_id"].append(f"{kind}-{counters[kind]:06d}")
        out["customer_id"].append(f"C{e + 1:07d}")
        out["ts"].append(stamp)
        out["kind"].append(kind)
        out["score"].append(str(s))
        out["comment"].append(comment)
        out["contact_id"].append(contact)
    return out


def mention_rows(
    cfg: SimConfig,
    clock: Clock,
    text: TextMaker,
    rng: np.random.Generator,
    truth: Columns | None = None,
) -> Columns:
    """Brand mentions: a daily trickle, negative about the intents, spiking in incidents.

    ``truth`` (when given) receives each mention's ``mention_id``, ``kind`` (positive,
    neutral, negative or incident: what the simulator meant it to say) and ``lang``."""
    m = cfg.mentions
    days = clock.n_days
    day_start = clock.start_us + np.arange(days, dtype=np.int64) * DAY_US
    incident_spans = [
        (
            int(i.start.timestamp() * 1_000_000),
            int(i.start.timestamp() * 1_000_000 + i.hours * HOUR_US),
        )
        for i in cfg.incidents
    ]
    counts = rng.poisson(m.per_day, days)
    stamps: list[int] = []
    kinds: list[str] = []
    for d in range(days):
        ts = day_start[d] + np.sort(rng.random(int(counts[d])) * DAY_US).astype(np.int64)
        stamps.extend(ts.tolist())
        u = rng.random(ts.size)
        kinds.extend(
            "negative"
            if x < m.negative_share
            else "positive"
            if x < m.negative_share + m.positive_share
            else "neutral"
            for x in u.tolist()
        )
    for start, end in incident_spans:
        if end <= clock.start_us or start >= clock.end_us:
            continue
        k = int(rng.poisson(m.per_day * m.incident_multiplier * (end - start) / DAY_US + 3))
        ts = start + np.sort(rng.random(k) * (end - start + 2 * HOUR_US)).astype(np.int64)
        stamps.extend(ts.tolist())
        kinds.extend(["incident"] * k)
    order = np.argsort(np.array(stamps, dtype=np.int64), kind="stable")
    out: Columns = {k: [] for k in ("mention_id", "ts", "source", "author_hash", "text", "url")}
    iso = iso_jst(np.array(stamps, dtype=np.int64)[order]) if stamps else []
    sources = ["x", "x", "x", "instagram", "note", "review_site"]
    for j, i in enumerate(order.tolist()):
        lang = 0 if rng.random() < m.ja_share else 1
        intent = cfg.intents[int(rng.integers(len(cfg.intents)))]
        topic = intent.label_ja if lang == 0 else intent.label_en.lower()
        author = hashlib.sha256(f"{cfg.seed}-{int(rng.integers(1 << 40))}".encode()).hexdigest()[
            :16
        ]
        source = sources[int(rng.integers(len(sources)))]
        mid = f"m-{j + 1:06d}"
        out["mention_id"].append(mid)
        out["ts"].append(iso[j])
        out["source"].append(source)
        out["author_hash"].append(author)
        out["text"].append(text.mention(kinds[i], lang, topic))
        out["url"].append(f"https://{source}.example/{author[:8]}/{mid}")
        if truth is not None:
            for key, value in (
                ("mention_id", mid),
                ("kind", kinds[i]),
                ("lang", "ja" if lang == 0 else "en"),
            ):
                truth.setdefault(key, []).append(value)
    return out
