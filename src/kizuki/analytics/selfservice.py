"""Self-resolution per intent and channel, and the channel each intent should go to (Q4).

A **self-service attempt** for intent *i* (docs/selfservice.md) is, for one person:

- ``help_search``: a session with a help search for *i* (the query's intent: its clicked
  article's, the journey's keywords, else the intent model's);
- ``faq``: a session that viewed a help article of *i* without searching;
- ``chatbot``: a chatbot conversation about *i* (a ``contacts`` row of channel ``chatbot``).

It **succeeded** if no human contact about *i* followed within ``window_days`` (7) and the
person did not search for *i* again in a later session within that window — the definition
of DESIGN.md, ``observed_rate`` here. That rate counts as successes the customers who failed
and then gave up in silence, so :func:`selfservice_rates` estimates the true rate
(``success_rate``) with a latent-outcome model fitted by EM
(:mod:`kizuki.analytics.selfservice_em`): a search that opened nothing, a failed chatbot
conversation, a contact or a new search show a failure; whether the customer went back to
the product afterwards and how often failing customers contact separate the rest. Intervals:
bootstrap percentiles over the attempts.

Human channels (e-mail, chat, phone, form, social) get the share of their contacts that
were solved with no re-contact about the same intent within the window.

Channel fit (:func:`channel_fit`): ``digital_first`` where the lower bound of self-service
(all digital channels together) is at least ``target`` (0.85, J.D. Power's rule),
``improve_content`` where the estimate is at least ``improve_floor``, else ``human``, naming
the human channel that resolves the intent best.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from kizuki.analytics.selfservice_em import AttemptArrays

__all__ = [
    "DIGITAL_CHANNELS",
    "SELF_SERVICE",
    "SelfServiceConfig",
    "attempt_outcomes",
    "channel_fit",
    "chatbot_attempts",
    "followed_within",
    "human_rates",
    "selfservice_rates",
    "selfservice_table",
    "success_probability",
    "web_attempts",
    "wilson_interval",
]

#: Self-service channels, in the order customers usually meet them.
DIGITAL_CHANNELS = ("help_search", "faq", "chatbot")
#: The channel name of all digital channels together (the figure the 85% rule judges).
SELF_SERVICE = "self_service"
#: Chatbot statuses that mean the bot solved it.
_SOLVED = ("solved", "closed", "resolved")


class SelfServiceConfig(BaseModel):
    """Settings of the self-resolution analysis (``[analyze.selfservice]``, docs/selfservice.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_days: Annotated[
        float,
        Field(
            gt=0,
            description="days after an attempt in which a human contact or a new "
            "search about the intent makes it a failure",
        ),
    ] = 7.0
    target: Annotated[
        float,
        Field(
            ge=0,
            le=1,
            description="lower bound of self-service success for digital_first (J.D. Power's 85%)",
        ),
    ] = 0.85
    improve_floor: Annotated[
        float,
        Field(
            ge=0,
            le=1,
            description="estimated success from which content is worth "
            "improving (below it: route to a human)",
        ),
    ] = 0.5
    bootstrap_draws: Annotated[
        int, Field(ge=10, le=2000, description="bootstrap resamples behind the intervals")
    ] = 100
    prior_strength: Annotated[
        float,
        Field(
            ge=0,
            description="pseudo-count that shrinks each intent's rates towards all intents'",
        ),
    ] = 10.0
    return_minutes: Annotated[
        float,
        Field(
            gt=0,
            description="minutes after an attempt in which a product page means the customer "
            "went back to the task",
        ),
    ] = 120.0
    min_attempts: Annotated[
        int, Field(ge=1, description="attempts below which a channel gets no recommendation")
    ] = 20


def wilson_interval(
    successes: NDArray[np.float64] | float, n: NDArray[np.float64] | float, z: float = 1.96
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Wilson score interval of ``successes / n`` (NaN where ``n`` is 0)."""
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / m
        denom = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def web_attempts(
    stream: ir.Table, query_intents: ir.Table | None = None, return_minutes: float = 120.0
) -> ir.Table:
    """Help-search and FAQ attempts: one row per (person, session, intent) of the journey
    stream's help searches and article views, computed in the engine.

    A search without an intent of its own (no clicked article, no keyword) takes the intent
    model's intent of its query from ``query_intents`` (``result_query_intents``).
    Columns: ``customer_id`` (NULL for an unlinked visitor), ``visitor_id``, ``session_key``,
    ``intent``, ``ts`` (first help row), ``searched``, ``viewed``, ``zero_results``, ``query``
    (one of its queries), ``queries`` (distinct queries) and ``returned`` (a journey page of
    the product within ``return_minutes`` after the attempt's last help row, in the same
    session or a new one: back to the task).
    """
    help_rows = stream.filter(stream.help_kind.isin(["search", "content"]))
    intent = help_rows.intent
    if query_intents is not None:
        q = query_intents.select(_q="query", _qintent="intent")
        help_rows = help_rows.left_join(q, help_rows.query == q._q)
        intent = ibis.coalesce(help_rows.intent, help_rows._qintent.nullif(""))
    is_search = help_rows.help_kind == "search"
    rows = help_rows.select(
        "customer_id",
        "visitor_id",
        "session_key",
        "ts",
        query=ibis.cases((is_search, help_rows.query), else_=ibis.null("string")),
        intent=intent,
        is_search=is_search,
        is_view=help_rows.help_kind == "content",
        zero=is_search & (help_rows.results_count.fill_null(1) == 0),
    )
    rows = rows.filter(rows.intent.notnull() & (rows.intent != ""))
    grouped = rows.group_by(["visitor_id", "session_key", "intent"]).aggregate(
        customer_id=rows.customer_id.max(),
        ts=rows.ts.min(),
        last_help=rows.ts.max(),
        searched=rows.is_search.any(),
        viewed=rows.is_view.any(),
        zero_results=rows.zero.any(),
        query=rows.query.max(),
        queries=rows.query.nunique(),
    )
    # back to the product: a journey page of the visitor within return_minutes after the
    # attempt's last help row, in the same session or a new one (a range join in the engine)
    journey = stream.filter(stream.is_journey.fill_null(False))
    journey = journey.select(_v=journey.visitor_id, _t=journey.ts)
    keys = grouped.select(_kv="visitor_id", _ks="session_key", _ki="intent", _kt="last_help")
    window = ibis.interval(seconds=int(return_minutes * 60))
    hits = keys.join(
        journey,
        [keys._kv == journey._v, journey._t > keys._kt, journey._t <= keys._kt + window],
    )
    back = hits.select("_kv", "_ks", "_ki").distinct().mutate(_back=ibis.literal(True))
    joined = grouped.left_join(
        back,
        [
            grouped.visitor_id == back._kv,
            grouped.session_key == back._ks,
            grouped.intent == back._ki,
        ],
    )
    returned = joined._back.fill_null(False)
    out = joined.mutate(returned=returned).drop("_kv", "_ks", "_ki", "_back", "last_help")
    # a fixed order: the bootstrap draws rows by position, so every engine must give the same
    return out.order_by(["visitor_id", "session_key", "intent"])


def chatbot_attempts(contacts: pd.DataFrame) -> pd.DataFrame:
    """Chatbot conversations as attempts: ``contacts`` rows of channel ``chatbot`` with an
    intent; ``solved`` when the bot closed them solved."""
    bot = contacts[(contacts["channel"] == "chatbot") & (contacts["intent"].fillna("") != "")]
    status = bot["status"].fillna("").str.lower()
    out = pd.DataFrame(
        {
            "customer_id": bot["customer_id"].to_numpy(),
            "intent": bot["intent"].to_numpy(),
            "ts": pd.to_datetime(bot["opened_at"], utc=True).to_numpy(),
            "channel": "chatbot",
            "seen_failure": ~status.isin(_SOLVED).to_numpy(),
        }
    )
    # a fixed order whatever the engine's: the bootstrap draws rows by position
    order = ["customer_id", "intent", "ts", "seen_failure"]
    return out.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)


def attempt_outcomes(
    web: pd.DataFrame, bot: pd.DataFrame, contacts: pd.DataFrame, config: SelfServiceConfig
) -> pd.DataFrame:
    """Every attempt with its channel and outcome.

    ``web`` comes from :func:`web_attempts`, ``bot`` from :func:`chatbot_attempts`,
    ``contacts`` are all contacts (``customer_id, channel, opened_at, intent``). Adds
    ``contacted`` (a human contact about the intent within the window), ``searched_again``,
    ``seen_failure`` (failure seen without a contact) and ``linked`` (the person is a known
    customer: only linked attempts can be followed to a contact).
    """
    w = web.copy()
    w["ts"] = pd.to_datetime(w["ts"], utc=True)
    w["channel"] = np.where(w["searched"], "help_search", "faq")
    seen = w["zero_results"].astype(bool) | (w["searched"].astype(bool) & ~w["viewed"].astype(bool))
    w["seen_failure"] = seen.to_numpy()
    w["solved"] = False
    if "returned" not in w:
        w["returned"] = False
    if "query" not in w:
        w["query"] = None
    b = bot.copy()
    b["ts"] = pd.to_datetime(b["ts"], utc=True)
    b["query"] = None
    b["viewed"] = False
    b["returned"] = False
    b["solved"] = ~b["seen_failure"].astype(bool)
    cols = [
        "customer_id",
        "intent",
        "ts",
        "channel",
        "seen_failure",
        "viewed",
        "returned",
        "solved",
        "query",
    ]
    attempts = pd.concat([w[cols], b[cols]], ignore_index=True)
    attempts["linked"] = attempts["customer_id"].notna() & (attempts["customer_id"] != "")
    window = pd.Timedelta(days=config.window_days)
    human = contacts[~contacts["channel"].isin(("chatbot",))].copy()
    human["opened_at"] = pd.to_datetime(human["opened_at"], utc=True)
    attempts["contacted"] = followed_within(attempts, human, "opened_at", window)
    searches = w[w["searched"].astype(bool)][["customer_id", "intent", "ts", "session_key"]]
    attempts["searched_again"] = followed_within(
        attempts, searches.rename(columns={"ts": "_t"}), "_t", window
    )
    return attempts


def followed_within(
    attempts: pd.DataFrame, later: pd.DataFrame, time_col: str, window: pd.Timedelta
) -> NDArray[np.bool_]:
    """Whether each attempt is followed by a row of ``later`` of the same customer and intent
    within ``window`` (strictly after it)."""
    out = np.zeros(len(attempts), dtype=bool)
    if not len(attempts) or not len(later):
        return out
    a = attempts[["customer_id", "intent", "ts"]].assign(_row=np.arange(len(attempts)))
    a = a[a["customer_id"].notna()]
    keys = later[["customer_id", "intent", time_col]].dropna()
    pairs = a.merge(keys, on=["customer_id", "intent"])
    gap = pairs[time_col] - pairs["ts"]
    hit = pairs.loc[(gap > pd.Timedelta(0)) & (gap <= window), "_row"].unique()
    out[hit] = True
    return out


def selfservice_rates(
    attempts: pd.DataFrame, config: SelfServiceConfig, seed: int = 0
) -> pd.DataFrame:
    """Per intent and digital channel, and per intent for ``self_service`` (all of them):
    attempts, the estimated success rate (:mod:`kizuki.analytics.selfservice_em`) with its
    bootstrap interval, and the observed rate of DESIGN.md's definition.

    Only linked attempts are measured (``attempts``); ``unlinked`` counts the others.
    """
    from kizuki.analytics.selfservice_em import bootstrap_successes, fit_outcomes

    linked = attempts[attempts["linked"]].reset_index(drop=True)
    if not len(linked):
        return pd.DataFrame(columns=_DIGITAL_COLUMNS)
    names, data = _arrays(linked)
    intent = data.intent
    failed = data.contacted
    fit = fit_outcomes(data, config.prior_strength)
    n_cells = len(names) * len(DIGITAL_CHANNELS)
    cell = intent * len(DIGITAL_CHANNELS) + data.channel
    (cell_lo, cell_hi), (pool_lo, pool_hi) = bootstrap_successes(
        data,
        [(cell, n_cells), (intent, len(names))],
        fit,
        prior_strength=config.prior_strength,
        draws=config.bootstrap_draws,
        seed=seed,
    )
    frame = linked.assign(
        _w=fit.weight,
        _failed=failed,
        _seen=linked["seen_failure"].to_numpy(bool) & ~failed,
        _cell=cell,
        _i=intent,
    )
    rows = []
    for c in np.unique(cell).tolist():
        i, ch = divmod(c, len(DIGITAL_CHANNELS))
        group = frame[frame["_cell"] == c]
        interval = (float(cell_lo[c]), float(cell_hi[c]))
        rows.append(_row(names[i], DIGITAL_CHANNELS[ch], group, interval, float(fit.q[i])))
    for i in range(len(names)):
        interval = (float(pool_lo[i]), float(pool_hi[i]))
        rows.append(_row(names[i], SELF_SERVICE, frame[intent == i], interval, float(fit.q[i])))
    table = pd.DataFrame(rows).sort_values(["intent", "channel"]).reset_index(drop=True)
    others = attempts[~attempts["linked"]]
    per_cell = others.groupby([others["intent"].astype(str), others["channel"].astype(str)]).size()
    per_intent = others.groupby(others["intent"].astype(str)).size()
    keys = pd.MultiIndex.from_arrays([table["intent"].astype(str), table["channel"].astype(str)])
    by_cell = per_cell.reindex(keys, fill_value=0).to_numpy()
    by_intent = per_intent.reindex(table["intent"].astype(str), fill_value=0).to_numpy()
    table["unlinked"] = np.where(table["channel"] == SELF_SERVICE, by_intent, by_cell).astype(
        "int64"
    )
    return table


def _arrays(linked: pd.DataFrame) -> tuple[list[str], AttemptArrays]:
    """The intents' names and the linked attempts as the EM's arrays."""
    from kizuki.analytics.selfservice_em import AttemptArrays

    names = sorted(linked["intent"].astype(str).unique())
    code = {name: i for i, name in enumerate(names)}
    channel = linked["channel"].map({c: i for i, c in enumerate(DIGITAL_CHANNELS)})
    data = AttemptArrays(
        intent=linked["intent"].astype(str).map(code).to_numpy(np.intp),
        channel=np.asarray(channel.to_numpy(), dtype=np.intp),
        viewed=linked["viewed"].to_numpy(bool),
        contacted=(linked["contacted"] | linked["searched_again"]).to_numpy(bool),
        returned=linked["returned"].to_numpy(bool),
        solved=linked["solved"].to_numpy(bool),
        n_intents=len(names),
    )
    return names, data


def success_probability(attempts: pd.DataFrame, config: SelfServiceConfig) -> NDArray[np.float64]:
    """Each attempt's estimated probability of success (the EM's posterior); NaN for attempts
    of unlinked visitors."""
    from kizuki.analytics.selfservice_em import fit_outcomes

    out = np.full(len(attempts), np.nan)
    mask = attempts["linked"].to_numpy(bool)
    if mask.any():
        _, data = _arrays(attempts[mask].reset_index(drop=True))
        out[mask] = fit_outcomes(data, config.prior_strength).weight
    return out


def _row(
    intent: str, channel: str, group: pd.DataFrame, interval: tuple[float, float], q: float
) -> dict[str, object]:
    lo, hi = interval
    n = len(group)
    successes = float(group["_w"].sum())
    return {
        "intent": intent,
        "channel": channel,
        "attempts": n,
        "successes": successes,
        "success_rate": successes / n,
        "ci_low": float(lo),
        "ci_high": float(hi),
        "observed_rate": float((~group["_failed"]).mean()),
        "contacted": int(group["contacted"].sum()),
        "seen_failures": int(group["_seen"].sum()),
        "contact_propensity": float(q),
    }


def human_rates(contacts: pd.DataFrame, config: SelfServiceConfig) -> pd.DataFrame:
    """Per intent and human channel: contacts, the share solved with no re-contact about the
    same intent within the window, and its Wilson interval."""
    human = contacts[~contacts["channel"].isin(("chatbot",))].copy()
    human = human[human["intent"].fillna("") != ""]
    if not len(human):
        return pd.DataFrame(
            {
                "intent": pd.Series(dtype=object),
                "channel": pd.Series(dtype=object),
                "attempts": pd.Series(dtype="int64"),
                "successes": pd.Series(dtype=float),
                "success_rate": pd.Series(dtype=float),
                "ci_low": pd.Series(dtype=float),
                "ci_high": pd.Series(dtype=float),
            }
        )
    human["opened_at"] = pd.to_datetime(human["opened_at"], utc=True)
    frame = human.rename(columns={"opened_at": "ts"})
    again = followed_within(frame, human, "opened_at", pd.Timedelta(days=config.window_days))
    solved = human["status"].fillna("").str.lower().isin(_SOLVED).to_numpy()
    frame["ok"] = solved & ~again
    grouped = frame.groupby(["intent", "channel"])["ok"].agg(["size", "sum"]).reset_index()
    lo, hi = wilson_interval(grouped["sum"].to_numpy(float), grouped["size"].to_numpy(float))
    return pd.DataFrame(
        {
            "intent": grouped["intent"],
            "channel": grouped["channel"],
            "attempts": grouped["size"].astype("int64"),
            "successes": grouped["sum"].astype(float),
            "success_rate": grouped["sum"] / grouped["size"],
            "ci_low": lo,
            "ci_high": hi,
        }
    )


def channel_fit(
    digital: pd.DataFrame, human: pd.DataFrame, config: SelfServiceConfig
) -> pd.DataFrame:
    """The rows of both tables with a ``recommendation`` each, and ``best_human_channel`` per
    intent (the human channel with the highest lower bound)."""
    d = digital.copy()
    rec = np.where(
        d["ci_low"] >= config.target,
        "digital_first",
        np.where(d["success_rate"] >= config.improve_floor, "improve_content", "human"),
    )
    few = (d["channel"] != SELF_SERVICE) & (d["attempts"] < config.min_attempts)
    d["recommendation"] = np.where(few, "", rec)
    h = human.copy()
    h["recommendation"] = "human"
    best = (
        h[h["attempts"] >= min(config.min_attempts, 5)]
        .sort_values(["intent", "ci_low"], ascending=[True, False])
        .drop_duplicates("intent")
        .set_index("intent")["channel"]
    )
    out = pd.concat([d, h], ignore_index=True)
    lookup = {str(i): str(c) for i, c in best.items()}
    out["best_human_channel"] = [lookup.get(str(i), "") for i in out["intent"]]
    return out.sort_values(["intent", "channel"]).reset_index(drop=True)


def selfservice_table(
    attempts: pd.DataFrame, contacts: pd.DataFrame, config: SelfServiceConfig, seed: int = 0
) -> pd.DataFrame:
    """``result_selfservice``: the digital channels' rates (:func:`selfservice_rates`) and the
    human channels' (:func:`human_rates`), each with its channel-fit recommendation."""
    digital = selfservice_rates(attempts, config, seed)
    return channel_fit(digital, human_rates(contacts, config), config)


_DIGITAL_COLUMNS = [
    "intent",
    "channel",
    "attempts",
    "successes",
    "success_rate",
    "ci_low",
    "ci_high",
    "observed_rate",
    "contacted",
    "seen_failures",
    "contact_propensity",
    "unlinked",
]
