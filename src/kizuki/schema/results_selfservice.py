"""The result tables of self-service, channel flows and help content (Q4, Q5), declared
like every other in :mod:`kizuki.schema.results`, which lists them in run order."""

from __future__ import annotations

from kizuki.schema.result_def import MONEY, SHARE, ResultDef, column

__all__ = ["SELFSERVICE_RESULTS"]

_col = column
_SHARE = SHARE
_MONEY = MONEY

SELFSERVICE_RESULTS: tuple[ResultDef, ...] = (
    ResultDef(
        "result_selfservice",
        "Self-resolution per intent and channel, with the channel-fit recommendation (Q4).",
        ("intent", "channel"),
        (
            _col("intent", "string", "the intent"),
            _col(
                "channel",
                "string",
                "help_search, faq, chatbot, self_service (the three together) or a human "
                "channel (email, chat, phone, form, social)",
            ),
            _col(
                "attempts", "int64", "attempts of linked customers (contacts for a human channel)"
            ),
            _col("successes", "float64", "estimated successes", "attempts"),
            _col("success_rate", "float64", "estimated share resolved", _SHARE),
            _col("ci_low", "float64", "95% interval of success_rate: lower bound", _SHARE),
            _col("ci_high", "float64", "95% interval of success_rate: upper bound", _SHARE),
            _col(
                "observed_rate",
                "float64",
                "share with no human contact and no new search within the window",
                _SHARE,
            ),
            _col("contacted", "int64", "attempts followed by a human contact", "attempts"),
            _col("seen_failures", "int64", "failures seen without a contact", "attempts"),
            _col(
                "contact_propensity",
                "float64",
                "how often a failing customer contacts within the window",
                _SHARE,
            ),
            _col("unlinked", "int64", "attempts of visitors not linked to a customer"),
            _col("recommendation", "string", "digital_first, improve_content or human"),
            _col("best_human_channel", "string", "the human channel that resolves it best"),
        ),
    ),
    ResultDef(
        "result_selfservice_mismatch",
        "Intents steered to self-service that fails them, by customers and money at risk.",
        ("rank",),
        (
            _col("rank", "int64", "1 = most revenue at risk, then most failed attempts", "rank"),
            _col("intent", "string", "the intent"),
            _col("attempts", "int64", "self-service attempts", "attempts"),
            _col("success_rate", "float64", "estimated self-service success", _SHARE),
            _col("ci_high", "float64", "its upper bound", _SHARE),
            _col("failed_attempts", "float64", "attempts × (1 − success_rate)", "attempts"),
            _col("customers", "int64", "customers who tried self-service for it", "customers"),
            _col("revenue_at_risk", "float64", "of its friction points (result_fix_first)", _MONEY),
            _col("recommendation", "string", "improve_content or human"),
            _col("best_human_channel", "string", "the human channel that resolves it best"),
            _col("articles", "json", "its help articles (a JSON list of content ids)"),
        ),
    ),
    ResultDef(
        "result_content_gaps",
        "Intents customers ask about with no article, or whose articles do not resolve (Q5).",
        ("intent",),
        (
            _col("intent", "string", "the intent or new topic id"),
            _col("label", "string", "a new topic's words, else empty"),
            _col("gap", "string", "missing (no article) or not_resolving"),
            _col("articles", "int64", "help articles of the intent"),
            _col("contacts", "int64", "human contacts about it", "contacts"),
            _col("searches", "int64", "help searches for it", "searches"),
            _col("failed_searches", "int64", "searches with no result or no article opened"),
            _col("success_rate", "float64", "estimated self-service success", _SHARE),
            _col("example_queries", "json", "frequent failed queries (a JSON list)"),
        ),
    ),
    ResultDef(
        "result_channel_flows",
        "Per intent, the paths customers take from channel to channel and where they end (Q4).",
        ("intent", "path", "outcome"),
        (
            _col("intent", "string", "the intent"),
            _col("path", "string", "the channels in order, e.g. help_search → chatbot → email"),
            _col("outcome", "string", "resolved, escalated, abandoned or churned"),
            _col("episodes", "int64", "customer episodes that took the path", "episodes"),
            _col("cost_per_episode", "float64", "cost of the path's steps", _MONEY),
            _col("total_cost", "float64", "episodes × cost", _MONEY),
        ),
    ),
    ResultDef(
        "result_content_articles",
        "Each help article: readability, time spent, how it is found, contacts after (Q5).",
        ("content_id",),
        (
            _col("content_id", "string", "the article"),
            _col("intent", "string", "its first intent"),
            _col("title", "string", "its title"),
            _col("language", "string", "the language it is scored in (ja, en)"),
            _col(
                "score",
                "float64",
                "jreadability (ja) or Flesch reading ease (en): higher is easier",
            ),
            _col("level", "string", "the score's band (docs/content.md)"),
            _col("grade", "float64", "Flesch-Kincaid grade (en)"),
            _col("flags", "string", "readability flags, ;-separated (docs/content.md)"),
            _col("views", "int64", "page views of the article", "views"),
            _col("median_seconds", "float64", "median time on the article (exits left out)", "s"),
            _col("exit_share", "float64", "views that ended the session", _SHARE),
            _col("search_share", "float64", "views after a help search in the session", _SHARE),
            _col("entry_share", "float64", "views that opened the session (a link)", _SHARE),
            _col(
                "contact_after_share",
                "float64",
                "linked viewers who contacted about its intent within the window",
                _SHARE,
            ),
            _col("score_change", "float64", "score change since the previous run"),
            _col("gap", "string", "not_found, does_not_resolve, or empty"),
        ),
    ),
    ResultDef(
        "result_content_intents",
        "Time on help articles per intent.",
        ("intent",),
        (
            _col("intent", "string", "the intent"),
            _col("articles", "int64", "its articles that were read"),
            _col("views", "int64", "views of its articles", "views"),
            _col("visitors", "int64", "distinct visitors", "visitors"),
            _col("timed_views", "int64", "views with a known time (not exits)", "views"),
            _col("exit_views", "int64", "views that ended the session", "views"),
            _col("capped_views", "int64", "views capped at cap_seconds", "views"),
            _col("exit_share", "float64", "exit_views / views", _SHARE),
            _col("median_seconds", "float64", "median time on an article", "s"),
            _col("mean_seconds", "float64", "mean time on an article", "s"),
            _col("total_seconds", "int64", "all time on its articles", "s"),
        ),
    ),
    ResultDef(
        "result_search_weekly",
        "Help search per intent and week: hit rate, zero-result and reformulation rates (Q5).",
        ("week", "intent"),
        (
            _col("week", "date", "Monday of the week (store time zone)"),
            _col("intent", "string", "the search's intent"),
            _col("searches", "int64", "sessions with a help search for it", "sessions"),
            _col(
                "hit_rate",
                "float64",
                "an article opened and no human contact about the intent within the window",
                _SHARE,
            ),
            _col("zero_result_rate", "float64", "searches with no result", _SHARE),
            _col("reformulation_rate", "float64", "sessions with two or more queries", _SHARE),
        ),
    ),
    ResultDef(
        "result_failed_queries",
        "Help searches that found nothing or opened nothing, by intent and query (Q5).",
        ("intent", "query"),
        (
            _col("intent", "string", "the query's intent, empty when none is known"),
            _col("query", "string", "the query, trimmed and lower-cased"),
            _col("searches", "int64", "failed searches with it", "searches"),
            _col("zero_results", "int64", "of them, with no result", "searches"),
            _col("last_seen", "timestamp", "the latest", "UTC"),
            _col(
                "topic",
                "string",
                "for a query with no known intent, its discovered topic (empty otherwise)",
            ),
        ),
    ),
)
