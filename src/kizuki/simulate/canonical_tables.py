"""Rows of the canonical tables that the simulator writes as CSV (as string columns).

Timestamps are written in JST with their offset (``2026-08-03T10:05:00+09:00``), as a Japanese
company's own exports would be.
"""

from __future__ import annotations

import json

import numpy as np

from kizuki.simulate.catalog import LANGS
from kizuki.simulate.clock import DAY_US, MINUTE_US, Clock, iso_jst
from kizuki.simulate.config import SimConfig
from kizuki.simulate.population import MONTH_DAYS, Population, customer_ids
from kizuki.simulate.specs import SelfServiceAttempts
from kizuki.simulate.text import TextMaker

__all__ = [
    "chatbot_contact_rows",
    "content_rows",
    "customer_rows",
    "incident_rows",
    "subscription_rows",
]

Columns = dict[str, list[str]]
_INDUSTRIES = [
    "IT・通信",
    "小売",
    "飲食",
    "建設",
    "士業",
    "医療",
    "製造",
    "デザイン",
    "コンサルティング",
]
_ACQUISITION = ["search", "referral", "ads", "partner", "event"]


def _money(values: np.ndarray) -> list[str]:
    return [f"{v:.0f}" for v in values.tolist()]


def customer_rows(cfg: SimConfig, pop: Population, rng: np.random.Generator) -> Columns:
    """The ``customers`` table."""
    n = pop.n_customers
    segs = [s.name for s in cfg.segments]
    plans = [s.plan for s in cfg.segments]
    seg = pop.segment.tolist()
    lang = pop.lang[:n].tolist()
    employees = np.round(rng.lognormal(np.array([0.3, 2.3, 4.5])[pop.segment], 0.6)).astype(int) + 1
    industry = rng.integers(0, len(_INDUSTRIES), n).tolist()
    acq = rng.integers(0, len(_ACQUISITION), n).tolist()
    attrs = [
        json.dumps(
            {"employees": int(e), "industry": _INDUSTRIES[i], "acquisition": _ACQUISITION[a]},
            ensure_ascii=False,
        )
        for e, i, a in zip(employees.tolist(), industry, acq, strict=True)
    ]
    return {
        "customer_id": customer_ids(0, n),
        "created_at": iso_jst(pop.created_us),
        "segment": [segs[s] for s in seg],
        "plan": [plans[s] for s in seg],
        "language": [LANGS[x] for x in lang],
        "country": [
            "JP" if x == 0 or a % 10 < 6 else "US"
            for x, a in zip(lang, pop.pseudo_a[:n].tolist(), strict=True)
        ],
        "monthly_value": _money(pop.value),
        "attributes": attrs,
    }


def subscription_rows(
    cfg: SimConfig, pop: Population, clock: Clock, rng: np.random.Generator
) -> Columns:
    """The ``subscriptions`` table: one period per customer, two for a plan change."""
    n = pop.n_customers
    plans = [s.plan for s in cfg.segments]
    month = int(MONTH_DAYS * DAY_US)
    churned = pop.churn_us < clock.end_us
    trial = pop.is_new & (pop.created_us > clock.end_us - cfg.churn.trial_days * DAY_US)
    periods = np.ceil((clock.end_us - pop.created_us) / month).astype(np.int64)
    renews = pop.created_us + np.maximum(periods, 1) * month
    # a few customers changed plan during the window: the old period ends, a new one starts
    change = ~churned & ~pop.is_new & (rng.random(n) < 0.04)
    change_at = clock.start_us + (rng.random(n) * (clock.end_us - clock.start_us)).astype(np.int64)
    change_at = change_at // MINUTE_US * MINUTE_US
    status = np.where(churned, "churned", np.where(trial, "trial", "active"))
    ids = [f"S{i:07d}" for i in range(1, n + 1)]
    cust = customer_ids(0, n)
    started = iso_jst(pop.created_us)
    renews_s = iso_jst(renews)
    ended = iso_jst(np.where(churned, pop.churn_us, 0))
    change_s = iso_jst(change_at)
    values = _money(pop.value)
    out: Columns = {
        k: []
        for k in (
            "subscription_id",
            "customer_id",
            "plan",
            "started_at",
            "renews_at",
            "ended_at",
            "status",
            "monthly_value",
        )
    }
    seg = pop.segment.tolist()
    for i in range(n):
        plan = plans[seg[i]]
        if change[i]:
            other = plans[min(seg[i] + 1, len(plans) - 1)] if seg[i] + 1 < len(plans) else plans[0]
            out_row = [ids[i], cust[i], plan, started[i], "", change_s[i], "cancelled", values[i]]
            for k, v in zip(out, out_row, strict=True):
                out[k].append(v)
            started_i, plan = change_s[i], other
            sid = f"S{n + i + 1:07d}"
        else:
            started_i, sid = started[i], ids[i]
        row = [
            sid,
            cust[i],
            plan,
            started_i,
            "" if churned[i] else renews_s[i],
            ended[i] if churned[i] else "",
            str(status[i]),
            values[i],
        ]
        for k, v in zip(out, row, strict=True):
            out[k].append(v)
    return out


def content_rows(
    cfg: SimConfig, clock: Clock, text: TextMaker, rng: np.random.Generator
) -> Columns:
    """The ``content`` table: every FAQ article in Japanese and English."""
    intents = {i.name: i for i in cfg.intents}
    out: Columns = {
        k: []
        for k in ("content_id", "kind", "title", "body", "language", "url", "intents", "updated_at")
    }
    updated = clock.start_us - (rng.random(2 * len(cfg.content)) * 400 * DAY_US).astype(np.int64)
    stamps = iso_jst(updated)
    j = 0
    for c in cfg.content:
        for lang, title in enumerate((c.title_ja, c.title_en)):
            out["content_id"].append(f"{c.id}-{LANGS[lang]}")
            out["kind"].append("faq")
            out["title"].append(title)
            out["body"].append(text.article_body(title, intents[c.intent], lang, c.style))
            out["language"].append(LANGS[lang])
            out["url"].append(f"{cfg.company.site_url}/help/{LANGS[lang]}/articles/{c.id}")
            out["intents"].append(json.dumps([c.intent]))
            out["updated_at"].append(stamps[j])
            j += 1
    return out


def incident_rows(cfg: SimConfig) -> Columns:
    """The ``incidents`` table."""
    out: Columns = {
        k: [] for k in ("incident_id", "started_at", "ended_at", "title", "severity", "affected")
    }
    for inc in cfg.incidents:
        start = int(inc.start.timestamp() * 1_000_000)
        end = start + int(inc.hours * 3_600_000_000)
        s, e = iso_jst(np.array([start, end], dtype=np.int64))
        out["incident_id"].append(inc.id)
        out["started_at"].append(s)
        out["ended_at"].append(e)
        out["title"].append(inc.title_ja)
        out["severity"].append(inc.severity)
        affected = {"segments": [inc.segment], "pages": [inc.page_path], "title_en": inc.title_en}
        out["affected"].append(json.dumps(affected, ensure_ascii=False))
    return out


def chatbot_contact_rows(
    cfg: SimConfig,
    pop: Population,
    attempts: SelfServiceAttempts,
    text: TextMaker,
    rng: np.random.Generator,
) -> Columns:
    """The ``contacts`` table: chatbot conversations (human contacts are Zendesk tickets)."""
    bot = attempts.take(np.flatnonzero(attempts.chatbot))
    bot = bot.take(np.lexsort((bot.ent, bot.ts)))
    k = len(bot)
    opened = bot.ts
    first = opened + (1_000_000 + rng.random(k) * 2_000_000).astype(np.int64)
    done = first + ((0.5 + rng.exponential(2.0, k)) * MINUTE_US).astype(np.int64)
    out: Columns = {
        k_: []
        for k_ in (
            "contact_id",
            "customer_id",
            "channel",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "status",
            "subject",
            "text",
            "intent",
            "agent_id",
        )
    }
    o, f, d = iso_jst(opened), iso_jst(first), iso_jst(np.where(bot.success, done, opened))
    for i in range(k):
        ent = int(bot.ent[i])
        intent = cfg.intents[int(bot.intent[i])]
        ok = bool(bot.success[i])
        subject, transcript = text.chatbot(intent, int(pop.lang[ent]), ok)
        out["contact_id"].append(f"bot-{i + 1:06d}")
        out["customer_id"].append(f"C{ent + 1:07d}")
        out["channel"].append("chatbot")
        out["opened_at"].append(o[i])
        out["first_response_at"].append(f[i])
        out["resolved_at"].append(d[i] if ok else "")
        out["status"].append("solved" if ok else "escalated" if rng.random() < 0.5 else "abandoned")
        out["subject"].append(subject)
        out["text"].append(transcript)
        out["intent"].append(intent.name if rng.random() < 0.8 else "")
        out["agent_id"].append("bot")
    return out
