"""The result tables of proactive outreach (Q8), declared like every other in
:mod:`kizuki.schema.results`, which lists them in run order."""

from __future__ import annotations

from kizuki.schema.result_def import MONEY, SHARE, ResultDef, column

__all__ = ["OUTREACH_RESULTS"]

_col = column

OUTREACH_RESULTS: tuple[ResultDef, ...] = (
    ResultDef(
        "result_churn_model",
        "The churn model of the run: what it learned from and its time-based validation (Q8).",
        ("cutoff",),
        (
            _col("status", "string", "trained, or too_few_churners"),
            _col("cutoff", "timestamp", "the time the customers are scored at", "UTC"),
            _col("window_days", "int64", "the churn predicted: within these days", "days"),
            _col("train_customers", "int64", "customer-cut-offs learned from", "customers"),
            _col("train_churners", "int64", "…of them churned in their window", "customers"),
            _col(
                "roc_auc",
                "float64",
                "ROC-AUC on the window before the cut-off, trained on the one before it",
            ),
            _col("brier", "float64", "Brier score on that window"),
            _col("base_rate", "float64", "share that churned in that window", SHARE),
            _col("test_customers", "int64", "customers of that window", "customers"),
            _col("p_save", "float64", "P(save | reached) the queue used", SHARE),
            _col(
                "p_save_from",
                "string",
                "prior, or outreach (learned from earlier deliveries, docs/outreach.md)",
            ),
            _col("outreach_reached", "int64", "delivered items it was learned from", "items"),
            _col("alive_status", "string", "P(alive): fitted, no_purchases or too_few_repeaters"),
            _col("alive_customers", "int64", "customers with a purchase", "customers"),
        ),
    ),
    ResultDef(
        "result_outreach_queue",
        "Whom to contact before they leave, by expected value saved, with why and how (Q8).",
        ("customer_id",),
        (
            _col("rank", "int64", "1 = contact first; suppressed rows come last"),
            _col("customer_id", "string", "the customer"),
            _col("cause", "string", "what the message is about (incident:<id> for an incident)"),
            _col("triggers", "json", "every trigger that fired (a JSON list)"),
            _col("incident_id", "string", "the incident that touched them, if any"),
            _col("p_churn", "float64", "calibrated probability of churn in the window", SHARE),
            _col("value", "float64", "value_months × monthly value", MONEY),
            _col("p_save", "float64", "P(save | reached): learned, else the prior", SHARE),
            _col("expected_value_saved", "float64", "p_churn × value × p_save", MONEY),
            _col("reasons_ja", "string", "the model's top reasons, in Japanese"),
            _col("reasons_en", "string", "the model's top reasons, in English"),
            _col("intent", "string", "their problem: last struggle's or contact's intent"),
            _col(
                "channel",
                "string",
                "the channel that resolved that intent best for others, else email",
            ),
            _col("article", "string", "the article that resolved it best (content_id)"),
            _col("article_title", "string", "its title"),
            _col("message_ja", "string", "the message, in polite Japanese"),
            _col("message_en", "string", "the message, in English"),
            _col("idempotency_key", "string", "one per customer and cause: sent at most once"),
            _col("suppressed", "bool", "must not be sent"),
            _col("suppressed_reason", "string", "opted_out, cooldown or already_sent"),
        ),
    ),
)
