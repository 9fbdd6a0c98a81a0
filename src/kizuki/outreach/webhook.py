"""Delivering the outreach queue to a webhook: signed, retried, never sent twice (issue 23).

Each unsuppressed row of the queue is POSTed as JSON to the receiver's URL with

- ``X-Kizuki-Signature: sha256=<hex>``: HMAC-SHA256 of the exact body with the shared secret
  (the receiver recomputes it and refuses a body that does not match);
- ``Idempotency-Key``: one per customer and cause (:func:`kizuki.outreach.queue`), the same on
  every retry, so a receiver that got a request but whose answer was lost can tell a retry
  from a new item;
- ``X-Kizuki-Timestamp``: when it was signed (UTC, ISO 8601; inside the signed body too).

A connection error, a timeout, 429 or a 5xx answer is retried up to ``max_attempts`` times
with exponential backoff (``backoff_seconds`` × 2^attempt); another 4xx is final. Every item's
state is written to the store's ``outreach_deliveries`` table before and after each attempt
(``pending``, ``sent``, ``failed``), so nothing is lost when the receiver or Kizuki stops: the
next run sends what is pending or failed and skips what was sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kizuki.errors import ConfigError

__all__ = ["DELIVERIES_TABLE", "Delivery", "deliver_queue", "sign"]

DELIVERIES_TABLE = "outreach_deliveries"
_FIELDS = ("customer_id", "cause", "triggers", "incident_id", "p_churn", "value",
           "expected_value_saved", "reasons_ja", "reasons_en", "intent", "channel", "article",
           "article_title", "message_ja", "message_en")  # fmt: skip


@dataclass
class Delivery:
    """What one delivery run did."""

    sent: int = 0
    already_sent: int = 0
    failed: int = 0
    attempts: int = 0
    errors: list[str] = field(default_factory=list)


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of ``body`` with ``secret``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _ensure_table(con: Any) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {DELIVERIES_TABLE} (idempotency_key VARCHAR PRIMARY KEY, "
        "customer_id VARCHAR, cause VARCHAR, status VARCHAR, attempts INTEGER, "
        "last_error VARCHAR, sent_at TIMESTAMPTZ, updated_at TIMESTAMPTZ, p_churn DOUBLE)"
    )
    # stores made before P(save) was learned from deliveries lack the P(churn) at sending
    con.execute(f"ALTER TABLE {DELIVERIES_TABLE} ADD COLUMN IF NOT EXISTS p_churn DOUBLE")


def _state(con: Any, key: str) -> str | None:
    row = con.execute(
        f"SELECT status FROM {DELIVERIES_TABLE} WHERE idempotency_key = ?", [key]
    ).fetchone()
    return None if row is None else str(row[0])


def _record(con: Any, row: dict[str, Any], status: str, attempts: int, error: str | None) -> None:
    now = dt.datetime.now(dt.UTC)
    con.execute(
        f"INSERT INTO {DELIVERIES_TABLE} (idempotency_key, customer_id, cause, status, "
        "attempts, last_error, sent_at, updated_at, p_churn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (idempotency_key) DO UPDATE SET status = excluded.status, "
        f"attempts = {DELIVERIES_TABLE}.attempts + excluded.attempts, "
        "last_error = excluded.last_error, sent_at = excluded.sent_at, "
        "updated_at = excluded.updated_at, p_churn = excluded.p_churn",
        [
            row["idempotency_key"], row["customer_id"], row["cause"], status, attempts, error,
            now if status == "sent" else None, now, _plain(row.get("p_churn")),
        ],
    )  # fmt: skip


def _body(row: dict[str, Any], signed_at: str) -> bytes:
    item = {k: _plain(row.get(k)) for k in _FIELDS}
    item["triggers"] = json.loads(row["triggers"]) if row.get("triggers") else []
    doc = {"idempotency_key": row["idempotency_key"], "signed_at": signed_at, "item": item}
    return json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def deliver_queue(
    con: Any,
    queue: pd.DataFrame,
    url: str,
    secret: str,
    *,
    max_attempts: int = 5,
    backoff_seconds: float = 0.5,
    timeout_seconds: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST every unsuppressed row of ``queue`` not yet sent to ``url`` (module docstring);
    ``con`` is the store's DuckDB connection, where the delivery state is kept."""
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"webhook URL {url!r} must start with http:// or https://")
    if not secret:
        raise ConfigError("a webhook needs a shared secret to sign with: give --secret")
    if max_attempts < 1:
        raise ConfigError(f"max_attempts must be at least 1; got {max_attempts}")
    _ensure_table(con)
    report = Delivery()
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()}
        for r in queue[~queue["suppressed"].astype(bool)].to_dict("records")
    ]
    for row in rows:
        key = str(row["idempotency_key"])
        if _state(con, key) == "sent":
            report.already_sent += 1
            continue
        _record(con, row, "pending", 0, None)
        error: str | None = None
        for attempt in range(max_attempts):
            signed_at = dt.datetime.now(dt.UTC).isoformat()
            body = _body(row, signed_at)
            headers = {
                "Content-Type": "application/json",
                "Idempotency-Key": key,
                "X-Kizuki-Signature": sign(body, secret),
                "X-Kizuki-Timestamp": signed_at,
            }
            report.attempts += 1
            try:
                status = _post(url, body, headers, timeout_seconds)
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                status, error = 0, f"{type(exc).__name__}: {exc}"
            else:
                error = None if 200 <= status < 300 else f"HTTP {status}"
            if 200 <= status < 300:
                _record(con, row, "sent", attempt + 1, None)
                report.sent += 1
                break
            final = 400 <= status < 500 and status != 429
            if final or attempt == max_attempts - 1:
                _record(con, row, "failed", attempt + 1, error)
                report.failed += 1
                report.errors.append(f"{row['customer_id']}: {error}")
                break
            sleep(backoff_seconds * 2**attempt)
    return report
