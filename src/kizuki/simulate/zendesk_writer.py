"""Zendesk ticket export: one ticket object per line, as Zendesk's JSON data export writes it.

Human contacts become tickets (chatbot conversations go to canonical ``contacts.csv``).
A few broken lines are planted: cut JSON, a missing or impossible ``created_at``, a missing
``id``; and an exact duplicate line or two.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from kizuki.simulate.clock import MINUTE_US, Clock, iso_utc
from kizuki.simulate.config import SimConfig
from kizuki.simulate.defects import WriteStats, defect_counts
from kizuki.simulate.linkage import MAIN_REQUESTER0, Requesters
from kizuki.simulate.population import NEVER, Population
from kizuki.simulate.support import CSAT, STATUSES, Tickets
from kizuki.simulate.text import TextMaker

__all__ = ["FIRST_TICKET_ID", "ZENDESK_DEFECTS", "ticket_ids", "write_zendesk"]

FIRST_TICKET_ID = 100_001
ZENDESK_DEFECTS = ("truncated_json", "missing_created_at", "bad_created_at", "missing_id")
_VIA = {"email": "email", "form": "web", "chat": "chat", "phone": "voice", "social": "twitter"}
_AGENT0 = 361_000_000_001
_GROUP = 360_000_000_001


def ticket_ids(n: int) -> np.ndarray:
    """Ticket ids in open-time order."""
    return np.arange(FIRST_TICKET_ID, FIRST_TICKET_ID + n, dtype=np.int64)


def _minutes(a: np.ndarray, b: np.ndarray) -> list[int | None]:
    ok = (a != NEVER) & (b != NEVER)
    m = np.where(ok, (a - b) // MINUTE_US, -1)
    return [int(x) if x >= 0 else None for x in m.tolist()]


def write_zendesk(
    cfg: SimConfig,
    tickets: Tickets,
    pop: Population,
    clock: Clock,
    path: Path,
    text: TextMaker,
    rng: np.random.Generator,
    requesters: Requesters | None = None,
) -> tuple[WriteStats, list[dict[str, object]], list[tuple[int, str, int]]]:
    """Write ``tickets`` as JSON lines.

    ``requesters`` (from :func:`~kizuki.simulate.linkage.simulate_requesters`) replaces each
    ticket's requester; None: the customer's own user, linked by ``external_id``. Returns the
    write stats, the planted PII and ``(requester_id, email, entity)`` per ticket.
    """
    n = len(tickets)
    ids = ticket_ids(n)
    created = iso_utc(tickets.opened_us)
    fr_ok = tickets.first_response_us != NEVER
    first_resp = iso_utc(np.where(fr_ok, tickets.first_response_us, tickets.opened_us))
    solved_ok = tickets.solved_us != NEVER
    solved = iso_utc(np.where(solved_ok, tickets.solved_us, tickets.opened_us))
    reply_cal = _minutes(tickets.first_response_us, tickets.opened_us)
    reply_bus = clock.business_minutes(tickets.opened_us, tickets.first_response_us).tolist()
    res_cal = _minutes(tickets.solved_us, tickets.opened_us)
    res_bus = clock.business_minutes(tickets.opened_us, tickets.solved_us).tolist()
    last_us = np.where(
        solved_ok, tickets.solved_us, np.where(fr_ok, tickets.first_response_us, tickets.opened_us)
    )
    updated = iso_utc(last_us)
    channels = [c.name for c in cfg.channels]
    segments = [s.name for s in cfg.segments]
    plans = [s.plan for s in cfg.segments]
    lines: list[str] = []
    pii: list[dict[str, object]] = []
    people: list[tuple[int, str, int]] = []
    problem_errors = [p.error_message for p in cfg.problems]
    for i in range(n):
        ent = int(tickets.ent[i])
        lang = int(pop.lang[ent])
        intent = cfg.intents[int(tickets.intent[i])]
        origin = int(tickets.origin[i])
        err = problem_errors[origin] if origin >= 0 else None
        words = text.ticket(intent, lang, err)
        channel = channels[int(tickets.channel[i])]
        via = _VIA.get(channel, "web")
        if channel == "chat" and rng.random() < 0.3:
            via = "native_messaging"
        if channel == "social" and rng.random() < 0.3:
            via = "facebook"
        requester = MAIN_REQUESTER0 + ent
        person: dict[str, object] = {
            "name": words.requester_name,
            "email": words.requester_email,
            "external_id": f"C{ent + 1:07d}",
        }
        if requesters is not None:
            requester = requesters.ids[i]
            person = {"name": requesters.names[i], "email": requesters.emails[i]}
            if requesters.external_ids[i] is not None:
                person["external_id"] = requesters.external_ids[i]
        people.append((requester, str(person["email"]), ent))
        agent = _AGENT0 + int(tickets.agent[i])
        status = STATUSES[int(tickets.status[i])]
        tags = [f"lang_{'ja' if lang == 0 else 'en'}", f"plan_{plans[int(pop.segment[ent])]}"]
        if tickets.labelled[i]:
            tags.append(f"intent_{intent.name}")
        if origin == -2:
            tags.append("incident")
        comments = [
            {
                "id": int(ids[i]) * 10 + 1,
                "author_id": requester,
                "public": True,
                "body": words.description,
                "created_at": created[i],
            },
        ]
        if fr_ok[i]:
            comments.append(
                {
                    "id": int(ids[i]) * 10 + 2,
                    "author_id": agent,
                    "public": True,
                    "body": text.agent_reply(intent, lang),
                    "created_at": first_resp[i],
                }
            )
        csat = CSAT[int(tickets.csat[i])]
        rating: dict[str, object] = {"score": csat}
        if csat in ("good", "bad"):
            rating = {
                "id": 900_000_000 + int(ids[i]),
                "score": csat,
                "comment": text.csat_comment(csat == "good", lang) if rng.random() < 0.4 else None,
            }
        ticket = {
            "id": int(ids[i]),
            "url": f"https://{cfg.company.zendesk_subdomain}.zendesk.com/api/v2/tickets/{ids[i]}.json",
            "via": {"channel": via, "source": {"rel": None}},
            "created_at": created[i],
            "updated_at": updated[i],
            "type": "incident" if origin == -2 else "question",
            "subject": words.subject,
            "raw_subject": words.subject,
            "description": words.description,
            "priority": "urgent"
            if origin == -2
            else ("high" if "至急" in words.subject or "URGENT" in words.subject else "normal"),
            "status": status,
            "requester_id": requester,
            "submitter_id": requester,
            "assignee_id": agent if fr_ok[i] else None,
            "group_id": _GROUP,
            "requester": {"id": requester, **person},
            "tags": tags,
            "custom_fields": [{"id": 360_012_345_678, "value": segments[int(pop.segment[ent])]}],
            "metric_set": {
                "reply_time_in_minutes": {
                    "calendar": reply_cal[i],
                    "business": reply_bus[i] if fr_ok[i] else None,
                },
                "full_resolution_time_in_minutes": {
                    "calendar": res_cal[i],
                    "business": res_bus[i] if solved_ok[i] else None,
                },
                "solved_at": solved[i] if solved_ok[i] else None,
                "replies": len(comments) - 1,
                "reopens": 0,
            },
            "satisfaction_rating": rating,
            "comments": comments,
        }
        lines.append(json.dumps(ticket, ensure_ascii=False, separators=(",", ":")))
        pii.extend({"ticket_id": int(ids[i]), "kind": p.kind, "value": p.value} for p in words.pii)
    stats = WriteStats(file=f"zendesk/{path.name}")
    lines = _plant(lines, cfg, rng, stats)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return stats, pii, people


def _plant(
    lines: list[str], cfg: SimConfig, rng: np.random.Generator, stats: WriteStats
) -> list[str]:
    n = len(lines)
    n_bad, n_dup = defect_counts(n, cfg.quality)
    sources = rng.integers(0, n, n_bad + n_dup).tolist() if n else []
    extra: dict[int, list[str]] = {}
    for j, src in enumerate(sources):
        line = lines[src]
        if j < n_bad:
            kind = ZENDESK_DEFECTS[j % len(ZENDESK_DEFECTS)]
            obj = json.loads(line)
            if kind == "truncated_json":
                bad = line[: len(line) // 2]
            elif kind == "missing_created_at":
                del obj["created_at"]
                bad = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            elif kind == "bad_created_at":
                obj["created_at"] = "2026-02-30T25:61:00Z"
                bad = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            else:
                del obj["id"]
                bad = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            stats.malformed[kind] += 1
            extra.setdefault(src, []).append(bad)
        else:
            stats.duplicates += 1
            extra.setdefault(src, []).append(line)
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        out.extend(extra.get(i, []))
    stats.rows = len(out)
    return out
