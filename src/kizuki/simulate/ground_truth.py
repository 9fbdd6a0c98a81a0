"""The ground truth of a simulation: what was planted, so analyses can be checked against it.

``problems.json`` lists each problem's affected, contacted, silent and churned customers (and,
for the N-day definition of contacted in docs/silent.md, who contacted within ``WINDOW_DAYS``
of the hit and each affected customer's contact delay);
``intents.json`` the true self-service success per intent (and whether the team's taxonomy
has a label for it); ``customers.csv`` who churned and
which problems hit them; ``malformed.json`` the defects planted in every file (so ingest counts
can be checked exactly); ``pii.json`` the personal data written into ticket texts.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kizuki.simulate.clock import DAY_US, Clock, iso_jst
from kizuki.simulate.config import SimConfig
from kizuki.simulate.defects import WriteStats
from kizuki.simulate.population import Population
from kizuki.simulate.specs import SelfServiceAttempts
from kizuki.simulate.support import Tickets

__all__ = ["WINDOW_DAYS", "ProblemTruth", "incident_truth", "problem_truth", "write_ground_truth"]

#: N of "contacted support about it within N days" (the analytics' default window).
WINDOW_DAYS = 14


@dataclass
class ProblemTruth:
    """Customer indices (0-based entities) of one planted problem."""

    affected: NDArray[np.int64]
    contacted: NDArray[np.int64]
    silent: NDArray[np.int64]
    churned: NDArray[np.int64]
    eligible: int
    hit_us: NDArray[np.int64]  # per affected customer (in ``affected`` order): time of the hit
    delay_us: NDArray[np.int64]  # per affected customer: first ticket about the intent at or
    #                              after the hit, minus the hit; -1 when there is none


def _first_ticket_after(
    ent: NDArray[np.int64],
    ts: NDArray[np.int64],
    t_ent: NDArray[np.int64],
    t_opened: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Per ``(ent, ts)``: the earliest ``t_opened`` of the same entity at or after ``ts``; -1."""
    order = np.lexsort((t_opened, t_ent))
    se, so = t_ent[order], t_opened[order]
    lo = np.searchsorted(se, ent, "left")
    hi = np.searchsorted(se, ent, "right")
    out = np.full(ent.size, -1, dtype=np.int64)
    for i in np.flatnonzero(hi > lo).tolist():  # only customers with such a ticket
        j = lo[i] + int(np.searchsorted(so[lo[i] : hi[i]], ts[i], "left"))
        if j < hi[i]:
            out[i] = so[j]
    return out


def problem_truth(
    cfg: SimConfig,
    pop: Population,
    clock: Clock,
    tickets: Tickets,
    hit_ent: list[NDArray[np.int64]],
    hit_ts: list[NDArray[np.int64]],
    eligible: list[int],
) -> list[ProblemTruth]:
    """Affected = hit; contacted = opened a ticket about the problem's intent after the hit.

    Every ticket about the intent counts (the problem's own, a re-contact, or a background one:
    the data cannot tell them apart); ``delay_us`` keeps the first one's delay so that the
    N-day count can be taken for any N.
    """
    names = [i.name for i in cfg.intents]
    churned = pop.churn_us < clock.end_us
    out = []
    for p_i, prob in enumerate(cfg.problems):
        ent, ts = hit_ent[p_i], hit_ts[p_i]
        intent = names.index(prob.intent)
        mine = tickets.intent == intent
        first = _first_ticket_after(ent, ts, tickets.ent[mine], tickets.opened_us[mine])
        contacted = first >= 0
        order = np.argsort(ent, kind="stable")
        out.append(
            ProblemTruth(
                affected=ent[order],
                contacted=np.sort(ent[contacted]),
                silent=np.sort(ent[~contacted]),
                churned=np.sort(ent[churned[ent]]),
                eligible=eligible[p_i],
                hit_us=ts[order],
                delay_us=np.where(contacted, first - ts, -1)[order],
            )
        )
    return out


def _ids(ent: NDArray[np.int64]) -> list[str]:
    return [f"C{e + 1:07d}" for e in ent.tolist()]


def write_ground_truth(
    cfg: SimConfig,
    pop: Population,
    clock: Clock,
    truths: list[ProblemTruth],
    tickets: Tickets,
    attempts: SelfServiceAttempts,
    files: list[WriteStats],
    pii: list[dict[str, object]],
    out_dir: Path,
    incident_hits: list[NDArray[np.int64]] | None = None,
) -> None:
    """Write every ground-truth file into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    problems = []
    for prob, t in zip(cfg.problems, truths, strict=True):
        n_aff = int(t.affected.size)
        soon = (t.delay_us >= 0) & (t.delay_us <= WINDOW_DAYS * DAY_US)
        delay_days = [round(d / DAY_US, 4) if d >= 0 else None for d in t.delay_us.tolist()]
        problems.append(
            {
                "name": prob.name,
                "stage": prob.stage,
                "page_path": prob.page_path,
                "page_paths": prob.page_paths,
                "intent": prob.intent,
                "share_affected": prob.share_affected,
                "contact_rate": prob.contact_rate,
                "selfservice_success": prob.selfservice_success,
                "churn_uplift_if_unresolved": prob.churn_uplift_if_unresolved,
                "eligible_customers": t.eligible,
                "n_affected": n_aff,
                "n_contacted": int(t.contacted.size),
                "n_silent": int(t.silent.size),
                "n_churned": int(t.churned.size),
                "observed_contact_rate": round(t.contacted.size / n_aff, 6) if n_aff else None,
                "affected": _ids(t.affected),
                "contacted": _ids(t.contacted),
                "silent": _ids(t.silent),
                "churned": _ids(t.churned),
                "window_days": WINDOW_DAYS,
                "n_contacted_in_window": int(soon.sum()),
                "n_silent_in_window": int(n_aff - soon.sum()),
                "contacted_in_window": _ids(t.affected[soon]),
                "silent_in_window": _ids(t.affected[~soon]),
                "hit_at": iso_jst(t.hit_us) if n_aff else [],
                "contact_delay_days": delay_days,
            }
        )
    _dump(out_dir / "problems.json", problems)

    intents = {}
    for i, it in enumerate(cfg.intents):
        mine = attempts.intent == i
        n_att = int(mine.sum())
        n_ok = int((mine & attempts.success).sum())
        intents[it.name] = {
            "label_ja": it.label_ja,
            "label_en": it.label_en,
            "has_content": any(c.intent == it.name for c in cfg.content),
            "in_taxonomy": it.in_taxonomy,
            "emerges_on_day": it.emerges.start_day if it.emerges else None,
            "configured_selfservice_success": it.selfservice_success,
            "selfservice_attempts": n_att,
            "selfservice_successes": n_ok,
            "selfservice_success_rate": round(n_ok / n_att, 6) if n_att else None,
            "chatbot_conversations": int((mine & attempts.chatbot).sum()),
            "tickets": int((tickets.intent == i).sum()),
            "tickets_labelled": int(((tickets.intent == i) & tickets.labelled).sum()),
        }
    _dump(out_dir / "intents.json", intents)

    churned = pop.churn_us < clock.end_us
    hit_names: list[list[str]] = [[] for _ in range(pop.n_customers)]
    for prob, t in zip(cfg.problems, truths, strict=True):
        for e in t.affected.tolist():
            hit_names[e].append(prob.name)
    stamps = iso_jst(np.where(churned, pop.churn_us, 0))
    with (out_dir / "customers.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["customer_id", "churned", "churned_at", "problems"])
        for e in range(pop.n_customers):
            w.writerow(
                [
                    f"C{e + 1:07d}",
                    int(churned[e]),
                    stamps[e] if churned[e] else "",
                    ";".join(hit_names[e]),
                ]
            )

    _dump(out_dir / "incidents.json", incident_truth(cfg, pop, tickets, incident_hits))
    write_ticket_truth(out_dir / "tickets.csv", cfg, clock, tickets)
    _dump(out_dir / "malformed.json", {s.file: s.as_dict() for s in files})
    _dump(out_dir / "pii.json", pii)


def write_ticket_truth(path: Path, cfg: SimConfig, clock: Clock, tickets: Tickets) -> None:
    """``tickets.csv``: per ticket (the Zendesk id) its channel and the times the simulator
    drew — opened, first response, solved (empty: never) — with the business minutes of the
    first response on the simulator's calendar (9:00-18:00 JST, weekdays, no holidays), the
    CSAT code (0 not offered, 1 offered, 2 good, 3 bad) and whether it was resolved."""
    from kizuki.simulate.population import NEVER
    from kizuki.simulate.zendesk_writer import ticket_ids

    ids = ticket_ids(len(tickets))
    names = [c.name for c in cfg.channels]
    answered = tickets.first_response_us != NEVER
    solved = tickets.solved_us != NEVER
    opened = iso_jst(tickets.opened_us)
    first = iso_jst(np.where(answered, tickets.first_response_us, 0))
    done = iso_jst(np.where(solved, tickets.solved_us, 0))
    business = clock.business_minutes(tickets.opened_us, tickets.first_response_us)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["contact_id", "channel", "opened_at", "first_response_at", "solved_at",
                    "first_response_seconds", "first_response_business_minutes", "csat",
                    "resolved"])  # fmt: skip
        for i in range(len(tickets)):
            fr_s = (tickets.first_response_us[i] - tickets.opened_us[i]) / 1e6
            w.writerow(
                [
                    int(ids[i]),
                    names[int(tickets.channel[i])],
                    opened[i],
                    first[i] if answered[i] else "",
                    done[i] if solved[i] else "",
                    f"{fr_s:.0f}" if answered[i] else "",
                    int(business[i]) if answered[i] else "",
                    int(tickets.csat[i]),
                    int(tickets.resolved[i]),
                ]
            )


def incident_truth(
    cfg: SimConfig,
    pop: Population,
    tickets: Tickets,
    hits: list[NDArray[np.int64]] | None = None,
) -> list[dict[str, object]]:
    """Per incident: its hit segment and satisfaction window, the CSAT answers of that
    segment's tickets in the window and before it (codes 2 good, 3 bad), and the customers it
    hit (``hit_customers``: of its segment, a session that began during it with an error on
    its page or a page under it)."""
    names = [s.name for s in cfg.segments]
    answered = np.isin(tickets.csat, (2, 3))
    good = tickets.csat == 2
    out: list[dict[str, object]] = []
    for i, inc in enumerate(cfg.incidents):
        start = int(inc.start.timestamp() * 1_000_000)
        end = start + int(inc.satisfaction_days * DAY_US)
        hit = np.unique(hits[i]) if hits is not None else np.zeros(0, np.int64)
        mine = answered & (pop.segment[tickets.ent] == names.index(inc.segment))
        during = mine & (tickets.opened_us >= start) & (tickets.opened_us < end)
        before = mine & (tickets.opened_us < start)
        out.append(
            {
                "id": inc.id,
                "segment": inc.segment,
                "intent": inc.intent,
                "start": iso_jst(np.array([start]))[0],
                "satisfaction_drop": inc.satisfaction_drop,
                "satisfaction_days": inc.satisfaction_days,
                "csat_answers_during": int(during.sum()),
                "csat_good_during": int((during & good).sum()),
                "csat_answers_before": int(before.sum()),
                "csat_good_before": int((before & good).sum()),
                "hit_customers": _ids(hit),
            }
        )
    return out


def _dump(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
