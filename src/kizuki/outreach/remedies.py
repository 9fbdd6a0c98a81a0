"""What helped customers like this one: the help article and the channel that resolved the
customer's problem best for others (issue 23, docs/outreach.md).

A queue row is about one customer's problem. Its *intent* is the intent of the friction point
where they last struggled, else that of their last contact. For each intent,
:func:`best_remedies` picks, from what the run measured:

- the **article**: of the intent's help articles read at least ``min_views`` times, the one
  after which the fewest readers contacted support about the intent
  (``result_content_articles.contact_after_share``; ties: more views);
- the **channel**: of the intent's channels with at least ``min_attempts`` attempts, the one
  with the highest estimated success (``result_selfservice``; the self-service total
  ``self_service`` is left out, its parts stand for it).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["REMEDY_COLUMNS", "best_remedies", "customer_intents", "customer_remedies"]

REMEDY_COLUMNS = ("customer_id", "intent", "article", "article_title", "channel")


def best_remedies(
    selfservice: pd.DataFrame | None,
    articles: pd.DataFrame | None,
    *,
    min_attempts: int = 20,
    min_views: int = 10,
) -> pd.DataFrame:
    """Per intent: ``intent, article, article_title, channel`` (NULL where nothing qualifies).

    ``selfservice``: ``intent, channel, attempts, success_rate``; ``articles``: ``content_id,
    intent, title, views, contact_after_share``.
    """
    parts = []
    if selfservice is not None and len(selfservice):
        s = selfservice[
            (selfservice["channel"] != "self_service")
            & (selfservice["attempts"] >= min_attempts)
            & selfservice["success_rate"].notna()
        ]
        s = s.sort_values(["intent", "success_rate", "attempts"], ascending=[True, False, False])
        parts.append(s.drop_duplicates("intent").set_index("intent")[["channel"]])
    if articles is not None and len(articles):
        a = articles[(articles["views"] >= min_views) & articles["contact_after_share"].notna()]
        a = a.sort_values(
            ["intent", "contact_after_share", "views", "content_id"],
            ascending=[True, True, False, True],
        )
        best = a.drop_duplicates("intent").set_index("intent")
        parts.append(best.rename(columns={"content_id": "article", "title": "article_title"})[
            ["article", "article_title"]
        ])  # fmt: skip
    out = pd.concat(parts, axis=1) if parts else pd.DataFrame()
    for col in ("article", "article_title", "channel"):
        if col not in out:
            out[col] = None
    out = out.rename_axis("intent").reset_index()
    return out.loc[:, ["intent", "article", "article_title", "channel"]]


def customer_intents(struggles: pd.DataFrame | None, contacts: pd.DataFrame | None) -> pd.Series:
    """customer_id → the intent of their latest struggle at a friction point (``customer_id,
    ts, intent``), else of their latest contact (``customer_id, opened_at, intent``)."""
    found: list[pd.Series] = []
    for frame, when in ((struggles, "ts"), (contacts, "opened_at")):
        if frame is None or not len(frame):
            continue
        known = frame[frame["customer_id"].notna() & frame["intent"].notna()]
        known = known[known["intent"].astype(str) != ""]
        latest = known.sort_values([when, "intent"]).groupby("customer_id")["intent"].last()
        found.append(latest)
    if not found:
        return pd.Series(dtype=object)
    out = found[0]
    for more in found[1:]:
        out = out.combine_first(more)
    return out


def customer_remedies(intents: pd.Series, remedies: pd.DataFrame) -> pd.DataFrame:
    """:data:`REMEDY_COLUMNS` per customer of ``intents`` (customer_id → intent)."""
    frame = pd.DataFrame({"customer_id": intents.index, "intent": intents.to_numpy()})
    out = frame.merge(remedies, on="intent", how="left")
    return out.loc[:, list(REMEDY_COLUMNS)]
