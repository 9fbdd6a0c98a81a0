"""``kizuki outreach``: the outreach queue — print it, export it, deliver it to a webhook."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from kizuki.cli.options import JsonOpt, StoreOpt, open_kizuki, out
from kizuki.errors import ConfigError

__all__ = ["outreach", "register"]

SECRET_ENV = "KIZUKI_WEBHOOK_SECRET"


def outreach(
    store: StoreOpt = None,
    top: Annotated[int, typer.Option("--top", help="Rows to print.")] = 20,
    export: Annotated[
        Path | None, typer.Option("--out", help="Write the whole queue to this file.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="File format for --out: csv, json or parquet.")
    ] = "csv",
    webhook: Annotated[
        str | None,
        typer.Option(
            "--webhook",
            help="POST each unsuppressed item not yet sent to this URL (HMAC-signed, retried, "
            "one idempotency key per customer and cause).",
        ),
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option("--secret", help=f"The webhook's shared secret (default: ${SECRET_ENV})."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Whom to contact before they leave: the queue of `kizuki analyze` ranked by expected
    value saved (P(churn) × value × P(save)), with the triggers, the model's reasons and the
    message in Japanese and English; suppressed rows (opted out, cooldown, already sent) last."""
    kz = open_kizuki(store)
    queue = kz.outreach_queue()
    if export is not None:
        path, rows = kz.export_outreach(export, fmt)
        out.print(f"wrote {rows:,} rows to {path}", highlight=False)
    if webhook is not None:
        key = secret or os.environ.get(SECRET_ENV)
        if not key:
            raise ConfigError(f"give --secret or set {SECRET_ENV} to sign the webhook's requests")
        report = kz.deliver_outreach(webhook, key)
        out.print(
            f"delivered {report.sent:,}; already sent {report.already_sent:,}; failed "
            f"{report.failed:,} ({report.attempts:,} attempts)",
            highlight=False,
        )
        for error in report.errors[:5]:
            out.print(f"  {error}", highlight=False)
        return
    if export is not None:
        return
    if as_json:
        out.print_json(queue.head(top).to_json(orient="records", force_ascii=False))
        return
    if not len(queue):
        out.print("no customer to contact")
        return
    for r in queue.head(top).to_dict("records"):
        flag = f" [suppressed: {r['suppressed_reason']}]" if r["suppressed"] else ""
        triggers = ", ".join(json.loads(r["triggers"]))
        helped = _helped(r)
        out.print(
            f"{r['rank']:>4}. {r['customer_id']}  {r['cause']}  EV {r['expected_value_saved']:,.0f}"
            f"  P(churn) {r['p_churn']:.1%}  ({triggers}){flag}\n      {r['reasons_en']}"
            + (f"\n      helped others: {helped}" if helped else ""),
            highlight=False,
            soft_wrap=True,
        )


def _helped(row: Mapping[Any, Any]) -> str:
    """``intent: article "title" (id), via channel`` of a queue row, as far as it is known."""
    if not row.get("intent"):
        return ""
    title = row.get("article_title")
    article = f' article "{title}" ({row["article"]}),' if title else ""
    return f"{row['intent']}:{article} via {row['channel']}"


def register(app: typer.Typer) -> None:
    """Add this module's command to ``app``."""
    app.command()(outreach)
