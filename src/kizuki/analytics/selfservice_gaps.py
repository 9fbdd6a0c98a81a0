"""Where self-service fails customers: the mismatch ranking and the content gaps (Q4, Q5).

- **Mismatch** (:func:`selfservice_mismatch`): intents whose self-service (all digital channels
  together) falls short of the channel-fit target, ranked by the revenue at risk of their
  friction points (``result_fix_first``) and then by failed attempts — where steering customers
  to a digital channel costs the most.
- **Content gaps** (:func:`content_gaps`): intents customers contact or search about that no
  help article covers (``missing``; new topics among the contacts too), and intents whose
  articles exist but resolve less than ``improve_floor`` of the attempts (``not_resolving``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from kizuki.analytics.selfservice import SELF_SERVICE, SelfServiceConfig

__all__ = ["articles_by_intent", "content_gaps", "selfservice_mismatch"]

#: Failed queries shown per content gap.
EXAMPLE_QUERIES = 5


def articles_by_intent(content: pd.DataFrame) -> dict[str, list[str]]:
    """Content ids per intent, from the ``content`` table's ``intents`` (a JSON list, or a
    comma/semicolon separated string)."""
    out: dict[str, list[str]] = {}
    for cid, raw in zip(content["content_id"], content["intents"], strict=True):
        for intent in _intent_list(raw):
            out.setdefault(intent, []).append(str(cid))
    return out


def _intent_list(raw: object) -> list[str]:
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return []
    text = str(raw).strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            return [str(x).strip() for x in json.loads(text) if str(x).strip()]
        except json.JSONDecodeError:
            pass
    return [p.strip().strip('"') for p in text.replace(";", ",").split(",") if p.strip()]


def selfservice_mismatch(
    fit: pd.DataFrame,
    attempts: pd.DataFrame,
    articles: dict[str, list[str]],
    revenue: pd.DataFrame | None,
    config: SelfServiceConfig,
) -> pd.DataFrame:
    """``result_selfservice_mismatch``: the ``self_service`` rows of ``fit`` (from
    :func:`~kizuki.analytics.selfservice.channel_fit`) not ``digital_first``, with enough
    attempts, ranked. ``revenue``: ``intent, revenue_at_risk`` rows (``result_fix_first``)."""
    pooled = fit[(fit["channel"] == SELF_SERVICE) & (fit["attempts"] >= config.min_attempts)]
    pooled = pooled[pooled["recommendation"] != "digital_first"].copy()
    at_risk = (
        revenue.groupby("intent")["revenue_at_risk"].sum()
        if revenue is not None and len(revenue)
        else pd.Series(dtype=float)
    )
    linked = attempts[attempts["linked"]]
    customers = linked.groupby("intent")["customer_id"].nunique()
    pooled["failed_attempts"] = pooled["attempts"] * (1.0 - pooled["success_rate"])
    pooled["customers"] = pooled["intent"].map(customers).fillna(0).astype("int64")
    pooled["revenue_at_risk"] = pooled["intent"].map(at_risk).fillna(0.0).astype(float)
    pooled["articles"] = [json.dumps(articles.get(i, [])) for i in pooled["intent"]]
    ranked = pooled.sort_values(
        ["revenue_at_risk", "failed_attempts", "intent"], ascending=[False, False, True]
    )
    ranked["rank"] = np.arange(1, len(ranked) + 1, dtype=np.int64)
    columns = [
        "rank",
        "intent",
        "attempts",
        "success_rate",
        "ci_high",
        "failed_attempts",
        "customers",
        "revenue_at_risk",
        "recommendation",
        "best_human_channel",
        "articles",
    ]
    return ranked[columns].reset_index(drop=True)


def content_gaps(
    fit: pd.DataFrame,
    attempts: pd.DataFrame,
    contacts: pd.DataFrame,
    articles: dict[str, list[str]],
    topics: pd.DataFrame | None,
    config: SelfServiceConfig,
    oos_label: str = "out_of_scope",
) -> pd.DataFrame:
    """``result_content_gaps``: intents with no article that customers contact or search
    about, new topics among the contacts, and intents whose articles do not resolve.

    ``attempts``: :func:`~kizuki.analytics.selfservice.attempt_outcomes` plus ``query`` and
    ``searched``/``viewed``/``zero_results`` for web attempts; ``contacts``: all contacts with
    ``channel, intent``; ``topics``: ``result_new_topics`` (``topic_id, contacts, label``).
    """
    human = contacts[(contacts["channel"] != "chatbot") & (contacts["intent"].fillna("") != "")]
    human = human[human["intent"] != oos_label]
    by_contacts = human.groupby("intent").size()
    search = attempts[attempts["channel"] == "help_search"]
    failed = search[search["seen_failure"].astype(bool)]
    pooled = fit[fit["channel"] == SELF_SERVICE].set_index("intent")
    intents = sorted(set(by_contacts.index) | set(search["intent"]) | set(pooled.index))
    rows = []
    for intent in intents:
        n_articles = len(articles.get(intent, []))
        n_contacts = int(by_contacts.get(intent, 0))
        mine = failed[failed["intent"] == intent]
        rate = float(pooled["success_rate"].get(intent, np.nan))
        n_attempts = int(pooled["attempts"].get(intent, 0))
        if n_articles == 0 and (n_contacts > 0 or len(mine) > 0):
            gap = "missing"
        elif n_articles > 0 and n_attempts >= config.min_attempts and rate < config.improve_floor:
            gap = "not_resolving"
        else:
            continue
        queries = mine["query"].dropna() if "query" in mine else pd.Series(dtype=str)
        counts = queries.value_counts()
        # the most frequent first, ties by the query: the same on every engine's row order
        ranked = sorted(counts.items(), key=lambda qc: (-int(qc[1]), str(qc[0])))
        examples = [str(q) for q, _ in ranked[:EXAMPLE_QUERIES]]
        rows.append(
            {
                "intent": intent,
                "label": "",
                "gap": gap,
                "articles": n_articles,
                "contacts": n_contacts,
                "searches": int((search["intent"] == intent).sum()),
                "failed_searches": len(mine),
                "success_rate": rate,
                "example_queries": json.dumps(examples, ensure_ascii=False),
            }
        )
    if topics is not None and len(topics):
        for topic_id, n, label in zip(
            topics["topic_id"].astype(str),
            topics["contacts"].to_numpy(np.int64),
            topics["label"].astype(str),
            strict=True,
        ):
            rows.append(
                {
                    "intent": topic_id,
                    "label": label,
                    "gap": "missing",
                    "articles": 0,
                    "contacts": int(n),
                    "searches": 0,
                    "failed_searches": 0,
                    "success_rate": np.nan,
                    "example_queries": "[]",
                }
            )
    columns = [
        "intent",
        "label",
        "gap",
        "articles",
        "contacts",
        "searches",
        "failed_searches",
        "success_rate",
        "example_queries",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    order = frame.assign(_m=frame["gap"] != "missing").sort_values(
        ["_m", "contacts", "failed_searches"], ascending=[True, False, False]
    )
    return order.drop(columns="_m").reset_index(drop=True)
